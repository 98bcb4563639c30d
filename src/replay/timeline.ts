// The report's time series (for --html): the core's counters sampled at capture times between
// packets (a stop of the record walk, like an --updates event), never per packet. Points fall on a
// grid of `interval` seconds from the first packet; when there are twice `points` of them, every
// other one is dropped and the interval doubles, so a capture of any length keeps at most
// 2 × points points plus the last. Counts are cumulative, so dropping points loses nothing of
// what happened between those kept.

import type { Core } from '../core/core.js';
import type { ServiceTables } from '../core/tables.js';
import { SET_CLUSTER } from '../../assembly/abi/tables.js';
import { VERDICT_PASS, VERDICT_TRANSLATED, VERDICT_REVERSED, VERDICT_DROP, VERDICT_REJECT } from '../core/abi.js';
import type { DueSchedule } from './chunks.js';
import { mergeSchedules } from './schedule.js';
import type { ReplayReport, UpdateReport, Timeline, Load, UpdateLoad, MaglevShare } from './report.js';

/** Default number of points kept (at most twice this, plus the last). */
export const TIMELINE_POINTS = 200;
/** Service ports whose Maglev shares the report gives (the busiest). */
const MAGLEV_SHARES_MAX = 24;
/** The first grid interval: 1 ms of capture time; it doubles as the capture goes on. */
const FIRST_INTERVAL_NS = 1_000_000n;

interface Snapshot { update: number; service: string; counters: Map<string, Load> }

export class TimelineSampler implements DueSchedule {
  private readonly series: Timeline = { interval: 0, t: [], passed: [], translated: [], reversed: [], dropped: [], rejected: [], conntrack: [] };
  private intervalNs = FIRST_INTERVAL_NS;
  /** Next grid point, ns after the first packet. */
  private nextNs = FIRST_INTERVAL_NS;
  private readonly snapshots: Snapshot[] = [];

  private readonly points: number;

  constructor(private readonly core: Core, private readonly tables: ServiceTables, points = TIMELINE_POINTS) {
    this.points = Math.max(2, Math.floor(points));
  }

  /**
   * The stops of a replay with this timeline: the samples and `updates` (the schedule of --updates
   * events, which appends each one's report to `reports`) in time order; each update's changed
   * service ports are snapshotted as it is applied.
   */
  schedule(updates: DueSchedule | undefined, reports: UpdateReport[]): DueSchedule {
    const observed: DueSchedule | undefined = updates && {
      nextDue: (first) => updates.nextDue(first),
      applyDue: (first, now) => {
        const from = reports.length;
        updates.applyDue(first, now);
        for (let i = from; i < reports.length; i++) this.noteUpdate(i, reports[i]!);
      },
    };
    return mergeSchedules(observed, this)!;
  }

  nextDue(firstNs: bigint): bigint | null {
    return firstNs + this.nextNs;
  }

  applyDue(firstNs: bigint, nowNs: bigint): void {
    if (firstNs + this.nextNs > nowNs) return;
    // No packet ran between the grid points up to now: one reading serves them all.
    const row = this.read();
    while (firstNs + this.nextNs <= nowNs) {
      this.push(Number(this.nextNs) / 1e9, row);
      this.nextNs += this.intervalNs;
      if (this.series.t.length >= 2 * this.points) this.halve();
    }
  }

  /**
   * After an update was applied: the counters of the backends of every service port it changed
   * (no packet runs during an update, so they are also the counters just before it).
   */
  private noteUpdate(index: number, update: UpdateReport): void {
    for (const s of update.services) this.snapshots.push({ update: index, service: s.service, counters: this.backendLoads(s.service) });
  }

  /**
   * Adds the timeline's parts to the report of the replay: `timeline`, each update's `load` and,
   * with Maglev, the busiest service ports' `maglev` slots. `lastNs`: the last packet's time after
   * the first (null: no packet).
   */
  complete(report: ReplayReport, lastNs: bigint | null): void {
    report.timeline = this.timeline(lastNs);
    const loads = this.updateLoads(report.updates.length);
    report.updates.forEach((u, i) => { u.load = loads[i]; });
    if (this.core.options.lb === 'maglev') {
      const busiest = report.services.filter((s) => s.packets > 0).sort((a, b) => b.packets - a.packets).slice(0, MAGLEV_SHARES_MAX);
      report.maglev = this.maglevShares(busiest.map((s) => s.service));
    }
  }

