// NAT core benchmark: nanoseconds per packet of the core's per-packet
// program, next to a plain TypeScript implementation of the same logic
// (bench/peer/js-nat.ts) fed the same bytes in the same run.
//
//   node dist/bench/nat.bench.js [--quick] [--sizes 1k,64k,1M] [--batch 4096] [--only est|new] [--json FILE] [--check]
//
// Paths, for N = 1k, 64k and 1M flows:
//   established  N connections already in conntrack (SYN, SYN-ACK, ACK sent
//                first), then full batches of BATCH_MAX_PACKETS packets that
//                visit the flows in a shuffled order, one process(n) per batch;
//                original direction (DNAT) and reply direction (back to the VIP)
//                are separate rows
//   new          N SYNs of N distinct flows; per iteration a fresh core (and a
//                fresh peer) that already holds 4096 other connections, made
//                outside the timed region
//
// --batch sets the packets per call on the established paths (default 4096,
// the most a batch holds). With a smaller batch B each 4096-packet block of
// the stream is copied in and processed B packets at a time (processRange),
// so the same packets and flows are visited. A batch's own bytes pass
// through the cache: 4096 frames and their descriptors are about 650 KiB,
// which compete with conntrack for L2 between visits; 256 (a DPDK-sized
// burst) are about 40 KiB.
// --check runs only the core/peer equality checks (no timing).
//
// Packets are rewritten in place, so before every batch its pristine bytes
// are copied back into the input region with one Uint8Array.set. That copy
// is timed on its own and not included in the ns-per-packet figures; it has
// its own column.
//
// Each row gives the median, p10 and min–max over all its iterations (one
// batch for the established paths, the N SYNs for new connections), for the
// core and the peer, and the ratio of their medians. The tasks of one flow
// count run in ROUNDS short rounds (tinybench runs its tasks one after
// another) and each task's samples are pooled over the rounds, so core and
// peer, and both directions, see the same stretches of a shared machine.
//
// bench/probe.ts's core-sharing probe runs just before and just after every
// timed iteration (outside the timing); the line under the table says how
// many iterations ran while something else shared the core. It is a report
// on the machine, not a filter: every iteration is in the figures.
//
// Before timing, the peer's output (bytes, verdict, service, backend) is
// checked equal to the core's for every handshake packet and for the first
// batch of each timed stream, and the peer's Maglev tables equal the core's.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import {
  DESC_WORDS, D_VERDICT, D_SERVICE, D_BACKEND, VERDICT_TRANSLATED, VERDICT_REVERSED, VERDICT_NAMES, SET_CLUSTER,
} from '../src/core/abi.js';
import { buildCluster, type BenchCluster } from './cluster.js';
import { BATCH, SLOT_LEN, SLOT_OFF, WARM_CLIENTS, Stream, buildStream, makeFlows, visitOrder, type Flows } from './flows.js';
import { TCP_ACK, TCP_PSH, TCP_SYN, OFF_IP_DST, OFF_DPORT, get16, get32, checksumsOk } from './packets.js';
import { MAGLEV_M, coreRig, peerRig, type CoreRig, type PeerRig, type Rig } from './rigs.js';
import { probe, ProbeLog, probeReport, describeProbe, type ProbeReport } from './probe.js';
import { parseArgs } from './args.js';
import { scaleSummary, summarize, type Summary } from './stats.js';

const SERVICES = 100;

// ---- arguments ------------------------------------------------------------------
const USAGE = `usage: node dist/bench/nat.bench.js [options]   (or: npm run bench -- nat [options])
  --sizes LIST     flow counts, comma-separated, with k/M suffixes; default 1k,64k,1M (--quick: 1k,64k)
  --only est|new   only the established paths, or only new connections
  --batch B        packets per call on the established paths (a divisor of ${BATCH}); default ${BATCH}
  --quick          fewer and shorter iterations, for a first look
  --json FILE      also write every row, its summary and the probe report as JSON
  --check          only check that core and peer agree packet for packet (no timing)`;
