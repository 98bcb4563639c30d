// Summaries of benchmark samples. Every iteration counts: the median says where
// the run was, p10 and min–max say how far it spread; nothing is filtered out.

/** Median, spread and mean of a set of samples, in the samples' unit. */
export interface Summary {
  /** Samples summarised. */
  n: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of `sorted` (ascending), interpolated linearly between the two
 * nearest ranks (R's type 7, numpy's default): q = 0 is the minimum, 1 the maximum, and the
 * median of an even count is the mean of the two middle samples.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantile of no samples');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile ${q}: must be within 0..1`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Sorts a copy of `samples` and summarises it; throws when there are none. */
export function summarize(samples: ArrayLike<number>): Summary {
  const s = Float64Array.from(samples).sort();
  if (s.length === 0) throw new Error('summary of no samples');
  let sum = 0;
  for (const x of s) sum += x;
  return {
    n: s.length,
    min: s[0],
    p10: quantile(s, 0.1),
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    max: s[s.length - 1],
    mean: sum / s.length,
  };
}

/** Every field of `s` multiplied by `k` (a unit change: ms per batch to ns per packet), `n` kept. */
export function scaleSummary(s: Summary, k: number): Summary {
  return { n: s.n, min: s.min * k, p10: s.p10 * k, median: s.median * k, p90: s.p90 * k, max: s.max * k, mean: s.mean * k };
}
