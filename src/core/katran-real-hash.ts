// The 64-bit hash Katran gives a real (Endpoint.hash): KatranLb takes folly::IPAddress(address).hash()
// of the real's address, and the Maglev builder derives the real's offset and skip from it and sorts
// reals by it. folly's address hash, written here from its definition (docs/maglev-compat.md):
//   IPv4: hash_128_to_64(AF_INET = 2, FNV-1 32-bit of the 4 bytes, each byte taken as a signed char);
//   IPv6: hash_128_to_64(AF_INET6 = 10, hash_128_to_64(h1, h2)), (h1, h2) SpookyHash V2 of the
//   16 bytes with seeds 0; an IPv4-mapped IPv6 address hashes as its IPv4 address.
// Control plane only: BigInt is fine here.

const M64 = (1n << 64n) - 1n;
const AF_INET = 2n;
const AF_INET6 = 10n;

/** folly::hash::hash_128_to_64 (CityHash's Hash128to64). */
export function hash128to64(upper: bigint, lower: bigint): bigint {
  const kMul = 0x9ddfea08eb382d69n;
  let a = ((lower ^ upper) * kMul) & M64;
  a ^= a >> 47n;
  let b = ((upper ^ a) * kMul) & M64;
  b ^= b >> 47n;
  return (b * kMul) & M64;
}

/** folly::hash::fnv32_buf: FNV-1 from 2166136261, each byte xored in as a sign-extended char. */
export function fnv32Signed(bytes: Uint8Array, start = 2166136261): number {
  let h = start >>> 0;
  for (const byte of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ ((byte << 24) >> 24)) >>> 0;
  }
  return h;
}

const rot64 = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (64n - k))) & M64;
const SPOOKY_CONST = 0xdeadbeefdeadbeefn;

/** SpookyHash V2's 128-bit hash of 16 bytes (its short path) with seeds 0: [hash1, hash2]. */
export function spooky16(bytes: Uint8Array): [bigint, bigint] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
  let a = 0n, b = 0n;
  let c = (SPOOKY_CONST + v.getBigUint64(0, true)) & M64;
  let d = (SPOOKY_CONST + v.getBigUint64(8, true)) & M64;
  // ShortMix: rotations in a fixed order over (h0, h1, h2, h3) = (a, b, c, d).
  const h = [a, b, c, d];
  const MIX: [number, bigint][] = [[2, 50n], [3, 52n], [0, 30n], [1, 41n], [2, 54n], [3, 48n], [0, 38n], [1, 37n], [2, 62n], [3, 34n], [0, 5n], [1, 36n]];
  for (const [i, r] of MIX) {
    // hi = rot(hi, r); hi += h(i+1); h(i+2) ^= hi (indices mod 4)
    h[i] = rot64(h[i], r);
    h[i] = (h[i] + h[(i + 1) & 3]) & M64;
    h[(i + 2) & 3] ^= h[i];
  }
  [a, b, c, d] = h;
  // The length in the top byte of d; no bytes left over, so both get the constant.
  d = (d + (16n << 56n)) & M64;
  c = (c + SPOOKY_CONST) & M64;
  d = (d + SPOOKY_CONST) & M64;
  // ShortEnd: h(i+3) ^= h(i+2); h(i+2) = rot(h(i+2), r); h(i+3) += h(i+2), for i = 0, 1, 2, ... mod 4.
  const e = [a, b, c, d];
  const END = [15n, 52n, 26n, 51n, 28n, 9n, 47n, 54n, 32n, 25n, 63n];
  END.forEach((r, k) => {
    const x = (k + 3) & 3, y = (k + 2) & 3;
    e[x] ^= e[y];
    e[y] = rot64(e[y], r);
    e[x] = (e[x] + e[y]) & M64;
  });
  return [e[0], e[1]];
}

/** folly::IPAddress(address).hash() of an address given as its bytes in network order (4 or 16). */
export function katranRealHash(bytes: Uint8Array): bigint {
  if (bytes.length === 16 && bytes.subarray(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return katranRealHash(bytes.subarray(12));
  }
  if (bytes.length === 4) return hash128to64(AF_INET, BigInt(fnv32Signed(bytes)));
  const [h1, h2] = spooky16(bytes);
  return hash128to64(AF_INET6, hash128to64(h1, h2));
}