const argv = process.argv.slice(2);
const args = parseArgs(argv, {
  '--sizes': 'value', '--only': 'value', '--batch': 'value', '--json': 'value', '--quick': 'switch', '--check': 'switch',
}, USAGE);
const quick = args.has('--quick');
function parseSize(t: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(t.trim());
  if (!m) throw new Error(`bad size ${t}`);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
}
const SIZES = (args.value('--sizes') ?? (quick ? '1k,64k' : '1k,64k,1M')).split(',').map(parseSize);
/** Packets per timed process() call on the established paths. */
const EST_BATCH = Math.min(BATCH, Math.max(1, parseSize(args.value('--batch') ?? String(BATCH))));
if (BATCH % EST_BATCH !== 0) throw new Error(`--batch must divide ${BATCH}`);
const JSON_OUT = args.value('--json');
/** Only the equality checks of core and peer, no timing. */
const CHECK_ONLY = args.has('--check');
/** Only the established paths, or only new connections. */
const ONLY = args.value('--only');
if (ONLY !== undefined && ONLY !== 'est' && ONLY !== 'new') throw new Error(`--only ${ONLY}: est or new`);
const EST_TIME_MS = quick ? 250 : 1500;
const NEW_ITERATIONS = (n: number) => (quick ? 1 : 3) * (n <= 1024 ? 100 : n <= 65536 ? 10 : 2);
/** Rounds each group of tasks is run in (see the top of this file). */
const ROUNDS = quick ? 2 : 5;

// ---- equality of the two, outside any timed region -------------------------------
class Mismatch extends Error {}

function compareBatch(what: string, a: CoreRig, b: PeerRig, n: number): void {
  for (let i = 0; i < n; i++) {
    const d = i * DESC_WORDS;
    for (const w of [D_VERDICT, D_SERVICE, D_BACKEND]) {
      if (a.desc[d + w] !== b.desc[d + w]) {
        throw new Mismatch(`${what}: packet ${i}: descriptor word ${w} core ${a.desc[d + w]} peer ${b.desc[d + w]}`);
      }
    }
  }
  const end = SLOT_OFF[n - 1] + SLOT_LEN[n - 1];
  if (Buffer.compare(a.input.subarray(0, end), b.input.subarray(0, end)) !== 0) {
    for (let i = 0; i < n; i++) {
      const x = a.input.subarray(SLOT_OFF[i], SLOT_OFF[i] + SLOT_LEN[i]);
      const y = b.input.subarray(SLOT_OFF[i], SLOT_OFF[i] + SLOT_LEN[i]);
      if (Buffer.compare(x, y) !== 0) {
        throw new Mismatch(`${what}: packet ${i} bytes differ\n core ${Buffer.from(x).toString('hex')}\n peer ${Buffer.from(y).toString('hex')}`);
      }
    }
  }
  // The core's incremental checksums, against a full recompute, on a sample.
  for (let i = 0; i < n; i += 97) {
    if (!checksumsOk(a.input, SLOT_OFF[i], SLOT_LEN[i])) throw new Mismatch(`${what}: packet ${i}: core output checksum wrong`);
  }
}

/** Runs a stream through both, batch by batch, checking every batch; `each` sees the core's output frames. */
function runBoth(what: string, s: Pick<Stream, 'views' | 'counts'>, a: CoreRig, b: PeerRig, expect: number,
                 each?: (p: number, out: Uint8Array, off: number) => void): void {
  for (let k = 0; k < s.views.length; k++) {
    const n = s.counts[k];
    a.input.set(s.views[k]); a.process(n);
    b.input.set(s.views[k]); b.process(n);
    compareBatch(`${what} batch ${k}`, a, b, n);
    for (let i = 0; i < n; i++) {
      const v = a.desc[i * DESC_WORDS + D_VERDICT];
      if (v !== expect) throw new Mismatch(`${what}: packet ${k * BATCH + i} was ${VERDICT_NAMES[v]}, expected ${VERDICT_NAMES[expect]}`);
      each?.(k * BATCH + i, a.input, SLOT_OFF[i]);
    }
  }
}

