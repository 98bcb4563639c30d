// Bob Jenkins' lookup3 mixing as the Linux kernel's jhash.h has it (jhash_3words,
// __jhash_mix, __jhash_final), written by hand for svcplane: Cilium's datapath
// hashes a flow with it to pick the Maglev slot.

export const JHASH_INITVAL: u32 = 0xdeadbeef;

/** The words jhashMix left. */
export let ja: u32 = 0;
export let jb: u32 = 0;
export let jc: u32 = 0;

/** __jhash_mix of (a, b, c); the result is in ja, jb, jc. */
export function jhashMix(a: u32, b: u32, c: u32): void {
  a -= c; a ^= rotl<u32>(c, 4); c += b;
  b -= a; b ^= rotl<u32>(a, 6); a += c;
  c -= b; c ^= rotl<u32>(b, 8); b += a;
  a -= c; a ^= rotl<u32>(c, 16); c += b;
  b -= a; b ^= rotl<u32>(a, 19); a += c;
  c -= b; c ^= rotl<u32>(b, 4); b += a;
  ja = a; jb = b; jc = c;
}

/** __jhash_final over (a, b, c): returns c. */
export function jhashFinal(a: u32, b: u32, c: u32): u32 {
  c ^= b; c -= rotl<u32>(b, 14);
  a ^= c; a -= rotl<u32>(c, 11);
  b ^= a; b -= rotl<u32>(a, 25);
  c ^= b; c -= rotl<u32>(b, 16);
  a ^= c; a -= rotl<u32>(c, 4);
  b ^= a; b -= rotl<u32>(a, 14);
  c ^= b; c -= rotl<u32>(b, 24);
  return c;
}

/** jhash_3words(a, b, c, initval). */
export function jhash3words(a: u32, b: u32, c: u32, initval: u32): u32 {
  let iv = initval + JHASH_INITVAL + (3 << 2);
  return jhashFinal(a + iv, b + iv, c + iv);
}

/** jhash_2words(a, b, initval). */
export function jhash2words(a: u32, b: u32, initval: u32): u32 {
  let iv = initval + JHASH_INITVAL + (2 << 2);
  return jhashFinal(a + iv, b + iv, iv);
}

/** jhash(key, 16, initval) of the 16 bytes at `p`, words read little-endian. */
export function jhash16(p: usize, initval: u32): u32 {
  let iv = JHASH_INITVAL + 16 + initval;
  jhashMix(iv + load<u32>(p), iv + load<u32>(p, 4), iv + load<u32>(p, 8));
  return jhashFinal(ja + load<u32>(p, 12), jb, jc);
}
