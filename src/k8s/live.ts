// Reading the objects from a running cluster instead of files.
//
// Access needed: get/list only, cluster-wide, on
//   services                                (core/v1)
//   endpointslices.discovery.k8s.io         (discovery.k8s.io/v1)
//   nodes                                   (core/v1)
//   servicecidrs.networking.k8s.io          (networking.k8s.io/v1, optional:
//                                            a 403 or 404 means "none")
// e.g. a ClusterRole with verbs ["get", "list"] on those resources. Nothing is
// written, nothing is watched: one consistent-enough snapshot, paged.
//
// A misbehaving server cannot make the read hang or exhaust memory: each
// request has a connect timeout, each list (all its pages) a deadline, each
// answer a size cap past which nothing more is read, and a list ends with an
// error when the server repeats a continue token or exceeds a page count.
// Answers that are not the expected JSON List, and bodies cut short, are
// errors too. Every failure is one LiveClusterError (code ELIVE) whose
// one-line message names the URL.

import type { RequestOptions } from 'node:http';
import { loadClientNode } from './client-node.js';
import { ManifestError, objectsFromValues, type LoadOptions, type LoadResult } from './load.js';
import { boundedGet, isJsonType, LiveClusterError, oneLine, statusText, type Answer } from './live-http.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAGES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PAGE_SIZE,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_RESPONSE_BYTES_LIMIT,
} from './live-options.js';

export { LiveClusterError } from './live-http.js';

export interface LiveOptions extends LoadOptions {
  /** Items per list request (the API's `limit`); default 500. */
  pageSize?: number;
  /** Time to connect (TCP, and TLS for https), per request, in ms; default 10 000; 0: no own limit. */
  connectTimeoutMs?: number;
  /** Time for one whole list (every page of it), in ms; default 60 000; 0: no limit. */
  requestTimeoutMs?: number;
  /** Largest response body read, per request, in bytes; default 256 MiB; at most MAX_RESPONSE_BYTES_LIMIT. */
  maxResponseBytes?: number;
  /** Most pages (requests) one list may take; default 10 000. */
  maxPages?: number;
}

export interface Limits {
  pageSize: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxPages: number;
}

