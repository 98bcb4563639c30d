// `svcplane whatif` end to end through the command line: a capture of 20,000 connections to one
// Service of 10 backends (generated here), replayed against the same Service with one backend
// fewer, with 12, and with random choice. Maglev's promise is the check: removing 1 of N moves
// that backend's connections and about 1% of the rest; random choice moves most of them.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runCliAsync, tempDir, type CliResult } from './helpers/cli.js';
import { FakeApiServer, kubeconfigFor, SERVICES, SLICES } from './helpers/fake-apiserver.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';
import { parseObjectsText } from '../src/k8s/load.js';
import type { WhatifReport } from '../src/whatif/whatif.js';
import type { ReplayReport } from '../src/replay/report.js';

const CONNECTIONS = 20_000;
const BACKENDS = 10;
const VIP = '10.96.0.10';
const SERVICE = 'default/web:http';
const backend = (i: number): string => `10.244.1.${i + 1}`;

/** The Service web (ClusterIP VIP:80 → :8080) and one EndpointSlice of `n` ready endpoints (10.244.1.1, ...). */
function cluster(n: number): string {
  const endpoints = Array.from({ length: n }, (_, i) => `  - addresses: ["${backend(i)}"]\n    conditions: {ready: true}\n`).join('');
  return `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: ${VIP}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
${endpoints}`;
}

/** One SYN per connection, from 200 clients in the pod CIDR, one per millisecond. */
function capture(): Uint8Array {
  const records: Uint8Array[] = [pcapHeader()];
  for (let i = 0; i < CONNECTIONS; i++) {
    const src = `10.244.${100 + (i % 200 >> 8)}.${(i % 200) + 1}`;
    const data = buildPacket({ src, dst: VIP, sport: 10000 + Math.floor(i / 200), dport: 80, proto: 'TCP', flags: 0x02 });
    records.push(pcapRecord({ sec: 1_700_000_000 + Math.floor(i / 1000), frac: (i % 1000) * 1000, data }));
  }
  return concat(...records);
}

