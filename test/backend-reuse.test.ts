// Backend ids are reused once --max-backends is used up: an id of a removed backend is taken back
// when no endpoint set holds it and no connection uses it (connections expired at the update's
// capture time are deleted first). Nothing of the old backend reaches the new one: not its
// connections, not its ClientIP affinity, not its counters, which the report keeps under its name.

import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataplane } from '../src/dataplane.js';
import { CapacityError } from '../src/core/errors.js';
import { parseObjectsText } from '../src/k8s/index.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
const NS_PER_S = 1_000_000_000n;
const DAY_NS = 86_400n * NS_PER_S * 3n;

const service = (affinity: boolean) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
  spec: {
    type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    ...(affinity ? { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86400 } } } : {}),
  },
});
const slice = (hosts: number[]) => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  endpoints: hosts.map((h) => ({ addresses: [`10.244.1.${h}`], conditions: { ready: true } })),
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});
const syn = (client: number, sport: number) =>
  buildPacket({ proto: 'TCP', src: `10.244.9.${client}`, dst: '10.96.0.10', sport, dport: 80, flags: 0x02 });

function dataplane(hosts: number[], affinity = false, maxBackends = 4): Dataplane {
  const objects = parseObjectsText(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service(affinity), slice(hosts)] }), 'cluster.json').objects;
  return new Dataplane({ ...NODE, objects, maxBackends, roomForUpdates: false });
}

/** Opens one connection per client at `time` seconds; the backend each got. */
function open(dp: Dataplane, clients: number[], time: number, sport = 40000): string[] {
  return dp.process(clients.map((c) => ({ data: syn(c, sport), time }))).map((r) => r.backend ?? '-');
}

const webBackends = (dp: Dataplane) =>
  Object.fromEntries(dp.counters().services.find((s) => s.service === 'default/web:http')!.backends.map((b) => [b.backend, b.connections]));

describe('backend ids reused when --max-backends is used up', () => {
  it('an id still used by a live connection is not reused: the update is refused as before', () => {
    const dp = dataplane([1, 2]);
    open(dp, [1, 2, 3, 4], 1);
    dp.update({ type: 'MODIFIED', object: slice([3, 4]) }, { now: 2n * NS_PER_S });
    // Ids 0 and 1 (hosts 1, 2) are out of every set but their connections (SYN_SENT) are live at 3 s.
    expect(() => dp.update({ type: 'MODIFIED', object: slice([5, 6]) }, { now: 3n * NS_PER_S })).toThrow(CapacityError);
    // Without a capture time nothing expires either.
    expect(() => dp.update({ type: 'MODIFIED', object: slice([5, 6]) })).toThrow(CapacityError);
  });

  it('once their connections expired, the ids go to new backends; the report keeps the old ones', () => {
    const dp = dataplane([1, 2]);
    const first = open(dp, [1, 2, 3, 4, 5, 6, 7, 8], 1);
    expect(new Set(first)).toEqual(new Set(['10.244.1.1:8080', '10.244.1.2:8080']));
    dp.update({ type: 'MODIFIED', object: slice([3, 4]) }, { now: 2n * NS_PER_S });
    open(dp, [1, 2, 3], 3, 41000);
    const evictedBefore = dp.counters().conntrack.evicted;
    const { stats, problems } = dp.update({ type: 'MODIFIED', object: slice([5, 6]) }, { now: DAY_NS });
    expect(problems).toEqual([]);
    expect(stats!.changedSets).toBe(1);
    // The eight connections of hosts 1 and 2 had expired: deleted so that their ids could go.
    expect(dp.counters().conntrack.evicted - evictedBefore).toBe(8);
    const later = open(dp, [1, 2, 3, 4, 5, 6, 7, 8], Number(DAY_NS / NS_PER_S) + 1, 42000);
    expect(new Set(later)).toEqual(new Set(['10.244.1.5:8080', '10.244.1.6:8080']));
    // Each backend counted once, under its own name: the reused ids start from zero.
    const counted = webBackends(dp);
    expect(counted['10.244.1.1:8080']! + counted['10.244.1.2:8080']!).toBe(8);
    expect(counted['10.244.1.3:8080']! + counted['10.244.1.4:8080']!).toBe(3);
    expect(counted['10.244.1.5:8080']! + counted['10.244.1.6:8080']!).toBe(8);
    expect(dp.counters().services.find((s) => s.service === 'default/web:http')!.connections).toBe(19);
  });

  it('a backend coming back after its id went to another gets an id of its own', () => {
    const dp = dataplane([1, 2]);
    dp.update({ type: 'MODIFIED', object: slice([3, 4]) }, { now: NS_PER_S });
    dp.update({ type: 'MODIFIED', object: slice([5, 6]) }, { now: 2n * NS_PER_S }); // ids 0, 1 reused
    dp.update({ type: 'MODIFIED', object: slice([1, 5]) }, { now: 3n * NS_PER_S }); // host 1 back: id 2 or 3
    const got = open(dp, Array.from({ length: 64 }, (_, i) => i + 1), 4);
    expect(new Set(got)).toEqual(new Set(['10.244.1.1:8080', '10.244.1.5:8080']));
  });

  it('a client pinned by ClientIP affinity to a removed backend is not pinned to the id\'s next backend', () => {
    const clients = Array.from({ length: 40 }, (_, i) => i + 1);
    const dp = dataplane([1, 2], true);
    open(dp, clients, 1);
    dp.update({ type: 'MODIFIED', object: slice([3, 4]) }, { now: 2n * NS_PER_S });
    // At 1000 s the connections (SYN_SENT, 120 s) have expired, the affinity entries (a day) have not.
    dp.update({ type: 'MODIFIED', object: slice([3, 5]) }, { now: 1000n * NS_PER_S }); // host 5 takes a reclaimed id
    const t = 1001;
    const reused = open(dp, clients, t, 43000);
    // A dataplane that never saw hosts 1 and 2 chooses the same: the old pins are forgotten.
    const fresh = dataplane([3, 5], true);
    expect(reused).toEqual(open(fresh, clients, t, 43000));
    expect(new Set(reused)).toEqual(new Set(['10.244.1.3:8080', '10.244.1.5:8080']));
  });
});

