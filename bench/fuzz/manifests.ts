// Mutated manifests through the cluster loader: YAML and JSON files of the repository with
// bytes flipped, inserted and removed, invalid UTF-8, lines repeated (duplicate keys), and
// their values replaced (wrong types, huge and odd numbers, long strings, deep nesting,
// anchors and aliases) before being written back as YAML or JSON. In process, loading may
// only throw ManifestError; the rules and the core's tables may only refuse with TableError
// or CapacityError. A sample also goes through the CLI (exit 0 or 2, one line, no stack).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { parseObjectsText, ManifestError } from '../../src/k8s/load.js';
import { computeClusterState } from '../../src/k8s/rules.js';
import { Core, CapacityError } from '../../src/core/core.js';
import { ServiceTables, TableError } from '../../src/core/tables.js';
import { Rng, subSeed } from './rng.js';
import { cliProblem, pool, runCli } from './captures.js';
import '../../src/core/wasm-file.js'; // Cores from build/core.wasm

const enc = new TextEncoder();

const ODD_SCALARS: unknown[] = [
  null, true, false, 0, -1, 1.5, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER,
  '', ' ', '80', '0x50', '1e400', 'NaN', '-0', '::', '10.96.0.10', 'fd00::10', '10.96.0.10/33', '256.1.1.1', 'TCP', 'tcp',
  'UDP', 'SCTP', 'ICMP', 'Local', 'Cluster', 'ClientIP', 'LoadBalancer', 'NodePort', 'ExternalName', 'IPv6', 'default',
  'x'.repeat(300), '\u0000', '\ud800', '😀', [], {}, [null], { '': '' },
];

/** Replaces, removes or deepens a random node of a decoded value, in place when it can. */
function mutateValue(v: unknown, r: Rng, depth = 0): unknown {
  if (depth > 40 || v === null || typeof v !== 'object') return r.chance(0.5) ? r.pick(ODD_SCALARS) : v;
  if (Array.isArray(v)) {
    if (v.length === 0 || r.chance(0.1)) { v.push(r.pick(ODD_SCALARS)); return v; }
    const i = r.int(v.length);
    if (r.chance(0.1)) v.splice(i, 1);
    else if (r.chance(0.1)) v.push(structuredClone(v[i]));
    else v[i] = mutateValue(v[i], r, depth + 1);
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0 || r.chance(0.05)) { o[r.pick(['spec', 'ports', 'kind', 'items', 'endpoints', 'x'])] = r.pick(ODD_SCALARS); return o; }
  const k = r.pick(keys);
  const roll = r.next();
  if (roll < 0.1) delete o[k];
  else if (roll < 0.2) o[k] = r.pick(ODD_SCALARS);
  else if (roll < 0.25) { let x: unknown = o[k]; for (let n = r.range(10, 300); n > 0; n--) x = r.chance(0.5) ? [x] : { a: x }; o[k] = x; }
  else if (roll < 0.3) o[k] = Array.from({ length: r.range(2, 64) }, () => structuredClone(o[k]));
  else o[k] = mutateValue(o[k], r, depth + 1);
  return o;
}

