// The soak: `svcplane replay` on a long capture streamed on standard input, with an EndpointSlice
// change every second of capture time, and the replay process's resident memory sampled from
// /proc while it runs. The question it answers: does memory stay flat once the run is warm?
//
//   node dist/bench/soak.js [--packets 100M] [--flows N] [--pps-of-capture-time N] [--services S]
//                           [--interval-ms MS] [--warmup F] [--dir DIR] [--samples FILE] [--json]
//
// scripts/gen-soak-capture.mjs writes the cluster manifest and the --updates file into DIR, then
// streams the capture (64-byte frames, see its header for the traffic) into a pipe that is the
// replay's standard input; nothing the size of the capture touches the disk. The generator's
// "packets <n>" lines on standard error say how far the capture has got.
//
// Warm-up: the samples taken before --warmup (a fraction, default 25%) of the packets were written
// are left out, and so are those after the last packet was written (the replay finishing, the
// report). At the defaults, conntrack fills up (262,144 entries; expired ones are reclaimed only
// then) at about 18M packets, and V8 keeps the young generation that loading the cluster grew
// (its pages become resident as the replay's little garbage walks through them, +6 MiB) until
// the replay's first scavenge, at 18.5M packets; both are startup, not growth.
// Flat within 5%: (max − min) of the remaining samples is at most 5% of their minimum. The level
// beside it: the medians of 20 windows of equal packet counts after warm-up, and their spread,
// which a transient of a second or two (a JIT compile, a GC) does not move.

import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from './args.js';
import { repoRoot } from './replay-inputs.js';
import { quantile } from './stats.js';

const USAGE = `usage: node dist/bench/soak.js [options]   (or: npm run bench -- soak [options])
  --packets N               packets in the capture (k, M suffixes: 1000s); default 100M
  --flows N                 concurrent TCP flow slots of the generator; default 20000
  --pps-of-capture-time N   packets per second of capture time: one EndpointSlice change per
                            N packets; default 100000
  --services S              ClusterIP Services the traffic and the changes rotate among; default 8
  --interval-ms MS          how often the replay's VmRSS is read; default 250
  --warmup F                fraction of the packets before RSS counts; default 0.25
  --dir DIR                 where the manifest and the --updates file go; default /dev/shm/svcplane-soak
  --samples FILE            also write every sample (ms, packets written, VmRSS KiB) as CSV
  --json                    print the result as JSON instead of the text`;

const args = parseArgs(process.argv.slice(2), {
  '--packets': 'value', '--flows': 'value', '--pps-of-capture-time': 'value', '--services': 'value',
  '--interval-ms': 'value', '--warmup': 'value', '--dir': 'value', '--samples': 'value', '--json': 'switch',
}, USAGE);

