// Mutated capture files through `svcplane replay`: real captures (the demo, the test fixtures,
// the public corpus when present) with bytes flipped and set, truncated, spliced, and record
// and block fields (lengths, timestamps, link types, block types) set to edge values. Every
// run must end with exit status 0 or 2 within its time limit, never print a stack, print
// exactly one `svcplane: ` line on standard error when it exits 2, and when it exits 0 leave
// an output capture our reader reads to the end.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCaptureReader } from '../../src/capture/reader.js';
import { CaptureBatch } from '../../src/capture/batch.js';
import { BATCH_MAX_BYTES, BATCH_MAX_PACKETS, DESC_WORDS } from '../../src/core/abi.js';
import { Rng, subSeed } from './rng.js';

export interface CliRun { status: number | null; signal: string | null; stderr: string; stdout: string; ms: number; timedOut: boolean }

/** Runs the CLI with `args` (from `cwd`), standard input closed, killed after `timeoutMs`. */
export function runCli(cli: string, args: string[], cwd: string, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => { if (stdout.length < 1 << 20) stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < 1 << 20) stderr += s; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr, stdout, ms: performance.now() - t0, timedOut });
    });
  });
}

/** What is wrong with a run's ending, or undefined: exit 0 or 2, no stack, exit 2 says one line. */
export function cliProblem(r: CliRun): string | undefined {
  if (r.timedOut) return `no answer within the time limit (killed after ${Math.round(r.ms)} ms)`;
  if (r.signal) return `killed by ${r.signal}`;
  if (r.status !== 0 && r.status !== 2) return `exit status ${r.status}`;
  if (/\n\s+at /.test(r.stderr) || /^\s+at .*:\d+:\d+\)?$/m.test(r.stderr)) return 'a stack trace on standard error';
  if (r.status === 2) {
    const lines = r.stderr.split('\n');
    if (lines.length !== 2 || lines[1] !== '' || !lines[0].startsWith('svcplane: ')) return 'exit 2 without exactly one `svcplane: ` line on standard error';
  }
  return undefined;
}

/** Pool of `n` concurrent tasks over `count` indexes. */
export async function pool(count: number, n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < count) await task(next++); };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
}

// ---------------------------------------------------------------------------
// Mutation

