// replay --workers N (src/replay/workers/, assembly/capture/shard.ts and merge.ts) against one
// worker on the same inputs: output bytes, errors and reports (without timings and fastPath,
// which depends on where batches end) identical for 2 and 3 workers. Inputs: every capture of the
// public corpus, the capture fixtures, the demo with and without --updates, updates that remove an
// endpoint connections on every worker use (and those that still take one worker), a 100k-flow capture
// with pod clients, masqueraded NodePort clients whose source ports clash, and ClientIP affinity
// (scripts/gen-workers-capture.mjs), captures of fragmented datagrams, of ClientIP-affinity clients
// and of pods reaching the Services they back (hairpin; test/helpers/dispatch-captures.ts), and the conformance clusters (test/fixtures/conformance: kube-proxy's
// cases are connections, not captures; here each cluster gets a capture of connections from a pod,
// an outside client, a blocked outside client and the node to every frontend it programs). A run that needs one worker falls back (onOneWorker says why):
// the test also checks that the inputs meant to run on several workers did, so that the comparison
// is not one worker against itself.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayAsync, type ReplayOptions } from '../src/replay/replay.js';
import { CaptureFormatError } from '../src/capture/errors.js';
import { REPO, tempDir, ensureBuilt, runCli } from './helpers/cli.js';
import { Dataplane } from '../src/dataplane.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { pcapHeader, pcapRecord } from './helpers/capture-builders.js';
import { opening } from './fixtures/conformance/flow.js';
import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';
import { DEMO, DEMO_CLUSTER, FIXTURES, NODE, normalise, ext, demoWebSlices } from './helpers/replay-cases.js';
import {
  DISPATCH_NODE, SERVICES, dispatchCluster, fragmentCapture, affinityCapture, hairpinCapture, timedCapture, fragment, type FragmentOrder,
} from './helpers/dispatch-captures.js';
import { buildPacket, buildIcmpError } from './helpers/packets.js';
import { ChunkWalk, runSync } from '../src/replay/chunks.js';
import { FdInput } from '../src/replay/fd-io.js';
import { SHARD_HAIRPIN } from '../assembly/abi/walk.js';


const dir = tempDir('svcplane-workers-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
// The workers run the compiled thread script (dist/src/replay/workers/thread.js).
beforeAll(() => ensureBuilt());
let seq = 0;

interface Outcome { bytes: Buffer | null; report: unknown; error: string | null; oneWorker: string[] }

async function outcome(capture: string, opts: Partial<ReplayOptions>, workers: number): Promise<Outcome> {
  const out = path.join(dir, `out-${seq++}${ext(capture)}`);
  const oneWorker: string[] = [];
  let report: unknown = null;
  let error: string | null = null;
  try {
    report = normalise(await replayAsync({ ...opts, capture, write: out, workers, onOneWorker: (w) => oneWorker.push(w) }));
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    error = e.message;
  }
  const bytes = fs.existsSync(out) ? fs.readFileSync(out) : null;
  fs.rmSync(out, { force: true });
  return { bytes, report, error, oneWorker };
}

/**
 * One worker, then 2 and 3: the same outcome. Returns the one-worker outcome, whether 2 and 3
 * workers ran as such, and why each ran on one (onOneWorker) if it did.
 */
async function expectSame(capture: string, opts: Partial<ReplayOptions> = {}):
    Promise<{ want: Outcome; parallel: boolean; oneWorker: Record<number, string[]> }> {
  const want = await outcome(capture, opts, 1);
  expect(want.oneWorker).toEqual([]);
  let parallel = true;
  const oneWorker: Record<number, string[]> = {};
  for (const n of [2, 3]) {
    const got = await outcome(capture, opts, n);
    const label = `${path.basename(capture)} with ${n} workers`;
    expect(got.error, label).toBe(want.error);
    expect(got.report, label).toEqual(want.report);
    expect(got.bytes?.equals(want.bytes!) ?? want.bytes === null, `${label}: output bytes`).toBe(true);
    if (got.oneWorker.length > 0) parallel = false;
    oneWorker[n] = got.oneWorker;
  }
  return { want, parallel, oneWorker };
}

/**
 * A cluster of one Service, default/echo (ClusterIP 10.96.0.50; of dns UDP 53 → 5353 and http TCP
 * 80 → 8080, the ports given) with three endpoints in one slice: the file, and the objects to edit.
 */
function echoCluster(ports: ('dns' | 'http')[]): { file: string; slice: any; service: any } {
  const spec = { dns: { protocol: 'UDP', port: 53, targetPort: 5353 }, http: { protocol: 'TCP', port: 80, targetPort: 8080 } };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' },
    spec: {
      type: 'ClusterIP', clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'], selector: { app: 'echo' },
      ports: ports.map((p) => ({ name: p, ...spec[p] })),
    },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: 'echo-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } },
    ports: ports.map((p) => ({ name: p, protocol: spec[p].protocol, port: spec[p].targetPort })),
    endpoints: ['10.244.1.10', '10.244.1.11', '10.244.1.12'].map((ip) => ({
      addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-b',
    })),
  };
  const file = path.join(dir, `echo-${seq++}.yaml`);
  // JSON is YAML.
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service, slice] }));
  return { file, slice, service };
}

