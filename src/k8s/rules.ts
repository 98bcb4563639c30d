// kube-proxy's decisions, from objects to the desired dataplane state of one
// node (spec sections A, B, C, H, I). Pure: the same objects and node give
// the same ClusterState, byte for byte, in the same order.
//
// Upstream sources followed (kubernetes/kubernetes, pkg/proxy):
//   util/utils.go          ShouldSkipService, GetClusterIPByFamily, MapIPsByIPFamily
//   serviceport.go         newBaseServiceInfo, ExternallyAccessible, Uses*Endpoints
//   endpointschangetracker EndpointSliceUpdate (addressType filter)
//   endpointslicecache.go  port selection, endpoint de-duplication, sorting
//   topology.go            CategorizeEndpoints, topologyModeFromHints
//   endpoints.go           LocalReadyEndpoints (healthCheckNodePort count)

import type { Backend, ClusterState, Family, ServicePortState } from './model.js';
import { canonicalCIDR, canonicalIP, compareIP, formatIP, joinHostPort, parseCIDR, parseIP } from './ip.js';
import { pushAll } from './text.js';
import {
  LABEL_SERVICE_NAME,
  LABEL_SKIP_MIRROR,
  LABEL_TOPOLOGY_ZONE,
  type ClusterObjects,
  type EndpointSlice,
  type Endpoints,
  type Service,
  type ServicePortSpec,
} from './objects.js';

/** Rule 22: timeoutSeconds when sessionAffinityConfig does not say (the API default). */
export const DEFAULT_AFFINITY_SECONDS = 10800;
/** Rule 22: the largest timeout the API accepts. */
export const MAX_AFFINITY_SECONDS = 86400;

export interface NodeContext {
  /** This node's name: endpoints whose nodeName equals it are local. */
  nodeName?: string;
  /** This node's zone; default: label topology.kubernetes.io/zone of the Node named nodeName. */
  zone?: string;
  /**
   * Honour hints.forNodes (PreferSameNode, feature gate
   * PreferSameTrafficDistribution: beta and on by default in 1.34, GA in 1.35).
   * Default true.
   */
  preferSameNodeHints?: boolean;
}

const FAMILIES: readonly Family[] = [4, 6];

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Section A: which Services, which frontends

/** Rule 1: headless (clusterIP None or empty) and ExternalName Services get no rules. */
export function shouldSkipService(svc: Service): boolean {
  const primary = svc.spec.clusterIP ?? svc.spec.clusterIPs?.[0] ?? '';
  if (primary === '' || primary === 'None') return true;
  return svc.spec.type === 'ExternalName';
}

/** Rule 2: the Service's ClusterIP of one family (canonical), or undefined. */
export function clusterIPForFamily(svc: Service, family: Family): string | undefined {
  const spec = svc.spec;
  const primary = spec.clusterIP ?? spec.clusterIPs?.[0] ?? '';
  // Objects that predate dual-stack carry no ipFamilies: go by the address.
  if (!spec.ipFamilies || spec.ipFamilies.length === 0) {
    if (primary === '' || primary === 'None') return undefined;
    const ip = parseIP(primary, { sloppy: true });
    return ip && ip.family === family ? (canonicalIP(primary, { sloppy: true }) ?? undefined) : undefined;
  }
  // The API server fills clusterIPs from clusterIP; hand-written manifests may not.
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : primary ? [primary] : [];
  const want = family === 6 ? 'IPv6' : 'IPv4';
  const idx = spec.ipFamilies.indexOf(want);
  if (idx === -1 || idx >= ips.length || ips[idx] === 'None') return undefined;
  return canonicalIP(ips[idx], { sloppy: true }) ?? undefined;
}

