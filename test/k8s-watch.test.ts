// watchCluster and `svcplane replay --kubeconfig --watch` against a local API server that speaks
// list and watch (test/helpers/fake-apiserver.ts): changes reach the dataplane as they are
// made, a dropped watch resumes from the last resourceVersion it saw (events or bookmarks), a
// 410 Gone makes it list again and converge, a bad event line or a failing server is a warning
// and a retry, and only the first list can end the run.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../src/dataplane.js';
import { LiveClusterError, watchCluster, type WatchOptions } from '../src/node.js';
import { buildPacket } from './helpers/packets.js';
import { FakeApiServer, kubeconfigFor, NODES, SERVICE_CIDRS, SERVICES, SLICES } from './helpers/fake-apiserver.js';
import { pcapHeader, pcapRecord } from './helpers/capture-builders.js';
import { CLI, ensureBuilt, REPO, runCliAsync } from './helpers/cli.js';

const VIP = '10.96.0.10';

const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', uid: 'svc-web' },
  spec: {
    type: 'ClusterIP', clusterIP: VIP, clusterIPs: [VIP], ipFamilies: ['IPv4'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  },
};

function slice(ips: string[], name = 'web-abc') {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

let nextPort = 20000;

/** Where a new connection to the VIP goes now: "ip:port", or the drop reason. */
function newConnection(dp: Dataplane, dst = VIP): string {
  const [r] = dp.process([{ data: buildPacket({ src: '10.244.9.9', dst, sport: nextPort++, dport: 80, proto: 'TCP', flags: 0x02 }) }]);
  return r.backend ?? r.reason ?? r.verdict;
}

/** Polls `fn` until it returns true (the test's own timeout bounds the wait). */
async function eventually(fn: () => boolean): Promise<void> {
  while (!fn()) await new Promise((r) => setTimeout(r, 5));
}

describe('watchCluster', () => {
  let api: FakeApiServer;
  let stop: AbortController;
  let warnings: string[];
  let opts: WatchOptions;

  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
    stop = new AbortController();
    warnings = [];
    opts = { signal: stop.signal, onWarning: (w) => warnings.push(w), initialBackoffMs: 10, maxBackoffMs: 100 };
    api.set(SERVICES, SERVICE);
    api.set(SLICES, slice(['10.244.1.5']));
  });
  afterEach(async () => {
    stop.abort();
    await api.stop();
  });

  /** A dataplane kept current by a watch of the fake server, once every resource is being watched. */
  async function watched(): Promise<{ dp: Dataplane; done: Promise<void> }> {
    const dp = new Dataplane();
    const w = await watchCluster(dp, kubeconfigFor(api.url), opts);
    await eventually(() => api.watches(SERVICES).length > 0 && api.watches(SLICES).length > 0);
    return { dp, done: w.done };
  }

  it('lists, then applies added, changed and removed endpoints and Services as they come', async () => {
    const { dp, done } = await watched();
    expect(newConnection(dp)).toBe('10.244.1.5:8080');
    // Every resource is watched from the resourceVersion of its list.
    const listed = api.requests.find((r) => !r.watch && r.path === SLICES)!;
    expect(listed).toBeDefined();
    expect(api.watches(SLICES)[0]!.resourceVersion).toBe(String(api.rv));

    api.set(SLICES, slice(['10.244.2.6']));
    await eventually(() => newConnection(dp) === '10.244.2.6:8080');
    api.set(SLICES, slice([]));
    await eventually(() => newConnection(dp) === 'SERVICE_NO_ENDPOINTS');
    api.set(SLICES, slice(['10.244.3.7']));
    await eventually(() => newConnection(dp) === '10.244.3.7:8080');

    // A second Service, then the first one deleted.
    api.set(SERVICES, { ...SERVICE, metadata: { ...SERVICE.metadata, name: 'api', uid: 'svc-api' }, spec: { ...SERVICE.spec, clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] } });
    await eventually(() => dp.counters !== undefined && newConnection(dp, '10.96.0.20') === 'SERVICE_NO_ENDPOINTS');
    api.delete(SERVICES, 'shop', 'web');
    await eventually(() => newConnection(dp) === 'passed');
    expect(warnings).toEqual([]);

    stop.abort();
    await done;
  });

  it('resumes a dropped watch from the resourceVersion of the last event it saw, missing nothing', async () => {
    const { dp } = await watched();
    const seen = api.set(SLICES, slice(['10.244.2.6']));
    await eventually(() => newConnection(dp) === '10.244.2.6:8080');
    const before = api.watches(SLICES).length;

    // The connection drops; a change made before the watch is back must still arrive.
    api.dropWatches();
    api.set(SLICES, slice(['10.244.4.8']));
    await eventually(() => api.watches(SLICES).length > before);
    expect(api.watches(SLICES)[before]!.resourceVersion).toBe(String(seen));
    await eventually(() => newConnection(dp) === '10.244.4.8:8080');
    expect(warnings.some((w) => w.includes(SLICES) && /the watch was dropped; retrying in/.test(w))).toBe(true);
    // The Services watch was dropped too, and resumes from its list's version (it saw no event).
    expect(api.watches(SERVICES).at(-1)!.resourceVersion).toBe(api.watches(SERVICES)[0]!.resourceVersion);
  });

  it('resumes from a BOOKMARK\'s resourceVersion', async () => {
    await watched();
    // Changes elsewhere move the version on; the bookmark tells the slices watch where it is.
    api.set(SERVICES, { ...SERVICE, metadata: { ...SERVICE.metadata, labels: { v: '2' } } });
    const mark = api.bookmark(SLICES);
    expect(String(mark)).not.toBe(api.watches(SLICES)[0]!.resourceVersion);
    const before = api.watches(SLICES).length;
    // A clean end (the server's timeoutSeconds) right after it: resumed from the bookmark.
    api.endWatches();
    await eventually(() => api.watches(SLICES).length > before);
    expect(api.watches(SLICES)[before]!.resourceVersion).toBe(String(mark));
    expect(warnings).toEqual([]);
  });

  for (const goneAs of ['status', 'event'] as const) {
    it(`lists again after a 410 Gone (${goneAs === 'status' ? 'HTTP status' : 'ERROR event'}) and converges`, async () => {
      api.goneAs = goneAs;
      api.set(SLICES, slice(['10.244.5.1'], 'web-other'));
      const { dp } = await watched();
      const lists = api.requests.filter((r) => !r.watch && r.path === SLICES).length;
      // While the watch is stalled: one slice changed, one deleted, one added; then history is gone.
      api.muted = true;
      api.set(SLICES, slice(['10.244.6.2']));
      api.delete(SLICES, 'shop', 'web-other');
      api.set(SLICES, slice(['10.244.6.3'], 'web-new'));
      api.forgetHistory();
      api.muted = false;
      api.dropWatches();
      await eventually(() => api.requests.filter((r) => !r.watch && r.path === SLICES).length > lists);
      // Converged: exactly the listed endpoints (the deleted slice's is gone).
      await eventually(() => {
        const got = new Set(Array.from({ length: 40 }, () => newConnection(dp)));
        return got.size === 2 && got.has('10.244.6.2:8080') && got.has('10.244.6.3:8080');
      });
      expect(warnings.some((w) => /too old; listing endpointslices\.discovery\.k8s\.io again/.test(w) && w.includes('410'))).toBe(true);
      // The next watch starts from the new list's version.
      await eventually(() => api.watches(SLICES).at(-1)!.resourceVersion === String(api.rv));
    });
  }

  it('a line that is not an event: one warning naming the URL, the watch resumed from the last good version', async () => {
    const { dp } = await watched();
    const good = api.set(SLICES, slice(['10.244.2.6']));
    await eventually(() => newConnection(dp) === '10.244.2.6:8080');
    const before = api.watches(SLICES).length;
    api.raw(SLICES, '{"type":"MODIFIED","object":{"kind":"EndpointSl\n');
    await eventually(() => api.watches(SLICES).length > before);
    expect(api.watches(SLICES)[before]!.resourceVersion).toBe(String(good));
    const bad = warnings.filter((w) => w.includes('not valid JSON'));
    expect(bad).toHaveLength(1);
    // The request named is the one that failed: the watch started before the good event.
    const failed = api.watches(SLICES)[before - 1]!.resourceVersion;
    expect(bad[0]).toMatch(new RegExp(`^GET ${api.url}${SLICES}\\?watch=1&resourceVersion=${failed}&.*: event 2: not valid JSON: .*; retrying in 0\\.01 s$`));
    expect(bad[0]).not.toContain('\n');
    // Still watching.
    api.set(SLICES, slice(['10.244.7.7']));
    await eventually(() => newConnection(dp) === '10.244.7.7:8080');
  });

  it('an event over the size bound is refused without reading it whole', async () => {
    opts.maxEventBytes = 4096;
    const { dp } = await watched();
    api.set(SLICES, slice(Array.from({ length: 200 }, (_, i) => `10.244.8.${i}`)));
    await eventually(() => warnings.some((w) => w.includes('larger than the 4 KiB limit of one event')));
    expect(newConnection(dp)).toBe('10.244.1.5:8080');
  });

  it('an object the API sends that is invalid is skipped with a warning; the rest applies', async () => {
    const { dp } = await watched();
    api.set(SLICES, slice(['10.244.1.500']));
    await eventually(() => warnings.length > 0);
    expect(warnings[0]).toMatch(/EndpointSlice shop\/web-abc: .*endpoints\[0\]\.addresses\[0\]: "10\.244\.1\.500" is not a valid IP address/);
    expect(newConnection(dp)).toBe('10.244.1.5:8080');
  });

  it('a change the tables have no room for is not applied, with a warning; the watch goes on', async () => {
    const dp = new Dataplane({ maxServicePorts: 1, roomForUpdates: false });
    await watchCluster(dp, kubeconfigFor(api.url), opts);
    await eventually(() => api.watches(SERVICES).length > 0);
    api.set(SERVICES, { ...SERVICE, metadata: { ...SERVICE.metadata, name: 'api', uid: 'svc-api' }, spec: { ...SERVICE.spec, clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] } });
    await eventually(() => warnings.length > 0);
    expect(warnings).toEqual([`${api.url}${SERVICES}?watch=1&resourceVersion=${api.watches(SERVICES)[0]!.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=300: ADDED Service shop/api not applied: more than 1 service ports (raise --max-service-ports)`]);
    api.set(SLICES, slice(['10.244.2.6']));
    await eventually(() => newConnection(dp) === '10.244.2.6:8080');
  });

  it('a ServiceCIDR added: addresses in it that no Service holds are dropped from then on (a full recompute)', async () => {
    const { dp } = await watched();
    expect(newConnection(dp, '10.96.0.99')).toBe('passed');
    api.set(SERVICE_CIDRS, { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kubernetes' }, spec: { cidrs: ['10.96.0.0/16'] } });
    await eventually(() => newConnection(dp, '10.96.0.99') === 'SERVICE_IP_UNALLOCATED');
    expect(newConnection(dp)).toBe('10.244.1.5:8080');
  });

  it('a Node change that leaves labels, spec and addresses alone (a heartbeat) is not applied', async () => {
    const node = (zone: string, beat: string) => ({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': zone } },
      spec: { podCIDR: '10.244.1.0/24' },
      status: { addresses: [{ type: 'InternalIP', address: '192.168.49.2' }], conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: beat }] },
    });
    api.set(NODES, node('zone-a', '2026-12-03T00:00:00Z'));
    const dp = new Dataplane();
    const applied: string[] = [];
    const target = {
      load: (o: Parameters<Dataplane['load']>[0]) => dp.load(o),
      update: (ev: Parameters<Dataplane['update']>[0]) => {
        const meta = (ev.object as { metadata: { resourceVersion: string } }).metadata;
        applied.push(`${ev.type} ${(ev.object as { kind: string }).kind} ${meta.resourceVersion}`);
        return dp.update(ev);
      },
    };
    await watchCluster(target, kubeconfigFor(api.url), opts);
    await eventually(() => api.watches(NODES).length > 0);
    api.set(NODES, node('zone-a', '2026-12-03T00:00:10Z'));
    const zone = api.set(NODES, node('zone-b', '2026-12-03T00:00:20Z'));
    await eventually(() => applied.length > 0);
    expect(applied).toEqual([`MODIFIED Node ${zone}`]);
  });

  it('a watch the server never answers: given up at the request timeout, a warning, watched again', async () => {
    opts.requestTimeoutMs = 300;
    const { dp } = await watched();
    api.hangWatches = true;
    const before = api.watches(SLICES).length;
    api.dropWatches();
    await eventually(() => warnings.some((w) => w.includes(SLICES) && w.includes('no response within the 0.3 s request timeout')));
    api.hangWatches = false;
    api.set(SLICES, slice(['10.244.2.8']));
    await eventually(() => newConnection(dp) === '10.244.2.8:8080');
    expect(api.watches(SLICES).length).toBeGreaterThan(before + 1);
  });

  it('a failing server: the first list rejects; later failures are warnings, retried with backoff', async () => {
    api.failing.add(SERVICES);
    const err = await watchCluster(new Dataplane(), kubeconfigFor(api.url), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveClusterError);
    expect((err as Error).message).toMatch(/^cannot list services: GET .*: HTTP 500 Internal Server Error: etcd is having a bad day$/);
    api.failing.delete(SERVICES);

    const { dp } = await watched();
    api.failing.add(SLICES);
    const before = api.watches(SLICES).length;
    api.dropWatches();
    await eventually(() => api.watches(SLICES).length >= before + 3);
    expect(warnings.filter((w) => w.includes('HTTP 500')).length).toBeGreaterThanOrEqual(2);
    expect(warnings.some((w) => /retrying in 0\.02 s$/.test(w))).toBe(true); // the backoff doubled
    api.failing.delete(SLICES);
    api.set(SLICES, slice(['10.244.2.9']));
    await eventually(() => newConnection(dp) === '10.244.2.9:8080');
  });
});