describe('svcplane whatif', () => {
  const dir = tempDir('svcplane-whatif-');
  const pcap = path.join(dir, 'flows.pcap');
  const ten = path.join(dir, 'ten.yaml');
  const nine = path.join(dir, 'nine.yaml');
  const node = ['--node', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16'];
  const json = (r: CliResult): WhatifReport => {
    expect(r.stderr).toBe('');
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as WhatifReport;
  };
  const web = (r: WhatifReport) => r.services.find((s) => s.service === SERVICE)!;
  const run = (...args: string[]): CliResult => runCli(['whatif', pcap, '-c', ten, ...node, ...args], { timeout: 120_000 });

  beforeAll(() => {
    ensureBuilt();
    fs.writeFileSync(pcap, capture());
    fs.writeFileSync(ten, cluster(BACKENDS));
    fs.writeFileSync(nine, cluster(BACKENDS - 1));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('removing 1 of 10 backends', () => {
    let maglev: WhatifReport;
    let random: WhatifReport;
    beforeAll(() => {
      maglev = json(run('--next', nine, '--json'));
      random = json(run('--next', nine, '--lb', 'random', '--json'));
    });

    it('with Maglev: the removed backend\'s connections all move, and few of the rest (Maglev\'s promise)', () => {
      const s = web(maglev);
      expect(s.connections).toBe(CONNECTIONS);
      const gone = s.backends.find((b) => b.backend === `${backend(BACKENDS - 1)}:8080`)!;
      expect(gone).toMatchObject({ inCurrent: true, inNext: false, kept: 0, lost: 0, next: { connections: 0 } });
      expect(gone.current.connections).toBeGreaterThan(CONNECTIONS / BACKENDS / 2);
      expect(gone.movedAway).toBe(gone.current.connections);
      // Every other connection either stayed or is counted in remaining.moved.
      expect(s.remaining.connections).toBe(CONNECTIONS - gone.current.connections);
      expect(s.moved).toBe(gone.current.connections + s.remaining.moved);
      expect(s.kept + s.moved).toBe(CONNECTIONS);
      expect(s.lost).toBe(0);
      console.log(`whatif: Maglev moves ${(100 * s.remaining.share).toFixed(2)}% of the other backends' connections (${s.remaining.moved} of ${s.remaining.connections})`);
      expect(s.remaining.share).toBeLessThan(0.05);
      // Moves out of the removed backend spread over the nine others.
      expect(new Set(s.moves.filter((m) => m.from === gone.backend).map((m) => m.to)).size).toBe(BACKENDS - 1);
      expect(maglev.current.lb).toBe('maglev');
      expect(maglev.next.lb).toBe('maglev');
    });

    it("each backend's current load is the connections replay counts for it", () => {
      const r = runCli(['replay', pcap, '-c', ten, ...node, '--json'], { timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const replayed = (JSON.parse(r.stdout) as ReplayReport).services.find((s) => s.service === SERVICE)!;
      expect(Object.fromEntries(web(maglev).backends.map((b) => [b.backend, b.current.connections])))
        .toEqual(Object.fromEntries(replayed.backends.map((b) => [b.backend, b.connections])));
    });

    it('with random choice: most of the other connections move too', () => {
      const s = web(random);
      console.log(`whatif: random moves ${(100 * s.remaining.share).toFixed(2)}% of the other backends' connections (${s.remaining.moved} of ${s.remaining.connections})`);
      expect(random.current.lb).toBe('random');
      expect(random.next.lb).toBe('random');
      expect(s.connections).toBe(CONNECTIONS);
      expect(s.remaining.share).toBeGreaterThan(0.5);
      expect(s.disruptedShare).toBeGreaterThan(web(maglev).disruptedShare * 4);
      // Random choice hashes the tuple with the packet's time: the same state gives every connection the same backend.
      expect(web(json(run('--next', ten, '--lb', 'random', '--json')))).toMatchObject({ kept: CONNECTIONS, moved: 0, lost: 0 });
    });

    it('the same answer with the current state read from a live cluster and the proposed one from a directory', async () => {
      const api = new FakeApiServer();
      await api.start();
      try {
        const objects = parseObjectsText(cluster(BACKENDS), 'ten.yaml').objects;
        api.set(SERVICES, { ...objects.services.get('default/web')!, metadata: { name: 'web', namespace: 'default', uid: 'svc-web' } });
        api.set(SLICES, objects.endpointSlices.get('default/web-abc')!);
        const nextDir = path.join(dir, 'next');
        fs.mkdirSync(nextDir, { recursive: true });
        fs.copyFileSync(nine, path.join(nextDir, 'web.yaml'));
        const r = await runCliAsync(['whatif', pcap, '--kubeconfig', kubeconfigFor(api.url), '--next', nextDir, ...node, '--json'], { timeout: 120_000 });
        expect(json(r).services).toEqual(maglev.services);
      } finally {
        await api.stop();
      }
    });

    it('--next-replicas web=9 removes the highest address: the same answer as the edited manifest', () => {
      const r = json(run('--next-replicas', 'web=9', '--json'));
      expect(r.next.replicas).toEqual([{ service: 'default/web', family: 'IPv4', from: 10, to: 9, added: [], removed: [backend(9)] }]);
      expect(r.services).toEqual(maglev.services);
    });
  });

  it('--next-replicas web=12 gives load to two new synthetic backends, and moves about 2/12 of the connections', () => {
    const r = json(run('--next-replicas', 'web=12', '--json'));
    const s = web(r);
    expect(r.next.replicas).toEqual([{ service: 'default/web', family: 'IPv4', from: 10, to: 12, added: ['198.18.0.1', '198.18.0.2'], removed: [] }]);
    const added = s.backends.filter((b) => !b.inCurrent);
    expect(added.map((b) => b.backend)).toEqual(['198.18.0.1:8080', '198.18.0.2:8080']);
    for (const b of added) {
      expect(b.inNext).toBe(true);
      expect(b.current.connections).toBe(0);
      expect(b.next.connections).toBeGreaterThan(CONNECTIONS / 12 / 2);
      expect(b.movedIn).toBe(b.next.connections);
    }
    // Nearly every move is to a new backend: few connections move between the old ten.
    const betweenOld = s.moves.filter((m) => !m.to.startsWith('198.18.')).reduce((n, m) => n + m.connections, 0);
    expect(betweenOld).toBeLessThan(0.05 * CONNECTIONS);
    expect(s.moved).toBe(added[0]!.movedIn + added[1]!.movedIn + betweenOld);
    expect(s.lost).toBe(0);
    expect(s.disruptedShare).toBeGreaterThan(0.1);
    expect(s.disruptedShare).toBeLessThan(0.25);
  });

  it('the JSON report has the documented shape', () => {
    const r = json(run('--next', nine, '--json'));
    expect(Object.keys(r)).toEqual(['capture', 'current', 'next', 'totals', 'services', 'problems']);
    expect(r.capture).toEqual({ file: pcap, packets: CONNECTIONS });
    expect(Object.keys(r.totals)).toEqual(['connections', 'kept', 'moved', 'lost', 'gained', 'unserved', 'disrupted', 'disruptedShare']);
    const s = web(r);
    expect(Object.keys(s)).toEqual(['service', 'connections', 'kept', 'moved', 'lost', 'gained', 'unserved', 'disrupted', 'disruptedShare',
      'remaining', 'backends', 'moves']);
    expect(Object.keys(s.backends[0]!)).toEqual(['backend', 'inCurrent', 'inNext', 'current', 'next', 'kept', 'movedAway', 'lost', 'movedIn']);
    expect(s.backends.map((b) => b.backend)).toEqual([...s.backends.map((b) => b.backend)].sort());
    expect(s.backends.reduce((n, b) => n + b.current.connections, 0)).toBe(CONNECTIONS);
    expect(s.backends.reduce((n, b) => n + b.next.connections, 0)).toBe(CONNECTIONS);
    expect(s.backends.reduce((n, b) => n + b.current.share, 0)).toBeCloseTo(1, 9);
    expect(r.totals).toMatchObject({ connections: CONNECTIONS, kept: s.kept, moved: s.moved, lost: 0, disrupted: s.disrupted });
  });

  it('connections whose Service has no endpoint left are lost', () => {
    const r = json(run('--next-replicas', 'default/web=0', '--json'));
    expect(web(r)).toMatchObject({ connections: CONNECTIONS, kept: 0, moved: 0, lost: CONNECTIONS, disruptedShare: 1 });
  });

  it('prints a summary table: counts per service port and each backend\'s load now and proposed', () => {
    const r = run('--next', nine);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = web(json(run('--next', nine, '--json')));
    expect(r.stdout).toContain(`Service ${SERVICE}: ${CONNECTIONS} connections, kept ${s.kept}, moved ${s.moved}, lost 0`);
    expect(r.stdout).toMatch(new RegExp(`^  ${backend(9).replace(/\./g, '\\.')}:8080 \\(removed\\) +\\d+ \\(\\d+\\.\\d%\\) +0 \\(0\\.0%\\)`, 'm'));
    expect(r.stdout.split('\n').filter((l) => /^  10\.244\.1\.\d+:8080/.test(l))).toHaveLength(BACKENDS);
    // Where connections went, most first: out of the removed backend.
    const top = s.moves[0]!;
    expect(top.from).toBe(`${backend(9)}:8080`);
    expect(r.stdout).toContain(`  moves: ${top.from} → ${top.to} ${top.connections}, `);
  });

  it('bad --next-replicas values, an unknown Service and a missing proposed state: exit 2, one line', () => {
    for (const [args, pattern] of [
      [['--next-replicas', 'web'], /--next-replicas.*"web" is not service=N/],
      [['--next-replicas', 'web=-1'], /--next-replicas/],
      [['--next-replicas', 'web=x'], /--next-replicas/],
      [['--next-replicas', 'nope=3'], /^svcplane: --next-replicas default\/nope=3: no Service default\/nope in the proposed state$/],
      [['--next-replicas', 'web=3', '--next-replicas', 'default/web=4'], /default\/web is given twice/],
      [[], /needs a proposed state/],
      [['--next-lb', 'roundrobin'], /--next-lb/],
    ] as [string[], RegExp][]) {
      const r = run(...args);
      expect(r.status, `${r.command}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.command).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/);
    }
  });

  it('more replicas than the Maglev table has slots: refused before any replay, naming the limit and --maglev-size', () => {
    for (const [args, message] of [
      [['--next-replicas', 'web=65536'], '--next-replicas default/web=65536: 65536 endpoints exceed --maglev-size 16381 (a Maglev table holds '
        + 'at most one endpoint per slot): give --maglev-size a prime from 65537 to 5000011'],
      [['--next-replicas', 'web=20000', '--maglev-compat', 'cilium'], '--next-replicas default/web=20000: 20000 endpoints exceed --maglev-size '
        + '16381 (a Maglev table holds at most one endpoint per slot): give --maglev-size 32749 (a Cilium table size)'],
    ] as [string[], string][]) {
      const r = run(...args);
      expect(r.status, `${r.command}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`svcplane: ${message}\n`);
    }
    // The size the message names holds them.
    const r = run('--next-replicas', 'web=16382', '--maglev-size', '16411', '--json');
    expect(json(r).services.find((s) => s.service === SERVICE)).toBeDefined();
  });

  it('-c - and --next - both read standard input: refused, as replay refuses a capture and -c from it', () => {
    const r = runCli(['whatif', pcap, '-c', '-', '--next', '-'], { input: '' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('svcplane: -c - and --next - both read standard input\n');
  });

  it('a capture from standard input is refused (it is read twice)', () => {
    const r = runCli(['whatif', '-', '-c', ten, '--next', nine], { input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('svcplane: whatif reads the capture twice: give a file, not standard input\n');
  });

  it('--html onto an input is refused before any work, and the input is left alone', () => {
    const before = fs.readFileSync(nine, 'utf8');
    const r = run('--next', nine, '--html', nine);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${nine}: is the same file as the --next file ${nine}; refusing to overwrite it\n`);
    expect(fs.readFileSync(nine, 'utf8')).toBe(before);
  });

  it('a damaged capture: exit 2, one line naming the file', () => {
    const bad = path.join(dir, 'bad.pcap');
    fs.writeFileSync(bad, fs.readFileSync(pcap).subarray(0, 20));
    const r = runCli(['whatif', bad, '-c', ten, '--next', nine]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^svcplane: .*bad\.pcap: .*\n$/);
  });
});
