// --updates on --workers, the writer's side. Before the run, each timed event's effect is computed
// once, on a copy of the dataplane's view, into what every worker programs at its capture time
// (the tables Dataplane.update would program). Once the run stands, the events the workers
// applied are applied to the writer's own dataplane, as one worker applies them, and each report's
// live-connection figures are the sums of the workers' audits of their own connections. The
// addresses a backend may have at any time of the run are known here too (backendAddresses).

import type { Dataplane } from '../../dataplane.js';
import type { ClusterEvent, ClusterState, ServicePortState } from '../../k8s/index.js';
import type { SlotChange } from '../../core/tables.js';
import type { ChunkWalkResult } from '../chunks.js';
import type { UpdateReport } from '../report.js';
import { applyUpdate, setChanges } from '../updates.js';
import { dueNs } from '../schedule.js';
import type { PlannedUpdate, UpdateAudit, UpdateProgram } from './protocol.js';

/**
 * Each event's program, or why the events need one worker: the dispatch reads a service port's
 * frontends and flags (assembly/capture/shard.ts), so an event that changes a service port other
 * than by its endpoints could move a connection's packets to another worker.
 */
export function planUpdates(events: ClusterEvent[], dp: Dataplane, state: ClusterState): { updates: PlannedUpdate[] } | { oneWorker: string } {
  if (events.length === 0) return { updates: [] };
  const view = dp.forkView();
  const dispatch: Dispatch = new Map();
  sameDispatch(dispatch, state.servicePorts, null);
  const updates: PlannedUpdate[] = [];
  for (const ev of events) {
    // A copy: the event is applied to the writer's dataplane after the run.
    const change = view.apply(structuredClone(ev));
    let program: UpdateProgram = null;
    if (change.changed) {
      program = change.full ? { state: view.state() } : { ports: change.ports, services: change.services };
      if (!sameDispatch(dispatch, programPorts(program), change.full ? null : new Set(change.services))) {
        return { oneWorker: '--updates that change a Service other than by its endpoints' };
      }
    }
    updates.push({ at: ev.at!, program });
  }
  return { updates };
}

/** The service ports an update programs. */
function programPorts(program: UpdateProgram): ServicePortState[] {
  return program === null ? [] : 'state' in program ? program.state.servicePorts : program.ports;
}

/**
 * Every address a backend has at some time of the run: the endpoint sets the tables program
 * (cluster and local), initially and after each planned update. Such a client may reach itself
 * through a Service (hairpin), so the dispatch gives its connections to worker 0
 * (assembly/capture/shard-hairpin.ts).
 */
export function backendAddresses(state: ClusterState, updates: PlannedUpdate[]): string[] {
  const ips = new Set<string>();
  const add = (ports: ServicePortState[]): void => {
    for (const sp of ports) for (const b of [...sp.clusterSet, ...sp.localSet]) ips.add(b.ip);
  };
  add(state.servicePorts);
  for (const u of updates) add(programPorts(u.program));
  return [...ips];
}

const unitOf = (sp: ServicePortState) => `${sp.key}|${sp.family}`;

/** Per service port (unit, as ServiceTables keys it): its Service ("namespace/name") and what the dispatch reads of it. */
type Dispatch = Map<string, { owner: string; key: string }>;

/** What the dispatch reads of a service port: all of it but its endpoints. */
function dispatchKey(sp: ServicePortState): string {
  const { endpoints, clusterSet, localSet, ...rest } = sp;
  void endpoints; void clusterSet; void localSet;
  return JSON.stringify(rest);
}

/**
 * Replaces the service ports of the Services in `scope` ("namespace/name"; null: all) with
 * `ports`; whether nothing the dispatch reads changed.
 */
function sameDispatch(dispatch: Dispatch, ports: ServicePortState[], scope: Set<string> | null): boolean {
  const next: Dispatch = new Map();
  for (const sp of ports) if (!next.has(unitOf(sp))) next.set(unitOf(sp), { owner: `${sp.namespace}/${sp.name}`, key: dispatchKey(sp) });
  const old = new Map<string, string>();
  for (const [unit, was] of dispatch) if (!scope || scope.has(was.owner)) old.set(unit, was.key);
  for (const unit of old.keys()) dispatch.delete(unit);
  let same = old.size === next.size;
  for (const [unit, now] of next) {
    if (old.get(unit) !== now.key) same = false;
    dispatch.set(unit, now);
  }
  return same;
}

/**
 * Applies the events the workers applied (one audit list each, in order) to the writer's
 * dataplane at their capture time, as one worker does (problems noted), and returns their
 * reports with the workers' audits summed.
 */
export function applyAudited(events: ClusterEvent[], planned: PlannedUpdate[], audits: UpdateAudit[][], dp: Dataplane,
                             note: (problem: string) => void, result: ChunkWalkResult): UpdateReport[] {
  return audits.map((perWorker, k) => {
    // An update was applied: a packet was walked.
    const first = result.first!;
    const firstNs = BigInt(first.sec) * 1_000_000_000n + BigInt(first.nsec);
    const ev = events[k]!;
    const { report } = applyUpdate(ev, dp, note, 0, dueNs(firstNs, ev.at!));
    setChanges(report, summedChanges(perWorker, auditOrder(planned[k]!.program, dp)));
    return report;
  });
}

/** Slot → the place the tables audit it in (the order of the program's ports). */
function auditOrder(program: UpdateProgram, dp: Dataplane): Map<number, number> {
  const order = new Map<number, number>();
  for (const sp of programPorts(program)) {
    const slot = dp.tables.slotFor(sp.key, sp.family);
    if (slot !== undefined && !order.has(slot)) order.set(slot, order.size);
  }
  return order;
}

/** The changed service ports with live connections on any worker, their figures summed, in audit order. */
function summedChanges(perWorker: UpdateAudit[], order: Map<number, number>): SlotChange[] {
  const bySlot = new Map<number, SlotChange>();
  for (const a of perWorker) {
    a.changes.forEach((c, i) => {
      const slot = a.slots[i]!;
      const sum = bySlot.get(slot);
      if (!sum) bySlot.set(slot, { service: c.service, kept: c.kept, orphaned: c.orphaned, wouldMove: c.wouldMove, flushed: c.flushed });
      else {
        sum.kept += c.kept; sum.orphaned += c.orphaned; sum.wouldMove += c.wouldMove; sum.flushed += c.flushed;
      }
    });
  }
  const placed = (slot: number): number => {
    const at = order.get(slot);
    if (at === undefined) throw new Error('--workers: an audited service port the update did not change');
    return at;
  };
  return [...bySlot].sort((a, b) => placed(a[0]) - placed(b[0])).map(([, c]) => c);
}
