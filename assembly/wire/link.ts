// Link-layer headers: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked
// SLL and SLL2, BSD loopback (NULL / LOOP), and raw IP link types.
// Each parser returns the offset of the network header and its ethertype,
// or a drop reason.

import { ld16, ld32 } from './bytes';
import {
  LINK_EN10MB, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL, LINK_LOOP, LINK_RAW, LINK_IPV4, LINK_IPV6,
} from '../abi/layout';
import { REASON_LINK_TRUNCATED, REASON_VLAN_TRUNCATED, REASON_NONE } from '../abi/reasons';

export const ETHERTYPE_IPV4: u32 = 0x0800;
export const ETHERTYPE_IPV6: u32 = 0x86dd;
export const ETHERTYPE_VLAN: u32 = 0x8100;   // 802.1Q
export const ETHERTYPE_QINQ: u32 = 0x88a8;   // 802.1ad
export const ETHERTYPE_QINQ_OLD: u32 = 0x9100;
/** Pseudo ethertype for a raw-IP link: version decides. */
export const ETHERTYPE_RAW_IP: u32 = 0xffff;
/** Link types the core does not parse: their packets pass untouched. */
export const ETHERTYPE_UNKNOWN: u32 = 0;

//  Ethernet II
//  +-----------+-----------+-----------+
//  | dst (6)   | src (6)   | type (2)  |   then 802.1Q/ad tags of 4: TCI (2), type (2)
const ETH_TYPE: usize = 12;
/** Where an untagged Ethernet II frame's network header starts. */
export const ETH_HLEN: u32 = 14;
const VLAN_HLEN: u32 = 4;
/** More tags than this and we stop looking (and pass the frame). */
const VLAN_MAX_TAGS = 4;

//  Linux cooked v1 (16 bytes): pkttype (2) hatype (2) halen (2) addr (8) protocol (2)
const SLL_PROTO: usize = 14;
const SLL_HLEN: u32 = 16;
//  Linux cooked v2 (20 bytes): protocol (2) reserved (2) ifindex (4) hatype (2)
//  pkttype (1) halen (1) addr (8)
const SLL2_PROTO: usize = 0;
const SLL2_HLEN: u32 = 20;
//  BSD loopback: a 4-byte address family, host order (NULL) or network order (LOOP)
const NULL_HLEN: u32 = 4;
const AF_INET: u32 = 2;
// AF_INET6 differs by OS: Linux 10, BSDs 24, FreeBSD 28, Darwin 30.
const AF_INET6_LINUX: u32 = 10;
const AF_INET6_BSD: u32 = 24;
const AF_INET6_FREEBSD: u32 = 28;
const AF_INET6_DARWIN: u32 = 30;

/** Whether an Ethernet II frame's first type field (before any tag) is `type`; compared in wire order. */
// @ts-ignore: decorator
@inline export function ethTypeIs(p: usize, type: u32): bool { return <u32>load<u16>(p + ETH_TYPE) == <u32>bswap<u16>(<u16>type); }

// What parseLink returns, one value: a drop reason (REASON_NONE when parsed) in the low 16 bits,
// the network header's offset in the next 16, its ethertype in the high 32.
// @ts-ignore: decorator
@inline function linkResult(l3: u32, type: u32): u64 { return (<u64>type << 32) | (<u64>l3 << 16) | <u64>REASON_NONE; }
/** The drop reason of a parseLink result (REASON_NONE: parsed). */
// @ts-ignore: decorator
@inline export function linkReason(r: u64): u32 { return <u32>r & 0xffff; }
/** The network header's offset of a parsed link header. */
// @ts-ignore: decorator
@inline export function linkL3(r: u64): u32 { return (<u32>r) >>> 16; }
/** The ethertype of a parsed link header (ETHERTYPE_RAW_IP, ETHERTYPE_UNKNOWN included). */
// @ts-ignore: decorator
@inline export function linkEtherType(r: u64): u32 { return <u32>(r >>> 32); }

/** Parses the link header of a `caplen`-byte frame at `p` (the result: linkReason, linkL3, linkEtherType). */
// @ts-ignore: decorator
@inline export function parseLink(p: usize, caplen: u32, linkType: u32): u64 {
  if (linkType == LINK_EN10MB) return parseEthernet(p, caplen);
  if (linkType == LINK_RAW || linkType == LINK_IPV4 || linkType == LINK_IPV6) {
    return linkResult(0, linkType == LINK_IPV4 ? ETHERTYPE_IPV4 : linkType == LINK_IPV6 ? ETHERTYPE_IPV6 : ETHERTYPE_RAW_IP);
  }
  if (linkType == LINK_LINUX_SLL) {
    if (caplen < SLL_HLEN) return <u64>REASON_LINK_TRUNCATED;
    return afterTags(p, caplen, SLL_HLEN, ld16(p + SLL_PROTO));
  }
  if (linkType == LINK_LINUX_SLL2) {
    if (caplen < SLL2_HLEN) return <u64>REASON_LINK_TRUNCATED;
    return afterTags(p, caplen, SLL2_HLEN, ld16(p + SLL2_PROTO));
  }
  if (linkType == LINK_NULL || linkType == LINK_LOOP) {
    if (caplen < NULL_HLEN) return <u64>REASON_LINK_TRUNCATED;
    // NULL is in the capturing host's order: accept either order.
    let af = linkType == LINK_LOOP ? ld32(p) : load<u32>(p);
    if (linkType == LINK_NULL && (af & 0xffff) == 0) af = ld32(p);
    if (af == AF_INET) return linkResult(NULL_HLEN, ETHERTYPE_IPV4);
    if (af == AF_INET6_LINUX || af == AF_INET6_BSD || af == AF_INET6_FREEBSD || af == AF_INET6_DARWIN) {
      return linkResult(NULL_HLEN, ETHERTYPE_IPV6);
    }
    return linkResult(NULL_HLEN, ETHERTYPE_UNKNOWN);
  }
  return linkResult(0, ETHERTYPE_UNKNOWN);
}

// @ts-ignore: decorator
@inline function parseEthernet(p: usize, caplen: u32): u64 {
  if (caplen < ETH_HLEN) return <u64>REASON_LINK_TRUNCATED;
  return afterTags(p, caplen, ETH_HLEN, ld16(p + ETH_TYPE));
}

/** Skips 802.1Q / 802.1ad tags (SLL can carry them too) after a header of `off` bytes. */
// @ts-ignore: decorator
@inline function afterTags(p: usize, caplen: u32, off: u32, type: u32): u64 {
  let tags = 0;
  while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
    if (tags == VLAN_MAX_TAGS) { type = ETHERTYPE_UNKNOWN; break; }
    if (off + VLAN_HLEN > caplen) return <u64>REASON_VLAN_TRUNCATED;
    type = ld16(p + off + 2);
    off += VLAN_HLEN;
    tags++;
  }
  return linkResult(off, type);
}
