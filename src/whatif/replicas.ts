// --next-replicas: a state with a Service's ready endpoints scaled to N, per address family. Scaling
// out adds synthetic ready endpoints in one new EndpointSlice; scaling in removes the ready
// endpoints with the highest addresses. Everything else about the Service is left as it is.
//
// Synthetic addresses come from the benchmarking ranges (RFC 2544 198.18.0.0/15, RFC 5180
// 2001:2::/48), counting up from 198.18.0.1 and 2001:2::1 across all the changes of a run, and
// skipping any address an endpoint or a Service already holds, so they never collide and are
// easy to spot in a report.

import {
  LABEL_SERVICE_NAME, cloneClusterObjects, objectId,
  type ClusterObjects, type EndpointPort, type EndpointSlice, type Endpoint, type Service,
} from '../k8s/objects.js';
import { slicesByService } from '../k8s/rules.js';
import { parseIP, formatIP, compareIP, type IPAddress } from '../k8s/ip.js';
import { MAGLEV_SET_MAX } from '../../assembly/abi/capacity.js';

/** One --next-replicas value: the Service ("namespace/name") and the ready endpoints it should have. */
export interface ReplicaChange { service: string; replicas: number }

/** What a change did to one address family of a Service. */
export interface ReplicaEffect {
  service: string;
  family: 'IPv4' | 'IPv6';
  /** Ready endpoints before and after. */
  from: number;
  to: number;
  /** Addresses of the endpoints added and removed. */
  added: string[];
  removed: string[];
}

/** The largest N accepted: the most endpoints one Maglev table holds. */
export const REPLICAS_MAX = MAGLEV_SET_MAX;

/** A --next-replicas value is wrong, or names a Service the state does not hold. */
export class ReplicasError extends Error {}

/** Parses "name=N" or "namespace/name=N" (namespace default "default"); throws ReplicasError saying why not. */
export function parseReplicaChange(text: string): ReplicaChange {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)=([0-9]+)$/.exec(text);
  if (!m) throw new ReplicasError(`"${text}" is not service=N or namespace/service=N (N a whole number)`);
  const replicas = Number(m[5]);
  if (replicas > REPLICAS_MAX) throw new ReplicasError(`"${text}": N must be at most ${REPLICAS_MAX}`);
  return { service: `${m[1] ?? 'default'}/${m[3]}`, replicas };
}

const SYNTHETIC_BASE: Record<'IPv4' | 'IPv6', string> = { IPv4: '198.18.0.1', IPv6: '2001:2::1' };

/**
 * `objects` with each change applied (the given objects are not modified). Throws ReplicasError
 * when a change names a Service the objects do not hold, or one Service twice.
 */
export function withReplicas(objects: ClusterObjects, changes: readonly ReplicaChange[]): { objects: ClusterObjects; effects: ReplicaEffect[] } {
  const out = cloneClusterObjects(objects);
  const effects: ReplicaEffect[] = [];
  const seen = new Set<string>();
  const used = usedAddresses(objects);
  const next: Record<'IPv4' | 'IPv6', IPAddress> = { IPv4: parseIP(SYNTHETIC_BASE.IPv4)!, IPv6: parseIP(SYNTHETIC_BASE.IPv6)! };
  for (const change of changes) {
    if (seen.has(change.service)) throw new ReplicasError(`${change.service} is given twice`);
    seen.add(change.service);
    const svc = out.services.get(change.service);
    if (!svc) throw new ReplicasError(`${change.service}=${change.replicas}: no Service ${change.service} in the proposed state`);
    const slices = slicesByService(out).get(change.service) ?? [];
    // Legacy Endpoints stand for slices only while the Service has none: written out as slices.
    if (slices.some((s) => !out.endpointSlices.has(sliceKey(s)))) out.endpoints.delete(change.service);
    for (const family of familiesOf(svc, slices)) {
      const own = slices.filter((s) => s.addressType === family);
      const effect: ReplicaEffect = { service: change.service, family, from: 0, to: change.replicas, added: [], removed: [] };
      const ready = readyAddresses(own);
      effect.from = ready.length;
      const remove = new Set(ready.slice(change.replicas).map(formatIP));
      effect.removed = [...remove];
      for (const s of own) {
        const endpoints = s.endpoints.filter((e) => !isReady(e) || !remove.has(canonical(e.addresses[0])));
        putSlice(out, { ...s, endpoints });
      }
      for (let n = ready.length; n < change.replicas; n++) {
        while (used.has(formatIP(next[family]))) next[family] = increment(next[family]);
        const ip = formatIP(next[family]);
        used.add(ip);
        effect.added.push(ip);
      }
      if (effect.added.length > 0) putSlice(out, syntheticSlice(svc, family, own, effect.added));
      effects.push(effect);
    }
  }
  return { objects: out, effects };
}

