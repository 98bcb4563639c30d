// Traffic from outside the cluster end to end: NodePort, LoadBalancer with
// source ranges, externalIPs, masquerade, replies, rejects and ICMP errors
// about tracked connections, replayed through the command, and the output
// capture checked by tshark with checksum validation on.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPacket, buildIcmpError } from './helpers/packets.js';
import { runCli, ensureBuilt } from './helpers/cli.js';
import { tsharkFields, hasTshark } from './helpers/tshark.js';

const NODE = '192.168.49.2';

/** A classic pcap of Ethernet frames, one per second fraction. */
function pcap(frames: Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(65535, 16); h.writeUInt32LE(1, 20);
  parts.push(h);
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000, 0); r.writeUInt32LE(i * 1000, 4); r.writeUInt32LE(f.length, 8); r.writeUInt32LE(f.length, 12);
    parts.push(r, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

describe.skipIf(!hasTshark())('external traffic through the command, checked by tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcplane-external-'));
  let trace: Record<string, any>[];
  let out: string;
  const tcp = (src: string, dst: string, sport: number, dport: number, flags = 0x02) => buildPacket({ proto: 'TCP', src, dst, sport, dport, flags, payload: 20 });

  beforeAll(() => {
    ensureBuilt();
    const frames = [
      tcp('203.0.113.7', '198.51.100.80', 40001, 80),   // 0 LB IP, inside the source ranges
      tcp('198.18.0.9', '198.51.100.80', 40002, 80),    // 1 LB IP, outside: SOURCE_RANGE_DENIED
      tcp('198.18.0.9', NODE, 40003, 30080),             // 2 NodePort: not filtered
      tcp('198.18.0.9', '192.0.2.80', 40004, 80),        // 3 externalIP: not filtered
      buildPacket({ proto: 'UDP', src: '198.18.0.9', dst: NODE, sport: 5353, dport: 30053, payload: 30 }), // 4 eTP Local, no local endpoint
      tcp('198.18.0.9', NODE, 40005, 30082),             // 5 no endpoints: REJECT
      tcp('198.18.0.9', '10.96.0.80', 40006, 81),        // 6 unknown port of a ClusterIP: REJECT
    ];
    writeFileSync(join(dir, 'in1.pcap'), pcap(frames));
    const t1 = join(dir, 'trace1.jsonl');
    const r1 = runCli(['replay', join(dir, 'in1.pcap'), '-c', 'test/fixtures/external/cluster.yaml', '--node', 'node-a',
      '--node-ip', NODE, '--cluster-cidr', '10.244.0.0/16', '--trace', t1, '-q', '-w', join(dir, 'unused.pcap')]);
    expect(r1.status, r1.stderr).toBe(0);
    const first = readFileSync(t1, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Replies from the chosen backends to the masquerade address, and an ICMP
    // "fragmentation needed" about the NodePort connection, as a node would see them.
    const back = (i: number) => {
      const [bip, bport] = first[i].backend.split(':');
      const [, sport] = first[i].out.split(' ')[1].split(':');
      return { bip, bport: Number(bport), mport: Number(sport) };
    };
    const a = back(0), b = back(2);
    const replies = [
      tcp(a.bip, NODE, a.bport, a.mport, 0x12),
      tcp(b.bip, NODE, b.bport, b.mport, 0x12),
      buildIcmpError('10.244.0.1', NODE, 3, 4, tcp(NODE, b.bip, b.mport, b.bport, 0x10).subarray(14), 1400),
    ];
    writeFileSync(join(dir, 'in.pcap'), pcap([...frames, ...replies]));
    out = join(dir, 'out.pcapng');
    const t = join(dir, 'trace.jsonl');
    const r = runCli(['replay', join(dir, 'in.pcap'), '-c', 'test/fixtures/external/cluster.yaml', '--node', 'node-a',
      '--node-ip', NODE, '--cluster-cidr', '10.244.0.0/16', '--trace', t, '-q', '-w', out]);
    expect(r.status, r.stderr).toBe(0);
    trace = readFileSync(t, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  });

  it('each packet gets the verdict kube-proxy would give it', () => {
    expect(trace.map((l) => l.reason ? `${l.verdict}:${l.reason}` : l.verdict)).toEqual([
      'translated', 'dropped:SOURCE_RANGE_DENIED', 'translated', 'translated', 'dropped:NO_LOCAL_ENDPOINTS',
      'rejected:SERVICE_NO_ENDPOINTS', 'rejected:SERVICE_PORT_UNKNOWN', 'reversed', 'reversed', 'reversed',
    ]);
    // externalTrafficPolicy Cluster: masqueraded to the node address.
    for (const i of [0, 2, 3]) expect(trace[i].out).toMatch(new RegExp(`^TCP ${NODE.replace(/\./g, '\\.')}:\\d+ > 10\\.244\\.[12]\\.10:8080$`));
    // Replies come back from the address the client targeted, to the client.
    expect(trace[7].out).toBe('TCP 198.51.100.80:80 > 203.0.113.7:40001');
    expect(trace[8].out).toBe(`TCP ${NODE}:30080 > 198.18.0.9:40003`);
    expect(trace[9].out).toBe('ICMP 10.244.0.1 > 198.18.0.9');
  });

  it('trace lines carry tshark\'s frame number and time, and what was written for a reject', () => {
    const input = tsharkFields(join(dir, 'in.pcap'), ['frame.number', 'frame.time_epoch']).rows;
    expect(trace.map((l) => [String(l.frame), l.time])).toEqual(input.map(([n, t]) => [n, t]));
    expect(trace.map((l) => l.index + 1)).toEqual(trace.map((l) => l.frame));
    expect(trace[5].generated).toBe(`ICMP ${NODE} > 198.18.0.9 port unreachable, 102 bytes`);
    expect(trace[6].generated).toBe('ICMP 10.96.0.80 > 198.18.0.9 port unreachable, 102 bytes');
    expect(trace.filter((l) => l.generated !== undefined)).toHaveLength(2);
  });

  it('tshark: every checksum valid (outer and quoted), rejects and the translated ICMP error present', () => {
    const checks = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const rows = tsharkFields(out, ['frame.number', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'ip.checksum.status', 'tcp.checksum.status',
      'udp.checksum.status', 'icmp.checksum.status'], { extraArgs: checks }).rows;
    // Any checksum at any depth (the filter matches quoted headers too) that tshark finds bad.
    const bad = tsharkFields(out, ['frame.number'], { extraArgs: checks,
      filter: 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0' }).rows;
    expect(bad).toEqual([]);
    // 10 in, 2 dropped, 2 rejected (not written) + 2 rejects written.
    expect(rows.length).toBe(8);
    for (const r of rows) for (const v of r.slice(5)) if (v) expect(v, r.join(' ')).toBe('1');
    const rejects = rows.filter((r) => r[3] === '3' && r[4] === '3');
    expect(rejects.map((r) => r[1])).toEqual([NODE, '10.96.0.80']);
    const fragNeeded = rows.filter((r) => r[3].startsWith('3') && r[4].startsWith('4'));
    expect(fragNeeded).toHaveLength(1);
    expect(fragNeeded[0][2]).toBe('198.18.0.9');
  });
});
