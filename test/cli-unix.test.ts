// The command as a Unix filter, run as a child process:
//   - standard output closed early by its reader (`-w - | head -c 100`, `--trace - | head`,
//     `--json | head -c 10`): the process ends by SIGPIPE, says nothing, leaves no file behind;
//   - a full disk (/dev/full) under -w, --trace, --report, --json and the summary: exit 1 and
//     one line naming the file (`svcplane: /dev/full: no space left on device`), no stack;
//   - --version prints package.json's version.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, ensureBuilt, runCli, tempDir } from './helpers/cli.js';

const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
const ROOT = tempDir('svcplane-cli-unix-');
let dirs = 0;
const freshDir = (): string => fs.mkdirSync(path.join(ROOT, String(dirs++)), { recursive: true })!;
const haveDevFull = fs.existsSync('/dev/full');

interface Closed {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Bytes read from standard output before it was closed. */
  read: number;
  stderr: string;
}

/**
 * Runs the CLI and closes the read end of its standard output after `keep` bytes, as
 * `| head -c keep` does.
 */
function runClosingStdout(args: string[], keep: number): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', LC_ALL: 'C', SVCPLANE_PROGRESS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let read = 0;
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      read += b.length;
      if (read >= keep) child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, read, stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Ended as a Unix filter whose reader went away: by SIGPIPE (a shell shows 141), silently. */
function expectSigpipe(r: Closed): void {
  expect(r.stderr).toBe('');
  expect(r.signal === 'SIGPIPE' || r.status === 141, `status ${r.status}, signal ${r.signal}`).toBe(true);
}

beforeAll(() => ensureBuilt());

describe('standard output closed by its reader', () => {
  it('-w - | head -c 100: SIGPIPE, no message', async () => {
    const r = await runClosingStdout(['replay', DEMO, '-c', DEMO_CLUSTER, '--node', 'node-a', '-w', '-'], 100);
    expect(r.read).toBeGreaterThanOrEqual(100);
    expectSigpipe(r);
  });

  it('--trace - | head: SIGPIPE, no message, and the -w file it was writing is discarded', async () => {
    const dir = freshDir();
    const r = await runClosingStdout(['replay', DEMO, '-c', DEMO_CLUSTER, '--trace', '-', '-w', path.join(dir, 'out.pcapng'),
      '--report', path.join(dir, 'r.json')], 200);
    expectSigpipe(r);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('the same with -q (only the trace on standard output)', async () => {
    const r = await runClosingStdout(['replay', DEMO, '--trace', '-', '-q'], 1);
    expectSigpipe(r);
  });

  it('closed before anything is written (--json | head -c 0) ends the same way', async () => {
    // The report is short: the reader must be gone before it is written. A large trace file
    // first gives the reader time to close.
    const dir = freshDir();
    const child = spawn(process.execPath, [CLI, 'replay', DEMO, '-c', DEMO_CLUSTER, '--json', '--trace', path.join(dir, 't.jsonl')], {
      cwd: REPO, env: { ...process.env, SVCPLANE_PROGRESS: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('close', (s, g) => res([s, g])));
    expectSigpipe({ status, signal, read: 0, stderr: Buffer.concat(err).toString('utf8') });
  });
});

describe.skipIf(!haveDevFull)('a full disk: exit 1, one line naming the file', () => {
  const cases: [string, string[], string][] = [
    ['-w /dev/full (the record walk)', ['-w', '/dev/full'], '/dev/full'],
    ['-w /dev/full on the per-packet path (with --trace)', ['-w', '/dev/full', '--trace', '/dev/null'], '/dev/full'],
    ['--trace /dev/full', ['--trace', '/dev/full'], '/dev/full'],
    ['--report /dev/full', ['--report', '/dev/full'], '/dev/full'],
  ];
  for (const [name, args, file] of cases) {
    it(name, () => {
      const r = runCli(['replay', DEMO, '-c', DEMO_CLUSTER, '--node', 'node-a', ...args, '-q']);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toBe(`svcplane: ${file}: no space left on device\n`);
    });
  }

  it('--json and the summary to a full standard output', () => {
    for (const extra of [['--json'], []]) {
      const fd = fs.openSync('/dev/full', 'w');
      try {
        const r = spawnToFd(['replay', DEMO, ...extra], fd);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toBe('svcplane: standard output: no space left on device\n');
      } finally {
        fs.closeSync(fd);
      }
    }
  });

  it('-w - to a full standard output', () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const r = spawnToFd(['replay', DEMO, '-w', '-', '-q'], fd);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toBe('svcplane: standard output: no space left on device\n');
    } finally {
      fs.closeSync(fd);
    }
  });
});

/** Runs the CLI with standard output on `fd`; collects standard error. */
function spawnToFd(args: string[], fd: number): { status: number | null; stderr: string } {
  const dir = freshDir();
  const errFile = path.join(dir, 'stderr');
  const errFd = fs.openSync(errFile, 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', fd, errFd], env: { ...process.env, SVCPLANE_PROGRESS: '0' } });
    return { status: r.status, stderr: fs.readFileSync(errFile, 'utf8') };
  } finally {
    fs.closeSync(errFd);
  }
}

describe('--version', () => {
  it("prints package.json's version, exit 0", () => {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
      expect(r.stderr).toBe('');
    }
  });
});
