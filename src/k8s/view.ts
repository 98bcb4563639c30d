// An incrementally maintained view of the cluster: the objects, which
// EndpointSlices belong to which Service, and the service ports each Service
// yields. A watch event recomputes only the Services it touches, so one
// EndpointSlice change costs work proportional to that Service, not to the
// cluster. Node and ServiceCIDR changes recompute everything (they change
// zones and ranges every Service depends on).

import {
  LABEL_SERVICE_NAME, LABEL_SKIP_MIRROR, objectKey, objectId, mapForKind,
  type ClusterObjects, type EndpointSlice, type KubeObject, type KubeKind,
} from './objects.js';
import { applyEvent, type ClusterEvent, type WatchEvent, type Problem } from './load.js';
import {
  computeClusterState, endpointsToSlices, serviceContext, servicePortsOf, type NodeContext, type ServiceContext,
} from './rules.js';
import type { ClusterState, ServicePortState } from './model.js';
import { pushAll } from './text.js';

/** What an event changed. */
export interface ViewChange {
  /** The object set changed at all. */
  changed: boolean;
  /** Everything must be recomputed (Node, ServiceCIDR): use state(). */
  full: boolean;
  /** "namespace/name" of the Services whose ports were recomputed. */
  services: string[];
  /** Their service ports now (empty for a Service that is gone or skipped). */
  ports: ServicePortState[];
  problems: Problem[];
}

export class ClusterView {
  private ctx: ServiceContext;
  /** Service "ns/name" → keys ("ns/name") of the EndpointSlices labelled for it. */
  private readonly slicesOf = new Map<string, Set<string>>();

  constructor(readonly objects: ClusterObjects, private readonly node: NodeContext = {}) {
    this.ctx = serviceContext(objects, node);
    for (const [key, s] of objects.endpointSlices) this.index(key, s, true);
  }

  /** The node as the rules see it now (name, zone from --zone or the Node's label). */
  context(): ServiceContext {
    return this.ctx;
  }

  /** The whole state (as computeClusterState). */
  state(): ClusterState {
    this.ctx = serviceContext(this.objects, this.node);
    return computeClusterState(this.objects, this.node);
  }

  /** Applies one watch event and says which Services it changed. */
  apply(event: ClusterEvent | WatchEvent): ViewChange {
    const obj = event.object as KubeObject;
    const kind = obj?.kind;
    const key = obj?.metadata ? objectKey(kind, obj.metadata.namespace, obj.metadata.name) : '';
    const before = kind === 'EndpointSlice' ? this.objects.endpointSlices.get(key) : undefined;
    const res = applyEvent(this.objects, event);
    const out: ViewChange = { changed: res.changed, full: false, services: [], ports: [], problems: res.problems };
    if (!res.changed) return out;
    const touched = new Set<string>();
    switch (kind) {
      case 'Service':
      case 'Endpoints':
        touched.add(key);
        break;
      case 'EndpointSlice': {
        if (before) { this.index(key, before, false); touched.add(this.serviceOf(before)); }
        const now = this.objects.endpointSlices.get(key);
        if (now) { this.index(key, now, true); touched.add(this.serviceOf(now)); }
        break;
      }
      default:
        out.full = true;
        return out;
    }
    touched.delete('');
    for (const svcKey of touched) {
      out.services.push(svcKey);
      const svc = this.objects.services.get(svcKey);
      if (svc) pushAll(out.ports, servicePortsOf(svc, this.slicesOfService(svcKey), this.ctx));
    }
    return out;
  }

  /**
   * What apply(event) is about to change, to put back: called when the tables refuse the change
   * (a capacity, strict mode), so the view keeps describing what the tables hold.
   */
  restorer(event: ClusterEvent | WatchEvent): () => void {
    const obj = event.object as Partial<KubeObject> | null;
    const kind = obj?.kind as KubeKind | undefined;
    const meta = obj?.metadata;
    if (!kind || !VIEW_KINDS.has(kind) || !meta || typeof meta.name !== 'string') return () => {};
    const map = mapForKind(this.objects, kind);
    const key = objectKey(kind, meta.namespace, meta.name);
    const id = objectId(kind, meta.namespace, meta.name);
    const prev = map.get(key);
    const prevSource = this.objects.sources.get(id);
    return () => {
      const now = map.get(key);
      if (kind === 'EndpointSlice' && now) this.index(key, now as EndpointSlice, false);
      if (prev) map.set(key, prev); else map.delete(key);
      if (prevSource) this.objects.sources.set(id, prevSource); else this.objects.sources.delete(id);
      if (kind === 'EndpointSlice' && prev) this.index(key, prev as EndpointSlice, true);
      this.ctx = serviceContext(this.objects, this.node);
    };
  }

  /** The EndpointSlices of one Service, in name order (rule 7); legacy Endpoints when it has none. */
  slicesOfService(svcKey: string): EndpointSlice[] {
    const keys = this.slicesOf.get(svcKey);
    const out: EndpointSlice[] = [];
    if (keys) for (const k of keys) { const s = this.objects.endpointSlices.get(k); if (s) out.push(s); }
    if (out.length === 0) {
      const ep = this.objects.endpoints.get(svcKey);
      if (ep && ep.metadata.labels?.[LABEL_SKIP_MIRROR] !== 'true') pushAll(out, endpointsToSlices(ep));
    }
    return out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  private serviceOf(s: EndpointSlice): string {
    const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
    return svc ? `${s.metadata.namespace}/${svc}` : '';
  }

  private index(key: string, s: EndpointSlice, add: boolean): void {
    const svc = this.serviceOf(s);
    if (!svc) return;
    let set = this.slicesOf.get(svc);
    if (add) {
      if (!set) this.slicesOf.set(svc, (set = new Set()));
      set.add(key);
    } else set?.delete(key);
  }
}

/** The kinds a view holds (mapForKind's). */
const VIEW_KINDS = new Set<string>(['Service', 'EndpointSlice', 'Endpoints', 'Node', 'ServiceCIDR']);
