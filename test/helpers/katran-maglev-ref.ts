// A small reference of Katran's Maglev for tests, written from the algorithm's description in
// docs/maglev-compat.md ("Katran") and independent of the core: BigInt MurmurHash3_x64_64 of two
// words, MaglevBase's offset and skip, MaglevHash's and MaglevHashV2's turns (u32 slot arithmetic),
// Vip's sort by hash, and the datapath's jhash_2words. Slow and plain on purpose.

import { jhashFinal, jhashMix, le32, JHASH_IV } from './jhash-ref.js';
import { murmur3 } from './murmur3-ref.js';

const M64 = (1n << 64n) - 1n;

/** Katran's MurmurHash3_x64_64(a, b, seed): the first half of x64_128 of the 16 bytes of a then b (little-endian). */
export function murmur64(a: bigint, b: bigint, seed: number): bigint {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, a & M64, true);
  view.setBigUint64(8, b & M64, true);
  return murmur3(bytes, seed)[0];
}

/** MaglevBase's [offset, skip] of a real over an m-slot ring. */
export function permutation(hash: bigint, m: number): [number, number] {
  return [Number(murmur64(hash, 42n, 0) % BigInt(m)), Number(murmur64(hash, 2718281828n, 2307) % BigInt(m - 1)) + 1];
}

export interface Real { hash: bigint; weight: number; id: number }

/** The ring of ids Katran builds for these reals (weight 0 left out), V1 (MaglevHash) or V2. */
export function table(given: Real[], m: number, v2: boolean): number[] {
  const reals = given.filter((r) => r.weight > 0).sort((x, y) => (x.hash < y.hash ? -1 : x.hash > y.hash ? 1 : 0));
  const ring: number[] = new Array(m).fill(-1);
  if (reals.length === 1) return ring.fill(reals[0].id);
  const perm = reals.map((r) => permutation(r.hash, m));
  const next = reals.map(() => 0);
  const credit = reals.map(() => 0);
  const weight = reals.map((r) => r.weight);
  const most = Math.max(...weight);
  let runs = 0;
  const take = (i: number): boolean => {
    const [offset, skip] = perm[i];
    const at = (): number => ((offset + Math.imul(next[i], skip)) >>> 0) % m;
    while (ring[at()] >= 0) next[i]++;
    ring[at()] = reals[i].id;
    next[i]++;
    return ++runs === m;
  };
  for (;;) {
    for (let i = 0; i < reals.length; i++) {
      if (v2) {
        credit[i] += weight[i];
        if (credit[i] < most) continue;
        credit[i] -= most;
        if (take(i)) return ring;
      } else {
        for (let j = 0; j < weight[i]; j++) if (take(i)) return ring;
        weight[i] = 1;
      }
    }
  }
}

/** Katran's get_packet_hash: jhash_2words(address word or jhash of 16 bytes, ports word, seed). */
export function flowHash(src: Uint8Array, sport: number, dport: number, seed: number, seed6: number): number {
  let addr: number;
  if (src.length === 4) addr = le32(src, 0);
  else {
    const iv = (JHASH_IV + 16 + seed6) >>> 0;
    const [a, b, c] = jhashMix((iv + le32(src, 0)) >>> 0, (iv + le32(src, 4)) >>> 0, (iv + le32(src, 8)) >>> 0);
    addr = jhashFinal((a + le32(src, 12)) >>> 0, b, c);
  }
  // flow.ports read little-endian: the client port's two wire bytes, then the VIP port's.
  const ports = le32(Uint8Array.of(sport >> 8, sport & 255, dport >> 8, dport & 255), 0);
  const iv = (seed + JHASH_IV + 8) >>> 0;
  return jhashFinal((addr + iv) >>> 0, (ports + iv) >>> 0, iv);
}
