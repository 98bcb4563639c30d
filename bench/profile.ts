// A loop for profilers and quick A/B checks of the NAT core: one path, one
// flow count, batches of a chosen size, for a fixed time. Prints the median,
// p10, min–max and mean over all batches in ns per packet, and how many
// batches ran while something else shared the core (bench/probe.ts, a noise
// report: every batch is in the figures).
//
//   node dist/bench/profile.js [--flows 1k] [--path fwd|reply|new|both] [--batch 4096] [--seconds 3]
//                              [--syn cluster|masq|nodeport] [--family 4|6] [--udp] [--deciles]
// --syn (new connections only): SYNs from pods to ClusterIPs (the default,
// as nat.bench.ts), from outside the pod CIDR to ClusterIPs (masqueraded to
// the node address), or from outside to NodePorts on the node address.
// --family 6: the same cluster and flows over IPv6 (every address a becomes
// fd00::a; frames 20 bytes longer). --udp: UDP Services and UDP packets
// (IPv4): new flows' first packets, then replies and data. --path both
// alternates original and reply batches, so both directions see the same
// moments of the machine. --deciles prints every decile too.
//   perf record -g node --perf-basic-prof dist/bench/profile.js ...
//
// The core alone, without its peer: for the core against the TypeScript peer
// in one run, nat.bench.ts. No checks of the output beyond the verdicts of
// the first pass.

import { performance } from 'node:perf_hooks';
import { DESC_WORDS, D_VERDICT, VERDICT_TRANSLATED, VERDICT_REVERSED } from '../src/core/abi.js';
import { buildCluster, ipNum, NODE_PORT_BASE } from './cluster.js';
import { BATCH, SLOT_LEN, SLOT_OFF, WARM_CLIENTS, buildStream, makeFlows, useIpv6, useUdp, visitOrder, type Stream } from './flows.js';
import { TCP_ACK, TCP_PSH, TCP_SYN, OFF_IP_DST, OFF_DPORT, OFF6_DST_LOW, OFF6_DPORT, get16, get32 } from './packets.js';
import { coreRig, type CoreRig } from './rigs.js';
import { probe, ProbeLog, probeReport, describeProbe } from './probe.js';
import { parseArgs } from './args.js';
import { quantile, summarize, type Summary } from './stats.js';

const USAGE = `usage: node dist/bench/profile.js [options]   (or: npm run bench -- profile [options])
  --flows N                      flows (k/M suffixes); default 1k
  --path fwd|reply|new|both      established original or reply direction, new connections, or fwd and reply alternating; default fwd
  --batch B                      packets per call (established paths); default ${BATCH}
  --seconds S                    how long to run; default 3
  --syn cluster|masq|nodeport    kind of SYN for --path new; default cluster
  --family 4|6                   address family; default 4
  --udp                          UDP Services and packets (IPv4)
  --deciles                      print every decile of the batches too
With node --expose-gc, a full collection runs before each timed batch of new connections (outside the timing).`;
const args = parseArgs(process.argv.slice(2), {
  '--flows': 'value', '--path': 'value', '--batch': 'value', '--seconds': 'value', '--syn': 'value', '--family': 'value',
  '--udp': 'switch', '--deciles': 'switch',
}, USAGE);
function arg(name: string, def: string): string {
  return args.value(name) ?? def;
}
function size(t: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(t);
  if (!m) throw new Error(`bad size ${t}`);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1 << 20);
}
const N = size(arg('--flows', '1k'));
const PATH = arg('--path', 'fwd');
const B = Math.min(BATCH, size(arg('--batch', String(BATCH))));
const SECONDS = Number(arg('--seconds', '3'));
const SYN = arg('--syn', 'cluster');
/** With node --expose-gc: collect before each timed batch of new connections (outside the timing). */
const GC = (globalThis as { gc?: () => void }).gc;
if (!['fwd', 'reply', 'new', 'both'].includes(PATH)) throw new Error(`--path ${PATH}: fwd, reply, new or both`);
if (!['cluster', 'masq', 'nodeport'].includes(SYN)) throw new Error(`--syn ${SYN}: cluster, masq or nodeport`);
const NODE_IP = '192.168.0.2';
// The benchmark's clients (100.64.0.0/10) are pods unless the pod CIDR says otherwise.
const node = SYN === 'cluster' ? undefined : { nodeIPs: [NODE_IP], podCIDRs: ['10.244.0.0/16'] };

