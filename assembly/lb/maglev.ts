// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4).
//
// Building is separate from lookup: maglevBuild() is a pure function of
// the backends' permutation parameters and weights that fills a table of M
// slots; the datapath only reads table[hash % M]. A slot holds the
// backend's position in its set's id list, in 1 byte for sets of up to 256
// backends and 2 bytes above (a set holds at most 65536): at the default
// M = 16381 a table is 16 or 32 KiB instead of 64 KiB of u32 ids, so more
// of the tables of many services stay in cache for the one slot read a new
// connection makes. Each backend i has
// a permutation offset_i + j·skip_i (mod M) over a prime M; backends take
// turns claiming their next unclaimed slot until the table is full. With
// integer weights a backend claims `weight` slots per turn.

/** Bytes per slot of a table over a set of n backends. */
// @ts-ignore: decorator
@inline export function maglevWidth(n: u32): u32 { return n <= 256 ? 1 : 2; }

/** Bytes of a table of m slots over a set of n backends. */
// @ts-ignore: decorator
@inline export function maglevBytes(m: u32, n: u32): usize { return <usize>m * maglevWidth(n); }

/** Position in the set's list held by slot k of a table over n backends. */
// @ts-ignore: decorator
@inline export function maglevSlot(table: usize, n: u32, k: u32): u32 {
  return n <= 256 ? <u32>load<u8>(table + <usize>k) : <u32>load<u16>(table + (<usize>k << 1));
}

/** The backend id for hash `h`: list[table[h % m]]. */
// @ts-ignore: decorator
@inline export function maglevPick(table: usize, list: usize, n: u32, m: u32, h: u64): u32 {
  return load<u32>(list + (<usize>maglevSlot(table, n, <u32>(h % <u64>m)) << 2));
}

/**
 * Backend i claims its next unclaimed slot, from `c` along its permutation;
 * returns where it looks next time.
 */
// @ts-ignore: decorator
@inline function claim(table: usize, wide: bool, used: usize, i: u32, c: u32, skip: u32, m: u32): u32 {
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
  if (wide) store<u16>(table + (<usize>c << 1), <u16>i);
  else store<u8>(table + <usize>c, <u8>i);
  c += skip;
  return select<u32>(c - m, c, c >= m);
}

/**
 * Fills `table` (m slots of maglevWidth(n) bytes) with backend positions 0..n-1.
 * `offsets`, `skips`, `weights` are n u32 each; `next` is n u32 of scratch;
 * `used` is a bitmap of at least ceil(m / 32) u32 words of scratch.
 * Requires m prime, n >= 1, n <= m, weights >= 1, 1 <= skip < m, offset < m.
 *
 * The search for a backend's next unclaimed slot reads a bitmap (2 KiB for
 * the default size: it stays in L1) rather than the 64 KiB table; the
 * searches near the end, when most slots are taken, are most of the work.
 */
export function maglevBuild(table: usize, m: u32, n: u32, offsets: usize, skips: usize,
                            weights: usize, next: usize, used: usize): void {
  let wide = maglevWidth(n) == 2;
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
      let c = load<u32>(next + ip);
      for (let k: u32 = 0; k < w; k++) {
        c = claim(table, wide, used, i, c, skip, m);
        if (++filled == m) return;
      }
      store<u32>(next + ip, c);
    }
  }
}

/**
 * maglevBuild with Cilium's turn rule (pkg/maglev, after Envoy's weighted
 * Maglev): turn k starts at backend k mod n; when the average weight is above
 * 1, a backend whose (k+1)·weight is below its counter passes the turn on,
 * and one that takes it adds the weight sum to its counter (which starts at
 * weight / n). The counters are f64, as Cilium's, truncated for the compare.
 * `counters` is n f64 of scratch; the other arguments as maglevBuild's.
 */
