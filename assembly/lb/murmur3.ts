// MurmurHash3 x64_128 (Austin Appleby's public-domain design), written by hand
// for svcplane: Cilium derives each backend's Maglev offset and skip from it.
// Little-endian block reads, the 32-bit seed in both halves, as the reference.

const C1: u64 = 0x87c37b91114253d5;
const C2: u64 = 0x4cf5ad432745937f;

/** The two halves of the last murmur3x64_128 result. */
export let murmurH1: u64 = 0;
export let murmurH2: u64 = 0;

// @ts-ignore: decorator
@inline function fmix64(k: u64): u64 {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccd;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53;
  return k ^ (k >> 33);
}

// @ts-ignore: decorator
@inline function mixK1(k: u64): u64 { return rotl<u64>(k * C1, 31) * C2; }
// @ts-ignore: decorator
@inline function mixK2(k: u64): u64 { return rotl<u64>(k * C2, 33) * C1; }

/** Hashes `len` bytes at `p`; the result is in murmurH1, murmurH2. */
export function murmur3x64_128(p: usize, len: u32, seed: u32): void {
  let h1 = <u64>seed, h2 = <u64>seed;
  let blocks = len >>> 4;
  for (let i: u32 = 0; i < blocks; i++) {
    let b = p + (<usize>i << 4);
    h1 ^= mixK1(load<u64>(b));
    h1 = rotl<u64>(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= mixK2(load<u64>(b, 8));
    h2 = rotl<u64>(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  // The tail: up to 15 bytes, the first 8 into k1 and the rest into k2, little-endian.
  let tail = p + (<usize>blocks << 4);
  let rest = len & 15;
  let k1: u64 = 0, k2: u64 = 0;
  for (let j: u32 = rest; j > 8; j--) k2 = (k2 << 8) | <u64>load<u8>(tail + <usize>(j - 1));
  for (let j: u32 = min(rest, 8); j > 0; j--) k1 = (k1 << 8) | <u64>load<u8>(tail + <usize>(j - 1));
  if (rest > 8) h2 ^= mixK2(k2);
  if (rest > 0) h1 ^= mixK1(k1);
  h1 ^= <u64>len;
  h2 ^= <u64>len;
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  h2 += h1;
  murmurH1 = h1;
  murmurH2 = h2;
}

/** 16 bytes for murmur3x64_64's two words. */
const PAIR = memory.data(16);

/**
 * Katran's MurmurHash3_x64_64(a, b, seed): one 16-byte block (a then b,
 * little-endian) through x64_128, of which it keeps the first half.
 */
export function murmur3x64_64(a: u64, b: u64, seed: u32): u64 {
  store<u64>(PAIR, a);
  store<u64>(PAIR, b, 8);
  murmur3x64_128(PAIR, 16, seed);
  return murmurH1;
}
