// MurmurHash3 x64_128 in BigInt TypeScript, for the Maglev references of Cilium (its backends'
// offset and skip) and Katran (MurmurHash3_x64_64: the first half of it over 16 bytes). Independent of
// the core's assembly/lb/murmur3.ts, which the tests check against it.

const M64 = (1n << 64n) - 1n;
const rotl64 = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
const mul64 = (a: bigint, b: bigint): bigint => (a * b) & M64;
const fmix = (k: bigint): bigint => {
  k ^= k >> 33n; k = mul64(k, 0xff51afd7ed558ccdn); k ^= k >> 33n; k = mul64(k, 0xc4ceb9fe1a85ec53n);
  return k ^ (k >> 33n);
};
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;

/** MurmurHash3 x64_128 of `data` with a 32-bit seed: [h1, h2]. */
export function murmur3(data: Uint8Array, seed: number): [bigint, bigint] {
  let h1 = BigInt(seed >>> 0), h2 = h1;
  const le = (at: number, n: number): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i]);
    return v;
  };
  const k1mix = (k: bigint): bigint => mul64(rotl64(mul64(k, C1), 31n), C2);
  const k2mix = (k: bigint): bigint => mul64(rotl64(mul64(k, C2), 33n), C1);
  const blocks = data.length >> 4;
  for (let i = 0; i < blocks; i++) {
    h1 ^= k1mix(le(i * 16, 8)); h1 = (rotl64(h1, 27n) + h2) & M64; h1 = (h1 * 5n + 0x52dce729n) & M64;
    h2 ^= k2mix(le(i * 16 + 8, 8)); h2 = (rotl64(h2, 31n) + h1) & M64; h2 = (h2 * 5n + 0x38495ab5n) & M64;
  }
  const rest = data.length & 15, t = blocks * 16;
  if (rest > 8) h2 ^= k2mix(le(t + 8, rest - 8));
  if (rest > 0) h1 ^= k1mix(le(t, Math.min(rest, 8)));
  const len = BigInt(data.length);
  h1 ^= len; h2 ^= len;
  h1 = (h1 + h2) & M64; h2 = (h2 + h1) & M64;
  h1 = fmix(h1); h2 = fmix(h2);
  h1 = (h1 + h2) & M64; h2 = (h2 + h1) & M64;
  return [h1, h2];
}
