// The whole-command replay benchmark (issue 13): `svcplane replay` as a user runs it, timed from
// process start to exit, against what a user would otherwise run on the same file, plus the
// capture reader alone against pcap-parser.
//
//   node dist/bench/replay.bench.js [--iterations K] [--only 64b-1k|64b-50k|mixed|read|workers] [--dir DIR]
//                                    [--packets N] [--json]
//
// --only takes one task or a comma-separated list; --json prints the raw times instead of the table.
// Tasks (each input 1M packets by default; --packets changes that for quick runs):
//   64b-1k   64-byte frames over 1k flows: svcplane replay vs tcprewrite with the Services as
//            static maps (--dstipmap VIP→first backend, --portmap port→targetPort, --fixcsum)
//   64b-50k  the same over 50k flows
//   mixed    scripts/gen-large-capture.mjs (100–1500-byte frames): svcplane replay vs cp
//   workers  64b-50k through svcplane replay --workers 1 and --workers N (outputs compared byte for byte),
//            and beside them the machine's ceiling for N: N whole commands at once, each on the
//            packets of 1/N of the clients (the input split by source address beforehand)
//   read     svcplane's reader (bench/read-all.ts) vs pcap-parser, in-process, on the 64b-1k
//            and mixed files
// Inputs are generated into DIR (default /dev/shm/svcplane-bench, tmpfs) and reused when made by
// the same generator with the same parameters; outputs go to DIR too and are deleted after each
// run. Within an iteration the two tools run back to back, the first one alternating between
// iterations, so both see the same machine state. Each tool runs once untimed first (a warm-up
// that also checks the output). Medians and min–max are over all iterations.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventEmitter } from 'node:events';
import { readAllSvcplane } from './read-all.js';
import { summarize } from './stats.js';
import { countPcapRecords, ensureInput, repoRoot, splitByClient, tcprewriteMaps, type InputName } from './replay-inputs.js';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): EventEmitter };

// A full collection before each in-process timed read, outside the timing, so one reader's
// garbage (pcap-parser makes a Buffer per packet) is not collected during the other's run.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TASKS = ['64b-1k', '64b-50k', 'mixed', 'read', 'workers'] as const;
type TaskName = (typeof TASKS)[number];

interface Options {
  iterations: number;
  only: TaskName[];
  dir: string;
  packets: number;
  json: boolean;
  /** Workers of the `workers` task's parallel run. */
  workers: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { iterations: 5, only: [...TASKS], dir: '/dev/shm/svcplane-bench', packets: 1_000_000, json: false, workers: Math.max(2, os.availableParallelism()) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v!;
    };
    if (a === '--iterations') o.iterations = Number(value());
    else if (a === '--only') o.only = value().split(',') as TaskName[];
    else if (a === '--dir') o.dir = value();
    else if (a === '--packets') o.packets = Number(value());
    else if (a === '--json') o.json = true;
    else if (a === '--workers') o.workers = Number(value());
    else if (a === '-h' || a === '--help') help();
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.iterations) || o.iterations < 1) usage('--iterations must be a positive integer');
  if (!Number.isInteger(o.packets) || o.packets < 1) usage('--packets must be a positive integer');
  if (!Number.isInteger(o.workers) || o.workers < 2 || o.workers > 16) usage('--workers must be an integer from 2 to 16');
  for (const t of o.only) if (!TASKS.includes(t)) usage(`--only: unknown task ${t} (one of ${TASKS.join(', ')})`);
  return o;
}

