// Katran's Maglev (docs/maglev-compat.md, "Katran"): a real's permutation from
// its 64-bit hash (lib/MaglevBase.cpp) and the datapath's hash of a new flow
// (bpf/balancer.bpf.c get_packet_hash). The fills are in maglev.ts.

import { murmur3x64_64 } from './murmur3';
import { jhash2words, jhash16 } from './jhash';

// MaglevBase's fixed constants: the second word and the seed of the offset's
// and of the skip's MurmurHash3_x64_64.
const OFFSET_WORD: u64 = 42;
const OFFSET_SEED: u32 = 0;
const SKIP_WORD: u64 = 2718281828;
const SKIP_SEED: u32 = 2307;

/** Permutation of the last katranPermutation call. */
export let katranOffset: u32 = 0;
export let katranSkip: u32 = 0;

/** Offset and skip over an m-slot ring of the real whose Endpoint.hash is `hash`. */
export function katranPermutation(hash: u64, m: u32): void {
  katranOffset = <u32>(murmur3x64_64(hash, OFFSET_WORD, OFFSET_SEED) % <u64>m);
  katranSkip = <u32>(murmur3x64_64(hash, SKIP_WORD, SKIP_SEED) % <u64>(m - 1)) + 1;
}

/** A raw big-endian 16-bit field as a little-endian load reads it. */
// @ts-ignore: decorator
@inline function wire16(port: u32): u32 { return <u32>bswap<u16>(<u16>port); }

/**
 * Katran's hash of a new flow: jhash_2words of the client address (IPv6:
 * jhash of its 16 bytes under `seed6` first) and the ports word, under
 * `seed`. Not the protocol, not the destination address. The ports word is
 * flow.ports read little-endian: client port low, VIP port high, in wire
 * order; the client port is 0 for a VIP with F_HASH_NO_SRC_PORT. Ports here
 * in host order.
 */
export function katranFlowHash(family: u32, src: usize, sport: u32, dport: u32, seed: u32, seed6: u32): u32 {
  let ports = (wire16(dport) << 16) | wire16(sport);
  let addr = family == 4 ? load<u32>(src) : jhash16(src, seed6);
  return jhash2words(addr, ports, seed);
}
