// A Kubernetes API server on 127.0.0.1 that speaks list and watch for Services, EndpointSlices,
// Nodes and ServiceCIDRs, as the real one does: every change gets the next resourceVersion and is
// logged; a list answers the objects and the current resourceVersion; a watch
// (?watch=1&resourceVersion=N) sends, as chunked JSON lines, the logged changes after N, then
// every change as it is made. Tests drive it: change objects, drop or end the open watches, send
// bookmarks or raw lines, forget history (a watch from before it gets 410 Gone), fail requests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RESOURCES: Record<string, { kind: string; apiVersion: string }> = {
  '/api/v1/services': { kind: 'Service', apiVersion: 'v1' },
  '/apis/discovery.k8s.io/v1/endpointslices': { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
  '/api/v1/nodes': { kind: 'Node', apiVersion: 'v1' },
  '/apis/networking.k8s.io/v1/servicecidrs': { kind: 'ServiceCIDR', apiVersion: 'networking.k8s.io/v1' },
};
export const SERVICES = '/api/v1/services';
export const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
export const NODES = '/api/v1/nodes';
export const SERVICE_CIDRS = '/apis/networking.k8s.io/v1/servicecidrs';

type Obj = Record<string, unknown> & { metadata: { name: string; namespace?: string; resourceVersion?: string } };

interface Change {
  rv: number;
  path: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

interface OpenWatch {
  path: string;
  res: ServerResponse;
}

/** One request the server received. */
export interface Received {
  path: string;
  watch: boolean;
  /** The resourceVersion asked for ('' when none). */
  resourceVersion: string;
}

export class FakeApiServer {
  url = '';
  rv = 100;
  readonly requests: Received[] = [];
  /** How a watch from a forgotten resourceVersion is refused: an HTTP 410, or an ERROR event in a 200 stream. */
  goneAs: 'status' | 'event' = 'status';
  /** Requests (list or watch) of these paths answer 500 while set. */
  readonly failing = new Set<string>();
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly log: Change[] = [];
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldest = 0;
  private readonly open = new Set<OpenWatch>();
  private readonly waiters: { test: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  private server: Server | undefined;
  /** Changes are logged but not sent to open watches (a stalled stream). */
  muted = false;
  /** Watch requests get no answer at all while set (held until stop()). */
  hangWatches = false;
  private readonly held = new Set<ServerResponse>();

  constructor() {
    for (const p of Object.keys(RESOURCES)) this.objects.set(p, new Map());
  }

  start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
        resolve(this.url);
      });
    });
  }

  stop(): Promise<void> {
    this.dropWatches();
    for (const res of this.held) res.socket?.destroy();
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Creates or replaces an object (ADDED or MODIFIED); returns its resourceVersion. */
  set(path: string, object: Record<string, unknown>): number {
    const o = structuredClone(object) as Obj;
    const key = keyOf(o);
    const type = this.objects.get(path)!.has(key) ? 'MODIFIED' : 'ADDED';
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.get(path)!.set(key, o);
    this.record({ rv: this.rv, path, type, object: o });
    return this.rv;
  }

  /** Deletes an object; returns the resourceVersion of the deletion. */
  delete(path: string, namespace: string | undefined, name: string): number {
    const key = namespace ? `${namespace}/${name}` : name;
    const o = structuredClone(this.objects.get(path)!.get(key)!);
    this.objects.get(path)!.delete(key);
    o.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, path, type: 'DELETED', object: o });
    return this.rv;
  }

  /** Forgets every change so far: a watch from an older resourceVersion gets 410 Gone. */
  forgetHistory(): void {
    this.oldest = this.rv;
  }

  /** Closes every open watch's connection without ending its response (a dropped watch). */
  dropWatches(): void {
    for (const w of this.open) w.res.socket?.destroy();
    this.open.clear();
  }

  /** Ends every open watch's response cleanly (as the server does at timeoutSeconds). */
  endWatches(): void {
    for (const w of this.open) w.res.end();
    this.open.clear();
  }

  /** Sends a BOOKMARK at the current resourceVersion to the open watches of `path`. */
  bookmark(path: string): number {
    const { kind, apiVersion } = RESOURCES[path]!;
    this.raw(path, JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: String(this.rv) } } }) + '\n');
    return this.rv;
  }

  /** Writes text as it is to the open watches of `path`. */
  raw(path: string, text: string): void {
    for (const w of this.open) if (w.path === path) w.res.write(text);
  }

  /** Resolves with the first request (already received or to come) that passes `test`. */
  waitFor(test: (r: Received) => boolean, after = 0): Promise<Received> {
    const seen = this.requests.slice(after).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** The watches received for `path`, in order. */
  watches(path: string): Received[] {
    return this.requests.filter((r) => r.watch && r.path === path);
  }

  private record(c: Change): void {
    this.log.push(c);
    if (this.muted) return;
    for (const w of this.open) if (w.path === c.path) w.res.write(eventLine(c));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const r: Received = { path, watch, resourceVersion: url.searchParams.get('resourceVersion') ?? '' };
    this.requests.push(r);
    for (const w of [...this.waiters]) {
      if (w.test(r)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
    const status = (code: number, reason: string, message: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }));
    };
    const resource = RESOURCES[path];
    if (!resource) return status(404, 'NotFound', 'the server could not find the requested resource');
    if (this.failing.has(path)) return status(500, 'InternalError', 'etcd is having a bad day');
    if (!watch) {
      const items = [...this.objects.get(path)!.values()].map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: `${resource.kind}List`, apiVersion: resource.apiVersion, metadata: { resourceVersion: String(this.rv) }, items }));
      return;
    }
    if (this.hangWatches) {
      this.held.add(res);
      return;
    }
    const from = Number(r.resourceVersion);
    if (from < this.oldest) {
      const message = `too old resource version: ${from} (${this.oldest})`;
      if (this.goneAs === 'status') return status(410, 'Expired', message);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Expired', code: 410 } }) + '\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const c of this.log) if (c.path === path && c.rv > from) res.write(eventLine(c));
    const w = { path, res };
    this.open.add(w);
    res.on('close', () => this.open.delete(w));
  }
}

function keyOf(o: Obj): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function eventLine(c: Change): string {
  return JSON.stringify({ type: c.type, object: c.object }) + '\n';
}

/** A kubeconfig (in a new temporary directory) for a server at `url`, reading with a token. */
export function kubeconfigFor(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcplane-watch-'));
  const path = join(dir, 'config');
  writeFileSync(path, [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: reader',
    '  user:',
    '    token: test-token',
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: reader',
    'current-context: fake',
    '',
  ].join('\n'));
  return path;
}
