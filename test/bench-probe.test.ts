// The benchmarks' core-sharing probe (bench/probe.ts): which iterations count
// as undisturbed, and that the probe measures something.
import { describe, expect, it } from 'vitest';
import { Gated, PROBE_QUIET, probe } from '../bench/probe.js';

describe('Gated', () => {
  it('keeps only iterations whose probes before and after were both within PROBE_QUIET of the baseline', () => {
    const g = new Gated();
    // ns per packet, probe before, probe after
    g.add(40, 1000, 1050);  // undisturbed
    g.add(70, 1000, 1800);  // disturbed after
    g.add(44, 1090, 1000);  // undisturbed (1.09x)
    g.add(75, 1900, 1000);  // disturbed before
    g.add(42, 1000, 1000);  // undisturbed
    expect(g.fastestProbe()).toBe(1000);
    expect(g.undisturbed(1000)).toEqual({ median: 42, count: 3 });
    // A probe exactly at the limit still counts; one just over does not.
    const edge = new Gated();
    edge.add(10, 1000 * PROBE_QUIET, 1000);
    edge.add(20, 1000 * PROBE_QUIET + 1, 1000);
    expect(edge.undisturbed(1000)).toEqual({ median: 10, count: 1 });
  });

  it('takes the mean of the two middle values for an even count, and reports none when nothing qualifies', () => {
    const g = new Gated();
    for (const ns of [50, 10, 30, 20]) g.add(ns, 500, 500);
    expect(g.undisturbed(500)).toEqual({ median: 25, count: 4 });
    const none = new Gated();
    none.add(10, 900, 900);
    const r = none.undisturbed(500);
    expect(r.count).toBe(0);
    expect(r.median).toBeNaN();
  });

  it('clear() forgets every sample', () => {
    const g = new Gated();
    g.add(1, 1, 1);
    g.clear();
    expect(g.ns).toEqual([]);
    expect(g.fastestProbe()).toBe(Infinity);
  });
});

describe('probe', () => {
  it('returns a positive time (2048 dependent loads take at least a microsecond)', () => {
    const t = Math.min(probe(), probe(), probe());
    expect(t).toBeGreaterThan(1000);
    expect(Number.isFinite(t)).toBe(true);
  });
});
