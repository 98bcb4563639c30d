// How long a replay holds the event loop: a 5 ms interval timer runs beside replayStream (a file
// read stream in, a file write stream out), replayAsync and the synchronous replay of the same
// capture, taking turns in one run; the longest gap between two of its ticks is what an embedder's
// other work (a server, a page) would wait at worst. Medians over all iterations with min–max.
//
//   npm run bench -- event-loop [--packets N] [--iterations N] [--dir DIR]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from './args.js';
import { summarize } from './stats.js';
import { ensureInput } from './replay-inputs.js';
import { replay, replayAsync } from '../src/replay/replay.js';
import { replayStream } from '../src/replay/stream.js';
import { Dataplane } from '../src/dataplane.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';

const USAGE = 'usage: npm run bench -- event-loop [--packets N] [--iterations N] [--dir DIR]';
const args = parseArgs(process.argv.slice(2), { '--packets': 'value', '--iterations': 'value', '--dir': 'value' }, USAGE);
const packets = Number(args.value('--packets') ?? 1_000_000);
const iterations = Number(args.value('--iterations') ?? 5);
const dir = args.value('--dir') ?? path.join(os.tmpdir(), 'svcplane-bench');
const TICK_MS = 5;

/** Runs `fn` beside a TICK_MS interval timer: the longest gap between ticks, and the wall time. */
async function measured(fn: () => Promise<unknown> | unknown): Promise<{ gap: number; wall: number }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, TICK_MS);
  const started = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  return { gap: Math.max(gap, end - last), wall: end - started };
}

async function main(): Promise<void> {
  const input = ensureInput(dir, '64b-1k', packets);
  const out = path.join(dir, 'event-loop-out.pcap');
  const objects = loadClusterObjects([input.cluster]).objects;
  const node = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
  const fileOpts = { capture: input.capture, write: out, cluster: [input.cluster], node: node.nodeName, nodeIPs: node.nodeIPs, podCIDRs: node.podCIDRs };
  const runs: Record<string, () => Promise<unknown> | unknown> = {
    replayStream: () => replayStream({
      dataplane: new Dataplane({ ...node, objects }), input: fs.createReadStream(input.capture), output: fs.createWriteStream(out),
    }),
    replayAsync: () => replayAsync(fileOpts),
    'replay (sync)': () => replay(fileOpts),
  };
  const samples: Record<string, { gap: number[]; wall: number[] }> = {};
  for (const name of Object.keys(runs)) samples[name] = { gap: [], wall: [] };
  const load0 = os.loadavg();
  for (let i = 0; i < iterations; i++) {
    for (const [name, fn] of Object.entries(runs)) {
      const r = await measured(fn);
      samples[name]!.gap.push(r.gap);
      samples[name]!.wall.push(r.wall);
    }
  }
  const load1 = os.loadavg();
  fs.rmSync(out, { force: true });
  const fmt = (xs: number[]) => {
    const s = summarize(xs);
    return `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  };
  console.log(`event-loop: ${os.cpus()[0]?.model}, ${os.cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString()}; ` +
    `load ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${load1.map((l) => l.toFixed(2)).join(' ')} at end`);
  console.log(`${packets} packets of ${path.basename(input.capture)}, ${iterations} iterations each, taking turns; timer every ${TICK_MS} ms\n`);
  console.log('| replay | longest timer gap, median (min–max) | wall time, median (min–max) |');
  console.log('|---|---|---|');
  for (const [name, s] of Object.entries(samples)) console.log(`| ${name} | ${fmt(s.gap)} | ${fmt(s.wall)} |`);
}

await main();
