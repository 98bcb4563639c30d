// How well bench/probe.ts tells batches slowed by a shared core apart: established-path
// batches (1k flows, 4096 packets, as nat.bench.ts) with the probe and a
// control run before each, for a few seconds. Batches are split into fast
// (under 1.2x the fastest batch) and slow (over 1.4x); a good probe is
// within PROBE_QUIET of its own fastest time before nearly every fast
// batch and before almost no slow one. The control is a multiply chain,
// which does not touch memory.
//
//   node dist/bench/probe-check.js [--seconds 8]

import { performance } from 'node:perf_hooks';
import { buildCluster } from './cluster.js';
import { BATCH, buildStream, makeFlows, visitOrder } from './flows.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from './packets.js';
import { coreRig } from './rigs.js';
import { probe, PROBE_QUIET } from './probe.js';
import { parseArgs } from './args.js';

const USAGE = `usage: node dist/bench/probe-check.js [--seconds S]   (or: npm run bench -- probe-check [--seconds S])
  --seconds S   how long to run 1k-flow batches with the probe and the control before each; default 8`;
const args = parseArgs(process.argv.slice(2), { '--seconds': 'value' }, USAGE);
const SECONDS = Number(args.value('--seconds') ?? 8);
const N = 1024;
const cluster = buildCluster(100);
const f = makeFlows(N, cluster, 7 + N);
const svc = (p: number) => cluster.services[f.svc[p]];
const rig = coreRig(cluster, N);
const syn = buildStream(N, (p, t) => { t.src = f.client[p]; t.sport = f.cport[p]; t.dst = svc(p).vip; t.dport = svc(p).port; t.flags = TCP_SYN; });
rig.input.set(syn.views[0]); rig.process(N);
const order = visitOrder(N, 16 * BATCH, 11);
// Data segments of SYN_SENT connections: the same fast path as established ones.
const data = buildStream(order.length, (p, t) => {
  const k = order[p];
  t.src = f.client[k]; t.sport = f.cport[k]; t.dst = svc(k).vip; t.dport = svc(k).port; t.flags = TCP_ACK | TCP_PSH;
});

let sink = 0;
function multiplyChain(): number {
  const t0 = performance.now();
  let h = 1;
  for (let k = 0; k < 4000; k++) h = (Math.imul(h ^ (h >>> 13), 0x5bd1e995) + k) | 0;
  sink ^= h;
  return (performance.now() - t0) * 1e6;
}

const batches: number[] = [], probes: number[] = [], controls: number[] = [];
const end = performance.now() + SECONDS * 1000;
for (let k = 0; performance.now() < end; k = (k + 1) % data.views.length) {
  probes.push(probe());
  controls.push(multiplyChain());
  rig.input.set(data.views[k]);
  const t0 = performance.now();
  rig.process(BATCH);
  batches.push(((performance.now() - t0) * 1e6) / BATCH);
}

const fastest = Math.min(...batches);
const fast = batches.map((b) => b < 1.2 * fastest), slow = batches.map((b) => b > 1.4 * fastest);
const count = (m: boolean[]) => m.filter(Boolean).length;
console.log(`${batches.length} batches: fastest ${fastest.toFixed(1)} ns/pkt, ${count(fast)} fast (< 1.2x), ${count(slow)} slow (> 1.4x)`);
for (const [name, xs] of [['probe (8 KiB pointer chase)', probes], ['control (multiply chain)', controls]] as const) {
  const base = Math.min(...xs);
  const quiet = xs.map((x) => x <= base * PROBE_QUIET);
  const share = (m: boolean[]) => {
    const n = count(m);
    return n ? `${((100 * m.filter((v, j) => v && quiet[j]).length) / n).toFixed(0)}%` : '-';
  };
  console.log(`${name}: fastest ${base.toFixed(0)} ns; within ${PROBE_QUIET}x of it before ${share(fast)} of fast batches and ${share(slow)} of slow ones`);
}
if (sink === 0.5) console.log('');
