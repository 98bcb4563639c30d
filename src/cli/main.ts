#!/usr/bin/env node
// svcplane command line. The contract is shared/spec/cli.md.

import { existsSync, statSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command, CommanderError, Option, InvalidArgumentError } from 'commander';
import { replayAsync, type ReplayOptions } from '../replay/replay.js';
import { formatSummary } from '../replay/report.js';
import { CaptureFormatError } from '../capture/errors.js';
import { OutputFile, abortOpenOutputs } from '../capture/output-file.js';
import { writeFdFully } from '../capture/io.js';
import { ManifestError } from '../k8s/load.js';
import { CoreError } from '../core/core.js';
import { TableError } from '../core/tables.js';
import { startProgress } from './progress.js';
import { byteSizeOption, durationOption } from '../k8s/live-options.js';

/** Bad usage or bad input: exit 2. */
export class UsageError extends Error {}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const positiveInt = (name: string) => (v: string): number => {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return Number(v);
};


export function buildProgram(): Command {
  const program = new Command('svcplane')
    .description('Replay captured traffic through Kubernetes Services (kube-proxy semantics, in WebAssembly).')
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
    .option('--request-timeout <duration>', 'with --kubeconfig: give up on a list after this long (seconds, or 500ms, 30s, 2m; 0: never; default 60s)',
      durationOption('--request-timeout'))
    .option('--connect-timeout <duration>', 'with --kubeconfig: give up connecting to the API server after this long (default 10s)',
      durationOption('--connect-timeout'))
    .option('--max-response-size <size>', 'with --kubeconfig: largest answer read from the API server (bytes, or 64Mi, 500M; default 256Mi, at most 511Mi)',
      byteSizeOption('--max-response-size'))
    .addOption(new Option('--lb <algorithm>', 'backend choice for new connections').choices(['maglev', 'random']).default('maglev'))
    .option('--maglev-size <prime>', 'Maglev table size per service port', positiveInt('--maglev-size'), 16381)
    .option('--hash-seed <text>', 'seed of every hash', 'svcplane')
    .option('--ct-max <n>', 'conntrack capacity (connections)', positiveInt('--ct-max'), 262144)
    .option('--trace <file>', 'one JSON line per input packet')
    .option('--report <file>', 'write the JSON report')
    .option('--json', 'print the JSON report on standard output instead of the summary')
    .option('--strict', 'stop (exit 2) on any invalid cluster object instead of skipping it')
    .option('-q, --quiet', 'no progress bar, no summary')
    .action(async (capture: string, o: Record<string, unknown>) => runReplay(capture, o));
  return program;
}

async function runReplay(capture: string, o: Record<string, unknown>): Promise<void> {
  if (o.json && o.write === '-') throw new UsageError('--json and -w - both use standard output');
  if (capture !== '-' && existsSync(capture) && statSync(capture).isDirectory()) {
    throw new UsageError(`${capture}: is a directory, not a capture file`);
  }
  if (o.trace === '-' && (o.write === '-' || o.json)) throw new UsageError('--trace - shares standard output with another output');
  if (o.context && !o.kubeconfig) throw new UsageError('--context needs --kubeconfig');
  checkOutputs(capture, o);
  const quiet = Boolean(o.quiet);
  let objects;
  if (o.kubeconfig) {
    // Loaded lazily: the Kubernetes client is large and only this path needs it.
    const { loadFromKubeconfig } = await import('../k8s/live.js');
    const live = await loadFromKubeconfig(o.kubeconfig as string, o.context as string | undefined, { strict: Boolean(o.strict),
      requestTimeoutMs: o.requestTimeout as number | undefined, connectTimeoutMs: o.connectTimeout as number | undefined,
      maxResponseBytes: o.maxResponseSize as number | undefined });
    objects = live.objects;
  }
  const progress = !quiet && process.stderr.isTTY ? startProgress() : undefined;
  const opts: ReplayOptions = {
    capture,
    write: o.write as string | undefined,
    cluster: o.cluster as string[] | undefined,
    node: o.node as string | undefined,
    zone: o.zone as string | undefined,
    updates: o.updates as string | undefined,
    trace: o.trace as string | undefined,
    strict: Boolean(o.strict),
    lb: o.lb as 'maglev' | 'random',
    maglevSize: o.maglevSize as number,
    hashSeed: o.hashSeed as string,
    ctMax: o.ctMax as number,
    objects,
    nodeIPs: o.nodeIp as string[] | undefined,
    podCIDRs: o.clusterCidr as string[] | undefined,
    serviceCIDRs: o.serviceCidr as string[] | undefined,
    nodePortCIDRs: o.nodeportAddresses as string[] | undefined,
    masqueradeAll: Boolean(o.masqueradeAll),
    progress: progress?.update,
  };
  let report;
  try {
    report = await replayAsync(opts);
  } finally {
    progress?.stop();
  }
  const json = JSON.stringify(report, null, 2) + '\n';
  if (o.report) writeOutput(o.report as string, json);
  if (o.json) process.stdout.write(json);
  else if (!quiet) {
    for (const p of report.problems) process.stderr.write(`svcplane: warning: ${p}\n`);
    (o.write === '-' ? process.stderr : process.stdout).write(formatSummary(report) + '\n');
  }
}