/** The peer's Maglev tables hold the same backends, slot for slot, as the core's. */
function compareMaglev(cluster: BenchCluster, a: CoreRig, b: PeerRig): void {
  let firstId = 0;
  cluster.services.forEach((s, slot) => {
    const ptr = a.core.exports.maglevTableOf(slot, SET_CLUSTER);
    const core = new Uint32Array(a.core.exports.memory.buffer, ptr, MAGLEV_M);
    const peer = b.peer.tableOf(s.vip, s.port)!;
    for (let i = 0; i < MAGLEV_M; i++) {
      if (core[i] !== firstId + peer[i]) throw new Mismatch(`Maglev table of service ${slot} differs at slot ${i}`);
    }
    firstId += s.backends.length;
  });
}

// ---- streams ------------------------------------------------------------------------
function streams(cluster: BenchCluster, f: Flows) {
  const svc = (i: number) => cluster.services[f.svc[i]];
  return {
    syn: () => buildStream(f.n, (p, t) => {
      t.src = f.client[p]; t.sport = f.cport[p]; t.dst = svc(p).vip; t.dport = svc(p).port; t.flags = TCP_SYN;
    }),
    synAck: () => buildStream(f.n, (p, t) => {
      t.src = f.beAddr[p]; t.sport = f.bePort[p]; t.dst = f.client[p]; t.dport = f.cport[p]; t.flags = TCP_SYN | TCP_ACK;
    }),
    ack: () => buildStream(f.n, (p, t) => {
      t.src = f.client[p]; t.sport = f.cport[p]; t.dst = svc(p).vip; t.dport = svc(p).port; t.flags = TCP_ACK;
    }),
    /** `packets` data segments visiting the flows in shuffled rounds; `reply` for the backend → client direction. */
    data: (packets: number, order: Uint32Array, reply: boolean) => buildStream(packets, (p, t) => {
      const i = order[p];
      if (reply) { t.src = f.beAddr[i]; t.sport = f.bePort[i]; t.dst = f.client[i]; t.dport = f.cport[i]; }
      else { t.src = f.client[i]; t.sport = f.cport[i]; t.dst = svc(i).vip; t.dport = svc(i).port; }
      t.flags = TCP_ACK | TCP_PSH;
    }),
  };
}

// ---- results ---------------------------------------------------------------------------
interface Row {
  path: string; flows: number; impl: 'core' | 'peer';
  /** ns per packet (process only) over all iterations. */
  ns: Summary;
  /** Mean ns per packet of the restore copy (not in `ns`). */
  copyNs: number;
  /** The core-sharing probe around each iteration (probe.ts): a noise report, not a filter. */
  probes: ProbeLog;
}
const rows: Row[] = [];

/** Restore-copy time of the current tinybench run (reset at its start), and of all rounds. */
interface Meter { sum: number; n: number; totalSum: number; totalN: number }
const meter = (): Meter => ({ sum: 0, n: 0, totalSum: 0, totalN: 0 });
type Meta = Map<string, { path: string; flows: number; impl: 'core' | 'peer'; pkts: number; copy: Meter; probes: ProbeLog }>;

/** Runs the bench ROUNDS times, pooling each task's samples (ms per iteration), then records the rows. */
async function runInRounds(bench: Bench, meta: Meta): Promise<void> {
  const pooled = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    bench.reset(); // without it a second run() keeps the first run's results and runs nothing
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result;
      if (r.state !== 'completed') {
        const err = 'error' in r ? r.error : undefined;
        throw new Error(`task ${t.name} ${r.state}${err ? `: ${err.stack ?? err}` : ''}`);
      }
      const into = pooled.get(t.name) ?? [];
      into.push(...(r.latency.samples ?? []));
      pooled.set(t.name, into);
      const c = meta.get(t.name)!.copy;
      c.totalSum += c.sum; c.totalN += c.n;
    }
  }
  collect(pooled, meta);
}

function collect(pooled: Map<string, number[]>, meta: Meta): void {
  for (const [name, samples] of pooled) {
    const m = meta.get(name)!;
    if (samples.length === 0) throw new Error(`task ${name}: no samples`);
    const ns = scaleSummary(summarize(samples), 1e6 / m.pkts);
    const copyNs = m.copy.totalN ? (m.copy.totalSum * 1e6) / m.copy.totalN / m.pkts : 0;
    rows.push({ path: m.path, flows: m.flows, impl: m.impl, ns, copyNs, probes: m.probes });
    console.error(`  ${name.padEnd(24)} median ${ns.median.toFixed(1).padStart(7)} ns/pkt (${(1e3 / ns.median).toFixed(2)} Mpps)` +
      `  p10 ${ns.p10.toFixed(1)}, min–max ${ns.min.toFixed(1)}–${ns.max.toFixed(1)}, ${ns.n} iterations; copy ${copyNs.toFixed(1)} ns/pkt`);
  }
}

