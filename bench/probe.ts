// A probe that tells whether this process has its CPU core to itself.
//
// This VM's vCPUs are hyperthreads of physical cores shared with other
// tenants. In stretches of 20 ms to minutes the other thread of our core
// runs memory-heavy work, and then everything that lives in our caches,
// L1 included, gets slower (1.3-1.9x), while plain arithmetic does not
// (RESULTS.md, "The slow mode"). The probe is a pointer chase through
// 128 cache lines (8 KiB, one random cycle through all of them): a lap to
// bring the lines in, then 16 timed laps, which on an undisturbed core hit
// L1 at every step. Next to 4096-packet batches of the established path
// (probe-check.ts; bench/RESULTS.md): the probe was within 10% of its
// fastest before 96% of the fast batches and 7% of the slow ones, where a
// multiply chain could not tell them apart (99% and 95%).
// Run just before and just after a timed iteration (outside its timing),
// it says whether that iteration ran on an undisturbed core.
//
// Benchmarks report both the median of all iterations and the median of
// those the probe found undisturbed (both probes within PROBE_QUIET of
// the fastest probe of the run), with their count.

import { performance } from 'node:perf_hooks';
import { rng } from './cluster.js';

const LINES = 128;
/** Timed laps: about 3.5 µs on an undisturbed core. */
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

/** A probe time at most this factor over the run's fastest probe counts as undisturbed. */
export const PROBE_QUIET = 1.1;

/** Samples (ns per packet) with the probe around each: the larger of the two probes. */
export class Gated {
  ns: number[] = [];
  probes: number[] = [];
  add(ns: number, before: number, after: number): void {
    this.ns.push(ns);
    this.probes.push(before > after ? before : after);
  }
  clear(): void { this.ns.length = 0; this.probes.length = 0; }
  fastestProbe(): number {
    let m = Infinity;
    for (const p of this.probes) if (p < m) m = p;
    return m;
  }
  /** Median ns of the samples whose probe was within PROBE_QUIET of `baseline`, and how many there were. */
  undisturbed(baseline: number): { median: number; count: number } {
    const q = this.ns.filter((_, i) => this.probes[i] <= baseline * PROBE_QUIET).sort((a, b) => a - b);
    if (q.length === 0) return { median: NaN, count: 0 };
    const mid = q.length >> 1;
    return { median: q.length % 2 ? q[mid] : (q[mid - 1] + q[mid]) / 2, count: q.length };
  }
}

/** Keeps the probe's result alive so the chase is not optimized away. */
export function probeSink(): number { return sink; }
