// Capacity options on the command line: every bad value is refused at once (exit 2, one line
// naming the option, and the largest value that fits when the value is too large; before this,
// some spun for minutes or trapped), and a cluster larger than a given capacity is refused
// before the tables are loaded, naming that option; without the option the capacity is sized
// from the cluster. (The arithmetic, and a cluster larger than the defaults, are
// test/core-capacity.test.ts.)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARALLEL, REPO, ensureBuilt, mapLimit, runCliAsync, tempDir, type CliResult } from './helpers/cli.js';

const CAPTURE = path.join(REPO, 'pcaps', 'demo.pcapng');
/** Each run should end in well under a second; a few seconds allow for a loaded machine. */
const TIMEOUT_MS = 8000;

/** Exit 2 at once, nothing on standard output, one line on standard error, no stack trace. */
function expectRefused(r: CliResult, ...patterns: RegExp[]): void {
  expect(r.timedOut, `${r.command}: timed out`).toBe(false);
  expect(r.status, `${r.command}\n${r.stderr}`).toBe(2);
  expect(r.stdout, r.command).toBe('');
  expect(r.stderr, r.command).toMatch(/^[^\n]+\n$/);
  expect(r.stderr, r.command).not.toMatch(/^\s+at |\.(js|ts):\d+|abort|RuntimeError/m);
  for (const p of patterns) expect(r.stderr, r.command).toMatch(p);
}

/** [option, value, what the message says]. */
const TOO_LARGE: [string, string, RegExp][] = [
  ['--ct-max', '4294967295', /^svcplane: --ct-max 4294967295 is too large: at most \d+ connections fit in WebAssembly memory with the other tables\n$/],
  ['--ct-max', '2147483647', /--ct-max 2147483647 is too large: at most \d+ connections/],
  ['--ct-max', '1073741824', /--ct-max 1073741824 is too large: at most \d+ connections/],
  ['--ct-max', '100000000', /--ct-max 100000000 is too large: at most \d+ connections/],
  ['--ct-max', '1000000000000000000000', /--ct-max 1e\+21 is too large: at most \d+ connections/],
  ['--maglev-size', '4294967291', /--maglev-size 4294967291 is too large: at most 134217689\b/],
  ['--maglev-size', '4294967311', /--maglev-size 4294967311 is too large: at most 134217689\b/],
  ['--max-service-ports', '4294967296', /--max-service-ports 4294967296 is too large: at most \d+ service ports/],
  ['--max-backends', '99999999999', /--max-backends 99999999999 is too large: at most \d+ backends/],
  ['--max-frontends', '3000000000', /--max-frontends 3000000000 is too large: at most \d+ frontends/],
  ['--max-affinity', '4294967295', /--max-affinity 4294967295 is too large: at most \d+ affinity entries/],
  ['--max-fragments', '2147483648', /--max-fragments 2147483648 is too large: at most \d+ fragment entries/],
];

const NOT_A_COUNT = ['abc', '0', '-5', '1.5', '1e21', ''];
const OPTIONS = ['--ct-max', '--maglev-size', '--max-service-ports', '--max-backends', '--max-frontends', '--max-affinity', '--max-fragments'];
/** Every value for --ct-max; a few for the others (they share the parser). */
const notACount = (opt: string) => (opt === '--ct-max' ? NOT_A_COUNT : ['abc', '0', '1.5']);

/** A List of n Services (one port each) with `per` ready endpoints each. */
function manifest(n: number, per: number): string {
  const items: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.96.7.${i}`;
    items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'caps' },
      spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] } });
    items.push({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `s${i}-a`, namespace: 'caps', labels: { 'kubernetes.io/service-name': `s${i}` } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: Array.from({ length: per }, (_, j) => ({ addresses: [`10.244.${i}.${j + 1}`], conditions: { ready: true } })) });
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

let runs: Map<string, CliResult>;
const SIXTY = 60;

beforeAll(async () => {
  ensureBuilt();
  const dir = tempDir('svcplane-cli-capacity-');
  const cluster = path.join(dir, 'sixty.json');
  fs.writeFileSync(cluster, manifest(SIXTY, 3));
  const cases: [string, string[]][] = [
    ...TOO_LARGE.map(([opt, v]) => [`${opt} ${v}`, ['replay', CAPTURE, opt, v, '-q']] as [string, string[]]),
    ...OPTIONS.flatMap((opt) => notACount(opt).map((v) => [`${opt} '${v}'`, ['replay', CAPTURE, `${opt}=${v}`, '-q']] as [string, string[]])),
    ['servicePorts', ['replay', CAPTURE, '-c', cluster, '--max-service-ports', '10', '-q']],
    ['backends', ['replay', CAPTURE, '-c', cluster, '--max-backends', '100', '-q']],
    ['frontends', ['replay', CAPTURE, '-c', cluster, '--max-frontends', '64', '-q']],
    ['sized', ['replay', CAPTURE, '-c', cluster, '--json']],
    ['given', ['replay', CAPTURE, '-c', cluster, '--max-service-ports', '60', '--max-backends', '180', '--max-frontends', '120', '--max-affinity', '7', '--max-fragments', '3', '-q']],
  ];
  const results = await mapLimit(cases, PARALLEL, async ([k, args]) => [k, await runCliAsync(args, { timeout: TIMEOUT_MS })] as const);
  runs = new Map(results);
}, 120_000);

describe('a capacity too large: exit 2, one line with the option and the largest value that fits', () => {
  for (const [opt, v, message] of TOO_LARGE) {
    it(`${opt} ${v}`, () => expectRefused(runs.get(`${opt} ${v}`)!, message));
  }
});

describe('not a positive whole number: exit 2, one line naming the option', () => {
  for (const opt of OPTIONS) {
    it(opt, () => {
      for (const v of notACount(opt)) expectRefused(runs.get(`${opt} '${v}'`)!, new RegExp(`${opt}\\b`), /positive whole number/);
    });
  }
});

describe('a cluster larger than a given capacity: refused before loading, naming the option', () => {
  it('--max-service-ports', () => {
    expectRefused(runs.get('servicePorts')!, /^svcplane: --max-service-ports 10 is too small: the cluster has 60 service ports\n$/);
  });
  it('--max-backends', () => {
    expectRefused(runs.get('backends')!, /^svcplane: --max-backends 100 is too small: the cluster has 180 backends\n$/);
  });
  it('--max-frontends (a ClusterIP and its marker per Service)', () => {
    expectRefused(runs.get('frontends')!, /^svcplane: --max-frontends 64 is too small: the cluster has 120 frontends\n$/);
  });
  it('without the options the capacities are sized from the cluster; exactly enough is enough', () => {
    for (const k of ['sized', 'given']) {
      const r = runs.get(k)!;
      expect(r.timedOut, r.command).toBe(false);
      expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
    }
    const report = JSON.parse(runs.get('sized')!.stdout) as { services: unknown[] };
    expect(report.services).toHaveLength(SIXTY);
  });
});