const FAMILY = arg('--family', '4') === '6' ? 6 : 4;
if (FAMILY === 6) {
  if (SYN !== 'cluster') throw new Error('--family 6: --syn cluster only');
  useIpv6();
}
const UDP = args.has('--udp');
if (UDP) {
  if (FAMILY === 6) throw new Error('--udp: IPv4 only');
  useUdp();
}
const cluster = buildCluster(100, SYN === 'nodeport', FAMILY, UDP ? 'UDP' : 'TCP');
const f = makeFlows(N, cluster, 7 + N);
const svc = (i: number) => cluster.services[f.svc[i]];

/** The figures of one line, all over every batch: "median 44.1 p10 42.9 min 41.8 max 80.2 mean 47.0". */
function figures(x: Summary): string {
  return `median ${x.median.toFixed(1)} p10 ${x.p10.toFixed(1)} min ${x.min.toFixed(1)} max ${x.max.toFixed(1)} mean ${x.mean.toFixed(1)}`;
}

function run(rig: CoreRig, s: Stream, expect: number): void {
  for (let k = 0; k < s.views.length; k++) {
    rig.input.set(s.views[k]);
    rig.process(s.counts[k]);
    for (let i = 0; i < s.counts[k]; i++) {
      const v = rig.desc[i * DESC_WORDS + D_VERDICT];
      if (v !== expect) throw new Error(`packet ${k * BATCH + i}: verdict ${v}, expected ${expect}`);
    }
  }
}

const syn = buildStream(N, (p, t) => {
  t.src = f.client[p]; t.sport = f.cport[p]; t.flags = TCP_SYN;
  if (SYN === 'nodeport') { t.dst = ipNum(NODE_IP); t.dport = NODE_PORT_BASE + f.svc[p]; } else { t.dst = svc(p).vip; t.dport = svc(p).port; }
});
const times: number[] = [];
/** The core-sharing probe around each timed batch (probe.ts). */
const probes = new ProbeLog();
let packets = 0;
/** Minor page faults taken inside timed calls (first touches of fresh memory). */
let faults = 0;
let fastShare = '';
const deadline = performance.now() + SECONDS * 1000;

const WARM_FLOWS = 4096;
const wf = makeFlows(WARM_FLOWS, cluster, 23, WARM_CLIENTS);
const warm = buildStream(WARM_FLOWS, (p, t) => {
  const v = cluster.services[wf.svc[p]];
  t.src = wf.client[p]; t.sport = wf.cport[p]; t.dst = v.vip; t.dport = v.port; t.flags = TCP_SYN;
});

