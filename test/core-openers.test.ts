// The scheduler's passes for new connections (assembly/openers.ts) against
// a plain one-packet-at-a-time run of the same stages: SYNs through cores
// with the group passes on and off give the same bytes, descriptor words,
// counters and conntrack. The traffic is made to hit every decision the
// service stage makes for a group (masquerade for sources outside the pod
// CIDR, hairpin, --masquerade-all and external traffic; internal and
// external traffic policy Local; NodePort on a node address or on
// --nodeport-addresses, LoadBalancer IPs, externalIPs) and every case the
// group pass leaves to the one-packet run: affinity, source ranges, no
// (local) endpoints, an unknown port, a reply-tuple clash or a masquerade
// port in use, a full table, a tuple already tracked, other TCP flags,
// IPv6, random choice; and time jumps so entries expire and records are
// reclaimed.

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort, type In } from './helpers/harness.js';
import { buildPacket, checksumErrors } from './helpers/packets.js';
import { rng } from './helpers/rng.js';
import { DESC_WORDS, D_VERDICT, VERDICT_TRANSLATED } from '../src/core/abi.js';
import type { CoreOptions } from '../src/core/core.js';
import type { NodeConfig } from '../src/core/tables.js';
import type { ClusterState } from '../src/k8s/model.js';

const TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_FIN = 0x01, TCP_RST = 0x04, TCP_PSH = 0x08;

const web = [backend('10.244.1.5', 8080), backend('10.244.1.6', 8080), backend('10.244.2.7', 8081)];
const state: ClusterState = {
  allocatedClusterIPs: ['10.96.0.10', '10.96.0.11', '10.96.0.12', '10.96.0.13', '10.96.0.14', '10.96.0.15', '10.96.0.16',
    '10.96.0.17', '10.96.0.18', '10.96.0.19', 'fd00::10', 'fd00::11'],
  serviceCIDRs: ['10.96.0.0/16'],
  servicePorts: [
    servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: web, nodePort: 30080 }),
    // The same backends behind a second VIP: one client port to both clashes on the reply tuple.
    servicePort({ key: 'default/web2:http', clusterIP: '10.96.0.11', port: 80, clusterSet: web }),
    servicePort({ key: 'default/sticky:http', clusterIP: '10.96.0.12', port: 80, affinitySeconds: 30,
      clusterSet: [backend('10.244.1.8', 80), backend('10.244.2.8', 80)] }),
    servicePort({ key: 'default/local:http', clusterIP: '10.96.0.13', port: 80, internalLocal: true,
      clusterSet: [backend('10.244.1.9', 80), backend('10.244.2.9', 80, { isLocal: true })] }),
    servicePort({ key: 'default/empty:http', clusterIP: '10.96.0.14', port: 80, clusterSet: [] }),
    servicePort({ key: 'default/lb:http', clusterIP: '10.96.0.15', port: 81, loadBalancerIPs: ['203.0.113.7'],
      clusterSet: [backend('10.244.1.10', 80)] }),
    servicePort({ key: 'default/v6:https', family: 6, clusterIP: 'fd00::10', port: 443, nodePort: 30443,
      clusterSet: [backend('fd00:10:244:1::5', 8443), backend('fd00:10:244:2::6', 8443)] }),
    // externalTrafficPolicy Local: outside clients keep their address and reach local endpoints only.
    servicePort({ key: 'default/etp:http', clusterIP: '10.96.0.16', port: 80, externalLocal: true, nodePort: 30090,
      externalIPs: ['198.51.100.9'], clusterSet: [backend('10.244.1.11', 80), backend('10.244.2.11', 80, { isLocal: true })] }),
    servicePort({ key: 'default/etp-none:http', clusterIP: '10.96.0.17', port: 80, externalLocal: true, nodePort: 30091,
      clusterSet: [backend('10.244.1.12', 80)] }),
    servicePort({ key: 'default/ranges:http', clusterIP: '10.96.0.18', port: 82, loadBalancerIPs: ['203.0.113.8'],
      sourceRanges: ['172.16.0.0/31'], clusterSet: [backend('10.244.1.13', 80)] }),
    // UDP: a new flow's first packet takes the opener path too.
    servicePort({ key: 'default/dns:dns', clusterIP: '10.96.0.19', port: 53, protocol: 'UDP', nodePort: 30053,
      clusterSet: [backend('10.244.1.3', 53), backend('10.244.2.3', 5353)] }),
    servicePort({ key: 'default/dns6:dns', family: 6, clusterIP: 'fd00::11', port: 53, protocol: 'UDP',
      clusterSet: [backend('fd00:10:244:1::3', 53), backend('fd00:10:244:2::3', 5353)] }),
  ],
} as unknown as ClusterState;

