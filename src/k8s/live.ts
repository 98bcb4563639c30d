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

import { CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { ManifestError, objectsFromValues, type LoadOptions, type LoadResult } from './load.js';

export interface LiveOptions extends LoadOptions {
  /** Items per list request (the API's `limit`); default 500. */
  pageSize?: number;
}

/** Thrown when the API server cannot be reached or refuses a list. */
export class LiveClusterError extends Error {
  readonly code = 'ELIVE';

  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'LiveClusterError';
  }
}

interface Page {
  apiVersion?: string;
  kind?: string;
  metadata?: { _continue?: string };
  items: unknown[];
}

/** Lists every page; returns one List-shaped value (items as plain API JSON). */
async function listAll(
  what: string,
  kind: string,
  apiVersion: string,
  fetchPage: (cont: string | undefined) => Promise<Page>,
): Promise<Record<string, unknown>> {
  const items: unknown[] = [];
  let cont: string | undefined;
  do {
    let page: Page;
    try {
      page = await fetchPage(cont);
    } catch (e) {
      const status = (e as { code?: unknown }).code;
      const code = typeof status === 'number' ? status : undefined;
      const hint = code === 401 ? ' (not authenticated)' : code === 403 ? ' (the user needs get/list on it)' : '';
      throw new LiveClusterError(`cannot list ${what}${hint}: ${(e as Error).message.split('\n')[0]}`, code);
    }
    // The client hands back class instances (Dates for timestamps); JSON
    // round-tripping gives the API's own field names and string times.
    for (const item of page.items ?? []) items.push(JSON.parse(JSON.stringify(item)));
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return { apiVersion, kind, items };
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
  const limit = opts.pageSize ?? 500;
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);

  const [services, slices, nodes] = await Promise.all([
    listAll('services', 'ServiceList', 'v1', (c) => core.listServiceForAllNamespaces({ limit, _continue: c }) as Promise<Page>),
    listAll('endpointslices.discovery.k8s.io', 'EndpointSliceList', 'discovery.k8s.io/v1', (c) =>
      discovery.listEndpointSliceForAllNamespaces({ limit, _continue: c }) as Promise<Page>,
    ),
    listAll('nodes', 'NodeList', 'v1', (c) => core.listNode({ limit, _continue: c }) as Promise<Page>),
  ]);
  let cidrs: Record<string, unknown> | null = null;
  try {
    cidrs = await listAll('servicecidrs.networking.k8s.io', 'ServiceCIDRList', 'networking.k8s.io/v1', (c) =>
      networking.listServiceCIDR({ limit, _continue: c }) as Promise<Page>,
    );
  } catch (e) {
    // Clusters before 1.33 serve no networking.k8s.io/v1 ServiceCIDR; users may lack access.
    if (!(e instanceof LiveClusterError) || (e.status !== 404 && e.status !== 403)) throw e;
  }
  const values: unknown[] = [services, slices, nodes];
  if (cidrs) values.push(cidrs);
  return objectsFromValues(values, source, opts);
}
