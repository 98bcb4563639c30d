// `npm run bench` (bench/run.ts): with no argument it lists every benchmark, one line each; every
// benchmark it lists answers --help with its usage and exit status 0; an unknown name is exit 2.
// Runs the compiled runner as a user does; times nothing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt } from './helpers/cli.js';

const RUNNER = join(REPO, 'dist', 'bench', 'run.js');
const run = (args: string[]) => spawnSync(process.execPath, [RUNNER, ...args], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });

describe('npm run bench', () => {
  beforeAll(() => ensureBuilt());

  /** Names of the listed benchmarks: the indented lines of the listing. */
  const listed = (): string[] => {
    const r = run([]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]!);
  };

  it('lists every benchmark, one line each', () => {
    expect(listed()).toEqual(['nat', 'xdp', 'capture-io', 'control-plane', 'replay', 'soak', 'event-loop', 'profile', 'fuzz', 'probe-check']);
  });

  it('passes --help to each benchmark, which prints its usage and exits 0 without running', () => {
    for (const name of listed()) {
      const r = run([name, '--help']);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toMatch(/^usage: /);
    }
  });

  it('refuses an unknown option of a benchmark with its usage and exit status 2', () => {
    const r = run(['nat', '--no-such-option']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --no-such-option/);
    expect(r.stderr).toMatch(/usage: /);
  });

  it('refuses an unknown benchmark with exit status 2', () => {
    const r = run(['no-such-benchmark']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown benchmark no-such-benchmark/);
  });
});
