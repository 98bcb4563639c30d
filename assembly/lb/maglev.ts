// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4).
//
// Building is separate from lookup: build() is a pure function of the
// backends' permutation parameters and weights that fills a table of M
// backend ids; the datapath only reads table[hash % M]. Each backend i has
// a permutation offset_i + j·skip_i (mod M) over a prime M; backends take
// turns claiming their next unclaimed slot until the table is full. With
// integer weights a backend claims `weight` slots per turn.

/**
 * Fills `table` (m u32 slots) with values from `ids` (n u32 backend ids).
 * `offsets`, `skips`, `weights` are n u32 each; `next` is n u32 of scratch;
 * `used` is a bitmap of at least ceil(m / 32) u32 words of scratch.
 * Requires m prime, n >= 1, n <= m, weights >= 1, 1 <= skip < m, offset < m.
 *
 * The search for a backend's next unclaimed slot reads a bitmap (2 KiB for
 * the default size: it stays in L1) rather than the 64 KiB table; the
 * searches near the end, when most slots are taken, are most of the work.
 */
export function maglevBuild(table: usize, m: u32, ids: usize, n: u32, offsets: usize, skips: usize,
                            weights: usize, next: usize, used: usize): void {
  memory.fill(used, 0, <usize>((m + 31) >>> 5) << 2);
  // next[i] is the slot backend i looks at next: offset_i + j·skip_i, advanced
  // by adding skip modulo m instead of multiplying.
  for (let i: u32 = 0; i < n; i++) store<u32>(next + (<usize>i << 2), load<u32>(offsets + (<usize>i << 2)));
  let filled: u32 = 0;
  while (true) {
    for (let i: u32 = 0; i < n; i++) {
      let ip = <usize>i << 2;
      let w = load<u32>(weights + ip);
      let skip = load<u32>(skips + ip);
      let id = load<u32>(ids + ip);
      let c = load<u32>(next + ip);
      for (let k: u32 = 0; k < w; k++) {
        // The permutation visits every slot once (m prime, 0 < skip < m), so an
        // unclaimed slot is always found while the table is not full.
        while (load<u32>(used + (<usize>(c >>> 5) << 2)) & (<u32>1 << (c & 31))) {
          // Branch-free wrap: with skips spread over [1, m) the wrap happens about
          // every other step, which a branch predictor cannot guess.
          c += skip;
          c = select<u32>(c - m, c, c >= m);
        }
        let wp = used + (<usize>(c >>> 5) << 2);
        store<u32>(wp, load<u32>(wp) | (<u32>1 << (c & 31)));
        store<u32>(table + (<usize>c << 2), id);
        c += skip;
        c = select<u32>(c - m, c, c >= m);
        if (++filled == m) return;
      }
      store<u32>(next + ip, c);
    }
  }
}

/** Whether m is prime (trial division; m is at most a few million). */
export function isPrime(m: u32): bool {
  if (m < 2) return false;
  if (m % 2 == 0) return m == 2;
  for (let d: u32 = 3; <u64>d * d <= <u64>m; d += 2) if (m % d == 0) return false;
  return true;
}
