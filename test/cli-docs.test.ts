// The documentation travels with the repository:
//   - every link in README.md and docs/*.md points at a file (and heading) inside the repository;
//   - docs/cli.md, the command's contract, names every option `svcplane replay --help` lists, and
//     in its whatif section every option of `svcplane whatif --help`; the README shows whatif;
//   - what the README says about running the command from a clone holds: package.json "bin"
//     names the built CLI, `npm run bench` runs the bench runner.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, ensureBuilt, runCli } from './helpers/cli.js';

const DOCS = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];

/** GitHub's anchor of a heading. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchor(l.replace(/^#+ /, ''))));
}

beforeAll(() => ensureBuilt());

describe('links in README.md and docs/', () => {
  for (const doc of DOCS) {
    it(`${doc}: every link stays inside the repository and exists`, () => {
      const text = fs.readFileSync(path.join(REPO, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
      const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
      for (const link of links) {
        const [target, hash] = link.split('#') as [string, string | undefined];
        const file = target === '' ? path.join(REPO, doc) : path.resolve(REPO, path.dirname(doc), target);
        expect(path.relative(REPO, file).startsWith('..'), `${doc}: ${link} leaves the repository`).toBe(false);
        expect(fs.existsSync(file), `${doc}: ${link} does not exist`).toBe(true);
        if (hash !== undefined && file.endsWith('.md')) expect([...anchorsOf(file)], `${doc}: ${link}`).toContain(hash);
      }
    });
  }

  it('the README links the command contract and the rules', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain('](docs/cli.md)');
    expect(readme).toContain('](docs/kube-proxy-semantics.md)');
    expect(readme).not.toMatch(/\.\.\/shared\/spec/);
  });
});

describe('docs/cli.md', () => {
  it('names every option of `svcplane replay --help`, and --version', () => {
    const r = runCli(['replay', '--help']);
    expect(r.status, r.stderr).toBe(0);
    const options = [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
    expect(options.length).toBeGreaterThan(20);
    const doc = fs.readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
    for (const o of [...options, '--version']) expect(doc, o).toMatch(new RegExp(`^(\\s+|svcplane )(-\\w, )?${o}\\b`, 'm'));
  });

  it('names every option of `svcplane whatif --help` in its own section', () => {
    const r = runCli(['whatif', '--help']);
    expect(r.status, r.stderr).toBe(0);
    const options = [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
    expect(options).toEqual(expect.arrayContaining(['--cluster', '--next', '--next-replicas', '--lb', '--next-lb', '--html', '--json']));
    const doc = fs.readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## `svcplane whatif`')).split(/^## /m)[1]!;
    for (const o of options) expect(section, o).toMatch(new RegExp(`^\\s+(-\\w, )?${o}\\b`, 'm'));
  });

  it('the README shows the whatif command, and --help lists it', () => {
    expect(runCli(['--help']).stdout).toMatch(/^  whatif \[options\] <capture>/m);
    expect(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')).toMatch(/^svcplane whatif <capture> \[options\]$/m);
  });
});

describe('docs/cli.md, `svcplane explain`', () => {
  it('its section names every option of `svcplane explain --help`, and the exit status 3', () => {
    const r = runCli(['explain', '--help']);
    expect(r.status, r.stderr).toBe(0);
    const options = [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
    expect(options).toEqual(expect.arrayContaining(['--flow', '--frame', '--json', '--cluster', '--node', '--updates']));
    const doc = fs.readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
    const start = doc.indexOf('## `svcplane explain`');
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
    for (const o of options) expect(section, o).toMatch(new RegExp(`^\\s+(-\\w, )?${o}\\b`, 'm'));
    expect(r.stdout).toMatch(/Exit status: .*3 the capture holds no/s);
    expect(section).toMatch(/3 the capture holds no packet of the flow/);
  });
});

describe('running it from a clone', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

  it('package.json "bin" names the built CLI, which starts with a node shebang', () => {
    expect(path.resolve(REPO, pkg.bin.svcplane!)).toBe(CLI);
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('`npm run bench` runs the bench runner, which lists the benchmarks', () => {
    expect(pkg.scripts.bench).toBe('node dist/bench/run.js');
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'bench', 'run.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const name of ['nat', 'profile', 'capture-io', 'control-plane', 'replay', 'soak']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});
