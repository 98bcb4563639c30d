// Many instances agree without shared state (the Maglev paper's property that lets a fleet scale
// behind ECMP): two separate dataplanes, and two command runs, given the same Services,
// EndpointSlices and --hash-seed pick the same backend for every new connection of a
// 100,000-flow capture; and the capture split in two by flow, each half replayed on its own
// instance, gives the same choices as one instance. A different seed moves most connections, so
// agreement is not an accident of the fixture.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../src/node.js';
import { REPO, ensureBuilt, readTrace, runCliAsync, tempDir, type TraceLine } from './helpers/cli.js';

const dir = tempDir('svcplane-fleet-');
const capture = path.join(dir, 'flows.pcap');
const cluster = path.join(dir, 'cluster.yaml');
const FLOWS = 100_000;
const PACKETS = 150_000;
const BACKENDS = 40;
const SEED = 'fleet';

// gen-replay-capture's Services (addresses and ports), each with BACKENDS endpoints.
const SERVICES = [
  { name: 'web', vip: '10.96.0.10', port: 80, target: 8080 },
  { name: 'tls', vip: '10.96.0.11', port: 443, target: 8443 },
  { name: 'api', vip: '10.96.0.12', port: 8080, target: 9090 },
];

function manifest(): string {
  const items = SERVICES.flatMap((s, i) => [
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: 'fleet' },
      spec: { type: 'ClusterIP', clusterIP: s.vip, clusterIPs: [s.vip], ipFamilies: ['IPv4'], ports: [{ name: 'p', port: s.port, protocol: 'TCP', targetPort: s.target }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
      metadata: { name: `${s.name}-1`, namespace: 'fleet', labels: { 'kubernetes.io/service-name': s.name } },
      endpoints: Array.from({ length: BACKENDS }, (_, b) => ({ addresses: [`10.244.${201 + i}.${b + 1}`], conditions: { ready: true } })),
      ports: [{ name: 'p', port: s.target, protocol: 'TCP' }],
    },
  ]);
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

// gen-replay-capture writes a classic pcap of fixed records: a 24-byte file header, then 16-byte
// record headers each followed by a 64-byte Ethernet/IPv4/TCP frame.
const FILE_HEADER = 24;
const RECORD = 16 + 64;
const SRC_ADDR = 16 + 14 + 12; // within a record: the IPv4 source address
const SRC_PORT = 16 + 14 + 20; // the TCP source port

/** Splits the capture by flow (client address and port): each flow's packets all go to one half. */
function splitByFlow(file: string): [string, string] {
  const bytes = fs.readFileSync(file);
  const halves: Buffer[][] = [[bytes.subarray(0, FILE_HEADER)], [bytes.subarray(0, FILE_HEADER)]];
  for (let at = FILE_HEADER; at + RECORD <= bytes.length; at += RECORD) {
    const flow = bytes.readUInt32BE(at + SRC_ADDR) ^ bytes.readUInt16BE(at + SRC_PORT);
    halves[(flow * 0x9e3779b1) >>> 31].push(bytes.subarray(at, at + RECORD));
  }
  return halves.map((parts, i) => {
    const out = path.join(dir, `half-${i}.pcap`);
    fs.writeFileSync(out, Buffer.concat(parts));
    return out;
  }) as [string, string];
}

function libraryTrace(file: string, name: string, hashSeed = SEED): TraceLine[] {
  const trace = path.join(dir, `${name}.jsonl`);
  replay({ capture: file, cluster: [cluster], trace, hashSeed, podCIDRs: ['10.244.0.0/16'] });
  return readTrace(trace);
}

/** Backend of every new connection (the translated first packet of a flow), by the packet's tuple. */
function choices(trace: TraceLine[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of trace) {
    if (t.verdict !== 'translated' || !t.in || !t.backend) continue;
    if (!m.has(t.in)) m.set(t.in, t.backend);
  }
  return m;
}

describe('instances agree without shared state', () => {
  let whole: TraceLine[] = [];
  beforeAll(() => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'gen-replay-capture.mjs'), capture, '--packets', String(PACKETS), '--flows', String(FLOWS), '--seed', '7'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    fs.writeFileSync(cluster, manifest());
    whole = libraryTrace(capture, 'whole');
  }, 300_000);

  it('two dataplanes in one process give the same trace, packet for packet', () => {
    const again = libraryTrace(capture, 'again');
    expect(again.length).toBe(PACKETS);
    expect(again).toEqual(whole);
    const picked = choices(whole);
    expect(picked.size).toBeGreaterThan(70_000);
    // Every backend of every Service takes part.
    expect(new Set(picked.values()).size).toBe(SERVICES.length * BACKENDS);
  }, 300_000);

  it('two command runs pick the backends the library did', async () => {
    const runs = await Promise.all([0, 1].map(async (i) => {
      const trace = path.join(dir, `cli-${i}.jsonl`);
      const r = await runCliAsync(['replay', capture, '-c', cluster, '--hash-seed', SEED, '--cluster-cidr', '10.244.0.0/16', '--trace', trace, '-q'], { timeout: 240_000 });
      expect(r.status, r.stderr).toBe(0);
      return readTrace(trace);
    }));
    for (const run of runs) {
      expect(run.map((t) => t.backend ?? '')).toEqual(whole.map((t) => t.backend ?? ''));
    }
  }, 300_000);

  it('the capture split by flow over two instances gives the choices of one instance', () => {
    const all = choices(whole);
    const [a, b] = splitByFlow(capture);
    let compared = 0;
    for (const [i, half] of [a, b].entries()) {
      const picked = choices(libraryTrace(half, `half-${i}`));
      expect(picked.size).toBeGreaterThan(30_000);
      for (const [tuple, backend] of picked) {
        if (all.get(tuple) !== backend) expect.fail(`${tuple}: ${backend} on half ${i}, ${all.get(tuple)} on one instance`);
        compared++;
      }
    }
    expect(compared).toBe(all.size);
  }, 300_000);

  it('another --hash-seed moves most connections (the agreement is the seed\'s, not the fixture\'s)', () => {
    const all = choices(whole);
    const other = choices(libraryTrace(capture, 'other-seed', 'another seed'));
    let moved = 0;
    for (const [tuple, backend] of other) if (all.get(tuple) !== backend) moved++;
    // With 40 backends a new seed keeps about 1 in 40 choices.
    expect(moved / other.size).toBeGreaterThan(0.9);
  }, 300_000);
});