export function limitsOf(opts: LiveOptions): Limits {
  const pick = (name: keyof Limits, value: number | undefined, fallback: number, min: number, max: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${v}`);
    return v;
  };
  return {
    pageSize: pick('pageSize', opts.pageSize, DEFAULT_PAGE_SIZE, 1, 2 ** 31 - 1),
    connectTimeoutMs: pick('connectTimeoutMs', opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 0, 2 ** 31 - 1),
    requestTimeoutMs: pick('requestTimeoutMs', opts.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 0, 2 ** 31 - 1),
    maxResponseBytes: pick('maxResponseBytes', opts.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 1, MAX_RESPONSE_BYTES_LIMIT),
    maxPages: pick('maxPages', opts.maxPages, DEFAULT_MAX_PAGES, 1, 2 ** 31 - 1),
  };
}

/** One list the snapshot is made of. */
export interface ListSpec {
  /** The resource as RBAC names it, for messages. */
  what: string;
  kind: string;
  apiVersion: string;
  /** Cluster-wide list path under the server's URL. */
  path: string;
}

export const SERVICES: ListSpec = { what: 'services', kind: 'ServiceList', apiVersion: 'v1', path: '/api/v1/services' };
export const ENDPOINT_SLICES: ListSpec = {
  what: 'endpointslices.discovery.k8s.io',
  kind: 'EndpointSliceList',
  apiVersion: 'discovery.k8s.io/v1',
  path: '/apis/discovery.k8s.io/v1/endpointslices',
};
export const NODES: ListSpec = { what: 'nodes', kind: 'NodeList', apiVersion: 'v1', path: '/api/v1/nodes' };
export const SERVICE_CIDRS: ListSpec = {
  what: 'servicecidrs.networking.k8s.io',
  kind: 'ServiceCIDRList',
  apiVersion: 'networking.k8s.io/v1',
  path: '/apis/networking.k8s.io/v1/servicecidrs',
};

/** Where and how to connect: the server's URL (no trailing slash) and the options the client library resolved. */
export interface Connection {
  server: string;
  options: RequestOptions;
}

/** The URL of one page, and how messages show it (a long continue token abbreviated). */
function pageURL(server: string, spec: ListSpec, limit: number, cont: string | undefined): { url: URL; shown: string } {
  const query = (token: string | undefined) =>
    new URLSearchParams({ limit: String(limit), ...(token !== undefined ? { continue: token } : {}) }).toString();
  const url = new URL(`${server}${spec.path}?${query(cont)}`);
  const short = cont !== undefined && cont.length > 24 ? `${cont.slice(0, 16)}...` : cont;
  return { url, shown: `${server}${spec.path}?${query(short)}` };
}

/** The page in a 2xx answer, or the LiveClusterError (one line, naming the URL) that describes the answer. */
function pageOf(answer: Answer, shown: string, spec: ListSpec): { items: unknown[]; cont: string | undefined; rv: string | undefined } {
  const head = `GET ${shown}: HTTP ${statusText(answer.status)}`;
  const type = answer.contentType === '' ? 'no content type' : answer.contentType;
  if (answer.status < 200 || answer.status >= 300) {
    // Kubernetes explains refusals with a Status object: {"kind":"Status","message":...}.
    let detail = ` (${type})`;
    if (isJsonType(answer.contentType) && !answer.truncated) {
      try {
        const status = JSON.parse(answer.body.toString('utf8')) as { message?: unknown };
        if (typeof status?.message === 'string' && status.message !== '') detail = `: ${oneLine(status.message)}`;
      } catch {
        /* not a Status: the content type says enough */
      }
    }
    return fail(`${head}${detail}`, answer.status);
  }
  let value: unknown;
  try {
    value = JSON.parse(answer.body.toString('utf8'));
  } catch (e) {
    return fail(`${head} (${type}), ${answer.body.length} bytes: not valid JSON: ${oneLine((e as Error).message, 120)}`, answer.status);
  }
  const list = value as { kind?: unknown; items?: unknown; metadata?: { continue?: unknown; resourceVersion?: unknown } } | null;
  if (typeof list !== 'object' || list === null || Array.isArray(list) || list.kind !== spec.kind ||
      !(Array.isArray(list.items) || list.items === null)) {
    const what = Array.isArray(list) ? 'a JSON array' : typeof list !== 'object' || list === null ? `JSON ${list === null ? 'null' : typeof list}`
      : typeof list.kind === 'string' ? `kind ${oneLine(list.kind, 60)}${list.kind === spec.kind ? ' without an items array' : ''}`
      : 'an object without a kind';
    return fail(`${head}: not a ${spec.kind} (${what})`, answer.status);
  }
  const cont = list.metadata?.continue;
  if (cont !== undefined && cont !== null && typeof cont !== 'string') return fail(`${head}: metadata.continue is not a string`, answer.status);
  const rv = list.metadata?.resourceVersion;
  return { items: list.items ?? [], cont: cont || undefined, rv: typeof rv === 'string' && rv !== '' ? rv : undefined };

  function fail(message: string, status: number): never {
    throw new LiveClusterError(message, status);
  }
}

/**
 * Lists every page of one resource, within the limits (the request timeout covers all the
 * pages); returns one List-shaped value (items as plain API JSON, and the first page's
 * metadata.resourceVersion: the version of the snapshot, where a watch starts). A continue token the server
 * already sent, or more than maxPages pages, ends the list with an error. `onFirstPage` is
 * called once the first page is in.
 */
export async function listAll(
  spec: ListSpec,
  conn: Connection,
  limits: Limits,
  signal: AbortSignal,
  onFirstPage?: () => void,
): Promise<Record<string, unknown>> {
  const items: unknown[] = [];
  const tokens = new Set<string>();
  const deadline = limits.requestTimeoutMs > 0 ? Date.now() + limits.requestTimeoutMs : Infinity;
  let cont: string | undefined;
  let resourceVersion: string | undefined;
  try {
    for (let page = 1; ; page++) {
      const { url, shown } = pageURL(conn.server, spec, limits.pageSize, cont);
      if (page > limits.maxPages) {
        throw new LiveClusterError(`GET ${shown}: the list goes on past ${limits.maxPages} pages of ${limits.pageSize}; giving up`);
      }
      const answer = await boundedGet(url, shown, conn.options, {
        connectTimeoutMs: limits.connectTimeoutMs,
        deadline,
        requestTimeoutMs: limits.requestTimeoutMs,
        maxBytes: limits.maxResponseBytes,
      }, signal);
      const got = pageOf(answer, shown, spec);
      for (const item of got.items) items.push(item);
      if (page === 1) {
        resourceVersion = got.rv;
        onFirstPage?.();
      }
      if (got.cont === undefined) break;
      if (tokens.has(got.cont)) {
        const token = oneLine(JSON.stringify(got.cont), 40);
        throw new LiveClusterError(`GET ${shown}: page ${page} repeats the continue token ${token} of an earlier page; giving up (the list would never end)`);
      }
      tokens.add(got.cont);
      cont = got.cont;
    }
  } catch (e) {
    if (!(e instanceof LiveClusterError)) throw e;
    const hint = e.status === 401 ? ' (not authenticated)' : e.status === 403 ? ' (the user needs get/list on it)' : '';
    throw new LiveClusterError(`cannot list ${spec.what}${hint}: ${e.message}`, e.status);
  }
  return { apiVersion: spec.apiVersion, kind: spec.kind, metadata: { resourceVersion }, items };
}

/** A cluster to read: the connection, the limits, and "<kubeconfig>#<context>" for messages. */
export interface ClusterAccess {
  source: string;
  conn: Connection;
  limits: Limits;
}

/**
 * Resolves a kubeconfig (its current context, or `context`) into a connection: ManifestError
 * for a kubeconfig that cannot be read or has no such context, LiveClusterError for one whose
 * credentials cannot be used or whose server is not a URL. Nothing is requested yet.
 */
export async function connect(kubeconfigPath: string, context: string | undefined, opts: LiveOptions = {}): Promise<ClusterAccess> {
  const { KubeConfig } = await loadClientNode();
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (e) {
    throw new ManifestError([{ file: kubeconfigPath, message: `cannot read kubeconfig: ${(e as Error).message.split('\n')[0]}` }]);
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ManifestError([
        { file: kubeconfigPath, message: `no context named ${JSON.stringify(context)} (contexts: ${known.join(', ') || 'none'})` },
      ]);
    }
    kc.setCurrentContext(context);
  }
  const ctx = kc.getCurrentContext();
  if (!kc.getCurrentCluster()) {
    throw new ManifestError([{ file: kubeconfigPath, message: `context ${JSON.stringify(ctx)} names no cluster` }]);
  }
  const source = `${kubeconfigPath}#${ctx}`;
  const limits = limitsOf(opts);
  // The client library resolves the cluster's CA, the client certificate or token (exec and
  // auth-provider plugins too) and a proxy into an agent and headers; the requests are ours.
  const options: RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(options);
  } catch (e) {
    throw new LiveClusterError(`${source}: cannot use this context: ${oneLine((e as Error).message)}`);
  }
  const conn: Connection = { server: (kc.getCurrentCluster()!.server ?? '').replace(/\/+$/, ''), options };
  try {
    new URL(conn.server);
  } catch {
    throw new LiveClusterError(`${source}: the cluster's server ${JSON.stringify(conn.server)} is not a URL`);
  }
  return { source, conn, limits };
}

