#!/usr/bin/env node
// Two builds of the core, A/B, alternating in one run: for each round and row,
// `node dist/bench/profile.js` from one package copy, then from the other, the
// order flipped every round. Prints each row's medians per round and the median
// over rounds of after ÷ before (each pair taken seconds apart), as markdown.
//
//   node scripts/ab-core.mjs BEFORE_DIR AFTER_DIR [--rounds 4] [--seconds 3] [--setup64k 6]
//                            [--paths fwd,reply,new] [--flows 1k,64k] [--families 4,6]
// Each DIR holds a built package (dist/, build/core.wasm, node_modules). profile.js counts its
// setup (making the flows) in its time, so 64k rows get --setup64k seconds more.

import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

const [before, after, ...rest] = process.argv.slice(2);
if (!before || !after) { console.error('usage: node scripts/ab-core.mjs BEFORE_DIR AFTER_DIR [--rounds N] [--seconds S]'); process.exit(2); }
const opt = (n, d) => { const i = rest.indexOf(n); return i >= 0 ? rest[i + 1] : d; };
const ROUNDS = Number(opt('--rounds', '4'));
const SECONDS = Number(opt('--seconds', '3'));
const SETUP_64K = Number(opt('--setup64k', '6'));
const rows = [];
const list = (n, d) => opt(n, d).split(',');
for (const family of list('--families', '4,6')) for (const flows of list('--flows', '1k,64k')) {
  for (const path of list('--paths', 'fwd,reply,new')) rows.push({ path, flows, family });
}
const names = { fwd: 'established, original', reply: 'established, reply', new: 'new connection (SYN)' };

function run(dir, r, tries = 2) {
  let out;
  try {
    out = execFileSync('node', ['dist/bench/profile.js', '--path', r.path, '--flows', r.flows, '--family', r.family,
      '--seconds', String(SECONDS + (r.flows === '64k' ? SETUP_64K : 0))],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // A run whose setup outlasted its time has no batches: run it again, once.
    if (tries > 1) return run(dir, r, tries - 1);
    throw e;
  }
  const m = /median ([\d.]+) p10 ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no median in: ${out}`);
  return { median: Number(m[1]), p10: Number(m[2]) };
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

const start = new Date();
const load0 = loadavg();
const res = rows.map(() => ({ b: [], a: [] }));
for (let round = 0; round < ROUNDS; round++) {
  rows.forEach((r, i) => {
    const first = round % 2 === 0 ? 'b' : 'a';
    for (const which of first === 'b' ? ['b', 'a'] : ['a', 'b']) res[i][which].push(run(which === 'b' ? before : after, r));
  });
  console.error(`round ${round + 1}/${ROUNDS} done, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
const load1 = loadavg();
console.log(`${start.toISOString().slice(11, 16)}–${new Date().toISOString().slice(11, 16)} UTC, ${ROUNDS} rounds × ${rows.length} rows, ` +
  `${SECONDS} s a run (64k: ${SECONDS + SETUP_64K} s with the setup); load average (1, 5, 15 min) ${load0.map((x) => x.toFixed(1)).join(', ')} at start, ${load1.map((x) => x.toFixed(1)).join(', ')} at end\n`);
console.log('| path | family | flows | before median (per round) | after median (per round) | after ÷ before, median of rounds | lowest p10, before / after |');
console.log('|---|---|---:|---|---|---:|---:|');
rows.forEach((r, i) => {
  const { b, a } = res[i];
  const ratios = b.map((x, k) => a[k].median / x.median);
  const f = (xs) => `${med(xs.map((x) => x.median)).toFixed(1)} (${xs.map((x) => x.median.toFixed(1)).join(', ')})`;
  console.log(`| ${names[r.path]} | IPv${r.family} | ${r.flows} | ${f(b)} | ${f(a)} | ${med(ratios).toFixed(3)} | ` +
    `${Math.min(...b.map((x) => x.p10)).toFixed(1)} / ${Math.min(...a.map((x) => x.p10)).toFixed(1)} |`);
});