const USAGE = `usage: node dist/bench/replay.bench.js [options]   (or: npm run bench -- replay [options])
  --iterations K   timed iterations per task, after one untimed run of each tool; default 5
  --only LIST      tasks, comma-separated: 64b-1k, 64b-50k, mixed, read, workers; default all
  --dir DIR        where inputs are generated and outputs written; default /dev/shm/svcplane-bench
  --packets N      packets per generated input; default 1000000
  --json           print the raw times as JSON instead of the table
  --workers N      the workers task's parallel run (default: the number of CPUs, at least 2)
The 64b tasks need tcprewrite (Debian: apt-get install tcpreplay).
`;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`replay bench: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function help(): never {
  process.stdout.write(USAGE);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Running and timing

const CLI = path.join(repoRoot(), 'dist', 'src', 'cli', 'svcplane.js');

/** A command as run for timing: the executable and its arguments, and the output it writes. */
interface Command {
  tool: string;
  file: string;
  args: string[];
  output: string;
}

/** Runs a command to completion; throws when it fails. Returns its stdout. */
function run(c: Command): string {
  const r = spawnSync(c.file, c.args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${c.tool}: ${c.file} ${c.args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return r.stdout;
}

/** Wall time of the whole child process, start to exit, in seconds; its output is deleted after. */
function timeRun(c: Command): number {
  const t0 = performance.now();
  run(c);
  const s = (performance.now() - t0) / 1000;
  fs.rmSync(c.output, { force: true });
  return s;
}

interface ToolResult {
  tool: string;
  seconds: number[];
}

interface TaskResult {
  task: string;
  packets: number;
  tools: ToolResult[];
  /** Per iteration, one tool's time over another's, as `name` says. */
  ratios: { name: string; values: number[] }[];
  /** What the untimed first runs showed. */
  check: Record<string, unknown>;
}

/** Times tools over `iterations`, back to back within each iteration, the first one rotating. */
async function rotate(iterations: number, tools: (() => number | Promise<number>)[]): Promise<number[][]> {
  const times = tools.map((): number[] => []);
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < tools.length; k++) {
      const t = (i + k) % tools.length;
      times[t]!.push(await tools[t]!());
    }
  }
  return times;
}

/** The same for two tools. */
async function alternate(iterations: number, a: () => number | Promise<number>, b: () => number | Promise<number>): Promise<[number[], number[]]> {
  const [ta, tb] = await rotate(iterations, [a, b]);
  return [ta!, tb!];
}

function svcplaneCommand(capture: string, cluster: string, output: string, extra: string[] = ['-q', '--workers', '1']): Command {
  return {
    tool: 'svcplane replay',
    file: process.execPath,
    args: [CLI, 'replay', capture, '-c', cluster, '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '-w', output, ...extra],
    output,
  };
}

/** The untimed check: svcplane's own report of what it did to the packets, and the packets it wrote. */
function checkSvcplane(c: Command, packets: number, minTranslated: number): Record<string, unknown> {
  const report = JSON.parse(run({ ...c, args: [...c.args.filter((a) => a !== '-q'), '--json'] }));
  const p = report.packets as Record<string, number>;
  const written = countPcapRecords(c.output);
  fs.rmSync(c.output, { force: true });
  if (p.in !== packets) throw new Error(`svcplane replayed ${p.in} packets, expected ${packets}`);
  if (p.translated < minTranslated * packets) {
    throw new Error(`svcplane translated only ${p.translated} of ${packets} packets (expected at least ${minTranslated * 100}%): ${JSON.stringify(p)}`);
  }
  // report.seconds is the replay loop alone: the rest of the wall time is start-up and loading.
  return { svcplaneVerdicts: p, svcplaneWritten: written, svcplaneFastPath: report.fastPath, svcplaneLoopSeconds: Number(report.seconds.toFixed(3)) };
}

async function task64b(name: '64b-1k' | '64b-50k', o: Options): Promise<TaskResult> {
  const input = ensureInput(o.dir, name, o.packets);
  const svc = svcplaneCommand(input.capture, input.cluster, path.join(o.dir, 'out-svcplane.pcap'));
  const trOut = path.join(o.dir, 'out-tcprewrite.pcap');
  const tr: Command = { tool: 'tcprewrite', file: 'tcprewrite', args: [...tcprewriteMaps(input.cluster), '--fixcsum', '-i', input.capture, '-o', trOut], output: trOut };
  const check = checkSvcplane(svc, o.packets, 0.99);
  run(tr);
  check.tcprewriteWritten = countPcapRecords(trOut);
  fs.rmSync(trOut, { force: true });
  if (check.tcprewriteWritten !== o.packets) throw new Error(`tcprewrite wrote ${check.tcprewriteWritten} packets, expected ${o.packets}`);
  check.tcprewriteArgs = tr.args.slice(0, 2);
  const [ts, tt] = await alternate(o.iterations, () => timeRun(svc), () => timeRun(tr));
  return {
    task: `${name}: 64-byte frames, ${name === '64b-1k' ? '1k' : '50k'} flows`,
    packets: o.packets,
    tools: [{ tool: svc.tool, seconds: ts }, { tool: tr.tool, seconds: tt }],
    ratios: [{ name: 'tcprewrite / svcplane', values: tt.map((t, i) => t / ts[i]!) }],
    check,
  };
}

/**
 * The same input through one worker and through o.workers, side by side; their outputs must be
 * identical. Beside them, the machine's ceiling for o.workers: as many whole commands at once,
 * each on the packets of its share of the clients (splitByClient), with nothing to dispatch,
 * merge or share: what any way of spreading the work over the CPUs could at best reach here.
 */
async function taskWorkers(o: Options): Promise<TaskResult> {
  const input = ensureInput(o.dir, '64b-50k', o.packets);
  const one = svcplaneCommand(input.capture, input.cluster, path.join(o.dir, 'out-workers-1.pcap'), ['-q', '--workers', '1']);
  const many = svcplaneCommand(input.capture, input.cluster, path.join(o.dir, `out-workers-${o.workers}.pcap`), ['-q', '--workers', String(o.workers)]);
  const shares = splitByClient(input.capture, o.workers).map((f, k) => svcplaneCommand(f, input.cluster, path.join(o.dir, `out-share-${k}.pcap`)));
  const check = checkSvcplane(one, o.packets, 0.99);
  run(one);
  const err = spawnSync(many.file, many.args, { encoding: 'utf8' }).stderr;
  if (err.includes('one worker')) throw new Error(`--workers ${o.workers} ran on one worker: ${err}`);
  const same = fs.readFileSync(one.output).equals(fs.readFileSync(many.output));
  fs.rmSync(one.output, { force: true });
  fs.rmSync(many.output, { force: true });
  if (!same) throw new Error(`--workers ${o.workers} wrote other bytes than --workers 1`);
  const shared = shares.reduce((n, c) => n + countPcapRecords(c.args[c.args.indexOf('replay') + 1]!), 0);
  if (shared !== o.packets) throw new Error(`the ${o.workers} shares hold ${shared} packets, expected ${o.packets}`);
  await timeAtOnce(shares);
  const [t1, tn, tc] = await rotate(o.iterations, [() => timeRun(one), () => timeRun(many), () => timeAtOnce(shares)]);
  return {
    task: `workers: 64-byte frames, 50k flows, --workers 1 vs ${o.workers}`,
    packets: o.packets,
    tools: [
      { tool: 'svcplane --workers 1', seconds: t1! },
      { tool: `svcplane --workers ${o.workers}`, seconds: tn! },
      { tool: `ceiling: ${o.workers} commands at once, 1/${o.workers} of the clients each`, seconds: tc! },
    ],
    ratios: [
      { name: `--workers 1 / --workers ${o.workers}`, values: t1!.map((t, i) => t / tn![i]!) },
      { name: `--workers 1 / ceiling (${o.workers} commands at once)`, values: t1!.map((t, i) => t / tc![i]!) },
    ],
    check: { ...check, identicalOutput: same },
  };
}

/** Wall time from starting every command at once to the last one's exit, in seconds; outputs deleted after. */
async function timeAtOnce(cs: Command[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(cs.map((c) => new Promise<void>((resolve, reject) => {
    const child = spawn(c.file, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${c.tool}: ${c.file} ${c.args.join(' ')} exited with ${code ?? signal}:\n${stderr}`));
    });
  })));
  const s = (performance.now() - t0) / 1000;
  for (const c of cs) fs.rmSync(c.output, { force: true });
  return s;
}

