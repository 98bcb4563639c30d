// Control-plane speed: loading a large cluster into the core, applying one EndpointSlice change
// to it (the kube-proxy "sync" work), and reading a large manifest from disk (a JSON List,
// multi-document YAML and a YAML List, generated into a temporary file, never committed).
//
//   node --expose-gc dist/bench/control-plane.bench.js [--runs K] [--services N] [--endpoints E] [--manifest-mb M]
//
// Each run is a fresh process (a load is done once per process: a second one would find the
// first core's memory and the JIT warm), so the figures are over K runs: median and min–max of
// each load step, and the median, p10, p90, p99 and max of the one-change times of all runs.
// Without --expose-gc the garbage of building the objects is collected inside the timed load.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Dataplane } from '../src/dataplane.js';
import { ClusterView, computeClusterState, emptyClusterObjects, applyEvent, type ClusterObjects } from '../src/k8s/index.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { parseArgs } from './args.js';
import { quantile, summarize } from './stats.js';
import '../src/core/wasm-file.js'; // Cores from build/core.wasm

const USAGE = `usage: node --expose-gc dist/bench/control-plane.bench.js [options]   (or: npm run bench -- control-plane [options])
  --runs K         runs, each a fresh process; default 3
  --services N     ClusterIP Services; default 10000
  --endpoints E    ready endpoints per Service (one EndpointSlice each); default 10
  --manifest-mb M  size of the manifests read from disk, in MB; default 50, 0 skips them`;
const args = parseArgs(process.argv.slice(2),
  { '--runs': 'value', '--services': 'value', '--endpoints': 'value', '--manifest-mb': 'value', '--child': 'switch', '--load-manifest': 'value' }, USAGE);
const RUNS = Number(args.value('--runs') ?? 3);
const SERVICES = Number(args.value('--services') ?? 10_000);
const PER = Number(args.value('--endpoints') ?? 10);
const MANIFEST_MB = Number(args.value('--manifest-mb') ?? 50);
for (const [name, v] of [['--runs', RUNS], ['--services', SERVICES], ['--endpoints', PER]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} ${v}: a positive integer`);
}
if (!(MANIFEST_MB >= 0)) throw new Error(`--manifest-mb ${MANIFEST_MB}: a number of MB, 0 or more`);
const CHANGES = 200;

/** What one run measured, in milliseconds. */
interface Run {
  rules: number;
  instance: number;
  load: number;
  total: number;
  /** Each of the CHANGES changes. */
  changes: number[];
  /** Building the Maglev tables the commits left unbuilt (none a packet reads), and how many there were. */
  buildAll: number;
  tables: number;
  maglevSize: number;
}

function ip(n: number): string { return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`; }

function service(i: number): unknown {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: `ns-${i % 50}`, uid: `u-${i}`, resourceVersion: '1' },
    spec: { type: 'ClusterIP', clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`, clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`],
      ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], sessionAffinity: 'None' },
  };
}

function slice(i: number, drop = -1): unknown {
  const endpoints = [];
  for (let e = 0; e < PER; e++) {
    if (e === drop) continue;
    endpoints.push({ addresses: [ip(i * PER + e + 65536)], conditions: { ready: true, serving: true, terminating: false }, nodeName: `node-${e % 20}` });
  }
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `svc-${i}-abcde`, namespace: `ns-${i % 50}`, labels: { 'kubernetes.io/service-name': `svc-${i}` }, resourceVersion: '1' },
    addressType: 'IPv4', endpoints, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** One load and CHANGES changes, in this process. */
function runOnce(): Run {
  const objects: ClusterObjects = emptyClusterObjects();
  for (let i = 0; i < SERVICES; i++) {
    applyEvent(objects, { type: 'ADDED', object: service(i) });
    applyEvent(objects, { type: 'ADDED', object: slice(i) });
  }
  // The garbage of building and validating the objects is collected now, not inside the timed load.
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const state = computeClusterState(objects, { nodeName: 'node-0' });
  const t1 = performance.now();
  // An empty dataplane, then the state: the instance and the load timed apart.
  const dp = new Dataplane({ maxServicePorts: Math.max(16384, SERVICES * 2), maxBackends: Math.max(262144, SERVICES * PER * 2), maxFrontends: 1 << 16 });
  const { core, tables } = dp;
  const t2 = performance.now();
  dp.apply(state);
  const t3 = performance.now();

  // One EndpointSlice change at a time: an endpoint leaves, then comes back.
  const view = new ClusterView(objects, { nodeName: 'node-0' });
  const changes: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 7919) % SERVICES;
    const t = performance.now();
    const change = view.apply({ type: 'MODIFIED', object: slice(i, k % 2 === 0 ? 3 : -1) });
    tables.applyServices(change.ports, change.services);
    changes.push(performance.now() - t);
  }
  // The commits built every table a packet can read; what is left (none under Maglev) is built now.
  const t4 = performance.now();
  const built = core.exports.cpBuildTables();
  const t5 = performance.now();
  return { rules: t1 - t0, instance: t2 - t1, load: t3 - t2, total: t3 - t0, changes, buildAll: t5 - t4, tables: built, maglevSize: core.options.maglevSize };
}

/**
 * Writes a manifest of about `mb` megabytes (Services and their EndpointSlices, as kubectl prints
 * them) in pieces, loads it in a child process and returns the child's figures.
 */
