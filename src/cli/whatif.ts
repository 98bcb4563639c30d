// `svcplane whatif`: the command line of src/whatif/. Its node, cluster and capacity options are
// replay's own Option objects (same flags, parsing and defaults); it adds the proposed state
// (--next, --next-replicas, --next-lb) and its outputs.

import { existsSync, statSync } from 'node:fs';
import { Option, InvalidArgumentError, type Command } from 'commander';
import { commandLineCapacities, CAPACITY_DEFAULTS } from '../core/capacity.js';
import { setTooLarge } from '../core/tables.js';
import type { MaglevCompat } from '../core/maglev-compat.js';
import { whatif, type Lb } from '../whatif/whatif.js';
import { parseReplicaChange, withReplicas, ReplicasError, type ReplicaChange } from '../whatif/replicas.js';
import { formatWhatifSummary } from '../whatif/summary.js';
import { renderWhatifHtml } from '../report/whatif-html.js';
import { chartBundle } from '../report/chart-bundle.js';
import { emptyClusterObjects } from '../k8s/objects.js';
import { loadClusterFiles, loadClusterInput } from './cluster-input.js';
import { UsageError } from './usage-error.js';
import { checkOneStandardInput } from './standard-input.js';
import { startProgress, progressWanted } from './progress.js';
import { checkOutputs, writeOutput, writeStdout } from './write-output.js';