/** Text-level changes a decoder must survive: duplicate keys, aliases, nesting, numbers, bytes. */
function mutateText(t: string, r: Rng): string {
  const lines = t.split('\n');
  const i = r.int(lines.length);
  switch (r.int(8)) {
    case 0: if (lines[i].includes(':')) lines.splice(i, 0, lines[i]); break; // a key given twice
    case 1: lines.splice(i, 0, `${' '.repeat(r.int(6))}${r.pick(['x: &a [1, 2, 3]', 'y: *a', 'z: *missing', '<<: *a', 'port: &p 80', 'targetPort: *p'])}`); break;
    case 2: {
      // Exponential aliases (each level twice the one before).
      const n = r.range(5, 40);
      const doc = ['a0: &a0 [x, x]', ...Array.from({ length: n }, (_, k) => `a${k + 1}: &a${k + 1} [*a${k}, *a${k}]`)].join('\n');
      return r.chance(0.5) ? `${doc}\n---\n${t}` : `${t}\n---\n${doc}\n`;
    }
    case 3: {
      const n = r.pick([100, 1000, 10_000, 100_000]);
      const [open, close] = r.pick([['[', ']'], ['{a: ', '}'], ['- ', '']]);
      const nest = open === '- ' ? Array.from({ length: Math.min(n, 2000) }, (_, k) => `${' '.repeat(k * 2)}- `).join('\n') + 'x' : open.repeat(n) + '1' + close.repeat(n);
      lines.splice(i, 0, `deep: ${nest}`);
      break;
    }
    case 4: lines[i] = lines[i].replace(/\d+/, r.pick(['9'.repeat(400), '1e999', '-0', '0x1F', '0o17', '1_000', '.inf', '-.nan', '80.5', '-80', '99999999999999999999'])); break;
    case 5: lines[i] = lines[i].replace(/: .*/, `: ${r.pick(['[', '{', '"', "'", '|', '>', '!!binary x', '!!str', '&', '*', '%YAML 1.1', '? x', '@', '`'])}`); break;
    case 6: lines.splice(r.int(lines.length), r.range(1, 20)); break;
    default: lines[i] = '\t' + lines[i];
  }
  return lines.join('\n');
}

const decodedCache = new Map<string, unknown[]>();
/** The documents of a seed, decoded once. */
function decoded(text: string): unknown[] {
  let v = decodedCache.get(text);
  if (!v) {
    const docs = parseAllDocuments(text, { uniqueKeys: false });
    v = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    decodedCache.set(text, v);
  }
  return v;
}

/** A mutant of manifest text (bytes: invalid UTF-8 stays possible); the name keeps or swaps the extension. */
export function mutateManifest(text: string, name: string, r: Rng): { bytes: Uint8Array; name: string } {
  const ext = path.extname(name);
  let out: string = text;
  const roll = r.next();
  if (roll < 0.4) {
    // Decode, change values, write back as YAML or JSON.
    try {
      const values = structuredClone(decoded(text));
      for (let n = r.range(1, 4); n > 0; n--) {
        const k = r.int(values.length);
        values[k] = mutateValue(values[k], r);
      }
      out = r.chance(0.5) ? values.map((v) => stringify(v, { aliasDuplicateObjects: r.chance(0.5) })).join('---\n')
        : values.map((v) => JSON.stringify(v)).join(r.chance(0.5) ? '\n' : '');
    } catch {
      out = mutateText(text, r);
    }
  } else if (roll < 0.7) out = mutateText(text, r);
  let bytes = enc.encode(out);
  if (roll >= 0.7 || r.chance(0.2)) {
    // Byte level: flips, sets (invalid UTF-8, NUL, BOM, CR), cuts, repeats.
    const b = Array.from(bytes);
    for (let n = r.range(1, 6); n > 0 && b.length; n--) {
      const at = r.int(b.length);
      const m = r.int(5);
      if (m === 0) b[at] ^= 1 << r.int(8);
      else if (m === 1) b.splice(at, 0, ...r.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0], [0xef, 0xbb, 0xbf], [13], [0xf4, 0x90, 0x80, 0x80]]));
      else if (m === 2) b.splice(at, r.range(1, 200));
      else if (m === 3) b.splice(at, 0, ...b.slice(at, at + r.range(1, 400)));
      else b[at] = r.pick([0x3a, 0x2d, 0x20, 0x0a, 0x22, 0x7b, 0x5b, 0x23, 0x26, 0x2a]);
    }
    bytes = Uint8Array.from(b);
  }
  const newExt = r.chance(0.1) ? r.pick(['.yaml', '.json', '.yml', '.txt']) : ext;
  return { bytes, name: path.basename(name, ext) + newExt };
}

export interface ManifestFuzzOptions {
  repo: string;
  seeds: string[];
  count: number;
  seed: number;
  /** Every cliEvery-th mutant also goes through the CLI (0: none). */
  cliEvery: number;
  jobs: number;
  timeoutMs: number;
  workDir: string;
  progress?: (done: number) => void;
}

export interface ManifestFuzzResult {
  runs: number;
  /** Loaded without error (not strict), refused by ManifestError, by the tables. */
  loaded: number;
  refused: number;
  tablesRefused: number;
  /** Mutants giving at least one Service port to program. */
  withServices: number;
  cliRuns: number;
  cliExit0: number;
  cliExit2: number;
  failures: { index: number; seedFile: string; kept: string; problem: string }[];
  slowestMs: number;
  /** The mutant that took slowestMs. */
  slowestIndex: number;
  wallMs: number;
}

