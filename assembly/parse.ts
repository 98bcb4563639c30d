// Stage 1: frame → flow key. Returns a drop reason, 0 to continue, or
// PARSE_NOT_IP when the frame carries no IP the core handles (it passes).

import { parseLink, linkReason, linkL3, linkEtherType, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_RAW_IP } from './wire/link';
import {
  IPV4_MIN_HLEN, IPV4_SRC, IPV4_DST, ipv4Version, ipv4HeaderLen, ipv4TotalLen, ipv4Proto, ipv4FragOffset,
  ipv4MoreFragments, ipv4Id, ipv4CheckLen,
} from './wire/ipv4';
import {
  IPV6_HLEN, IPV6_SRC, IPV6_DST, IPV6_MAX_EXT_HEADERS, NEXT_FRAGMENT, ipv6Version, ipv6PayloadLen, ipv6Next,
  isExtension, extLen, fragOffset, fragMore, fragId, ipv6CheckLen,
} from './wire/ipv6';
import {
  PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMP, PROTO_ICMPV6, TCP_MIN_HLEN, UDP_HLEN, SCTP_HLEN, srcPort, dstPort,
  tcpFlags, udpLen, sctpChunkType, icmpType, tcpCheckLen, udpCheckLen, sctpCheckLen, icmpCheckLen,
} from './wire/l4';
import {
  REASON_NONE, REASON_IP_VERSION_MISMATCH, REASON_IPV4_TRUNCATED, REASON_IPV4_BAD_IHL,
  REASON_IPV4_BAD_TOTAL_LENGTH, REASON_IPV6_TRUNCATED, REASON_IPV6_BAD_PAYLOAD_LENGTH,
  REASON_IPV6_BAD_EXT_HEADER, REASON_L4_TRUNCATED, REASON_TCP_BAD_HEADER_LENGTH, REASON_UDP_BAD_LENGTH,
} from './abi/reasons';
import { FlowKey, copyAddr, NO_L4, FRAG_FIRST, FRAG_LATER } from './flow';

/** Not a drop: the frame is not IP (ARP, unknown link type, …) and passes. */
export const PARSE_NOT_IP: u32 = 0xffff;

/** Fills `key` from the frame. */
export function parsePacket(key: FlowKey, p: usize, caplen: u32, wirelen: u32, linkType: u32): u32 {
  key.reset();
  let link = parseLink(p, caplen, linkType);
  let r = linkReason(link);
  if (r != REASON_NONE) return r;
  let l3 = linkL3(link);
  let type = linkEtherType(link);
  if (type == ETHERTYPE_RAW_IP) {
    if (l3 >= caplen) return REASON_IPV4_TRUNCATED;
    let v = ipv4Version(p + l3);
    if (v == 4) type = ETHERTYPE_IPV4;
    else if (v == 6) type = ETHERTYPE_IPV6;
    else return REASON_IP_VERSION_MISMATCH;
  }
  // The wire length of the frame bounds the IP lengths; snaplen only bounds what we read.
  let frameLen = wirelen > caplen ? wirelen : caplen;
  if (type == ETHERTYPE_IPV4) return parseIpv4(key, p, caplen, frameLen, l3);
  if (type == ETHERTYPE_IPV6) return parseIpv6(key, p, caplen, frameLen, l3);
  return PARSE_NOT_IP;
}

/**
 * The IPv4 header at `l3` of a frame of `caplen` captured bytes (`frameLen`
 * on the wire): a drop reason, or REASON_NONE when its version, header
 * length and total length (ipv4Length) hold. Every path checks with this.
 */
