// Progress and interruption, run as child processes on a large generated capture
// (scripts/gen-replay-capture.mjs: 3,000,000 packets, 1000 flows, 240 MB):
//   - SIGINT / SIGTERM during a replay: exit 130 / 143, one line saying it was interrupted and
//     how far it got, the summary of the packets replayed so far, no output file and no
//     temporary file left; with the progress bar forced on (SVCPLANE_PROGRESS=1), the escape
//     sequence that shows the cursor again is written after the one that hid it. The record walk
//     (-w), --workers 2 and the per-packet path (--trace) alike;
//   - the progress line: percentage, MB/s, packets/s and ETA for a file; bytes, packets and rates
//     for a pipe (no percentage: the size is unknown).

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, ensureBuilt, tempDir } from './helpers/cli.js';
import { progressLine, startProgress } from '../src/cli/progress.js';

const ROOT = tempDir('svcplane-cli-interrupt-');
const BIG = path.join(ROOT, 'big.pcap');
const BIG_CLUSTER = path.join(ROOT, 'big-cluster.yaml');
const PACKETS = 3_000_000;
let dirs = 0;
const freshDir = (): string => fs.mkdirSync(path.join(ROOT, String(dirs++)), { recursive: true })!;

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

interface Interrupted {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with the progress bar forced on, and sends `signal` as soon as the bar is first
 * drawn (the replay is under way). `stdinFile`: piped to standard input.
 */
function runAndInterrupt(args: string[], signal: NodeJS.Signals, stdinFile?: string): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', LC_ALL: 'C', SVCPLANE_PROGRESS: '1' },
      stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let sent = false;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      err.push(b);
      if (!sent && Buffer.concat(err).toString('utf8').includes('replaying')) {
        sent = true;
        child.kill(signal);
      }
    });
    if (stdinFile) {
      child.stdin!.on('error', () => {});
      fs.createReadStream(stdinFile).pipe(child.stdin!);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, sig) => {
      clearTimeout(timer);
      resolve({ status, signal: sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The interrupted run's common checks; returns the packets it says it replayed. */
function expectInterrupted(r: Interrupted, signal: 'SIGINT' | 'SIGTERM', dir: string): number {
  expect(r.status, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
  expect(r.stdout).toBe('');
  // The cursor is hidden while the bar is drawn and shown again before the summary.
  const hidden = r.stderr.indexOf(HIDE_CURSOR);
  const shown = r.stderr.lastIndexOf(SHOW_CURSOR);
  expect(hidden).toBeGreaterThanOrEqual(0);
  expect(shown).toBeGreaterThan(hidden);
  const m = new RegExp(`svcplane: interrupted by ${signal} after (\\d+) packets \\(([^)]*)\\)(; not written: .*)?\\n`).exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  expect(r.stderr.indexOf(m![0])).toBeGreaterThan(shown);
  const packets = Number(m![1]);
  expect(packets).toBeLessThan(PACKETS);
  // The summary of what was replayed follows, with the same packet count.
  expect(r.stderr).toContain(`Actual: ${packets} packets (`);
  expect(r.stderr).toMatch(/Verdicts: passed \d+, translated \d+/);
  // No output and no temporary file.
  expect(fs.readdirSync(dir)).toEqual([]);
  return packets;
}

beforeAll(() => {
  ensureBuilt();
  const gen = path.join(REPO, 'scripts', 'gen-replay-capture.mjs');
  const r = spawnSync(process.execPath, [gen, BIG, '--packets', String(PACKETS), '--flows', '1000', '--cluster', BIG_CLUSTER], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`gen-replay-capture failed: ${r.stderr}`);
}, 120_000);

describe('interrupted replays', () => {
  it('SIGINT during the record walk (-w, --report): exit 130, summary so far, cursor shown, nothing left', async () => {
    const dir = freshDir();
    const r = await runAndInterrupt(['replay', BIG, '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcap'), '--report', path.join(dir, 'r.json')], 'SIGINT');
    const packets = expectInterrupted(r, 'SIGINT', dir);
    expect(packets).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/\(\d+% of .*big\.pcap\); not written: .*out\.pcap, .*r\.json\n/);
  });

  it('SIGTERM: exit 143', async () => {
    const dir = freshDir();
    const r = await runAndInterrupt(['replay', BIG, '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcapng')], 'SIGTERM');
    expectInterrupted(r, 'SIGTERM', dir);
  });

  it('SIGINT with --workers 2: the workers stop after their chunk, the summary counts what they ran', async () => {
    const dir = freshDir();
    const r = await runAndInterrupt(['replay', BIG, '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcap'), '--workers', '2'], 'SIGINT');
    expect(r.stderr).not.toContain('one worker');
    const packets = expectInterrupted(r, 'SIGINT', dir);
    // The percentage is where the workers stopped, as the packet count is (64-byte records: within a chunk or so).
    const percent = Number(/after \d+ packets \((\d+)% of/.exec(r.stderr)![1]);
    expect(Math.abs(percent - (100 * packets) / PACKETS)).toBeLessThanOrEqual(3);
  });

  it('SIGINT on the per-packet path (--trace): it stops too, between batches', async () => {
    const dir = freshDir();
    const r = await runAndInterrupt(['replay', BIG, '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcap'), '--trace', path.join(dir, 't.jsonl')], 'SIGINT');
    expectInterrupted(r, 'SIGINT', dir);
  });

  it('SIGINT while reading standard input: bytes read instead of a percentage', async () => {
    const dir = freshDir();
    const r = await runAndInterrupt(['replay', '-', '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcap')], 'SIGINT', BIG);
    expectInterrupted(r, 'SIGINT', dir);
    expect(r.stderr).toMatch(/\(\d+ bytes read\)/);
    // The bar on a pipe: bytes and rates, no percentage.
    expect(r.stderr).toMatch(/replaying \| [\d.]+ [kMG]?B read \| [\d.]+[kM]? packets \| [\d.]+ MB\/s \| [\d.]+[kM]? packets\/s/);
    expect(r.stderr).not.toMatch(/replaying \[/);
  });

  it('with -q: the one line, no summary', async () => {
    const dir = freshDir();
    // -q hides the bar: interrupt once the replay has opened its outputs (their temporary files).
    const child = spawn(process.execPath, [CLI, 'replay', BIG, '-c', BIG_CLUSTER, '-w', path.join(dir, 'out.pcap'), '--trace', path.join(dir, 't'), '-q'], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const poll = setInterval(() => {
      if (fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    const status = await new Promise<number | null>((res) => child.on('close', (s) => res(s)));
    clearInterval(poll);
    const stderr = Buffer.concat(err).toString('utf8');
    expect(status, stderr).toBe(130);
    expect(stderr).toMatch(/^svcplane: interrupted by SIGINT after \d+ packets \(\d+% of .*\); not written: .*\n$/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('the progress line', () => {
  it('a file: bar, percentage, MB/s, packets/s, ETA', () => {
    const line = progressLine(60e6, 240e6, 750_000, 0.5, 0, 0);
    expect(line).toMatch(/^replaying \[[\u2588\u2591]{24}\] 25% \| 120\.0 MB\/s \| 1\.50M packets\/s \| ETA 0:02$/);
  });

  it('a pipe: bytes and packets so far, rates, no percentage', () => {
    expect(progressLine(1.5e9, undefined, 20e6, 10, 0, 0)).toBe('replaying | 1.50 GB read | 20.00M packets | 150.0 MB/s | 2.00M packets/s');
  });

  it('rates count from the first update; no ETA before there is a rate', () => {
    expect(progressLine(8e6, 100e6, 1000, 0, 8e6, 1000)).toMatch(/0\.0 MB\/s \| 0 packets\/s \| ETA --:--$/);
    expect(progressLine(18e6, 100e6, 2000, 1, 8e6, 1000)).toMatch(/18% \| 10\.0 MB\/s \| 1000 packets\/s \| ETA 0:09$/);
  });

  it('a message printed while the bar is up is not erased by it; the cursor is shown at the end', () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const p = startProgress();
      p.update(1e6, 4e6, 100);
      p.clearLine();
      process.stderr.write('svcplane: warning: something\n');
      p.update(2e6, 4e6, 200);
      p.stop();
      p.stop();
    } finally {
      process.stderr.write = write;
    }
    const out = written.join('');
    const msg = out.indexOf('svcplane: warning: something\n');
    // Before the message the bar is taken off (cursor back where it was, line cleared) ...
    expect(out.lastIndexOf('\x1b8', msg)).toBeGreaterThan(out.indexOf('\x1b7'));
    // ... and drawn again after it, from a position saved after the message.
    expect(out.indexOf('\x1b7', msg)).toBeGreaterThan(msg);
    expect(out.indexOf('replaying', msg)).toBeGreaterThan(msg);
    expect(out.endsWith('\x1b[2K')).toBe(true);
    expect(out.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(out.lastIndexOf(HIDE_CURSOR));
  });
});
