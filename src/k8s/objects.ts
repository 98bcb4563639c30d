// The Kubernetes objects svcplane reads, as the API serves them (field names
// and nesting of core/v1, discovery.k8s.io/v1, networking.k8s.io/v1), only the
// fields kube-proxy looks at. Objects in a ClusterObjects have passed
// validation (validate.ts) and carry the API server's defaults (namespace,
// protocol TCP, type ClusterIP), so the rules can read them without checks.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ObjectMeta {
  name: string;
  /** Set on namespaced kinds ("default" when the manifest left it out). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServicePortSpec {
  name?: string;
  protocol: Protocol;
  port: number;
  /** Never read by the proxy (spec rule 3); kept for reports. */
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
}

export interface Service {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta & { namespace: string };
  spec: {
    type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: ('IPv4' | 'IPv6')[];
    ipFamilyPolicy?: string;
    ports: ServicePortSpec[];
    selector?: Record<string, string>;
    externalIPs?: string[];
    externalName?: string;
    loadBalancerSourceRanges?: string[];
    sessionAffinity?: 'None' | 'ClientIP';
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: 'Cluster' | 'Local';
    internalTrafficPolicy?: 'Cluster' | 'Local';
    healthCheckNodePort?: number;
    allocateLoadBalancerNodePorts?: boolean;
    trafficDistribution?: string;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  nodeName?: string;
  zone?: string;
  hostname?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
}

export interface EndpointPort {
  /** Absent name: kube-proxy ignores the port (spec rule 5). */
  name?: string | null;
  /** Absent or 0: kube-proxy ignores the port (spec rule 5). */
  port?: number | null;
  protocol: Protocol;
  appProtocol?: string;
}

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
/** Endpoints carrying this label set to "true" are not mirrored to slices. */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';

export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  metadata: ObjectMeta & { namespace: string; labels: Record<string, string> };
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports: EndpointPort[];
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
}

/** Legacy core/v1 Endpoints (converted to slices by the rules, see rules.ts). */
export interface Endpoints {
  apiVersion: 'v1';
  kind: 'Endpoints';
  metadata: ObjectMeta & { namespace: string };
  subsets: {
    addresses: EndpointAddress[];
    notReadyAddresses: EndpointAddress[];
    ports: { name?: string; port: number; protocol: Protocol; appProtocol?: string }[];
  }[];
}

export interface Node {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface ServiceCIDR {
  apiVersion: 'networking.k8s.io/v1' | 'networking.k8s.io/v1beta1';
  kind: 'ServiceCIDR';
  metadata: ObjectMeta;
  spec: { cidrs: string[] };
}

export type KubeObject = Service | EndpointSlice | Endpoints | Node | ServiceCIDR;
export type KubeKind = KubeObject['kind'];

export const NAMESPACED_KINDS: ReadonlySet<string> = new Set(['Service', 'EndpointSlice', 'Endpoints']);
export const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'Service',
  'EndpointSlice',
  'Endpoints',
  'Node',
  'ServiceCIDR',
]);

/** Where an object was last read from, for messages. */
export interface SourceRef {
  file: string;
  line?: number;
  path?: string;
}

/**
 * The set of objects one node's proxy knows about. Maps are keyed by
 * "namespace/name" for namespaced kinds and by name for cluster-scoped ones.
 */
export interface ClusterObjects {
  services: Map<string, Service>;
  endpointSlices: Map<string, EndpointSlice>;
  endpoints: Map<string, Endpoints>;
  nodes: Map<string, Node>;
  serviceCIDRs: Map<string, ServiceCIDR>;
  /** objectId → where the current version came from. */
  sources: Map<string, SourceRef>;
}

export function emptyClusterObjects(): ClusterObjects {
  return {
    services: new Map(),
    endpointSlices: new Map(),
    endpoints: new Map(),
    nodes: new Map(),
    serviceCIDRs: new Map(),
    sources: new Map(),
  };
}

/** A shallow copy: new maps holding the same (never mutated) objects. */
export function cloneClusterObjects(o: ClusterObjects): ClusterObjects {
  return {
    services: new Map(o.services),
    endpointSlices: new Map(o.endpointSlices),
    endpoints: new Map(o.endpoints),
    nodes: new Map(o.nodes),
    serviceCIDRs: new Map(o.serviceCIDRs),
    sources: new Map(o.sources),
  };
}

/** Map key of an object inside its kind's map. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return NAMESPACED_KINDS.has(kind) ? `${namespace ?? 'default'}/${name}` : name;
}

/** Identity across kinds, also the label used in messages: "Service default/web", "Node node-a". */
export function objectId(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${objectKey(kind, namespace, name)}`;
}

/** The map of ClusterObjects that holds objects of this kind. */
export function mapForKind(objects: ClusterObjects, kind: KubeKind): Map<string, KubeObject> {
  switch (kind) {
    case 'Service':
      return objects.services as Map<string, KubeObject>;
    case 'EndpointSlice':
      return objects.endpointSlices as Map<string, KubeObject>;
    case 'Endpoints':
      return objects.endpoints as Map<string, KubeObject>;
    case 'Node':
      return objects.nodes as Map<string, KubeObject>;
    case 'ServiceCIDR':
      return objects.serviceCIDRs as Map<string, KubeObject>;
  }
}

/** Number of objects of every kind, for summaries. */
export function countObjects(o: ClusterObjects): Record<KubeKind, number> {
  return {
    Service: o.services.size,
    EndpointSlice: o.endpointSlices.size,
    Endpoints: o.endpoints.size,
    Node: o.nodes.size,
    ServiceCIDR: o.serviceCIDRs.size,
  };
}
