// --updates: endpoint changes applied mid-replay at their capture time. New
// connections go only to backends valid at their time; established ones keep
// theirs; the report says what each update meant for live connections.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { replay } from '../src/replay/replay.js';
import { tsharkFields, hasTshark } from './helpers/tshark.js';

const CLUSTER = 'pcaps/demo-cluster.yaml';
const CAPTURE = 'pcaps/demo.pcapng';

/** The web-2xk7p EndpointSlice of the demo cluster, as an object to edit. */
function webSlice(): Record<string, any> {
  const list = parseDocument(readFileSync(CLUSTER, 'utf8')).toJS() as { items: Record<string, any>[] };
  return structuredClone(list.items.find((o) => o.kind === 'EndpointSlice' && o.metadata.name === 'web-2xk7p')!);
}

describe.skipIf(!hasTshark())('replay with --updates', () => {
  let trace: Record<string, any>[];
  let times: number[];
  let report: ReturnType<typeof replay>;
  const dir = mkdtempSync(join(tmpdir(), 'svcplane-updates-'));

  let T1 = 0, T2 = 0;
  beforeAll(() => {
    times = tsharkFields(CAPTURE, ['frame.time_relative']).rows.map((r) => Number(r[0]));
    // Without updates: find a connection to 10.244.2.6 with packets spread in
    // time, and remove that endpoint in its middle, so it has to survive it.
    const basePath = join(dir, 'base.jsonl');
    replay({ capture: CAPTURE, cluster: [CLUSTER], node: 'node-a', trace: basePath });
    const base = readFileSync(basePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const span = new Map<string, [number, number]>();
    for (const l of base) {
      if (l.backend !== '10.244.2.6:8080' || l.verdict !== 'translated') continue;
      const t = times[l.index];
      const sp = span.get(l.in);
      span.set(l.in, sp ? [sp[0], t] : [t, t]);
    }
    const [a, b] = [...span.values()].sort((x, y) => (y[1] - y[0]) - (x[1] - x[0]))[0];
    T1 = (a + b) / 2;
    T2 = T1 + 2;
    // T1: 10.244.2.6 leaves (only 10.244.1.5 stays in this slice); T2: 10.244.1.50 joins.
    const s1 = webSlice();
    s1.endpoints = s1.endpoints.filter((e: any) => e.addresses[0] !== '10.244.2.6');
    const s2 = structuredClone(s1);
    s2.endpoints.push({ ...structuredClone(s1.endpoints[0]), addresses: ['10.244.1.50'], nodeName: 'node-a' });
    const updates = join(dir, 'updates.jsonl');
    writeFileSync(updates, [
      JSON.stringify({ at: T1, type: 'MODIFIED', object: s1 }),
      JSON.stringify({ at: T2, type: 'MODIFIED', object: s2 }),
    ].join('\n') + '\n');
    const tracePath = join(dir, 'trace.jsonl');
    report = replay({ capture: CAPTURE, cluster: [CLUSTER], node: 'node-a', updates, trace: tracePath });
    trace = readFileSync(tracePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  });

  it('each new connection went to a backend valid at its time', () => {
    const valid = (t: number) => t < T1 ? ['10.244.1.5:8080', '10.244.2.6:8080', '10.244.2.7:8080']
      : t < T2 ? ['10.244.1.5:8080', '10.244.2.7:8080'] : ['10.244.1.5:8080', '10.244.2.7:8080', '10.244.1.50:8080'];
    const firstOf = new Map<string, number>();
    for (const l of trace) if (l.service === 'default/web:http' && l.verdict === 'translated' && !firstOf.has(l.in)) firstOf.set(l.in, l.index);
    expect(firstOf.size).toBeGreaterThan(100);
    let after6 = 0;
    for (const [, index] of firstOf) {
      const l = trace[index];
      expect(valid(times[index])).toContain(l.backend);
      if (times[index] >= T2 && l.backend === '10.244.1.50:8080') after6++;
    }
    expect(after6).toBeGreaterThan(0);
  });

  it('established connections kept their backend, including ones to the removed endpoint', () => {
    const backendOf = new Map<string, string>();
    let keptRemoved = 0;
    for (const l of trace) {
      if (l.service !== 'default/web:http' || l.verdict !== 'translated') continue;
      const prev = backendOf.get(l.in);
      if (prev) expect(l.backend).toBe(prev);
      else backendOf.set(l.in, l.backend);
      if (l.backend === '10.244.2.6:8080' && times[l.index] >= T1) keptRemoved++;
    }
    expect(keptRemoved).toBeGreaterThan(0);
  });

  it('the report counts, per update, connections kept, left on a removed backend, and that would now move', () => {
    expect(report.updates).toHaveLength(2);
    const [u1, u2] = report.updates;
    expect(u1.object).toBe('EndpointSlice default/web-2xk7p');
    expect(u1.kept + u1.orphaned).toBeGreaterThan(0);
    expect(u1.orphaned).toBeGreaterThan(0);
    expect(u1.wouldMove).toBeGreaterThanOrEqual(u1.orphaned);
    // Entries left on 10.244.2.6 (live or closing, e.g. TIME_WAIT) are still there; no new ones.
    expect(u2.orphaned).toBeLessThanOrEqual(u1.orphaned + u1.kept);
    expect(u2.kept).toBeGreaterThan(0);
    expect(u1.flushed).toBe(0); // TCP is never flushed (rule 24)
  });
});
