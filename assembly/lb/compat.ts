// Which load balancer's Maglev svcplane reproduces (--maglev-compat): its own
// (the flow hash picks the slot; offsets and skips from its seeded hash of a
// backend's address and port), Cilium's or Katran's (docs/maglev-compat.md). Set once
// after init, before any backend is registered; tables built at commit and the
// per-packet slot choice both read it.

import { MAGLEV_COMPAT_SVCPLANE, MAGLEV_COMPAT_CILIUM, MAGLEV_COMPAT_KATRAN, MAGLEV_COMPAT_KATRAN_V2 } from '../abi/tables';
import { murmur3x64_128, murmurH1, murmurH2 } from './murmur3';
import { jhash3words, jhashMix, jhashFinal, ja, jb, jc } from './jhash';
import { katranFlowHash } from './katran';

export let maglevCompat: u32 = MAGLEV_COMPAT_SVCPLANE;
/**
 * The seeds: Cilium's three, from the 12 bytes of bpf-lb-maglev-hash-seed (big-endian words);
 * Katran's two jhash seeds (INIT_JHASH_SEED, INIT_JHASH_SEED_V6) in the jhash words.
 */
let seedMurmur: u32 = 0;
let seedJhash4: u32 = 0;
let seedJhash6: u32 = 0;

/** Whether the mode is one of Katran's (tables from each real's 64-bit hash). */
// @ts-ignore: decorator
@inline export function katranMode(): bool { return maglevCompat >= <u32>MAGLEV_COMPAT_KATRAN; }

/** Selects the mode; false for an unknown one. */
export function setMaglevCompat(mode: u32, murmur: u32, jhash4: u32, jhash6: u32): bool {
  if (mode > <u32>MAGLEV_COMPAT_KATRAN_V2) return false;
  maglevCompat = mode;
  seedMurmur = murmur; seedJhash4 = jhash4; seedJhash6 = jhash6;
  return true;
}

/** Permutation of the last identityPermutation call. */
export let permOffset: u32 = 0;
export let permSkip: u32 = 0;

/**
 * Cilium's offset and skip of a backend over an m-slot table, from its identity
 * string (`len` bytes at `p`): the two halves of its seeded murmur3.
 */
export function identityPermutation(p: usize, len: u32, m: u32): void {
  murmur3x64_128(p, len, seedMurmur);
  permOffset = <u32>(murmurH1 % <u64>m);
  permSkip = <u32>(murmurH2 % <u64>(m - 1)) + 1;
}

/** A raw big-endian 16-bit field as a little-endian load reads it (Cilium's HASH_WORD16_LE). */
// @ts-ignore: decorator
@inline function wire16(port: u32): u32 { return <u32>bswap<u16>(<u16>port); }

/**
 * Cilium's datapath hash of a new flow (bpf/lib/hash.h): the client address,
 * the service port and the client port (0 under ClientIP affinity), the
 * protocol; not the destination address. Address words are the wire bytes read
 * little-endian, ports in host order here.
 */
export function ciliumFlowHash(family: u32, proto: u32, src: usize, sport: u32, dport: u32): u32 {
  let ports = (wire16(dport) << 16) | wire16(sport);
  if (family == 4) return jhash3words(load<u32>(src), ports, proto, seedJhash4);
  jhashMix(load<u32>(src), load<u32>(src, 4), load<u32>(src, 8));
  jhashMix(ja + load<u32>(src, 12), jb + ports, jc + proto);
  return jhashFinal(ja + seedJhash6, jb, jc);
}

/** Katran's datapath hash of a flow under the seeds setMaglevCompat was given. */
export function katranFlowHashSeeded(family: u32, src: usize, sport: u32, dport: u32): u32 {
  return katranFlowHash(family, src, sport, dport, seedJhash4, seedJhash6);
}

/**
 * The hash whose value modulo M is a new connection's Maglev slot: the flow
 * hash `h` (svcplane), or Cilium's or Katran's datapath hash of the flow.
 * ClientIP affinity leaves the client port out (Katran: F_HASH_NO_SRC_PORT).
 */
// @ts-ignore: decorator
@inline export function maglevHash(h: u64, family: u32, proto: u32, src: usize, sport: u32, dport: u32, affinity: bool): u64 {
  if (maglevCompat == MAGLEV_COMPAT_SVCPLANE) return h;
  if (maglevCompat == MAGLEV_COMPAT_CILIUM) return <u64>ciliumFlowHash(family, proto, src, affinity ? 0 : sport, dport);
  return <u64>katranFlowHashSeeded(family, src, affinity ? 0 : sport, dport);
}