function sliceKey(s: EndpointSlice): string {
  return `${s.metadata.namespace}/${s.metadata.name}`;
}

function putSlice(objects: ClusterObjects, s: EndpointSlice): void {
  objects.endpointSlices.set(sliceKey(s), s);
  objects.sources.set(objectId('EndpointSlice', s.metadata.namespace, s.metadata.name), { file: '--next-replicas' });
}

/** The address families to scale: those of the Service's slices, or its first IP family when it has none. */
function familiesOf(svc: Service, slices: readonly EndpointSlice[]): ('IPv4' | 'IPv6')[] {
  const fams = new Set<'IPv4' | 'IPv6'>();
  for (const s of slices) if (s.addressType !== 'FQDN') fams.add(s.addressType);
  if (fams.size === 0) fams.add(svc.spec.ipFamilies?.[0] ?? (svc.spec.clusterIP?.includes(':') ? 'IPv6' : 'IPv4'));
  return [...fams].sort();
}

/** Ready as kube-proxy reads it: `ready` not false. */
function isReady(e: Endpoint): boolean {
  return e.addresses.length > 0 && e.conditions?.ready !== false;
}

function canonical(text: string | undefined): string {
  const ip = text === undefined ? null : parseIP(text, { sloppy: true });
  return ip ? formatIP(ip) : '';
}

/** The distinct ready endpoint addresses of some slices, lowest first. */
function readyAddresses(slices: readonly EndpointSlice[]): IPAddress[] {
  const byText = new Map<string, IPAddress>();
  for (const s of slices) {
    for (const e of s.endpoints) {
      const ip = isReady(e) ? parseIP(e.addresses[0]!, { sloppy: true }) : null;
      if (ip) byText.set(formatIP(ip), ip);
    }
  }
  return [...byText.values()].sort(compareIP);
}

/** Every address an endpoint or a Service of `objects` holds. */
function usedAddresses(objects: ClusterObjects): Set<string> {
  const used = new Set<string>();
  const add = (text: string | undefined) => {
    const c = canonical(text);
    if (c) used.add(c);
  };
  for (const s of objects.endpointSlices.values()) for (const e of s.endpoints) e.addresses.forEach(add);
  for (const ep of objects.endpoints.values()) {
    for (const sub of ep.subsets) for (const a of [...sub.addresses, ...sub.notReadyAddresses]) add(a.ip);
  }
  for (const svc of objects.services.values()) {
    [svc.spec.clusterIP, ...(svc.spec.clusterIPs ?? []), ...(svc.spec.externalIPs ?? [])].forEach(add);
    for (const i of svc.status?.loadBalancer?.ingress ?? []) add(i.ip);
  }
  return used;
}

function increment(ip: IPAddress): IPAddress {
  const bytes = Uint8Array.from(ip.bytes);
  for (let i = bytes.length - 1; i >= 0 && ++bytes[i] === 256; i--) bytes[i] = 0;
  return { family: ip.family, bytes };
}

/**
 * The slice that holds a Service's synthetic endpoints: the ports of its existing slices of that
 * family, or else the Service's ports (a numeric targetPort, else the port).
 */
function syntheticSlice(svc: Service, family: 'IPv4' | 'IPv6', own: readonly EndpointSlice[], addresses: string[]): EndpointSlice {
  const ports: EndpointPort[] = own.find((s) => s.ports.length > 0)?.ports
    ?? svc.spec.ports.map((p) => ({ name: p.name ?? '', port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol }));
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc.metadata.name}-whatif-${family.toLowerCase()}`,
      namespace: svc.metadata.namespace,
      labels: { [LABEL_SERVICE_NAME]: svc.metadata.name },
    },
    addressType: family,
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
    ports,
  };
}
