// The connection-opener fast path (assembly/openers.ts) must never change
// an answer either: SYNs through cores with the fast paths on and off give
// the same bytes, descriptor words, counters and conntrack. The traffic is
// made to hit every case where the opener path has to hand a SYN back to
// the general path: masquerade (sources outside the pod CIDR, hairpin,
// --masquerade-all), affinity, internalTrafficPolicy Local, no endpoints,
// an unknown port, a NodePort, a reply-tuple clash, a full table, a tuple
// already tracked, other TCP flags, IPv6, random choice; and time jumps
// so entries expire and records are reclaimed.

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
  allocatedClusterIPs: ['10.96.0.10', '10.96.0.11', '10.96.0.12', '10.96.0.13', '10.96.0.14', '10.96.0.15', 'fd00::10'],
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
    servicePort({ key: 'default/v6:https', family: 6, clusterIP: 'fd00::10', port: 443, clusterSet: [backend('fd00::5', 8443)] }),
  ],
} as unknown as ClusterState;

const clients = ['10.244.3.1', '10.244.3.2', '10.244.4.9', '172.16.0.1', '172.16.0.2', '10.244.1.5', '10.244.1.8', '192.168.49.2'];
const targets: [string, number][] = [
  ['10.96.0.10', 80], ['10.96.0.10', 80], ['10.96.0.10', 80], ['10.96.0.11', 80], ['10.96.0.12', 80], ['10.96.0.13', 80],
  ['10.96.0.14', 80], ['10.96.0.10', 81], ['203.0.113.7', 81], ['10.96.0.15', 81], ['192.168.49.2', 30080], ['10.96.0.99', 80],
];
const FLAGS = [TCP_SYN, TCP_SYN, TCP_SYN, TCP_SYN, TCP_SYN | TCP_FIN, TCP_SYN | TCP_ACK, TCP_SYN | TCP_RST, TCP_ACK | TCP_PSH, TCP_RST];

/** A batch of mostly SYNs, some of them again for a tuple already seen. */
function traffic(r: () => number, t: number, seen: In[]): In[] {
  const out: In[] = [];
  for (let k = 0; k < 64; k++) {
    const x = r();
    if (x < 0.15 && seen.length > 0) { out.push({ ...seen[Math.floor(r() * seen.length)], t }); continue; }
    if (x < 0.20) {
      out.push({ t, bytes: buildPacket({ proto: 'TCP', src: 'fd00::99', dst: 'fd00::10', sport: 1000 + Math.floor(r() * 9), dport: 443, flags: TCP_SYN }) });
      continue;
    }
    const [dst, dport] = targets[Math.floor(r() * targets.length)];
    const p: In = {
      t, bytes: buildPacket({
        proto: r() < 0.9 ? 'TCP' : 'UDP', src: clients[Math.floor(r() * clients.length)], dst, dport,
        // Few source ports, so tuples repeat and reply tuples clash.
        sport: 40000 + Math.floor(r() * 24), flags: FLAGS[Math.floor(r() * FLAGS.length)], payload: r() < 0.2 ? 30 : 0,
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
    t += r() < 0.1 ? 200 : 0.5;
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

describe('connection-opener fast path', () => {
  const node = { nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
  it.each([
    ['pod CIDR set (outside sources masqueraded)', {}, node],
    ['no pod CIDR (nothing masqueraded but hairpin)', {}, { nodeIPs: ['192.168.49.2'] }],
    ['--masquerade-all', {}, { ...node, masqueradeAll: true }],
    ['random choice', { lb: 'random' as const }, node],
  ])('gives the same answers as the general path: %s', (_name, opts, n) => {
    const { opened, translated } = compare(opts, n, 7);
    // The fast paths took a share of the work (the opener path alone: the next test).
    expect(opened).toBeGreaterThan(0);
    expect(translated).toBeGreaterThan(100);
  });

  it.each([
    ['Maglev, pod sources', {}, node, 8],
    ['outside sources (masqueraded)', {}, node, 0],
    ['--masquerade-all', {}, { ...node, masqueradeAll: true }, 0],
    ['random choice', { lb: 'random' as const }, node, 0],
  ])('takes fresh SYNs to a ClusterIP only when nothing special applies: %s', (name, opts, n, taken) => {
    const h = new Harness(state, { ...opts, fastPath: true }, n);
    const src = name.startsWith('outside') ? '172.16.0.' : '10.244.9.';
    const out = h.run(Array.from({ length: 8 }, (_, i) => ({
      t: 1, bytes: buildPacket({ proto: 'TCP', src: `${src}${i + 1}`, dst: '10.96.0.10', sport: 40000 + i, dport: 80, flags: TCP_SYN }),
    })));
    expect(out.map((o) => o.verdict)).toEqual(Array(8).fill('translated'));
    expect(h.core.fastPathPackets()).toBe(taken);
  });

  it('makes the connection the general path makes, and the rest of it follows', () => {
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