const clients = ['10.244.3.1', '10.244.3.2', '10.244.4.9', '172.16.0.1', '172.16.0.2', '10.244.1.5', '10.244.1.8', '192.168.49.2',
  '10.244.2.11', '192.168.49.3'];
const targets: [string, number][] = [
  ['10.96.0.10', 80], ['10.96.0.10', 80], ['10.96.0.10', 80], ['10.96.0.11', 80], ['10.96.0.12', 80], ['10.96.0.13', 80],
  ['10.96.0.14', 80], ['10.96.0.10', 81], ['203.0.113.7', 81], ['10.96.0.15', 81], ['192.168.49.2', 30080], ['10.96.0.99', 80],
  ['192.168.49.2', 30090], ['198.51.100.9', 80], ['10.96.0.16', 80], ['192.168.49.2', 30091], ['203.0.113.8', 82],
  ['10.0.0.5', 30080], ['127.0.0.1', 30080], ['192.168.49.2', 30099],
];
// UDP: DNS by ClusterIP and NodePort, and to a port of a TCP-only Service.
const targetsUdp: [string, number][] = [['10.96.0.19', 53], ['10.96.0.19', 53], ['192.168.49.2', 30053], ['10.96.0.10', 80]];
// IPv6: pods, outside clients, a backend reaching its own Service, the node's second address.
const clients6 = ['fd00:10:244:3::1', 'fd00:10:244:4::9', 'fd00:172::1', 'fd00:172::2', 'fd00:10:244:1::5', 'fd00:49::3'];
const targets6: [string, number][] = [['fd00::10', 443], ['fd00::10', 443], ['fd00:49::2', 30443], ['fd00::10', 80], ['fd00::11', 53]];
const FLAGS = [TCP_SYN, TCP_SYN, TCP_SYN, TCP_SYN, TCP_SYN | TCP_FIN, TCP_SYN | TCP_ACK, TCP_SYN | TCP_RST, TCP_ACK | TCP_PSH, TCP_RST];

/** A batch of mostly SYNs, some of them again for a tuple already seen. */
function traffic(r: () => number, t: number, seen: In[]): In[] {
  const out: In[] = [];
  for (let k = 0; k < 64; k++) {
    const x = r();
    if (x < 0.15 && seen.length > 0) { out.push({ ...seen[Math.floor(r() * seen.length)], t }); continue; }
    if (x < 0.30) {
      const [dst, dport] = targets6[Math.floor(r() * targets6.length)];
      // Few source ports (port 0 among them: a port like any other), so tuples repeat and reply tuples clash.
      const s6 = Math.floor(r() * 9);
      const p: In = { t, bytes: buildPacket({ proto: dport === 53 ? 'UDP' : 'TCP', src: clients6[Math.floor(r() * clients6.length)], dst, dport,
        sport: s6 === 8 ? 0 : 1000 + s6, flags: FLAGS[Math.floor(r() * FLAGS.length)] }) };
      out.push(p);
      seen.push(p);
      continue;
    }
    const udp = x < 0.45;
    const [dst, dport] = udp ? targetsUdp[Math.floor(r() * targetsUdp.length)] : targets[Math.floor(r() * targets.length)];
    const proto = udp || r() < 0.1 ? 'UDP' : 'TCP';
    const src = clients[Math.floor(r() * clients.length)];
    // Few source ports (port 0 among them), so tuples repeat and reply tuples clash.
    const s4 = Math.floor(r() * 24);
    const p: In = {
      t, bytes: buildPacket({
        proto, src, dst, dport, sport: s4 === 23 ? 0 : 40000 + s4, flags: FLAGS[Math.floor(r() * FLAGS.length)], payload: r() < 0.2 ? 30 : 0,
      }),
    };
    out.push(p);
    seen.push(p);
  }
  return out;
}

