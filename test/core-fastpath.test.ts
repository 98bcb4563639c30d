// The scheduler (assembly/datapath.ts processBatch: groups of packets,
// read-ahead passes, then the stages, assembly/fastpath.ts for established
// flows) against a plain one-packet-at-a-time run of the same stages (the
// core with its group passes off): the same traffic through both gives the
// same bytes, the same descriptor words, the same counters and the same
// conntrack. The traffic is mostly what the group passes finish
// (established TCP, replied UDP, masqueraded or not, both directions, and
// one-sided flows left in SYN_SENT or unreplied) plus packets that look
// almost like it: other TCP flags, cut captures, IP options, fragments,
// VLAN tags, bad lengths, flipped bytes, expired entries.

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort, type In } from './helpers/harness.js';
import { buildPacket, checksumErrors } from './helpers/packets.js';
import { rng } from './helpers/rng.js';
import { DESC_WORDS, D_VERDICT, D_L3_OFF, D_L4_OFF, D_META, LINK_EN10MB, VERDICT_TRANSLATED, VERDICT_REVERSED } from '../src/core/abi.js';
import type { ClusterState } from '../src/k8s/model.js';

const TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_FIN = 0x01, TCP_RST = 0x04, TCP_PSH = 0x08;

const state: ClusterState = {
  allocatedClusterIPs: ['10.96.0.10', '10.96.0.11', 'fd00::10', 'fd00::11'], serviceCIDRs: [],
  servicePorts: [
    servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80,
      clusterSet: [backend('10.244.1.5', 8080), backend('10.244.1.6', 8080), backend('10.244.2.7', 8081)] }),
    servicePort({ key: 'default/dns:dns', clusterIP: '10.96.0.11', port: 53, protocol: 'UDP',
      clusterSet: [backend('10.244.1.3', 53), backend('10.244.2.3', 5353)] }),
    servicePort({ key: 'default/v6:https', family: 6, clusterIP: 'fd00::10', port: 443,
      clusterSet: [backend('fd00:10:244:1::5', 8443), backend('fd00:10:244:2::6', 8443)] }),
    servicePort({ key: 'default/dns6:dns', family: 6, clusterIP: 'fd00::11', port: 53, protocol: 'UDP',
      clusterSet: [backend('fd00:10:244:1::3', 53), backend('fd00:10:244:2::3', 5353)] }),
  ],
} as unknown as ClusterState;
// Clients outside the pod CIDR are masqueraded to the node address (SNAT both ways).
const node = { nodeIPs: ['192.168.49.2', 'fd00:49::2'], podCIDRs: ['10.244.0.0/16', 'fd00:10:244::/48'] };

function harness(fastPath: boolean): Harness {
  return new Harness(state, { ctMax: 4096, fastPath }, node);
}

interface Flow {
  udp: boolean; client: string; cport: number; vip: string; vport: number;
  /** Seen from the client's side only (TCP stays SYN_SENT, UDP unreplied), as in a one-sided capture. */
  oneWay: boolean;
  /** What the backend sees and answers to, learned from the first packet's output. */
  beAddr?: string; bePort?: number; seenSrc?: string; seenSport?: number;
  t: number;
}

const ip4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const port = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const ip6 = (b: Uint8Array, o: number) => Array.from({ length: 8 }, (_, i) => port(b, o + 2 * i).toString(16)).join(':');

/** Runs one batch through both cores; expects identical results and returns core A's outputs. */
function both(a: Harness, b: Harness, pkts: In[]): Uint8Array[] {
  const oa = a.run(pkts), ob = b.run(pkts);
  for (let i = 0; i < pkts.length; i++) {
    const da = Array.from(a.core.desc.subarray(i * DESC_WORDS, (i + 1) * DESC_WORDS));
    const db = Array.from(b.core.desc.subarray(i * DESC_WORDS, (i + 1) * DESC_WORDS));
    if (da.join() !== db.join() || Buffer.compare(oa[i].bytes, ob[i].bytes) !== 0 || oa[i].extra?.join() !== ob[i].extra?.join()) {
      expect({ packet: i, desc: da, bytes: Buffer.from(oa[i].bytes).toString('hex') })
        .toEqual({ packet: i, desc: db, bytes: Buffer.from(ob[i].bytes).toString('hex') });
    }
  }
  return oa.map((o) => o.bytes);
}

