// Fixture tables for the per-packet program: {description, input packet,
// expected verdict, expected output packet}. Expected packets are built
// from fields with checksums computed in full, so they also check the
// core's incremental checksum updates byte for byte.

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { buildPacket, buildIcmpError, checksumErrors, hex, type PacketSpec } from './helpers/packets.js';
import type { ClusterState } from '../src/k8s/model.js';
import { LINK_RAW } from '../src/core/abi.js';

const WEB = '10.96.0.10', DNS = '10.96.0.53', SCTP = '10.96.0.77', V6 = 'fd00:10:96::20', EMPTY = '10.96.0.99';
const state: ClusterState = {
  allocatedClusterIPs: [WEB, DNS, SCTP, V6, EMPTY],
  servicePorts: [
    servicePort({ key: 'default/web:http', clusterIP: WEB, port: 80, clusterSet: [backend('10.244.1.5', 8080)] }),
    servicePort({ key: 'kube-system/kube-dns:dns', clusterIP: DNS, port: 53, protocol: 'UDP', clusterSet: [backend('10.244.1.3', 5353)] }),
    servicePort({ key: 'default/sctp-echo', clusterIP: SCTP, port: 7777, protocol: 'SCTP', clusterSet: [backend('10.244.2.11', 7778)] }),
    servicePort({ key: 'default/api6:https', family: 6, clusterIP: V6, port: 443, clusterSet: [backend('fd00:10:244:2::9', 8443)] }),
    servicePort({ key: 'default/empty', clusterIP: EMPTY, port: 80, clusterSet: [] }),
  ],
};

const pkt = (s: PacketSpec) => buildPacket(s);

interface Row { what: string; in: PacketSpec; t?: number; verdict: string; reason?: string; out?: PacketSpec; backend?: string }