// @ts-ignore: decorator
@inline export function ipv4Check(p: usize, caplen: u32, frameLen: u32, l3: u32): u32 {
  if (caplen < l3 + IPV4_MIN_HLEN) {
    return caplen > l3 && ipv4Version(p + l3) != 4 ? REASON_IP_VERSION_MISMATCH : REASON_IPV4_TRUNCATED;
  }
  let ip = p + l3;
  if (!ipv4CheckLen(ip, caplen - l3)) {
    if (ipv4Version(ip) != 4) return REASON_IP_VERSION_MISMATCH;
    return ipv4HeaderLen(ip) < IPV4_MIN_HLEN ? REASON_IPV4_BAD_IHL : REASON_IPV4_TRUNCATED;
  }
  return ipv4LengthCheck(ip, l3, ipv4HeaderLen(ip), frameLen);
}

/**
 * The total-length rule of ipv4Check, for a header of `hlen` bytes already
 * checked (a frame of the fast shape, whose version, IHL and capture length
 * its shape test covers, calls it with hlen a constant).
 */
// @ts-ignore: decorator
@inline export function ipv4LengthCheck(ip: usize, l3: u32, hlen: u32, frameLen: u32): u32 {
  let total = ipv4Length(ip, l3, frameLen);
  return total < hlen || l3 + total > frameLen ? REASON_IPV4_BAD_TOTAL_LENGTH : REASON_NONE;
}

/**
 * The datagram's length: its header's total length, or, when that is 0
 * (how captures show a segmentation-offload packet larger than 64 KiB),
 * the frame's from `l3`, as tshark reads it.
 */
// @ts-ignore: decorator
@inline export function ipv4Length(ip: usize, l3: u32, frameLen: u32): u32 {
  let total = ipv4TotalLen(ip);
  return total != 0 ? total : frameLen - l3;
}

/** The IPv6 fixed header at `l3`: a drop reason, or REASON_NONE when its version and payload length hold. */
// @ts-ignore: decorator
@inline export function ipv6Check(p: usize, caplen: u32, frameLen: u32, l3: u32): u32 {
  if (caplen < l3 + IPV6_HLEN) {
    return caplen > l3 && ipv6Version(p + l3) != 6 ? REASON_IP_VERSION_MISMATCH : REASON_IPV6_TRUNCATED;
  }
  let ip = p + l3;
  if (!ipv6CheckLen(ip, caplen - l3)) return REASON_IP_VERSION_MISMATCH;
  // A payload length of 0 with a hop-by-hop header is a jumbogram (RFC 2675): not supported, dropped later.
  if (l3 + IPV6_HLEN + ipv6PayloadLen(ip) > frameLen) return REASON_IPV6_BAD_PAYLOAD_LENGTH;
  return REASON_NONE;
}

/** A TCP header at `h` with `captured` bytes present and `len` per the IP header: a drop reason or REASON_NONE. */
// @ts-ignore: decorator
@inline export function tcpCheck(h: usize, captured: u32, len: u32): u32 {
  if (captured < TCP_MIN_HLEN) return REASON_L4_TRUNCATED;
  return tcpCheckLen(h, captured, len) ? REASON_NONE : REASON_TCP_BAD_HEADER_LENGTH;
}

/** A UDP header, as tcpCheck; a first fragment's length may run past its own datagram. */
// @ts-ignore: decorator
@inline export function udpCheck(h: usize, captured: u32, len: u32, firstFragment: bool): u32 {
  if (captured < UDP_HLEN) return REASON_L4_TRUNCATED;
  return !udpCheckLen(h, captured) || (udpLen(h) > len && !firstFragment) ? REASON_UDP_BAD_LENGTH : REASON_NONE;
}

// @ts-ignore: decorator
@inline function parseIpv4(key: FlowKey, p: usize, caplen: u32, frameLen: u32, l3: u32): u32 {
  let r = ipv4Check(p, caplen, frameLen, l3);
  if (r != REASON_NONE) return r;
  let ip = p + l3;
  let hlen = ipv4HeaderLen(ip);
  let total = ipv4Length(ip, l3, frameLen);
  let proto = ipv4Proto(ip);
  key.setFamilyProto(4, proto, l3);
  copyAddr(key.src, ip + IPV4_SRC, 4);
  copyAddr(key.dst, ip + IPV4_DST, 4);
  let l4 = l3 + hlen;
  let end = l3 + total;
  let capEnd = end < caplen ? end : caplen;
  let fragOff = ipv4FragOffset(ip);
  if (fragOff != 0) {
    // A later fragment: no transport header; ports come from the fragment table.
    key.setFrag(FRAG_LATER, ipv4Id(ip));
    key.setOffsets(l3, NO_L4, 0, 0);
    return REASON_NONE;
  }
  if (ipv4MoreFragments(ip)) key.setFrag(FRAG_FIRST, ipv4Id(ip));
  return parseL4(key, p, l3, l4, capEnd - l4, end - l4, proto);
}

