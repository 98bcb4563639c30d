// The replay allocates nothing per packet in JavaScript: a run allocates the same few MiB
// (objects, tables, chunks, the report) whether 20,000 or 1,000,000 packets go through, in both
// the synchronous and the overlapped driver. Bytes allocated are counted across collections
// (test/helpers/alloc-probe.mjs), each run in its own process. The per-packet path (--trace)
// allocates about 110 bytes a packet and would fail this by 100 MiB.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt, tempDir } from './helpers/cli.js';

const dir = tempDir('svcplane-alloc-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function generate(name: string, packets: number): string {
  const file = path.join(dir, name);
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'gen-replay-capture.mjs'), file, '--packets', String(packets), '--flows', '1000', '--cluster', path.join(dir, 'cluster.yaml')], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return file;
}

function probe(capture: string, mode: string): { allocated: number; packets: number } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'test', 'helpers', 'alloc-probe.mjs'), capture, path.join(dir, 'cluster.yaml'), path.join(dir, `out-${mode}.pcap`), mode], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('JavaScript allocation per packet', () => {
  let small = '';
  let large = '';
  beforeAll(() => {
    ensureBuilt();
    small = generate('small.pcap', 20_000);
    large = generate('large.pcap', 1_000_000);
  }, 120_000);

  it.each(['sync', 'async'])('%s: 1,000,000 packets allocate no more than 20,000 do (within 1 MiB)', (mode) => {
    const a = probe(small, mode);
    const b = probe(large, mode);
    expect(a.packets).toBe(20_000);
    expect(b.packets).toBe(1_000_000);
    // One byte per packet would be 0.95 MiB more; a JS object per packet, tens of MiB.
    expect(b.allocated - a.allocated).toBeLessThan(1 << 20);
  }, 180_000);
});