// One connection per protocol: first packet, a later packet, a reply.
const rows: Row[] = [
  { what: 'IPv4 TCP SYN to a ClusterIP: DNAT to the backend', verdict: 'translated', backend: '10.244.1.5:8080',
    in: { proto: 'TCP', src: '10.244.2.9', dst: WEB, sport: 40000, dport: 80, flags: 0x02 },
    out: { proto: 'TCP', src: '10.244.2.9', dst: '10.244.1.5', sport: 40000, dport: 8080, flags: 0x02 } },
  { what: 'IPv4 TCP reply from the backend: source back to the VIP', verdict: 'reversed', backend: '10.244.1.5:8080',
    in: { proto: 'TCP', src: '10.244.1.5', dst: '10.244.2.9', sport: 8080, dport: 40000, flags: 0x12 },
    out: { proto: 'TCP', src: WEB, dst: '10.244.2.9', sport: 80, dport: 40000, flags: 0x12 } },
  { what: 'IPv4 TCP later packet with payload follows the entry', verdict: 'translated', backend: '10.244.1.5:8080',
    in: { proto: 'TCP', src: '10.244.2.9', dst: WEB, sport: 40000, dport: 80, flags: 0x18, payload: 333 },
    out: { proto: 'TCP', src: '10.244.2.9', dst: '10.244.1.5', sport: 40000, dport: 8080, flags: 0x18, payload: 333 } },
  { what: 'IPv4 UDP query: DNAT with port change', verdict: 'translated', backend: '10.244.1.3:5353',
    in: { proto: 'UDP', src: '10.244.2.9', dst: DNS, sport: 5000, dport: 53, payload: 29 },
    out: { proto: 'UDP', src: '10.244.2.9', dst: '10.244.1.3', sport: 5000, dport: 5353, payload: 29 } },
  { what: 'IPv4 UDP reply', verdict: 'reversed',
    in: { proto: 'UDP', src: '10.244.1.3', dst: '10.244.2.9', sport: 5353, dport: 5000, payload: 61 },
    out: { proto: 'UDP', src: DNS, dst: '10.244.2.9', sport: 53, dport: 5000, payload: 61 } },
  { what: 'IPv4 UDP with checksum 0 keeps 0', verdict: 'translated',
    in: { proto: 'UDP', src: '10.244.2.10', dst: DNS, sport: 5001, dport: 53, payload: 20, noUdpChecksum: true },
    out: { proto: 'UDP', src: '10.244.2.10', dst: '10.244.1.3', sport: 5001, dport: 5353, payload: 20, noUdpChecksum: true } },
  { what: 'SCTP INIT: CRC32c recomputed after the port change', verdict: 'translated', backend: '10.244.2.11:7778',
    in: { proto: 'SCTP', src: '10.244.1.20', dst: SCTP, sport: 9999, dport: 7777, payload: 20 },
    out: { proto: 'SCTP', src: '10.244.1.20', dst: '10.244.2.11', sport: 9999, dport: 7778, payload: 20 } },
  { what: 'SCTP reply', verdict: 'reversed',
    in: { proto: 'SCTP', src: '10.244.2.11', dst: '10.244.1.20', sport: 7778, dport: 9999, payload: 20 },
    out: { proto: 'SCTP', src: SCTP, dst: '10.244.1.20', sport: 7777, dport: 9999, payload: 20 } },
  { what: 'IPv6 TCP SYN to a ClusterIP', verdict: 'translated', backend: '[fd00:10:244:2::9]:8443',
    in: { proto: 'TCP', src: 'fd00:10:244:1::7', dst: V6, sport: 50000, dport: 443 },
    out: { proto: 'TCP', src: 'fd00:10:244:1::7', dst: 'fd00:10:244:2::9', sport: 50000, dport: 8443 } },
  { what: 'IPv6 TCP reply', verdict: 'reversed',
    in: { proto: 'TCP', src: 'fd00:10:244:2::9', dst: 'fd00:10:244:1::7', sport: 8443, dport: 50000, flags: 0x12 },
    out: { proto: 'TCP', src: V6, dst: 'fd00:10:244:1::7', sport: 443, dport: 50000, flags: 0x12 } },
  { what: 'traffic to no Service passes unchanged', verdict: 'passed',
    in: { proto: 'TCP', src: '10.244.2.9', dst: '8.8.8.8', sport: 40001, dport: 80 },
    out: { proto: 'TCP', src: '10.244.2.9', dst: '8.8.8.8', sport: 40001, dport: 80 } },
  { what: 'ICMP echo to a VIP is not a Service', verdict: 'passed',
    in: { proto: 'ICMP', src: '10.244.2.9', dst: WEB }, out: { proto: 'ICMP', src: '10.244.2.9', dst: WEB } },
  { what: 'UDP to a TCP-only Service port is not that Service: REJECT (rule 17)', verdict: 'rejected', reason: 'SERVICE_PORT_UNKNOWN',
    in: { proto: 'UDP', src: '10.244.2.9', dst: WEB, sport: 5002, dport: 80, payload: 4 } },
  { what: 'a Service with no endpoints: REJECT (rule 14)', verdict: 'rejected', reason: 'SERVICE_NO_ENDPOINTS',
    in: { proto: 'TCP', src: '10.244.2.9', dst: EMPTY, sport: 40002, dport: 80 } },
];

describe('datapath fixture table', () => {
  const h = new Harness(state);
  for (const [i, r] of rows.entries()) {
    it(r.what, () => {
      const o = h.one({ bytes: pkt(r.in), t: 100 + i });
      expect(o.verdict).toBe(r.verdict);
      expect(o.reason).toBe(r.reason);
      if (r.backend) expect(o.backend).toBe(r.backend);
      if (r.out) expect(hex(o.bytes)).toBe(hex(pkt(r.out)));
    });
  }
});

