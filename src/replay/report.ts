// The --report / --json document (format in docs/cli.md) and the
// tcpreplay-style summary printed at the end of a replay.

import type { Core } from '../core/core.js';
import type { ServiceTables } from '../core/tables.js';
import type { Dataplane } from '../dataplane.js';
import { VERDICT_NAMES, REASON_NAMES } from '../core/abi.js';
import { readCounters, type Counters, type ServiceReport } from '../core/counters.js';
import { linkTypeName } from '../capture/linktypes.js';
import type { ChunkWalkResult } from './chunks.js';

// The timeline's parts of the report (timeline.ts samples them).
/** Cumulative packets per verdict and conntrack entries at capture times. */
export interface Timeline {
  /** Seconds between grid points (the last point is the last packet's time). */
  interval: number;
  /** Capture seconds from the first packet. */
  t: number[];
  passed: number[]; translated: number[]; reversed: number[]; dropped: number[]; rejected: number[];
  conntrack: number[];
}

/** Traffic of one backend over a window of capture time. */
export interface Load { packets: number; connections: number }
/** One changed service port around an update: each backend's load since the previous change and until the next. */
export interface UpdateLoad { service: string; backends: { backend: string; before: Load; after: Load }[] }
/** Slots each backend holds in a service port's Maglev table (its expected share of new connections). */
export interface MaglevShare { service: string; slots: number; backends: { backend: string; slots: number }[] }

export type { BackendReport, ServiceReport, Counters } from '../core/counters.js';
export interface UpdateReport {
  at: number; type: string; object: string;
  /** Live connections of the changed service ports whose backend is still in their set. */
  kept: number;
  /** Live connections whose backend left the set (they keep their translation). */
  orphaned: number;
  /** Of the changed service ports' live connections, how many a new connection with the same tuple would now send elsewhere. */
  wouldMove: number;
  /** UDP entries flushed (rule 24). */
  flushed: number;
  /** The same per changed service port. */
  services: { service: string; kept: number; orphaned: number; wouldMove: number; flushed: number }[];
  /** With a timeline: each changed service port's backends, their load before and after the update. */
  load?: UpdateLoad[];
}
export interface ReplayReport extends Counters {
  seconds: number;
  packetsPerSecond: number;
  /** Beyond the spec's fields: bytes in and out, generated packets, capture facts. */
  bytes: { in: number; out: number };
  generated: number;
  capture: { file: string; format: string; linkTypes: string[]; firstTimestamp: number | null; lastTimestamp: number | null };
  updates: UpdateReport[];
  problems: string[];
  /** With ReplayOptions.timeline (--html): counters over capture time. */
  timeline?: Timeline;
  /** With a timeline and Maglev: the busiest service ports' table slots per backend. */
  maglev?: MaglevShare[];
}

export function buildReport(core: Core, tables: ServiceTables, base: Omit<ReplayReport, keyof Counters>): ReplayReport {
  return { ...readCounters(core, tables), ...base };
}

/** The report of a chunked replay (a file or a stream) started at `started` (performance.now()). */
export function walkReport(dp: Dataplane, r: ChunkWalkResult,
                           run: { file: string; updates: UpdateReport[]; problems: string[]; started: number }): ReplayReport {
  const seconds = (performance.now() - run.started) / 1000;
  return buildReport(dp.core, dp.tables, {
    seconds,
    packetsPerSecond: seconds > 0 ? r.packets / seconds : 0,
    bytes: { in: r.bytesIn, out: r.bytesOut },
    generated: r.generated,
    capture: {
      file: run.file, format: r.format, linkTypes: r.linkTypes.map(linkTypeName),
      firstTimestamp: r.first ? r.first.sec + r.first.nsec / 1e9 : null,
      lastTimestamp: r.last ? r.last.sec + r.last.nsec / 1e9 : null,
    },
    updates: run.updates,
    problems: run.problems,
  });
}

const partials = new WeakMap<object, ReplayReport>();

/** The report of what was replayed before an async replay was aborted, from the error it threw. */
export function partialReport(err: unknown): ReplayReport | undefined {
  return typeof err === 'object' && err !== null ? partials.get(err) : undefined;
}

/** Attaches the report of the packets replayed so far to the error an abort threw. */
export function keepPartial(err: unknown, report: ReplayReport): void {
  if (typeof err === 'object' && err !== null) partials.set(err, report);
}

/** Service ports the summary names one by one; the others with traffic are counted in one line. */
export const SUMMARY_SERVICES = 10;

/**
 * The `n` service ports with the most packets (ties by name), in that order, and what the other
 * service ports with traffic add up to.
 */
export function busiestServices(r: Pick<ReplayReport, 'services'>, n: number): { top: ServiceReport[]; rest: { count: number; packets: number; connections: number } } {
  const busy = r.services.filter((s) => s.packets > 0)
    .sort((a, b) => b.packets - a.packets || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  const rest = { count: 0, packets: 0, connections: 0 };
  for (const s of busy.slice(n)) {
    rest.count++; rest.packets += s.packets; rest.connections += s.connections;
  }
  return { top: busy.slice(0, n), rest };
}

/** Human summary in the style of tcpreplay's closing lines. */
export function formatSummary(r: ReplayReport): string {
  const secs = r.seconds;
  const bps = secs > 0 ? r.bytes.in / secs : 0;
  const lines = [
    `Actual: ${r.packets.in} packets (${r.bytes.in} bytes) replayed in ${secs.toFixed(2)} seconds`,
    `Rated: ${bps.toFixed(1)} Bps, ${((bps * 8) / 1e6).toFixed(2)} Mbps, ${r.packetsPerSecond.toFixed(2)} pps`,
    `Verdicts: ${VERDICT_NAMES.map((n, i) => `${n} ${[r.packets.passed, r.packets.translated, r.packets.reversed, r.packets.dropped, r.packets.rejected][i]}`).join(', ')}`,
  ];
  const drops = Object.entries(r.drops).sort((a, b) => REASON_NAMES.indexOf(a[0]) - REASON_NAMES.indexOf(b[0]));
  if (drops.length) lines.push(`Drops and rejects: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`Conntrack: ${r.conntrack.entries} entries, peak ${r.conntrack.peak}, evicted ${r.conntrack.evicted}`);
  const { top, rest } = busiestServices(r, SUMMARY_SERVICES);
  for (const s of top) {
    const be = s.backends.filter((b) => b.connections > 0 || b.packets > 0).map((b) => `${b.backend} ${b.connections}`).join(', ');
    lines.push(`Service ${s.service}: ${s.packets} packets, ${s.connections} connections${be ? ` (${be})` : ''}`);
  }
  if (rest.count > 0) {
    lines.push(`... and ${rest.count} more service port${rest.count === 1 ? '' : 's'} (${rest.packets} packets, ${rest.connections} connections)`);
  }
  for (const u of r.updates) {
    lines.push(`Update at ${u.at}s ${u.type} ${u.object}: ${u.kept} connections kept their backend, ${u.orphaned} keep a removed one, ${u.wouldMove} would now go elsewhere, ${u.flushed} UDP entries flushed`);
  }
  return lines.join('\n');
}