if (PATH === 'new') {
  while (performance.now() < deadline) {
    // Like nat.bench.ts: a running table (4096 other connections, every Maglev table built).
    const rig = coreRig(cluster, N + WARM_FLOWS, node);
    if (GC) GC();
    for (let k = 0; k < warm.views.length; k++) { rig.input.set(warm.views[k]); rig.process(warm.counts[k]); }
    for (let k = 0; k < syn.views.length; k++) {
      rig.input.set(syn.views[k]);
      const f0 = process.resourceUsage().minorPageFault;
      const fast0 = times.length === 0 ? rig.core.fastPathPackets() : 0;
      const p0 = probe();
      const t0 = performance.now();
      rig.process(syn.counts[k]);
      times.push((performance.now() - t0) * 1e6 / syn.counts[k]);
      probes.add(p0, probe());
      if (times.length === 1) {
        for (let i = 0; i < syn.counts[k]; i++) {
          const v = rig.desc[i * DESC_WORDS + D_VERDICT];
          if (v !== VERDICT_TRANSLATED) throw new Error(`SYN ${i}: verdict ${v}, expected ${VERDICT_TRANSLATED}`);
        }
        fastShare = `; ${rig.core.fastPathPackets() - fast0} of ${syn.counts[k]} SYNs on the opener path`;
      }
      faults += process.resourceUsage().minorPageFault - f0;
      packets += syn.counts[k];
    }
  }
} else {
  const rig = coreRig(cluster, N);
  const out = rig.input;
  for (let k = 0; k < syn.views.length; k++) {
    rig.input.set(syn.views[k]); rig.process(syn.counts[k]);
    for (let i = 0; i < syn.counts[k]; i++) {
      const p = k * BATCH + i, off = syn.frameOff(i);
      f.beAddr[p] = get32(out, off + (FAMILY === 6 ? OFF6_DST_LOW : OFF_IP_DST));
      f.bePort[p] = get16(out, off + (FAMILY === 6 ? OFF6_DPORT : OFF_DPORT));
    }
  }
  run(rig, buildStream(N, (p, t) => { t.src = f.beAddr[p]; t.sport = f.bePort[p]; t.dst = f.client[p]; t.dport = f.cport[p]; t.flags = TCP_SYN | TCP_ACK; }), VERDICT_REVERSED);
  run(rig, buildStream(N, (p, t) => { t.src = f.client[p]; t.sport = f.cport[p]; t.dst = svc(p).vip; t.dport = svc(p).port; t.flags = TCP_ACK; }), VERDICT_TRANSLATED);
  const reply = PATH === 'reply';
  const alternate = PATH === 'both';
  const total = Math.max(N, 16 * BATCH);
  const order = visitOrder(N, total, 11 + N);
  const stream = (rep: boolean) => buildStream(total, (p, t) => {
    const i = order[p];
    if (rep) { t.src = f.beAddr[i]; t.sport = f.bePort[i]; t.dst = f.client[i]; t.dport = f.cport[i]; }
    else { t.src = f.client[i]; t.sport = f.cport[i]; t.dst = svc(i).vip; t.dport = svc(i).port; }
    t.flags = TCP_ACK | TCP_PSH;
  });
  const data = stream(reply);
  run(rig, data, reply ? VERDICT_REVERSED : VERDICT_TRANSLATED);
  if (alternate) {
    // One batch of each direction in turn: both see the same moments of the machine.
    const other = stream(true);
    const t2: number[] = [];
    let k2 = 0;
    while (performance.now() < deadline) {
      const p0 = probe();
      for (const [s2, into] of [[data, times], [other, t2]] as const) {
        const v = s2.views[k2];
        rig.input.set(v.subarray(0, SLOT_OFF[B - 1] + SLOT_LEN[B - 1]));
        const t0 = performance.now();
        rig.process(B);
        into.push((performance.now() - t0) * 1e6 / B);
      }
      probes.add(p0, probe());
      packets += 2 * B;
      if (++k2 === data.views.length) k2 = 0;
    }
    console.log(`reply (alternating): ${figures(summarize(t2))} ns/pkt over ${t2.length} batches`);
  }
  let k = 0;
  while (!alternate && performance.now() < deadline) {
    const v = data.views[k];
    rig.input.set(v.subarray(0, SLOT_OFF[B - 1] + SLOT_LEN[B - 1]));
    const p0 = probe();
    const t0 = performance.now();
    rig.process(B);
    times.push((performance.now() - t0) * 1e6 / B);
    probes.add(p0, probe());
    packets += B;
    if (++k === data.views.length) k = 0;
  }
}

const all = summarize(times);
if (args.has('--deciles')) {
  const sorted = Float64Array.from(times).sort();
  console.log(`deciles: ${[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => quantile(sorted, q).toFixed(1)).join(' ')}`);
}
console.log(`${PATH === 'both' ? 'fwd (alternating)' : PATH}${PATH === 'new' && SYN !== 'cluster' ? ` (${SYN})` : ''}${FAMILY === 6 ? ' IPv6' : ''}${UDP ? ' UDP' : ''} ${N} flows, ` +
  `batch ${PATH === 'new' ? BATCH : B}: ${figures(all)} ns/pkt over ${times.length} batches (${packets} packets)` +
  `${faults ? `; ${(faults / times.length).toFixed(1)} page faults per batch` : ''}${fastShare}`);
console.log(describeProbe(probeReport([probes]), PATH === 'both' ? 'batch pairs' : 'batches'));
