// Captures for the --workers dispatch of IP fragments and ClientIP affinity
// (assembly/capture/shard-frag.ts, shard-affinity.ts): a cluster, fragmented datagrams of many
// clients in and out of order, and connections of many affinity clients. Built from fields by
// test/helpers/packets.ts; records a microsecond apart unless a test says otherwise.

import { buildPacket } from './packets.js';
import { pcapHeader, pcapRecord } from './capture-builders.js';
import { rng } from './rng.js';

export const DISPATCH_NODE = {
  node: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16', 'fd00:10::/64'],
  serviceCIDRs: ['10.96.0.0/16', 'fd00:10:96::/112'],
};

interface Svc { name: string; family: 4 | 6; vip: string; port: number; proto: 'TCP' | 'UDP'; target: number; backends: string[];
  nodePort?: number; affinity?: boolean }

export const SERVICES: Svc[] = [
  { name: 'dns', family: 4, vip: '10.96.0.53', port: 53, proto: 'UDP', target: 5353, backends: ['10.244.210.1', '10.244.210.2', '10.244.210.3'] },
  { name: 'web', family: 4, vip: '10.96.0.80', port: 80, proto: 'TCP', target: 8080, backends: ['10.244.211.1', '10.244.211.2', '10.244.211.3'] },
  { name: 'dns6', family: 6, vip: 'fd00:10:96::53', port: 53, proto: 'UDP', target: 5353, backends: ['fd00:10::d1', 'fd00:10::d2'] },
  { name: 'sticky', family: 4, vip: '10.96.0.44', port: 443, proto: 'TCP', target: 8443, nodePort: 30444, affinity: true,
    backends: ['10.244.212.1', '10.244.212.2', '10.244.212.3'] },
];
const svc = (name: string) => SERVICES.find((s) => s.name === name)!;

/** The cluster manifest of SERVICES, sticky's affinity lasting `affinitySeconds`. */
export function dispatchCluster(affinitySeconds = 10800): string {
  const l = ['apiVersion: v1', 'kind: List', 'items:',
    '- apiVersion: v1', '  kind: Node', '  metadata:', '    name: node-a', '  status:', '    addresses:', '    - {type: InternalIP, address: 192.168.49.2}'];
  for (const s of SERVICES) {
    const fam = s.family === 4 ? 'IPv4' : 'IPv6';
    l.push('- apiVersion: v1', '  kind: Service', '  metadata:', `    name: ${s.name}`, '    namespace: d', '  spec:',
      `    type: ${s.nodePort ? 'NodePort' : 'ClusterIP'}`, `    clusterIP: ${s.vip}`, `    clusterIPs: [${s.vip}]`, `    ipFamilies: [${fam}]`);
    if (s.nodePort) l.push('    externalTrafficPolicy: Cluster');
    if (s.affinity) l.push('    sessionAffinity: ClientIP', `    sessionAffinityConfig: {clientIP: {timeoutSeconds: ${affinitySeconds}}}`);
    l.push('    ports:', '    - name: p', `      port: ${s.port}`, ...(s.nodePort ? [`      nodePort: ${s.nodePort}`] : []),
      `      protocol: ${s.proto}`, `      targetPort: ${s.target}`,
      '- apiVersion: discovery.k8s.io/v1', '  kind: EndpointSlice', '  metadata:', `    name: ${s.name}-1`, '    namespace: d',
      '    labels:', `      kubernetes.io/service-name: ${s.name}`, `  addressType: ${fam}`, '  endpoints:');
    for (const b of s.backends) l.push(`  - addresses: ['${b}']`, '    nodeName: node-a', '    conditions: {ready: true, serving: true, terminating: false}');
    l.push('  ports:', '  - name: p', `    port: ${s.target}`, `    protocol: ${s.proto}`);
  }
  return l.join('\n') + '\n';
}

function ipv4HeaderChecksum(h: Uint8Array): number {
  let acc = 0;
  for (let i = 0; i < h.length; i += 2) acc += (h[i]! << 8) | h[i + 1]!;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** An Ethernet frame's IP datagram cut into fragments of `size` payload bytes (a multiple of 8). */
export function fragment(frame: Uint8Array, size: number, id: number): Uint8Array[] {
  const v6 = frame[12] === 0x86;
  const ihl = v6 ? 40 : (frame[14]! & 15) * 4;
  const payload = frame.subarray(14 + ihl);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(off + size, payload.length));
    const more = off + size < payload.length;
    const extra = v6 ? 8 : 0;
    const f = new Uint8Array(14 + ihl + extra + part.length);
    f.set(frame.subarray(0, 14 + ihl));
    f.set(part, 14 + ihl + extra);
    const ip = new DataView(f.buffer, 14);
    if (v6) {
      const next = f[14 + 6]!;
      ip.setUint16(4, extra + part.length);
      f[14 + 6] = 44;
      f[14 + 40] = next;
      ip.setUint16(42, off | (more ? 1 : 0));
      ip.setUint32(44, id);
    } else {
      ip.setUint16(2, ihl + part.length);
      ip.setUint16(4, id);
      ip.setUint16(6, (more ? 0x2000 : 0) | (off >> 3));
      ip.setUint16(10, 0);
      ip.setUint16(10, ipv4HeaderChecksum(f.subarray(14, 14 + ihl)));
    }
    out.push(f);
  }
  return out;
}

