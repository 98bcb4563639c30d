// A probe that tells whether this process had its CPU core to itself while
// an iteration ran: a noise report printed next to a benchmark's figures.
//
// On a VM whose vCPUs are hyperthreads of physical cores shared with other
// tenants, the other thread of our core can run memory-heavy work, and then
// everything that lives in our caches, L1 included, gets slower, while plain
// arithmetic does not. The probe is a pointer chase through 128 cache lines
// (8 KiB, one random cycle through all of them): a lap to bring the lines
// in, then 16 timed laps, which on an undisturbed core hit L1 at every step,
// so its time rises only when something else uses the core's caches (another
// tenant on the sibling thread, or another thread of this process there).
// `node dist/bench/probe-check.js` shows how well it separates fast and
// slow batches on the machine at hand.
//
// Run just before and just after each timed iteration (outside its timing),
// it says whether that iteration ran while the core was shared. Benchmarks
// report how many did, so a reader knows how noisy the machine was; their
// figures are over all iterations regardless.

import { performance } from 'node:perf_hooks';
import { rng } from './cluster.js';

const LINES = 128;
/** Timed laps: 2048 dependent loads. */
const LAPS = 16;
/** 32-bit words per 64-byte cache line: the chase uses the first word of each line. */
const STRIDE = 16;
const chase = new Uint32Array(LINES * STRIDE);
{
  // Sattolo's algorithm: a random permutation that is a single cycle.
  const order = new Uint32Array(LINES);
  for (let i = 0; i < LINES; i++) order[i] = i;
  const next = rng(0x51ab1e);
  for (let i = LINES - 1; i > 0; i--) {
    const j = next() % i;
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  // order is a cycle as a permutation: entry i leads to order[i].
  for (let i = 0; i < LINES; i++) chase[i * STRIDE] = order[i] * STRIDE;
}
let sink = 0;

function lap(): number {
  let j = 0;
  // Each load's address is the previous load's value: one at a time, nothing to overlap.
  for (let i = 0; i < LINES; i++) j = chase[j];
  return j;
}

/** Nanoseconds of LAPS laps over lines that the lap before brought in. */
export function probe(): number {
  sink ^= lap();
  const t0 = performance.now();
  for (let k = 0; k < LAPS; k++) sink ^= lap();
  return (performance.now() - t0) * 1e6;
}

/** A probe more than this factor over the run's fastest probe counts as disturbed. */
export const PROBE_QUIET = 1.1;

/** The probes around each timed iteration of one task: the larger of the two per iteration. */
export class ProbeLog {
  readonly probes: number[] = [];
  add(before: number, after: number): void {
    this.probes.push(before > after ? before : after);
  }
  fastest(): number {
    let m = Infinity;
    for (const p of this.probes) if (p < m) m = p;
    return m;
  }
  /** Iterations whose probe was over PROBE_QUIET × `baseline`. */
  disturbed(baseline: number): number {
    let n = 0;
    for (const p of this.probes) if (p > baseline * PROBE_QUIET) n++;
    return n;
  }
}

/** How many iterations of a run ran on a shared core. */
export interface ProbeReport {
  /** The fastest probe of the run (ns): the probe's time on an undisturbed core. */
  fastestNs: number;
  /** Probes over this (ns) count as disturbed: PROBE_QUIET × fastestNs. */
  limitNs: number;
  iterations: number;
  disturbed: number;
  /** disturbed / iterations (0 when there were none). */
  share: number;
}

/**
 * The report over some logs of one run, relative to `fastestNs`: by default the fastest probe
 * among these logs; give the run's fastest to report one task of it.
 */
export function probeReport(logs: readonly ProbeLog[], fastestNs = Math.min(...logs.map((l) => l.fastest()))): ProbeReport {
  let iterations = 0, disturbed = 0;
  for (const l of logs) {
    iterations += l.probes.length;
    disturbed += l.disturbed(fastestNs);
  }
  return { fastestNs, limitNs: fastestNs * PROBE_QUIET, iterations, disturbed, share: iterations ? disturbed / iterations : 0 };
}

/** One line for under a table: "probe: 37% of iterations (…) ran while something else shared the core (…)". */
export function describeProbe(r: ProbeReport, what = 'iterations'): string {
  if (r.iterations === 0) return `probe: no ${what} probed`;
  return `probe: ${(100 * r.share).toFixed(0)}% of ${what} (${r.disturbed} of ${r.iterations}) ran while something else shared the core's caches ` +
    `(probe > ${PROBE_QUIET}× its fastest, ${r.fastestNs.toFixed(0)} ns; bench/probe.ts)`;
}

/** Keeps the probe's result alive so the chase is not optimized away. */
export function probeSink(): number { return sink; }
