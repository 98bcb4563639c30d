// Keeping a dataplane current with a live cluster: list Services, EndpointSlices, Nodes (and
// ServiceCIDRs when the API serves them), then watch each from its list's resourceVersion and
// apply every change as one atomic update, as --updates events are applied.
//
// Access needed: get/list/watch on the resources live.ts lists. The watch is written over the
// bounded requests of live-http.ts rather than the client library's informers, whose list and
// watch calls take none of these bounds (see watch-http.ts, live-http.ts).
//
// What happens when:
// - a watch ends (the server's timeoutSeconds, the window closing): resumed from the last
//   resourceVersion seen (an event's or a BOOKMARK's);
// - a watch fails (connection refused or dropped, a bad answer, a line that is not an event, an
//   event over the size bound, an ERROR event): one warning, then resumed from the last
//   resourceVersion after a backoff that doubles up to maxBackoffMs;
// - the server says the resourceVersion is too old (410 Gone, as a status or an ERROR event):
//   the resource is listed again and the differences applied as events (added, changed, gone);
// - the first list fails: listCluster() rejects (the command line exits 2); a later one is
//   retried like a failed watch.

import { formatProblem, objectsFromValues, type ClusterEvent, type LoadResult, type Problem, type WatchEvent } from './load.js';
import { objectKey } from './objects.js';
import type { UpdateOptions, ApplyStats } from '../core/tables.js';
import {
  connect, ENDPOINT_SLICES, listAll, listSnapshot, NODES, SERVICE_CIDRS, SERVICES,
  type ClusterAccess, type ListSpec, type LiveOptions,
} from './live.js';
import { LiveClusterError, oneLine } from './live-http.js';
import { watchRequest, type RawWatchEvent, type WatchLimits } from './watch-http.js';
import { formatSeconds } from './live-options.js';

/** What a watch applies changes to: a Dataplane (its update()), or anything with the same method. */
export interface WatchTarget {
  update(ev: WatchEvent | ClusterEvent, opts?: UpdateOptions): { problems: Problem[]; stats: ApplyStats | null };
}

export interface WatchOptions extends LiveOptions {
  /** Stops every watch (and a backoff wait) when aborted. */
  signal?: AbortSignal;
  /** Called with one line per later failure (it is retried) and per problem of a changed object. */
  onWarning?: (message: string) => void;
  /** Seconds the server is asked to keep one watch open (timeoutSeconds); default 300. */
  watchSeconds?: number;
  /** First wait before retrying a failed watch or list, in ms; default 500. */
  initialBackoffMs?: number;
  /** Longest wait between retries, in ms; default 30 000. */
  maxBackoffMs?: number;
  /** Largest watch event (one line), in bytes; default 16 MiB, at most maxResponseBytes. */
  maxEventBytes?: number;
  /** Passed to every update (e.g. audit: true to count what each change does to connections). */
  update?: UpdateOptions;
}

const DEFAULT_WATCH_SECONDS = 300;
/** The connection is closed this long after the server should have ended the watch. */
const WINDOW_GRACE_MS = 30_000;
const DEFAULT_INITIAL_BACKOFF_MS = 500;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** etcd refuses objects over 1.5 MiB by default: 16 MiB leaves room for any event. */
const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** A cluster listed, ready to be watched from that list on. */
export interface ListedCluster {
  /** The objects listed (and the problems of those skipped), as loadFromKubeconfig gives them. */
  result: LoadResult;
  /**
   * Watches from the list on, applying each change to `target` (which must hold the listed
   * objects already). Resolves when opts.signal aborts; never rejects: failures are retried.
   */
  watch(target: WatchTarget, opts?: WatchOptions): Promise<void>;
}

/**
 * Lists the cluster a kubeconfig points at (its current context, or `context`): rejects with
 * a ManifestError or LiveClusterError as loadFromKubeconfig does, and returns the objects with
 * a way to watch them from there.
 */
export async function listCluster(kubeconfigPath: string, context?: string, opts: WatchOptions = {}): Promise<ListedCluster> {
  const access = await connect(kubeconfigPath, context, opts);
  const snap = await listSnapshot(access);
  const lists: [ListSpec, Record<string, unknown>][] = [[SERVICES, snap.services], [ENDPOINT_SLICES, snap.slices], [NODES, snap.nodes]];
  if (snap.cidrs) lists.push([SERVICE_CIDRS, snap.cidrs]);
  const result = objectsFromValues(lists.map(([, l]) => l), access.source, opts);
  return {
    result,
    watch: (target, wopts = {}) => {
      const merged = { ...opts, ...wopts };
      return Promise.all(lists.map(([spec, list]) => new Reflector(spec, access, target, merged).run(list))).then(() => undefined);
    },
  };
}

