// A small reference of Cilium's Maglev for tests, written from the algorithm's description in
// docs/maglev-compat.md and independent of the core: BigInt murmur3 x64_128, the kernel's
// jhash_3words and lookup3 mix, Cilium's turn rule. Slow and plain on purpose.

import { jhashFinal, jhashMix, le32, JHASH_IV } from './jhash-ref.js';

import { murmur3 } from './murmur3-ref.js';

export { murmur3 };

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