function compare(opts: CoreOptions, node: NodeConfig, seed: number): { opened: number; translated: number } {
  const a = new Harness(state, { ctMax: 96, ...opts, fastPath: true }, node);
  const b = new Harness(state, { ctMax: 96, ...opts, fastPath: false }, node);
  const r = rng(seed);
  const seen: In[] = [];
  let t = 1, translated = 0;
  for (let round = 0; round < 40; round++) {
    // Mostly close together; now and then long after, so entries expire and records are reclaimed.
    // (45 s: past a UDP entry's unreplied timeout, within a SYN's.)
    const jump = r();
    t += jump < 0.1 ? 200 : jump < 0.2 ? 45 : 0.5;
    const pkts = traffic(r, t, seen);
    const oa = a.run(pkts), ob = b.run(pkts);
    for (let i = 0; i < pkts.length; i++) {
      const da = Array.from(a.core.desc.subarray(i * DESC_WORDS, (i + 1) * DESC_WORDS));
      const db = Array.from(b.core.desc.subarray(i * DESC_WORDS, (i + 1) * DESC_WORDS));
      if (da.join() !== db.join() || Buffer.compare(oa[i].bytes, ob[i].bytes) !== 0 || oa[i].extra?.join() !== ob[i].extra?.join()) {
        expect({ round, packet: i, desc: da, bytes: Buffer.from(oa[i].bytes).toString('hex') })
          .toEqual({ round, packet: i, desc: db, bytes: Buffer.from(ob[i].bytes).toString('hex') });
      }
      if (da[D_VERDICT] === VERDICT_TRANSLATED) {
        translated++;
        expect(checksumErrors(oa[i].bytes)).toEqual([]);
      }
    }
    expect(a.core.conntrack()).toEqual(b.core.conntrack());
  }
  expect(a.core.verdictCounts()).toEqual(b.core.verdictCounts());
  expect(a.core.reasonCounts()).toEqual(b.core.reasonCounts());
  for (let id = 0; id < 16; id++) expect(a.core.backendCounters(id)).toEqual(b.core.backendCounters(id));
  for (let slot = 0; slot < state.servicePorts.length; slot++) expect(a.core.serviceLive(slot)).toEqual(b.core.serviceLive(slot));
  expect(b.core.fastPathPackets()).toBe(0);
  return { opened: a.core.fastPathPackets(), translated };
}

