// Stops of a replay at capture times: --updates events and timeline samples share the one stop the
// record walk (and the per-packet path) offers, merged here in time order.

import type { DueSchedule } from './chunks.js';

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