const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d];
const BT_SHB = 0x0a0d0d0a;
const EDGE32 = [0, 1, 2, 3, 4, 7, 8, 11, 12, 15, 16, 20, 24, 28, 32, 64, 65535, 65536, 262144, 0x00ffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const BLOCK_TYPES = [0x00000001, 0x00000002, 0x00000003, 0x00000004, 0x00000005, 0x00000006, 0x0000000a, 0x0a0d0d0a, 0x80000001, 0x40000000, 0];

/** Offsets of the length (or incl_len) field of each record or block, with the file's byte order. */
function fields(b: Uint8Array): { le: boolean; pcapng: boolean; at: number[] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at: number[] = [];
  if (b.length < 24) return { le: true, pcapng: false, at };
  const m = dv.getUint32(0, false);
  if (m === BT_SHB) {
    const le = dv.getUint32(8, true) === 0x1a2b3c4d;
    for (let o = 0; o + 12 <= b.length && at.length < 100_000;) {
      at.push(o);
      const len = dv.getUint32(o + 4, le);
      if (len < 12 || len % 4) break;
      o += len;
    }
    return { le, pcapng: true, at };
  }
  const le = !PCAP_MAGICS.includes(m);
  for (let o = 24; o + 16 <= b.length && at.length < 100_000;) {
    at.push(o);
    o += 16 + dv.getUint32(o + 8, le);
  }
  return { le, pcapng: false, at };
}

/** A mutant of capture `b`, the rng deciding; `other` is spliced in sometimes. */
export function mutateCapture(b: Uint8Array, other: Uint8Array, r: Rng): Uint8Array {
  let out: Uint8Array = b.slice();
  const rounds = r.chance(0.6) ? 1 : r.range(2, 4);
  for (let k = 0; k < rounds; k++) {
    const f = fields(out);
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const set32 = (o: number, v: number) => { if (o + 4 <= out.length) dv.setUint32(o, v >>> 0, f.le); };
    const get32 = (o: number) => (o + 4 <= out.length ? dv.getUint32(o, f.le) : 0);
    const rec = f.at.length ? r.pick(f.at) : 0;
    switch (r.int(9)) {
      case 0: for (let n = r.range(1, 8); n > 0 && out.length; n--) out[r.int(out.length)] ^= 1 << r.int(8); break;
      case 1: for (let n = r.range(1, 4); n > 0 && out.length; n--) out[r.int(Math.min(out.length, 64))] = r.pick([0, 0xff, 0x7f, 0x80, r.byte()]); break;
      case 2: out = out.slice(0, r.int(out.length + 1)); break;
      case 3:
        // A record's / block's length field.
        if (f.pcapng) set32(rec + (r.chance(0.7) ? 4 : 20), r.chance(0.5) ? r.pick(EDGE32) : get32(rec + 4) + r.range(-8, 8));
        else set32(rec + (r.chance(0.5) ? 8 : 12), r.chance(0.5) ? r.pick(EDGE32) : get32(rec + 8) + r.range(-4, 4));
        break;
      case 4:
        // Timestamps, link type, snaplen, block type, byte-order magic.
        if (f.pcapng) {
          if (r.chance(0.4)) set32(rec, r.pick(BLOCK_TYPES));
          else if (r.chance(0.5)) set32(rec + 8 + r.int(4) * 4, r.pick(EDGE32));
          else set32(8, r.pick([0x1a2b3c4d, 0x4d3c2b1a, 0]));
        } else if (r.chance(0.5)) set32(rec + r.int(2) * 4, r.pick(EDGE32));
        else set32(r.pick([16, 20]), r.chance(0.5) ? r.pick(EDGE32) : r.pick([0, 1, 101, 113, 228, 229, 276, 0x10000001, 147]));
        break;
      case 5: {
        // A record repeated, or removed.
        const i = f.at.indexOf(rec);
        const end = i >= 0 && i + 1 < f.at.length ? f.at[i + 1] : out.length;
        if (end <= rec) break;
        out = r.chance(0.5)
          ? concat(out.subarray(0, end), out.subarray(rec, end), out.subarray(end))
          : concat(out.subarray(0, rec), out.subarray(end));
        break;
      }
      case 6: {
        // This file's head, another's tail (from one of its records).
        const g = fields(other);
        const from = g.at.length ? r.pick(g.at) : r.int(other.length + 1);
        const cut = f.at.length ? r.pick(f.at) : r.int(out.length + 1);
        out = concat(out.subarray(0, cut), other.subarray(from));
        break;
      }
      case 7:
        // Bytes set inside a record's packet, near its headers.
        if (rec + 60 < out.length) out[rec + 16 + r.int(44)] = r.byte();
        break;
      default: {
        // Random bytes inserted.
        const at = r.int(out.length + 1);
        out = concat(out.subarray(0, at), r.bytes(r.range(1, 64)), out.subarray(at));
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Reads a capture to its end with our reader; the error message if it cannot. */
let readBatch: CaptureBatch | undefined;
export function readBack(file: string): string | undefined {
  readBatch ??= new CaptureBatch(new Uint8Array(BATCH_MAX_BYTES), new Uint32Array(BATCH_MAX_PACKETS * DESC_WORDS), BATCH_MAX_PACKETS);
  try {
    const reader = openCaptureReader(file);
    try { while (reader.readBatch(readBatch) > 0); } finally { reader.close(); }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---------------------------------------------------------------------------
// A run

export interface CaptureFuzzOptions {
  repo: string;
  seeds: string[];
  count: number;
  seed: number;
  /** Concurrent CLI runs. */
  jobs: number;
  timeoutMs: number;
  /** Where mutants and outputs go (a failing mutant is left there). */
  workDir: string;
  progress?: (done: number) => void;
}

export interface CaptureFuzzResult {
  runs: number;
  exit0: number;
  exit2: number;
  /** Exit-2 messages by kind (file names and numbers blanked). */
  messages: Map<string, number>;
  failures: { index: number; seedFile: string; kept: string; problem: string; stderr: string }[];
  slowestMs: number;
  wallMs: number;
}

export async function runCaptureFuzz(o: CaptureFuzzOptions): Promise<CaptureFuzzResult> {
  const t0 = performance.now();
  const seeds = o.seeds.map((f) => ({ file: f, bytes: new Uint8Array(fs.readFileSync(f)) }));
  const cli = path.join(o.repo, 'dist', 'src', 'cli', 'main.js');
  const res: CaptureFuzzResult = { runs: 0, exit0: 0, exit2: 0, messages: new Map(), failures: [], slowestMs: 0, wallMs: 0 };
  fs.mkdirSync(o.workDir, { recursive: true });
  await pool(o.count, o.jobs, async (i) => {
    const r = new Rng(subSeed(o.seed, i));
    const seed = r.pick(seeds);
    const mutant = mutateCapture(seed.bytes, r.pick(seeds).bytes, r);
    const input = path.join(o.workDir, `capture-${i}${path.extname(seed.file)}`);
    const output = path.join(o.workDir, `out-${i}.${r.chance(0.5) ? 'pcapng' : 'pcap'}`);
    fs.writeFileSync(input, mutant);
    const run = await runCli(cli, ['replay', input, '-c', path.join(o.repo, 'pcaps', 'demo-cluster.yaml'), '--node', 'node-a', '-w', output], o.repo, o.timeoutMs);
    let problem = cliProblem(run);
    if (!problem && run.status === 0) {
      const err = readBack(output);
      if (err) problem = `exit 0, but the output does not read back: ${err}`;
    }
    res.runs++;
    res.slowestMs = Math.max(res.slowestMs, run.ms);
    if (run.status === 0) res.exit0++;
    if (run.status === 2) {
      res.exit2++;
      const kind = run.stderr.trim().replace(input, '<capture>').replace(/\d+/g, 'N').slice(0, 100);
      res.messages.set(kind, (res.messages.get(kind) ?? 0) + 1);
    }
    if (problem) res.failures.push({ index: i, seedFile: path.relative(o.repo, seed.file), kept: input, problem, stderr: run.stderr.slice(0, 2000) });
    else fs.rmSync(input, { force: true });
    fs.rmSync(output, { force: true });
    o.progress?.(res.runs);
  });
  res.wallMs = performance.now() - t0;
  return res;
}

/** The capture seeds: the demo, the test fixtures, and the public corpus when `corpus` holds it. */
export function captureSeeds(repo: string, corpus: string | undefined): string[] {
  const caps = (dir: string) => fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort().map((n) => path.join(dir, n)) : [];
  return [path.join(repo, 'pcaps', 'demo.pcapng'), ...caps(path.join(repo, 'test', 'fixtures', 'captures')), ...(corpus ? caps(corpus) : [])];
}