// ---- the run ------------------------------------------------------------------------------
function label(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024}M` : n % 1024 === 0 ? `${n / 1024}k` : String(n);
}

async function established(cluster: BenchCluster, n: number): Promise<void> {
  const f = makeFlows(n, cluster, 7 + n);
  const s = streams(cluster, f);
  const core = coreRig(cluster, n);
  const peer = peerRig(cluster, n);
  compareMaglev(cluster, core, peer);

  // Handshake, checked packet for packet; the SYN pass tells which backend each flow got.
  runBoth('SYN', s.syn(), core, peer, VERDICT_TRANSLATED, (p, out, off) => {
    f.beAddr[p] = get32(out, off + OFF_IP_DST);
    f.bePort[p] = get16(out, off + OFF_DPORT);
  });
  runBoth('SYN-ACK', s.synAck(), core, peer, VERDICT_REVERSED);
  runBoth('ACK', s.ack(), core, peer, VERDICT_TRANSLATED);
  const ct = core.core.conntrack();
  if (ct.entries !== n || peer.peer.connections !== n) throw new Error(`conntrack holds ${ct.entries} (peer ${peer.peer.connections}), expected ${n}`);

  const packets = Math.max(n, 16 * BATCH);
  const fwd = s.data(packets, visitOrder(n, packets, 11 + n), false);
  const rep = s.data(packets, visitOrder(n, packets, 13 + n), true);
  // First batch of each timed stream through both (conntrack state is unchanged by data segments).
  runBoth('established forward', { views: [fwd.views[0]], counts: [BATCH] }, core, peer, VERDICT_TRANSLATED);
  runBoth('established reply', { views: [rep.views[0]], counts: [BATCH] }, core, peer, VERDICT_REVERSED);
  if (CHECK_ONLY) return;

  const bench = new Bench({ time: EST_TIME_MS / ROUNDS, iterations: 8, warmupTime: quick ? 50 : 100, warmupIterations: 8, retainSamples: true });
  const meta = new Map();
  for (const [path, stream] of [['established, original direction', fwd], ['established, reply direction', rep]] as const) {
    for (const [impl, rig] of [['core', core], ['peer', peer]] as const) {
      const name = `${impl} ${path.replace('established, ', 'est ').replace(' direction', '')} ${label(n)}`;
      const copy = meter();
      const probes = new ProbeLog();
      let running = false;
      meta.set(name, { path, flows: n, impl, pkts: EST_BATCH, copy, probes });
      // Sub-batch j of each block: its bytes at their place in the input region, descriptors j·B.. .
      const parts: { bytes: Uint8Array; at: number; first: number }[] = [];
      for (const v of stream.views) {
        for (let first = 0; first < BATCH; first += EST_BATCH) {
          const last = first + EST_BATCH - 1;
          parts.push({ bytes: v.subarray(SLOT_OFF[first], SLOT_OFF[last] + SLOT_LEN[last]), at: SLOT_OFF[first], first });
        }
      }
      let k = 0;
      bench.add(name, () => {
        const part = parts[k];
        const p0 = probe();
        const t0 = performance.now();
        rig.input.set(part.bytes, part.at);
        const t1 = performance.now();
        if (EST_BATCH === BATCH) rig.process(BATCH); else rig.processRange(part.first, EST_BATCH);
        const t2 = performance.now();
        if (running) probes.add(p0, probe());
        if (++k === parts.length) k = 0;
        copy.sum += t1 - t0; copy.n++;
        return { overriddenDuration: t2 - t1, overriddenIterationCost: t2 - t0 };
      }, { beforeAll: (mode) => { fullGc(); running = mode === 'run'; if (running) { copy.sum = 0; copy.n = 0; } } });
    }
  }
  await runInRounds(bench, meta);
}

/**
 * A full garbage collection, run outside the timed region before each
 * task's iterations in a round and before each new-connection iteration:
 * each new-connection iteration builds a fresh core or peer, and the peer
 * allocates as it goes; without this the collector's concurrent work on
 * that garbage runs on the other CPU during the next timed iterations.
 */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

/** Connections a table holds before the measured SYNs arrive (see newConnections). */
const WARM_FLOWS = 4096;

async function newConnections(cluster: BenchCluster, n: number): Promise<void> {
  const f = makeFlows(n, cluster, 17 + n);
  const syn = streams(cluster, f).syn();
  const warm = streams(cluster, makeFlows(WARM_FLOWS, cluster, 23, WARM_CLIENTS)).syn();
  // A fresh core or peer per iteration, with WARM_FLOWS other connections
  // already made: a running dataplane, not a cold instance whose caches and
  // TLB the measured SYNs would have to warm.
  const fresh = <R extends Rig>(make: (c: BenchCluster, ctMax: number) => R): R => {
    const r = make(cluster, n + WARM_FLOWS);
    for (let k = 0; k < warm.views.length; k++) { r.input.set(warm.views[k]); r.process(warm.counts[k]); }
    return r;
  };
  {
    // The same SYNs through both once, checked.
    const a = coreRig(cluster, n + WARM_FLOWS), b = peerRig(cluster, n + WARM_FLOWS);
    runBoth('warm-up SYN', warm, a, b, VERDICT_TRANSLATED);
    runBoth('new-connection SYN', syn, a, b, VERDICT_TRANSLATED);
  }
  if (CHECK_ONLY) return;
  const iterations = NEW_ITERATIONS(n);
  const bench = new Bench({ time: 0, iterations: Math.ceil(iterations / ROUNDS), warmupTime: 0,
                            warmupIterations: Math.max(1, iterations >> 4), retainSamples: true });
  const meta = new Map();
  const path = 'new connection (SYN)';
  const makers: [ 'core' | 'peer', () => Rig ][] = [
    ['core', () => fresh(coreRig)],
    ['peer', () => fresh(peerRig)],
  ];
  for (const [impl, make] of makers) {
    const name = `${impl} new ${label(n)}`;
    const copy = meter();
    const probes = new ProbeLog();
    let running = false;
    meta.set(name, { path, flows: n, impl, pkts: n, copy, probes });
    let rig: Rig | null = null;
    bench.add(name, () => {
      const r = rig!;
      let proc = 0, cp = 0;
      const p0 = probe();
      for (let k = 0; k < syn.views.length; k++) {
        const t0 = performance.now();
        r.input.set(syn.views[k]);
        const t1 = performance.now();
        r.process(syn.counts[k]);
        const t2 = performance.now();
        cp += t1 - t0; proc += t2 - t1;
      }
      if (running) probes.add(p0, probe());
      copy.sum += cp; copy.n++;
      return { overriddenDuration: proc, overriddenIterationCost: proc + cp };
    }, {
      // A fresh (warmed) table per iteration, outside the timed region.
      beforeEach: () => { rig = null; fullGc(); rig = make(); },
      beforeAll: (mode) => { running = mode === 'run'; if (running) { copy.sum = 0; copy.n = 0; } },
    });
  }
  await runInRounds(bench, meta);
}

/** First 12 hex digits of the SHA-256 of the core that was measured (the build changes as the core does). */
function coreBuild(): string {
  try {
    const file = fileURLToPath(new URL('../../build/core.wasm', import.meta.url));
    return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return 'unknown';
  }
}

/** The commit the core was built from, marked dirty when assembly/ has uncommitted changes. */
function coreCommit(): string {
  try {
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', 'assembly'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty assembly/` : head;
  } catch {
    return 'unknown';
  }
}

