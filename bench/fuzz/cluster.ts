// The Services the packet fuzzer programs into every core, and the addresses its packets use:
// ClusterIP, NodePort, LoadBalancer (with source ranges and externalTrafficPolicy Local),
// externalIPs, ClientIP affinity, an IPv6 Service, SCTP, a Service without endpoints, and a
// node that masquerades traffic from outside the pod CIDRs through a small port range.

import type { Backend, ClusterState, ServicePortState } from '../../src/k8s/model.js';
import type { NodeConfig } from '../../src/core/tables.js';
import type { CoreOptions } from '../../src/core/core.js';

function be(ip: string, port: number, isLocal = false): Backend {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal };
}

function svc(p: Partial<ServicePortState> & { key: string; port: number }): ServicePortState {
  const [namespace, rest] = p.key.split('/');
  const [name, portName = ''] = rest.split(':');
  const endpoints = p.clusterSet ?? [];
  return {
    namespace, name, portName, family: 4, protocol: 'TCP', externalIPs: [], loadBalancerIPs: [], sourceRanges: [],
    internalLocal: false, externalLocal: false, affinitySeconds: 0, endpoints, clusterSet: endpoints,
    localSet: endpoints.filter((b) => b.isLocal), ...p,
  };
}

export const NODE_IP4 = '192.168.49.2';
export const NODE_IP6 = 'fd00:192::2';

export const FUZZ_NODE: NodeConfig = {
  nodeIPs: [NODE_IP4, NODE_IP6],
  podCIDRs: ['10.244.0.0/16', 'fd00:244::/48'],
  serviceCIDRs: ['10.96.0.0/16', 'fd00:96::/112'],
  masqueradePorts: [40000, 40511],
};

export const FUZZ_STATE: ClusterState = {
  allocatedClusterIPs: ['10.96.0.10', '10.96.0.53', '10.96.0.20', '10.96.0.30', '10.96.0.40', 'fd00:96::10'],
  serviceCIDRs: [],
  servicePorts: [
    svc({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, nodePort: 30080, externalIPs: ['192.0.2.50'],
      loadBalancerIPs: ['203.0.113.10'],
      clusterSet: [be('10.244.1.5', 8080, true), be('10.244.2.6', 8080), be('10.244.2.7', 8080)] }),
    svc({ key: 'kube-system/dns:dns', clusterIP: '10.96.0.53', port: 53, protocol: 'UDP', affinitySeconds: 10800,
      clusterSet: [be('10.244.1.3', 53, true), be('10.244.2.3', 53)] }),
    svc({ key: 'kube-system/dns:dns-tcp', clusterIP: '10.96.0.53', port: 53,
      clusterSet: [be('10.244.1.3', 53, true), be('10.244.2.3', 53)] }),
    svc({ key: 'default/sctp-echo', clusterIP: '10.96.0.20', port: 7777, protocol: 'SCTP', nodePort: 30777,
      clusterSet: [be('10.244.1.9', 7777, true), be('10.244.2.11', 7777)] }),
    svc({ key: 'default/empty', clusterIP: '10.96.0.30', port: 80, nodePort: 30030, clusterSet: [] }),
    svc({ key: 'default/lb-local:https', clusterIP: '10.96.0.40', port: 443, nodePort: 30443, loadBalancerIPs: ['203.0.113.20'],
      sourceRanges: ['198.51.100.0/24'], externalLocal: true, healthCheckNodePort: 32000,
      clusterSet: [be('10.244.1.7', 8443, true), be('10.244.2.8', 8443)] }),
    svc({ key: 'default/v6:https', family: 6, clusterIP: 'fd00:96::10', port: 443, nodePort: 30643,
      clusterSet: [be('fd00:244:1::8', 8443, true), be('fd00:244:2::9', 8443)] }),
    svc({ key: 'default/v6:dns', family: 6, protocol: 'UDP', clusterIP: 'fd00:96::10', port: 53,
      clusterSet: [be('fd00:244:1::3', 53, true)] }),
  ],
};

/** Small tables, so the fuzz also reaches full conntrack, eviction and port exhaustion. */
export const FUZZ_CAPACITIES: CoreOptions = {
  ctMax: 8192, maxServicePorts: 16, maxBackends: 64, maxFrontends: 64, maglevSize: 251, maxAffinity: 256, maxFragments: 64,
};

export interface Endpoint { addr: string; port: number; proto: 'TCP' | 'UDP' | 'SCTP' }

/** Where clients send: every frontend (ClusterIP, NodePort on the node IPs, external and LB IPs) and some near misses. */
export const FRONTENDS: Endpoint[] = [];
/** Where replies come from: every backend. */
export const BACKENDS: Endpoint[] = [];
for (const p of FUZZ_STATE.servicePorts) {
  const proto = p.protocol as Endpoint['proto'];
  const node = p.family === 4 ? NODE_IP4 : NODE_IP6;
  FRONTENDS.push({ addr: p.clusterIP!, port: p.port, proto });
  for (const a of [...p.externalIPs, ...p.loadBalancerIPs]) FRONTENDS.push({ addr: a, port: p.port, proto });
  if (p.nodePort) FRONTENDS.push({ addr: node, port: p.nodePort, proto });
  for (const b of p.clusterSet) BACKENDS.push({ addr: b.ip, port: b.port, proto });
}
FRONTENDS.push(
  { addr: '10.96.0.10', port: 81, proto: 'TCP' }, { addr: '10.96.0.99', port: 80, proto: 'TCP' },
  { addr: '10.96.0.53', port: 53, proto: 'SCTP' }, { addr: NODE_IP4, port: 30081, proto: 'TCP' },
  { addr: 'fd00:96::99', port: 443, proto: 'TCP' }, { addr: '10.244.2.6', port: 8080, proto: 'TCP' },
);

/** Sources: pods of this node and another, the node, outside clients (one inside the LB source range). */
export const CLIENTS4 = ['10.244.1.20', '10.244.2.30', NODE_IP4, '198.51.100.7', '172.16.0.9', '10.244.1.5'];
export const CLIENTS6 = ['fd00:244:1::20', 'fd00:244:2::30', NODE_IP6, '2001:db8::7'];
