// What the command says about cluster files (-c) and --updates files, run as a child process:
//   - warnings about skipped objects go to standard error before the replay starts (before the
//     progress bar is first drawn), also with -q and with --json (whose standard output stays the
//     report alone), and the report's "problems" keeps them in full;
//   - quoted text in a warning is cut to 100 characters, a line to 300;
//   - a file that is not text (NUL bytes, control characters), also inside a -c
//     directory: exit 2, one line;
//   - an empty file (or only comments), and a file with no object svcplane reads: a warning, exit 0.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { shortenProblem } from '../src/cli/cluster-input.js';

const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
const ROOT = tempDir('svcplane-cli-cluster-');
let files = 0;
/** A fresh file under ROOT with these contents. */
function file(name: string, contents: string | Uint8Array): string {
  const dir = fs.mkdirSync(path.join(ROOT, String(files++)), { recursive: true })!;
  const f = path.join(dir, name);
  fs.writeFileSync(f, contents);
  return f;
}

const warnings = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('svcplane: warning: '));

/** A Service with a port out of range (line 7), then a good one. */
const SERVICE_NO_PORT = ['apiVersion: v1', 'kind: Service', 'metadata: {name: web, namespace: default}', 'spec:', '  clusterIP: 10.96.0.10',
  '  ports:', '  - port: 70000', '---', 'apiVersion: v1', 'kind: Service', 'metadata: {name: ok, namespace: default}', 'spec:',
  '  clusterIP: 10.96.0.11', '  ports:', '  - port: 80', ''].join('\n');

beforeAll(() => ensureBuilt());

describe('warnings about skipped objects', () => {
  it('printed before the replay starts, even with -q and --json; the report keeps them', () => {
    const bad = file('bad.yaml', SERVICE_NO_PORT);
    for (const extra of [['-q'], ['--json'], ['-q', '--json'], []]) {
      const r = runCli(['replay', DEMO, '-c', DEMO_CLUSTER, '-c', bad, ...extra]);
      expect(r.status, r.stderr).toBe(0);
      const w = warnings(r);
      expect(w.length, r.stderr).toBe(1);
      expect(w[0]).toMatch(/^svcplane: warning: .*bad\.yaml:7:\d+: Service default\/web: spec\.ports\[0\]\.port: .*70000/);
      if (extra.includes('--json')) {
        const report = JSON.parse(r.stdout) as { problems: string[] };
        expect(report.problems.length).toBe(1);
        expect(report.problems[0]).toContain('70000');
      }
    }
  });

  it('before the progress bar is first drawn', () => {
    const bad = file('bad.yaml', SERVICE_NO_PORT);
    const r = runCliEnv(['replay', DEMO, '-c', DEMO_CLUSTER, '-c', bad, '-w', '/dev/null'], { SVCPLANE_PROGRESS: '1' });
    expect(r.status, r.stderr).toBe(0);
    const warning = r.stderr.indexOf('svcplane: warning: ');
    const bar = r.stderr.indexOf('replaying');
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(bar).toBeGreaterThan(warning);
  });

  it('--updates problems too, with -q', () => {
    const updates = file('updates.jsonl', '{"at":-1,"type":"ADDED","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"x","namespace":"default"}}}\n');
    const r = runCli(['replay', DEMO, '-c', DEMO_CLUSTER, '--updates', updates, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(warnings(r)).toEqual([expect.stringMatching(/^svcplane: warning: .*updates\.jsonl:1:\d+: .*"at" must be a number of seconds >= 0/)]);
  });

  it('quoted text is cut to 100 characters', () => {
    const long = file('long.yaml', 'x'.repeat(24_000) + '\n');
    const r = runCli(['replay', DEMO, '-c', long, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.length).toBeLessThan(1000);
    const w = warnings(r);
    // The loader quotes at most 160 characters of a value; the line says where the rest went.
    expect(w[0]).toMatch(/not "x{100,160}…/);
    for (const l of w) expect(l.length).toBeLessThanOrEqual(320);
  });

  it('shortenProblem: quotes and escapes kept whole, long lines cut', () => {
    expect(shortenProblem('a "short" b')).toBe('a "short" b');
    const escaped = `not "${'\\u00e9'.repeat(30)}"`; // 180 characters of escapes
    const cut = shortenProblem(escaped);
    expect(cut).toMatch(/^not "(\\u00e9){16}…" \(180 characters\)$/);
    const line = 'word '.repeat(200);
    expect(shortenProblem(line)).toBe(`${line.slice(0, 300)}… (1000 characters)`);
  });
});

describe('files that are not what --cluster reads', () => {
  it('a binary file: exit 2, one line', () => {
    const wasm = file('core.wasm', fs.readFileSync(path.join(REPO, 'build', 'core.wasm')));
    const r = runCli(['replay', DEMO, '-c', wasm, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${wasm}: not a text file (byte 0 is 0x00); --cluster reads YAML or JSON\n`);
  });

  it('control characters without a NUL (random bytes parse as a YAML scalar): exit 2', () => {
    const bin = file('noise.yaml', Buffer.from([0x41, 0x42, 0x12, 0x43, 0x7f, 0x44]));
    const r = runCli(['replay', DEMO, '-c', bin, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${bin}: not a text file (byte 2 is 0x12); --cluster reads YAML or JSON\n`);
  });

  it('text that is not UTF-8: a warning naming the line and byte offset; with --strict, exit 2', () => {
    const bin = file('latin1.yaml', Buffer.from('kind: Service\nmetadata: {name: caf\xe9}\n', 'latin1'));
    const r = runCli(['replay', DEMO, '-c', bin, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(warnings(r)[0]).toBe(`svcplane: warning: ${bin}:2:21: invalid UTF-8 at byte offset 34 (0xe9); read as U+FFFD`);
    const strict = runCli(['replay', DEMO, '-c', bin, '-q', '--strict']);
    expect(strict.status, strict.stderr).toBe(2);
    expect(strict.stderr).toBe(`svcplane: ${bin}:2:21: invalid UTF-8 at byte offset 34 (0xe9); manifests must be UTF-8\n`);
  });

  it('a binary manifest inside a -c directory: exit 2', () => {
    const dir = path.dirname(file('a.yaml', fs.readFileSync(DEMO_CLUSTER)));
    fs.writeFileSync(path.join(dir, 'b.json'), Buffer.from([0x7b, 0x00, 0x7d]));
    const r = runCli(['replay', DEMO, '-c', dir, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${path.join(dir, 'b.json')}: not a text file (byte 1 is 0x00); --cluster reads YAML or JSON\n`);
  });

  it('an empty file, or one of comments only: a warning, exit 0', () => {
    for (const contents of ['', '# nothing here\n---\n\n']) {
      const empty = file('empty.yaml', contents);
      const r = runCli(['replay', DEMO, '-c', DEMO_CLUSTER, '-c', empty, '-q']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe(`svcplane: warning: ${empty}: empty file: no Kubernetes objects\n`);
    }
  });

  it('a file with no object svcplane reads: a warning naming what was skipped', () => {
    const deployment = file('deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n');
    const r = runCli(['replay', DEMO, '-c', deployment, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`svcplane: warning: ${deployment}: no Service, EndpointSlice, Endpoints, Node or ServiceCIDR objects (skipped: 1 Deployment)\n`);
  });

  it('a good file says nothing', () => {
    const r = runCli(['replay', DEMO, '-c', DEMO_CLUSTER, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

/** runCli with extra environment variables. */
function runCliEnv(args: string[], env: Record<string, string>): CliResult {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    return runCli(args);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