/** replay's options that whatif takes as they are, in --help order. */
const SHARED_CLUSTER = ['--context', '--request-timeout', '--connect-timeout', '--max-response-size'];
const SHARED_NODE = [
  '--node', '--node-ip', '--zone', '--cluster-cidr', '--service-cidr', '--nodeport-addresses', '--masquerade-all',
  '--maglev-size', '--maglev-compat', '--hash-seed', '--ct-max', '--max-service-ports', '--max-backends', '--max-frontends', '--max-affinity',
  '--max-fragments',
];
const SHARED_END = ['--json', '--strict'];
const LB_CHOICES = ['maglev', 'random'];

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const replicaChange = (v: string, prev: ReplicaChange[] = []): ReplicaChange[] => {
  try {
    return [...prev, parseReplicaChange(v)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** Adds `whatif` to the program, after `replay` (whose options it shares). */
export function registerWhatif(program: Command): void {
  const replay = program.commands.find((c) => c.name() === 'replay')!;
  const find = (flag: string): Option => replay.options.find((o) => o.long === flag)!;
  const shared = (cmd: Command, flags: string[]): void => {
    for (const f of flags) cmd.addOption(find(f));
  };
  // One of replay's options, parsed the same way, described for whatif.
  const like = (flag: string, description: string): Option => {
    const src = find(flag);
    const opt = new Option(src.flags, description);
    if (src.parseArg) opt.argParser(src.parseArg);
    return opt;
  };
  const cmd = program.command('whatif')
    .description('replay a capture through the current and a proposed state: which connections keep, move or lose their backend')
    .argument('<capture>', 'input pcap or pcapng file (read twice: not standard input)')
    .addOption(like('--cluster', 'the current state: Service / EndpointSlice / Node objects (YAML, JSON, List, watch events, directory); repeatable'))
    .addOption(like('--kubeconfig', 'read the current state from a live cluster (needs get/list only); combines with -c'));
  shared(cmd, SHARED_CLUSTER);
  cmd.option('--next <path>', 'the proposed state: Service / EndpointSlice / Node objects as -c takes them (the whole state); repeatable; default: the current state', collect)
    .option('--next-replicas <service=n>', 'in the proposed state, scale a Service ([namespace/]name) to n ready endpoints: synthetic ones added, the highest addresses removed; repeatable',
      replicaChange);
  shared(cmd, SHARED_NODE);
  cmd.addOption(new Option('--lb <algorithm>', 'backend choice in the current state').choices(LB_CHOICES).default('maglev'))
    .addOption(new Option('--next-lb <algorithm>', 'backend choice in the proposed state (default: --lb)').choices(LB_CHOICES))
    .option('--html <file>', 'write the comparison as one self-contained HTML page with charts');
  shared(cmd, SHARED_END);
  cmd.option('-q, --quiet', 'no progress bar, no summary (warnings and errors are still printed)');
  cmd.action(async (capture: string, o: Record<string, unknown>) => runWhatif(capture, o));
}

async function runWhatif(capture: string, o: Record<string, unknown>): Promise<void> {
  if (capture === '-') throw new UsageError('whatif reads the capture twice: give a file, not standard input');
  if (existsSync(capture) && statSync(capture).isDirectory()) throw new UsageError(`${capture}: is a directory, not a capture file`);
  if (o.context && !o.kubeconfig) throw new UsageError('--context needs --kubeconfig');
  const next = o.next as string[] | undefined;
  const replicas = (o.nextReplicas as ReplicaChange[] | undefined) ?? [];
  if (!next?.length && replicas.length === 0 && o.nextLb === undefined) {
    throw new UsageError('whatif needs a proposed state: --next, --next-replicas or --next-lb');
  }
  checkOneStandardInput([['-c', o.cluster as string[] | undefined], ['--next', next]]);
  if (o.html === '-') throw new UsageError('--html -: write the page to a file (--json prints the report)');
  const inputs: [string, string][] = [['the input capture', capture]];
  for (const c of (o.cluster as string[] | undefined) ?? []) inputs.push(['the cluster file', c]);
  for (const c of next ?? []) inputs.push(['the --next file', c]);
  if (o.kubeconfig) inputs.push(['the kubeconfig', o.kubeconfig as string]);
  checkOutputs(inputs, [['--html', o.html]]);
  const capacities = commandLineCapacities(o);
  const strict = Boolean(o.strict);

  const current = await loadClusterInput(o, strict);
  const currentObjects = current.objects ?? emptyClusterObjects();
  let proposed = currentObjects;
  const problems = [...current.problems];
  if (next?.length) {
    const loaded = loadClusterFiles(next, strict);
    proposed = loaded.objects;
    problems.push(...loaded.problems);
  }
  let effects;
  try {
    ({ objects: proposed, effects } = withReplicas(proposed, replicas));
  } catch (e) {
    if (e instanceof ReplicasError) throw new UsageError(`--next-replicas ${e.message}`);
    throw e;
  }
  // A scaled set a Maglev table cannot hold: refused before the first replay, not after it.
  const maglevSize = capacities.maglevSize ?? CAPACITY_DEFAULTS.maglevSize;
  for (const e of effects) {
    const tooLarge = setTooLarge(`--next-replicas ${e.service}=${e.to}`, e.to, maglevSize, o.maglevCompat as MaglevCompat);
    if (tooLarge !== undefined) throw new UsageError(tooLarge);
  }
  const lb = o.lb as Lb;
  // The bar covers both replays: the capture read twice.
  const progress = progressWanted(Boolean(o.quiet)) ? startProgress() : undefined;
  const report = await whatif({
    progress: progress && ((read, size, packets) => progress.update(read, size, packets)),
    capture, current: currentObjects, next: proposed, lb, nextLb: (o.nextLb as Lb | undefined) ?? lb, replicas: effects, problems,
    nodeName: o.node as string | undefined,
    zone: o.zone as string | undefined,
    nodeIPs: o.nodeIp as string[] | undefined,
    podCIDRs: o.clusterCidr as string[] | undefined,
    serviceCIDRs: o.serviceCidr as string[] | undefined,
    nodePortCIDRs: o.nodeportAddresses as string[] | undefined,
    masqueradeAll: Boolean(o.masqueradeAll),
    hashSeed: o.hashSeed as string,
    maglevCompat: o.maglevCompat as MaglevCompat,
    ...capacities,
  }).finally(() => progress?.stop());
  if (o.html) writeOutput(o.html as string, renderWhatifHtml(report, chartBundle()));
  if (o.json) writeStdout(JSON.stringify(report, null, 2) + '\n');
  else if (!o.quiet) writeStdout(formatWhatifSummary(report) + '\n');
}
