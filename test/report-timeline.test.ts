// The report's timeline (--html): counters sampled at capture times, never per packet. The same
// inputs give the same timeline whichever path ran them (chunks of any size, the per-packet path);
// the last point is the report's totals; the series stays bounded over any span of capture time;
// the updates' before/after loads add up to the service port's traffic.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay, type ReplayOptions } from '../src/replay/replay.js';
import type { ReplayReport } from '../src/replay/report.js';
import { REPO, tempDir } from './helpers/cli.js';
import { demoUpdates } from './helpers/replay-cases.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';

const dir = tempDir('svcplane-timeline-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const updates = path.join(dir, 'updates.jsonl');
fs.writeFileSync(updates, demoUpdates());
const DEMO: ReplayOptions = {
  capture: path.join(REPO, 'pcaps', 'demo.pcapng'), cluster: [path.join(REPO, 'pcaps', 'demo-cluster.yaml')], node: 'node-a',
  nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'], updates, timeline: true,
};
const charted = (r: ReplayReport) => ({ timeline: r.timeline, maglev: r.maglev, updates: r.updates });

describe('the timeline of a replay', () => {
  const report = replay(DEMO);

  it('is the same from chunks of any size and from the per-packet path', () => {
    expect(report.timeline!.t.length).toBeGreaterThan(100);
    expect(charted(replay({ ...DEMO, readBytes: 4096 }))).toEqual(charted(report));
    expect(charted(replay({ ...DEMO, perPacket: true }))).toEqual(charted(report));
  });

  it('counts up to the report: cumulative, on a grid of its interval, the last point at the last packet', () => {
    const tl = report.timeline!;
    const n = tl.t.length;
    for (const v of ['passed', 'translated', 'reversed', 'dropped', 'rejected'] as const) {
      expect(tl[v]).toHaveLength(n);
      expect(tl[v][n - 1], v).toBe(report.packets[v]);
      for (let i = 1; i < n; i++) expect(tl[v][i]!).toBeGreaterThanOrEqual(tl[v][i - 1]!);
    }
    expect(tl.conntrack[n - 1]).toBe(report.conntrack.entries);
    expect(Math.max(...tl.conntrack)).toBeLessThanOrEqual(report.conntrack.peak);
    tl.t.slice(0, -1).forEach((t, i) => expect(t).toBeCloseTo((i + 1) * tl.interval, 9));
    expect(tl.t[n - 1]).toBeCloseTo(report.capture.lastTimestamp! - report.capture.firstTimestamp!, 6);
  });

  it('with 8 points asked: at most 16 and the last, the interval doubled as needed', () => {
    const r = replay({ ...DEMO, timeline: 8 });
    const tl = r.timeline!;
    expect(tl.t.length).toBeLessThanOrEqual(17);
    expect(tl.t.length).toBeGreaterThanOrEqual(9);
    // 9.55 s of capture from a 1 ms grid: doubled to 1.024 s (16 points would reach 16 s).
    expect(tl.interval).toBe(1.024);
    expect(tl.translated[tl.t.length - 1]).toBe(r.packets.translated);
    // The points kept are those of the full-resolution run at the same times.
    const fine = report.timeline!;
    tl.t.slice(0, -1).forEach((t, i) => {
      const j = fine.t.findIndex((x) => Math.abs(x - t) < 1e-9);
      if (j >= 0) expect(tl.translated[i]).toBe(fine.translated[j]);
    });
  });

  it("updates: each changed service port's backends before and after, adding up to its traffic", () => {
    const [u1, u2] = report.updates;
    const web = (u: typeof u1) => u!.load!.find((l) => l.service === 'default/web:http')!;
    const sum = (u: typeof u1, k: 'before' | 'after', what: 'connections' | 'packets') => web(u).backends.reduce((n, b) => n + b[k][what], 0);
    const total = report.services.find((s) => s.service === 'default/web:http')!;
    for (const what of ['connections', 'packets'] as const) {
      expect(sum(u1, 'before', what) + sum(u1, 'after', what) + sum(u2, 'after', what), what).toBe(total[what]);
      expect(sum(u1, 'after', what)).toBe(sum(u2, 'before', what));
    }
    const backend = (u: typeof u1, b: string) => web(u).backends.find((x) => x.backend === b)!;
    // 10.244.2.6 leaves at the first update: no new connection after it; 10.244.1.50 joins at the second.
    expect(backend(u1, '10.244.2.6:8080').before.connections).toBeGreaterThan(0);
    expect(backend(u1, '10.244.2.6:8080').after.connections).toBe(0);
    expect(backend(u2, '10.244.1.50:8080').before.connections).toBe(0);
    expect(backend(u2, '10.244.1.50:8080').after.connections).toBeGreaterThan(0);
  });

  it("Maglev: each busy service port's table slots per backend add up to the table size", () => {
    expect(report.maglev!.map((m) => m.service).sort()).toEqual(report.services.filter((s) => s.packets > 0).map((s) => s.service).sort());
    for (const m of report.maglev!) {
      expect(m.backends.reduce((n, b) => n + b.slots, 0), m.service).toBe(m.slots);
      expect(m.slots % 16381).toBe(0);
    }
    const web = report.maglev!.find((m) => m.service === 'default/web:http')!;
    expect(web.backends.map((b) => b.backend).sort()).toEqual(['10.244.1.5:8080', '10.244.1.50:8080', '10.244.2.7:8080'].sort());
  });

  it('is not in the report unless asked for', () => {
    const r = replay({ ...DEMO, timeline: undefined });
    expect(r.timeline).toBeUndefined();
    expect(r.maglev).toBeUndefined();
    expect(r.updates[0]!.load).toBeUndefined();
  });

  it('stays bounded over a day of capture time with a gap of hours', () => {
    const frame = (sport: number) => buildPacket({ proto: 'TCP', src: '10.244.1.20', dst: '10.96.0.10', sport, dport: 80, flags: 0x02 });
    const times = [0, 0.0005, 0.002, 1, 2, 7200, 86_400];
    const file = path.join(dir, 'day.pcap');
    fs.writeFileSync(file, concat(pcapHeader(), ...times.map((t, i) => pcapRecord({ sec: 1000 + Math.floor(t), frac: Math.round((t % 1) * 1e6), data: frame(40000 + i) }))));
    const r = replay({ ...DEMO, capture: file, updates: undefined, timeline: 50 });
    const tl = r.timeline!;
    expect(tl.t.length).toBeLessThanOrEqual(101);
    expect(tl.t[tl.t.length - 1]).toBe(86_400);
    expect(tl.translated[tl.t.length - 1]).toBe(times.length);
    // The point before the last packet counts the six before it.
    expect(tl.translated[tl.t.length - 2]).toBe(6);
  });
});