/** Loads a mutant in process; the problem, if any, with its stack. */
function checkInProcess(bytes: Uint8Array, name: string, core: Core, res: ManifestFuzzResult): string | undefined {
  for (const strict of [false, true]) {
    let loaded;
    try {
      loaded = parseObjectsText(bytes, name, { strict });
    } catch (e) {
      if (e instanceof ManifestError) { if (!strict) res.refused++; continue; }
      return `parseObjectsText (strict ${strict}) threw ${(e as Error).stack ?? e}`;
    }
    if (strict) continue;
    res.loaded++;
    let state;
    try {
      state = computeClusterState(loaded.objects, { nodeName: 'node-a' });
    } catch (e) {
      return `computeClusterState threw ${(e as Error).stack ?? e}`;
    }
    if (state.servicePorts.length) res.withServices++;
    try {
      const t = new ServiceTables(core);
      t.setNode({ nodeIPs: ['192.168.49.2'], serviceCIDRs: state.serviceCIDRs });
      t.apply(state);
    } catch (e) {
      if (e instanceof TableError || e instanceof CapacityError) { res.tablesRefused++; continue; }
      return `programming the tables threw ${(e as Error).stack ?? e}`;
    }
  }
  return undefined;
}

export async function runManifestFuzz(o: ManifestFuzzOptions): Promise<ManifestFuzzResult> {
  const t0 = performance.now();
  const seeds = o.seeds.map((f) => ({ file: f, text: fs.readFileSync(f, 'utf8') }));
  const cli = path.join(o.repo, 'dist', 'src', 'cli', 'main.js');
  const capture = path.join(o.repo, 'test', 'fixtures', 'captures', 'sll2-dns.pcap');
  const res: ManifestFuzzResult = { runs: 0, loaded: 0, refused: 0, tablesRefused: 0, withServices: 0, cliRuns: 0, cliExit0: 0, cliExit2: 0, failures: [], slowestMs: 0, slowestIndex: -1, wallMs: 0 };
  fs.mkdirSync(o.workDir, { recursive: true });
  let core = new Core({ ctMax: 1024, maxServicePorts: 256, maxBackends: 1024, maxFrontends: 1024 });
  const cliQueue: { index: number; file: string; seedFile: string }[] = [];
  for (let i = 0; i < o.count; i++) {
    const r = new Rng(subSeed(o.seed, i));
    const seed = r.pick(seeds);
    const m = mutateManifest(seed.text, seed.file, r);
    const file = path.join(o.workDir, `manifest-${i}-${m.name}`);
    const t = performance.now();
    const problem = checkInProcess(m.bytes, m.name, core, res);
    const ms = performance.now() - t;
    if (ms > res.slowestMs) { res.slowestMs = ms; res.slowestIndex = i; }
    res.runs++;
    if (problem) {
      fs.writeFileSync(file, m.bytes);
      res.failures.push({ index: i, seedFile: path.relative(o.repo, seed.file), kept: file, problem });
      core = new Core({ ctMax: 1024, maxServicePorts: 256, maxBackends: 1024, maxFrontends: 1024 });
    } else if (o.cliEvery && i % o.cliEvery === 0) {
      fs.writeFileSync(file, m.bytes);
      cliQueue.push({ index: i, file, seedFile: seed.file });
    }
    o.progress?.(res.runs);
  }
  await pool(cliQueue.length, o.jobs, async (k) => {
    const { index, file, seedFile } = cliQueue[k];
    const out = path.join(o.workDir, `manifest-out-${index}.pcap`);
    const run = await runCli(cli, ['replay', capture, '-c', file, '--node', 'node-a', '-w', out], o.repo, o.timeoutMs);
    res.cliRuns++;
    if (run.status === 0) res.cliExit0++;
    if (run.status === 2) res.cliExit2++;
    const problem = cliProblem(run);
    if (problem) res.failures.push({ index, seedFile: path.relative(o.repo, seedFile), kept: file, problem: `CLI: ${problem}: ${run.stderr.slice(0, 2000)}` });
    else fs.rmSync(file, { force: true });
    fs.rmSync(out, { force: true });
  });
  res.wallMs = performance.now() - t0;
  return res;
}

/** The manifest seeds: the demo cluster and the YAML / JSON fixtures of the tests. */
export function manifestSeeds(repo: string): string[] {
  const out = [path.join(repo, 'pcaps', 'demo-cluster.yaml')];
  const walk = (dir: string) => {
    for (const n of fs.readdirSync(dir).sort()) {
      const f = path.join(dir, n);
      if (fs.statSync(f).isDirectory()) walk(f);
      else if (/\.(ya?ml|json)$/.test(n)) out.push(f);
    }
  };
  walk(path.join(repo, 'test', 'fixtures'));
  return out;
}
