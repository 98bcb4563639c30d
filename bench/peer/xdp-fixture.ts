// Inputs for the XDP peer (bench/peer/xdp-run.sh), made with the same
// cluster and flows as bench/nat.bench.ts:
//
//   node dist/bench/peer/xdp-fixture.js DIR FLOWS
//
//   DIR/pkt.bin       an established flow's data segment, client → VIP (64 B)
//   DIR/expected.bin  the core's output for it (DNAT to the flow's backend)
//   DIR/map.batch     `bpftool batch` lines filling the flow map with FLOWS
//                     flows (map path written as @MAP@), plus one entry for the
//                     rewritten tuple of flow 0 that maps it back to the VIP
//   DIR/walk.batch    `bpftool batch` lines filling the walk array (@WALK@)
//                     with the FLOWS original tuples in a shuffled order
//   DIR/meta.json     what was written
//
// BPF_PROG_TEST_RUN with `repeat` runs the program again and again over the
// same buffer, which the first run already rewrote. The extra entry makes run
// 2 find the rewritten tuple and restore the VIP, run 3 find the original
// again, and so on: every run is one map hit and one rewrite, as for a real
// established packet.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCluster, rng, shuffle } from '../cluster.js';
import { BATCH, SLOT_OFF, buildStream, makeFlows } from '../flows.js';
import { OFF_DPORT, OFF_IP_DST, TCP_ACK, TCP_PSH, TCP_SYN, get16, get32 } from '../packets.js';
import { coreRig } from '../rigs.js';
import { VERDICT_TRANSLATED, D_VERDICT } from '../../src/core/abi.js';

const [dir, flowsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: xdp-fixture DIR [FLOWS]');
  process.exit(2);
}
const n = Number(flowsArg ?? 65536);
const cluster = buildCluster(100);
const f = makeFlows(n, cluster, 7 + n);
const svc = (i: number) => cluster.services[f.svc[i]];
const core = coreRig(cluster, n);

// SYNs through the core: which backend each flow gets.
const syn = buildStream(n, (p, t) => {
  t.src = f.client[p]; t.sport = f.cport[p]; t.dst = svc(p).vip; t.dport = svc(p).port; t.flags = TCP_SYN;
});
for (let k = 0; k < syn.views.length; k++) {
  core.input.set(syn.views[k]);
  core.process(syn.counts[k]);
  for (let i = 0; i < syn.counts[k]; i++) {
    const p = k * BATCH + i;
    f.beAddr[p] = get32(core.input, SLOT_OFF[i] + OFF_IP_DST);
    f.bePort[p] = get16(core.input, SLOT_OFF[i] + OFF_DPORT);
  }
}

// Flow 0's data segment, and what the core makes of it.
const pkt = buildStream(1, (_p, t) => {
  t.src = f.client[0]; t.sport = f.cport[0]; t.dst = svc(0).vip; t.dport = svc(0).port; t.flags = TCP_ACK | TCP_PSH;
}).views[0].slice();
core.input.set(pkt);
core.process(1);
if (core.desc[D_VERDICT] !== VERDICT_TRANSLATED) throw new Error('the core did not translate the fixture packet');
const expected = core.input.slice(0, pkt.length);

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const be16 = (v: number) => [v >>> 8, v & 0xff];
const line = (src: number, dst: number, sport: number, dport: number, addr: number, port: number) =>
  `map update pinned @MAP@ key hex ${hex([...be32(src), ...be32(dst), ...be16(sport), ...be16(dport), 6, 0, 0, 0])} ` +
  `value hex ${hex([...be32(addr), ...be16(port), 0, 0])}\n`;

const lines: string[] = [];
for (let i = 0; i < n; i++) lines.push(line(f.client[i], svc(i).vip, f.cport[i], svc(i).port, f.beAddr[i], f.bePort[i]));
lines.push(line(f.client[0], f.beAddr[0], f.cport[0], f.bePort[0], svc(0).vip, svc(0).port));

// The walk: every flow's original tuple, in a shuffled order.
const order = new Uint32Array(n);
for (let i = 0; i < n; i++) order[i] = i;
shuffle(order, rng(19 + n));
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const walk: string[] = [];
order.forEach((i, k) => {
  walk.push(`map update pinned @WALK@ key hex ${hex(le32(k))} value hex ${hex([...be32(f.client[i]), ...be32(svc(i).vip), ...be16(f.cport[i]), ...be16(svc(i).port)])}\n`);
});

writeFileSync(join(dir, 'walk.batch'), walk.join(''));
writeFileSync(join(dir, 'pkt.bin'), pkt);
writeFileSync(join(dir, 'expected.bin'), expected);
writeFileSync(join(dir, 'map.batch'), lines.join(''));
writeFileSync(join(dir, 'meta.json'), JSON.stringify({ flows: n, entries: lines.length, packetBytes: pkt.length }, null, 2));
console.log(`xdp fixture: ${n} flows (${lines.length} map entries), ${pkt.length}-byte packet`);
