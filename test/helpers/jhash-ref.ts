// The kernel's jhash (lookup3) in plain TypeScript, for the Maglev references of Cilium's and
// Katran's datapath hashes (cilium-maglev-ref.ts, katran-maglev-ref.ts): independent of the core's
// assembly/lb/jhash.ts, which the tests check against it.

export const JHASH_IV = 0xdeadbeef;

const rol32 = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/** lookup3's final mix of three words; returns c. */
export function jhashFinal(a: number, b: number, c: number): number {
  c = ((c ^ b) - rol32(b, 14)) >>> 0; a = ((a ^ c) - rol32(c, 11)) >>> 0; b = ((b ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ b) - rol32(b, 16)) >>> 0; a = ((a ^ c) - rol32(c, 4)) >>> 0; b = ((b ^ a) - rol32(a, 14)) >>> 0;
  return ((c ^ b) - rol32(b, 24)) >>> 0;
}

/** lookup3's mix of three words. */
export function jhashMix(a: number, b: number, c: number): [number, number, number] {
  a = ((a - c) >>> 0 ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = ((b - a) >>> 0 ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = ((c - b) >>> 0 ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = ((a - c) >>> 0 ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = ((b - a) >>> 0 ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = ((c - b) >>> 0 ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  return [a, b, c];
}

/** The little-endian 32-bit word at `at`. */
export const le32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