/** The four lists of a snapshot (List-shaped values with their resourceVersion); cidrs null when the API is not served or not allowed. */
export interface Snapshot {
  services: Record<string, unknown>;
  slices: Record<string, unknown>;
  nodes: Record<string, unknown>;
  cidrs: Record<string, unknown> | null;
}

/** Lists Services, EndpointSlices, Nodes and ServiceCIDRs (LiveClusterError on the first failure). */
export async function listSnapshot({ conn, limits }: ClusterAccess): Promise<Snapshot> {
  // The Services list first, alone, until its first page is in: a server that cannot be
  // reached, or refuses these credentials, is reported for that list whatever the timing. Then
  // the other lists at once; the first failure abandons the others (their connections closed).
  const abandon = new AbortController();
  const list = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      abandon.abort();
      throw e;
    }
  };
  let firstPageIn!: () => void;
  const firstPage = new Promise<void>((resolve) => (firstPageIn = resolve));
  const servicesList = list(listAll(SERVICES, conn, limits, abandon.signal, firstPageIn));
  await Promise.race([firstPage, servicesList]);
  const [services, slices, nodes, cidrs] = await Promise.all([
    servicesList,
    list(listAll(ENDPOINT_SLICES, conn, limits, abandon.signal)),
    list(listAll(NODES, conn, limits, abandon.signal)),
    list(listOptional(SERVICE_CIDRS, conn, limits, abandon.signal)),
  ]);
  return { services, slices, nodes, cidrs };
}

/** A list that may be missing: null when the API is not served (404) or not allowed (403). */
export function listOptional(spec: ListSpec, conn: Connection, limits: Limits, signal: AbortSignal): Promise<Record<string, unknown> | null> {
  return listAll(spec, conn, limits, signal).catch((e: unknown) => {
    // Clusters before 1.33 serve no networking.k8s.io/v1 ServiceCIDR; users may lack access.
    if (e instanceof LiveClusterError && (e.status === 404 || e.status === 403)) return null;
    throw e;
  });
}

/**
 * Loads Services, EndpointSlices, Nodes and ServiceCIDRs from the cluster a
 * kubeconfig points at (its current context, or `context`), through the same
 * validation as files: a bad object is reported and skipped, or fails the
 * load with `strict`. Problems name "<kubeconfig>#<context>" and the item
 * path ("items[3].spec.ports[0].port" inside e.g. the ServiceList).
 * Needs only get/list access (see the top of this file).
 */
export async function loadFromKubeconfig(
  kubeconfigPath: string,
  context?: string,
  opts: LiveOptions = {},
): Promise<LoadResult> {
  const access = await connect(kubeconfigPath, context, opts);
  const { services, slices, nodes, cidrs } = await listSnapshot(access);
  const values: unknown[] = [services, slices, nodes];
  if (cidrs) values.push(cidrs);
  return objectsFromValues(values, access.source, opts);
}