/** A near miss of the fast shape, or a plain packet (about 70% plain). */
function mutate(p: Uint8Array, r: () => number, input: In, x = r()): In {
  const b = p.slice();
  if (x < 0.70) return { ...input, bytes: b };
  if (x < 0.74) { b[47] = [TCP_SYN, TCP_FIN | TCP_ACK, TCP_RST, TCP_SYN | TCP_ACK, 0][Math.floor(r() * 5)]; return { ...input, bytes: b }; }
  // Cut by a snap length (the wire length kept) or just short.
  if (x < 0.77) return { ...input, bytes: b.slice(0, Math.floor(r() * b.length)), ...(r() < 0.5 ? { wirelen: b.length } : {}) };
  if (x < 0.79) return { ...input, bytes: b, wirelen: b.length + Math.floor(r() * 3000) };
  if (x < 0.81) { b[14] = 0x46; return { ...input, bytes: b }; }                       // IHL 6: options
  if (x < 0.83) { b[20] |= 0x20; return { ...input, bytes: b }; }                     // more fragments
  if (x < 0.84) { b[21] = 0x10; return { ...input, bytes: b }; }                      // a later fragment
  if (x < 0.86) { b[16] = 0; b[17] = 0; return { ...input, bytes: b }; }              // total length 0
  if (x < 0.88) { b[17] = (b[17] + 1 + Math.floor(r() * 40)) & 0xff; return { ...input, bytes: b }; } // total length off
  if (x < 0.89) { b[12] = 0x81; b[13] = 0x00; return { ...input, bytes: b }; }        // a VLAN ethertype
  if (x < 0.90) { b[46] = Math.floor(r() * 256); return { ...input, bytes: b }; }     // TCP data offset / UDP length
  if (x < 0.91) { b[38] = 0; b[39] = Math.floor(r() * 16); return { ...input, bytes: b }; } // UDP length (or TCP seq)
  if (x < 0.915) { b[40] = 0; b[41] = 0; return { ...input, bytes: b }; }             // UDP checksum 0 (or TCP seq)
  if (x < 0.92) return { ...input, bytes: b, link: [LINK_EN10MB, 101, 113][Math.floor(r() * 3)] };
  if (x < 0.95) { for (let k = 0; k < 3; k++) b[Math.floor(r() * Math.min(b.length, 60))] = Math.floor(r() * 256); return { ...input, bytes: b }; }
  return { ...input, bytes: b, t: (input.t ?? 0) + 500 };                                     // long after: expired
}

/** mutate() for an Ethernet/IPv6 frame: IPv6 header at 14, transport header at 54. */
function mutate6(p: Uint8Array, r: () => number, input: In, x = r()): In {
  const b = p.slice();
  if (x < 0.70) return { ...input, bytes: b };
  if (x < 0.74) { b[67] = [TCP_SYN, TCP_FIN | TCP_ACK, TCP_RST, TCP_SYN | TCP_ACK, 0][Math.floor(r() * 5)]; return { ...input, bytes: b }; }
  // Cut by a snap length (the wire length kept) or just short.
  if (x < 0.77) return { ...input, bytes: b.slice(0, Math.floor(r() * b.length)), ...(r() < 0.5 ? { wirelen: b.length } : {}) };
  if (x < 0.79) return { ...input, bytes: b, wirelen: b.length + Math.floor(r() * 3000) };
  if (x < 0.81) { b[20] = [0, 44, 58, 60][Math.floor(r() * 4)]; return { ...input, bytes: b }; } // an extension header, ICMPv6
  if (x < 0.83) { b[14] = 0x40 | (b[14] & 0x0f); return { ...input, bytes: b }; }       // version 4 in an IPv6 frame
  if (x < 0.86) { b[18] = 0; b[19] = 0; return { ...input, bytes: b }; }              // payload length 0
  if (x < 0.88) { b[19] = (b[19] + 1 + Math.floor(r() * 40)) & 0xff; return { ...input, bytes: b }; } // payload length off
  if (x < 0.89) { b[12] = 0x81; b[13] = 0x00; return { ...input, bytes: b }; }        // a VLAN ethertype
  if (x < 0.90) { b[66] = Math.floor(r() * 256); return { ...input, bytes: b }; }     // TCP data offset
  if (x < 0.91) { b[58] = 0; b[59] = Math.floor(r() * 16); return { ...input, bytes: b }; } // UDP length (or TCP seq)
  if (x < 0.915) { b[60] = 0; b[61] = 0; return { ...input, bytes: b }; }             // UDP checksum 0 (or TCP seq)
  if (x < 0.92) return { ...input, bytes: b, link: [LINK_EN10MB, 101, 113][Math.floor(r() * 3)] };
  if (x < 0.95) { for (let k = 0; k < 3; k++) b[Math.floor(r() * Math.min(b.length, 80))] = Math.floor(r() * 256); return { ...input, bytes: b }; }
  return { ...input, bytes: b, t: (input.t ?? 0) + 500 };                                     // long after: expired
}