async function taskMixed(o: Options): Promise<TaskResult> {
  const input = ensureInput(o.dir, 'mixed', o.packets);
  const svc = svcplaneCommand(input.capture, input.cluster, path.join(o.dir, 'out-svcplane.pcap'));
  const cpOut = path.join(o.dir, 'out-cp.pcap');
  const cp: Command = { tool: 'cp', file: 'cp', args: [input.capture, cpOut], output: cpOut };
  // A quarter of gen-large-capture's packets are replies from the VIP itself, which no Service
  // translates: they pass unchanged.
  const check = checkSvcplane(svc, o.packets, 0.7);
  run(cp);
  fs.rmSync(cpOut, { force: true });
  const [ts, tc] = await alternate(o.iterations, () => timeRun(svc), () => timeRun(cp));
  return {
    task: 'mixed: 100–1500-byte frames (gen-large-capture)',
    packets: o.packets,
    tools: [{ tool: svc.tool, seconds: ts }, { tool: cp.tool, seconds: tc }],
    ratios: [{ name: 'svcplane / cp', values: ts.map((t, i) => t / tc[i]!) }],
    check: { ...check, bytes: fs.statSync(input.capture).size },
  };
}

function readPcapParser(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let packets = 0;
    const p = pcapParser.parse(file);
    p.on('packet', () => packets++);
    p.on('error', reject);
    p.on('end', () => resolve(packets));
  });
}

