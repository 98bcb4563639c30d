// `npm run bench [-- <name> [args...]]`: runs one benchmark by name, passing the rest of the
// arguments on, or lists the benchmarks when no name is given.
//
//   npm run bench -- replay --iterations 3

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Benchmark {
  /** Compiled file next to this one. */
  file: string;
  /** Node options the benchmark needs. */
  nodeArgs?: string[];
  what: string;
}

const BENCHMARKS: Record<string, Benchmark> = {
  nat: { file: 'nat.bench.js', what: 'the NAT core per packet against a plain TypeScript peer (bench/RESULTS.md, "NAT core")' },
  profile: { file: 'profile.js', what: 'one core path for a fixed time, for profilers and quick A/B checks' },
  'capture-io': { file: 'capture-io.bench.js', what: 'the capture reader and writer against pcap-parser, packets/s and bytes/s' },
  'control-plane': { file: 'control-plane.bench.js', nodeArgs: ['--expose-gc'], what: 'loading a large cluster into the core and applying one change' },
  replay: { file: 'replay.bench.js', what: 'the whole `svcplane replay` command against tcprewrite and cp, and reading against pcap-parser' },
};

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '-h' || name === '--help') {
  console.log('usage: npm run bench -- <name> [arguments of that benchmark]\n');
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  for (const [n, b] of Object.entries(BENCHMARKS)) console.log(`  ${n.padEnd(width)}  ${b.what}`);
  process.exit(0);
}
const bench = BENCHMARKS[name];
if (!bench) {
  console.error(`bench: unknown benchmark ${name} (one of ${Object.keys(BENCHMARKS).join(', ')})`);
  process.exit(2);
}
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), bench.file);
const r = spawnSync(process.execPath, [...(bench.nodeArgs ?? []), file, ...rest], { stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
