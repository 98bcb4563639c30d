// Watch events applied during a replay at their capture time (--updates, or events given to
// replayStream): each one through Dataplane.update, its effect on live connections reported.

import type { Dataplane } from '../dataplane.js';
import { formatProblem, type ClusterEvent, type KubeObject, type WatchEvent } from '../k8s/index.js';
import type { ApplyStats, SlotChange } from '../core/tables.js';
import type { DueSchedule } from './chunks.js';
import type { UpdateReport } from './report.js';
import { dueSchedule } from './schedule.js';

/**
 * Applies one update (Dataplane.update): only the Services it touches are recomputed and
 * reprogrammed. `at`: when it happens, for one that does not say (a live one); `nowNs`: its
 * capture time, when known (see UpdateOptions.now).
 */
export function applyUpdate(ev: ClusterEvent | WatchEvent, dp: Dataplane, note: (problem: string) => void,
                            at = 0, nowNs?: bigint): { report: UpdateReport; stats: ApplyStats | null } {
  const { problems, stats } = dp.update(ev, { audit: true, now: nowNs });
  for (const p of problems) note(formatProblem(p));
  const obj = ev.object as Partial<KubeObject> | null;
  const meta = obj?.metadata;
  const report: UpdateReport = {
    at: ev.at ?? at, type: ev.type, object: `${obj?.kind} ${meta?.namespace ? meta.namespace + '/' : ''}${meta?.name}`,
    kept: 0, orphaned: 0, wouldMove: 0, flushed: 0, services: [],
  };
  if (stats) setChanges(report, stats.changes);
  return { report, stats };
}

/** Gives an update's report its live-connection figures: each changed service port's, and their sums. */
export function setChanges(report: UpdateReport, changes: SlotChange[]): void {
  report.kept = 0; report.orphaned = 0; report.wouldMove = 0; report.flushed = 0;
  for (const c of changes) {
    report.kept += c.kept; report.orphaned += c.orphaned; report.wouldMove += c.wouldMove; report.flushed += c.flushed;
  }
  report.services = changes;
}

/**
 * The schedule a chunk walk stops at: events (with `at`, seconds after the first packet, in
 * order) applied when the first packet at or after their time comes; their reports pushed to
 * `reports`. Undefined when there are none.
 */
export function updateSchedule(events: ClusterEvent[], dp: Dataplane, note: (problem: string) => void,
                               reports: UpdateReport[]): DueSchedule | undefined {
  return dueSchedule(events.map((e) => e.at!), (i, due) => reports.push(applyUpdate(events[i]!, dp, note, 0, due).report));
}