function machine(): { cpu: string; cores: number; node: string; date: string; load: string; core: string; commit: string } {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }));
    if (m) cpu = m[1].trim();
  } catch { /* lscpu missing: keep os.cpus() */ }
  return {
    cpu, cores: cpus().length, node: process.version, date: new Date().toISOString(),
    load: loadavg().map((x) => x.toFixed(1)).join(' '), core: coreBuild(), commit: coreCommit(),
  };
}

/** The probe report of the whole run, and of the rows of one implementation against the run's fastest probe. */
function probes(impl?: 'core' | 'peer'): ProbeReport {
  const all = probeReport(rows.map((r) => r.probes));
  return impl ? probeReport(rows.filter((r) => r.impl === impl).map((r) => r.probes), all.fastestNs) : all;
}

function table(): string {
  const out: string[] = [];
  out.push('| path | flows | core ns/pkt median (Mpps) | core p10 | core min–max | peer ns/pkt median | peer p10 | peer min–max | peer ÷ core (medians) | iterations, core / peer | restore copy ns/pkt, core / peer (not included) |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const keys = [...new Set(rows.map((r) => `${r.path}|${r.flows}`))];
  const x = (v: number) => v.toFixed(1);
  for (const key of keys) {
    const c = rows.find((r) => `${r.path}|${r.flows}` === key && r.impl === 'core')!;
    const p = rows.find((r) => `${r.path}|${r.flows}` === key && r.impl === 'peer')!;
    out.push(`| ${c.path} | ${label(c.flows)} | ${x(c.ns.median)} (${(1e3 / c.ns.median).toFixed(2)}) | ${x(c.ns.p10)} | ${x(c.ns.min)}–${x(c.ns.max)} ` +
      `| ${x(p.ns.median)} | ${x(p.ns.p10)} | ${x(p.ns.min)}–${x(p.ns.max)} | ${(p.ns.median / c.ns.median).toFixed(1)}× ` +
      `| ${c.ns.n} / ${p.ns.n} | ${x(c.copyNs)} / ${x(p.copyNs)} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const m = machine();
  const cluster = buildCluster(SERVICES);
  const backends = cluster.services.reduce((a, s) => a + s.backends.length, 0);
  console.error(`NAT core benchmark: ${m.cpu}, ${m.cores} CPUs, Node ${m.node}, ${m.date}, load ${m.load}, core.wasm ${m.core}`);
  console.error(`cluster: ${SERVICES} TCP Services, ${backends} backends, Maglev M=${MAGLEV_M}; batch ${EST_BATCH} packets (established), ${BATCH} (new), frames 64-128 B; sizes ${SIZES.map(label).join(', ')}${quick ? ' (quick)' : ''}`);
  for (const n of SIZES) {
    console.error(`${label(n)} flows: established`);
    if (ONLY !== 'new') await established(cluster, n);
    console.error(`${label(n)} flows: new connections`);
    if (ONLY !== 'est') await newConnections(cluster, n);
  }
  if (CHECK_ONLY) {
    console.log(`core and peer agree on every checked packet (sizes ${SIZES.map(label).join(', ')})`);
    return;
  }
  const md = table();
  const end = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`Machine: ${m.cpu} (${m.cores} CPUs), Node ${m.node}, ${m.date}; commit ${m.commit}, build/core.wasm sha256 ${m.core}`);
  console.log(`Load average (1/5/15 min): ${m.load} at start, ${end} at end`);
  console.log(`Command: node dist/bench/nat.bench.js ${argv.join(' ')}`.trimEnd());
  console.log(`Core: build/core.wasm; peer: TypeScript + Map (bench/peer/js-nat.ts), same packets, same run. ns per packet over all iterations.`);
  console.log('');
  console.log(md);
  console.log('');
  const all = probes(), core = probes('core'), peer = probes('peer');
  console.log(`${describeProbe(all)}; core ${(100 * core.share).toFixed(0)}%, peer ${(100 * peer.share).toFixed(0)}%`);
  if (JSON_OUT) {
    const share = (r: Row) => {
      const { disturbed, iterations, share } = probeReport([r.probes], all.fastestNs);
      return { disturbed, iterations, share };
    };
    writeFileSync(JSON_OUT, JSON.stringify({
      machine: { ...m, loadEnd: end }, command: argv, quick, batch: EST_BATCH, services: SERVICES, backends, maglevSize: MAGLEV_M,
      rows: rows.map((r) => ({ path: r.path, flows: r.flows, impl: r.impl, nsPerPacket: r.ns, copyNsPerPacket: r.copyNs, probe: share(r) })),
      probe: { run: all, core, peer },
    }, null, 2));
  }
}

main().catch((err) => {
  console.error(err instanceof Mismatch ? `core and peer disagree: ${err.message}` : err);
  process.exit(1);
});
