// Stops of a replay at capture times: --updates events and timeline samples share the one stop the
// record walk (and the per-packet path) offers, merged here in time order.

import type { DueSchedule } from './chunks.js';

/** The capture time (ns) of an event `at` seconds after the first packet. */
export function dueNs(firstNs: bigint, at: number): bigint {
  return firstNs + BigInt(Math.round(at * 1e9));
}

/**
 * Events at `times` (seconds after the first packet, in order), each applied by `apply(i, due)`
 * when the first packet at or after its time comes. Undefined when there are none.
 */
export function dueSchedule(times: readonly number[], apply: (i: number, dueNs: bigint) => void): DueSchedule | undefined {
  if (times.length === 0) return undefined;
  let next = 0;
  return {
    nextDue: (first) => (next < times.length ? dueNs(first, times[next]!) : null),
    applyDue: (first, now) => {
      while (next < times.length && dueNs(first, times[next]!) <= now) {
        const due = dueNs(first, times[next]!);
        apply(next++, due);
      }
    },
  };
}

/** One schedule that runs both in time order; undefined when neither is given. */
export function mergeSchedules(a: DueSchedule | undefined, b: DueSchedule | undefined): DueSchedule | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return {
    nextDue: (first) => earlier(a.nextDue(first), b.nextDue(first)),
    applyDue: (first, now) => {
      // Whichever falls due first goes first, so an update sees the samples before it taken.
      for (;;) {
        const da = a.nextDue(first);
        const db = b.nextDue(first);
        const next = earlier(da, db);
        if (next === null || next > now) return;
        if (next === da) a.applyDue(first, da);
        else b.applyDue(first, db!);
      }
    },
  };
}

function earlier(x: bigint | null, y: bigint | null): bigint | null {
  if (x === null) return y;
  if (y === null) return x;
  return x <= y ? x : y;
}
