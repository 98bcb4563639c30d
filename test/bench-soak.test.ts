// The soak benchmark (bench/soak.ts) end to end at a small size: the replay reads the whole
// streamed capture and applies every update, and RSS was sampled. Whether RSS is flat is for the
// recorded 100M run (bench/RESULTS.md, "Soak"); runs this short are noise. Also the generator's
// frames, checked by tshark. No timing here.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt, tempDir } from './helpers/cli.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

const GEN = join(REPO, 'scripts', 'gen-soak-capture.mjs');

describe('npm run bench -- soak', () => {
  beforeAll(() => ensureBuilt());

  it('replays the streamed capture with every update applied and samples the replay\'s RSS', () => {
    const dir = tempDir('svcplane-bench-soak-');
    const r = spawnSync(process.execPath, [join(REPO, 'dist', 'bench', 'run.js'), 'soak', '--packets', '300k', '--pps-of-capture-time', '10000',
      '--flows', '2000', '--interval-ms', '10', '--dir', dir, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.packets).toBe(300_000);
    // Updates at 0.5, 1.5 .. 29.5 s; the last packet is at 29.9999 s.
    expect(res.updatesGiven).toBe(30);
    expect(res.updatesApplied).toBe(30);
    expect(res.verdicts.translated + res.verdicts.passed + res.verdicts.dropped).toBe(300_000);
    expect(res.verdicts.translated).toBeGreaterThan(0);
    expect(res.verdicts.passed).toBeGreaterThan(0);
    expect(res.drops).toEqual({ SERVICE_IP_UNALLOCATED: res.verdicts.dropped });
    expect(res.samples).toBeGreaterThan(0);
    expect(res.peakRssKiB).toBeGreaterThan(0);
  });
});

describe('gen-soak-capture.mjs', () => {
  const dir = tempDir('svcplane-gen-soak-');
  const capture = join(dir, 'in.pcap');

  beforeAll(() => {
    const r = spawnSync(process.execPath, [GEN, capture, '--packets', '2000', '--pps', '1000', '--flows', '50'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!hasTshark())('writes 64-byte frames at the given rate whose IPv4, TCP and UDP checksums tshark finds good', () => {
    const { rows } = tsharkFields(capture, ['frame.len', 'frame.time_relative', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status'],
      { extraArgs: ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'] });
    expect(rows).toHaveLength(2000);
    rows.forEach(([len, time, ipSum, tcpSum, udpSum], n) => {
      expect(len).toBe('64');
      expect(Number(time)).toBeCloseTo(n / 1000, 6);
      // checksum.status 1 = good
      expect(ipSum).toBe('1');
      expect(tcpSum === '1' || udpSum === '1').toBe(true);
    });
  });
});
