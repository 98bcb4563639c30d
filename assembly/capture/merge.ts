// --workers: the writer's merge. Each worker's output stream holds the bytes it wrote for its
// units, in unit order, and its unit table says how many (or UNIT_FOREIGN); the merge copies
// each unit's bytes from its owner, so the output is in file order (abi/walk.ts).

import { UNIT_FOREIGN } from '../abi/walk';

/** No worker owns a unit: the tables do not belong together. */
export const MERGE_BAD: u32 = 0xffffffff;

/**
 * Merges `units` units of `n` workers to `out`. `table` holds per worker its stream's address
 * (u32, advanced as it is read) and its unit table's address (u32). Returns the bytes written,
 * or MERGE_BAD.
 */
export function walkMerge(n: u32, units: u32, table: usize, out: usize): u32 {
  let o = out;
  for (let u: u32 = 0; u < units; u++) {
    let w: u32 = 0;
    for (; w < n; w++) {
      let t = table + (<usize>w << 3);
      let size = load<u32>(<usize>load<u32>(t, 4) + (<usize>u << 2));
      if (size == UNIT_FOREIGN) continue;
      let src = <usize>load<u32>(t);
      memory.copy(o, src, size);
      store<u32>(t, <u32>(src + size));
      o += size;
      break;
    }
    if (w == n) return MERGE_BAD;
  }
  return <u32>(o - out);
}