describe('svcplane replay --updates with pods replaced over and over', () => {
  beforeAll(() => ensureBuilt());

  it('runs past --max-backends: the ids of gone pods are reused at the updates\' capture times', () => {
    // Ten rounds 1000 s apart: each round's update replaces both pods, then four clients connect.
    // The previous round's connections (SYN_SENT, 120 s) have expired when the next update comes.
    const dir = mkdtempSync(join(tmpdir(), 'svcplane-reuse-'));
    const records: Uint8Array[] = [pcapHeader()];
    const updates: string[] = [];
    for (let round = 0; round < 10; round++) {
      if (round > 0) updates.push(JSON.stringify({ at: 1000 * round - 500, type: 'MODIFIED', object: slice([2 * round + 1, 2 * round + 2]) }));
      for (let c = 1; c <= 4; c++) records.push(pcapRecord({ sec: 1 + 1000 * round, frac: c, data: syn(c, 40000 + round) }));
    }
    const capture = join(dir, 'churn.pcap');
    writeFileSync(capture, concat(...records));
    const cluster = join(dir, 'cluster.json');
    writeFileSync(cluster, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service(false), slice([1, 2])] }));
    const updatesFile = join(dir, 'updates.jsonl');
    writeFileSync(updatesFile, updates.join('\n') + '\n');
    const r = runCli(['replay', capture, '-c', cluster, '--node', 'node-a', '--node-ip', '192.168.49.2', '--cluster-cidr', '10.244.0.0/16',
      '--updates', updatesFile, '--max-backends', '4', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.packets.translated).toBe(40);
    const web = report.services.find((s: { service: string }) => s.service === 'default/web:http');
    // Twenty pods over the run, each listed with its own connections, through four ids.
    expect(web.backends).toHaveLength(20);
    expect(web.backends.reduce((n: number, b: { connections: number }) => n + b.connections, 0)).toBe(40);
    for (let round = 0; round < 10; round++) {
      const pair = web.backends.filter((b: { backend: string }) =>
        [`10.244.1.${2 * round + 1}:8080`, `10.244.1.${2 * round + 2}:8080`].includes(b.backend));
      expect(pair.reduce((n: number, b: { connections: number }) => n + b.connections, 0)).toBe(4);
    }
  });
});