/**
 * Pod clients 10.244.3.1-48 open a UDP connection and a TCP one to default/echo at once; three
 * seconds later each TCP client sends again and 8 new clients (10.244.4.x) connect.
 */
function echoCapture(): string {
  const records: Uint8Array[] = [pcapHeader()];
  let usec = 0;
  const at = (sec: number, data: Uint8Array) => records.push(pcapRecord({ sec: 1000 + sec, frac: usec++, data }));
  for (let i = 1; i <= 48; i++) {
    at(0, opening('UDP', `10.244.3.${i}`, '10.96.0.50', 40000 + i, 53));
    at(0, opening('TCP', `10.244.3.${i}`, '10.96.0.50', 41000 + i, 80));
  }
  for (let i = 1; i <= 48; i++) at(3, opening('TCP', `10.244.3.${i}`, '10.96.0.50', 41000 + i, 80));
  for (let i = 1; i <= 8; i++) at(3, opening('TCP', `10.244.4.${i}`, '10.96.0.50', 42000 + i, 80));
  const file = path.join(dir, `echo-${seq++}.pcap`);
  fs.writeFileSync(file, Buffer.concat(records));
  return file;
}

/** An --updates file of `events` ([seconds, type, object]). */
function updatesFile(events: [number, string, unknown][]): string {
  const file = path.join(dir, `updates-${seq++}.jsonl`);
  fs.writeFileSync(file, events.map(([at, type, object]) => JSON.stringify({ at, type, object })).join('\n') + '\n');
  return file;
}

/** The slice without the endpoint `ip`. */
function without(slice: any, ip: string): any {
  return { ...structuredClone(slice), endpoints: slice.endpoints.filter((e: any) => e.addresses[0] !== ip) };
}

/** The slice with an endpoint `ip` added. */
function withEndpoint(slice: any, ip: string): any {
  const s = structuredClone(slice);
  s.endpoints.push({ ...structuredClone(s.endpoints[0]), addresses: [ip] });
  return s;
}