describe('conntrack', () => {
  const web = (sport: number, flags: number, payload = 0) => pkt({ proto: 'TCP', src: '10.244.2.9', dst: WEB, sport, dport: 80, flags, payload });
  const fromBackend = (sport: number, flags: number) => pkt({ proto: 'TCP', src: '10.244.1.5', dst: '10.244.2.9', sport: 8080, dport: sport, flags });

  it('a connection keeps its backend after the backend set changes', () => {
    const h = new Harness(state);
    expect(h.one({ bytes: web(41000, 0x02), t: 1 }).backend).toBe('10.244.1.5:8080');
    h.tables.apply({ ...state, servicePorts: state.servicePorts.map((s) => s.key === 'default/web:http' ? { ...s, clusterSet: [backend('10.244.2.6', 8080)] } : s) });
    expect(h.one({ bytes: web(41000, 0x10), t: 2 }).backend).toBe('10.244.1.5:8080');
    expect(h.one({ bytes: web(41001, 0x02), t: 3 }).backend).toBe('10.244.2.6:8080');
  });

  it('FIN from both sides then ACK closes; a new SYN starts a new connection', () => {
    const h = new Harness(state);
    h.run([{ bytes: web(42000, 0x02), t: 1 }, { bytes: fromBackend(42000, 0x12), t: 1.1 }, { bytes: web(42000, 0x10), t: 1.2 },
      { bytes: web(42000, 0x11), t: 2 }, { bytes: fromBackend(42000, 0x11), t: 2.1 }, { bytes: web(42000, 0x10), t: 2.2 }]);
    expect(h.tables.serviceCounters(h.tables.slotFor('default/web:http')!)[2]).toBe(1);
    h.one({ bytes: web(42000, 0x02), t: 3 });
    expect(h.tables.serviceCounters(h.tables.slotFor('default/web:http')!)[2]).toBe(2);
    expect(h.core.conntrack().entries).toBe(1);
  });

  it('RST closes: the entry expires after 10 s, not the established 86400 s', () => {
    const h = new Harness(state);
    h.run([{ bytes: web(43000, 0x02), t: 1 }, { bytes: fromBackend(43000, 0x14), t: 1.5 }]);
    // Before 10 s the reply still maps back; after, it is a stranger.
    expect(h.one({ bytes: fromBackend(43000, 0x10), t: 5 }).verdict).toBe('reversed');
    expect(h.one({ bytes: fromBackend(43000, 0x10), t: 16 }).verdict).toBe('passed');
  });

  it('an unreplied UDP entry expires after 30 s of capture time', () => {
    const h = new Harness(state);
    const q = (t: number) => ({ bytes: pkt({ proto: 'UDP', src: '10.244.2.9', dst: DNS, sport: 6000, dport: 53, payload: 10 }), t });
    h.run([q(0), q(29)]);
    expect(h.tables.serviceCounters(h.tables.slotFor('kube-system/kube-dns:dns')!)[2]).toBe(1);
    h.run([q(59.5)]); // 30.5 s after the last packet
    expect(h.tables.serviceCounters(h.tables.slotFor('kube-system/kube-dns:dns')!)[2]).toBe(2);
  });

  it('when full, expired entries are reclaimed first; otherwise the new connection is dropped CT_FULL', () => {
    const h = new Harness(state, { ctMax: 2 });
    const out = h.run([{ bytes: web(1, 0x02), t: 0 }, { bytes: web(2, 0x02), t: 0 }, { bytes: web(3, 0x02), t: 1 }]);
    expect(out.map((o) => o.verdict)).toEqual(['translated', 'translated', 'dropped']);
    expect(out[2].reason).toBe('CT_FULL');
    // The established ones were not lost.
    expect(h.one({ bytes: web(1, 0x10), t: 2 }).verdict).toBe('translated');
    // SYN_SENT times out after 120 s: both reclaimed, the new one admitted.
    expect(h.one({ bytes: web(3, 0x02), t: 200 }).verdict).toBe('translated');
    expect(h.core.conntrack().evicted).toBe(2);
    expect(h.core.reasonCounts()[19]).toBe(1);
  });
});

