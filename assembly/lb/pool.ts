// Blocks for backend lists and Maglev tables, recycled through free lists
// by size class so a long replay with many updates does not grow memory.
// Used only by the control plane.

import { tryRegion } from '../config';
import { POOL_CLASSES } from '../abi/capacity';

const CLASSES: u32 = POOL_CLASSES;
/** Free-list heads per class (class k holds blocks of 4·2^k bytes). */
const heads: usize = memory.data(CLASSES * 4, 4);

/** The smallest k with 2^k >= words (words >= 1). */
function classOf(words: u32): u32 {
  return words <= 1 ? 0 : 32 - clz(words - 1);
}

/**
 * A block of at least `words` u32, or 0 for none (also when it is larger
 * than the largest class or linear memory is full). The word before it holds
 * its size class; the word before that is a flag for the block's owner
 * (cleared on every allocation).
 */
export function poolAlloc(words: u32): usize {
  if (words == 0) return 0;
  let k = classOf(words);
  if (k >= CLASSES) return 0;
  let head = load<u32>(heads + (<usize>k << 2));
  if (head != 0) {
    store<u32>(heads + (<usize>k << 2), load<u32>(<usize>head));
    store<u32>(<usize>head - 8, 0);
    return <usize>head;
  }
  let r = tryRegion((<usize>4 << k) + 8);
  if (r == 0) return 0;
  let p = r + 8;
  store<u32>(p - 4, k);
  return p;
}

export function poolFree(p: usize): void {
  if (p == 0) return;
  let k = load<u32>(p - 4);
  store<u32>(p, load<u32>(heads + (<usize>k << 2)));
  store<u32>(heads + (<usize>k << 2), <u32>p);
}

/** The owner's flag word of a block. */
// @ts-ignore: decorator
@inline export function blockFlag(p: usize): u32 { return load<u32>(p - 8); }
// @ts-ignore: decorator
@inline export function setBlockFlag(p: usize, v: u32): void { store<u32>(p - 8, v); }