export function maglevBuildCilium(table: usize, m: u32, n: u32, offsets: usize, skips: usize,
                                  weights: usize, next: usize, used: usize, counters: usize): void {
  let wide = maglevWidth(n) == 2;
  memory.fill(used, 0, <usize>((m + 31) >>> 5) << 2);
  let sum: u64 = 0;
  for (let i: u32 = 0; i < n; i++) sum += <u64>load<u32>(weights + (<usize>i << 2));
  for (let i: u32 = 0; i < n; i++) {
    store<u32>(next + (<usize>i << 2), load<u32>(offsets + (<usize>i << 2)));
    store<f64>(counters + (<usize>i << 3), <f64>load<u32>(weights + (<usize>i << 2)) / <f64>n);
  }
  let weighted = sum / <u64>n > 1;
  for (let k: u32 = 0; k < m; k++) {
    let i = k % n;
    if (weighted) {
      while (<u64>(k + 1) * <u64>load<u32>(weights + (<usize>i << 2)) < <u64>load<f64>(counters + (<usize>i << 3))) {
        i = i + 1 == n ? 0 : i + 1;
      }
      let cp = counters + (<usize>i << 3);
      store<f64>(cp, load<f64>(cp) + <f64>sum);
    }
    let ip = <usize>i << 2;
    store<u32>(next + ip, claim(table, wide, used, i, load<u32>(next + ip), load<u32>(skips + ip), m));
  }
}

/**
 * Katran's probe: backend i at step j of its permutation looks at slot
 * (offset + j·skip) mod m, computed in u32 arithmetic that wraps, as
 * Katran's builder computes it (for large m a long search wraps, and the
 * wrapped slot is the one Katran takes). Claims the first unclaimed slot
 * from step j; returns the next step.
 */
// @ts-ignore: decorator
@inline function claimKatran(table: usize, wide: bool, used: usize, i: u32, j: u32, offset: u32, skip: u32, m: u32): u32 {
  let c = (offset + j * skip) % m;
  while (load<u32>(used + (<usize>(c >>> 5) << 2)) & (<u32>1 << (c & 31))) {
    j++;
    c = (offset + j * skip) % m;
  }
  let wp = used + (<usize>(c >>> 5) << 2);
  store<u32>(wp, load<u32>(wp) | (<u32>1 << (c & 31)));
  if (wide) store<u16>(table + (<usize>c << 1), <u16>i);
  else store<u8>(table + <usize>c, <u8>i);
  return j + 1;
}

/**
 * maglevBuild with Katran's turn rules (lib/MaglevHash.cpp, MaglevHashV2.cpp).
 * V1 (`v2` false): in the first round backend i claims weight_i slots, in every
 * later round one. V2: each turn backend i adds weight_i to its credit and,
 * when the credit reaches the largest weight, pays that and claims one slot.
 * `next` holds each backend's step; `credit` is n u32 of scratch; the other
 * arguments as maglevBuild's.
 */
export function maglevBuildKatran(table: usize, m: u32, n: u32, offsets: usize, skips: usize,
                                  weights: usize, next: usize, used: usize, credit: usize, v2: bool): void {
  let wide = maglevWidth(n) == 2;
  memory.fill(used, 0, <usize>((m + 31) >>> 5) << 2);
  memory.fill(next, 0, <usize>n << 2);
  memory.fill(credit, 0, <usize>n << 2);
  let most: u32 = 0;
  for (let i: u32 = 0; i < n; i++) most = max(most, load<u32>(weights + (<usize>i << 2)));
  let filled: u32 = 0;
  for (let round: u32 = 0; ; round++) {
    for (let i: u32 = 0; i < n; i++) {
      let ip = <usize>i << 2;
      let w = load<u32>(weights + ip);
      let turns: u32 = 1;
      if (v2) {
        let c = load<u32>(credit + ip) + w;
        turns = c >= most ? 1 : 0;
        store<u32>(credit + ip, c - turns * most);
      } else if (round == 0) {
        turns = w;
      }
      let offset = load<u32>(offsets + ip), skip = load<u32>(skips + ip);
      let j = load<u32>(next + ip);
      for (let k: u32 = 0; k < turns; k++) {
        j = claimKatran(table, wide, used, i, j, offset, skip, m);
        if (++filled == m) return;
      }
      store<u32>(next + ip, j);
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
