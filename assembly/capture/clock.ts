// pcapng timestamps: a 64-bit count of units (10^-k or 2^-k s) plus if_tsoffset seconds, to
// and from the seconds (mod 2^32) and nanoseconds the core runs on. Exact for every clock:
// the same answers as the host's TsClock (src/capture/timestamp.ts).

import { IF_UNITS, IF_OFFSET } from '../abi/walk';

const NS_PER_S: u64 = 1_000_000_000;
const LOW32: u64 = 0xffffffff;

/** floor(a * b / d) for a result below 2^64; a 128-bit product when a * b does not fit 64 bits. */
export function mulDiv(a: u64, b: u64, d: u64): u64 {
  if ((a >> 32) == 0 && (b >> 32) == 0) return a * b / d;
  let ll = (a & LOW32) * (b & LOW32);
  let lh = (a & LOW32) * (b >> 32);
  let hl = (a >> 32) * (b & LOW32);
  let mid = (ll >> 32) + (lh & LOW32) + (hl & LOW32);
  let lo = (ll & LOW32) | (mid << 32);
  let hi = (a >> 32) * (b >> 32) + (lh >> 32) + (hl >> 32) + (mid >> 32);
  // Long division of hi:lo by d, one bit at a time (clocks finer than 2^-32 s only).
  let q: u64 = 0;
  let r: u64 = 0;
  for (let i = 127; i >= 0; i--) {
    let bit = i >= 64 ? (hi >> <u64>(i - 64)) & 1 : (lo >> <u64>i) & 1;
    let carry = r >> 63;
    r = (r << 1) | bit;
    q <<= 1;
    if (carry != 0 || r >= d) { r -= d; q |= 1; }
  }
  return q;
}

/** Seconds (mod 2^32) of a raw timestamp on interface entry `e`. */
// @ts-ignore: decorator
@inline export function clockSec(e: usize, units: u64): u32 {
  return <u32>(units / load<u64>(e + IF_UNITS) + <u64>load<i64>(e + IF_OFFSET));
}

/** Nanoseconds within the second of a raw timestamp on interface entry `e`. */
// @ts-ignore: decorator
@inline export function clockNsec(e: usize, units: u64): u32 {
  let per = load<u64>(e + IF_UNITS);
  return <u32>mulDiv(units % per, NS_PER_S, per);
}

/** The raw timestamp of (sec, nsec) on interface entry `e` (the inverse of clockSec/clockNsec). */
export function clockUnits(e: usize, sec: u32, nsec: u32): u64 {
  let per = load<u64>(e + IF_UNITS);
  let s = <u64>(sec - <u32>load<i64>(e + IF_OFFSET));
  return s * per + mulDiv(<u64>nsec, per, NS_PER_S);
}