/** `n` flows to a TCP and a UDP Service (about a third UDP, half from pods, a fifth one-sided). */
function makeFlows(r: () => number, n: number, client: (i: number, pod: boolean) => string,
                   tcp: [string, number], udpSvc: [string, number]): Flow[] {
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const udp = r() < 0.35;
    const pod = r() < 0.5;
    const [vip, vport] = udp ? udpSvc : tcp;
    // Some from source port 0, a port like any other (masqueraded: the first keeps it, the rest clash).
    const cport = 20000 + Math.floor(r() * 40000);
    flows.push({ udp, client: client(i, pod), cport: i % 25 === 3 ? 0 : cport, vip, vport, t: 1, oneWay: r() < 0.2 });
  }
  return flows;
}

/**
 * The flows' first packets, the backends' answers and the handshakes' last
 * ACKs, then 30 batches of steady traffic both ways with near misses
 * (`mutateFn`), through cores with the fast path on and off: the same
 * results everywhere, and the fast path took most of the steady work.
 * `learn` reads what the backend sees from a first packet's output;
 * `nodeAddr` is where outside clients are masqueraded to.
 */
function compareSteady(flows: Flow[], seed: number, learn: (out: Uint8Array, f: Flow) => void,
                       mutateFn: (p: Uint8Array, r: () => number, input: In, x: number) => In, nodeAddr: string): void {
  const r = rng(seed + 1);
  const a = harness(true), b = harness(false);
  const first = both(a, b, flows.map((f) => ({
    t: f.t, bytes: buildPacket({ proto: f.udp ? 'UDP' : 'TCP', src: f.client, dst: f.vip, sport: f.cport, dport: f.vport, flags: TCP_SYN, payload: 20 }),
  })));
  flows.forEach((f, i) => learn(first[i], f));
  // Both kinds: masqueraded, and pods keeping their own address; port 0 kept on the node address.
  expect(flows.some((f) => f.seenSrc === nodeAddr)).toBe(true);
  expect(flows.some((f) => f.cport === 0 && f.seenSrc === nodeAddr && f.seenSport === 0)).toBe(true);
  expect(flows.some((f) => f.seenSrc !== nodeAddr)).toBe(true);
  const reply = (f: Flow, flags: number, payload: number) => buildPacket({
    proto: f.udp ? 'UDP' : 'TCP', src: f.beAddr!, dst: f.seenSrc!, sport: f.bePort!, dport: f.seenSport!, flags, payload,
  });
  const orig = (f: Flow, flags: number, payload: number) => buildPacket({
    proto: f.udp ? 'UDP' : 'TCP', src: f.client, dst: f.vip, sport: f.cport, dport: f.vport, flags, payload,
  });
  const twoWay = flows.filter((f) => !f.oneWay);
  both(a, b, twoWay.map((f) => ({ t: 2, bytes: reply(f, TCP_SYN | TCP_ACK, 10) })));
  both(a, b, twoWay.filter((f) => !f.udp).map((f) => ({ t: 3, bytes: orig(f, TCP_ACK, 0) })));

  // Steady traffic, both directions, with near misses mixed in.
  let t = 4;
  const fastBefore = a.core.fastPathPackets();
  let sent = 0, plainTranslated = 0;
  for (let round = 0; round < 30; round++) {
    const batch: In[] = [];
    const plain: boolean[] = [];
    for (let k = 0; k < 200; k++) {
      const f = flows[Math.floor(r() * flows.length)];
      const fromClient = f.oneWay || r() < 0.55;
      const pkt = fromClient ? orig(f, TCP_ACK | TCP_PSH, Math.floor(r() * 300)) : reply(f, TCP_ACK, Math.floor(r() * 300));
      t += 0.01;
      const x = r();
      plain.push(x < 0.70);
      batch.push(mutateFn(pkt, r, { t, bytes: pkt }, x));
    }
    const out = both(a, b, batch);
    sent += batch.length;
    // Sanity on A alone: the plain packets were translated with valid checksums.
    batch.forEach((_, i) => {
      const v = a.core.desc[i * DESC_WORDS + D_VERDICT];
      // (A plain packet may also pass: an earlier RST or time jump can have ended its connection.)
      if (plain[i] && (v === VERDICT_TRANSLATED || v === VERDICT_REVERSED)) {
        plainTranslated++;
        expect(checksumErrors(out[i])).toEqual([]);
      }
    });
  }

  // The fast path did most of the steady work, and only in core A.
  expect(a.core.fastPathPackets() - fastBefore).toBeGreaterThan(sent * 0.4);
  expect(b.core.fastPathPackets()).toBe(0);
  expect(plainTranslated).toBeGreaterThan(sent * 0.4);
  // Every counter agrees.
  expect(a.core.verdictCounts()).toEqual(b.core.verdictCounts());
  expect(a.core.reasonCounts()).toEqual(b.core.reasonCounts());
  for (let id = 0; id < 12; id++) expect(a.core.backendCounters(id)).toEqual(b.core.backendCounters(id));
  expect(a.core.conntrack()).toEqual(b.core.conntrack());
  for (let slot = 0; slot < 4; slot++) expect(a.core.serviceLive(slot)).toEqual(b.core.serviceLive(slot));
}

