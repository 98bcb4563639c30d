// examples/l4-proxy end to end: real backend servers on 127.0.0.x (Linux routes all of 127/8 to
// lo), the proxy on 127.0.0.1, 10,000 TCP connections and 2,000 UDP flows through it with an
// EndpointSlice change in the middle. Checked: every connection reaches the backend the core
// chooses for its SYN (a second Dataplane, fed the same SYNs, agrees connection by connection);
// no established connection breaks on the change (each keeps talking to its backend, a removed
// one included); new connections follow the new set; per backend, the counts match the share of
// Maglev table slots the core holds within ±4σ of a binomial count; UDP flows to a removed
// backend move to the new set while the others keep theirs, and the removed backend's late
// answers are not delivered.

import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as net from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Dataplane, abi, parseObjectsText, type ClusterObjects, type WatchEvent } from '../src/index.js';
import { L4Proxy } from '../examples/l4-proxy/proxy.js';
import { parseListen } from '../examples/l4-proxy/listen.js';
import { tcpPacket, udpPacket, SYN, RST, LINK_TYPE, type Endpoint } from '../examples/l4-proxy/packet.js';
import { ensureBuilt, REPO, tempDir } from './helpers/cli.js';

const VIP = '10.96.0.10';
const BEFORE = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
const AFTER = ['127.0.0.11', '127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16'];
const REMOVED = '127.0.0.12';
const ALL = [...new Set([...BEFORE, ...AFTER])];
const TCP_PER_PHASE = 5_000;
const TCP_KEPT = 1_000;
const UDP_PER_PHASE = 1_000;
const CONCURRENCY = 64;

function cluster(port: number): string {
  return `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  clusterIP: ${VIP}
  ports: [{name: tcp, port: 80, protocol: TCP}, {name: udp, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec: {clusterIP: 10.96.0.20, ports: [{name: tcp, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: down, namespace: default}
spec: {clusterIP: 10.96.0.21, ports: [{name: tcp, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: down-1, namespace: default, labels: {kubernetes.io/service-name: down}}
addressType: IPv4
ports: [{name: tcp, port: ${port}, protocol: TCP}]
endpoints: [{addresses: [127.0.0.19]}]
---
${slice(port, BEFORE)}`;
}

