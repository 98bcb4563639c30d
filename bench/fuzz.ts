// The fuzz guard: mutated and random packets through the release, no-fast-path and debug
// cores, answers compared packet by packet (bench/fuzz/cores.ts); mutated captures through
// `svcplane replay` (bench/fuzz/captures.ts); mutated manifests through the loader and a
// sample through the CLI (bench/fuzz/manifests.ts). Prints counts and what the fuzz reached;
// exits 1 on any trap, mismatch, stack trace or other failure, with what reproduces it.
//
//   npm run bench -- fuzz                       10,000,000 packets, 2,000 captures, 5,000 manifests
//   npm run bench -- fuzz --only packets --packets 100000 --seed 7

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { runPacketFuzz, describeFinding, FUZZ_BATCH } from './fuzz/run-packets.js';
import { runCaptureFuzz, captureSeeds } from './fuzz/captures.js';
import { runManifestFuzz, manifestSeeds } from './fuzz/manifests.js';

const USAGE = `usage: npm run bench -- fuzz [options]
  --packets N     packets through the three cores (default 10000000; batches of ${FUZZ_BATCH})
  --captures N    mutated captures through \`svcplane replay\` (default 2000)
  --manifests N   mutated manifests through the loader (default 5000; every 25th also through the CLI)
  --seed S        seed of every generator (default 1); a finding names the seed that reproduces it
  --only KIND     packets, captures or manifests: run that part alone
  --jobs N        concurrent CLI runs (default 2)
  --timeout S     seconds a CLI run may take (default 60)
  --corpus DIR    the public capture corpus (default ../shared/corpus/public next to the repository,
                  or SVCPLANE_CORPUS); skipped with a note when missing`;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function count(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`${name} must be a whole number\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const pct = (n: number, total: number) => `${n} (${total ? ((100 * n) / total).toFixed(2) : '0.00'}%)`;
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), {
    '--packets': 'value', '--captures': 'value', '--manifests': 'value', '--seed': 'value', '--only': 'value', '--jobs': 'value',
    '--timeout': 'value', '--corpus': 'value',
  }, USAGE);
  const only = a.value('--only');
  if (only !== undefined && !['packets', 'captures', 'manifests'].includes(only)) {
    process.stderr.write(`--only takes packets, captures or manifests\n${USAGE}\n`);
    return 2;
  }
  const seed = count(a.value('--seed'), 1, '--seed');
  const want = (k: string) => only === undefined || only === k;
  const packets = want('packets') ? count(a.value('--packets'), 10_000_000, '--packets') : 0;
  const captures = want('captures') ? count(a.value('--captures'), 2000, '--captures') : 0;
  const manifests = want('manifests') ? count(a.value('--manifests'), 5000, '--manifests') : 0;
  const jobs = Math.max(1, count(a.value('--jobs'), 2, '--jobs'));
  const timeoutMs = count(a.value('--timeout'), 60, '--timeout') * 1000;
  const corpus = a.value('--corpus') ?? process.env.SVCPLANE_CORPUS ?? path.resolve(REPO, '..', 'shared', 'corpus', 'public');
  let failed = false;

  console.log(`fuzz: seed ${seed}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (packets > 0) {
    const t0 = Date.now();
    let shown = 0;
    const r = runPacketFuzz(packets, seed, (done) => {
      if (process.stderr.isTTY && Date.now() - t0 > shown + 2000) { shown = Date.now() - t0; process.stderr.write(`\rpackets: ${done}/${packets}`); }
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const traps = r.findings.filter((f) => f.kind === 'trap').length;
    const mismatches = r.findings.filter((f) => f.kind === 'mismatch').length;
    console.log(`\npackets: ${r.packets} in ${r.batches} batches, ${(r.wallMs / 1000).toFixed(1)} s; traps ${traps}, mismatches ${mismatches}`);
    for (const [name, ms] of r.laneMs) console.log(`  ${name.padEnd(22)} ${Math.round(r.packets / (ms / 1000)).toLocaleString('en-US')} packets/s in the batch call`);
    const g = r.generator;
    console.log(`  generated: ${g.structured} well-formed frames (${g.replies} replies to translated packets, ${g.icmpErrors} ICMP errors, ${g.fragments} fragmented datagrams), ${g.mutated} mutated, ${g.random} random`);
    console.log(`  verdicts: ${sorted(r.verdicts).map(([k, n]) => `${k} ${pct(n, r.packets)}`).join(', ')}`);
    console.log(`  reasons: ${sorted(r.reasons).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`  reached a Service ${pct(r.reached.service, r.packets)}, a backend ${pct(r.reached.backend, r.packets)}; generated packets ${r.reached.generated}; fast path ${pct(r.fastPath, r.packets)}`);
    console.log(`  conntrack: ${r.conntrack.entries} entries of ${r.conntrack.capacity}, peak ${r.conntrack.peak}, evicted ${r.conntrack.evicted}`);
    for (const f of r.findings.slice(0, 5)) console.log(describeFinding(f, seed));
    if (r.findings.length) failed = true;
  }

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-fuzz-'));
  if (captures > 0) {
    const haveCorpus = fs.existsSync(path.join(corpus, 'MANIFEST.tsv'));
    if (!haveCorpus) console.log(`\nnote: no public corpus at ${corpus}; its captures are left out`);
    const seeds = captureSeeds(REPO, haveCorpus ? corpus : undefined);
    const r = await runCaptureFuzz({ repo: REPO, seeds, count: captures, seed, jobs, timeoutMs, workDir: path.join(work, 'captures') });
    console.log(`\ncaptures: ${r.runs} mutants of ${seeds.length} captures through \`svcplane replay\` in ${(r.wallMs / 1000).toFixed(1)} s (${jobs} at a time), slowest ${(r.slowestMs / 1000).toFixed(1)} s`);
    console.log(`  exit 0 ${r.exit0} (output read back), exit 2 ${r.exit2}, failures ${r.failures.length}`);
    console.log('  exit-2 messages (numbers as N):');
    for (const [m, n] of sorted(r.messages).slice(0, 12)) console.log(`    ${String(n).padStart(5)}  ${m}`);
    if (r.messages.size > 12) console.log(`    ... and ${r.messages.size - 12} other kinds`);
    for (const f of r.failures.slice(0, 5)) console.log(`  FAILED mutant ${f.index} of ${f.seedFile} (seed ${seed}), kept at ${f.kept}: ${f.problem}\n${f.stderr.replace(/^/gm, '    ')}`);
    if (r.failures.length) failed = true;
  }

  if (manifests > 0) {
    const seeds = manifestSeeds(REPO);
    const r = await runManifestFuzz({ repo: REPO, seeds, count: manifests, seed, cliEvery: 25, jobs, timeoutMs, workDir: path.join(work, 'manifests') });
    console.log(`\nmanifests: ${r.runs} mutants of ${seeds.length} files in ${(r.wallMs / 1000).toFixed(1)} s, slowest load ${(r.slowestMs / 1000).toFixed(2)} s (mutant ${r.slowestIndex})`);
    console.log(`  loaded ${r.loaded} (${r.withServices} with Service ports to program), refused with ManifestError ${r.refused}, refused by the tables ${r.tablesRefused}`);
    console.log(`  through the CLI: ${r.cliRuns} (exit 0 ${r.cliExit0}, exit 2 ${r.cliExit2}); failures ${r.failures.length}`);
    for (const f of r.failures.slice(0, 5)) console.log(`  FAILED mutant ${f.index} of ${f.seedFile} (seed ${seed}), kept at ${f.kept}: ${f.problem}`);
    if (r.failures.length) failed = true;
  }
  if (!failed) fs.rmSync(work, { recursive: true, force: true });
  console.log(`\nload average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${failed ? 'FAILED' : 'no failures'}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
