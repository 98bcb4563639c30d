// Control-plane speed: loading a large cluster into the core, and applying
// one EndpointSlice change to it (the kube-proxy "sync" work), and reading a
// 50 MB manifest from disk (a JSON List, multi-document YAML and a YAML List,
// generated here into a temporary file, never committed). Figures go to bench/RESULTS.md.
// Run: node --expose-gc dist/bench/control-plane.bench.js [services] [endpointsPerService] [manifestMB]
// (manifestMB 0 skips the manifest lines).

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Core } from '../src/core/core.js';
import { ServiceTables } from '../src/core/tables.js';
import { ClusterView, computeClusterState, emptyClusterObjects, applyEvent, loadClusterObjects, type ClusterObjects } from '../src/k8s/index.js';

// Child mode: load one manifest and print time and peak memory (a fresh process, so the peak is its own).
if (process.argv[2] === '--load-manifest') {
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const r = loadClusterObjects([process.argv[3]]);
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const n = r.objects.services.size + r.objects.endpointSlices.size;
  console.log(JSON.stringify({
    ms, cpuMs: (cpu.user + cpu.system) / 1000, objects: n, problems: r.problems.length, maxRssMB: process.resourceUsage().maxRSS / 1024,
  }));
  process.exit(0);
}

const SERVICES = Number(process.argv[2] ?? 10_000);
const PER = Number(process.argv[3] ?? 10);
const MANIFEST_MB = Number(process.argv[4] ?? 50);
const CHANGES = 200;

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

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; }
function pct(xs: number[], q: number): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * q)]; }

const objects: ClusterObjects = emptyClusterObjects();
for (let i = 0; i < SERVICES; i++) {
  applyEvent(objects, { type: 'ADDED', object: service(i) });
  applyEvent(objects, { type: 'ADDED', object: slice(i) });
}

// Setup garbage (20,000 objects built and validated above) is collected now,
// not inside the timed load (run with --expose-gc; otherwise it is charged).
(globalThis as { gc?: () => void }).gc?.();
const t0 = performance.now();
const state = computeClusterState(objects, { nodeName: 'node-0' });
const t1 = performance.now();
const core = new Core({ maxServicePorts: Math.max(16384, SERVICES * 2), maxBackends: Math.max(262144, SERVICES * PER * 2), maxFrontends: 1 << 16 });
const tables = new ServiceTables(core);
const t2 = performance.now();
tables.apply(state);
const t3 = performance.now();

// One EndpointSlice change at a time: an endpoint leaves, then comes back.
const view = new ClusterView(objects, { nodeName: 'node-0' });
const times: number[] = [];
for (let k = 0; k < CHANGES; k++) {
  const i = (k * 7919) % SERVICES;
  const t = performance.now();
  const change = view.apply({ type: 'MODIFIED', object: slice(i, k % 2 === 0 ? 3 : -1) });
  tables.applyServices(change.ports, change.services);
  times.push(performance.now() - t);
}
// Building every Maglev table now (they are otherwise built on first use).
const t4 = performance.now();
const built = core.exports.cpBuildTables();
const t5 = performance.now();

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

const manifests = MANIFEST_MB > 0 ? (['json', 'yaml', 'yaml-list'] as const).map((f) => [f, manifestLoad(MANIFEST_MB, f)] as const) : [];

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`# Control plane: ${SERVICES} Services, ${SERVICES * PER} endpoints (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, Node ${process.version})`);
console.log(`| step | time |`);
console.log(`|---|---|`);
console.log(`| kube-proxy rules (computeClusterState) | ${(t1 - t0).toFixed(0)} ms |`);
console.log(`| core instance (capacities allocated) | ${(t2 - t1).toFixed(0)} ms |`);
console.log(`| load into the core (tables, one commit) | ${(t3 - t2).toFixed(0)} ms |`);
console.log(`| **total load** | **${(t3 - t0).toFixed(0)} ms** |`);
console.log(`| one EndpointSlice change, median of ${CHANGES} (watch event → rules → commit) | ${(median(times) * 1000).toFixed(0)} µs |`);
console.log(`| one EndpointSlice change, p90 / p99 | ${(pct(times, 0.9) * 1000).toFixed(0)} µs / ${(pct(times, 0.99) * 1000).toFixed(0)} µs |`);
console.log(`| build all ${built} Maglev tables (M=${core.options.maglevSize}) eagerly | ${(t5 - t4).toFixed(0)} ms (${((t5 - t4) / Math.max(built, 1) * 1000).toFixed(0)} µs each) |`);
for (const [format, m] of manifests) {
  const what = { json: 'JSON List', yaml: 'YAML, one document per object', 'yaml-list': 'YAML List as kubectl prints it' }[format];
  console.log(`| read a ${(m.bytes / 1e6).toFixed(0)} MB manifest (${what}, ${m.objects} objects; loadClusterObjects) | ` +
    `${m.ms.toFixed(0)} ms (${(m.bytes / 1e6 / (m.ms / 1000)).toFixed(1)} MB/s; ${m.cpuMs.toFixed(0)} ms CPU), peak RSS ${m.maxRssMB.toFixed(0)} MB |`);
}