function fail(msg: string): never {
  process.stderr.write(`soak: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** A count with an optional k or M suffix (decimal: 100M packets is 100,000,000). */
function count(name: string, dflt: string): number {
  const t = args.value(name) ?? dflt;
  const m = /^(\d+)([kKmM]?)$/.exec(t.trim());
  if (!m) fail(`${name} ${t}: a whole number, optionally with k or M`);
  const n = Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6);
  if (n < 1) fail(`${name} ${t}: at least 1`);
  return n;
}

const PACKETS = count('--packets', '100M');
const FLOWS = count('--flows', '20000');
const PPS = count('--pps-of-capture-time', '100000');
const SERVICES = count('--services', '8');
const INTERVAL_MS = count('--interval-ms', '250');
const WARMUP = Number(args.value('--warmup') ?? 0.25);
if (!(WARMUP >= 0 && WARMUP < 1)) fail(`--warmup ${args.value('--warmup')}: a fraction from 0 to below 1`);
const DIR = args.value('--dir') ?? '/dev/shm/svcplane-soak';
const FLAT = 0.05;
const WINDOWS = 20;

const ROOT = repoRoot();
const GEN = path.join(ROOT, 'scripts', 'gen-soak-capture.mjs');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'svcplane.js');

interface Sample {
  /** Milliseconds since the replay started. */
  ms: number;
  /** Packets the generator had written into the pipe. */
  packets: number;
  rssKiB: number;
}

/** VmRSS of a process in KiB, or undefined once it has gone. */
function vmRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'assembly', 'src', 'bench', 'scripts'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

const genArgs = ['--packets', String(PACKETS), '--pps', String(PPS), '--flows', String(FLOWS), '--services', String(SERVICES)];

/** Runs the generator and the replay joined by a pipe; resolves when both have exited. */
async function soak(cluster: string, updates: string) {
  const gen = spawn(process.execPath, [GEN, '-', ...genArgs, '--progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const replay = spawn(process.execPath, [CLI, 'replay', '-', '-c', cluster, '--updates', updates,
    '--node', 'node-a', '--node-ip', '192.168.49.2', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16',
    '-w', os.devNull, '-q', '--json'], { stdio: [gen.stdout, 'pipe', 'pipe'] });
  // The replay holds the pipe's read end now; this process's copy would keep the generator
  // blocked (instead of failing with EPIPE) if the replay died.
  gen.stdout.destroy();
  const t0 = performance.now();

  let written = 0;
  let genTail = '';
  let genErr = '';
  gen.stderr.setEncoding('utf8');
  gen.stderr.on('data', (s: string) => {
    const lines = (genTail + s).split('\n');
    genTail = lines.pop()!;
    for (const l of lines) {
      const m = /^packets (\d+)$/.exec(l);
      if (m) written = Number(m[1]);
      else genErr += `${l}\n`;
    }
  });
  let stdout = '';
  let stderr = '';
  replay.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  replay.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));

  const samples: Sample[] = [];
  const sample = () => {
    const rss = vmRss(replay.pid!);
    if (rss !== undefined) samples.push({ ms: performance.now() - t0, packets: written, rssKiB: rss });
  };
  sample();
  const timer = setInterval(sample, INTERVAL_MS);
  const exited = (p: typeof gen) => new Promise<number | null>((resolve) => p.on('close', (code, signal) => resolve(signal ? null : code)));
  const genExit = exited(gen).then((code) => {
    if (code !== 0) replay.kill();
    return code;
  });
  const replayExit = exited(replay).then((code) => {
    if (code !== 0) gen.kill();
    return code;
  });
  const [genCode, replayCode] = await Promise.all([genExit, replayExit]);
  clearInterval(timer);
  const wallS = (performance.now() - t0) / 1000;
  return { genCode, genErr, replayCode, stdout, stderr, samples, wallS };
}

function kib(x: number): string {
  return `${(x / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<number> {
  if (!fs.existsSync(CLI)) fail(`${CLI} is missing: npm run build first`);
  fs.mkdirSync(DIR, { recursive: true });
  const cluster = path.join(DIR, 'cluster.json');
  const updates = path.join(DIR, 'updates.jsonl');
  execFileSync(process.execPath, [GEN, ...genArgs, '--cluster', cluster, '--updates', updates], { stdio: ['ignore', 'ignore', 'pipe'] });
  const updatesGiven = fs.readFileSync(updates, 'utf8').split('\n').filter((l) => l !== '').length;

  const loadStart = os.loadavg();
  const started = new Date().toISOString();
  const r = await soak(cluster, updates);
  const loadEnd = os.loadavg();
  if (r.genCode !== 0 || r.replayCode !== 0) {
    process.stderr.write(`soak: generator exit ${r.genCode}, replay exit ${r.replayCode}\n${r.genErr}${r.stderr}`);
    return 1;
  }
  const report = JSON.parse(r.stdout);

  // Samples after warm-up and before the last packet was written.
  const warmSamples = r.samples.filter((s) => s.packets >= WARMUP * PACKETS && s.packets < PACKETS);
  const warm = warmSamples.map((s) => s.rssKiB);
  const windows: number[][] = Array.from({ length: WINDOWS }, () => []);
  for (const s of warmSamples) {
    const w = Math.min(WINDOWS - 1, Math.floor(((s.packets - WARMUP * PACKETS) / ((1 - WARMUP) * PACKETS)) * WINDOWS));
    windows[w].push(s.rssKiB);
  }
  const levels = windows.filter((w) => w.length > 0).map((w) => quantile(Float64Array.from(w).sort(), 0.5));
  const during = r.samples.filter((s) => s.packets < WARMUP * PACKETS).map((s) => s.rssKiB);
  const warmup = during.length > 0 ? { samples: during.length, minKiB: Math.min(...during), maxKiB: Math.max(...during) } : null;
  let rss = null;
  if (warm.length > 0) {
    const sorted = Float64Array.from(warm).sort();
    const q = Math.max(1, Math.floor(warm.length / 4));
    const firstQ = quantile(Float64Array.from(warm.slice(0, q)).sort(), 0.5);
    const lastQ = quantile(Float64Array.from(warm.slice(-q)).sort(), 0.5);
    const min = sorted[0];
    const max = sorted[sorted.length - 1];
    rss = {
      samples: warm.length,
      atWarmupKiB: warm[0],
      minKiB: min, medianKiB: quantile(sorted, 0.5), maxKiB: max,
      spread: (max - min) / min,
      firstQuarterKiB: firstQ, lastQuarterKiB: lastQ,
      slope: (lastQ - firstQ) / firstQ,
      flat: (max - min) / min <= FLAT,
      levelMinKiB: Math.min(...levels), levelMaxKiB: Math.max(...levels),
      levelSpread: (Math.max(...levels) - Math.min(...levels)) / Math.min(...levels),
    };
  }
  const result = {
    started, commit: commit(), cpu: os.cpus()[0]?.model ?? 'unknown CPU', cpus: os.cpus().length, node: process.version,
    loadStart: loadStart.map((x) => Number(x.toFixed(2))), loadEnd: loadEnd.map((x) => Number(x.toFixed(2))),
    options: { packets: PACKETS, flows: FLOWS, ppsOfCaptureTime: PPS, services: SERVICES, intervalMs: INTERVAL_MS, warmup: WARMUP },
    packets: report.packets.in as number,
    verdicts: report.packets,
    drops: report.drops,
    conntrack: report.conntrack,
    captureSeconds: report.capture ? report.capture.lastTimestamp - report.capture.firstTimestamp : 0,
    updatesGiven,
    updatesApplied: report.updates.length as number,
    wallS: r.wallS,
    mpps: report.packets.in / r.wallS / 1e6,
    samples: r.samples.length,
    peakRssKiB: Math.max(...r.samples.map((s) => s.rssKiB)),
    warmup,
    rss,
  };
  if (args.value('--samples')) {
    fs.writeFileSync(args.value('--samples')!, 'ms,packets,rss_kib\n' + r.samples.map((s) => `${s.ms.toFixed(0)},${s.packets},${s.rssKiB}`).join('\n') + '\n');
  }
  if (args.has('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(`soak: ${result.cpu}, ${result.cpus} CPUs, Node ${result.node}, ${started}, commit ${result.commit}; load ${load(loadStart)} at start, ${load(loadEnd)} at end`);
    console.log(`packets ${result.packets} (${report.packets.translated} translated, ${report.packets.passed} passed, ${report.packets.dropped} dropped), ` +
      `${result.captureSeconds.toFixed(1)} s of capture time, ${FLOWS} flow slots, ${SERVICES} Services`);
    console.log(`updates applied ${result.updatesApplied} of ${updatesGiven}; conntrack at end ${report.conntrack.entries}, peak ${report.conntrack.peak}, evicted ${report.conntrack.evicted}`);
    console.log(`wall ${r.wallS.toFixed(1)} s, ${result.mpps.toFixed(2)} Mpps; ${r.samples.length} RSS samples every ${INTERVAL_MS} ms, peak ${kib(result.peakRssKiB)}`);
    if (warmup) console.log(`RSS during warm-up (the first ${(WARMUP * 100).toFixed(0)}% of the packets, ${warmup.samples} samples): ${kib(warmup.minKiB)} to ${kib(warmup.maxKiB)}`);
    if (rss) {
      console.log(`RSS after warm-up (${rss.samples} samples): at warm-up ${kib(rss.atWarmupKiB)}, ` +
        `min ${kib(rss.minKiB)}, median ${kib(rss.medianKiB)}, max ${kib(rss.maxKiB)}`);
      console.log(`drift: max − min ${kib(rss.maxKiB - rss.minKiB)} (${(rss.spread * 100).toFixed(1)}% of min); ` +
        `first quarter ${kib(rss.firstQuarterKiB)} → last quarter ${kib(rss.lastQuarterKiB)} (${rss.slope >= 0 ? '+' : ''}${(rss.slope * 100).toFixed(1)}%)`);
      console.log(`level (medians of ${levels.length} windows of equal packets): ${kib(rss.levelMinKiB)} to ${kib(rss.levelMaxKiB)} ` +
        `(${(rss.levelSpread * 100).toFixed(1)}% of the lowest)`);
      console.log(`flat within 5% (every sample after warm-up): ${rss.flat ? 'yes' : 'no'}`);
    } else {
      console.log('RSS after warm-up: no samples (the run was shorter than the warm-up; try a smaller --interval-ms)');
    }
  }
  return 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
