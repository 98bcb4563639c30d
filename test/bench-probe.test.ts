// The benchmarks' core-sharing probe (bench/probe.ts): how iterations are counted as disturbed
// for the noise report, and that the probe measures something. The report never removes an
// iteration from a benchmark's figures; this only checks its counting.
import { describe, expect, it } from 'vitest';
import { PROBE_QUIET, ProbeLog, describeProbe, probe, probeReport } from '../bench/probe.js';

describe('ProbeLog', () => {
  it('keeps the larger of the probes before and after each iteration', () => {
    const l = new ProbeLog();
    l.add(1000, 1800);
    l.add(1900, 1000);
    l.add(1000, 1000);
    expect(l.probes).toEqual([1800, 1900, 1000]);
    expect(l.fastest()).toBe(1000);
  });

  it('counts an iteration as disturbed when its probe is over PROBE_QUIET times the baseline', () => {
    const l = new ProbeLog();
    l.add(1000, 1050);  // quiet
    l.add(1000, 1800);  // disturbed after
    l.add(1090, 1000);  // quiet (1.09x)
    l.add(1900, 1000);  // disturbed before
    l.add(1000, 1000);  // quiet
    expect(l.disturbed(1000)).toBe(2);
    // A probe exactly at the limit is still quiet; one just over is not.
    const edge = new ProbeLog();
    edge.add(1000 * PROBE_QUIET, 1000);
    edge.add(1000 * PROBE_QUIET + 1, 1000);
    expect(edge.disturbed(1000)).toBe(1);
  });

  it('has no fastest probe before the first iteration', () => {
    expect(new ProbeLog().fastest()).toBe(Infinity);
  });
});

describe('probeReport', () => {
  it('counts over several logs against the fastest probe among them all', () => {
    const a = new ProbeLog(), b = new ProbeLog();
    a.add(1000, 1000); a.add(2000, 2000);
    b.add(1120, 1120); b.add(1050, 1000); b.add(3000, 1000);
    const r = probeReport([a, b]);
    expect(r).toEqual({ fastestNs: 1000, limitNs: 1000 * PROBE_QUIET, iterations: 5, disturbed: 3, share: 3 / 5 });
    // One log against the run's fastest probe, not its own (1050).
    expect(probeReport([b], r.fastestNs)).toMatchObject({ fastestNs: 1000, iterations: 3, disturbed: 2 });
    expect(probeReport([b])).toMatchObject({ fastestNs: 1050, disturbed: 1 });
  });

  it('reports no share when nothing was probed', () => {
    expect(probeReport([new ProbeLog()])).toMatchObject({ iterations: 0, disturbed: 0, share: 0 });
  });

  it('describes the report in one line with the share, the counts and the limit', () => {
    const l = new ProbeLog();
    for (const p of [1000, 1000, 1500, 1000]) l.add(p, p);
    expect(describeProbe(probeReport([l]), 'batches')).toBe(
      `probe: 25% of batches (1 of 4) ran while something else shared the core's caches (probe > ${PROBE_QUIET}× its fastest, 1000 ns; bench/probe.ts)`);
    expect(describeProbe(probeReport([new ProbeLog()]))).toBe('probe: no iterations probed');
  });
});

describe('probe', () => {
  it('returns a positive time (2048 dependent loads take at least a microsecond)', () => {
    const t = Math.min(probe(), probe(), probe());
    expect(t).toBeGreaterThan(1000);
    expect(Number.isFinite(t)).toBe(true);
  });
});