/** A live watch of a cluster keeping a dataplane current (watchCluster). */
export interface ClusterWatch {
  /** Problems of the objects skipped in the first list. */
  problems: Problem[];
  /** Resolves once opts.signal aborts and every watch has stopped. */
  done: Promise<void>;
}

/**
 * Loads the cluster a kubeconfig points at into `dataplane` (atomically, replacing what it
 * holds) and keeps it current until opts.signal aborts. Rejects only when the first list fails.
 */
export async function watchCluster(
  dataplane: WatchTarget & { load(objects: LoadResult['objects']): unknown },
  kubeconfigPath: string,
  opts: WatchOptions & { context?: string } = {},
): Promise<ClusterWatch> {
  const listed = await listCluster(kubeconfigPath, opts.context, opts);
  dataplane.load(listed.result.objects);
  return { problems: listed.result.problems, done: listed.watch(dataplane, opts) };
}

/** One resource kept current: its objects as last seen, and where its watch resumes. */
class Reflector {
  /** "namespace/name" (or name) → the object as last seen. */
  private readonly known = new Map<string, Record<string, unknown>>();
  private readonly kind: string;
  private readonly signal: AbortSignal | undefined;
  private readonly warn: (message: string) => void;
  private readonly limits: WatchLimits;
  private readonly watchSeconds: number;
  private backoff: number;
  /** Where the next watch starts: the last resourceVersion seen; null: list again first. */
  private rv: string | null = null;

  constructor(
    private readonly spec: ListSpec,
    private readonly access: ClusterAccess,
    private readonly target: WatchTarget,
    private readonly opts: WatchOptions,
  ) {
    this.kind = spec.kind.replace(/List$/, '');
    this.signal = opts.signal;
    this.warn = opts.onWarning ?? (() => {});
    this.watchSeconds = opts.watchSeconds ?? DEFAULT_WATCH_SECONDS;
    this.backoff = opts.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const l = access.limits;
    this.limits = {
      connectTimeoutMs: l.connectTimeoutMs,
      deadline: Infinity,
      requestTimeoutMs: l.requestTimeoutMs,
      maxBytes: l.maxResponseBytes,
      maxEventBytes: Math.min(opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, l.maxResponseBytes),
    };
  }

  /** Watches from `list` (already applied) until the signal aborts. */
  async run(list: Record<string, unknown>): Promise<void> {
    this.rv = this.remember(list);
    while (!this.signal?.aborted) {
      try {
        if (this.rv === null) this.rv = this.relist(await listAll(this.spec, this.access.conn, this.access.limits, this.signal ?? new AbortController().signal));
        await this.watchFrom(this.rv);
      } catch (e) {
        if (this.signal?.aborted) break;
        if (!(e instanceof LiveClusterError)) throw e;
        this.warn(`${e.message}; retrying in ${formatSeconds(this.backoff)}`);
        await this.pause();
      }
    }
  }

  /**
   * One watch request from `rv`, moving this.rv on with each event (null: list again, after
   * a 410 Gone). An event resets the backoff; a clean end without any waits one first, so a
   * server that closes every watch at once is not asked again in a tight loop.
   */
  private async watchFrom(rv: string): Promise<void> {
    const { url, shown } = this.watchURL(rv);
    // The answer's headers within the request timeout, the stream within the window (which
    // also bounds the headers with --request-timeout 0).
    const window = this.watchSeconds * 1000 + WINDOW_GRACE_MS;
    const headers = this.access.limits.requestTimeoutMs > 0 ? Math.min(this.access.limits.requestTimeoutMs, window) : window;
    const now = Date.now();
    const limits = { ...this.limits, deadline: now + headers, requestTimeoutMs: headers, bodyDeadline: now + window };
    let gone: string | undefined;
    let problem: string | undefined;
    const end = await watchRequest(url, shown, this.access.conn.options, limits, (ev) => {
      if (ev.type === 'ERROR') {
        // The object is a Status; 410 (reason Expired or Gone): the resourceVersion is too old.
        const s = ev.object as { code?: unknown; reason?: unknown; message?: unknown };
        const why = `ERROR event${typeof s.code === 'number' ? ` ${s.code}` : ''}: ${oneLine(String(s.message ?? s.reason ?? 'no message'))}`;
        if (s.code === 410 || s.reason === 'Expired' || s.reason === 'Gone') gone = why;
        else problem = why;
        return true;
      }
      this.rv = this.apply(ev, shown) ?? this.rv;
      this.backoff = this.opts.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
      return false;
    }, this.signal);
    if (end.kind === 'refused') {
      if (end.status === 410) return this.gone(shown, end.message);
      throw new LiveClusterError(`GET ${shown}: ${end.message}`, end.status);
    }
    if (gone !== undefined) return this.gone(shown, gone);
    if (problem !== undefined) throw new LiveClusterError(`GET ${shown}: ${problem}`);
    if (end.events === 0) await this.pause();
  }

