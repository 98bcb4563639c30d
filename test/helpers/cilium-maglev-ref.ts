// A small reference of Cilium's Maglev for tests, written from the algorithm's description in
// docs/maglev-compat.md and independent of the core: BigInt murmur3 x64_128, the kernel's
// jhash_3words and lookup3 mix, Cilium's turn rule. Slow and plain on purpose.

import { jhashFinal, jhashMix, le32, JHASH_IV } from './jhash-ref.js';

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

export function jhash3words(a: number, b: number, c: number, initval: number): number {
  const iv = (initval + JHASH_IV + 12) >>> 0;
  return jhashFinal((a + iv) >>> 0, (b + iv) >>> 0, (c + iv) >>> 0);
}

/** Cilium's seeds from bpf-lb-maglev-hash-seed: murmur3's, IPv4 jhash's, IPv6 jhash's. */
export function seeds(b64: string): [number, number, number] {
  const d = Buffer.from(b64, 'base64');
  return [d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8)];
}

const swap16 = (p: number): number => ((p & 0xff) << 8) | (p >> 8);

/** Cilium's datapath hash of a new flow: client address bytes, client and service ports, protocol. */
export function flowHash(src: Uint8Array, sport: number, dport: number, proto: number, seed4: number, seed6: number): number {
  const ports = ((swap16(dport) << 16) | swap16(sport)) >>> 0;
  if (src.length === 4) return jhash3words(le32(src, 0), ports, proto, seed4);
  let [a, b, c] = jhashMix(le32(src, 0), le32(src, 4), le32(src, 8));
  [a, b, c] = jhashMix((a + le32(src, 12)) >>> 0, (b + ports) >>> 0, (c + proto) >>> 0);
  return jhashFinal((a + seed6) >>> 0, b, c);
}

export interface RefBackend { identity: string; weight: number; id: number }

/** Cilium's table of ids: backends sorted by identity, permutations from murmur3, its turn rule. */
export function table(backends: RefBackend[], m: number, seedMurmur: number): number[] {
  const bs = [...backends].sort((x, y) => (x.identity < y.identity ? -1 : x.identity > y.identity ? 1 : 0));
  const l = bs.length;
  const perm = bs.map((b) => {
    const [h1, h2] = murmur3(new TextEncoder().encode(b.identity), seedMurmur);
    return { offset: Number(h1 % BigInt(m)), skip: Number(h2 % BigInt(m - 1)) + 1 };
  });
  const sum = bs.reduce((s, b) => s + b.weight, 0);
  const counter = bs.map((b) => b.weight / l);
  const weighted = Math.floor(sum / l) > 1;
  const next = new Array<number>(l).fill(0);
  const out = new Array<number>(m).fill(-1);
  for (let n = 0; n < m; n++) {
    let i = n % l;
    if (weighted) {
      while ((n + 1) * bs[i].weight < Math.trunc(counter[i])) i = (i + 1) % l;
      counter[i] += sum;
    }
    const at = (j: number): number => (perm[i].offset + j * perm[i].skip) % m;
    while (out[at(next[i])] >= 0) next[i]++;
    out[at(next[i])] = bs[i].id;
    next[i]++;
  }
  return out;
}
