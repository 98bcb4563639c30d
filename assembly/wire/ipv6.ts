// IPv6 header (RFC 8200) and the extension headers the core walks.
//
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version| Traffic Class |           Flow Label                  |
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  |                   Source Address (16 bytes)                   |
//  |                Destination Address (16 bytes)                 |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
//  Fragment header (8 bytes): next (1) reserved (1) offset<<3|M (2) id (4).
//  Hop-by-hop, routing, destination options: next (1) len in 8-byte units
//  not counting the first 8 (1). AH: next (1) len in 4-byte units minus 2 (1).

import { ld8, ld16, ld32, st16, st8, st32 } from './bytes';
import { delta64, sumBytes } from './checksum';

export const IPV6_VTC_FLOW: usize = 0;
export const IPV6_PAYLOAD_LEN: usize = 4;
export const IPV6_NEXT: usize = 6;
export const IPV6_HOP_LIMIT: usize = 7;
export const IPV6_SRC: usize = 8;
export const IPV6_DST: usize = 24;
export const IPV6_HLEN: u32 = 40;

export const NEXT_HOP_BY_HOP: u32 = 0;
export const NEXT_ROUTING: u32 = 43;
export const NEXT_FRAGMENT: u32 = 44;
export const NEXT_ESP: u32 = 50;
export const NEXT_AH: u32 = 51;
export const NEXT_NONE: u32 = 59;
export const NEXT_DEST_OPTS: u32 = 60;

const FRAG_HLEN: u32 = 8;
const FRAG_OFFSET: usize = 2;
const FRAG_ID: usize = 4;
/** Longest extension chain walked; longer chains are treated as malformed. */
export const IPV6_MAX_EXT_HEADERS = 8;

// @ts-ignore: decorator
@inline export function ipv6Version(p: usize): u32 { return ld8(p) >> 4; }
// @ts-ignore: decorator
@inline export function ipv6PayloadLen(p: usize): u32 { return ld16(p + IPV6_PAYLOAD_LEN); }
// @ts-ignore: decorator
@inline export function ipv6Next(p: usize): u32 { return ld8(p + IPV6_NEXT); }

/** Whether `next` names an extension header the walker steps over. */
// @ts-ignore: decorator
@inline export function isExtension(next: u32): bool {
  return next == NEXT_HOP_BY_HOP || next == NEXT_ROUTING || next == NEXT_FRAGMENT ||
    next == NEXT_DEST_OPTS || next == NEXT_AH;
}

/** Length in bytes of the extension header at `p` whose type is `next` (2 bytes readable). */
export function extLen(p: usize, next: u32): u32 {
  if (next == NEXT_FRAGMENT) return FRAG_HLEN;
  if (next == NEXT_AH) return (ld8(p + 1) + 2) << 2;
  return (ld8(p + 1) + 1) << 3;
}

/** Fragment offset in bytes, from a fragment header. */
// @ts-ignore: decorator
@inline export function fragOffset(p: usize): u32 { return ld16(p + FRAG_OFFSET) & 0xfff8; }
// @ts-ignore: decorator
@inline export function fragMore(p: usize): bool { return (ld16(p + FRAG_OFFSET) & 1) != 0; }
// @ts-ignore: decorator
@inline export function fragId(p: usize): u32 { return ld32(p + FRAG_ID); }

/** Writes a 40-byte header (for packets the core builds). */
export function ipv6Build(p: usize, payloadLen: u32, next: u32, hopLimit: u32, src: usize, dst: usize): void {
  st32(p + IPV6_VTC_FLOW, 0x60000000);
  st16(p + IPV6_PAYLOAD_LEN, payloadLen);
  st8(p + IPV6_NEXT, next);
  st8(p + IPV6_HOP_LIMIT, hopLimit);
  memory.copy(p + IPV6_SRC, src, 16);
  memory.copy(p + IPV6_DST, dst, 16);
}

/** Whether `captured` bytes at `p` hold the fixed header of version 6 (accessors above read within it). */
// @ts-ignore: decorator
@inline export function ipv6CheckLen(p: usize, captured: u32): bool {
  return captured >= IPV6_HLEN && ipv6Version(p) == 6;
}

/**
 * Sets the 16-byte address at `off` (IPV6_SRC or IPV6_DST) to the 16 bytes at `src`; returns the
 * change's delta for the transport checksum (0: nothing changed). IPv6 has no header checksum.
 */
// @ts-ignore: decorator
@inline export function ipv6SetAddr(p: usize, off: usize, src: usize): u64 {
  let ap = p + off;
  let o0 = load<u64>(ap), o1 = load<u64>(ap, 8);
  let n0 = load<u64>(src), n1 = load<u64>(src, 8);
  if (o0 == n0 && o1 == n1) return 0;
  store<u64>(ap, n0);
  store<u64>(ap, n1, 8);
  return delta64(o0, n0) + delta64(o1, n1);
}

/** One's-complement sum (unfolded) of the IPv6 pseudo-header of header `p` for an upper-layer packet of `len` bytes with next header `next` (RFC 8200 §8.1). */
export function ipv6PseudoSum(p: usize, len: u32, next: u32): u64 {
  let acc = sumBytes(p + IPV6_SRC, 32, 0);
  return acc + <u64>bswap<u16>(<u16>(len >> 16)) + <u64>bswap<u16>(<u16>len) + <u64>bswap<u16>(<u16>next);
}
