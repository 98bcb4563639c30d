#!/usr/bin/env node
// svcplane command line. The contract is docs/cli.md.
//
// Exit status: 0 done; 1 failed while running (a write that failed: one line naming the file);
// 2 bad usage or bad input; 130 / 143 interrupted by SIGINT / SIGTERM (the summary so far is
// printed, the outputs are discarded). Standard output closed early by its reader (`| head`):
// the process ends by SIGPIPE without a word, as Unix filters do (the shell shows 141).

import { existsSync, statSync, readFileSync, openSync, readSync, closeSync, type Stats } from 'node:fs';
import { Command, CommanderError, Option, InvalidArgumentError } from 'commander';
import { replayAsync, type ReplayOptions } from '../replay/replay.js';
import { formatSummary, partialReport, type ReplayReport } from '../replay/report.js';
import { renderHtmlReport } from '../report/html.js';
import { chartBundle } from '../report/chart-bundle.js';
import { WORKERS_MAX } from '../replay/workers/pool.js';
import { CaptureFormatError } from '../capture/errors.js';
import { abortOpenOutputs } from '../capture/output-file.js';
import { formatFromPath } from '../capture/writer.js';
import { BT_SHB } from '../capture/format.js';
import { ManifestError } from '../k8s/load.js';
import { CoreError } from '../core/core.js';
import { MAGLEV_COMPATS, CILIUM_DEFAULT_SEED, type MaglevCompat } from '../core/maglev-compat.js';
import { commandLineCapacities, MAGLEV_PRIME_MAX } from '../core/capacity.js';
import { TableError } from '../core/tables.js';
import { startProgress, progressWanted, type Progress } from './progress.js';
import { loadClusterInput, NotTextError, warn } from './cluster-input.js';
import { pcapOutputProblem } from './pcap-output.js';
import { byteSizeOption, durationOption } from '../k8s/live-options.js';
import { UsageError } from './usage-error.js';
import { checkOneStandardInput } from './standard-input.js';
import { checkOutputs, writeOutput, writeStdout } from './write-output.js';
import { registerWhatif } from './whatif.js';
import { explainCommand } from './explain.js';
import { CommandFailure } from './command-failure.js';

/** Ends the command with this exit status; the message (if any) is already printed. */
class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** What a signal handler needs while a replay runs. */
const running: { progress?: Progress; controller?: AbortController; signal?: NodeJS.Signals } = {};

const SIGNAL_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const positiveInt = (name: string) => (v: string): number => {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return Number(v);
};
const workersCount = (v: string): number => {
  const n = positiveInt('--workers')(v);
  if (n > WORKERS_MAX) throw new InvalidArgumentError(`--workers must be at most ${WORKERS_MAX}`);
  return n;
};