function slice(port: number, addresses: string[]): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: tcp, port: ${port}, protocol: TCP}, {name: udp, port: ${port}, protocol: UDP}]
endpoints: [${addresses.map((a) => `{addresses: [${a}]}`).join(', ')}]
`;
}

/** Runs fn(0..n-1) with at most `limit` running at once. */
async function pool<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

// ---- backends: each answers every line (TCP) or datagram (UDP) with its own address ----------

interface Backends { port: number; close(): Promise<void>; udpPeers: Map<string, dgram.RemoteInfo[]>; udp: Map<string, dgram.Socket> }

async function startBackends(): Promise<Backends> {
  const servers: net.Server[] = [];
  const udp = new Map<string, dgram.Socket>();
  const udpPeers = new Map<string, dgram.RemoteInfo[]>();
  let port = 0;
  for (const ip of ALL) {
    const s = net.createServer((c) => {
      c.on('data', (d) => { for (const b of d) if (b === 0x0a) c.write(`${ip}\n`); });
      c.on('end', () => c.end());
      c.on('error', () => undefined);
    });
    s.listen({ host: ip, port, backlog: 4096 });
    await once(s, 'listening');
    port = (s.address() as net.AddressInfo).port;
    servers.push(s);
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => {
      udpPeers.get(ip)!.push(r);
      u.send(`${ip} ${m}`, r.port, r.address);
    });
    u.bind(port, ip);
    await once(u, 'listening');
    udp.set(ip, u);
    udpPeers.set(ip, []);
  }
  return {
    port, udp, udpPeers,
    async close() {
      for (const u of udp.values()) u.close();
      await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
    },
  };
}

// ---- clients --------------------------------------------------------------------------------

/** A TCP client that asks its backend's address, one line at a time. */
class TcpClient {
  private buffered = '';
  private waiting: ((line: string) => void)[] = [];
  readonly closed: Promise<unknown>;
  broken = false;
  constructor(readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buffered += d;
      for (let nl; (nl = this.buffered.indexOf('\n')) >= 0;) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    sock.on('error', () => { this.broken = true; });
    this.closed = once(sock, 'close');
    void this.closed.then(() => { for (const w of this.waiting.splice(0)) w('closed'); });
  }
  static async open(at: Endpoint): Promise<TcpClient> {
    const sock = net.connect({ host: at.ip, port: at.port });
    await once(sock, 'connect');
    return new TcpClient(sock);
  }
  ask(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.sock.write('which?\n');
    });
  }
  async close(): Promise<void> {
    this.sock.end();
    await this.closed;
  }
}

/**
 * A UDP client (one flow: its own socket) that asks its backend's address, retransmitting until
 * answered (loopback may drop when buffers fill); each question is numbered and answered with
 * its number, so a duplicate answer to an earlier one is never taken for the answer.
 */
class UdpClient {
  readonly got: string[] = [];
  private asked = 0;
  private constructor(readonly sock: dgram.Socket, private readonly to: Endpoint) {
    sock.on('message', (m) => this.got.push(String(m)));
  }
  static async open(to: Endpoint): Promise<UdpClient> {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    return new UdpClient(s, to);
  }
  get port(): number { return this.sock.address().port; }
  async ask(): Promise<string> {
    const q = `q${++this.asked}`;
    for (let attempt = 0; ; attempt++) {
      this.sock.send(q, this.to.port, this.to.ip);
      for (let wait = 0; wait < 50; wait++) {
        const answer = this.got.find((g) => g.endsWith(` ${q}`));
        if (answer) return answer.split(' ')[0]!;
        await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
      }
    }
  }
}

// ---- the core's own view: Maglev shares, and the choice a second Dataplane makes -------------

/** Share of the Maglev table slots per backend address of a service port, read from the core. */
function maglevShares(dp: Dataplane, key: string): Map<string, number> {
  const slot = dp.tables.slotFor(key)!;
  const ptr = dp.core.exports.maglevTableOf(slot, abi.SET_CLUSTER);
  expect(ptr).not.toBe(0);
  const m = dp.core.options.maglevSize;
  const ids = new Uint32Array(dp.core.exports.memory.buffer, ptr, m);
  const shares = new Map<string, number>();
  for (const id of ids) {
    const ip = dp.tables.backendNames[id]!.split(':')[0]!;
    shares.set(ip, (shares.get(ip) ?? 0) + 1 / m);
  }
  return shares;
}

/** Each backend's count is within ±4σ of N·p (binomial), and no count falls outside the table. */
function expectMaglevDistribution(counts: Map<string, number>, shares: Map<string, number>): void {
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  for (const ip of counts.keys()) expect(shares.has(ip), `${ip} is not in the table`).toBe(true);
  for (const [ip, p] of shares) {
    const observed = counts.get(ip) ?? 0;
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(observed - n * p), `${ip}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} ± ${(4 * sigma).toFixed(1)}`)
      .toBeLessThanOrEqual(4 * sigma);
  }
}

function countBy(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** The backend address a fresh SYN (or first datagram) from 127.0.0.1:port gets from `dp`. */
function choiceOf(dp: Dataplane, proto: 'tcp' | 'udp', port: number, time: number): string {
  const t = { src: { ip: '127.0.0.1', port }, dst: { ip: VIP, port: proto === 'tcp' ? 80 : 53 } };
  const [r] = dp.process([{ ...(proto === 'tcp' ? tcpPacket(t, SYN, 1, 0) : udpPacket(t, 6)), linkType: LINK_TYPE, time }]);
  expect(r!.verdict).toBe('translated');
  // A reset right after: the client port may come back (tcp_tw_reuse on loopback), and a SYN then reopens.
  if (proto === 'tcp') dp.process([{ ...tcpPacket(t, RST, 2, 0), linkType: LINK_TYPE, time }]);
  return r!.backend!.split(':')[0]!;
}

// ---- the test ---------------------------------------------------------------------------------

let backends: Backends;
let change: WatchEvent;
/** The cluster before the change, parsed anew for each Dataplane (a Dataplane's events edit the objects it was given). */
const clusterObjects = (): ClusterObjects => parseObjectsText(cluster(backends.port), 'cluster.yaml', { strict: true }).objects;
let proxy: L4Proxy;
let tcpAt: Endpoint, udpAt: Endpoint, emptyAt: Endpoint, downAt: Endpoint;

beforeAll(async () => {
  backends = await startBackends();
  change = { type: 'MODIFIED', object: parseObjectsText(slice(backends.port, AFTER), 'slice.yaml', { strict: true }).objects.endpointSlices.get('default/echo-1') };
});

afterAll(async () => {
  await backends?.close();
});

describe('examples/l4-proxy', () => {
  /** A proxy of its own for each test, on the cluster as it was before the change. */
  beforeEach(async () => {
    const objects = clusterObjects();
    proxy = new L4Proxy({
      objects,
      listen: ['127.0.0.1:0=default/echo:tcp', '127.0.0.1:0=default/echo:udp', '127.0.0.1:0=default/empty:tcp', '127.0.0.1:0=default/down:tcp']
        .map((s) => parseListen(s, objects)),
    });
    [tcpAt, udpAt, emptyAt, downAt] = (await proxy.start()).map((b) => b.address) as [Endpoint, Endpoint, Endpoint, Endpoint];
  });

  afterEach(async () => {
    await proxy.close();
  });

  it('10,000 TCP connections, an EndpointSlice change in the middle', async () => {
    const reference = new Dataplane({ objects: clusterObjects() });
    let time = 0;

    // Before the change: 5,000 connections; the first 1,000 stay open across the change.
    const kept: TcpClient[] = [];
    const before = await pool(TCP_PER_PHASE, CONCURRENCY, async (i) => {
      const c = await TcpClient.open(tcpAt);
      const port = c.sock.localPort!;
      const backend = await c.ask();
      if (i < TCP_KEPT) kept.push(c); else await c.close();
      return { port, backend };
    });
    for (const b of before) expect(b.backend).toBe(choiceOf(reference, 'tcp', b.port, ++time));
    const sharesBefore = maglevShares(proxy.dataplane, 'default/echo:tcp');
    expect([...sharesBefore.keys()].sort()).toEqual(BEFORE);
    expectMaglevDistribution(countBy(before.map((b) => b.backend)), sharesBefore);

    const keptBackends = await Promise.all(kept.map((c) => c.ask()));
    const onRemoved = keptBackends.filter((b) => b === REMOVED).length;
    expect(onRemoved).toBeGreaterThan(0);

    // The change: .12 leaves, .15 and .16 join.
    expect(proxy.update(change).problems).toEqual([]);
    reference.event(change);

    // Established connections keep talking to their backend, the removed one included.
    expect(await Promise.all(kept.map((c) => c.ask()))).toEqual(keptBackends);

    // After the change: 5,000 new connections follow the new set.
    const after = await pool(TCP_PER_PHASE, CONCURRENCY, async () => {
      const c = await TcpClient.open(tcpAt);
      const port = c.sock.localPort!;
      const backend = await c.ask();
      await c.close();
      return { port, backend };
    });
    expect(after.filter((a) => !AFTER.includes(a.backend))).toEqual([]);
    for (const a of after) expect(a.backend).toBe(choiceOf(reference, 'tcp', a.port, ++time));
    const sharesAfter = maglevShares(proxy.dataplane, 'default/echo:tcp');
    expect([...sharesAfter.keys()].sort()).toEqual(AFTER);
    expectMaglevDistribution(countBy(after.map((a) => a.backend)), sharesAfter);

    // Still the same backends for the long-lived ones, after all that; then they close cleanly.
    expect(await Promise.all(kept.map((c) => c.ask()))).toEqual(keptBackends);
    await Promise.all(kept.map((c) => c.close()));
    expect(kept.filter((c) => c.broken)).toEqual([]);

    const s = proxy.stats.tcp;
    expect(s).toMatchObject({ accepted: 2 * TCP_PER_PHASE, connected: 2 * TCP_PER_PHASE, broken: 0, backendErrors: 0, refused: {} });
    // The core counted every connection once, on the backend each client saw.
    const svc = proxy.dataplane.counters().services.find((x) => x.service === 'default/echo:tcp')!;
    expect(svc.connections).toBe(2 * TCP_PER_PHASE);
    const seen = countBy([...before, ...after].map((x) => x.backend));
    for (const b of svc.backends) expect(b.connections, b.backend).toBe(seen.get(b.backend.split(':')[0]!) ?? 0);
  }, 600_000);

  it('UDP: every datagram through the core; flows to a removed backend move, the rest stay', async () => {
    const reference = new Dataplane({ objects: clusterObjects() });
    let time = 0;
    const stats = proxy.stats.udp;
    const first = stats.forwarded;

    const old = await pool(UDP_PER_PHASE, CONCURRENCY, async () => {
      const c = await UdpClient.open(udpAt);
      return { c, backend: await c.ask() };
    });
    for (const o of old) expect(o.backend).toBe(choiceOf(reference, 'udp', o.c.port, ++time));
    expectMaglevDistribution(countBy(old.map((o) => o.backend)), maglevShares(proxy.dataplane, 'default/echo:udp'));
    // A second datagram of each flow: conntrack keeps it on its backend.
    for (const o of old) expect(await o.c.ask()).toBe(o.backend);

    expect(proxy.update(change).problems).toEqual([]);
    reference.event(change);

    // The removed backend answers late, to every flow it served: the core no longer reverses those.
    const removedPeers = backends.udpPeers.get(REMOVED)!;
    const late = removedPeers.length;
    expect(late).toBeGreaterThan(0);
    const replied = stats.replied, dropped = stats.repliesDropped;
    for (const r of removedPeers) backends.udp.get(REMOVED)!.send(`${REMOVED} late`, r.port, r.address);
    await expect.poll(() => stats.repliesDropped - dropped, { timeout: 60_000 }).toBe(late);
    expect(stats.replied).toBe(replied);

    // Old flows: kept backends keep them; the removed backend's flows were flushed and move to the new set.
    const again = await pool(old.length, CONCURRENCY, async (i) => old[i]!.c.ask());
    old.forEach((o, i) => {
      if (o.backend !== REMOVED) expect(again[i]).toBe(o.backend);
      else expect(again[i]).toBe(choiceOf(reference, 'udp', o.c.port, ++time));
    });
    expect(again.filter((b) => !AFTER.includes(b))).toEqual([]);

    const fresh = await pool(UDP_PER_PHASE, CONCURRENCY, async () => {
      const c = await UdpClient.open(udpAt);
      return { c, backend: await c.ask() };
    });
    for (const f of fresh) expect(f.backend).toBe(choiceOf(reference, 'udp', f.c.port, ++time));
    expectMaglevDistribution(countBy(fresh.map((f) => f.backend)), maglevShares(proxy.dataplane, 'default/echo:udp'));
    for (const x of [...old, ...fresh]) {
      expect(x.c.got.filter((g) => g.endsWith(' late'))).toEqual([]);
      x.c.sock.close();
    }
    expect(stats.forwarded - first).toBeGreaterThanOrEqual(4 * UDP_PER_PHASE);
    expect(stats.refused).toEqual({});
  }, 600_000);

  const resetOf = async (at: Endpoint) => {
    const sock = net.connect({ host: at.ip, port: at.port });
    const [err] = await once(sock, 'error').catch((e: unknown) => [e]) as [NodeJS.ErrnoException];
    proxy.batcher.flush(); // the RST the proxy queued for the core, if its batch has not run yet
    return err.code;
  };

  it('a Service without endpoints: the core rejects the SYN and the client is reset', async () => {
    expect(await resetOf(emptyAt)).toBe('ECONNRESET');
    expect(proxy.stats.tcp).toMatchObject({ accepted: 1, connected: 0, refused: { SERVICE_NO_ENDPOINTS: 1 } });
    expect(proxy.dataplane.counters().drops).toEqual({ SERVICE_NO_ENDPOINTS: 1 });
  });

  it('a backend that refuses: the client is reset, and the core sees the backend\'s RST', async () => {
    expect(await resetOf(downAt)).toBe('ECONNRESET');
    expect(proxy.stats.tcp).toMatchObject({ accepted: 1, connected: 0, backendErrors: 1, refused: {} });
    // SYN translated to 127.0.0.19, its RST reversed: the entry is closed, as a node's would be.
    const c = proxy.dataplane.counters();
    expect(c.packets).toMatchObject({ in: 2, translated: 1, reversed: 1 });
    expect(c.services.find((s) => s.service === 'default/down:tcp')!.backends[0]).toMatchObject({ backend: `127.0.0.19:${backends.port}`, connections: 1 });
  });
});

// ---- the command ------------------------------------------------------------------------------

const MAIN = path.join(REPO, 'dist', 'examples', 'l4-proxy', 'main.js');

describe('examples/l4-proxy: the command', () => {
  const dir = tempDir('svcplane-l4-proxy-');
  const one = (ip: string) => path.join(dir, `one-${ip}.yaml`);
  beforeAll(() => {
    ensureBuilt();
    // One endpoint before the change and another after: every choice is known.
    fs.writeFileSync(one('before'), cluster(backends.port).replace(slice(backends.port, BEFORE), slice(backends.port, ['127.0.0.11'])));
  });
  const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });

  it('serves from the cluster file, follows the watch stream on stdin, ends on a line that is not an event', async () => {
    const child = spawn(process.execPath, [MAIN, '-c', one('before'), '--listen', '127.0.0.1:0=default/echo:tcp', '--watch', '-'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = once(child, 'exit');
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => String((await lines.next()).value);
    const listening = /^listening on 127\.0\.0\.1:(\d+)\/tcp → 10\.96\.0\.10:80$/.exec(await next());
    expect(listening).not.toBeNull();
    const at = { ip: '127.0.0.1', port: Number(listening![1]) };

    const early = await TcpClient.open(at);
    expect(await early.ask()).toBe('127.0.0.11');
    const ev = { type: 'MODIFIED', object: parseObjectsText(slice(backends.port, ['127.0.0.13']), 's.yaml').objects.endpointSlices.get('default/echo-1') };
    child.stdin.write(JSON.stringify(ev) + '\n');
    expect(await next()).toBe('watch: MODIFIED EndpointSlice default/echo-1: 2 endpoint sets changed');
    const late = await TcpClient.open(at);
    expect(await late.ask()).toBe('127.0.0.13');
    expect(await early.ask()).toBe('127.0.0.11');
    await Promise.all([early.close(), late.close()]);

    child.stdin.write('{"type": "MODIFIED", "object": {}\n');
    const [status] = await exited;
    expect(status).toBe(2);
    expect(stderr).toMatch(/^l4-proxy: -:2: not JSON: [^\n]+\n$/);
  }, 60_000);

  it('bad input: one line, exit 2', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIP: 10.96.0.30, ports: [{port: 70000}]}\n');
    const cases: [string[], RegExp][] = [
      [['-c', one('before'), '--listen', '127.0.0.1:80'], /^l4-proxy: --listen 127\.0\.0\.1:80: expected /],
      [['-c', one('before'), '--listen', '127.0.0.1:0=default/nope:tcp'], /^l4-proxy: --listen 127\.0\.0\.1:0=default\/nope:tcp: no Service default\/nope/],
      [['-c', one('before'), '--listen', '::1:0=default/echo:tcp'], /not an IPv4 address/],
      [['-c', one('before'), '--listen', '127.0.0.1:0=10.96.0.10:80/sctp'], /neither/],
      [['-c', bad, '--listen', '127.0.0.1:0=10.96.0.30:80/tcp'], /^l4-proxy: [^\n]*bad\.yaml:4:[^\n]*70000/],
      [['-c', one('before'), '--listen', '127.0.0.1:0=default/echo:tcp', '--watch', path.join(dir, 'missing.jsonl')], /^l4-proxy: [^\n]*missing\.jsonl: no such file or directory$/m],
      [['-c', one('before')], /required option '--listen/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  }, 120_000);
});
