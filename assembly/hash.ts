// Seeded hashing of flow keys and backend identities. Same seed and same
// input give the same value on every instance (Maglev consistency across
// nodes depends on it).

const K1: u64 = 0x9e3779b97f4a7c15;
const K2: u64 = 0xbf58476d1ce4e5b9;
const K3: u64 = 0x94d049bb133111eb;

/** The seed of every hash, set once at init from --hash-seed. */
export let hashSeed: u64 = 0x5ca1ab1e5eed;
export function setHashSeed(s: u64): void { hashSeed = s; }

// @ts-ignore: decorator
@inline export function mix(h: u64, v: u64): u64 {
  h = (h ^ v) * K1;
  return h ^ (h >> 29);
}

/** Final avalanche (splitmix64's finaliser). */
// @ts-ignore: decorator
@inline export function finish(h: u64): u64 {
  h = (h ^ (h >> 30)) * K2;
  h = (h ^ (h >> 27)) * K3;
  return h ^ (h >> 31);
}

/**
 * Hash of a 5-tuple held in 16-byte address slots. The three products are
 * independent (they run in parallel in the CPU), then one finishing round
 * mixes them: this runs twice per packet on the hot path.
 */
// @ts-ignore: decorator
@inline export function hashTuple(src: usize, dst: usize, sport: u32, dport: u32, proto: u32, seed: u64): u64 {
  let a = (load<u64>(src) ^ rotl<u64>(load<u64>(src, 8), 23) ^ seed) * K1;
  let b = (load<u64>(dst) ^ rotl<u64>(load<u64>(dst, 8), 41)) * K2;
  let c = ((<u64>sport << 32) | (<u64>dport << 16) | <u64>proto) * K3;
  let h = a ^ rotl<u64>(b, 21) ^ rotl<u64>(c, 42);
  h = (h ^ (h >> 31)) * K1;
  return h ^ (h >> 29);
}

/**
 * hashTuple of an IPv4 key from its two addresses as raw u32 loads: an
 * IPv4 slot holds the address in its first 4 bytes and zeros after, so the
 * upper halves drop out and the value is the same (the fast path and the
 * general path must find the same conntrack index slot).
 */
// @ts-ignore: decorator
@inline export function hashTuple4(src: u32, dst: u32, sport: u32, dport: u32, proto: u32, seed: u64): u64 {
  let a = (<u64>src ^ seed) * K1;
  let b = <u64>dst * K2;
  let c = ((<u64>sport << 32) | (<u64>dport << 16) | <u64>proto) * K3;
  let h = a ^ rotl<u64>(b, 21) ^ rotl<u64>(c, 42);
  h = (h ^ (h >> 31)) * K1;
  return h ^ (h >> 29);
}

/**
 * Hash of an address slot plus a small word for table keys (frontends):
 * three independent products and one finishing round, like hashTuple,
 * so a lookup waits for two multiplies instead of five.
 */
// @ts-ignore: decorator
@inline export function hashKey(addr: usize, word: u64, seed: u64): u64 {
  let a = (load<u64>(addr) ^ seed) * K1;
  let b = load<u64>(addr, 8) * K2;
  let c = (word ^ 0x5bd1e995) * K3;
  let h = a ^ rotl<u64>(b, 21) ^ rotl<u64>(c, 42);
  h = (h ^ (h >> 31)) * K1;
  return h ^ (h >> 29);
}

/** Hash of an address slot plus a small word (backend identity). */
// @ts-ignore: decorator
@inline export function hashAddrWord(addr: usize, word: u64, seed: u64): u64 {
  let h = mix(seed, load<u64>(addr));
  h = mix(h, load<u64>(addr, 8));
  h = mix(h, word);
  return finish(h);
}