describe('scheduler against one packet at a time: established flows', () => {
  it('gives the same bytes, descriptors, counters and conntrack as the one-packet run', () => {
    const flows = makeFlows(rng(2026), 400, (i, pod) => (pod ? `10.244.${3 + (i >> 8)}.${i & 255}` : `172.16.${i >> 8}.${i & 255}`),
      ['10.96.0.10', 80], ['10.96.0.11', 53]);
    compareSteady(flows, 2026, (out, f) => {
      f.beAddr = ip4(out, 30); f.bePort = port(out, 36);
      f.seenSrc = ip4(out, 26); f.seenSport = port(out, 34);
    }, mutate, '192.168.49.2');
  });

  it('gives the same answers as the one-packet run for IPv6 flows', () => {
    const flows = makeFlows(rng(2027), 300, (i, pod) => (pod ? `fd00:10:244:3::${(i + 1).toString(16)}` : `fd00:172::${(i + 1).toString(16)}`),
      ['fd00::10', 443], ['fd00::11', 53]);
    compareSteady(flows, 2027, (out, f) => {
      f.beAddr = ip6(out, 38); f.bePort = port(out, 56);
      f.seenSrc = ip6(out, 22); f.seenSport = port(out, 54);
    }, mutate6, 'fd00:49:0:0:0:0:0:2');
  });

  it('finishes an established IPv4 TCP segment in its group pass and leaves the same fields the one-packet run does', () => {
    for (const fastPath of [true, false]) {
      const h = harness(fastPath);
      const syn = h.one({ t: 1, bytes: buildPacket({ proto: 'TCP', src: '10.244.9.9', dst: '10.96.0.10', sport: 40000, dport: 80, flags: TCP_SYN }) });
      const be = ip4(syn.bytes, 30), bp = port(syn.bytes, 36);
      h.one({ t: 1, bytes: buildPacket({ proto: 'TCP', src: be, dst: '10.244.9.9', sport: bp, dport: 40000, flags: TCP_SYN | TCP_ACK }) });
      h.one({ t: 1, bytes: buildPacket({ proto: 'TCP', src: '10.244.9.9', dst: '10.96.0.10', sport: 40000, dport: 80, flags: TCP_ACK }) });
      const before = h.core.fastPathPackets();
      const data = buildPacket({ proto: 'TCP', src: '10.244.9.9', dst: '10.96.0.10', sport: 40000, dport: 80, flags: TCP_ACK | TCP_PSH, payload: 100 });
      const out = h.one({ t: 2, bytes: data });
      expect(h.core.fastPathPackets() - before).toBe(fastPath ? 1 : 0);
      expect(out.verdict).toBe('translated');
      expect(out.service).toBe('default/web:http');
      expect(ip4(out.bytes, 30)).toBe(be);
      expect(port(out.bytes, 36)).toBe(bp);
      expect(checksumErrors(out.bytes)).toEqual([]);
      // L3/L4 offsets and family/protocol word, as the host's trace reads them.
      const d = h.core.desc;
      expect([d[D_L3_OFF], d[D_L4_OFF], d[D_META]]).toEqual([14, 34, (4 << 8) | 6]);
    }
  });
});
