// Any bytes in a packet: the core never traps and never reads past the
// captured bytes. Each mutated packet is processed twice, with different
// bytes after its end; verdict, reason and output must not change. Runs on
// the release build and on the debug build (bounds checks on).

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { rng } from './helpers/rng.js';
import { buildPacket, buildIcmpError } from './helpers/packets.js';
import { BATCH_MAX_PACKETS, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_VERDICT, D_REASON,
  D_EXTRA_LEN, LINK_EN10MB, LINK_RAW, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL, LINK_IPV6 } from '../src/core/abi.js';


const state = {
  allocatedClusterIPs: ['10.96.0.10'], serviceCIDRs: [],
  servicePorts: [
    servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: [backend('10.244.1.5', 8080)] }),
    servicePort({ key: 'default/dns:dns', clusterIP: '10.96.0.10', port: 53, protocol: 'UDP', clusterSet: [backend('10.244.1.3', 53)] }),
    servicePort({ key: 'default/v6:https', family: 6, clusterIP: 'fd00::10', port: 443, clusterSet: [backend('fd00::5', 8443)] }),
  ],
};

for (const debug of [false, true]) {
  describe(`fuzzed packets (${debug ? 'debug' : 'release'} build)`, () => {
    it('20,000 mutated packets: no trap, nothing read past the captured length', () => {
      const r = rng(debug ? 7 : 11);
      const seeds = [
        buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 80, payload: 40 }),
        buildPacket({ proto: 'UDP', src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 53, payload: 30 }),
        buildPacket({ proto: 'TCP', src: 'fd00::1', dst: 'fd00::10', sport: 1000, dport: 443, payload: 20 }),
        buildPacket({ proto: 'SCTP', src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 80, payload: 16 }),
        buildIcmpError('10.1.1.1', '10.0.0.1', 3, 4, buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.244.1.5', sport: 1000, dport: 8080 }).subarray(14)),
      ];
      const links = [LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_RAW, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL, LINK_IPV6, 9999];
      const run = (h: Harness, pkts: Uint8Array[], lk: number[], fill: number) => {
        const c = h.core;
        c.refresh();
        c.input.fill(fill, 0, pkts.length * 256);
        pkts.forEach((p, i) => {
          const d = i * DESC_WORDS;
          c.input.set(p, i * 256);
          c.desc[d + D_OFFSET] = i * 256; c.desc[d + D_CAPLEN] = p.length; c.desc[d + D_WIRELEN] = p.length + (i % 3 === 0 ? 100 : 0);
          c.desc[d + D_LINKTYPE] = lk[i]; c.desc[d + D_TS_SEC] = i;
        });
        c.process(pkts.length);
        return pkts.map((p, i) => [c.desc[i * DESC_WORDS + D_VERDICT], c.desc[i * DESC_WORDS + D_REASON], c.desc[i * DESC_WORDS + D_EXTRA_LEN],
          Buffer.from(c.input.subarray(i * 256, i * 256 + p.length)).toString('hex')].join('/'));
      };
      let total = 0;
      const verdicts = new Set<string>();
      for (let round = 0; round < 20000 / 200; round++) {
        const pkts: Uint8Array[] = [];
        const lk: number[] = [];
        for (let k = 0; k < 200; k++) {
          const base = seeds[Math.floor(r() * seeds.length)];
          let p = base.slice(0, Math.floor(r() * (base.length + 1)));
          const flips = Math.floor(r() * 6);
          for (let f = 0; f < flips && p.length; f++) p[Math.floor(r() * p.length)] = Math.floor(r() * 256);
          if (r() < 0.1) p = Uint8Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256));
          pkts.push(p);
          lk.push(links[Math.floor(r() * links.length)]);
        }
        // Two fresh cores so conntrack state is the same for both runs.
        const a = run(new Harness(state, { debug, ctMax: 4096 }), pkts, lk, 0x00);
        const b = run(new Harness(state, { debug, ctMax: 4096 }), pkts, lk, 0xff);
        expect(b).toEqual(a);
        for (const x of a) verdicts.add(x.split('/')[0]);
        total += pkts.length;
      }
      expect(total).toBe(20000);
      expect(verdicts.size).toBeGreaterThanOrEqual(3); // passes, drops and translations all happened
      expect(BATCH_MAX_PACKETS).toBeGreaterThanOrEqual(200);
    });
  });
}
