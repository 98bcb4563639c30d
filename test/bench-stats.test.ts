// The benchmarks' summaries (bench/stats.ts): median, p10, p90 and min–max over every sample,
// by linear interpolation between ranks, and nothing dropped.
import { describe, expect, it } from 'vitest';
import { quantile, scaleSummary, summarize } from '../bench/stats.js';

describe('quantile', () => {
  it('interpolates linearly between the two nearest ranks of sorted samples', () => {
    const s = [10, 20, 30, 40, 50];
    expect(quantile(s, 0)).toBe(10);
    expect(quantile(s, 1)).toBe(50);
    expect(quantile(s, 0.5)).toBe(30);
    expect(quantile(s, 0.1)).toBeCloseTo(14, 12);  // rank 0.4: 10 + 0.4 * (20 - 10)
    expect(quantile(s, 0.9)).toBeCloseTo(46, 12);  // rank 3.6
    expect(quantile([10, 20, 30, 40], 0.5)).toBe(25);  // even count: mean of the two middle samples
    expect(quantile([7], 0.1)).toBe(7);
  });

  it('refuses no samples and quantiles outside 0..1', () => {
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
    expect(() => quantile([1, 2], 1.5)).toThrow(/within 0..1/);
    expect(() => quantile([1, 2], Number.NaN)).toThrow(/within 0..1/);
  });
});

describe('summarize', () => {
  it('summarises every sample, in any order, without changing the input', () => {
    const samples = [50, 10, 40, 30, 20, 1000];  // one slow outlier stays in
    const copy = [...samples];
    const x = summarize(samples);
    expect(samples).toEqual(copy);
    expect(x.n).toBe(6);
    expect(x.min).toBe(10);
    expect(x.max).toBe(1000);
    expect(x.median).toBe(35);
    expect(x.p10).toBeCloseTo(15, 12);   // rank 0.5
    expect(x.p90).toBeCloseTo(525, 12);  // rank 4.5: 50 + 0.5 * (1000 - 50)
    expect(x.mean).toBeCloseTo(1150 / 6, 12);
  });

  it('sorts numerically, not as text', () => {
    expect(summarize([9, 100, 20]).median).toBe(20);
  });

  it('takes typed arrays and refuses no samples', () => {
    expect(summarize(new Float64Array([3, 1, 2])).median).toBe(2);
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('scaleSummary', () => {
  it('scales every figure but the count (ms per batch of 4096 to ns per packet)', () => {
    const x = scaleSummary(summarize([0.2048, 0.4096]), 1e6 / 4096);
    expect(x.n).toBe(2);
    expect(x.min).toBeCloseTo(50, 9);
    expect(x.max).toBeCloseTo(100, 9);
    expect(x.median).toBeCloseTo(75, 9);
    expect(x.mean).toBeCloseTo(75, 9);
  });
});