function ipsOfFamily(texts: readonly string[] | undefined, family: Family): string[] {
  const out: string[] = [];
  for (const t of texts ?? []) {
    const ip = parseIP(t, { sloppy: true });
    if (!ip || ip.family !== family) continue;
    const c = canonicalIP(t, { sloppy: true })!;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** Rule 2: LB ingress IPs of the family; empty IPs and ipMode Proxy are not VIPs. */
export function loadBalancerVIPs(svc: Service, family: Family): string[] {
  const ips = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((ing) => ing.ip && ing.ipMode !== 'Proxy')
    .map((ing) => ing.ip as string);
  return ipsOfFamily(ips, family);
}

/** Rules 2 and 21: source ranges of the family, spaces trimmed, canonical. */
export function sourceRangesOfFamily(svc: Service, family: Family): string[] {
  const out: string[] = [];
  for (const raw of svc.spec.loadBalancerSourceRanges ?? []) {
    const text = raw.trim();
    const c = parseCIDR(text, { sloppy: true });
    if (!c || c.family !== family) continue;
    const s = canonicalCIDR(text, { sloppy: true })!;
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** apiservice.ExternallyAccessible: the Service type accepts traffic other than ClusterIP. */
function serviceExternallyAccessible(svc: Service): boolean {
  const t = svc.spec.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0);
}

/** Rule 22: ClientIP affinity timeout in seconds, 0 without affinity. */
export function affinitySeconds(svc: Service): number {
  if (svc.spec.sessionAffinity !== 'ClientIP') return 0;
  const t = svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (t === undefined || t === null) return DEFAULT_AFFINITY_SECONDS;
  return Math.min(Math.max(t, 1), MAX_AFFINITY_SECONDS);
}

/** "namespace/name:portName", or "namespace/name" for an unnamed port. */
export function servicePortKey(namespace: string, name: string, portName: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

// ---------------------------------------------------------------------------
// Section B: EndpointSlices

/**
 * Converts legacy core/v1 Endpoints to EndpointSlices, as the
 * EndpointSlice mirroring controller does: one slice per subset and address
 * family, labelled with the Service name; `addresses` become ready
 * endpoints, `notReadyAddresses` not-ready ones (only the ready condition is
 * set, as mirroring does); ports keep name ("" when unnamed), port and
 * protocol. kube-proxy itself never reads Endpoints: svcplane uses these
 * slices only for a Service that has no EndpointSlice at all (see
 * slicesByService), and never for Endpoints labelled
 * endpointslice.kubernetes.io/skip-mirror=true.
 */
export function endpointsToSlices(ep: Endpoints): EndpointSlice[] {
  const out: EndpointSlice[] = [];
  ep.subsets.forEach((subset, i) => {
    for (const family of FAMILIES) {
      const endpoints: EndpointSlice['endpoints'] = [];
      const add = (list: typeof subset.addresses, ready: boolean) => {
        for (const a of list) {
          if (parseIP(a.ip, { sloppy: true })?.family !== family) continue;
          const e: EndpointSlice['endpoints'][number] = { addresses: [a.ip], conditions: { ready } };
          if (a.nodeName !== undefined) e.nodeName = a.nodeName;
          if (a.hostname !== undefined) e.hostname = a.hostname;
          endpoints.push(e);
        }
      };
      add(subset.addresses, true);
      add(subset.notReadyAddresses, false);
      if (endpoints.length === 0) continue;
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${ep.metadata.name}-mirror-${i}-ipv${family}`,
          namespace: ep.metadata.namespace,
          labels: { [LABEL_SERVICE_NAME]: ep.metadata.name },
        },
        addressType: family === 6 ? 'IPv6' : 'IPv4',
        endpoints,
        ports: subset.ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol })),
      });
    }
  });
  return out;
}

/**
 * Rule 4: slices grouped by the Service they belong to ("namespace/name" from
 * the kubernetes.io/service-name label, same namespace), each group sorted by
 * slice name. Legacy Endpoints fill in for a Service without any slice.
 */
export function slicesByService(objects: ClusterObjects): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  const push = (key: string, s: EndpointSlice) => {
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  };
  for (const s of objects.endpointSlices.values()) {
    const svc = s.metadata.labels[LABEL_SERVICE_NAME];
    if (!svc) continue;
    push(`${s.metadata.namespace}/${svc}`, s);
  }
  for (const ep of objects.endpoints.values()) {
    const key = `${ep.metadata.namespace}/${ep.metadata.name}`;
    if (out.has(key) || ep.metadata.labels?.[LABEL_SKIP_MIRROR] === 'true') continue;
    for (const s of endpointsToSlices(ep)) push(key, s);
  }
  for (const list of out.values()) list.sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  return out;
}

/**
 * Rules 4-7: the endpoints of one service port in one family. Slices of
 * the family only; the slice port with the same name and protocol gives the
 * target port (ports without a name field, or with port 0/missing, are
 * skipped); addresses[0] only; merged and de-duplicated by "IP:port": slices
 * are taken in name order and a later copy replaces an earlier one unless it
 * is terminating (so a non-terminating copy always wins over a terminating
 * one); sorted by "IP:port" as a string, like kube-proxy.
 */
export function collectEndpoints(
  slices: readonly EndpointSlice[],
  family: Family,
  portName: string,
  protocol: string,
  nodeName: string,
  opts: { nodeHints?: boolean } = {},
): Backend[] {
  const addressType = family === 6 ? 'IPv6' : 'IPv4';
  const byKey = new Map<string, Backend>();
  for (const slice of slices) {
    if (slice.addressType !== addressType) continue;
    for (const sp of slice.ports) {
      if (sp.name === undefined || sp.name === null) continue;
      if (sp.port === undefined || sp.port === null || sp.port === 0) continue;
      if (sp.name !== portName || sp.protocol !== protocol) continue;
      for (const ep of slice.endpoints) {
        if (ep.addresses.length === 0) continue;
        const addr = parseIP(ep.addresses[0], { sloppy: true });
        if (!addr || addr.family !== family) continue;
        const ip = formatIP(addr);
        const c = ep.conditions ?? {};
        const zones = ep.hints?.forZones?.map((z) => z.name) ?? [];
        const nodes = opts.nodeHints === false ? [] : (ep.hints?.forNodes?.map((n) => n.name) ?? []);
        // Every field present (undefined when the slice says nothing): one object shape for all
        // endpoints, so the code that reads them on each update stays monomorphic.
        const b: Backend = {
          ip,
          port: sp.port,
          nodeName: ep.nodeName ?? undefined,
          zone: ep.zone ?? undefined,
          ready: c.ready !== false,
          serving: c.serving !== false,
          terminating: c.terminating === true,
          isLocal: nodeName !== '' && ep.nodeName === nodeName,
          zoneHints: zones.length > 0 ? [...new Set(zones)] : undefined,
          nodeHints: nodes.length > 0 ? [...new Set(nodes)] : undefined,
        };
        const key = joinHostPort(ip, sp.port);
        // As upstream: a later copy replaces an earlier one unless it is terminating,
        // so a running endpoint wins over a terminating one reusing its IP.
        if (!byKey.has(key) || !b.terminating) byKey.set(key, b);
      }
    }
  }
  return [...byKey.entries()].sort((a, b) => compareStrings(a[0], b[0])).map(([, b]) => b);
}

// ---------------------------------------------------------------------------
// Section C: which endpoints are used

export type TopologyMode = '' | 'PreferSameZone' | 'PreferSameNode';

/**
 * Rule 11 (topologyModeFromHints): PreferSameNode when node hints are honoured,
 * every ready endpoint has one and at least one names this node; else
 * PreferSameZone when every ready endpoint has a zone hint and at least one
 * names this node's zone; else no filtering.
 */
export function topologyMode(endpoints: readonly Backend[], nodeName: string, zone: string): TopologyMode {
  let hasReady = false;
  let allNodeHints = true;
  let forThisNode = false;
  let allZoneHints = true;
  let forThisZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    hasReady = true;
    if (!ep.nodeHints || ep.nodeHints.length === 0) allNodeHints = false;
    else if (nodeName !== '' && ep.nodeHints.includes(nodeName)) forThisNode = true;
    if (!ep.zoneHints || ep.zoneHints.length === 0) allZoneHints = false;
    else if (zone !== '' && ep.zoneHints.includes(zone)) forThisZone = true;
  }
  if (!hasReady) return '';
  if (allNodeHints && forThisNode) return 'PreferSameNode';
  if (allZoneHints && forThisZone) return 'PreferSameZone';
  return '';
}

function availableForTopology(ep: Backend, mode: TopologyMode, nodeName: string, zone: string): boolean {
  if (mode === 'PreferSameNode') return ep.nodeHints?.includes(nodeName) ?? false;
  if (mode === 'PreferSameZone') return ep.zoneHints?.includes(zone) ?? false;
  return true;
}

/**
 * Why an endpoint is not in the cluster set (rules 8, 11), or undefined when it is. `fallback`:
 * no endpoint passes the first choice (ready, topology), so the set is the serving+terminating ones.
 */
function clusterExclusion(ep: Backend, topology: TopologyMode, fallback: boolean, nodeName: string, zone: string): string | undefined {
  if (fallback) return ep.serving && ep.terminating ? undefined : ep.terminating ? 'not serving' : 'not ready';
  if (!ep.ready) return ep.serving && ep.terminating ? 'terminating (ready endpoints exist)' : 'not ready';
  if (!availableForTopology(ep, topology, nodeName, zone)) return topology === 'PreferSameNode' ? 'hinted for another node' : 'hinted for another zone';
  return undefined;
}

/** Why an endpoint is not in the local set (rule 9), or undefined when it is. */
function localExclusion(ep: Backend, fallback: boolean): string | undefined {
  if (!ep.isLocal) return 'not local';
  if (fallback) return ep.serving && ep.terminating ? undefined : ep.terminating ? 'not serving' : 'not ready';
  if (!ep.ready) return ep.serving && ep.terminating ? 'terminating (ready endpoints exist)' : 'not ready';
  return undefined;
}

/** The sets of rules 8, 9 and 11, and for each endpoint why it is not in each (undefined: it is). */
export interface EndpointSets {
  clusterSet: Backend[];
  localSet: Backend[];
  topology: TopologyMode;
  /** No ready endpoint (after topology): the cluster set is the serving+terminating ones. */
  clusterFallback: boolean;
  /** No local ready endpoint: the local set is the local serving+terminating ones. */
  localFallback: boolean;
  /** Per endpoint, in the order given. */
  why: { endpoint: Backend; notCluster?: string; notLocal?: string }[];
}

/** categorizeEndpoints with the reasons: what `svcplane explain` prints (the same predicates). */
export function endpointSets(endpoints: readonly Backend[], nodeName: string, zone: string): EndpointSets {
  const { clusterSet, localSet, topology, clusterFallback, localFallback } = categorizeEndpoints(endpoints, nodeName, zone);
  const why = endpoints.map((endpoint) => ({
    endpoint,
    notCluster: clusterExclusion(endpoint, topology, clusterFallback, nodeName, zone),
    notLocal: localExclusion(endpoint, localFallback),
  }));
  return { clusterSet, localSet, topology, clusterFallback, localFallback, why };
}

/**
 * Rules 8, 9, 11 (CategorizeEndpoints). Both sets are always computed; which
 * one a frontend uses is rule 10 (internalLocal / externalLocal).
 *  - cluster: ready endpoints passing the topology filter; if none, every
 *    serving+terminating endpoint (topology ignored). Empty only when nothing
 *    anywhere is usable.
 *  - local: local ready endpoints; if none, local serving+terminating ones.
 */
export function categorizeEndpoints(
  endpoints: readonly Backend[],
  nodeName: string,
  zone: string,
): { clusterSet: Backend[]; localSet: Backend[]; topology: TopologyMode; clusterFallback: boolean; localFallback: boolean } {
  const topology = topologyMode(endpoints, nodeName, zone);
  let clusterFallback = false;
  let clusterSet = endpoints.filter((ep) => clusterExclusion(ep, topology, false, nodeName, zone) === undefined);
  if (clusterSet.length === 0) {
    clusterFallback = true;
    clusterSet = endpoints.filter((ep) => clusterExclusion(ep, topology, true, nodeName, zone) === undefined);
  }
  let localFallback = false;
  let localSet = endpoints.filter((ep) => localExclusion(ep, false) === undefined);
  if (localSet.length === 0) {
    localFallback = true;
    localSet = endpoints.filter((ep) => localExclusion(ep, true) === undefined);
  }
  return { clusterSet, localSet, topology, clusterFallback, localFallback };
}

// ---------------------------------------------------------------------------
// The whole state

/** The zone of this node: the explicit one, else the Node object's label, else "". */
export function nodeZone(objects: ClusterObjects, node: NodeContext): string {
  if (node.zone !== undefined) return node.zone;
  if (!node.nodeName) return '';
  return objects.nodes.get(node.nodeName)?.metadata.labels?.[LABEL_TOPOLOGY_ZONE] ?? '';
}

/** Addresses of a Node object (status.addresses of type InternalIP, then ExternalIP), canonical. */
export function nodeAddresses(objects: ClusterObjects, nodeName: string): string[] {
  const addrs = objects.nodes.get(nodeName)?.status?.addresses ?? [];
  const out: string[] = [];
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of addrs) {
      if (a.type !== type) continue;
      const c = canonicalIP(a.address, { sloppy: true });
      if (c && !out.includes(c)) out.push(c);
    }
  }
  return out;
}

function servicePortState(
  svc: Service,
  port: ServicePortSpec,
  family: Family,
  clusterIP: string,
  slices: readonly EndpointSlice[],
  nodeName: string,
  zone: string,
  nodeHints: boolean,
): ServicePortState {
  const { namespace, name } = svc.metadata;
  const portName = port.name ?? '';
  const externalIPs = ipsOfFamily(svc.spec.externalIPs, family);
  const loadBalancerIPs = loadBalancerVIPs(svc, family);
  const nodePort = port.nodePort && port.nodePort > 0 ? port.nodePort : undefined;
  // serviceport.go: ExternallyAccessible (per port and family) and ExternalPolicyLocal (per Service).
  const portExternallyAccessible = nodePort !== undefined || loadBalancerIPs.length > 0 || externalIPs.length > 0;
  const externalPolicyLocal = serviceExternallyAccessible(svc) && svc.spec.externalTrafficPolicy === 'Local';
  const endpoints = collectEndpoints(slices, family, portName, port.protocol, nodeName, { nodeHints });
  const { clusterSet, localSet } = categorizeEndpoints(endpoints, nodeName, zone);

  const state: ServicePortState = {
    key: servicePortKey(namespace, name, portName),
    namespace,
    name,
    portName,
    family,
    protocol: port.protocol,
    clusterIP,
    port: port.port,
    externalIPs,
    loadBalancerIPs,
    sourceRanges: sourceRangesOfFamily(svc, family),
    internalLocal: svc.spec.internalTrafficPolicy === 'Local',
    externalLocal: externalPolicyLocal && portExternallyAccessible,
    affinitySeconds: affinitySeconds(svc),
    endpoints,
    clusterSet,
    localSet,
    nodePort,
    // apiservice.NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local.
    healthCheckNodePort: svc.spec.type === 'LoadBalancer' && externalPolicyLocal && svc.spec.healthCheckNodePort
      ? svc.spec.healthCheckNodePort : undefined,
  };
  return state;
}

/**
 * What kube-proxy would program on one node: one ServicePortState per
 * (Service port, IP family) of every Service that gets rules, Services in
 * namespace/name order, IPv4 before IPv6, ports in spec order.
 */
/** What the rules need about this node, resolved once (zone from the Node object, hint gates). */
export interface ServiceContext {
  nodeName: string;
  zone: string;
  nodeHints: boolean;
}

export function serviceContext(objects: ClusterObjects, node: NodeContext = {}): ServiceContext {
  return { nodeName: node.nodeName ?? '', zone: nodeZone(objects, node), nodeHints: node.preferSameNodeHints !== false };
}

/**
 * The service ports of one Service, every family (rules 1-3, 6-11, 22),
 * given the EndpointSlices that belong to it (slicesByService or
 * slicesOfService). Empty for skipped Services. The unit of incremental
 * updates: a change to one Service or one of its slices recomputes only this.
 */
export function servicePortsOf(svc: Service, svcSlices: readonly EndpointSlice[], ctx: ServiceContext): ServicePortState[] {
  const out: ServicePortState[] = [];
  if (shouldSkipService(svc)) return out;
  for (const family of FAMILIES) {
    const clusterIP = clusterIPForFamily(svc, family);
    if (!clusterIP) continue;
    for (const port of svc.spec.ports) {
      out.push(servicePortState(svc, port, family, clusterIP, svcSlices, ctx.nodeName, ctx.zone, ctx.nodeHints));
    }
  }
  return out;
}

export function computeClusterState(objects: ClusterObjects, node: NodeContext = {}): ClusterState {
  const nodeName = node.nodeName ?? '';
  const zone = nodeZone(objects, node);
  const nodeHints = node.preferSameNodeHints !== false;
  const slices = slicesByService(objects);

  const services = [...objects.services.values()].sort((a, b) =>
    compareStrings(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`),
  );
  const servicePorts: ServicePortState[] = [];
  const allocated = new Map<string, ReturnType<typeof parseIP>>();
  const ctx: ServiceContext = { nodeName, zone, nodeHints };
  for (const svc of services) {
    const ports = servicePortsOf(svc, slices.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [], ctx);
    for (const sp of ports) if (sp.clusterIP) allocated.set(sp.clusterIP, parseIP(sp.clusterIP));
    pushAll(servicePorts, ports);
  }

  const allocatedClusterIPs = [...allocated.entries()]
    .sort((a, b) => compareIP(a[1]!, b[1]!))
    .map(([text]) => text);

  const serviceCIDRs: string[] = [];
  const cidrObjects = [...objects.serviceCIDRs.values()].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  for (const sc of cidrObjects) {
    for (const text of sc.spec.cidrs) {
      const c = canonicalCIDR(text, { sloppy: true });
      if (c && !serviceCIDRs.includes(c)) serviceCIDRs.push(c);
    }
  }

  return { servicePorts, allocatedClusterIPs, serviceCIDRs };
}

// ---------------------------------------------------------------------------
// Section I: healthCheckNodePort

export interface HealthCheckResponse {
  status: 200 | 503;
  body: {
    service: { namespace: string; name: string };
    localEndpoints: number;
    serviceProxyHealthy: boolean;
  };
}

/**
 * Rule 23: what kube-proxy's health-check server answers on a Service's
 * healthCheckNodePort: 200 when the proxy is healthy and the Service has at
 * least one local Ready endpoint, else 503; localEndpoints counts distinct
 * local Ready endpoint IPs over all the Service's ports (terminating ones do
 * not count). `target`: a ServicePortState, or "namespace/name" /
 * "namespace/name:port". The count is per IP family (kube-proxy runs one
 * server per family): the target port's family, `opts.family`, or both
 * families added when neither says. Returns null when the Service has no
 * healthCheckNodePort (not LoadBalancer with externalTrafficPolicy Local).
 */
export function healthCheckResponse(
  state: ClusterState,
  target: ServicePortState | string,
  opts: { family?: Family; proxyHealthy?: boolean } = {},
): HealthCheckResponse | null {
  let namespace: string;
  let name: string;
  let family = opts.family;
  if (typeof target === 'string') {
    const slash = target.indexOf('/');
    if (slash === -1) return null;
    namespace = target.slice(0, slash);
    const rest = target.slice(slash + 1);
    const colon = rest.indexOf(':');
    name = colon === -1 ? rest : rest.slice(0, colon);
  } else {
    namespace = target.namespace;
    name = target.name;
    family ??= target.family;
  }
  const ports = state.servicePorts.filter(
    (sp) => sp.namespace === namespace && sp.name === name && (family === undefined || sp.family === family),
  );
  if (!ports.some((sp) => sp.healthCheckNodePort)) return null;
  const ips = new Set<string>();
  for (const sp of ports) for (const ep of sp.endpoints) if (ep.isLocal && ep.ready) ips.add(ep.ip);
  const healthy = opts.proxyHealthy !== false;
  return {
    status: ips.size > 0 && healthy ? 200 : 503,
    body: { service: { namespace, name }, localEndpoints: ips.size, serviceProxyHealthy: healthy },
  };
}

/** Every healthCheckNodePort of the state: the port and the Service it answers for. */
export function healthCheckNodePorts(state: ClusterState): { port: number; namespace: string; name: string }[] {
  const seen = new Map<number, { port: number; namespace: string; name: string }>();
  for (const sp of state.servicePorts) {
    if (sp.healthCheckNodePort && !seen.has(sp.healthCheckNodePort)) {
      seen.set(sp.healthCheckNodePort, { port: sp.healthCheckNodePort, namespace: sp.namespace, name: sp.name });
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}