/** package.json's version (dist/src/cli/main.js and src/cli/main.ts are three levels down). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('svcplane')
    .description('Replay captured traffic through Kubernetes Services (kube-proxy semantics, in WebAssembly).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.command('replay')
    .description('push a capture through the cluster\'s Services and write the translated capture')
    .argument('<capture>', "input pcap or pcapng file; '-' reads standard input")
    .option('-w, --write <file>', "write the translated capture; '-' writes standard output")
    .option('-c, --cluster <path>', 'Service / EndpointSlice / Node objects (YAML, JSON, List, watch events, directory); repeatable', collect)
    .option('--node <name>', 'the node this dataplane runs on')
    .option('--node-ip <ip>', 'an address of this node; repeatable', collect)
    .option('--zone <zone>', "this node's zone (default: the Node's topology.kubernetes.io/zone label)")
    .option('--cluster-cidr <cidr>', 'pod CIDR; repeatable', collect)
    .option('--service-cidr <cidr>', 'the Service address range; repeatable', collect)
    .option('--nodeport-addresses <cidr>', 'destinations that accept NodePort traffic; repeatable', collect)
    .option('--masquerade-all', 'masquerade all Service traffic')
    .option('--updates <file>', 'watch events applied during the replay at their time')
    .option('--kubeconfig <file>', 'read Services, EndpointSlices and Nodes from a live cluster (needs get/list only)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--watch', 'with --kubeconfig: keep watching the cluster and apply its changes as they come (needs watch too)')
    .option('--request-timeout <duration>', 'with --kubeconfig: give up on a list after this long (seconds, or 500ms, 30s, 2m; 0: never; default 60s)',
      durationOption('--request-timeout'))
    .option('--connect-timeout <duration>', 'with --kubeconfig: give up connecting to the API server after this long (default 10s)',
      durationOption('--connect-timeout'))
    .option('--max-response-size <size>', 'with --kubeconfig: largest answer read from the API server (bytes, or 64Mi, 500M; default 256Mi, at most 511Mi)',
      byteSizeOption('--max-response-size'))
    .addOption(new Option('--lb <algorithm>', 'backend choice for new connections').choices(['maglev', 'random']).default('maglev'))
    .option('--maglev-size <prime>', `Maglev table size per service port (a prime, at most ${MAGLEV_PRIME_MAX})`, positiveInt('--maglev-size'), 16381)
    .addOption(new Option('--maglev-compat <mode>', "whose Maglev to reproduce: svcplane (its own), cilium (Cilium's tables from "
      + "bpf-lb-maglev-hash-seed, its table sizes, its datapath's flow hash: the backend a Cilium node picks), katran or katran-v2 "
      + "(Katran's MaglevHash or MaglevHashV2 over each real's address hash, its datapath's flow hash; --maglev-size is Katran's "
      + "RING_SIZE, 65537 by default in Katran); docs/maglev-compat.md")
      .choices([...MAGLEV_COMPATS]).default('svcplane'))
    .option('--hash-seed <text>', 'seed of every hash (default "svcplane"; with --maglev-compat cilium, Cilium\'s base64 '
      + `bpf-lb-maglev-hash-seed, default ${CILIUM_DEFAULT_SEED})`)
    .option('--ct-max <n>', 'conntrack capacity (connections)', positiveInt('--ct-max'), 262144)
    .option('--max-service-ports <n>', 'service-port capacity (default: what the cluster has, at least 16384)', positiveInt('--max-service-ports'))
    .option('--max-backends <n>', 'backends at once; a removed one\'s id is reused once no connection uses it (default: what the cluster has, at least 262144)', positiveInt('--max-backends'))
    .option('--max-frontends <n>', 'frontend capacity, rounded up to a power of two (default: twice what the cluster has, at least 65536)', positiveInt('--max-frontends'))
    .option('--max-affinity <n>', 'ClientIP affinity entries (default: --ct-max)', positiveInt('--max-affinity'))
    .option('--max-fragments <n>', 'IP datagrams whose fragments are tracked (default 4096)', positiveInt('--max-fragments'))
    .option('--workers <n>', 'worker threads, the same output as one (default 1: several are slower today, bench/RESULTS.md)',
      workersCount)
    .option('--trace <file>', 'one JSON line per input packet')
    .option('--report <file>', 'write the JSON report')
    .option('--html <file>', 'write the report as one self-contained HTML page with charts')
    .option('--json', 'print the JSON report on standard output instead of the summary')
    .option('--strict', 'stop (exit 2) on any invalid cluster object instead of skipping it')
    .option('-q, --quiet', 'no progress bar, no summary (warnings and errors are still printed)')
    .action(async (capture: string, o: Record<string, unknown>) => runReplay(capture, o));
  registerWhatif(program);
  program.addCommand(explainCommand(program.commands.find((c) => c.name() === 'replay')!));
  return program;
}

async function runReplay(capture: string, o: Record<string, unknown>): Promise<void> {
  if (o.json && o.write === '-') throw new UsageError('--json and -w - both use standard output');
  if (capture !== '-' && existsSync(capture) && statSync(capture).isDirectory()) {
    throw new UsageError(`${capture}: is a directory, not a capture file`);
  }
  if (o.trace === '-' && (o.write === '-' || o.json)) throw new UsageError('--trace - shares standard output with another output');
  if (o.context && !o.kubeconfig) throw new UsageError('--context needs --kubeconfig');
  if (o.watch && !o.kubeconfig) throw new UsageError('--watch needs --kubeconfig');
  checkOneStandardInput([['the capture', capture], ['-c', o.cluster as string[] | undefined]]);
  checkReplayOutputs(capture, o);
  const capacities = commandLineCapacities(o);
  checkPcapOutput(capture, o.write as string | undefined);
  const quiet = Boolean(o.quiet);
  const strict = Boolean(o.strict);

  // Cluster objects, and what is wrong with them, before any packet.
  const { objects, problems: clusterProblems, listed } = await loadClusterInput(o, strict);

  const progress = progressWanted(quiet) ? startProgress() : undefined;
  let progressAt = { read: 0, size: undefined as number | undefined };
  const opts: ReplayOptions = {
    capture,
    write: o.write as string | undefined,
    node: o.node as string | undefined,
    zone: o.zone as string | undefined,
    updates: o.updates as string | undefined,
    trace: o.trace as string | undefined,
    strict,
    lb: o.lb as 'maglev' | 'random',
    maglevCompat: o.maglevCompat as MaglevCompat,
    hashSeed: o.hashSeed as string | undefined,
    ...capacities,
    objects,
    nodeIPs: o.nodeIp as string[] | undefined,
    podCIDRs: o.clusterCidr as string[] | undefined,
    serviceCIDRs: o.serviceCidr as string[] | undefined,
    nodePortCIDRs: o.nodeportAddresses as string[] | undefined,
    masqueradeAll: Boolean(o.masqueradeAll),
    timeline: Boolean(o.html),
    workers: o.workers as number | undefined,
    // Asked for several workers and given one: say why.
    onOneWorker: (why) => {
      if (o.workers !== undefined) {
        progress?.clearLine();
        process.stderr.write(`svcplane: note: one worker: ${why}\n`);
      }
    },
    progress: (read, size, packets) => {
      progressAt = { read, size };
      progress?.update(read, size, packets);
    },
    // --updates problems: the file's, before the first packet; an update's, when it is applied.
    onProblem: (p) => {
      progress?.clearLine();
      warn(p);
    },
  };
  // --watch: the cluster's changes during the replay, from the list's resourceVersions on.
  const watching = new AbortController();
  let watched: Promise<void> | undefined;
  if (o.watch && listed) {
    const cluster = listed;
    opts.live = (target) => {
      watched = cluster.watch(target, { signal: watching.signal, onWarning: opts.onProblem });
    };
  }
  const controller = new AbortController();
  running.controller = controller;
  running.progress = progress;
  let report: ReplayReport;
  try {
    report = await replayAsync(opts, controller.signal);
  } catch (e) {
    if (!controller.signal.aborted || e !== controller.signal.reason) throw e;
    progress?.stop();
    const signal = running.signal ?? 'SIGINT';
    interrupted(signal, partialReport(e), progressAt, o, quiet);
    throw new ExitStatus(SIGNAL_STATUS[signal] ?? 130);
  } finally {
    progress?.stop();
    running.controller = undefined;
    running.progress = undefined;
    watching.abort();
    await watched;
  }
  report.problems = [...clusterProblems, ...report.problems];
  const json = JSON.stringify(report, null, 2) + '\n';
  const html = o.html ? renderHtmlReport(report, chartBundle()) : undefined;
  if (o.report) writeOutput(o.report as string, json);
  if (html !== undefined) writeOutput(o.html as string, html);
  if (o.json) writeStdout(json);
  else if (!quiet) {
    const summary = formatSummary(report) + '\n';
    if (o.write === '-') process.stderr.write(summary);
    else writeStdout(summary);
  }
}

/** The replay was stopped by a signal: one line saying so, and the summary so far (stderr). */
function interrupted(signal: NodeJS.Signals, r: ReplayReport | undefined, at: { read: number; size: number | undefined },
                     o: Record<string, unknown>, quiet: boolean): void {
  const where = at.size ? `${Math.floor((100 * at.read) / at.size)}% of ${r?.capture.file ?? 'the capture'}` : `${at.read} bytes read`;
  const files = [o.write, o.trace, o.report, o.html].filter((f): f is string => typeof f === 'string' && f !== '-');
  const lost = files.length ? `; not written: ${files.join(', ')}` : '';
  const packets = r !== undefined ? ` after ${r.packets.in} packets` : '';
  process.stderr.write(`svcplane: interrupted by ${signal}${packets} (${where})${lost}\n`);
  if (!quiet && r !== undefined) process.stderr.write(formatSummary(r) + '\n');
}