function parseIpv6(key: FlowKey, p: usize, caplen: u32, frameLen: u32, l3: u32): u32 {
  let r = ipv6Check(p, caplen, frameLen, l3);
  if (r != REASON_NONE) return r;
  let ip = p + l3;
  let end = l3 + IPV6_HLEN + ipv6PayloadLen(ip);
  let capEnd = end < caplen ? end : caplen;
  copyAddr(key.src, ip + IPV6_SRC, 6);
  copyAddr(key.dst, ip + IPV6_DST, 6);
  let next = ipv6Next(ip);
  let off = l3 + IPV6_HLEN;
  let n = 0;
  while (isExtension(next)) {
    if (++n > IPV6_MAX_EXT_HEADERS) return REASON_IPV6_BAD_EXT_HEADER;
    if (off + 8 > capEnd) return REASON_IPV6_BAD_EXT_HEADER;
    let len = extLen(p + off, next);
    if (off + len > end) return REASON_IPV6_BAD_EXT_HEADER;
    if (next == NEXT_FRAGMENT) {
      let fp = p + off;
      let after = load<u8>(fp);
      if (fragOffset(fp) != 0) {
        key.setFamilyProto(6, after, l3);
        key.setFrag(FRAG_LATER, fragId(fp));
        key.setOffsets(l3, NO_L4, 0, 0);
        return REASON_NONE;
      }
      if (fragMore(fp)) key.setFrag(FRAG_FIRST, fragId(fp));
    }
    next = load<u8>(p + off);
    off += len;
  }
  key.setFamilyProto(6, next, l3);
  return parseL4(key, p, l3, off, capEnd > off ? capEnd - off : 0, end - off, next);
}

/** Transport header at `l4`: `captured` bytes present, `len` per the IP header. */
// @ts-ignore: decorator
@inline function parseL4(key: FlowKey, p: usize, l3: u32, l4: u32, captured: u32, len: u32, proto: u32): u32 {
  let h = p + l4;
  if (proto == PROTO_TCP) {
    let r = tcpCheck(h, captured, len);
    if (r != REASON_NONE) return r;
    key.setOffsets(l3, l4, captured, len);
    key.setPorts(srcPort(h), dstPort(h));
    key.setL4Info(tcpFlags(h), 0);
    return REASON_NONE;
  }
  if (proto == PROTO_UDP) {
    let r = udpCheck(h, captured, len, key.frag == FRAG_FIRST);
    if (r != REASON_NONE) return r;
    key.setOffsets(l3, l4, captured, len);
    key.setPorts(srcPort(h), dstPort(h));
    return REASON_NONE;
  }
  if (proto == PROTO_SCTP) {
    if (!sctpCheckLen(captured)) return REASON_L4_TRUNCATED;
    key.setOffsets(l3, l4, captured, len);
    key.setPorts(srcPort(h), dstPort(h));
    key.setL4Info(0, captured > SCTP_HLEN ? sctpChunkType(h) : 0);
    return REASON_NONE;
  }
  if (proto == PROTO_ICMP || proto == PROTO_ICMPV6) {
    if (!icmpCheckLen(captured)) return REASON_L4_TRUNCATED;
    key.setOffsets(l3, l4, captured, len);
    key.setL4Info(0, icmpType(h));
    return REASON_NONE;
  }
  // Another protocol: addresses only.
  key.setOffsets(l3, l4, captured, len);
  return REASON_NONE;
}

