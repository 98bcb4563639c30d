// The benchmark cluster: Services with a few backends each, built in code
// (no YAML, no Kubernetes objects), in the shape src/core/tables.ts takes.
// Deterministic: the same arguments give the same cluster on every run.

import { ip6Text } from './packets.js';
import type { Backend, ClusterState, ServicePortState } from '../src/k8s/model.js';

/** A Service port as the benchmarks and the JS peer see it: numbers, not text. */
export interface BenchService {
  /** ClusterIP as a host-order u32. */
  vip: number;
  port: number;
  /** Backends in the order the core's endpoint set lists them. */
  backends: { addr: number; port: number }[];
}

export interface BenchCluster {
  state: ClusterState;
  services: BenchService[];
}

/** Small xorshift32 generator: the benchmarks' only source of randomness. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** Fisher-Yates shuffle in place. */
export function shuffle(a: Uint32Array, next: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
}

export function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export function ipNum(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function backend(ip: string, port: number): Backend {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal: false };
}

function servicePort(key: string, clusterIP: string, port: number, endpoints: Backend[], nodePort?: number, family: 4 | 6 = 4,
                     protocol: 'TCP' | 'UDP' = 'TCP'): ServicePortState {
  const [namespace, rest] = key.split('/');
  const [name, portName = ''] = rest.split(':');
  return {
    key, namespace, name, portName, family, protocol, clusterIP, port,
    externalIPs: [], loadBalancerIPs: [], sourceRanges: [], internalLocal: false, externalLocal: false,
    affinitySeconds: 0, endpoints, clusterSet: endpoints, localSet: [], ...(nodePort ? { nodePort } : {}),
  };
}

export const NODE_PORT_BASE = 30000;

const SERVICE_PORTS = [80, 443, 8080, 5432, 6379, 9090, 3306, 8443];
const TARGET_PORTS = [8080, 8443, 8080, 5432, 6379, 9090, 3306, 8443];

/**
 * `count` TCP ClusterIP Services (10.96.0.10, .11, …), each with 3..10
 * ready backends in 10.244.<i>.0/24; with `nodePorts`, Service i is also
 * NodePort NODE_PORT_BASE + i. With `family` 6 every address a is fd00::a; `protocol` UDP makes
 * them UDP Services.
 */
export function buildCluster(count = 100, nodePorts = false, family: 4 | 6 = 4, protocol: 'TCP' | 'UDP' = 'TCP'): BenchCluster {
  const text = family === 6 ? ip6Text : ipText;
  const services: BenchService[] = [];
  const ports: ServicePortState[] = [];
  for (let i = 0; i < count; i++) {
    const vip = (ipNum('10.96.0.10') + i) >>> 0;
    const port = SERVICE_PORTS[i % SERVICE_PORTS.length];
    const target = TARGET_PORTS[i % TARGET_PORTS.length];
    const n = 3 + (i % 8);
    const backends: { addr: number; port: number }[] = [];
    for (let j = 0; j < n; j++) backends.push({ addr: (ipNum('10.244.0.2') + (i << 8) + j) >>> 0, port: target });
    services.push({ vip, port, backends });
    ports.push(servicePort(`bench/svc-${i}:p`, text(vip), port, backends.map((b) => backend(text(b.addr), b.port)),
      nodePorts ? NODE_PORT_BASE + i : undefined, family, protocol));
  }
  return {
    services,
    state: { servicePorts: ports, allocatedClusterIPs: services.map((s) => text(s.vip)),
      serviceCIDRs: [family === 6 ? 'fd00::a60:0/112' : '10.96.0.0/16'] },
  };
}