  private gone(shown: string, why: string): void {
    this.warn(`GET ${shown}: ${why}: the resourceVersion is too old; listing ${this.spec.what} again`);
    this.rv = null;
  }

  /** Applies one event; returns the resourceVersion it carries. */
  private apply(ev: RawWatchEvent, shown: string): string | undefined {
    const obj = ev.object;
    const meta = obj.metadata as { name?: unknown; namespace?: unknown; resourceVersion?: unknown } | undefined;
    const rv = typeof meta?.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    if (ev.type === 'BOOKMARK') return rv;
    obj.kind ??= this.kind;
    obj.apiVersion ??= this.spec.apiVersion;
    const key = typeof meta?.name === 'string' ? objectKey(this.kind, meta.namespace as string | undefined, meta.name) : '';
    const before = this.known.get(key);
    if (ev.type === 'DELETED') this.known.delete(key);
    else this.known.set(key, obj);
    if (ev.type === 'MODIFIED' && before !== undefined && this.kind === 'Node' && sameNodeFacts(before, obj)) return rv;
    this.update({ type: ev.type, object: obj }, shown);
    return rv;
  }

  private update(ev: WatchEvent, source: string): void {
    try {
      const { problems } = this.target.update({ ...ev, source: { file: source } } as WatchEvent, this.opts.update);
      for (const p of problems) this.warn(formatProblem({ ...p, severity: undefined }));
    } catch (e) {
      // A change the tables cannot take (a capacity reached): it is not applied, the rest goes on.
      this.warn(`${source}: ${ev.type} ${this.kind} ${describe(ev.object)} not applied: ${oneLine((e as Error).message)}`);
    }
  }

  /** Takes a list as what is known; returns its resourceVersion. */
  private remember(list: Record<string, unknown>): string | null {
    for (const item of (list.items as Record<string, unknown>[] | null) ?? []) {
      const key = keyOf(this.kind, item);
      if (key !== undefined) this.known.set(key, item);
    }
    return listVersion(list);
  }

  /** A new list after 410 Gone: the differences from what is known, applied as events. */
  private relist(list: Record<string, unknown>): string {
    const source = `${this.access.conn.server}${this.spec.path}`;
    const seen = new Set<string>();
    for (const item of (list.items as Record<string, unknown>[] | null) ?? []) {
      const key = keyOf(this.kind, item);
      if (key === undefined) continue;
      seen.add(key);
      const before = this.known.get(key);
      if (before !== undefined && versionOf(before) === versionOf(item) && versionOf(item) !== undefined) continue;
      this.apply({ type: before ? 'MODIFIED' : 'ADDED', object: item }, source);
    }
    for (const [key, obj] of [...this.known]) if (!seen.has(key)) this.apply({ type: 'DELETED', object: obj }, source);
    this.backoff = this.opts.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const rv = listVersion(list);
    if (rv === null) throw new LiveClusterError(`GET ${source}: the list has no metadata.resourceVersion to watch from`);
    return rv;
  }

  private watchURL(rv: string): { url: URL; shown: string } {
    const q = new URLSearchParams({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(this.watchSeconds) });
    const shown = `${this.access.conn.server}${this.spec.path}?${q}`;
    return { url: new URL(shown), shown };
  }

  /** Waits the current backoff (less if the signal aborts), then doubles it. */
  private pause(): Promise<void> {
    const ms = this.backoff;
    this.backoff = Math.min(ms * 2, this.opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
    return new Promise((resolve) => {
      if (this.signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      const signal = this.signal;
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done);
    });
  }
}

function keyOf(kind: string, obj: Record<string, unknown>): string | undefined {
  const meta = obj.metadata as { name?: unknown; namespace?: unknown } | undefined;
  return typeof meta?.name === 'string' ? objectKey(kind, meta.namespace as string | undefined, meta.name) : undefined;
}

function versionOf(obj: Record<string, unknown>): string | undefined {
  const rv = (obj.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function listVersion(list: Record<string, unknown>): string | null {
  return versionOf(list) ?? null;
}

function describe(obj: unknown): string {
  const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const name = typeof meta?.name === 'string' ? meta.name : '?';
  return typeof meta?.namespace === 'string' ? `${meta.namespace}/${name}` : name;
}

/**
 * Whether two versions of a Node agree on what svcplane reads (labels, spec, addresses): the
 * kubelet rewrites its Node's status every few seconds, and a full recompute for each heartbeat
 * would be wasted.
 */
function sameNodeFacts(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const facts = (n: Record<string, unknown>) => JSON.stringify([
    (n.metadata as { labels?: unknown } | undefined)?.labels ?? null,
    n.spec ?? null,
    (n.status as { addresses?: unknown } | undefined)?.addresses ?? null,
  ]);
  return facts(a) === facts(b);
}