describe('svcplane replay - --kubeconfig --watch', () => {
  let api: FakeApiServer;
  beforeAll(() => ensureBuilt());
  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
    api.set(SERVICES, SERVICE);
    api.set(SLICES, slice(['10.244.1.5']));
  });
  afterEach(() => api.stop());

  /** SYNs to the VIP, one a second from `t0`, each from its own client port. */
  function syns(t0: number, n: number): { bytes: Uint8Array; frames: number[] } {
    const parts: Uint8Array[] = [];
    const frames: number[] = [];
    for (let i = 0; i < n; i++) {
      const data = buildPacket({ src: '10.244.9.9', dst: VIP, sport: nextPort++, dport: 80, proto: 'TCP', flags: 0x02 });
      parts.push(pcapRecord({ sec: t0 + i, frac: 0, data }));
      frames.push(data.length);
    }
    return { bytes: Buffer.concat(parts), frames };
  }

  /** Destination addresses of the packets of a pcap (Ethernet, IPv4). */
  function destinations(pcap: Buffer): string[] {
    const out: string[] = [];
    for (let at = 24; at + 16 <= pcap.length;) {
      const len = pcap.readUInt32LE(at + 8);
      const ip = at + 16 + 14;
      out.push([...pcap.subarray(ip + 16, ip + 20)].join('.'));
      at += 16 + len;
    }
    return out;
  }

  it('a capture read live from standard input sees an EndpointSlice change as it is made', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'svcplane-watch-cli-')), 'report.json');
    const child = spawn(process.execPath, [CLI, 'replay', '-', '--kubeconfig', kubeconfigFor(api.url), '--watch', '-w', '-', '--report', report, '-q'],
      { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out = Buffer.concat([out, b])));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // Five connections, and their translated packets back on standard output: replayed.
    const first = syns(1000, 5);
    child.stdin.write(Buffer.concat([pcapHeader(), first.bytes]));
    const firstBytes = 24 + first.frames.reduce((a, n) => a + 16 + n, 0);
    await eventually(() => out.length >= firstBytes);
    // The watches start once the capture's header is in (read before the replay starts).
    await eventually(() => api.watches(SLICES).length > 0);

    // The slice changes; the watch ending cleanly makes the command watch again from the
    // change's resourceVersion, which says it has applied it.
    const changed = api.set(SLICES, slice(['10.244.2.6']));
    await eventually(() => api.watches(SLICES).some((w) => w.resourceVersion === String(changed)) || (api.endWatches(), false));

    child.stdin.end(syns(1005, 5).bytes);
    expect(await exited, err).toBe(0);
    expect(err).toBe('');
    expect(destinations(out)).toEqual([...Array(5).fill('10.244.1.5'), ...Array(5).fill('10.244.2.6')]);
    const r = JSON.parse(readFileSync(report, 'utf8')) as {
      services: { service: string; backends: { backend: string; connections: number }[] }[];
      updates: { at: number; type: string; object: string }[];
    };
    const web = r.services.find((s) => s.service === 'shop/web:http')!;
    expect(Object.fromEntries(web.backends.map((b) => [b.backend, b.connections]))).toEqual({ '10.244.1.5:8080': 5, '10.244.2.6:8080': 5 });
    expect(r.updates.map((u) => [u.type, u.object, u.at])).toEqual([['MODIFIED', 'EndpointSlice shop/web-abc', 4]]);
  });

  it('a capture file replays at full speed and the command ends, its watches closed', async () => {
    const r = await runCliAsync(['replay', 'pcaps/demo.pcapng', '--kubeconfig', kubeconfigFor(api.url), '--watch', '--json', '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { services: { service: string }[]; updates: unknown[] };
    expect(report.services.map((s) => s.service)).toEqual(['shop/web:http']);
    expect(report.updates).toEqual([]);
  });

  it('exits 2 with one line when the first list fails, and --watch needs --kubeconfig', async () => {
    api.failing.add(SLICES);
    const r = await runCliAsync(['replay', 'pcaps/demo.pcapng', '--kubeconfig', kubeconfigFor(api.url), '--watch', '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^svcplane: cannot list endpointslices\\.discovery\\.k8s\\.io: GET ${api.url}${SLICES}\\?limit=500: HTTP 500 Internal Server Error: etcd is having a bad day\n$`));
    expect(api.requests.filter((q) => q.watch)).toEqual([]);
    const usage = await runCliAsync(['replay', 'pcaps/demo.pcapng', '--watch', '-q']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('svcplane: --watch needs --kubeconfig\n');
  });
});
