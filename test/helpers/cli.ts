// Runs the `svcplane` command line as a child process, as users run it, for the end-to-end tests
// (test/cli-*.test.ts, test/corpus-*.test.ts).
//
//   beforeAll(() => ensureBuilt());                      // once per test file (cheap when up to date)
//   const r = runCli(['replay', file, '-w', out, '-q']); // { status, stdout, stderr, ... }
//   const rs = await Promise.all(files.map((f) => runCliAsync(['replay', f, ...])));
//
// ensureBuilt() compiles the TypeScript (`npx tsc -p tsconfig.json`, then `node scripts/bundle.mjs`)
// when the command users run, dist/src/cli/svcplane.js, is missing or older than a source file; it does it at most once per process and takes a lock so
// that parallel test processes do not compile over each other. The WebAssembly core is built by
// npm's prepare step (`npm run asbuild`); ensureBuilt() only checks it is there.
//
// tsharkFieldsAsync / tsharkRecordsAsync are non-blocking versions of the functions of
// ./tshark.ts (same conventions, same parsing helpers), so that tshark runs can overlap;
// tsharkRecordsMany reads many captures with one tshark run; capinfosInterfaces lists the
// interfaces `capinfos -M` shows.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD_FIELDS, recordsFromRows, fieldsResult, type TsharkRecord } from './tshark.js';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The command line as users run it (package.json "bin"): the bundle of dist/src/cli/main.js. */
export const CLI = path.join(REPO, 'dist', 'src', 'cli', 'svcplane.js');
/** The release build of the core the CLI loads. */
export const CORE_WASM = path.join(REPO, 'build', 'core.wasm');

/** Default time limit of one CLI run. */
export const CLI_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Build check

/** Inputs of `tsc -p tsconfig.json` (its "include"), plus the configuration itself. */
const TS_INPUT_DIRS = ['src', 'bench', 'examples', path.join('assembly', 'abi')];

let built = false;

