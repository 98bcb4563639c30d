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

/** Hash of a 5-tuple held in 16-byte address slots. */
// @ts-ignore: decorator
@inline export function hashTuple(src: usize, dst: usize, sport: u32, dport: u32, proto: u32, seed: u64): u64 {
  let h = mix(seed, load<u64>(src));
  h = mix(h, load<u64>(src, 8));
  h = mix(h, load<u64>(dst));
  h = mix(h, load<u64>(dst, 8));
  h = mix(h, (<u64>sport << 32) | (<u64>dport << 16) | <u64>proto);
  return finish(h);
}

/** Hash of an address slot plus a small word (backend identity, frontend keys). */
// @ts-ignore: decorator
@inline export function hashAddrWord(addr: usize, word: u64, seed: u64): u64 {
  let h = mix(seed, load<u64>(addr));
  h = mix(h, load<u64>(addr, 8));
  h = mix(h, word);
  return finish(h);
}
