#!/usr/bin/env node
// Two builds of the whole command, A/B, alternating in one run: `svcplane replay` of the replay
// benchmark's inputs (generate them first: `npm run bench -- replay`), a one-packet replay,
// `--version`, and `node -e ""` for Node's own start. Prints medians with min–max, the median of
// the per-iteration ratios before ÷ after, and whether the two builds wrote the same bytes.
//
//   node scripts/ab-command.mjs BEFORE_DIR AFTER_DIR [--iterations 9] [--inputs /dev/shm/svcplane-bench]
// Each DIR holds a built package; its command is package.json's "bin" (or dist/src/cli/main.js).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const [beforeDir, afterDir, ...rest] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  console.error('usage: node scripts/ab-command.mjs BEFORE_DIR AFTER_DIR [--iterations N] [--inputs DIR]');
  process.exit(2);
}
const opt = (n, d) => { const i = rest.indexOf(n); return i >= 0 ? rest[i + 1] : d; };
const N = Number(opt('--iterations', '9'));
const D = opt('--inputs', '/dev/shm/svcplane-bench');

function command(dir) {
  const bin = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).bin?.svcplane;
  const file = join(dir, bin && existsSync(join(dir, bin)) ? bin : 'dist/src/cli/main.js');
  if (!existsSync(file)) throw new Error(`${dir}: no built command (${file})`);
  return file;
}
const builds = { before: command(beforeDir), after: command(afterDir) };

// A one-packet capture: the header and first record of 64b-1k.
const first = readFileSync(join(D, '64b-1k.pcap'));
const onePath = join(D, 'ab-one.pcap');
writeFileSync(onePath, first.subarray(0, 24 + 16 + first.readUInt32LE(24 + 8)));

const replayArgs = (task, out) => ['replay', join(D, task === 'one' ? 'ab-one.pcap' : `${task}.pcap`),
  '-c', join(D, `${task === 'one' ? '64b-1k' : task}.yaml`), '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '-w', out, '-q'];

const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const span = (a) => `${Math.min(...a).toFixed(3)}–${Math.max(...a).toFixed(3)}`;
function time(args) {
  const s = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return Number(process.hrtime.bigint() - s) / 1e9;
}

console.log(`A/B ${beforeDir} → ${afterDir}, ${N} iterations, load ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);
console.log('| task | before | after | before / after (per-iteration spread) | same output |');
console.log('|---|---:|---:|---|---|');
for (const task of ['64b-1k', '64b-50k', 'mixed', 'one', 'version']) {
  const t = { before: [], after: [] };
  const out = (b) => join(D, `ab-${b}.pcap`);
  for (let i = 0; i < N; i++) {
    for (const b of i % 2 ? ['before', 'after'] : ['after', 'before']) {
      t[b].push(time([builds[b], ...(task === 'version' ? ['--version'] : replayArgs(task, out(b)))]));
    }
  }
  const same = task === 'version' ? '' : String(spawnSync('cmp', ['-s', out('before'), out('after')]).status === 0);
  const ratios = t.before.map((x, i) => x / t.after[i]);
  console.log(`| ${task} | ${med(t.before).toFixed(3)} s (${span(t.before)}) | ${med(t.after).toFixed(3)} s (${span(t.after)}) | ` +
    `**${med(ratios).toFixed(2)}×** (${span(ratios)}) | ${same} |`);
}
const bare = Array.from({ length: N }, () => time(['-e', '']));
console.log(`| node -e "" | ${med(bare).toFixed(3)} s (${span(bare)}) | | | |`);
console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
for (const f of ['ab-before.pcap', 'ab-after.pcap', 'ab-one.pcap']) rmSync(join(D, f), { force: true });
