// The replay benchmark's generator (scripts/gen-replay-capture.mjs): 64-byte frames with good
// checksums as tshark sees them, each flow opening with a SYN, and a manifest that translates
// every packet. No timing here.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { countPcapRecords, tcprewriteMaps } from '../bench/replay-inputs.js';
import { REPO, ensureBuilt, runCli, tempDir } from './helpers/cli.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';

describe('gen-replay-capture.mjs', () => {
  const dir = tempDir('svcplane-bench-replay-');
  const capture = join(dir, 'in.pcap');
  const cluster = join(dir, 'cluster.yaml');

  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'gen-replay-capture.mjs'), capture, '--packets', '200', '--flows', '10', '--cluster', cluster],
      { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!hasTshark())('writes 64-byte frames whose IPv4 and TCP checksums tshark finds good, a SYN first in each flow', () => {
    const { rows } = tsharkFields(capture, ['frame.len', 'frame.cap_len', 'ip.checksum.status', 'tcp.checksum.status', 'tcp.stream', 'tcp.flags.syn'],
      { extraArgs: ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'] });
    expect(rows).toHaveLength(200);
    // checksum.status 1 = good
    for (const [len, caplen, ipSum, tcpSum] of rows) expect([len, caplen, ipSum, tcpSum]).toEqual(['64', '64', '1', '1']);
    const firstFlags = new Map<string, string>();
    for (const [, , , , stream, syn] of rows) if (!firstFlags.has(stream!)) firstFlags.set(stream!, syn!);
    expect(firstFlags.size).toBe(10);
    expect([...firstFlags.values()].every((s) => s === '1' || s === 'True')).toBe(true);
    expect(rows.filter((r) => r[5] === '1' || r[5] === 'True')).toHaveLength(10);
  });

  it('comes with a manifest through which svcplane translates every packet', () => {
    ensureBuilt();
    const out = join(dir, 'out.pcap');
    const r = runCli(['replay', capture, '-c', cluster, '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '-w', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).packets).toMatchObject({ in: 200, translated: 200 });
    expect(countPcapRecords(out)).toBe(200);
  });

  it('gives tcprewrite a map from each ClusterIP to a backend and from each port to its target port', () => {
    expect(tcprewriteMaps(cluster)).toEqual([
      '--dstipmap=10.96.0.10/32:10.244.201.1/32,10.96.0.11/32:10.244.202.1/32,10.96.0.12/32:10.244.203.1/32',
      '--portmap=80:8080,443:8443,8080:9090',
    ]);
  });
});