/**
 * Refuses an output (-w, --trace, --report) that is the same file as an input, or as another
 * output: opening it would destroy the input, or two writers would share one file.
 */
function checkOutputs(capture: string, o: Record<string, unknown>): void {
  const inputs: [string, string][] = [];
  if (capture !== '-') inputs.push(['the input capture', capture]);
  if (o.updates) inputs.push(['the --updates file', o.updates as string]);
  for (const c of (o.cluster as string[] | undefined) ?? []) inputs.push(['the cluster file', c]);
  if (o.kubeconfig) inputs.push(['the kubeconfig', o.kubeconfig as string]);
  const seen: [string, string, string][] = [];
  for (const [option, out] of [['-w', o.write], ['--trace', o.trace], ['--report', o.report]] as [string, unknown][]) {
    if (typeof out !== 'string' || out === '-') continue;
    const st = statOrUndefined(out);
    if (st !== undefined && !st.isFile()) continue; // /dev/null and the like: written directly, may be shared
    if (st !== undefined) {
      for (const [kind, input] of inputs) {
        const ist = statOrUndefined(input);
        if (ist?.isFile() && ist.dev === st.dev && ist.ino === st.ino) {
          throw new UsageError(`${out}: is the same file as ${kind} ${input}; refusing to overwrite it`);
        }
      }
    }
    // Existing files by device and inode; new ones by their directory's real path and name.
    const key = st !== undefined ? `${st.dev}:${st.ino}` : join(realOrSelf(dirname(out)), basename(out));
    const twin = seen.find(([k]) => k === key);
    if (twin) throw new UsageError(`${out}: is the same file as the ${twin[1]} output ${twin[2]}; refusing to write it twice`);
    seen.push([key, option, out]);
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function realOrSelf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Writes a whole output file through OutputFile (in place only when complete). */
function writeOutput(file: string, text: string): void {
  const out = OutputFile.open(file);
  try {
    const bytes = Buffer.from(text);
    writeFdFully(out.fd, bytes, 0, bytes.length);
  } catch (e) {
    out.abort();
    throw e;
  }
  out.commit();
}

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
      return 2; // commander already printed the message
    }
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || e instanceof CaptureFormatError || e instanceof ManifestError || e instanceof CoreError ||
        e instanceof TableError || err.code === 'ELIVE') {
      process.stderr.write(`svcplane: ${err.message}\n`);
      return 2;
    }
    if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') {
      process.stderr.write(`svcplane: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`svcplane: failed: ${err.stack ?? err.message}\n`);
    return 1;
  }
}

// Temporary output files do not outlive the process (interrupted runs: exit 130 / 143).
process.on('exit', abortOpenOutputs);
for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    abortOpenOutputs();
    process.exit(status);
  });
}
process.exitCode = await main(process.argv.slice(2));