/** Records of several clients, each client's in its order, interleaved at random (seeded), `step` µs apart. */
function interleave(perClient: Uint8Array[][], seed: number, step: number): Uint8Array[] {
  const next = rng(seed);
  const queues = perClient.map((q) => [...q]);
  const records: Uint8Array[] = [pcapHeader()];
  let t = 0;
  while (queues.some((q) => q.length > 0)) {
    const live = queues.filter((q) => q.length > 0);
    const q = live[Math.floor(next() * live.length)]!;
    const data = q.shift()!;
    records.push(pcapRecord({ sec: 1 + Math.floor(t / 1e6), frac: t % 1e6, data }));
    t += step;
  }
  return records;
}

const p = buildPacket;

/** The order a client sends a datagram's fragments in. */
export type FragmentOrder = 'in order' | 'last first' | 'middle last';

function ordered(frags: Uint8Array[], order: FragmentOrder): Uint8Array[] {
  if (order === 'last first') return [...frags].reverse();
  if (order === 'middle last') return [frags[0]!, ...frags.slice(2), frags[1]!];
  return frags;
}

/**
 * `clients` pod clients, each: a UDP datagram to dns split in four and a reply from a backend
 * (guessed: when Maglev chose another, the reply passes untranslated) split in two; a TCP
 * connection to web whose 3000-byte segment is split in three, and the backend's fragmented
 * reply; an IPv6 datagram to dns6 split in three, and its reply. The first `orders.length` clients' datagrams to
 * Services go in those orders, the rest in order.
 */
export function fragmentCapture(clients: number, orders: FragmentOrder[] = [], seed = 1, step = 1): Uint8Array {
  const perClient: Uint8Array[][] = [];
  const dns = svc('dns'), web = svc('web'), dns6 = svc('dns6');
  for (let c = 0; c < clients; c++) {
    const order = orders[c] ?? 'in order';
    const src = `10.244.${1 + Math.floor(c / 200)}.${10 + (c % 200)}`;
    const src6 = `fd00:10::${(0x100 + c).toString(16)}`;
    const sport = 40000 + c, id = 100 + c;
    const b = dns.backends[c % dns.backends.length]!, wb = web.backends[c % web.backends.length]!;
    const q: Uint8Array[] = [];
    q.push(...ordered(fragment(p({ src, dst: dns.vip, sport, dport: dns.port, proto: 'UDP', payload: 1200 }), 400, id), order));
    q.push(...fragment(p({ src: b, dst: src, sport: dns.target, dport: sport, proto: 'UDP', payload: 900 }), 512, id + 1));
    q.push(p({ src, dst: web.vip, sport, dport: web.port, proto: 'TCP', flags: 0x02 }));
    q.push(p({ src: wb, dst: src, sport: web.target, dport: sport, proto: 'TCP', flags: 0x12 }));
    q.push(...ordered(fragment(p({ src, dst: web.vip, sport, dport: web.port, proto: 'TCP', flags: 0x18, payload: 3000 }), 1200, id + 2), order));
    q.push(...fragment(p({ src: wb, dst: src, sport: web.target, dport: sport, proto: 'TCP', flags: 0x18, payload: 2000 }), 1480, id + 3));
    const b6 = dns6.backends[c % dns6.backends.length]!;
    q.push(...ordered(fragment(p({ src: src6, dst: dns6.vip, sport, dport: dns6.port, proto: 'UDP', payload: 2000 }), 800, 7000 + c), order));
    q.push(...fragment(p({ src: b6, dst: src6, sport: dns6.target, dport: sport, proto: 'UDP', payload: 1500 }), 1232, 9000 + c));
    perClient.push(q);
  }
  return Buffer.concat(interleave(perClient, seed, step));
}

/**
 * Connections to sticky (ClientIP affinity): `pods` pod clients through its ClusterIP (kept source,
 * each on its own worker) and `outside` clients through its NodePort (masqueraded, worker 0),
 * `each` connections per client, each a SYN, a reply from a guessed backend and an ACK.
 * `bothWays` pod clients also connect through the NodePort.
 */
export function affinityCapture(pods: number, outside: number, each: number, bothWays = 0, seed = 2, step = 1): Uint8Array {
  const s = svc('sticky');
  const perClient: Uint8Array[][] = [];
  const connect = (q: Uint8Array[], src: string, dst: string, dport: number, sport: number, k: number) => {
    const b = s.backends[k % s.backends.length]!;
    q.push(p({ src, dst, sport, dport, proto: 'TCP', flags: 0x02 }));
    q.push(p({ src: b, dst: src, sport: s.target, dport: sport, proto: 'TCP', flags: 0x12 }));
    q.push(p({ src, dst, sport, dport, proto: 'TCP', flags: 0x10 }));
  };
  for (let c = 0; c < pods + outside; c++) {
    const pod = c < pods;
    const src = pod ? `10.244.${20 + Math.floor(c / 250)}.${1 + (c % 250)}` : `198.51.${100 + Math.floor(c / 250)}.${1 + (c % 250)}`;
    const q: Uint8Array[] = [];
    for (let k = 0; k < each; k++) {
      if (pod) connect(q, src, s.vip, s.port, 30000 + k, c + k);
      else connect(q, src, '192.168.49.2', s.nodePort!, 30000 + k, c + k);
      if (pod && c < bothWays) connect(q, src, '192.168.49.2', s.nodePort!, 31000 + k, c + k);
    }
    perClient.push(q);
  }
  return Buffer.concat(interleave(perClient, seed, step));
}

/** Records with these times (µs), in this order: a capture whose times may go back. */
export function timedCapture(frames: [number, Uint8Array][]): Uint8Array {
  return Buffer.concat([pcapHeader(), ...frames.map(([t, data]) => pcapRecord({ sec: 1 + Math.floor(t / 1e6), frac: t % 1e6, data }))]);
}
