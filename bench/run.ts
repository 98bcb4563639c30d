// `npm run bench [-- <name> [args...]]`: runs one benchmark by name, passing the rest of the
// arguments on, or lists the benchmarks, one line each, when no name is given.
// `npm run bench -- <name> --help` shows that benchmark's options.
//
//   npm run bench -- nat --sizes 1k
//   npm run bench -- replay --iterations 3
//   npm run bench -- soak --packets 10M

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Benchmark {
  /** Compiled file next to this one, run with this Node; or `script`. */
  file?: string;
  /** A shell script, relative to the repository root, run with bash. */
  script?: string;
  /** Node options the benchmark needs. */
  nodeArgs?: string[];
  what: string;
}

const BENCHMARKS: Record<string, Benchmark> = {
  nat: { file: 'nat.bench.js', what: 'the NAT core per packet against a TypeScript + Map peer in the same run (bench/RESULTS.md, "NAT core")' },
  xdp: { script: 'bench/peer/xdp-run.sh', what: 'the established-flow step as an XDP program, in the kernel (root, clang, bpftool; "XDP peer")' },
  'capture-io': { file: 'capture-io.bench.js', what: 'the capture reader and writer against pcap-parser, packets/s and bytes/s ("Capture I/O")' },
  'control-plane': { file: 'control-plane.bench.js', nodeArgs: ['--expose-gc'], what: 'loading 10,000 Services into the core and applying one EndpointSlice change ("Control plane")' },
  replay: { file: 'replay.bench.js', what: 'the whole `svcplane replay` command against tcprewrite and cp, and reading against pcap-parser ("svcplane replay")' },
  soak: { file: 'soak.js', what: 'a long replay (100M packets streamed on standard input, an EndpointSlice change every second of capture time) with the RSS sampled: flat within 5% after warm-up? ("Soak")' },
  'event-loop': { file: 'event-loop.js', what: 'the longest hold of the event loop by replayStream, replayAsync and the synchronous replay, side by side ("Event loop")' },
  profile: { file: 'profile.js', what: 'one core path alone for a fixed time, for profilers and quick A/B runs of two builds' },
  fuzz: { file: 'fuzz.js', what: 'mutated packets through three cores compared, mutated captures and manifests through the CLI ("Fuzzing")' },
  'probe-check': { file: 'probe-check.js', what: 'how well the core-sharing probe (bench/probe.ts) tells fast and slow batches apart here' },
};

const here = path.dirname(fileURLToPath(import.meta.url));

function main(argv: string[]): number {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    console.log('usage: npm run bench -- <name> [arguments of that benchmark]   (<name> --help: its options)\n');
    const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
    for (const [n, b] of Object.entries(BENCHMARKS)) console.log(`  ${n.padEnd(width)}  ${b.what}`);
    return 0;
  }
  const bench = BENCHMARKS[name];
  if (!bench) {
    console.error(`bench: unknown benchmark ${name} (one of ${Object.keys(BENCHMARKS).join(', ')})`);
    return 2;
  }
  const r = bench.script
    ? spawnSync('bash', [path.join(here, '..', '..', bench.script), ...rest], { stdio: 'inherit' })
    : spawnSync(process.execPath, [...(bench.nodeArgs ?? []), path.join(here, bench.file!), ...rest], { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

process.exit(main(process.argv.slice(2)));
