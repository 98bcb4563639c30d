// IPv4 header (RFC 791).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  |         Identification        |Flags|      Fragment Offset    |
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  |                       Source Address                          |
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { ld8, ld16, st8, st16 } from './bytes';
import { fold, sumBytes, delta32, applyDelta } from './checksum';

export const IPV4_VER_IHL: usize = 0;
export const IPV4_TOS: usize = 1;
export const IPV4_TOTAL_LEN: usize = 2;
export const IPV4_ID: usize = 4;
export const IPV4_FRAG: usize = 6;
export const IPV4_TTL: usize = 8;
export const IPV4_PROTO: usize = 9;
export const IPV4_CSUM: usize = 10;
export const IPV4_SRC: usize = 12;
export const IPV4_DST: usize = 16;
export const IPV4_MIN_HLEN: u32 = 20;

const FRAG_MF: u32 = 0x2000;
const FRAG_OFFSET_MASK: u32 = 0x1fff;

// @ts-ignore: decorator
@inline export function ipv4Version(p: usize): u32 { return ld8(p + IPV4_VER_IHL) >> 4; }
/** Header length in bytes (IHL × 4). */
// @ts-ignore: decorator
@inline export function ipv4HeaderLen(p: usize): u32 { return (ld8(p + IPV4_VER_IHL) & 0xf) << 2; }
// @ts-ignore: decorator
@inline export function ipv4TotalLen(p: usize): u32 { return ld16(p + IPV4_TOTAL_LEN); }
// @ts-ignore: decorator
@inline export function ipv4Id(p: usize): u32 { return ld16(p + IPV4_ID); }
// @ts-ignore: decorator
@inline export function ipv4Proto(p: usize): u32 { return ld8(p + IPV4_PROTO); }
/** Fragment offset in bytes. */
// @ts-ignore: decorator
@inline export function ipv4FragOffset(p: usize): u32 { return (ld16(p + IPV4_FRAG) & FRAG_OFFSET_MASK) << 3; }
// @ts-ignore: decorator
@inline export function ipv4MoreFragments(p: usize): bool { return (ld16(p + IPV4_FRAG) & FRAG_MF) != 0; }
/** A fragment, first or later (more-fragments set or an offset); DF does not count. Tested in wire order. */
// @ts-ignore: decorator
@inline export function ipv4IsFragment(p: usize): bool {
  return (<u32>load<u16>(p + IPV4_FRAG) & <u32>bswap<u16>(<u16>(FRAG_MF | FRAG_OFFSET_MASK))) != 0;
}
/** Version 4 with a 20-byte header (no options), the first byte of such a header. */
const VER_IHL_NO_OPTIONS: u32 = (4 << 4) | (IPV4_MIN_HLEN >> 2);
/** Whether the header at `p` is IPv4 without options (version and IHL in one byte). */
// @ts-ignore: decorator
@inline export function ipv4NoOptions(p: usize): bool { return ld8(p + IPV4_VER_IHL) == VER_IHL_NO_OPTIONS; }

/** Writes a fresh header checksum over `hlen` bytes (for packets the core builds). */
export function ipv4FillChecksum(p: usize, hlen: u32): void {
  store<u16>(p + IPV4_CSUM, 0);
  store<u16>(p + IPV4_CSUM, <u16>~fold(sumBytes(p, hlen, 0)));
}

/** Writes the fixed fields of a 20-byte header (no options) and its checksum. */
export function ipv4Build(p: usize, totalLen: u32, id: u32, ttl: u32, proto: u32, src: usize, dst: usize): void {
  st8(p + IPV4_VER_IHL, 0x45);
  st8(p + IPV4_TOS, 0);
  st16(p + IPV4_TOTAL_LEN, totalLen);
  st16(p + IPV4_ID, id);
  st16(p + IPV4_FRAG, 0);
  st8(p + IPV4_TTL, ttl);
  st8(p + IPV4_PROTO, proto);
  store<u32>(p + IPV4_SRC, load<u32>(src));
  store<u32>(p + IPV4_DST, load<u32>(dst));
  ipv4FillChecksum(p, IPV4_MIN_HLEN);
}

/**
 * Whether `captured` bytes at `p` hold a whole IPv4 header: version 4, an IHL of at least 5 and
 * the IHL's bytes present. Every accessor above reads within those bytes once this holds.
 */
// @ts-ignore: decorator
@inline export function ipv4CheckLen(p: usize, captured: u32): bool {
  if (captured < IPV4_MIN_HLEN || ipv4Version(p) != 4) return false;
  let hlen = ipv4HeaderLen(p);
  return hlen >= IPV4_MIN_HLEN && hlen <= captured;
}

/** The checksum delta of an address changing from raw `o` to raw `n`: 0 when equal (nothing to fold). */
// @ts-ignore: decorator
@inline export function ipv4AddrDelta(o: u32, n: u32): u64 { return o != n ? delta32(o, n) : 0; }

/**
 * Sets the raw address at `off` (IPV4_SRC or IPV4_DST) to `n` and folds the change into the
 * header checksum; returns the change's delta for the transport checksum (0: nothing changed).
 */
// @ts-ignore: decorator
@inline export function ipv4SetAddr(p: usize, off: usize, n: u32): u64 {
  let o = load<u32>(p + off);
  if (o == n) return 0;
  let d = delta32(o, n);
  applyDelta(p + IPV4_CSUM, d);
  store<u32>(p + off, n);
  return d;
}

/**
 * ipv4SetAddr for a change whose folded delta was computed before (ipv4AddrDelta of the same
 * two addresses, folded): the field holds `o` and becomes `n`. Returns whether the transport
 * checksum changes too (a delta of ~0 → 0 folds to nothing, as ipv4SetAddr's does).
 */
// @ts-ignore: decorator
@inline export function ipv4SetAddrFolded(p: usize, off: usize, o: u32, n: u32, folded: u32): bool {
  if (o == n) return false;
  applyDelta(p + IPV4_CSUM, <u64>folded);
  store<u32>(p + off, n);
  return o != 0xffffffff || n != 0;
}
