// loadFromKubeconfig and `--kubeconfig` against API servers that misbehave: one that never
// answers, one that drips a byte at a time, one that streams a 300 MB list, one that repeats its
// continue token, one that closes the connection mid-body, one that answers with an HTML page,
// refusals with a Status body, a TLS server that never finishes its handshake. Every one must end
// in bounded time with a LiveClusterError (code ELIVE; exit 2 from the command) whose message is
// one line naming the URL. A TLS server with a client certificate checks that the requests made
// outside the client library still use the kubeconfig's CA and credentials.
//
// The misbehaviour is chosen by the first path segment of the kubeconfig's server URL
// (http://127.0.0.1:port/<mode>), so that every test, and every command run in parallel, has
// its own server behaviour without shared state.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFromKubeconfig, LiveClusterError, type LiveOptions } from '../src/k8s/live.js';
import { formatBytes, parseByteSize, parseDurationMs } from '../src/k8s/live-options.js';
import { ensureBuilt, mapLimit, PARALLEL, runCliAsync } from './helpers/cli.js';

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/k8s/list.json', import.meta.url)), 'utf8')) as {
  items: { kind: string }[];
};
const SERVICES = fixture.items.filter((i) => i.kind === 'Service').map((i) => {
  const { kind: _k, apiVersion: _a, ...rest } = i as Record<string, unknown>;
  return rest;
});

const LISTS: Record<string, [kind: string, apiVersion: string]> = {
  '/api/v1/services': ['ServiceList', 'v1'],
  '/apis/discovery.k8s.io/v1/endpointslices': ['EndpointSliceList', 'discovery.k8s.io/v1'],
  '/api/v1/nodes': ['NodeList', 'v1'],
  '/apis/networking.k8s.io/v1/servicecidrs': ['ServiceCIDRList', 'networking.k8s.io/v1'],
};

const HUGE_BYTES = 300_000_000;

interface Misbehaving {
  server: Server;
  base: string;
  /** Requests for the Services list, per mode ("GET /api/v1/services?limit=..."). */
  serviceRequests: Map<string, string[]>;
  /** Body bytes written by the streaming modes, per mode. */
  written: Map<string, number>;
  /** Responses the server holds open without answering (hang modes). */
  held: Set<ServerResponse>;
}

function list(path: string, items: unknown[], cont?: string): string {
  const [kind, apiVersion] = LISTS[path]!;
  return JSON.stringify({ kind, apiVersion, metadata: { resourceVersion: '1', ...(cont ? { continue: cont } : {}) }, items });
}