function newestMtime(dir: string): number {
  let newest = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function distStaleness(): string | undefined {
  if (!fs.existsSync(CLI)) return `${path.relative(REPO, CLI)} is missing`;
  const out = fs.statSync(CLI).mtimeMs;
  let newest = fs.statSync(path.join(REPO, 'tsconfig.json')).mtimeMs;
  for (const d of TS_INPUT_DIRS) newest = Math.max(newest, newestMtime(path.join(REPO, d)));
  return newest > out ? `${path.relative(REPO, CLI)} is older than the TypeScript sources` : undefined;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Makes sure the CLI can run: build/core.wasm exists (else throws, saying how to build it) and
 * dist/ is at least as new as the TypeScript sources (else runs `npx tsc -p tsconfig.json`,
 * throwing with the compiler's output when it wrote no CLI; type errors alone only warn, since
 * tsc still emits). Runs the check once per process.
 */
export function ensureBuilt(): void {
  if (built) return;
  if (!fs.existsSync(CORE_WASM)) {
    throw new Error(
      `${path.relative(REPO, CORE_WASM)} is missing: build the core first ` +
        '(`npm run asbuild`, or `npx asc assembly/index.ts --target release`)',
    );
  }
  const lock = path.join(os.tmpdir(), `svcplane-tsc-${Buffer.from(REPO).toString('hex').slice(-32)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (distStaleness() === undefined) break;
    let mine = false;
    try {
      fs.mkdirSync(lock);
      mine = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another process is compiling; a lock older than 5 minutes is left over from a crash.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        /* removed meanwhile */
      }
    }
    if (mine) {
      try {
        const why = distStaleness();
        if (why === undefined) break;
        const started = Date.now();
        const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 240_000,
          shell: process.platform === 'win32',
        });
        const b = r.error ? undefined : spawnSync(process.execPath, [path.join(REPO, 'scripts', 'bundle.mjs')], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 120_000,
        });
        if (b && (b.error || b.status !== 0)) {
          throw new Error(`bundling dist/: \`node scripts/bundle.mjs\` exited with ${b.error?.message ?? b.status}:\n${b.stdout}${b.stderr}`);
        }
        if (r.error || r.status !== 0) {
          const msg =
            `building dist/ (${why}): \`npx tsc -p tsconfig.json\` exited with ` +
            `${r.error?.message ?? r.status}:\n${(r.stdout ?? '') + (r.stderr ?? '')}`;
          // tsc emits in spite of type errors (those fail the build job, not these tests); fail
          // here only when it did not write the CLI.
          const emitted = fs.existsSync(CLI) && fs.statSync(CLI).mtimeMs >= started - 2000;
          if (r.error || !emitted) throw new Error(msg);
          console.warn(msg);
        }
        // A source saved while tsc ran leaves dist/ stale again: compile only once anyway.
        break;
      } finally {
        fs.rmSync(lock, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build dist/ (lock ${lock})`);
    sleepMs(250);
  }
  built = true;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface CliOptions {
  /** Bytes for standard input (default: none, stdin is closed). */
  input?: Uint8Array | string;
  /** Time limit in ms (default CLI_TIMEOUT_MS); the child is killed after it. */
  timeout?: number;
  /** Working directory (default: the repository root). */
  cwd?: string;
}

export interface CliResult {
  /** Exit status; null when killed (see signal / timedOut). */
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Standard output as bytes (captures written with -w -). */
  stdoutBytes: Buffer;
  /** Standard output as UTF-8 text. */
  stdout: string;
  stderr: string;
  /** The command, for assertion messages. */
  command: string;
}

function commandLine(args: readonly string[]): string {
  return ['svcplane', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function childEnv(): NodeJS.ProcessEnv {
  // No colours, no TTY-dependent progress bar, stable messages.
  return { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', LC_ALL: 'C' };
}

/**
 * Node failed to load the CLI's modules (exit 1 before the CLI ran): in a shared working tree
 * this happens when a `tsc` run elsewhere is rewriting dist/ at that moment.
 */
function moduleLoadFailure(r: { status: number | null; stdout: string; stderr: string }): boolean {
  return (
    r.status === 1 &&
    r.stdout === '' &&
    !r.stderr.startsWith('svcplane:') &&
    /^(SyntaxError: |Error \[ERR_MODULE_NOT_FOUND\]|Error: Cannot find module)/m.test(r.stderr)
  );
}

const LOAD_RETRIES = 2;
const LOAD_RETRY_DELAY_MS = 2000;

/**
 * Runs `node dist/src/cli/svcplane.js ...args` and waits for it. A run that fails while Node loads
 * the modules (dist/ being rebuilt by someone else) is retried after a pause, twice at most.
 */
export function runCli(args: readonly string[], opts: CliOptions = {}): CliResult {
  for (let attempt = 0; ; attempt++) {
    const r = runCliOnce(args, opts);
    if (attempt >= LOAD_RETRIES || !moduleLoadFailure(r)) return r;
    sleepMs(LOAD_RETRY_DELAY_MS);
  }
}

function runCliOnce(args: readonly string[], opts: CliOptions): CliResult {
  const timeout = opts.timeout ?? CLI_TIMEOUT_MS;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    input: opts.input,
    env: childEnv(),
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 30,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw r.error;
  const stdoutBytes = r.stdout ?? Buffer.alloc(0);
  return {
    status: r.status,
    signal: r.signal,
    timedOut,
    stdoutBytes,
    stdout: stdoutBytes.toString('utf8'),
    stderr: (r.stderr ?? Buffer.alloc(0)).toString('utf8'),
    command: commandLine(args),
  };
}

/** runCli without blocking: several runs can go at once. */
export async function runCliAsync(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await runProcess(process.execPath, [CLI, ...args], opts);
    if (attempt >= LOAD_RETRIES || !moduleLoadFailure(r)) return { ...r, command: commandLine(args) };
    await new Promise((res) => setTimeout(res, LOAD_RETRY_DELAY_MS));
  }
}

type ProcessResult = Omit<CliResult, 'command'>;

function runProcess(file: string, args: readonly string[], opts: CliOptions & { env?: NodeJS.ProcessEnv }): Promise<ProcessResult> {
  const timeout = opts.timeout ?? CLI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        status,
        signal,
        timedOut,
        stdoutBytes,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // The child may exit before reading all of its input (EPIPE): that is its business.
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Runs `fn` over `items` with at most `limit` calls under way; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A sensible number of child processes to run at once. */
export const PARALLEL = Math.max(2, Math.min(8, (os.availableParallelism?.() ?? os.cpus().length) * 2));

/** A fresh temporary directory under os.tmpdir(), removed when the process exits. */
export function tempDir(prefix = 'svcplane-cli-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The JSON lines of a --trace file. */
export function readTrace(file: string): TraceLine[] {
  const text = fs.readFileSync(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

export interface TraceLine {
  index: number;
  /** tshark's frame number. */
  frame: number;
  /** tshark's frame.time_epoch. */
  time: string;
  /** What the core wrote after this packet (a reject). */
  generated?: string;
  verdict: 'translated' | 'reversed' | 'passed' | 'dropped' | 'rejected';
  reason?: string;
  service?: string;
  backend?: string;
  in?: string;
  out?: string;
}

// ---------------------------------------------------------------------------------------------
// tshark without blocking (same conventions as ./tshark.ts)

let wiresharkDir: string | undefined;

function tsharkEnv(): NodeJS.ProcessEnv {
  wiresharkDir ??= tempDir('svcplane-wireshark-');
  return { ...process.env, WIRESHARK_CONFIG_DIR: wiresharkDir, HOME: wiresharkDir, LC_ALL: 'C', TZ: 'UTC' };
}

export interface TsharkAsyncOptions {
  /** Display filter (-Y). */
  filter?: string;
  /** More tshark arguments (preferences: ['-o', 'tcp.check_checksum:TRUE']). */
  extraArgs?: string[];
  /** 'f': first occurrence of each field (default); 'a': all, joined with ','. */
  occurrence?: 'f' | 'a';
  /** Accept a non-zero exit status; default false. */
  allowFailure?: boolean;
}

/** `tshark -n -r file -T fields -e ...`: one row per record, one string per field. */
export async function tsharkFieldsAsync(
  file: string,
  fields: readonly string[],
  opts: TsharkAsyncOptions = {},
): Promise<{ rows: string[][]; status: number; stderr: string }> {
  const args = ['-n', '-r', file, ...(opts.filter ? ['-Y', opts.filter] : []), ...(opts.extraArgs ?? [])];
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', `occurrence=${opts.occurrence ?? 'f'}`, '-E', 'aggregator=,', '-E', 'quote=n');
  for (const f of fields) args.push('-e', f);
  const r = await runProcess('tshark', args, { env: tsharkEnv(), timeout: 60_000 });
  return fieldsResult(file, fields, r.status ?? -1, r.stdout, r.stderr, opts.allowFailure ?? false);
}

/** As tsharkRecordsPartial of ./tshark.ts: the packets of a capture (custom blocks left out). */
export async function tsharkRecordsAsync(
  file: string,
  opts: { allowFailure?: boolean } = {},
): Promise<{ records: TsharkRecord[]; status: number; stderr: string }> {
  const r = await tsharkFieldsAsync(file, RECORD_FIELDS, { allowFailure: opts.allowFailure });
  return { records: recordsFromRows(r.rows), status: r.status, stderr: r.stderr };
}

/** One interface as `capinfos -M` describes it. */
export interface CapinfosInterface {
  /** "Encapsulation = Ethernet (1 - ether)" → 'Ethernet (1 - ether)'. */
  encapsulation: string;
  /** "Time ticks per second" (the if_tsresol). */
  ticksPerSecond: number;
  /** "Capture length" (snaplen). */
  snaplen: number;
}

/** The interfaces `capinfos -M` lists (every "Interface #n info:" block, in order). */
export function capinfosInterfaces(file: string): CapinfosInterface[] {
  const r = spawnSync('capinfos', ['-M', file], { env: tsharkEnv(), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`capinfos ${file} exited with ${r.status}: ${r.stderr}`);
  const out: CapinfosInterface[] = [];
  let cur: CapinfosInterface | undefined;
  for (const line of r.stdout.split('\n')) {
    if (/^Interface #\d+ info:/.test(line)) {
      cur = { encapsulation: '', ticksPerSecond: NaN, snaplen: NaN };
      out.push(cur);
      continue;
    }
    const m = /^\s+([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!cur || !m) continue;
    if (m[1] === 'Encapsulation') cur.encapsulation = m[2]!.trim();
    else if (m[1] === 'Time ticks per second') cur.ticksPerSecond = Number(m[2]);
    else if (m[1] === 'Capture length') cur.snaplen = Number(m[2]);
  }
  return out;
}

/**
 * tsharkRecordsAsync for many single-interface captures (classic pcap, or pcapng with one
 * interface) with one tshark run: `mergecap -a -I none` concatenates them keeping one interface
 * per file, in order, so the merged interface ID tells which file a packet came from. tshark
 * starts slowly (about 0.3 s of CPU), so this is much cheaper than one run per file. Each
 * file's records come back with `iface` 0 and `section` 1, as tshark shows them for that file
 * alone. Files with more than one interface, and every file when mergecap fails, are read one
 * by one.
 */
export async function tsharkRecordsMany(
  files: readonly string[],
): Promise<{ records: TsharkRecord[]; status: number; stderr: string }[]> {
  const results = new Array<{ records: TsharkRecord[]; status: number; stderr: string }>(files.length);
  const single: number[] = [];
  const alone: number[] = [];
  files.forEach((f, i) => (capinfosInterfacesOrNone(f) === 1 ? single : alone).push(i));
  if (single.length > 0) {
    const merged = path.join(tempDir('svcplane-merge-'), 'merged.pcapng');
    const m = await runProcess('mergecap', ['-a', '-I', 'none', '-F', 'pcapng', '-w', merged, ...single.map((i) => files[i]!)], {
      env: tsharkEnv(),
      timeout: 60_000,
    });
    if (m.status === 0) {
      const all = await tsharkRecordsAsync(merged);
      for (let k = 0; k < single.length; k++) results[single[k]!] = { records: [], status: all.status, stderr: all.stderr };
      for (const rec of all.records) {
        const k = rec.iface ?? -1;
        if (k < 0 || k >= single.length) throw new Error(`merged capture: packet ${rec.frame} on unexpected interface ${rec.iface}`);
        results[single[k]!]!.records.push({ ...rec, iface: 0, section: 1 });
      }
      // Frame numbers as tshark gives them for the file alone.
      for (const i of single) results[i]!.records.forEach((rec, j) => (rec.frame = j + 1));
    } else {
      alone.push(...single);
    }
  }
  await Promise.all(alone.map(async (i) => (results[i] = await tsharkRecordsAsync(files[i]!, { allowFailure: true }))));
  return results;
}

/** How many interfaces capinfos lists in a file; 0 when capinfos cannot read it. */
function capinfosInterfacesOrNone(file: string): number {
  try {
    return capinfosInterfaces(file).length;
  } catch {
    return 0;
  }
}
