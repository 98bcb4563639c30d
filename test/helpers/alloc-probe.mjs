// Run by test/replay-alloc.test.ts in its own process:
//   node alloc-probe.mjs <capture> <cluster> <out> <sync|async>
// Prints {"allocated": bytes, "packets": n}: bytes allocated on the JavaScript heap during one
// replay, summed over the collections that ran (v8.GCProfiler: heap used before each minus after
// the previous) plus the growth since the last one.
import * as v8 from 'node:v8';
import { replay, replayAsync } from '../../dist/src/replay/replay.js';

const [capture, cluster, out, mode] = process.argv.slice(2);
const opts = { capture, cluster: [cluster], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'], write: out };
// Warm up: module loading, the wasm compile and the first replay's one-off allocations.
replay({ ...opts, write: undefined, readBytes: 1 << 16 });
const profiler = new v8.GCProfiler();
const start = v8.getHeapStatistics().used_heap_size;
profiler.start();
const report = mode === 'async' ? await replayAsync(opts) : replay(opts);
const end = v8.getHeapStatistics().used_heap_size;
const { statistics } = profiler.stop();
let allocated = 0;
let previous = start;
for (const gc of statistics) {
  allocated += gc.beforeGC.heapStatistics.usedHeapSize - previous;
  previous = gc.afterGC.heapStatistics.usedHeapSize;
}
allocated += end - previous;
process.stdout.write(JSON.stringify({ allocated, collections: statistics.length, packets: report.packets.in }) + '\n');