function manifestLoad(mb: number, format: 'json' | 'yaml' | 'yaml-list'): { ms: number; cpuMs: number; objects: number; problems: number; maxRssMB: number; bytes: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'svcplane-manifest-'));
  const file = join(dir, `cluster.${format === 'json' ? 'json' : 'yaml'}`);
  const fd = openSync(file, 'w');
  try {
    let written = 0;
    const put = (text: string) => { written += writeSync(fd, text); };
    // JSON: one List (kubectl get -o json); YAML: a document per object, or one List as kubectl prints it.
    if (format === 'json') put('{"apiVersion": "v1", "kind": "List", "items": [\n');
    if (format === 'yaml-list') put('apiVersion: v1\nitems:\n');
    let first = true;
    for (let i = 0; written < mb * 1e6; i++) {
      for (const o of [service(i), slice(i)]) {
        if (format === 'yaml') put(`---\n${stringify(o)}`);
        else if (format === 'yaml-list') put(stringify([o], { indentSeq: false }));
        else put(`${first ? '' : ',\n'}${JSON.stringify(o, null, 2)}`);
        first = false;
      }
    }
    if (format === 'json') put('\n]}\n');
    if (format === 'yaml-list') put('kind: List\nmetadata:\n  resourceVersion: ""\n');
  } finally {
    closeSync(fd);
  }
  const bytes = statSync(file).size;
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--load-manifest', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`loading the ${format} manifest failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), bytes };
}

/** In a child: loads one manifest and prints time and peak memory (a fresh process, so the peak is its own). */
function loadOneManifest(file: string): void {
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const r = loadClusterObjects([file]);
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    ms, cpuMs: (cpu.user + cpu.system) / 1000, objects: r.objects.services.size + r.objects.endpointSlices.size,
    problems: r.problems.length, maxRssMB: process.resourceUsage().maxRSS / 1024,
  }));
}

function main(): void {
  const manifestFile = args.value('--load-manifest');
  if (manifestFile !== undefined) {
    loadOneManifest(manifestFile);
    return;
  }
  if (args.has('--child')) {
    console.log(JSON.stringify(runOnce()));
    return;
  }
  const loadStart = os.loadavg();
  const runs: Run[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < RUNS; r++) {
    process.stderr.write(`control-plane: run ${r + 1} of ${RUNS}\n`);
    const c = spawnSync(process.execPath, [...process.execArgv, self, '--child', '--services', String(SERVICES), '--endpoints', String(PER)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    if (c.status !== 0) throw new Error(`control-plane: run ${r + 1} exited with ${c.status ?? c.signal}`);
    runs.push(JSON.parse(c.stdout) as Run);
  }
  const gc = process.execArgv.includes('--expose-gc');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const fmt = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`control plane: ${SERVICES} Services, ${SERVICES * PER} endpoints; ${RUNS} runs, each a fresh process${gc ? '' : ' (without --expose-gc: setup garbage collected inside the timed load)'}`);
  console.log(`${cpu}, ${os.cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString()}; load ${fmt(loadStart)} at start, ${fmt(os.loadavg())} at end`);
  console.log('');
  console.log('| step | median | min–max |');
  console.log('|---|---:|---:|');
  const step = (label: string, ms: number[]) => {
    const x = summarize(ms);
    console.log(`| ${label} | ${x.median.toFixed(0)} ms | ${x.min.toFixed(0)}–${x.max.toFixed(0)} ms |`);
  };
  step('kube-proxy rules (computeClusterState)', runs.map((r) => r.rules));
  step('core instance (capacities allocated)', runs.map((r) => r.instance));
  step('load into the core (tables and Maglev tables, one commit)', runs.map((r) => r.load));
  step('**total load**', runs.map((r) => r.total));
  step(`Maglev tables left unbuilt by the commits (M=${runs[0].maglevSize}): ${runs[0].tables}, built now`, runs.map((r) => r.buildAll));
  const all = runs.flatMap((r) => r.changes);
  const x = summarize(all);
  const sorted = Float64Array.from(all).sort();
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log('');
  console.log(`one EndpointSlice change (watch event → rules → commit), all ${all.length} changes of the ${RUNS} runs: ` +
    `median ${us(x.median)}, p10 ${us(x.p10)}, p90 ${us(x.p90)}, p99 ${us(quantile(sorted, 0.99))}, max ${us(x.max)}`);

  if (MANIFEST_MB > 0) {
    console.log('');
    console.log('| manifest | time | peak RSS |');
    console.log('|---|---:|---:|');
    for (const format of ['json', 'yaml', 'yaml-list'] as const) {
      process.stderr.write(`control-plane: reading a ${MANIFEST_MB} MB ${format} manifest\n`);
      const m = manifestLoad(MANIFEST_MB, format);
      const what = { json: 'JSON List', yaml: 'YAML, a document per object', 'yaml-list': 'YAML List as kubectl prints it' }[format];
      console.log(`| ${(m.bytes / 1e6).toFixed(0)} MB ${what}, ${m.objects} objects | ${m.ms.toFixed(0)} ms (${m.cpuMs.toFixed(0)} ms CPU, ` +
        `${(m.bytes / 1e6 / (m.ms / 1000)).toFixed(1)} MB/s) | ${m.maxRssMB.toFixed(0)} MB |`);
    }
  }
}

main();