/** Writes a ServiceList of about `total` bytes, minding backpressure, until done or the client goes away. */
function streamHugeList(res: ServerResponse, total: number, written: Map<string, number>, mode: string): void {
  const item = JSON.stringify({ metadata: { name: 'filler', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }) + ',';
  const block = Buffer.from(item.repeat(Math.ceil(65536 / item.length)));
  let sent = 0;
  let closed = false;
  res.on('close', () => (closed = true));
  const pump = (): void => {
    while (!closed) {
      if (sent >= total) {
        res.end('{"metadata":{"name":"last","namespace":"default"}}]}');
        return;
      }
      sent += block.length;
      written.set(mode, sent);
      if (!res.write(block)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.write('{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[');
  pump();
}

function startMisbehaving(): Promise<Misbehaving> {
  const m: Misbehaving = {
    server: undefined as unknown as Server,
    base: '',
    serviceRequests: new Map(),
    written: new Map(),
    held: new Set(),
  };
  m.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, mode = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const cont = url.searchParams.get('continue');
    const json = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    const hold = (): void => {
      m.held.add(res);
      res.on('close', () => m.held.delete(res));
    };
    if (!(path in LISTS)) return json(404, '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
    if (path !== '/api/v1/services') {
      if (mode === 'services-fail-nodes-hang' && path === '/api/v1/nodes') return hold();
      return json(200, list(path, []));
    }
    const log = m.serviceRequests.get(mode) ?? [];
    m.serviceRequests.set(mode, log);
    log.push(`GET ${path}${url.search}`);
    switch (mode) {
      case 'ok':
        return json(200, list(path, SERVICES));
      case 'hang':
        return hold();
      case 'hangup':
        req.socket.destroy();
        return;
      case 'drip': {
        // A byte every 100 ms: JSON whitespace, forever.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json' });
        return streamHugeList(res, HUGE_BYTES, m.written, mode);
      case 'huge-length':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BYTES) });
        return streamHugeList(res, HUGE_BYTES, m.written, mode);
      case 'same-continue':
        return json(200, list(path, SERVICES.slice(0, 1), 'again'));
      case 'cycle-continue':
        return json(200, list(path, [], cont === 'a' ? 'b' : 'a'));
      case 'endless':
        return json(200, list(path, [], `page-${Number(cont?.slice(5) ?? 1) + 1}`));
      case 'cut-length':
      case 'cut-chunked': {
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(mode === 'cut-length' ? { 'content-length': '1000' } : {}),
        });
        res.write(list(path, SERVICES).slice(0, 100));
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html>\n<html><body>Please sign in</body></html>\n');
        return;
      case 'not-list':
        return json(200, '{"kind":"Status","apiVersion":"v1","status":"Success"}');
      case 'bad-json':
        return json(200, '{"kind":"ServiceList",\n"items": [ oops');
      case 'forbidden':
        return json(403, JSON.stringify({
          kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
          message: 'services is forbidden: User "system:serviceaccount:default:reader"\ncannot list resource "services" in API group "" at the cluster scope',
        }));
      case 'error':
        return json(500, JSON.stringify({
          kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'InternalError', code: 500, message: 'etcdserver: request timed out',
        }));
      case 'bad-gateway':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'services-fail-nodes-hang':
        return json(500, '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"boom","code":500}');
      default:
        return json(404, '{}');
    }
  });
  return new Promise((resolve) => {
    m.server.listen(0, '127.0.0.1', () => {
      m.base = `http://127.0.0.1:${(m.server.address() as AddressInfo).port}`;
      resolve(m);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'svcplane-live-limits-'));
let configs = 0;

function kubeconfig(server: string, extra: { cluster?: string[]; user?: string[] } = {}): string {
  const path = join(dir, `config-${++configs}`);
  const cluster = extra.cluster ?? ['    insecure-skip-tls-verify: true'];
  const user = extra.user ?? ['    token: test-token'];
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server}`,
      ...cluster,
      'users:',
      '- name: u',
      '  user:',
      ...user,
      'contexts:',
      '- name: ctx',
      '  context:',
      '    cluster: c',
      '    user: u',
      'current-context: ctx',
      '',
    ].join('\n'),
  );
  return path;
}

/** Small limits, so that every failure comes within a second or two. */
const FAST: LiveOptions = { requestTimeoutMs: 500, connectTimeoutMs: 300, maxResponseBytes: 1 << 20 };

/** Runs a load expected to fail; returns its error (checked: ELIVE, one line) and how long it took. */
async function failure(server: string, opts: LiveOptions = FAST): Promise<{ err: LiveClusterError; ms: number }> {
  const started = Date.now();
  const err = await loadFromKubeconfig(kubeconfig(server), undefined, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - started;
  expect(err).toBeInstanceOf(LiveClusterError);
  expect((err as LiveClusterError).code).toBe('ELIVE');
  expect((err as Error).message).not.toMatch(/[\r\n]/);
  return { err: err as LiveClusterError, ms };
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('loadFromKubeconfig against a misbehaving API server', () => {
  let m: Misbehaving;
  /** "cannot list services: GET http://127.0.0.1:port/<mode>/api/v1/services?limit=500: " */
  const servicesURL = (mode: string, query = 'limit=500') => `${m.base}/${mode}/api/v1/services?${query}`;
  const prefix = (mode: string, query?: string) => new RegExp(`^cannot list services: GET ${re(servicesURL(mode, query))}: `);

  beforeAll(async () => {
    m = await startMisbehaving();
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        m.server.closeAllConnections();
        m.server.close(() => resolve());
      }),
  );

  it('reads a well-behaved server behind a path prefix', async () => {
    const r = await loadFromKubeconfig(kubeconfig(`${m.base}/ok/`), undefined, FAST);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
    expect(m.serviceRequests.get('ok')).toEqual(['GET /api/v1/services?limit=500']);
  });

  it('gives up on a server that never answers (request timeout)', async () => {
    const { err, ms } = await failure(`${m.base}/hang`);
    expect(err.message).toMatch(prefix('hang'));
    expect(err.message).toMatch(/: no response within the 0\.5 s request timeout \(--request-timeout\)$/);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(5000);
    // The connection is closed, not left open.
    await expect.poll(() => m.held.size, { timeout: 2000 }).toBe(0);
  });

  it('gives up on a server that drips its body (the timeout covers the whole answer)', async () => {
    const { err, ms } = await failure(`${m.base}/drip`);
    expect(err.message).toMatch(prefix('drip'));
    expect(err.message).toMatch(/: body incomplete at the 0\.5 s request timeout \(--request-timeout\): [0-9]+ bytes received$/);
    expect(ms).toBeLessThan(5000);
  });

  it('gives up on a TLS server that accepts the connection and never completes the handshake (connect timeout)', async () => {
    // Reads (so that it sees the client hang up) and never writes.
    const silent: NetServer = createNetServer((s: Socket) => s.on('error', () => {}).resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const server = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const { err, ms } = await failure(server, { ...FAST, requestTimeoutMs: 10_000 });
      expect(err.message).toBe(
        `cannot list services: GET ${server}/api/v1/services?limit=500: ` +
          'connection (TCP and TLS) not established within the 0.3 s connect timeout (--connect-timeout)',
      );
      expect(ms).toBeLessThan(5000);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('stops reading a streamed 300 MB list at the size limit', async () => {
    const before = process.memoryUsage().rss;
    const { err, ms } = await failure(`${m.base}/huge`);
    expect(err.message).toMatch(prefix('huge'));
    expect(err.message).toMatch(
      /: HTTP 200 OK: the answer is larger than the 1 MiB limit \(--max-response-size\): stopped reading after [0-9]+ bytes$/,
    );
    expect(ms).toBeLessThan(5000);
    // The client hung up: the server managed to write only what the socket buffers held.
    await new Promise((r) => setTimeout(r, 200));
    expect(m.written.get('huge')).toBeLessThan(64 << 20);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
  });

  it('refuses an answer whose Content-Length is over the limit without reading it', async () => {
    const { err } = await failure(`${m.base}/huge-length`);
    expect(err.message).toMatch(prefix('huge-length'));
    expect(err.message).toMatch(/: HTTP 200 OK: the answer is larger than the 1 MiB limit \(--max-response-size\): Content-Length 300000000$/);
  });

  it('ends a list whose server repeats its continue token', async () => {
    const { err, ms } = await failure(`${m.base}/same-continue`);
    expect(err.message).toMatch(prefix('same-continue', 'limit=500&continue=again'));
    expect(err.message).toMatch(/: page 2 repeats the continue token "again" of an earlier page; giving up \(the list would never end\)$/);
    expect(m.serviceRequests.get('same-continue')).toHaveLength(2);
    expect(ms).toBeLessThan(5000);
    // Tokens that come back after others (a, b, a) too.
    const cycle = await failure(`${m.base}/cycle-continue`);
    expect(cycle.err.message).toMatch(/: page 3 repeats the continue token "a" of an earlier page;/);
    expect(m.serviceRequests.get('cycle-continue')).toHaveLength(3);
  });

  it('ends a list that goes on past the page limit', async () => {
    const { err } = await failure(`${m.base}/endless`, { ...FAST, maxPages: 5 });
    expect(err.message).toMatch(prefix('endless', 'limit=500&continue=page-6'));
    expect(err.message).toMatch(/: the list goes on past 5 pages of 500; giving up$/);
    expect(m.serviceRequests.get('endless')).toHaveLength(5);
  });

  it('reports a body cut short by a closed connection', async () => {
    const withLength = await failure(`${m.base}/cut-length`);
    expect(withLength.err.message).toMatch(prefix('cut-length'));
    expect(withLength.err.message).toMatch(/: the connection closed after 100 of the 1000 announced bytes of the body: the answer is cut short$/);
    const chunked = await failure(`${m.base}/cut-chunked`);
    expect(chunked.err.message).toMatch(prefix('cut-chunked'));
    expect(chunked.err.message).toMatch(/: the connection closed after 100 bytes of the body: the answer is cut short$/);
    const hangup = await failure(`${m.base}/hangup`);
    expect(hangup.err.message).toMatch(prefix('hangup'));
    expect(hangup.err.message).toMatch(/: the server closed the connection without answering$/);
  });

  it('refuses answers that are not a JSON List of the kind asked for', async () => {
    const html = await failure(`${m.base}/html`);
    expect(html.err.message).toBe(
      `cannot list services: GET ${servicesURL('html')}: HTTP 200 OK with content type text/html; charset=utf-8, not JSON`,
    );
    expect(html.err.status).toBe(200);
    const notList = await failure(`${m.base}/not-list`);
    expect(notList.err.message).toBe(`cannot list services: GET ${servicesURL('not-list')}: HTTP 200 OK: not a ServiceList (kind Status)`);
    const badJson = await failure(`${m.base}/bad-json`);
    expect(badJson.err.message).toMatch(prefix('bad-json'));
    expect(badJson.err.message).toMatch(/: HTTP 200 OK \(application\/json\), 38 bytes: not valid JSON: /);
  });

  it('reports refusals with the Status message, on one line', async () => {
    const forbidden = await failure(`${m.base}/forbidden`);
    expect(forbidden.err.status).toBe(403);
    expect(forbidden.err.message).toBe(
      `cannot list services (the user needs get/list on it): GET ${servicesURL('forbidden')}: HTTP 403 Forbidden: ` +
        'services is forbidden: User "system:serviceaccount:default:reader" cannot list resource "services" in API group "" at the cluster scope',
    );
    const error = await failure(`${m.base}/error`);
    expect(error.err.status).toBe(500);
    expect(error.err.message).toBe(`cannot list services: GET ${servicesURL('error')}: HTTP 500 Internal Server Error: etcdserver: request timed out`);
    const gateway = await failure(`${m.base}/bad-gateway`);
    expect(gateway.err.message).toBe(`cannot list services: GET ${servicesURL('bad-gateway')}: HTTP 502 Bad Gateway (text/html)`);
  });

  it('abandons the other lists when one fails (no connection left waiting)', async () => {
    const { err, ms } = await failure(`${m.base}/services-fail-nodes-hang`, { ...FAST, requestTimeoutMs: 20_000 });
    expect(err.message).toMatch(prefix('services-fail-nodes-hang'));
    expect(err.message).toMatch(/: HTTP 500 Internal Server Error: boom$/);
    expect(ms).toBeLessThan(5000);
    await expect.poll(() => m.held.size, { timeout: 2000 }).toBe(0);
  });

  it('reports a refused connection', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { err } = await failure(`http://127.0.0.1:${port}`);
    expect(err.message).toBe(`cannot list services: GET http://127.0.0.1:${port}/api/v1/services?limit=500: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('reports a context it cannot use (plain http without insecure-skip-tls-verify)', async () => {
    const config = kubeconfig(`${m.base}/ok`, { cluster: [] });
    const err = await loadFromKubeconfig(config, undefined, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveClusterError);
    expect((err as Error).message).toMatch(new RegExp(`^${re(config)}#ctx: cannot use this context: HTTP protocol is not allowed`));
  });

  describe('the command line', () => {
    beforeAll(() => ensureBuilt());

    const run = (mode: string, extra: string[] = []) =>
      runCliAsync([
        'replay', 'pcaps/demo.pcapng', '--kubeconfig', kubeconfig(`${m.base}/${mode}`), '--node', 'node-a', '-q',
        '--request-timeout', '0.5', '--connect-timeout', '300ms', '--max-response-size', '1Mi', ...extra,
      ]);

    it('exits 2 with one line naming the URL, for every misbehaviour', async () => {
      const expected: [string, RegExp][] = [
        ['hang', /no response within the 0\.5 s request timeout \(--request-timeout\)$/],
        ['drip', /body incomplete at the 0\.5 s request timeout \(--request-timeout\): [0-9]+ bytes received$/],
        ['huge', /HTTP 200 OK: the answer is larger than the 1 MiB limit \(--max-response-size\): stopped reading after [0-9]+ bytes$/],
        ['same-continue', /page 2 repeats the continue token "again" of an earlier page; giving up \(the list would never end\)$/],
        ['cut-length', /the connection closed after 100 of the 1000 announced bytes of the body: the answer is cut short$/],
        ['cut-chunked', /the connection closed after 100 bytes of the body: the answer is cut short$/],
        ['html', /HTTP 200 OK with content type text\/html; charset=utf-8, not JSON$/],
        ['forbidden', /HTTP 403 Forbidden: services is forbidden: User "system:serviceaccount:default:reader" cannot list resource/],
        ['error', /HTTP 500 Internal Server Error: etcdserver: request timed out$/],
      ];
      const results = await mapLimit(expected, PARALLEL, ([mode]) => run(mode));
      results.forEach((r, i) => {
        const [mode, tail] = expected[i]!;
        expect(r.timedOut, `${mode}: ${r.command}`).toBe(false);
        expect(r.status, `${mode}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.endsWith('\n')).toBe(true);
        const lines = r.stderr.slice(0, -1).split('\n');
        expect(lines, mode).toHaveLength(1);
        expect(lines[0], mode).toMatch(new RegExp(`^svcplane: cannot list services[^:]*: GET ${re(m.base)}/${mode}/api/v1/services\\?limit=500`));
        expect(lines[0], mode).toMatch(tail);
      });
    });

    it('reads a well-behaved server with the limit options', async () => {
      const r = await run('ok', ['--json']);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { services: { service: string }[] };
      expect(report.services.map((s) => s.service)).toEqual(['shop/cart:http', 'shop/checkout:http']);
    });

    it('refuses bad limit values (exit 2)', async () => {
      const bad = await Promise.all([
        run('ok', ['--request-timeout', 'soon']),
        run('ok', ['--connect-timeout', '-1']),
        run('ok', ['--max-response-size', '0']),
        run('ok', ['--max-response-size', '1Gi']),
      ]);
      for (const r of bad) expect(r.status, r.stderr).toBe(2);
      expect(bad[0]!.stderr).toMatch(/--request-timeout: expected a duration/);
      expect(bad[3]!.stderr).toMatch(/--max-response-size: at most [0-9]+ bytes/);
    });
  });
});

describe('limit option values', () => {
  it('durations: seconds by default, or ms, s, m, h; 0 means none', () => {
    expect(parseDurationMs('60')).toBe(60_000);
    expect(parseDurationMs('0.5')).toBe(500);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(parseDurationMs('0')).toBe(0);
    for (const bad of ['', 'soon', '-1', '1d', '0.0001', '1e3', '30 days']) expect(() => parseDurationMs(bad), bad).toThrow(RangeError);
  });

  it('sizes: bytes, Ki/Mi/Gi (1024s) or k/M/G (1000s), up to the longest string', () => {
    expect(parseByteSize('1048576')).toBe(1 << 20);
    expect(parseByteSize('1Mi')).toBe(1 << 20);
    expect(parseByteSize('256MiB')).toBe(256 << 20);
    expect(parseByteSize('500M')).toBe(500_000_000);
    expect(parseByteSize('64k')).toBe(64_000);
    expect(parseByteSize('1.5Ki')).toBe(1536);
    for (const bad of ['', '0', '-5', 'big', '1Ti', '1Gi', '600Mi']) expect(() => parseByteSize(bad), bad).toThrow(RangeError);
    expect(formatBytes(256 << 20)).toBe('256 MiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1000)).toBe('1000 bytes');
  });
});

// ---------------------------------------------------------------------------------------------
// TLS: the requests made with node:https use the kubeconfig's CA and client certificate.

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!haveOpenssl)('over TLS with a client certificate', () => {
  let server: HttpsServer;
  let url: string;
  const pem: Record<string, string> = {};
  const b64 = (name: string) => Buffer.from(pem[name]!).toString('base64');

  beforeAll(async () => {
    const tls = mkdtempSync(join(tmpdir(), 'svcplane-live-tls-'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=svcplane-test-ca'], tls);
    writeFileSync(join(tls, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(join(tls, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'reader']]) {
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], tls);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
        '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], tls);
    }
    for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key']) pem[f] = readFileSync(join(tls, f), 'utf8');
    server = createHttpsServer(
      { key: pem['server.key'], cert: pem['server.crt'], ca: pem['ca.crt'], requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        if (cn !== 'reader' || !(path in LISTS)) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end('{"kind":"Status","message":"who are you"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(list(path, path === '/api/v1/services' ? SERVICES : []));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('verifies the server with certificate-authority-data and presents the client certificate', async () => {
    const config = kubeconfig(url, {
      cluster: [`    certificate-authority-data: ${b64('ca.crt')}`],
      user: [`    client-certificate-data: ${b64('client.crt')}`, `    client-key-data: ${b64('client.key')}`],
    });
    const r = await loadFromKubeconfig(config, undefined, FAST);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
  });

  it('refuses a server its CA does not vouch for, on one line', async () => {
    const config = kubeconfig(url, {
      cluster: [`    certificate-authority-data: ${b64('server.crt')}`],
      user: [`    client-certificate-data: ${b64('client.crt')}`, `    client-key-data: ${b64('client.key')}`],
    });
    const err = await loadFromKubeconfig(config, undefined, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveClusterError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot list services: GET ${re(url)}/api/v1/services\\?limit=500: [^\\n]*certificate`));
  });
});
