// The conntrack work of an endpoint change (assembly/conntrack/audit.ts: the disruption audit
// and kube-proxy's UDP flush, rule 24) visits the live connections of the changed service port
// only: the core counts the records they visit (conntrackScanned), and that count must not
// depend on the table's capacity nor on other service ports' connections. Time is not measured:
// the work is counted.

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort, type In } from './helpers/harness.js';
import { buildPacket } from './helpers/packets.js';
import { rng } from './helpers/rng.js';
import type { ClusterState } from '../src/k8s/model.js';

const TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_RST = 0x04;

const dnsAll = [backend('10.244.1.3', 53), backend('10.244.2.3', 53), backend('10.244.3.3', 53)];
const webAll = [backend('10.244.1.5', 8080), backend('10.244.1.6', 8080), backend('10.244.2.7', 8080)];

function cluster(dns: typeof dnsAll, web: typeof webAll): ClusterState {
  return {
    allocatedClusterIPs: ['10.96.0.10', '10.96.0.53'],
    serviceCIDRs: ['10.96.0.0/16'],
    servicePorts: [
      servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: web }),
      servicePort({ key: 'default/dns:dns', clusterIP: '10.96.0.53', port: 53, protocol: 'UDP', clusterSet: dns }),
    ],
  } as unknown as ClusterState;
}

const udp = (i: number, t: number): In => ({ t, bytes: buildPacket({ proto: 'UDP', src: `10.244.${8 + (i >> 8)}.${i & 0xff}`, dst: '10.96.0.53', sport: 5000 + i, dport: 53 }) });
const syn = (i: number, t: number, flags = TCP_SYN): In =>
  ({ t, bytes: buildPacket({ proto: 'TCP', src: `10.244.${20 + (i >> 8)}.${i & 0xff}`, dst: '10.96.0.10', sport: 30000 + i, dport: 80, flags }) });

/** Runs packets in batches of at most 4096. */
function runAll(h: Harness, pkts: In[]): void {
  for (let k = 0; k < pkts.length; k += 4096) h.run(pkts.slice(k, k + 4096));
}

