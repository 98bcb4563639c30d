// Internet checksum (RFC 1071) and its incremental update (RFC 1624).
// Sums are taken over raw little-endian u16 loads; because one's-complement
// addition commutes with byte swapping, storing the folded result raw gives
// the right wire value.

/** Folds a 32-bit (or wider) one's-complement accumulator to 16 bits. */
// @ts-ignore: decorator
@inline export function fold(sum: u64): u32 {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return <u32>sum;
}

/** One's-complement sum of `len` bytes at `p` (raw, unfolded). */
export function sumBytes(p: usize, len: usize, acc: u64): u64 {
  let i: usize = 0;
  while (i + 4 <= len) { acc += <u64>load<u32>(p + i); i += 4; }
  if (i + 2 <= len) { acc += <u64>load<u16>(p + i); i += 2; }
  if (i < len) acc += <u64>load<u8>(p + i); // odd byte: low byte of a LE u16
  return acc;
}

/** Delta of replacing 4 raw bytes (two 16-bit words) loaded as one u32. */
// @ts-ignore: decorator
@inline export function delta32(o: u32, n: u32): u64 {
  let no = ~o;
  return <u64>(no & 0xffff) + <u64>(no >>> 16) + <u64>(n & 0xffff) + <u64>(n >>> 16);
}

/** Delta of replacing 8 raw bytes (four 16-bit words) loaded as one u64. */
// @ts-ignore: decorator
@inline export function delta64(o: u64, n: u64): u64 {
  return delta32(<u32>o, <u32>n) + delta32(<u32>(o >>> 32), <u32>(n >>> 32));
}

/** Delta of replacing one raw (wire-order) 16-bit word. */
// @ts-ignore: decorator
@inline export function delta16(oldRaw: u32, newRaw: u32): u64 {
  return <u64>(~oldRaw & 0xffff) + <u64>(newRaw & 0xffff);
}

/**
 * Folds a small one's-complement sum (below 2^31, as incremental deltas
 * are: a dozen 16-bit words at most) to 16 bits: two rounds suffice.
 */
// @ts-ignore: decorator
@inline export function fold32(s: u32): u32 {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/**
 * Applies a delta to the checksum field at `p` (RFC 1624 eqn. 3:
 * HC' = ~(~HC + ~m + m')).
 */
// @ts-ignore: decorator
@inline export function applyDelta(p: usize, d: u64): void {
  let hc = ~<u32>load<u16>(p) & 0xffff;
  store<u16>(p, <u16>~fold32(hc + fold32(<u32>d)));
}

/**
 * Like applyDelta, for UDP: a checksum of 0 means "none" and stays 0; a
 * computed 0 is sent as 0xffff (RFC 768).
 */
// @ts-ignore: decorator
@inline export function applyDeltaUdp(p: usize, d: u64): void {
  let old = <u32>load<u16>(p);
  if (old == 0) return;
  let v = <u16>~fold32((~old & 0xffff) + fold32(<u32>d));
  store<u16>(p, v == 0 ? 0xffff : v);
}

// Field replacement: each stores the new value and returns the change's delta, for the caller
// to fold into whichever checksums cover the field.

/** Replaces 4 raw bytes at `at` with `n`; returns delta32 (stored even when equal). */
// @ts-ignore: decorator
@inline export function replace32(at: usize, n: u32): u64 {
  let d = delta32(load<u32>(at), n);
  store<u32>(at, n);
  return d;
}

/** Replaces 16 bytes at `at` with the 16 at `src`; returns the delta (stored even when equal). */
// @ts-ignore: decorator
@inline export function replace128(at: usize, src: usize): u64 {
  let d = delta64(load<u64>(at), load<u64>(src)) + delta64(load<u64>(at, 8), load<u64>(src, 8));
  store<u64>(at, load<u64>(src));
  store<u64>(at, load<u64>(src, 8), 8);
  return d;
}

/** Replaces the raw 16-bit word at `at` with `raw`; returns delta16 (stored even when equal). */
// @ts-ignore: decorator
@inline export function replace16(at: usize, raw: u32): u64 {
  let d = delta16(<u32>load<u16>(at), raw);
  store<u16>(at, <u16>raw);
  return d;
}