describe('--workers N = one worker', () => {
  requireCorpus();

  const corpus = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];
  const ranParallel: string[] = [];
  it.each(corpus)('corpus %s', async (f) => {
    const { parallel } = await expectSame(path.join(CORPUS, f), { ...NODE, readBytes: 4096 });
    if (parallel) ranParallel.push(f);
  });
  it.runIf(corpus.length > 0)('most corpus captures ran on several workers', () => {
    expect(ranParallel.length).toBeGreaterThan(corpus.length / 2);
  });

  it.each(['three-services.pcap', 'sll2-dns.pcap', 'raw-ipv6.pcap', 'vlan-qinq-web.pcap'])('fixture %s', async (f) => {
    const { want, parallel } = await expectSame(path.join(FIXTURES, f), { ...NODE, readBytes: 2048 });
    expect((want.report as any).packets.translated).toBeGreaterThan(0);
    expect(parallel).toBe(true);
  });

  it('fixture replies.pcap (both directions)', async () => {
    const { want } = await expectSame(path.join(FIXTURES, 'replies.pcap'), { ...NODE, cluster: [path.join(FIXTURES, 'replies-cluster.yaml')] });
    expect((want.report as any).packets.reversed).toBeGreaterThan(0);
  });

  it('the demo, with rejects and drops, and its hairpin connection on worker 0', async () => {
    const { want, parallel } = await expectSame(DEMO, { ...NODE, readBytes: 1024 });
    expect((want.report as any).packets.rejected).toBe(7);
    expect(parallel).toBe(true);
  });

  it('the demo with --updates: every worker programs each update at the same packet', async () => {
    const { slice, fewer } = demoWebSlices();
    expect(slice).toBeDefined();
    const updates = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updates, [
      JSON.stringify({ at: 0, type: 'MODIFIED', object: fewer }),
      JSON.stringify({ at: 0.7, type: 'MODIFIED', object: slice }),
    ].join('\n') + '\n');
    const { want, oneWorker } = await expectSame(DEMO, { ...NODE, updates });
    expect((want.report as any).updates.length).toBe(2);
    expect((want.report as any).updates[1].kept).toBeGreaterThan(0);
    expect(oneWorker).toEqual({ 2: [], 3: [] });
  });

  it('--updates removing an endpoint that connections on every worker use: audits and flushes summed, the peak before the flush', async () => {
    const { file, slice } = echoCluster(['dns', 'http']);
    // And a slice of no Service whose port has no name: a problem when it is applied, nothing programmed.
    const stray = {
      ...structuredClone(slice), metadata: { name: 'stray', namespace: 'default', labels: { 'kubernetes.io/service-name': 'missing' } },
      ports: [{ protocol: 'TCP', port: 8080 }],
    };
    const updates = updatesFile([[2, 'MODIFIED', without(slice, '10.244.1.10')], [2.5, 'ADDED', stray]]);
    const { want, parallel } = await expectSame(echoCapture(), { ...NODE, cluster: [file], updates });
    const r = want.report as any;
    expect(r.updates).toHaveLength(2);
    expect(r.problems.filter((p: string) => p.includes('port has no name field'))).toHaveLength(2);
    const [dns, http] = ['default/echo:dns', 'default/echo:http'].map((k) => r.updates[0].services.find((s: any) => s.service === k));
    // 48 clients over 2 or 3 workers: each worker holds connections of the removed endpoint.
    expect(dns.flushed).toBeGreaterThan(8);
    expect(http.orphaned).toBeGreaterThan(8);
    expect(http.kept + http.orphaned).toBe(48);
    expect(r.conntrack.peak).toBe(96);
    expect(r.conntrack.entries).toBe(96 - dns.flushed + 8);
    expect(parallel).toBe(true);
  });

  it('--updates: service ports audited on different workers come out in the order one worker lists them', async () => {
    // 10.244.3.1's owner comes after 10.244.3.10's with 2 and with 3 workers: its UDP connection (dns,
    // audited first) is counted by a later worker than the TCP one (http).
    const { file, slice } = echoCluster(['dns', 'http']);
    const capture = path.join(dir, `echo-${seq++}.pcap`);
    fs.writeFileSync(capture, Buffer.concat([
      pcapHeader(),
      pcapRecord({ sec: 1000, frac: 0, data: opening('UDP', '10.244.3.1', '10.96.0.50', 40001, 53) }),
      pcapRecord({ sec: 1000, frac: 1, data: opening('TCP', '10.244.3.10', '10.96.0.50', 41010, 80) }),
      pcapRecord({ sec: 1003, frac: 0, data: opening('TCP', '10.244.3.10', '10.96.0.50', 41010, 80) }),
    ]));
    const updates = updatesFile([[2, 'MODIFIED', without(slice, '10.244.1.10')]]);
    const { want, parallel } = await expectSame(capture, { ...NODE, cluster: [file], updates });
    expect((want.report as any).updates[0].services.map((s: any) => s.service)).toEqual(['default/echo:dns', 'default/echo:http']);
    expect(parallel).toBe(true);
  });

  it('--updates that still take one worker: a Service changed other than by its endpoints; backend ids reclaimed', async () => {
    const { file, service } = echoCluster(['dns', 'http']);
    const changed = structuredClone(service);
    changed.spec.externalIPs = ['198.51.100.7'];
    const capture = echoCapture();
    const a = await expectSame(capture, { ...NODE, cluster: [file], updates: updatesFile([[2, 'MODIFIED', changed]]) });
    expect(a.oneWorker).toEqual({ 2: ['--updates that change a Service other than by its endpoints'], 3: ['--updates that change a Service other than by its endpoints'] });
    // Three backend ids: the one of the removed endpoint, whose UDP entries were flushed, is taken back for the new one
    // (the TCP packets are rejected: this echo has no http port).
    const dns = echoCluster(['dns']);
    const b = await expectSame(echoCapture(), {
      ...NODE, cluster: [dns.file], maxBackends: 3,
      updates: updatesFile([[1, 'MODIFIED', without(dns.slice, '10.244.1.10')], [2, 'MODIFIED', withEndpoint(without(dns.slice, '10.244.1.10'), '10.244.1.20')]]),
    });
    expect((b.want.report as any).updates).toHaveLength(2);
    expect(b.oneWorker).toEqual({ 2: ['an update that reclaims backend ids (--max-backends)'], 3: ['an update that reclaims backend ids (--max-backends)'] });
  });

  it('an update the tables refuse (--max-backends): the replay runs again on one worker and fails as one worker does', async () => {
    const dns = echoCluster(['dns']);
    const capture = echoCapture();
    const opts = { ...NODE, cluster: [dns.file], maxBackends: 3, updates: updatesFile([[1, 'MODIFIED', withEndpoint(dns.slice, '10.244.1.20')]]) };
    const fail = async (workers: number, why: string[]) =>
      replayAsync({ ...opts, capture, write: path.join(dir, `refused-${seq++}.pcap`), workers, onOneWorker: (w) => why.push(w) }).then(() => null, (e) => e);
    const want = await fail(1, []);
    expect(want?.message).toMatch(/--max-backends/);
    for (const n of [2, 3]) {
      const why: string[] = [];
      const got = await fail(n, why);
      expect(got?.constructor).toBe(want.constructor);
      expect(got?.message).toBe(want.message);
      expect(why).toEqual(['an update the tables refused']);
    }
  });

  it('damage: the packets before it, then the same error', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'three-services.pcap'));
    const cut = path.join(dir, 'cut.pcap');
    const bad = Buffer.from(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    // A record header whose caplen is absurd, right after the first 200 records' worth of bytes.
    fs.writeFileSync(cut, Buffer.concat([bad, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]));
    const { want } = await expectSame(cut, { ...NODE, readBytes: 4096 });
    expect(want.error).toMatch(/cut\.pcap: byte/);
    expect(want.bytes!.length).toBeGreaterThan(24);
  });

  it('100k flows: pod clients, masqueraded NodePort clients with clashing ports, ClientIP affinity', async () => {
    const capture = path.join(dir, 'flows.pcap');
    const cluster = path.join(dir, 'flows.yaml');
    const gen = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'gen-workers-capture.mjs'), capture, cluster], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const { want, parallel } = await expectSame(capture, {
      cluster: [cluster], node: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'],
    });
    const r = want.report as any;
    expect(r.packets.in).toBe(300_000);
    expect(r.packets.reversed).toBeGreaterThan(10_000);
    expect(r.services.map((s: any) => s.connections)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(r.conntrack.entries).toBeGreaterThan(99_000);
    expect(parallel).toBe(true);
  });

  // kube-proxy's test node (test/conformance-kube-proxy.test.ts).
  const CONFORMANCE_NODE: Partial<ReplayOptions> = {
    node: 'test-node', nodeIPs: ['192.168.0.2', '192.168.1.2', '192.168.99.11', '2001:db8::1', '2001:db8:1::2'],
    podCIDRs: ['10.0.0.0/8', 'fd00:10::/64'], serviceCIDRs: ['172.30.0.0/16', 'fd00:10:96::/112'],
    nodePortCIDRs: ['192.168.0.2/32', '2001:db8::1/128'],
  };
  const CLIENTS = { 4: ['10.0.0.2', '203.0.113.2', '203.0.113.130', '192.168.0.2'], 6: ['fd00:10::2', '2001:db8:ffff::2', '2001:db8::1'] };
  const conformanceDir = path.join(REPO, 'test', 'fixtures', 'conformance');
  const conformanceParallel: string[] = [];
  const conformance = fs.readdirSync(conformanceDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();

  /** Three connections of every client to every frontend of the cluster, each packet sent twice. */
  function conformanceCapture(yaml: string): string {
    const objects = loadClusterObjects([yaml]).objects;
    const state = new Dataplane({ ...CONFORMANCE_NODE, objects, nodeName: 'test-node' }).state();
    const records: Uint8Array[] = [pcapHeader()];
    let t = 0;
    for (const sp of state.servicePorts) {
      const nodeIP = sp.family === 4 ? '192.168.0.2' : '2001:db8::1';
      const frontends: [string, number][] = [
        ...(sp.clusterIP ? [[sp.clusterIP, sp.port] as [string, number]] : []),
        ...[...sp.externalIPs, ...sp.loadBalancerIPs].map((ip): [string, number] => [ip, sp.port]),
        ...(sp.nodePort ? [[nodeIP, sp.nodePort] as [string, number]] : []),
      ];
      for (const [dst, dport] of frontends) {
        for (const src of CLIENTS[sp.family]) {
          for (let k = 0; k < 3; k++) {
            const data = opening(sp.protocol, src, dst, 40000 + k, dport);
            for (let again = 0; again < 2; again++) records.push(pcapRecord({ sec: 1, frac: t++, data }));
          }
        }
      }
    }
    const file = path.join(dir, `conformance-${seq++}.pcap`);
    fs.writeFileSync(file, Buffer.concat(records));
    return file;
  }

  it.each(conformance)('conformance cluster %s', async (f) => {
    const yaml = path.join(conformanceDir, f);
    const capture = conformanceCapture(yaml);
    const { want, parallel } = await expectSame(capture, { ...CONFORMANCE_NODE, cluster: [yaml], readBytes: 2048 });
    expect((want.report as any).packets.in).toBeGreaterThan(0);
    if (parallel) conformanceParallel.push(f);
  });
  it('most conformance clusters ran on several workers', () => {
    expect(conformanceParallel.length).toBeGreaterThan(conformance.length / 2);
  });

  it('the command: --workers 3 writes what --workers 1 does; --trace runs on one worker and says so', () => {
    const args = (n: number, out: string) => ['replay', DEMO, '-c', DEMO_CLUSTER, '--node', 'node-a', '--node-ip', '192.168.49.2',
      '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '-w', out, '--trace', `${out}.trace`, '-q', '--workers', String(n)];
    const one = path.join(dir, 'cli-1.pcapng');
    const three = path.join(dir, 'cli-3.pcapng');
    const a = runCli(args(1, one));
    const b = runCli(args(3, three));
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(b.stderr).toContain('svcplane: note: one worker: --trace');
    expect(fs.readFileSync(three).equals(fs.readFileSync(one))).toBe(true);
    expect(fs.readFileSync(`${three}.trace`, 'utf8')).toBe(fs.readFileSync(`${one}.trace`, 'utf8'));
  });

  it('--workers is checked', () => {
    const r = runCli(['replay', DEMO, '--workers', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--workers must be a positive whole number/);
    expect(runCli(['replay', DEMO, '--workers', '17']).stderr).toMatch(/--workers must be at most 16/);
  });
});

describe('--workers: IP fragments, ClientIP affinity and hairpin clients on several workers', () => {
  const cluster = path.join(dir, 'dispatch.yaml');
  const shortAffinity = path.join(dir, 'dispatch-3s.yaml');
  beforeAll(() => {
    fs.writeFileSync(cluster, dispatchCluster());
    fs.writeFileSync(shortAffinity, dispatchCluster(3));
  });
  const opts = (more: Partial<ReplayOptions> = {}): Partial<ReplayOptions> => ({ ...DISPATCH_NODE, cluster: [cluster], readBytes: 8192, ...more });
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  /** Why 2 workers fell back (none: they did not). */
  const fallback = async (capture: string, o: Partial<ReplayOptions>) => (await outcome(capture, o, 2)).oneWorker;

  it('fragmented UDP and TCP datagrams, IPv4 and IPv6, to Services and back: in order, out of order, interleaved between clients', async () => {
    const orders: FragmentOrder[] = Array.from({ length: 60 }, (_, c) => (['in order', 'last first', 'middle last'] as const)[c % 3]);
    const capture = write('fragments.pcap', fragmentCapture(60, orders));
    const { want, parallel } = await expectSame(capture, opts());
    const r = want.report as any;
    expect(r.packets.translated).toBeGreaterThan(400);
    expect(r.packets.reversed).toBeGreaterThan(100);
    // A later fragment before its first finds no ports on any worker: 20 clients' 3 + 2 + 2 of them.
    expect(r.drops).toEqual({ FRAGMENT_UNTRACKED: 140 });
    expect(parallel).toBe(true);
    // 200 ms apart: datagrams outlive their entries (30 s), whose places are taken again.
    const slow = write('fragments-slow.pcap', fragmentCapture(30, orders, 3, 200_000));
    const again = await expectSame(slow, opts({ maxFragments: 1024 }));
    expect((again.want.report as any).drops.FRAGMENT_UNTRACKED).toBeGreaterThan(60);
    expect(again.parallel).toBe(true);
  });

  it('ClientIP affinity: many clients with several connections each, kept and masqueraded', async () => {
    const capture = write('affinity.pcap', affinityCapture(400, 80, 4));
    const { want, parallel } = await expectSame(capture, opts());
    const r = want.report as any;
    expect(r.packets.translated).toBeGreaterThan(3000);
    expect(parallel).toBe(true);
    // Entries of 3 s, connections 100 ms apart: entries expire and their places are taken again.
    const slow = write('affinity-slow.pcap', affinityCapture(60, 20, 4, 0, 3, 100_000));
    expect((await expectSame(slow, opts({ cluster: [shortAffinity], maxAffinity: 1024 }))).parallel).toBe(true);
  });

  it('hairpin: pods that reach the Services they back, some getting themselves, TCP and UDP, IPv4 and IPv6, with ordinary clients', async () => {
    const node = { ...opts(), nodeIPs: ['192.168.49.2', 'fd00:1::2'] };
    const dp = new Dataplane({ ...node, objects: loadClusterObjects([cluster]).objects, nodeName: 'node-a' });
    const { capture: bytes, counts } = hairpinCapture(dp, 6, 'fd00:1::2');
    // Each kind of hairpin connection, and backend pods that got another backend.
    expect(counts.hairpin.TCP).toBeGreaterThan(0);
    expect(counts.hairpin.UDP).toBeGreaterThan(0);
    expect(counts.hairpin.UDP6).toBeGreaterThan(0);
    expect(counts.elsewhere).toBeGreaterThan(counts.hairpin.TCP + counts.hairpin.UDP);
    const capture = write('hairpin.pcap', bytes);
    const { want, parallel, oneWorker } = await expectSame(capture, node);
    const r = want.report as any;
    // Every answer found its connection, and every ICMP error its own.
    expect(r.packets.reversed).toBe(counts.answers + counts.errors);
    expect(oneWorker).toEqual({ 2: [], 3: [] });
    expect(parallel).toBe(true);
  });

  it('hairpin clients: the dispatch gives worker 0 every packet of a connection whose client is a backend address; a set refused is flagged', () => {
    const web = { dst: '10.96.0.80', dport: 80, proto: 'TCP' as const, flags: 0x02 };
    const pods: Uint8Array[] = [];
    for (let c = 1; c <= 40; c++) {
      pods.push(buildPacket({ src: `10.244.30.${c}`, sport: 40000 + c, ...web }));
      pods.push(buildPacket({ src: '10.244.211.1', dst: `10.244.30.${c}`, sport: 8080, dport: 40000 + c, proto: 'TCP', flags: 0x12 }));
    }
    const toWeb = buildPacket({ src: '10.244.210.1', sport: 40000, ...web });
    const pinned = [
      toWeb,
      buildPacket({ src: '10.244.212.2', dst: '10.96.0.44', sport: 40001, dport: 443, proto: 'TCP', flags: 0x02 }),
      buildPacket({ src: '10.244.211.1', dst: '10.244.210.1', sport: 8080, dport: 40000, proto: 'TCP', flags: 0x12 }),
      buildPacket({ src: '10.244.210.3', dst: '192.168.49.2', sport: 5353, dport: 40002, proto: 'UDP' }),
      buildIcmpError('10.244.211.1', '10.244.210.1', 3, 3, toWeb.subarray(14)),
      buildPacket({ src: 'fd00:10::d1', dst: 'fd00:10:96::53', sport: 40003, dport: 53, proto: 'UDP' }),
      buildPacket({ src: 'fd00:10::d2', dst: 'fd00:10::d1', sport: 5353, dport: 40003, proto: 'UDP' }),
    ];
    const capture = write('hairpin-dispatch.pcap', timedCapture([...pods, ...pinned].map((f, i) => [i, f])));
    const owners = (clients: string[]) => {
      const dp = new Dataplane({ ...opts(), objects: loadClusterObjects([cluster]).objects, nodeName: 'node-a' });
      const walk = new ChunkWalk(dp.core, { capture, input: FdInput.open(capture) });
      try {
        expect(walk.shard(2, 2)).toBe(true);
        const given = walk.hairpinClients(clients);
        runSync(walk, null);
        return { given, owners: [...walk.takeUnits()], flags: walk.shardFlags };
      } finally {
        walk.close();
      }
    };
    const backends = SERVICES.flatMap((s) => s.backends);
    const got = owners(backends);
    expect(got.given).toBe(true);
    expect(got.flags).toBe(0);
    const podOwners = got.owners.slice(0, pods.length);
    expect(got.owners.slice(pods.length)).toEqual(pinned.map(() => 0));
    // A pod client's packets and the replies to it meet on its worker: a server at a backend address does not move them.
    for (let c = 0; c < pods.length; c += 2) expect(podOwners[c + 1]).toBe(podOwners[c]);
    expect(new Set(podOwners)).toEqual(new Set([0, 1]));
    // Without the set, some of these would be worker 1's.
    expect(owners([]).owners.slice(pods.length)).toContain(1);
    // Refused (more addresses than the set takes, or one that is not an address): flagged, the run falls back.
    for (const clients of [new Array<string>(5_000_000).fill('10.244.210.1'), ['10.244.210.1', 'pod-a']]) {
      const refused = owners(clients);
      expect(refused.given).toBe(false);
      expect(refused.flags & SHARD_HAIRPIN).toBe(SHARD_HAIRPIN);
    }
  });

  it('hostile fragments: offsets past 64 KiB, every client on one id, duplicated and overlapping fragments', async () => {
    /** The fragment with its offset field set to `units` (8 bytes each), its header checksum redone. */
    const at = (f: Uint8Array, units: number): Uint8Array => {
      const g = Uint8Array.from(f);
      const ip = new DataView(g.buffer, 14);
      ip.setUint16(6, (ip.getUint16(6) & 0xe000) | units);
      ip.setUint16(10, 0);
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += ip.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      ip.setUint16(10, ~sum & 0xffff);
      return g;
    };
    const frames: [number, Uint8Array][] = [];
    for (let c = 0; c < 120; c++) {
      const udp = c % 2 === 1;
      const datagram = buildPacket({ src: `10.244.${1 + (c >> 6)}.${10 + (c & 63)}`, dst: udp ? '10.96.0.53' : '10.96.0.80', sport: 40000 + c,
        dport: udp ? 53 : 80, proto: udp ? 'UDP' : 'TCP', flags: 0x18, payload: 1600 });
      const parts = fragment(datagram, 400, 1);
      const hostile = c % 3 === 0 ? [parts[0]!, at(parts[1]!, 0x1fff), ...parts.slice(2)]
        : c % 3 === 1 ? [parts[0]!, parts[1]!, parts[0]!, at(parts[1]!, 20), ...parts.slice(2)]
          : [...parts.slice(1), parts[0]!];
      hostile.forEach((f) => frames.push([frames.length, f]));
    }
    const { want, parallel } = await expectSame(write('fragments-hostile.pcap', timedCapture(frames)), opts());
    expect((want.report as any).packets.in).toBe(frames.length);
    expect(parallel).toBe(true);
  });

  it('falls back: a fragment table that displaces an entry', async () => {
    const capture = write('fragments-full.pcap', fragmentCapture(60));
    const o = opts({ maxFragments: 16 });
    const { parallel } = await expectSame(capture, o);
    expect(parallel).toBe(false);
    expect(await fallback(capture, o)).toEqual([expect.stringMatching(/^IP fragments .*displaced/)]);
  });

  it('falls back: fragments whose times go back', async () => {
    const web = { dst: '10.96.0.80', dport: 80, proto: 'TCP' as const, flags: 0x18, payload: 2000 };
    const a = fragment(buildPacket({ src: '10.244.1.10', sport: 40000, ...web }), 1200, 5);
    const b = fragment(buildPacket({ src: '10.244.1.11', sport: 40001, ...web }), 1200, 6);
    const capture = write('fragments-back.pcap', timedCapture([[100, a[0]!], [200, b[0]!], [150, a[1]!], [250, b[1]!]]));
    const { parallel } = await expectSame(capture, opts());
    expect(parallel).toBe(false);
    expect(await fallback(capture, opts())).toEqual([expect.stringMatching(/^IP fragments .*times going back/)]);
  });

  it('falls back: affinity windows that may be full, and a client both masqueraded and not', async () => {
    const small = write('affinity-small.pcap', affinityCapture(40, 0, 2));
    const o = opts({ maxAffinity: 16 });
    expect((await expectSame(small, o)).parallel).toBe(false);
    expect(await fallback(small, o)).toEqual([expect.stringMatching(/^ClientIP affinity .*full probe window/)]);
    const both = write('affinity-both.pcap', affinityCapture(20, 0, 2, 20));
    expect((await expectSame(both, opts())).parallel).toBe(false);
    expect(await fallback(both, opts())).toEqual([expect.stringMatching(/^ClientIP affinity .*masqueraded and not/)]);
  });
});