describe('scheduler against one packet at a time: new connections', () => {
  // Two node IPs: traffic from the second is node-sourced but masquerades to the first.
  const node = { nodeIPs: ['192.168.49.2', '192.168.49.3', 'fd00:49::2', 'fd00:49::3'], podCIDRs: ['10.244.0.0/16', 'fd00:10:244::/48'] };
  it.each([
    ['pod CIDR set (outside sources masqueraded)', {}, node],
    ['no pod CIDR (nothing masqueraded but hairpin)', {}, { nodeIPs: ['192.168.49.2'] }],
    ['--masquerade-all', {}, { ...node, masqueradeAll: true }],
    ['random choice', { lb: 'random' as const }, node],
  ])('gives the same answers as the one-packet run: %s', (_name, opts, n) => {
    const { opened, translated } = compare(opts, n, 7);
    // The fast paths took a share of the work (the opener path alone: the next test).
    expect(opened).toBeGreaterThan(0);
    expect(translated).toBeGreaterThan(100);
  });

  it.each([
    ['--nodeport-addresses', {}, { ...node, nodePortCIDRs: ['10.0.0.0/24'] }],
    ['no node IP (nothing to masquerade to)', {}, { podCIDRs: ['10.244.0.0/16'] }],
  ])('gives the same answers as the one-packet run: %s', (_name, opts, n) => {
    const { translated } = compare(opts, n, 11);
    expect(translated).toBeGreaterThan(100);
  });

  // [what, node config, core options, source, destination, port, SYNs the opener path takes of 8]
  const cases: [string, NodeConfig, CoreOptions, string, string, number, number][] = [
    ['ClusterIP, pod sources', node, {}, '10.244.9.', '10.96.0.10', 80, 8],
    ['ClusterIP, outside sources (masqueraded)', node, {}, '172.16.0.', '10.96.0.10', 80, 8],
    ['ClusterIP, --masquerade-all', { ...node, masqueradeAll: true }, {}, '10.244.9.', '10.96.0.10', 80, 8],
    ['ClusterIP, random choice', node, { lb: 'random' }, '10.244.9.', '10.96.0.10', 80, 0],
    ['ClusterIP, affinity', node, {}, '10.244.9.', '10.96.0.12', 80, 0],
    ['ClusterIP, internalTrafficPolicy Local', node, {}, '10.244.9.', '10.96.0.13', 80, 8],
    ['NodePort from outside (masqueraded)', node, {}, '172.16.0.', '192.168.49.2', 30080, 8],
    ['NodePort, externalTrafficPolicy Local, from outside', node, {}, '172.16.0.', '192.168.49.2', 30090, 8],
    ['NodePort, externalTrafficPolicy Local, no local endpoint (dropped)', node, {}, '172.16.0.', '192.168.49.2', 30091, 0],
    ['externalIP, externalTrafficPolicy Local', node, {}, '172.16.0.', '198.51.100.9', 80, 8],
    ['LoadBalancer IP', node, {}, '172.16.0.', '203.0.113.7', 81, 8],
    ['LoadBalancer IP with source ranges', node, {}, '172.16.0.', '203.0.113.8', 82, 0],
    ['IPv6 ClusterIP, pod sources', node, {}, 'fd00:10:244:9::', 'fd00::10', 443, 8],
    ['IPv6 ClusterIP, outside sources (masqueraded)', node, {}, 'fd00:172::', 'fd00::10', 443, 8],
    ['IPv6 NodePort from outside (masqueraded)', node, {}, 'fd00:172::', 'fd00:49::2', 30443, 8],
    ['IPv6, random choice', node, { lb: 'random' }, 'fd00:10:244:9::', 'fd00::10', 443, 0],
    ['UDP ClusterIP, pod sources', node, {}, '10.244.9.', '10.96.0.19', 53, 8],
    ['UDP NodePort from outside (masqueraded)', node, {}, '172.16.0.', '192.168.49.2', 30053, 8],
    ['UDP IPv6 ClusterIP, outside sources (masqueraded)', node, {}, 'fd00:172::', 'fd00::11', 53, 8],
  ];
  it.each(cases)('opens in its group pass the connections of fresh SYNs and UDP first packets it can: %s', (name, n, opts, src, dst, dport, taken) => {
    const h = new Harness(state, { ...opts, fastPath: true }, n);
    const g = new Harness(state, { ...opts, fastPath: false }, n);
    const pkts = Array.from({ length: 8 }, (_, i) => ({
      t: 1, bytes: buildPacket({ proto: name.startsWith('UDP') ? 'UDP' : 'TCP', src: `${src}${i + 1}`, dst, sport: 40000 + i, dport, flags: TCP_SYN }),
    }));
    const out = h.run(pkts), ref = g.run(pkts);
    expect(out.map((o) => [o.verdict, o.reason, o.service, Buffer.from(o.bytes).toString('hex')]))
      .toEqual(ref.map((o) => [o.verdict, o.reason, o.service, Buffer.from(o.bytes).toString('hex')]));
    if (!name.includes('dropped') && !name.includes('ranges')) expect(out.map((o) => o.verdict)).toEqual(Array(8).fill('translated'));
    expect(h.core.fastPathPackets()).toBe(taken);
  });

  it('source port 0: the group pass keeps it as the one-packet run does, a clash and an 802.1Q-tagged copy go one at a time', () => {
    /** The frame with an 802.1Q tag (VLAN 5) after its MAC addresses. */
    const tagged = (f: Uint8Array) => Uint8Array.from([...f.subarray(0, 12), 0x81, 0x00, 0x00, 0x05, ...f.subarray(12)]);
    for (const [proto, src, dst, dport] of [
      ['TCP', '172.16.0.', '10.96.0.10', 80], ['UDP', '172.16.0.', '10.96.0.19', 53], ['TCP', '172.16.0.', '192.168.49.2', 30080],
      ['TCP', '10.244.9.', '10.96.0.10', 80], ['TCP', 'fd00:172::', 'fd00::10', 443], ['UDP', 'fd00:172::', 'fd00::11', 53],
    ] as const) {
      const what = `${proto} ${src}x -> ${dst}:${dport}`;
      const h = new Harness(state, { fastPath: true }, node);
      const g = new Harness(state, { fastPath: false }, node);
      // Four clients from port 0 (outside sources are masqueraded: the first keeps 0 on the node
      // address, the others clash), then tagged copies of new ones.
      const pkts = Array.from({ length: 8 }, (_, i) => {
        const b = buildPacket({ proto, src: `${src}${i + 1}`, dst, sport: 0, dport, flags: TCP_SYN });
        return { t: 1, bytes: i >= 4 ? tagged(b) : b };
      });
      const out = h.run(pkts), ref = g.run(pkts);
      expect(out.map((o) => [o.verdict, o.reason, Buffer.from(o.bytes).toString('hex')]), what)
        .toEqual(ref.map((o) => [o.verdict, o.reason, Buffer.from(o.bytes).toString('hex')]));
      expect(out.map((o) => o.verdict), what).toEqual(Array(8).fill('translated'));
      const v6 = src.includes(':');
      const at = (o: Uint8Array, i: number) => (i >= 4 ? o.subarray(4) : o); // past the tag
      const l4 = v6 ? 54 : 34;
      const sports = out.map((o, i) => (at(o.bytes, i)[l4] << 8) | at(o.bytes, i)[l4 + 1]);
      expect(sports[0], what).toBe(0);
      if (src === '10.244.9.') expect(sports, what).toEqual(Array(8).fill(0)); // pods keep their address: no clash
      // Each reply tuple once (masqueraded: the node address, so another port where 0 was taken).
      const srcOff = v6 ? 22 : 26, alen = v6 ? 32 : 8;
      const replyKeys = out.map((o, i) => `${Buffer.from(at(o.bytes, i).subarray(srcOff, srcOff + alen)).toString('hex')}:${sports[i]}`);
      expect(new Set(replyKeys).size, what).toBe(8);
      // The opener path took the untagged ones that kept port 0; the rest went the general way.
      expect(h.core.fastPathPackets(), what).toBe(sports.slice(0, 4).filter((p) => p === 0).length);
      out.forEach((o, i) => expect(checksumErrors(i >= 4 ? Uint8Array.from([...o.bytes.subarray(0, 12), ...o.bytes.subarray(16)]) : o.bytes)).toEqual([]));
    }
  });

  it('makes the connection the one-packet run makes, and the rest of it follows', () => {
    for (const fastPath of [true, false]) {
      const h = new Harness(state, { fastPath }, node);
      const syn = h.one({ t: 1, bytes: buildPacket({ proto: 'TCP', src: '10.244.9.9', dst: '10.96.0.10', sport: 40000, dport: 80, flags: TCP_SYN }) });
      expect(h.core.fastPathPackets()).toBe(fastPath ? 1 : 0);
      expect(syn.verdict).toBe('translated');
      expect(syn.service).toBe('default/web:http');
      expect(checksumErrors(syn.bytes)).toEqual([]);
      const be = syn.bytes.slice(30, 34).join('.'), bp = (syn.bytes[36] << 8) | syn.bytes[37];
      expect(web.some((w) => w.ip === be && w.port === bp)).toBe(true);
      const reply = h.one({ t: 1, bytes: buildPacket({ proto: 'TCP', src: be, dst: '10.244.9.9', sport: bp, dport: 40000, flags: TCP_SYN | TCP_ACK }) });
      expect(reply.verdict).toBe('reversed');
      expect(reply.bytes.slice(26, 30).join('.')).toBe('10.96.0.10');
      expect(h.core.conntrack().entries).toBe(1);
    }
  });
});
