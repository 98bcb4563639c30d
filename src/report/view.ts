// What the HTML report's charts draw, derived from a replay report: bounded in size whatever the
// cluster (the busiest service ports, the first updates), rates from the cumulative timeline.
// Pure and free of Node: the static page computes the same from a report made in the browser.

import type { ReplayReport, UpdateReport } from '../replay/report.js';
import { busiestServices } from '../replay/report.js';
import { REASON_NAMES } from '../core/abi.js';

/** Service ports in the services chart; the rest are counted in one line. */
export const CHART_SERVICES = 12;
/** Service ports given a backends chart. */
export const CHART_BACKEND_SERVICES = 6;
/** Backends per chart (the busiest); the rest are counted. */
export const CHART_BACKENDS = 32;
/** Updates given a chart of their effect (all are in the table, up to UPDATE_ROWS). */
export const CHART_UPDATES = 8;
export const UPDATE_ROWS = 200;

export const VERDICTS = ['translated', 'reversed', 'passed', 'dropped', 'rejected'] as const;

export interface ReportView {
  /** Per-verdict packets a second over each interval that ends at t[i]. */
  rates: { t: number[]; series: Record<typeof VERDICTS[number], number[]> } | null;
  conntrack: { t: number[]; entries: number[] } | null;
  /** Updates on the time axis. */
  marks: { at: number; label: string }[];
  drops: { reason: string; packets: number }[];
  services: { service: string; packets: number; connections: number }[];
  otherServices: { count: number; packets: number; connections: number };
  backends: BackendChart[];
  updates: UpdateChart[];
}

export interface BackendChart {
  service: string;
  /** Per backend: connections, packets, expected share of new connections (Maglev slots / table size; null: no table). */
  rows: { backend: string; connections: number; packets: number; expected: number | null }[];
  others: number;
}

export interface UpdateChart {
  index: number; at: number; label: string; service: string;
  rows: { backend: string; before: number; after: number; beforePackets: number; afterPackets: number }[];
}

export function reportView(r: ReplayReport): ReportView {
  const { top, rest } = busiestServices(r, CHART_SERVICES);
  const marks = r.updates.slice(0, UPDATE_ROWS).map((u) => ({ at: u.at, label: updateLabel(u) }));
  const drops = Object.entries(r.drops)
    .sort((a, b) => REASON_NAMES.indexOf(a[0]) - REASON_NAMES.indexOf(b[0]))
    .map(([reason, packets]) => ({ reason, packets }));
  return {
    rates: r.timeline ? rates(r.timeline) : null,
    conntrack: r.timeline ? { t: r.timeline.t, entries: r.timeline.conntrack } : null,
    marks,
    drops,
    services: top.map((s) => ({ service: s.service, packets: s.packets, connections: s.connections })),
    otherServices: rest,
    backends: top.slice(0, CHART_BACKEND_SERVICES).map((s) => backendChart(r, s.service)),
    updates: updateCharts(r),
  };
}

export function updateLabel(u: UpdateReport): string {
  return `${u.at}s ${u.type} ${u.object}`;
}

function rates(tl: NonNullable<ReplayReport['timeline']>): NonNullable<ReportView['rates']> {
  const series = Object.fromEntries(VERDICTS.map((v) => [v, [] as number[]])) as Record<typeof VERDICTS[number], number[]>;
  let prevT = 0;
  tl.t.forEach((t, i) => {
    const dt = t - prevT;
    for (const v of VERDICTS) {
      const d = tl[v][i]! - (i > 0 ? tl[v][i - 1]! : 0);
      series[v].push(dt > 0 ? d / dt : 0);
    }
    prevT = t;
  });
  return { t: tl.t, series };
}

function backendChart(r: ReplayReport, service: string): BackendChart {
  const s = r.services.find((x) => x.service === service)!;
  const table = r.maglev?.find((m) => m.service === service);
  const slots = new Map(table?.backends.map((b) => [b.backend, b.slots]));
  const all = s.backends
    .filter((b) => b.packets > 0 || b.connections > 0 || slots.has(b.backend))
    .map((b) => ({
      backend: b.backend, connections: b.connections, packets: b.packets,
      expected: table ? (slots.get(b.backend) ?? 0) / table.slots : null,
    }));
  all.sort((a, b) => b.packets - a.packets || (a.backend < b.backend ? -1 : 1));
  const rows = all.slice(0, CHART_BACKENDS).sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
  return { service, rows, others: all.length - rows.length };
}

function updateCharts(r: ReplayReport): UpdateChart[] {
  const out: UpdateChart[] = [];
  for (const [index, u] of r.updates.entries()) {
    for (const l of u.load ?? []) {
      if (out.length >= CHART_UPDATES) return out;
      const rows = l.backends
        .filter((b) => b.before.packets > 0 || b.after.packets > 0 || b.before.connections > 0 || b.after.connections > 0)
        .slice(0, CHART_BACKENDS)
        .map((b) => ({ backend: b.backend, before: b.before.connections, after: b.after.connections,
                       beforePackets: b.before.packets, afterPackets: b.after.packets }));
      out.push({ index, at: u.at, label: updateLabel(u), service: l.service, rows });
    }
  }
  return out;
}
