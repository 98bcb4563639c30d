// The fuzz guard in CI (bench/fuzz.ts runs the same at scale): 100,000 mutated and random
// packets through the release, no-fast-path and debug cores with every answer compared;
// mutated captures through `svcplane replay` (exit 0 or 2, one line, no stack, a readable
// output); mutated manifests through the loader, the rules and the tables, a sample through
// the CLI. A failure names the seed and index that reproduce it (`npm run bench -- fuzz --seed S`).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt } from './helpers/cli.js';
import { CORPUS, haveCorpus } from './helpers/corpus.js';
import { runPacketFuzz, describeFinding } from '../bench/fuzz/run-packets.js';
import { runCaptureFuzz, captureSeeds } from '../bench/fuzz/captures.js';
import { runManifestFuzz, manifestSeeds } from '../bench/fuzz/manifests.js';

const SEED = 20261203;
const PACKETS = 100_000;
const CAPTURES = 24;
const MANIFESTS = 500;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-fuzz-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('fuzz guard', () => {
  beforeAll(() => ensureBuilt());

  it(`${PACKETS.toLocaleString('en-US')} packets: the three cores agree on every answer, none traps`, () => {
    const r = runPacketFuzz(PACKETS, SEED);
    expect(r.findings.map((f) => describeFinding(f, SEED))).toEqual([]);
    expect(r.packets).toBe(PACKETS);
    // Deep enough to matter: every verdict, most drop reasons, Services and backends reached.
    expect([...r.verdicts.keys()].sort()).toEqual(['dropped', 'passed', 'rejected', 'reversed', 'translated']);
    expect(r.reasons.size).toBeGreaterThanOrEqual(14);
    expect(r.reached.backend).toBeGreaterThan(PACKETS / 10);
    expect(r.fastPath).toBeGreaterThan(0);
  }, 180_000);

  it(`${CAPTURES} mutated captures through svcplane replay: exit 0 (output reads back) or 2 (one line), no stack`, async () => {
    const r = await runCaptureFuzz({
      repo: REPO, seeds: captureSeeds(REPO, haveCorpus ? CORPUS : undefined), count: CAPTURES, seed: SEED, jobs: 2,
      timeoutMs: 60_000, workDir: path.join(work, 'captures'),
    });
    expect(r.failures).toEqual([]);
    expect(r.exit0 + r.exit2).toBe(CAPTURES);
    expect(r.exit0).toBeGreaterThan(0);
    expect(r.exit2).toBeGreaterThan(0);
  }, 180_000);

  it(`${MANIFESTS} mutated manifests: only ManifestError, TableError or CapacityError; the CLI exits 0 or 2 with one line`, async () => {
    const r = await runManifestFuzz({
      repo: REPO, seeds: manifestSeeds(REPO), count: MANIFESTS, seed: SEED, cliEvery: 50, jobs: 2, timeoutMs: 60_000,
      workDir: path.join(work, 'manifests'),
    });
    expect(r.failures).toEqual([]);
    expect(r.runs).toBe(MANIFESTS);
    expect(r.loaded).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.withServices).toBeGreaterThan(0);
    expect(r.cliRuns).toBe(MANIFESTS / 50);
  }, 180_000);
});
