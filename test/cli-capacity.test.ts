// Capacity options on the command line: every bad value is refused at once (exit 2, one line
// naming the option, and the largest value that fits when the value is too large; before this,
// some spun for minutes or trapped), and a cluster larger than a given capacity is refused
// before the tables are loaded, naming that option; without the option the capacity is sized
// from the cluster. (The arithmetic, and a cluster larger than the defaults, are
// test/core-capacity.test.ts.)

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, PARALLEL, REPO, ensureBuilt, mapLimit, runCliAsync, tempDir, type CliResult } from './helpers/cli.js';

const CAPTURE = path.join(REPO, 'pcaps', 'demo.pcapng');
const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
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
  ['--maglev-size', '4294967291', /--maglev-size 4294967291 is too large: at most 5000011\b/],
  ['--maglev-size', '4294967311', /--maglev-size 4294967311 is too large: at most 5000011\b/],
  // Accepted before, and built for minutes with Ctrl-C ignored.
  ['--maglev-size', '134217689', /^svcplane: --maglev-size 134217689 is too large: at most 5000011 \(a larger table takes too long to build\)\n$/],
  ['--maglev-size', '100000007', /^svcplane: --maglev-size 100000007 is too large: at most 5000011 /],
  ['--maglev-size', '5000077', /^svcplane: --maglev-size 5000077 is too large: at most 5000011 /],
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
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('svcplane-cli-capacity-');
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
    ['whatif maglev-size', ['whatif', CAPTURE, '--next-lb', 'random', '--maglev-size', '100000007', '-q']],
    ['explain maglev-size', ['explain', CAPTURE, '--frame', '1', '--maglev-size', '100000007']],
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

describe('--maglev-size: at most 5000011, built in bounded time, a build a signal can end', () => {
  it('whatif and explain refuse a size above the largest as replay does', () => {
    for (const k of ['whatif maglev-size', 'explain maglev-size']) {
      expectRefused(runs.get(k)!, /^svcplane: --maglev-size 100000007 is too large: at most 5000011 \(a larger table takes too long to build\)\n$/);
    }
  });

  it('the largest size builds and replays the demo, in each Maglev (the slowest, katran-v2, took 1.9 s)', async () => {
    for (const compat of ['svcplane', 'katran', 'katran-v2']) {
      const r = await runCliAsync(['replay', CAPTURE, '-c', DEMO_CLUSTER, '--maglev-size', '5000011', '--maglev-compat', compat, '--json'], { timeout: 120_000 });
      expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as { packets: { translated: number } }).packets.translated).toBeGreaterThan(0);
    }
  }, 400_000);

  // 200 endpoint sets of 5000011 slots: a build of about a minute (54 s measured), in slices.
  const BUILDS = 200;
  /**
   * Runs the command on a cluster of BUILDS Services and a Service with a bad port (its warning
   * says the cluster is loaded and the build starting), sends `signal` a second after the warning,
   * and resolves with the exit and how long after the signal it came.
   */
  function interruptBuild(command: string[], signal: NodeJS.Signals): Promise<{ status: number | null; stderr: string; seconds: number }> {
    const many = path.join(dir, 'many.json');
    const bad = path.join(dir, 'bad-port.yaml');
    if (!fs.existsSync(many)) fs.writeFileSync(many, manifest(BUILDS, 3));
    fs.writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: caps}\n'
      + 'spec: {clusterIP: 10.96.99.1, ports: [{name: http, port: 70000, protocol: TCP}]}\n');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...command, '-c', many, '-c', bad, '--maglev-size', '5000011'],
        { cwd: REPO, env: { ...process.env, NO_COLOR: '1', LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      let sentAt = 0;
      const killer = setTimeout(() => child.kill('SIGKILL'), 200_000);
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString('utf8');
        if (sentAt === 0 && stderr.includes('port 70000 is out of range')) {
          sentAt = -1;
          setTimeout(() => {
            sentAt = performance.now();
            child.kill(signal);
          }, 1000);
        }
      });
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(killer);
        resolve({ status, stderr, seconds: sentAt > 0 ? (performance.now() - sentAt) / 1000 : -1 });
      });
    });
  }

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} during a long build: replay ends at once (exit ${status}), saying so in one line`, async () => {
      const r = await interruptBuild(['replay', CAPTURE, '-q'], signal);
      expect(r.status, r.stderr).toBe(status);
      expect(r.seconds, r.stderr).toBeGreaterThan(0);
      expect(r.seconds, r.stderr).toBeLessThan(20);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`svcplane: interrupted by ${signal} (0 bytes read)`);
    }, 240_000);
  }

  it('SIGINT during a long build: whatif ends at once too (exit 130)', async () => {
    const r = await interruptBuild(['whatif', CAPTURE, '--next-lb', 'random', '-q'], 'SIGINT');
    expect(r.status, r.stderr).toBe(130);
    expect(r.seconds, r.stderr).toBeGreaterThan(0);
    expect(r.seconds, r.stderr).toBeLessThan(20);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 240_000);
});