describe('rejects', () => {
  it('ICMP port unreachable from the VIP to the client, quoting the packet, valid checksums', () => {
    const h = new Harness(state);
    const input = pkt({ proto: 'TCP', src: '10.244.2.9', dst: EMPTY, sport: 40002, dport: 80 });
    const o = h.one({ bytes: input });
    const x = o.extra!;
    expect(x.length).toBe(14 + 20 + 8 + (input.length - 14));
    expect(hex(x.subarray(0, 6))).toBe(hex(input.subarray(6, 12))); // MACs swapped
    expect([...x.subarray(26, 30)].join('.')).toBe(EMPTY);
    expect([...x.subarray(30, 34)].join('.')).toBe('10.244.2.9');
    expect([x[34], x[35]]).toEqual([3, 3]);
    expect(hex(x.subarray(42))).toBe(hex(input.subarray(14)));
    expect(checksumErrors(x)).toEqual([]);
  });
  it('ICMPv6 port unreachable for an IPv6 packet to an unknown port of a ClusterIP', () => {
    const h = new Harness(state);
    const input = pkt({ proto: 'UDP', src: 'fd00:10:244:1::7', dst: V6, sport: 5353, dport: 53, payload: 12 });
    const x = h.one({ bytes: input }).extra!;
    expect([x[54], x[55]]).toEqual([1, 4]);
    expect(checksumErrors(x)).toEqual([]);
  });
});

describe('malformed packets drop with a named reason', () => {
  const good = pkt({ proto: 'TCP', src: '10.244.2.9', dst: WEB, sport: 40000, dport: 80 });
  const cases: [string, Uint8Array, string, number?, number?][] = [
    ['frame shorter than Ethernet', good.slice(0, 10), 'LINK_TRUNCATED'],
    ['IPv4 header cut', good.slice(0, 20), 'IPV4_TRUNCATED'],
    ['IHL 4', (() => { const b = good.slice(); b[14] = 0x44; return b; })(), 'IPV4_BAD_IHL'],
    ['total length beyond the frame', (() => { const b = good.slice(); b[16] = 0x05; return b; })(), 'IPV4_BAD_TOTAL_LENGTH'],
    ['TCP header cut by the snaplen', good.slice(0, 40), 'L4_TRUNCATED', undefined, good.length],
    ['frame cut inside the IP packet without a snaplen', good.slice(0, 40), 'IPV4_BAD_TOTAL_LENGTH'],
    ['TCP data offset 3', (() => { const b = good.slice(); b[46] = 0x30; return b; })(), 'TCP_BAD_HEADER_LENGTH'],
    ['IPv6 in an IPv4 frame', (() => { const b = good.slice(); b[14] = 0x65; return b; })(), 'IP_VERSION_MISMATCH'],
    ['raw link with version 7', Uint8Array.from([0x70, 0, 0, 20, ...new Array(16).fill(0)]), 'IP_VERSION_MISMATCH', LINK_RAW],
  ];
  const h = new Harness(state);
  for (const [what, bytes, reason, link, wirelen] of cases) {
    it(what, () => {
      const o = h.one({ bytes, link, wirelen });
      expect(o.verdict).toBe('dropped');
      expect(o.reason).toBe(reason);
    });
  }
});

