// Desired dataplane state: what kube-proxy's rules decide, before it is
// written into the core's tables. Produced by src/k8s/ (objects → rules),
// consumed by src/core/tables.ts (state → linear memory). Plain data only.

export type Family = 4 | 6;
export type L4Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One endpoint as the dataplane uses it (spec rule 6: addresses[0] only). */
export interface Backend {
  /** Canonical address text of the endpoint's family (IPv6 compressed, lower case). */
  ip: string;
  /** Target port from the EndpointSlice port matching the service port (rule 3). */
  port: number;
  /** Node the endpoint runs on, if the slice says. */
  nodeName?: string;
  /** Zone of the endpoint, if the slice says. */
  zone?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** nodeName equals this node's name. */
  isLocal: boolean;
  /** hints.forZones names, when the slice gives any (rule 11). */
  zoneHints?: string[];
  /** hints.forNodes names, when the slice gives any (rule 11, PreferSameNode). */
  nodeHints?: string[];
}

/**
 * One service port of one IP family: the unit kube-proxy programs
 * (rule 3), with every frontend it owns and the endpoint sets it uses.
 */
export interface ServicePortState {
  /** "namespace/name:portName", or "namespace/name" when the port has no name. */
  key: string;
  namespace: string;
  name: string;
  portName: string;
  family: Family;
  protocol: L4Protocol;
  /** The Service's ClusterIP of this family, if it has one. */
  clusterIP?: string;
  /** Service port (frontend port for ClusterIP, externalIPs and LB ingress). */
  port: number;
  /** NodePort, when allocated (0 or undefined: none). */
  nodePort?: number;
  /** externalIPs of this family. */
  externalIPs: string[];
  /** LoadBalancer ingress IPs of this family (empty IP and ipMode Proxy removed, rule 2). */
  loadBalancerIPs: string[];
  /** loadBalancerSourceRanges of this family, trimmed CIDR text (rule 21); empty = no filter. */
  sourceRanges: string[];
  /** internalTrafficPolicy: Local. */
  internalLocal: boolean;
  /** externalTrafficPolicy: Local and the Service is externally accessible (rule 10). */
  externalLocal: boolean;
  /** ClientIP affinity timeout in seconds; 0 when sessionAffinity is None (rule 22). */
  affinitySeconds: number;
  /** healthCheckNodePort, when set (LoadBalancer + externalTrafficPolicy Local). */
  healthCheckNodePort?: number;
  /** All merged, de-duplicated, sorted endpoints of this port and family (rule 7), for reports. */
  endpoints: Backend[];
  /**
   * Rule 8: the cluster set (ready after topology, else serving+terminating).
   * Empty exactly when the port has no usable endpoint anywhere (rule 14).
   */
  clusterSet: Backend[];
  /** Rule 9: the local set (local ready, else local serving+terminating). */
  localSet: Backend[];
}

/** Everything the dataplane of one node needs. */
export interface ClusterState {
  servicePorts: ServicePortState[];
  /** Every ClusterIP held by a programmed Service (for rule 17's REJECT). */
  allocatedClusterIPs: string[];
  /** Service CIDRs from ServiceCIDR objects (canonical text, both families), for rule 17's DROP. */
  serviceCIDRs: string[];
}