  /** The series up to the last packet (ns after the first; null: no packet). */
  private timeline(lastNs: bigint | null): Timeline {
    const s = this.series;
    const result: Timeline = {
      interval: Number(this.intervalNs) / 1e9, t: s.t.slice(), passed: s.passed.slice(), translated: s.translated.slice(),
      reversed: s.reversed.slice(), dropped: s.dropped.slice(), rejected: s.rejected.slice(), conntrack: s.conntrack.slice(),
    };
    // The last point: every packet counted, at the last packet's time.
    if (lastNs !== null) appendRow(result, Math.max(Number(lastNs) / 1e9, result.t[result.t.length - 1] ?? 0), this.read());
    return result;
  }

  /** Each update's changed service ports with their backends' load before and after it. */
  private updateLoads(updates: number): UpdateLoad[][] {
    const out: UpdateLoad[][] = Array.from({ length: updates }, () => []);
    const end = new Map<string, Map<string, Load>>();
    const prev = new Map<string, Map<string, Load>>();
    for (const snap of this.snapshots) {
      if (!end.has(snap.service)) end.set(snap.service, this.backendLoads(snap.service));
    }
    this.snapshots.forEach((snap, i) => {
      const next = this.snapshots.slice(i + 1).find((s) => s.service === snap.service)?.counters ?? end.get(snap.service)!;
      const before = prev.get(snap.service);
      prev.set(snap.service, snap.counters);
      const backends = [...snap.counters.keys()].map((name) => ({
        backend: name,
        before: minus(snap.counters.get(name)!, before?.get(name)),
        after: minus(next.get(name)!, snap.counters.get(name)),
      }));
      backends.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
      out[snap.update]!.push({ service: snap.service, backends });
    });
    return out;
  }

  /** Maglev slots per backend of the named service ports (those whose table was built). */
  private maglevShares(services: string[]): MaglevShare[] {
    const e = this.core.exports;
    const out: MaglevShare[] = [];
    for (const service of services) {
      const slots = new Map<number, number>();
      let total = 0;
      for (const slot of this.slotsOf(service)) {
        const ptr = e.maglevTableOf(slot, SET_CLUSTER);
        if (ptr === 0) continue;
        const m = this.core.options.maglevSize;
        const ids = new Uint32Array(e.memory.buffer, ptr, m);
        for (const id of ids) slots.set(id, (slots.get(id) ?? 0) + 1);
        total += m;
      }
      if (total === 0) continue;
      const backends = [...slots].map(([id, n]) => ({ backend: this.tables.backendNames[id]!, slots: n }));
      backends.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
      out.push({ service, slots: total, backends });
    }
    return out;
  }

  private slotsOf(service: string): number[] {
    const slots: number[] = [];
    this.tables.slotNames.forEach((name, slot) => { if (name === service) slots.push(slot); });
    return slots;
  }

  /** Per backend name (a name is one family's: the slots of a service's families hold different names). */
  private backendLoads(service: string): Map<string, Load> {
    const loads = new Map<string, Load>();
    for (const slot of this.slotsOf(service)) {
      for (const [name, [packets, , connections]] of this.tables.backendLoads(slot)) loads.set(name, { packets, connections });
    }
    return loads;
  }

  private read(): number[] {
    const v = this.core.verdictCounts();
    return [v[VERDICT_PASS]!, v[VERDICT_TRANSLATED]!, v[VERDICT_REVERSED]!, v[VERDICT_DROP]!, v[VERDICT_REJECT]!, this.core.conntrack().entries];
  }

  private push(t: number, row: number[]): void {
    appendRow(this.series, t, row);
  }

  /** Keeps the points on the doubled grid (the 2nd, 4th, ...). */
  private halve(): void {
    const keep = <T>(a: T[]): T[] => a.filter((_, i) => i % 2 === 1);
    const s = this.series;
    s.t = keep(s.t); s.passed = keep(s.passed); s.translated = keep(s.translated); s.reversed = keep(s.reversed);
    s.dropped = keep(s.dropped); s.rejected = keep(s.rejected); s.conntrack = keep(s.conntrack);
    this.intervalNs *= 2n;
    // Every grid point is kept until a halving (gaps included): the next is the one after the last.
    this.nextNs = BigInt(s.t.length + 1) * this.intervalNs;
  }
}

function appendRow(s: Timeline, t: number, row: number[]): void {
  s.t.push(t);
  s.passed.push(row[0]!); s.translated.push(row[1]!); s.reversed.push(row[2]!); s.dropped.push(row[3]!); s.rejected.push(row[4]!);
  s.conntrack.push(row[5]!);
}

function minus(a: Load | undefined, b: Load | undefined): Load {
  return { packets: (a?.packets ?? 0) - (b?.packets ?? 0), connections: (a?.connections ?? 0) - (b?.connections ?? 0) };
}