/**
 * pcapng → pcap needs one link type and one timestamp resolution: refused before any work when
 * the input is a regular file (from standard input it can only be found mid-run).
 */
function checkPcapOutput(capture: string, write: string | undefined): void {
  if (write === undefined || write === '-' || capture === '-' || formatFromPath(write) !== 'pcap') return;
  if (!statOrUndefined(capture)?.isFile() || !isPcapng(capture)) return;
  const problem = pcapOutputProblem(capture);
  if (problem !== undefined) throw new UsageError(`${write}: cannot write pcap: ${problem}`);
}

function isPcapng(file: string): boolean {
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32BE(0) === BT_SHB;
  } catch {
    return false;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** replay's inputs and outputs, for checkOutputs(). */
function checkReplayOutputs(capture: string, o: Record<string, unknown>): void {
  const inputs: [string, string][] = [];
  if (capture !== '-') inputs.push(['the input capture', capture]);
  if (o.updates) inputs.push(['the --updates file', o.updates as string]);
  for (const c of (o.cluster as string[] | undefined) ?? []) inputs.push(['the cluster file', c]);
  if (o.kubeconfig) inputs.push(['the kubeconfig', o.kubeconfig as string]);
  checkOutputs(inputs, [['-w', o.write], ['--trace', o.trace], ['--report', o.report], ['--html', o.html]]);
}

/** Whether a file exists and what it is (undefined when it cannot be stat'ed). */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** Exit status main() returns when standard output was closed by its reader. */
export const EXIT_SIGPIPE = 141;

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return failure(e);
  }
}

