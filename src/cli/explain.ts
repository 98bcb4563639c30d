// `svcplane explain`: every decision the dataplane made for the packets of one flow
// (docs/cli.md). The node and cluster options are replay's own Option objects.

import { existsSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { commandLineCapacities } from '../core/capacity.js';
import type { MaglevCompat } from '../core/maglev-compat.js';
import { explainFlow, NotInCaptureError } from '../explain/explain.js';
import { parseFlowSpec, FlowSpecError } from '../explain/flow.js';
import { formatExplanation } from '../explain/text.js';
import type { PacketExplanation } from '../explain/packet.js';
import { formatTuple, type FlowTuple } from '../replay/trace.js';
import { writeFdFully } from '../capture/io.js';
import { displayName } from '../capture/errors.js';
import { checkClusterFilesAreText, loadCluster, shortenProblem } from './cluster-input.js';
import { CommandFailure } from './command-failure.js';
import { checkOneStandardInput } from './standard-input.js';

/** What explain takes from replay: the cluster, the node, the choices and the capacities. */
const SHARED = ['--cluster', '--node', '--node-ip', '--zone', '--cluster-cidr', '--service-cidr', '--nodeport-addresses',
  '--masquerade-all', '--updates', '--lb', '--maglev-size', '--maglev-compat', '--hash-seed', '--ct-max', '--max-service-ports', '--max-backends',
  '--max-frontends', '--max-affinity', '--max-fragments', '--strict'];

/** Exit status when the capture holds no packet of the flow (or no such frame). */
export const EXIT_NOT_IN_CAPTURE = 3;

function flowOption(v: string): FlowTuple {
  try {
    return parseFlowSpec(v);
  } catch (e) {
    if (e instanceof FlowSpecError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

function frameOption(v: string): number {
  // Past 2^53 - 1 the number would round, and the "no frame N" message name another frame.
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) {
    throw new InvalidArgumentError(`--frame must be a frame number (from 1 to ${Number.MAX_SAFE_INTEGER})`);
  }
  return Number(v);
}

/** The explain command, sharing `replay`'s options of the same names. */
export function explainCommand(replay: Command): Command {
  const cmd = new Command('explain')
    .description('replay a capture and print, for each packet of one flow, every decision the dataplane made')
    .argument('<capture>', "input pcap or pcapng file; '-' reads standard input (with --flow)")
    .option('--flow <flow>', "the flow, both directions: '<tcp|udp|sctp> <src>:<port> > <dst>:<port>', "
      + "'<icmp|icmpv6> <src> > <dst>'; IPv6 as [addr]:port", flowOption)
    .option('--frame <n>', "the flow of this packet, or of the connection it belongs to (tshark's frame number, from 1)", frameOption)
    .option('--json', 'one JSON object per packet of the flow (JSON Lines) instead of text');
  if (replay.parent) cmd.copyInheritedSettings(replay.parent);
  for (const flag of SHARED) {
    const o = replay.options.find((x: Option) => x.long === flag);
    if (o) cmd.addOption(o);
  }
  cmd.addHelpText('after', `
Every packet of the capture goes through the dataplane as with \`svcplane replay\` (same options,
--updates too); for each packet of the flow (its tuple either way round, its translated tuple, ICMP
errors quoting it) it prints the frame number and capture time, conntrack before, the frontend, the
endpoint set with the kube-proxy rule that chose it and why each other endpoint is left out, the
backend and Maglev slot, the masquerade and source port chosen, conntrack after, and the verdict.

Example:
  svcplane explain pcaps/demo.pcapng -c pcaps/demo-cluster.yaml --node node-a --node-ip 192.168.49.2 \\
    --cluster-cidr 10.244.0.0/16 --flow 'tcp 172.16.7.41:52824 > 10.96.0.10:80'

Exit status: 0 explained; 2 bad usage or bad input (a bad --flow: one line); 3 the capture holds no
packet of the flow (or no such --frame).`);
  return cmd.action(async (capture: string, o: Record<string, unknown>) => runExplain(capture, o));
}

async function runExplain(capture: string, o: Record<string, unknown>): Promise<void> {
  if ((o.flow === undefined) === (o.frame === undefined)) throw new CommandFailure('explain needs one of --flow and --frame', 2);
  if (capture === '-' && o.frame !== undefined) throw new CommandFailure('--frame replays the capture twice: give a file, not standard input', 2);
  if (existsSync(capture) && statSync(capture).isDirectory()) throw new CommandFailure(`${capture}: is a directory, not a capture file`, 2);
  checkOneStandardInput([['the capture', capture], ['-c', o.cluster as string[] | undefined]]);
  const capacities = commandLineCapacities(o);
  const strict = Boolean(o.strict);
  const cluster = (o.cluster as string[] | undefined) ?? [];
  let objects;
  let problems: string[] = [];
  if (cluster.length) {
    checkClusterFilesAreText(cluster);
    const loaded = loadCluster(cluster, strict);
    problems = loaded.warnings;
    objects = loaded.result.objects;
  }
  const warn = (p: string): void => void process.stderr.write(`svcplane: warning: ${shortenProblem(p.replace(/^([^ ]*): warning: /, '$1: '))}\n`);
  problems.forEach(warn);
  const json = Boolean(o.json);
  const print = (text: string): void => {
    const bytes = Buffer.from(text);
    writeFdFully(1, bytes, 0, bytes.length);
  };
  let count = 0;
  let selected: FlowTuple | undefined;
  const flowLine = (flow: FlowTuple): string => `flow ${formatTuple(flow)}, both directions`;
  try {
    const { flow, report } = await explainFlow({
      capture, objects, ...capacities, strict,
      node: o.node as string | undefined, zone: o.zone as string | undefined, updates: o.updates as string | undefined,
      lb: o.lb as 'maglev' | 'random', hashSeed: o.hashSeed as string, maglevCompat: o.maglevCompat as MaglevCompat,
      nodeIPs: o.nodeIp as string[] | undefined, podCIDRs: o.clusterCidr as string[] | undefined,
      serviceCIDRs: o.serviceCidr as string[] | undefined, nodePortCIDRs: o.nodeportAddresses as string[] | undefined,
      masqueradeAll: Boolean(o.masqueradeAll),
      flow: o.flow as FlowTuple | undefined, frame: o.frame as number | undefined,
      onProblem: warn,
      onFlow: (f) => {
        selected = f;
      },
      onPacket: (e: PacketExplanation) => {
        if (count++ === 0 && !json) print(flowLine(selected!) + '\n');
        if (json) print(JSON.stringify(e) + '\n');
        else print('\n' + formatExplanation(e) + '\n');
      },
    });
    if (count === 0) {
      throw new CommandFailure(`${displayName(capture)}: no packet of ${formatTuple(flow)} (either direction) among its ${report.packets.in} packets`,
        EXIT_NOT_IN_CAPTURE);
    }
    if (!json) {
      print(`\n${count} packet${count === 1 ? '' : 's'} of the flow among ${report.packets.in} in the capture\n`);
    }
  } catch (e) {
    if (e instanceof NotInCaptureError) throw new CommandFailure(e.message, EXIT_NOT_IN_CAPTURE);
    throw e;
  }
}