async function taskRead(name: InputName, o: Options): Promise<TaskResult> {
  const input = ensureInput(o.dir, name, o.packets);
  const ours = readAllSvcplane(input.capture);
  const theirs = await readPcapParser(input.capture);
  if (ours !== o.packets || theirs !== o.packets) throw new Error(`read ${name}: svcplane ${ours}, pcap-parser ${theirs}, expected ${o.packets}`);
  const timeOurs = (): number => {
    gc();
    const t0 = performance.now();
    readAllSvcplane(input.capture);
    return (performance.now() - t0) / 1000;
  };
  const timeTheirs = async (): Promise<number> => {
    gc();
    const t0 = performance.now();
    await readPcapParser(input.capture);
    return (performance.now() - t0) / 1000;
  };
  const [ts, tp] = await alternate(o.iterations, timeOurs, timeTheirs);
  return {
    task: `read ${name} (in-process, ${name === 'mixed' ? 'mixed sizes' : '64-byte frames'})`,
    packets: o.packets,
    tools: [{ tool: 'svcplane reader', seconds: ts }, { tool: 'pcap-parser', seconds: tp }],
    ratios: [{ name: 'pcap-parser / svcplane', values: tp.map((t, i) => t / ts[i]!) }],
    check: { bytes: fs.statSync(input.capture).size },
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting


function machine(): Record<string, unknown> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    /* not Linux: os.cpus() */
  }
  const tr = spawnSync('tcprewrite', ['--version'], { encoding: 'utf8' });
  return {
    cpu,
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    tcprewrite: /version:\s*(\S+)/.exec(`${tr.stdout ?? ''}${tr.stderr ?? ''}`)?.[1] ?? 'missing',
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

function printTable(m: Record<string, unknown>, o: Options, results: TaskResult[], endLoad: number[]): void {
  console.log(`replay bench: ${m.date} | ${m.cpu}, ${m.cpus} CPUs, ${m.memoryGiB} GiB | Node ${m.node} | tcprewrite ${m.tcprewrite}`);
  console.log(`${o.iterations} iterations per task, ${o.packets} packets per input, inputs in ${o.dir}; load ${(m.loadavg as number[]).join(' ')} at start, ${endLoad.join(' ')} at end`);
  const rows: string[][] = [['task', 'tool', 'median s', 'p10 s', 'min–max s', 'Mpps (median)']];
  const ratios: string[] = [];
  for (const r of results) {
    for (const t of r.tools) {
      const x = summarize(t.seconds);
      rows.push([r.task, t.tool, x.median.toFixed(3), x.p10.toFixed(3), `${x.min.toFixed(3)}–${x.max.toFixed(3)}`, (r.packets / x.median / 1e6).toFixed(2)]);
    }
    for (const ratio of r.ratios) {
      const v = ratio.values;
      const x = summarize(v);
      ratios.push(`${r.task}: ${ratio.name} = ${x.median.toFixed(2)} (${x.min.toFixed(2)}–${x.max.toFixed(2)}; per iteration ${v.map((y) => y.toFixed(2)).join(' ')})`);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w, c) => (c >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
  console.log('');
  for (const r of ratios) console.log(r);
  for (const r of results) console.log(`check ${r.task}: ${JSON.stringify(r.check)}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const m = machine();
  if (m.tcprewrite === 'missing' && o.only.some((t) => t.startsWith('64b'))) {
    throw new Error('tcprewrite not found (Debian: apt-get install tcpreplay)');
  }
  const results: TaskResult[] = [];
  for (const t of o.only) {
    process.stderr.write(`replay bench: ${t}\n`);
    if (t === '64b-1k' || t === '64b-50k') results.push(await task64b(t, o));
    else if (t === 'mixed') results.push(await taskMixed(o));
    else if (t === 'workers') results.push(await taskWorkers(o));
    else results.push(await taskRead('64b-1k', o), await taskRead('mixed', o));
  }
  const endLoad = os.loadavg().map((l) => Number(l.toFixed(2)));
  if (o.json) console.log(JSON.stringify({ machine: m, options: o, loadavgEnd: endLoad, results }, null, 2));
  else printTable(m, o, results, endLoad);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