/** Prints what went wrong (one line, unless it is a bug) and gives the exit status. */
function failure(e: unknown): number {
  if (e instanceof ExitStatus) return e.status;
  if (e instanceof CommandFailure) {
    process.stderr.write(`svcplane: ${e.message}\n`);
    return e.status;
  }
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
    return 2; // commander already printed the message
  }
  const err = e as Error & NodeJS.ErrnoException;
  if (err.code === 'EPIPE') return EXIT_SIGPIPE;
  if (e instanceof UsageError || e instanceof CaptureFormatError || e instanceof ManifestError || e instanceof CoreError ||
      e instanceof TableError || e instanceof NotTextError || err.code === 'ELIVE') {
    process.stderr.write(`svcplane: ${err.message}\n`);
    return 2;
  }
  // pcapng → pcap from standard input: the capture writer finds the second link type (or
  // timestamp resolution) mid-run. Bad input, like any other.
  if (/^[^\n]*: cannot write pcap: /.test(err.message ?? '')) {
    process.stderr.write(`svcplane: ${err.message}\n`);
    return 2;
  }
  if (typeof err.code === 'string' && typeof err.syscall === 'string') {
    // A system call that failed on a file: reading or writing one (ENOSPC, EIO, ...).
    process.stderr.write(`svcplane: ${systemErrorLine(err)}\n`);
    return err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES' ? 2 : 1;
  }
  if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') {
    process.stderr.write(`svcplane: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`svcplane: failed: ${err.stack ?? err.message}\n`);
  return 1;
}

/** `/dev/full: no space left on device`: the file, then the system's words for the error. */
function systemErrorLine(err: NodeJS.ErrnoException): string {
  // Node's messages read "ENOSPC: no space left on device, write" or "..., open 'x.pcap'".
  const m = /^[A-Z0-9_]+: (.*?), [a-z_]+(?: '.*')?$/s.exec(err.message);
  const what = m ? m[1]! : err.message;
  const file = err.path === '-' ? (err.syscall === 'read' ? 'standard input' : 'standard output') : err.path;
  return file !== undefined ? `${file}: ${what}` : `${what} (${err.syscall})`;
}

/** Ends the process as a Unix filter does when its reader has gone: by SIGPIPE, silently. */
function dieOfSigpipe(): void {
  abortOpenOutputs();
  running.progress?.stop();
  // Node ignores SIGPIPE; a listener added and removed puts back the default action (terminate).
  const nothing = (): void => {};
  process.on('SIGPIPE', nothing);
  process.removeListener('SIGPIPE', nothing);
  process.kill(process.pid, 'SIGPIPE');
  process.exitCode = EXIT_SIGPIPE; // only if the signal did not end the process
}

// Temporary output files do not outlive the process, nor does a hidden cursor.
process.on('exit', () => {
  running.progress?.stop();
  abortOpenOutputs();
});
// A replay stops between chunks and prints its summary so far; anywhere else, or on a second
// signal, the process ends at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const c = running.controller;
    if (c !== undefined && !c.signal.aborted) {
      running.signal = signal;
      c.abort();
      return;
    }
    running.progress?.stop();
    abortOpenOutputs();
    process.exit(SIGNAL_STATUS[signal]);
  });
}
// Standard error closed by its reader: nothing more can be said.
process.stderr.on('error', () => {});
void main(process.argv.slice(2)).then((status) => {
  if (status === EXIT_SIGPIPE) dieOfSigpipe();
  else process.exitCode = status;
});