describe('conntrack work of an endpoint change', () => {
  it.each([
    ['release build', false],
    ['debug build', true],
  ])('visits the changed service port\'s live connections only, at any capacity (%s)', (_name, debug) => {
    const results: unknown[] = [];
    for (const ctMax of [1024, 1 << 20]) {
      const h = new Harness(cluster(dnsAll, webAll), { ctMax, debug });
      // 19 UDP flows, 900 TCP connections to another service port.
      runAll(h, [...Array.from({ length: 19 }, (_, i) => udp(i, 1)), ...Array.from({ length: 900 }, (_, i) => syn(i, 1))]);
      expect(h.core.conntrack().entries).toBe(919);
      const dnsSlot = h.tables.slotFor('default/dns:dns')!;
      const webSlot = h.tables.slotFor('default/web:http')!;
      expect(h.core.serviceLive(dnsSlot)).toBe(19);
      expect(h.core.serviceLive(webSlot)).toBe(900);

      // A DNS endpoint leaves: the audit and the flush each visit the 19 DNS entries, nothing else.
      const s0 = h.core.conntrackScanned();
      const a = h.tables.apply(cluster(dnsAll.slice(1), webAll), { audit: true });
      const scanned1 = h.core.conntrackScanned() - s0;
      expect(a.changes).toHaveLength(1);
      const c = a.changes[0]!;
      expect(c.service).toBe('default/dns:dns');
      expect(c.kept + c.orphaned).toBe(19);
      expect(c.flushed).toBe(c.orphaned);
      expect(c.flushed).toBeGreaterThan(0);
      expect(scanned1).toBe(19 + 19);
      expect(h.core.serviceLive(dnsSlot)).toBe(19 - c.flushed);
      expect(h.core.conntrack().entries).toBe(919 - c.flushed);

      // The same update again changes nothing: no work.
      const s1 = h.core.conntrackScanned();
      expect(h.tables.apply(cluster(dnsAll.slice(1), webAll), { audit: true }).changes).toHaveLength(0);
      expect(h.core.conntrackScanned()).toBe(s1);

      // A web endpoint leaves (TCP, never flushed): the audit visits the 900 web entries.
      const w = h.tables.apply(cluster(dnsAll.slice(1), webAll.slice(1)), { audit: true });
      expect(w.changes.map((x) => [x.service, x.kept + x.orphaned, x.flushed])).toEqual([['default/web:http', 900, 0]]);
      expect(h.core.conntrackScanned() - s1).toBe(900);

      // The flushed records were reused: new DNS flows are found by the next audit, the old ones are not.
      runAll(h, Array.from({ length: 7 }, (_, i) => udp(100 + i, 2)));
      const live = h.core.serviceLive(dnsSlot);
      expect(live).toBe(19 - c.flushed + 7);
      const s2 = h.core.conntrackScanned();
      const d = h.tables.apply(cluster(dnsAll, webAll.slice(1)), { audit: true });
      expect(d.changes.map((x) => [x.service, x.kept + x.orphaned])).toEqual([['default/dns:dns', live]]);
      // Endpoints only added: the flush still visits the port's entries, and deletes none.
      expect(d.changes[0]!.flushed).toBe(0);
      expect(h.core.conntrackScanned() - s2).toBe(2 * live);
      results.push({ a: c, w: w.changes, d: d.changes, entries: h.core.conntrack().entries });
    }
    // The capacity changes nothing of what is found.
    expect(results[0]).toEqual(results[1]);
  });

  it('keeps each service port\'s list exact through expiry, reclaiming, resets, reopens and flushes', () => {
    const r = rng(42);
    // A small table: records are reclaimed by sweeps and reused by other service ports.
    const h = new Harness(cluster(dnsAll, webAll), { ctMax: 64 });
    const dnsSlot = h.tables.slotFor('default/dns:dns')!;
    const webSlot = h.tables.slotFor('default/web:http')!;
    let t = 1;
    let scanned = h.core.conntrackScanned();
    for (let round = 0; round < 60; round++) {
      const jump = r();
      t += jump < 0.1 ? 200 : jump < 0.25 ? 40 : 0.5;
      const pkts: In[] = [];
      for (let k = 0; k < 48; k++) {
        const x = r();
        const i = Math.floor(r() * 80);
        if (x < 0.45) pkts.push(udp(i, t));
        else if (x < 0.85) pkts.push(syn(i, t));
        else if (x < 0.93) pkts.push(syn(i, t, TCP_RST));
        else pkts.push(syn(i, t, TCP_ACK));
      }
      h.run(pkts);
      // Every other round, an endpoint change of one port or the other (and back).
      const dns = round % 4 === 1 ? dnsAll.slice(0, 1 + (round % 3)) : dnsAll;
      const web = round % 4 === 3 ? webAll.slice(1) : webAll;
      const liveDns = h.core.serviceLive(dnsSlot), liveWeb = h.core.serviceLive(webSlot);
      const st = h.tables.apply(cluster(dns, web), { audit: true });
      let expected = 0;
      for (const c of st.changes) {
        const live = c.service === 'default/dns:dns' ? liveDns : liveWeb;
        // The audit saw exactly the port's live connections; the flush visited them all again.
        expect(c.kept + c.orphaned, `round ${round} ${c.service}`).toBe(live);
        expected += live + (c.service === 'default/dns:dns' ? live : 0);
        if (c.service === 'default/dns:dns') expect(h.core.serviceLive(dnsSlot)).toBe(liveDns - c.flushed);
      }
      expect(h.core.conntrackScanned() - scanned, `round ${round}`).toBe(expected);
      scanned = h.core.conntrackScanned();
      expect(h.core.serviceLive(dnsSlot) + h.core.serviceLive(webSlot)).toBe(h.core.conntrack().entries);
    }
    expect(h.core.conntrack().evicted).toBeGreaterThan(0);
  });
});
