#!/usr/bin/env node
// The example's command: node dist/examples/l4-proxy/main.js -c cluster.yaml --listen ...
// (README.md next to this file). Bad input (an option, a cluster file, a line of the watch
// stream) is one line on standard error and exit status 2; a listener that cannot be bound, 1.

import * as fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadClusterObjects, CoreError, ManifestError, TableError } from '../../src/node.js';
import { parseListen, UsageError, type ListenSpec } from './listen.js';
import { L4Proxy } from './proxy.js';
import { followWatch, WatchStreamError } from './watch.js';

const NAME = 'l4-proxy';
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const positiveInt = (name: string) => (v: string): number => {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return Number(v);
};

interface Options {
  cluster: string[]; listen: string[]; watch?: string; node?: string; nodeIp?: string[]; clusterCidr?: string[];
  serviceCidr?: string[]; hashSeed?: string; maglevSize?: number; ctMax?: number; quiet?: boolean;
}

function program(): Command {
  return new Command(NAME)
    .description('A TCP and UDP load balancer whose backend choice and connection tracking are svcplane\'s core.')
    .requiredOption('-c, --cluster <path>', 'Service and EndpointSlice objects (YAML, JSON, a List, a directory); repeatable', collect)
    .requiredOption('--listen <spec>', '<ip>:<port>=<namespace>/<service>:<port> or <ip>:<port>=<vip>:<port>/<tcp|udp>; repeatable', collect)
    .option('--watch <file>', "watch events, one JSON object a line, applied as they arrive; '-' reads standard input")
    .option('--node <name>', 'the node this proxy runs on (decides which endpoints are local)')
    .option('--node-ip <ip>', 'an address of this node (masquerade source); repeatable', collect)
    .option('--cluster-cidr <cidr>', 'pod CIDR; repeatable', collect)
    .option('--service-cidr <cidr>', 'the Service address range; repeatable', collect)
    .option('--hash-seed <text>', 'seed of every hash (same seed and state: same choices as svcplane replay)')
    .option('--maglev-size <prime>', 'Maglev table size per service port', positiveInt('--maglev-size'))
    .option('--ct-max <n>', 'conntrack capacity (connections)', positiveInt('--ct-max'))
    .option('-q, --quiet', 'print nothing but warnings and errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(`${NAME}: ${s.replace(/^error: /, '')}`) });
}

async function main(argv: string[]): Promise<number> {
  const cmd = program();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<Options>();
  const say = (line: string) => { if (!o.quiet) process.stdout.write(`${line}\n`); };
  const warn = (line: string) => process.stderr.write(`${NAME}: warning: ${line}\n`);

  const { objects } = loadClusterObjects(o.cluster, { strict: true });
  const listen: ListenSpec[] = o.listen.map((text) => parseListen(text, objects));
  const watchInput = o.watch === undefined ? null : o.watch === '-' ? process.stdin : await openWatch(o.watch);
  const proxy = new L4Proxy({
    objects, listen, nodeName: o.node, nodeIPs: o.nodeIp, podCIDRs: o.clusterCidr, serviceCIDRs: o.serviceCidr,
    hashSeed: o.hashSeed, maglevSize: o.maglevSize, ctMax: o.ctMax,
  });
  const bound = await proxy.start();
  for (const b of bound) {
    say(`listening on ${b.address.ip}:${b.address.port}/${b.spec.protocol.toLowerCase()} → ${b.spec.frontend.ip}:${b.spec.frontend.port}`);
  }

  const stop = new Promise<number>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(0));
  });
  const watched = watchInput === null ? new Promise<never>(() => undefined) : followWatch(watchInput, o.watch!, (ev) => proxy.update(ev), (w, problems) => {
    for (const p of problems) warn(p);
    const obj = w.event.object as { kind?: string; metadata?: { namespace?: string; name?: string } };
    const what = `${w.event.type} ${obj.kind ?? '?'} ${obj.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata?.name ?? '?'}`;
    say(`watch: ${what}: ${w.result.stats ? `${w.result.stats.changedSets} endpoint sets changed` : 'no change'}`);
  }).then((n) => {
    say(`watch: ${o.watch} ended after ${n} events`);
    return new Promise<never>(() => undefined);
  });
  try {
    return await Promise.race([stop, watched]);
  } finally {
    await proxy.close();
    say(`tcp ${JSON.stringify(proxy.stats.tcp)} udp ${JSON.stringify(proxy.stats.udp)}`);
  }
}

/** Opens the --watch file (reported now, not after the proxy started). */
async function openWatch(file: string): Promise<fs.ReadStream> {
  const s = fs.createReadStream(file);
  await new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject); });
  return s;
}

/** The system's words for an error: "no such file or directory", "address already in use". */
function systemWords(err: NodeJS.ErrnoException): string {
  // Node's messages read "ENOENT: no such file or directory, open 'x'" or "listen EADDRINUSE: address already in use 127.0.0.1:80".
  const m = /^(?:[a-z]+ )?[A-Z0-9_]+: (.*?)(?:, [a-z]+ '.*'| [0-9.]+:\d+)?$/s.exec(err.message);
  return m ? m[1]! : String(err.code);
}

function failure(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  const err = e as Error & NodeJS.ErrnoException & { address?: string; port?: number };
  if (e instanceof UsageError || e instanceof ManifestError || e instanceof CoreError || e instanceof TableError ||
      e instanceof WatchStreamError) {
    process.stderr.write(`${NAME}: ${err.message}\n`);
    return 2;
  }
  if (typeof err.code === 'string' && typeof err.syscall === 'string') {
    // A listener that cannot be bound (EADDRINUSE, EACCES) or a --watch file that cannot be opened.
    const where = err.path ?? (err.address !== undefined ? `${err.address}:${err.port}` : err.syscall);
    process.stderr.write(`${NAME}: ${where}: ${systemWords(err)}\n`);
    return err.syscall === 'open' ? 2 : 1;
  }
  process.stderr.write(`${NAME}: failed: ${err.stack ?? err.message}\n`);
  return 1;
}

main(process.argv.slice(2)).then((status) => process.exit(status), (e: unknown) => process.exit(failure(e)));
