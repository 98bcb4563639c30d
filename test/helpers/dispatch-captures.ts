// Captures for the --workers dispatch of IP fragments, ClientIP affinity and hairpin clients
// (assembly/capture/shard-frag.ts, shard-affinity.ts, shard-hairpin.ts): a cluster, fragmented
// datagrams of many clients in and out of order, connections of many affinity clients, and pods
// that reach the Services they back. Built from fields by
// test/helpers/packets.ts; records a microsecond apart unless a test says otherwise.

import type { Dataplane } from '../../src/dataplane.js';
import { buildPacket, buildIcmpError } from './packets.js';
import { pcapHeader, pcapRecord } from './capture-builders.js';
import { rng } from './rng.js';
import { answer, decode } from '../fixtures/conformance/flow.js';

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

/** What hairpinCapture's connections became on one worker, counted from the dataplane's output. */
export interface HairpinCounts {
  /** Connections whose client got itself as the backend, masqueraded, per protocol and family. */
  hairpin: Record<'TCP' | 'UDP' | 'UDP6', number>;
  /** Connections of backend pods to their own Service that got another backend (source kept). */
  elsewhere: number;
  /** Answers of backends, and ICMP errors about connections. */
  answers: number;
  errors: number;
}

/**
 * Pods that reach the Services they back (dns, web and sticky over UDP and TCP, dns6 over IPv6;
 * `each` connections per pod, some of which get the pod itself), dns's pods also reaching web,
 * ordinary pod clients of every Service and outside clients of sticky's NodePort. In four rounds:
 * every connection's first packet, the backend's answer, the client's next packet, and for UDP an
 * ICMP port unreachable from the backend. `dp` (fresh, of dispatchCluster() on the replay's node)
 * runs each round first, so that every answer and error is addressed as the translated packet says.
 */
export function hairpinCapture(dp: Dataplane, each: number, nodeIP6: string): { capture: Uint8Array; counts: HairpinCounts } {
  const dns = svc('dns'), web = svc('web'), dns6 = svc('dns6'), sticky = svc('sticky');
  const conns: { src: string; s: Svc; dst: string; dport: number; sport: number }[] = [];
  for (let k = 0; k < each; k++) {
    const sport = 50000 + k;
    for (const s of [dns, web, sticky, dns6]) for (const b of s.backends) conns.push({ src: b, s, dst: s.vip, dport: s.port, sport });
    for (const b of dns.backends) conns.push({ src: b, s: web, dst: web.vip, dport: web.port, sport });
    for (let c = 1; c <= 6; c++) {
      for (const s of [dns, web, sticky]) conns.push({ src: `10.244.30.${c}`, s, dst: s.vip, dport: s.port, sport });
      conns.push({ src: `fd00:10::30:${c}`, s: dns6, dst: dns6.vip, dport: dns6.port, sport });
      conns.push({ src: `198.51.100.${c}`, s: sticky, dst: '192.168.49.2', dport: sticky.nodePort!, sport });
    }
  }
  const records: Uint8Array[] = [pcapHeader()];
  let t = 0;
  const round = (frames: Uint8Array[]): Uint8Array[] => {
    const times = frames.map(() => t++);
    times.forEach((u, i) => records.push(pcapRecord({ sec: 1 + Math.floor(u / 1e6), frac: u % 1e6, data: frames[i]! })));
    return dp.process(frames.map((data, i) => ({ data, time: 1 + times[i]! / 1e6 }))).map((o) => o.data!);
  };
  const first = round(conns.map((c) => p({ src: c.src, dst: c.dst, sport: c.sport, dport: c.dport, proto: c.s.proto, flags: 0x02, payload: 24 })));
  const counts: HairpinCounts = { hairpin: { TCP: 0, UDP: 0, UDP6: 0 }, elsewhere: 0, answers: conns.length, errors: 0 };
  conns.forEach((c, i) => {
    const out = decode(first[i]!);
    if (out.dst === c.src && (out.src === '192.168.49.2' || out.src === nodeIP6)) counts.hairpin[c.s.family === 6 ? 'UDP6' : c.s.proto]++;
    else if (c.s.backends.includes(c.src) && out.src === c.src) counts.elsewhere++;
  });
  round(first.map(answer));
  round(conns.map((c) => p({ src: c.src, dst: c.dst, sport: c.sport, dport: c.dport, proto: c.s.proto, flags: 0x10, payload: 40 })));
  const udp = conns.flatMap((c, i) => (c.s.proto === 'UDP' ? [decode(first[i]!)] : []).map((out) =>
    buildIcmpError(out.dst, out.src, c.s.family === 6 ? 1 : 3, c.s.family === 6 ? 4 : 3, first[i]!.subarray(14))));
  round(udp);
  counts.errors = udp.length;
  return { capture: Buffer.concat(records), counts };
}