describe('masquerade (rules 18-20)', () => {
  const node = { nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
  it('a client outside the pod CIDR is masqueraded to the node IP; the reply to node:port comes back to the client from the VIP', () => {
    const h = new Harness(state, {}, node);
    const o = h.one({ bytes: pkt({ proto: 'TCP', src: '172.16.7.41', dst: WEB, sport: 52824, dport: 80 }), t: 1 });
    expect(o.verdict).toBe('translated');
    expect(hex(o.bytes)).toBe(hex(pkt({ proto: 'TCP', src: '192.168.49.2', dst: '10.244.1.5', sport: 52824, dport: 8080 })));
    const r = h.one({ bytes: pkt({ proto: 'TCP', src: '10.244.1.5', dst: '192.168.49.2', sport: 8080, dport: 52824, flags: 0x12 }), t: 1.1 });
    expect(r.verdict).toBe('reversed');
    expect(hex(r.bytes)).toBe(hex(pkt({ proto: 'TCP', src: WEB, dst: '172.16.7.41', sport: 80, dport: 52824, flags: 0x12 })));
  });
  it('a pod client keeps its address', () => {
    const h = new Harness(state, {}, node);
    const o = h.one({ bytes: pkt({ proto: 'TCP', src: '10.244.2.9', dst: WEB, sport: 40000, dport: 80 }) });
    expect(hex(o.bytes)).toBe(hex(pkt({ proto: 'TCP', src: '10.244.2.9', dst: '10.244.1.5', sport: 40000, dport: 8080 })));
  });
  it('hairpin: the backend calling its own Service is masqueraded even from inside the pod CIDR', () => {
    const h = new Harness(state, {}, node);
    const o = h.one({ bytes: pkt({ proto: 'TCP', src: '10.244.1.5', dst: WEB, sport: 40000, dport: 80 }) });
    expect(hex(o.bytes)).toBe(hex(pkt({ proto: 'TCP', src: '192.168.49.2', dst: '10.244.1.5', sport: 40000, dport: 8080 })));
  });
  it('when the client port is taken on the node address, another port is chosen; when none is free: NAT_PORT_EXHAUSTED', () => {
    const h = new Harness(state, {}, { ...node, masqueradePorts: [40001, 40001] });
    const a = h.one({ bytes: pkt({ proto: 'TCP', src: '172.16.0.1', dst: WEB, sport: 40000, dport: 80 }) });
    const b = h.one({ bytes: pkt({ proto: 'TCP', src: '172.16.0.2', dst: WEB, sport: 40000, dport: 80 }) });
    const c = h.one({ bytes: pkt({ proto: 'TCP', src: '172.16.0.3', dst: WEB, sport: 40000, dport: 80 }) });
    const sport = (x: Uint8Array) => (x[34] << 8) | x[35];
    expect([a.verdict, b.verdict, c.verdict]).toEqual(['translated', 'translated', 'dropped']);
    expect([sport(a.bytes), sport(b.bytes)]).toEqual([40000, 40001]);
    expect(c.reason).toBe('NAT_PORT_EXHAUSTED');
    // The second connection's reply, to node:40001, reaches its own client.
    const r = h.one({ bytes: pkt({ proto: 'TCP', src: '10.244.1.5', dst: '192.168.49.2', sport: 8080, dport: 40001, flags: 0x12 }) });
    expect(hex(r.bytes)).toBe(hex(pkt({ proto: 'TCP', src: WEB, dst: '172.16.0.2', sport: 80, dport: 40000, flags: 0x12 })));
  });
});

describe('masquerade: source port 0 and the whole port range', () => {
  const node = { nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
  const sport = (x: Uint8Array, l4 = 34) => (x[l4] << 8) | x[l4 + 1];
  /** The frame with an 802.1Q tag (VLAN 5) after its MAC addresses. */
  const tagged = (f: Uint8Array) => Uint8Array.from([...f.subarray(0, 12), 0x81, 0x00, 0x00, 0x05, ...f.subarray(12)]);

  // netfilter (nf_nat_core.c get_unique_tuple) keeps a masqueraded connection's source port
  // whenever the tuple it makes is unused, and nothing there sets port 0 apart; only a clash
  // picks another port. So port 0 is kept on the node address, by every path.
  it.each([
    ['TCP', WEB, 80, '10.244.1.5', 8080],
    ['UDP', DNS, 53, '10.244.1.3', 5353],
  ] as const)('%s source port 0 is kept on the node address when free, fast path on or off, tagged or not', (proto, vip, vport, be, bport) => {
    const want = pkt({ proto, src: '192.168.49.2', dst: be, sport: 0, dport: bport });
    for (const fastPath of [true, false]) {
      for (const tag of [false, true]) {
        const h = new Harness(state, { fastPath }, node);
        const syn = pkt({ proto, src: '172.16.7.41', dst: vip, sport: 0, dport: vport });
        const o = h.one({ bytes: tag ? tagged(syn) : syn, t: 1 });
        expect([o.verdict, o.reason], `fast path ${fastPath}, tagged ${tag}`).toEqual(['translated', undefined]);
        expect(hex(o.bytes)).toBe(hex(tag ? tagged(want) : want));
        expect(checksumErrors(tag ? o.bytes.subarray(4) : o.bytes)).toEqual([]);
        // The reply to node:0 comes back to the client's port 0.
        const r = h.one({ bytes: pkt({ proto, src: be, dst: '192.168.49.2', sport: bport, dport: 0, flags: 0x12 }), t: 1.1 });
        expect(r.verdict).toBe('reversed');
        expect(hex(r.bytes)).toBe(hex(pkt({ proto, src: vip, dst: '172.16.7.41', sport: vport, dport: 0, flags: 0x12 })));
        // A second client's port 0 clashes on the node address: a port of the range instead.
        const o2 = h.one({ bytes: pkt({ proto, src: '172.16.7.42', dst: vip, sport: 0, dport: vport }), t: 1.2 });
        expect(o2.verdict).toBe('translated');
        expect(sport(o2.bytes)).toBeGreaterThanOrEqual(32768);
        expect(sport(o2.bytes)).toBeLessThanOrEqual(60999);
      }
    }
  });

  it('one client port to many flows: every port of the range is used before NAT_PORT_EXHAUSTED', () => {
    // Clients outside the pod CIDR, all from port 5000, all to one backend: each flow needs its own
    // node port. 5000 itself, then all 28,232 ports of 32768-60999, then none.
    const range = 60999 - 32768 + 1;
    const h = new Harness(state, { ctMax: 32768 }, node);
    const seen = new Set<number>();
    const n = range + 2;
    for (let k = 0; k < n; k += 4096) {
      const pkts = Array.from({ length: Math.min(4096, n - k) }, (_, j) => {
        const i = k + j;
        return { t: 1, bytes: pkt({ proto: 'TCP', src: `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, dst: WEB, sport: 5000, dport: 80 }) };
      });
      const out = h.run(pkts);
      out.forEach((o, j) => {
        const i = k + j;
        if (i < range + 1) {
          expect([i, o.verdict]).toEqual([i, 'translated']);
          seen.add(sport(o.bytes));
        } else {
          expect([i, o.verdict, o.reason]).toEqual([i, 'dropped', 'NAT_PORT_EXHAUSTED']);
        }
      });
    }
    expect(seen.size).toBe(range + 1);
    expect(seen.has(5000)).toBe(true);
    expect(Math.min(...[...seen].filter((p) => p !== 5000))).toBe(32768);
    expect(Math.max(...seen)).toBe(60999);
    // A client port nobody holds on the node address is still kept, full range or not.
    const other = h.one({ bytes: pkt({ proto: 'TCP', src: '172.31.0.1', dst: WEB, sport: 5001, dport: 80 }), t: 1 });
    expect([other.verdict, sport(other.bytes)]).toEqual(['translated', 5001]);
    // Once the entries have expired, every port is free again: the client's own first.
    const later = h.one({ bytes: pkt({ proto: 'TCP', src: '172.31.0.2', dst: WEB, sport: 5000, dport: 80 }), t: 1000 });
    expect([later.verdict, sport(later.bytes)]).toEqual(['translated', 5000]);
  });
});

describe('related ICMP errors (path MTU discovery through a Service)', () => {
  const node = { nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
  const strip = (frame: Uint8Array) => frame.subarray(14);

  it('fragmentation needed about a forward packet reaches the masqueraded client, quoting what the client sent', () => {
    const h = new Harness(state, {}, node);
    h.one({ bytes: pkt({ proto: 'TCP', src: '172.16.7.41', dst: WEB, sport: 52824, dport: 80 }), t: 1 });
    // A router between node and backend quotes the packet as it left the node.
    const onWire = pkt({ proto: 'TCP', src: '192.168.49.2', dst: '10.244.1.5', sport: 52824, dport: 8080, payload: 100 });
    const err = buildIcmpError('10.0.0.254', '192.168.49.2', 3, 4, strip(onWire), 1400);
    const o = h.one({ bytes: err, t: 1.1 });
    expect(o.verdict).toBe('reversed');
    expect(o.service).toBe('default/web:http');
    const clientSent = pkt({ proto: 'TCP', src: '172.16.7.41', dst: WEB, sport: 52824, dport: 80, payload: 100 });
    expect(hex(o.bytes)).toBe(hex(buildIcmpError('10.0.0.254', '172.16.7.41', 3, 4, strip(clientSent), 1400)));
    expect(checksumErrors(o.bytes)).toEqual([]);
  });

  it('port unreachable sent by the backend itself comes from the VIP', () => {
    const h = new Harness(state);
    h.one({ bytes: pkt({ proto: 'UDP', src: '10.244.2.9', dst: DNS, sport: 7000, dport: 53, payload: 10 }), t: 1 });
    const onWire = pkt({ proto: 'UDP', src: '10.244.2.9', dst: '10.244.1.3', sport: 7000, dport: 5353, payload: 10 });
    const o = h.one({ bytes: buildIcmpError('10.244.1.3', '10.244.2.9', 3, 3, strip(onWire)), t: 1.1 });
    expect(o.verdict).toBe('reversed');
    const clientSent = pkt({ proto: 'UDP', src: '10.244.2.9', dst: DNS, sport: 7000, dport: 53, payload: 10 });
    expect(hex(o.bytes)).toBe(hex(buildIcmpError(DNS, '10.244.2.9', 3, 3, strip(clientSent))));
  });

  it('packet too big about a reply (IPv6) goes to the backend, quoting the reply as the backend sent it', () => {
    const h = new Harness(state);
    h.one({ bytes: pkt({ proto: 'TCP', src: 'fd00:10:244:1::7', dst: V6, sport: 50000, dport: 443 }), t: 1 });
    const replyOnWire = pkt({ proto: 'TCP', src: V6, dst: 'fd00:10:244:1::7', sport: 443, dport: 50000, flags: 0x10, payload: 200 });
    const o = h.one({ bytes: buildIcmpError('fd00:99::1', V6, 2, 0, strip(replyOnWire), 1280), t: 1.1 });
    expect(o.verdict).toBe('translated');
    const backendSent = pkt({ proto: 'TCP', src: 'fd00:10:244:2::9', dst: 'fd00:10:244:1::7', sport: 8443, dport: 50000, flags: 0x10, payload: 200 });
    expect(hex(o.bytes)).toBe(hex(buildIcmpError('fd00:99::1', 'fd00:10:244:2::9', 2, 0, strip(backendSent), 1280)));
    expect(checksumErrors(o.bytes)).toEqual([]);
  });

  it('an error about a connection svcplane does not track passes unchanged', () => {
    const h = new Harness(state);
    const quoted = strip(pkt({ proto: 'TCP', src: '10.244.2.9', dst: '8.8.8.8', sport: 1, dport: 2 }));
    const err = buildIcmpError('10.0.0.254', '10.244.2.9', 11, 0, quoted);
    const o = h.one({ bytes: err });
    expect(o.verdict).toBe('passed');
    expect(hex(o.bytes)).toBe(hex(err));
  });
});
