// `svcplane explain` end to end through the real command: the demo (its explanations checked
// against `svcplane replay --trace` of the same packets), and small crafted clusters for each
// decision it names: endpoints excluded (not ready, other zone) and the rule, a Local policy
// without local endpoints, masquerade and the port chosen, a reply's conntrack state before
// and after; and what it says about a flow the capture lacks and a bad --flow.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CT_STATE_NAMES } from '../assembly/abi/explain.js';
import { REPO, ensureBuilt, readTrace, runCli, runCliAsync, tempDir, mapLimit, PARALLEL, type TraceLine } from './helpers/cli.js';
import { buildIcmpError, buildPacket, type PacketSpec } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';
import { endpointSlice, list, node, service } from './fixtures/k8s/builders.js';
import type { PacketExplanation } from '../src/explain/packet.js';
import '../src/core/wasm-file.js';
import { Dataplane } from '../src/dataplane.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { SET_CLUSTER } from '../src/core/abi.js';

const DEMO = ['pcaps/demo.pcapng', '--cluster', 'pcaps/demo-cluster.yaml', '--node', 'node-a', '--node-ip', '192.168.49.2',
  '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16'];

const SYN = 0x02, SYN_ACK = 0x12, ACK = 0x10;

function jsonLines(stdout: string): PacketExplanation[] {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as PacketExplanation);
}

type Crafted = PacketSpec | { icmpError: { src: string; dst: string; type: number; code: number; mtu: number; quoted: PacketSpec } };

/** A pcap of these packets, one a second from t = 1000 s. */
function capture(dir: string, name: string, packets: Crafted[]): string {
  const file = path.join(dir, name);
  const frame = (p: Crafted): Uint8Array => {
    if (!('icmpError' in p)) return buildPacket(p);
    const e = p.icmpError;
    return buildIcmpError(e.src, e.dst, e.type, e.code, buildPacket(e.quoted), e.mtu);
  };
  fs.writeFileSync(file, concat(pcapHeader(), ...packets.map((p, i) => pcapRecord({ sec: 1000 + i, frac: 0, data: frame(p) }))));
  return file;
}

// The crafted cluster: node-a in zone z1 (192.168.49.2), pods in 10.244.0.0/16.
//   web   ClusterIP 10.96.0.10:80 → 8080: 10.244.1.5 (node-a, ready, hinted z1), 10.244.1.6 (node-a, not ready),
//         10.244.2.7 (node-b, ready, hinted z2): topology keeps only 10.244.1.5.
//   local NodePort 30080, externalTrafficPolicy Local, its one endpoint 10.244.2.8 on node-b.
const CLUSTER = list([
  node('node-a', 'z1', '192.168.49.2'),
  node('node-b', 'z2', '192.168.49.3'),
  service('web', { clusterIP: '10.96.0.10' }),
  endpointSlice('web-1', 'web', { endpoints: [
    { ip: '10.244.1.5', node: 'node-a', zone: 'z1', zoneHints: ['z1'] },
    { ip: '10.244.1.6', node: 'node-a', zone: 'z1', ready: false, zoneHints: ['z1'] },
    { ip: '10.244.2.7', node: 'node-b', zone: 'z2', zoneHints: ['z2'] },
  ] }),
  service('local', { clusterIP: '10.96.0.20', type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  endpointSlice('local-1', 'local', { endpoints: [{ ip: '10.244.2.8', node: 'node-b', zone: 'z2' }] }),
]);

const PACKETS: Crafted[] = [
  // 1: a pod to web
  { proto: 'TCP', src: '10.244.3.3', dst: '10.96.0.10', sport: 50000, dport: 80, flags: SYN },
  // 2: outside → web, masqueraded; 3: the backend's reply; 4: the client's ACK
  { proto: 'TCP', src: '198.51.100.9', dst: '10.96.0.10', sport: 41000, dport: 80, flags: SYN },
  { proto: 'TCP', src: '10.244.1.5', dst: '192.168.49.2', sport: 8080, dport: 41000, flags: SYN_ACK },
  { proto: 'TCP', src: '198.51.100.9', dst: '10.96.0.10', sport: 41000, dport: 80, flags: ACK },
  // 5: another outside client with the same source port: masqueraded to another port
  { proto: 'TCP', src: '198.51.100.10', dst: '10.96.0.10', sport: 41000, dport: 80, flags: SYN },
  // 6: outside → the Local NodePort, no endpoint on node-a
  { proto: 'TCP', src: '198.51.100.7', dst: '192.168.49.2', sport: 40000, dport: 30080, flags: SYN },
  // 7: an ICMP error (fragmentation needed) about connection 2, quoting what the node sent the backend
  { icmpError: { src: '10.244.1.5', dst: '192.168.49.2', type: 3, code: 4, mtu: 1400,
                 quoted: { proto: 'TCP', src: '192.168.49.2', dst: '10.244.1.5', sport: 41000, dport: 8080, flags: ACK, link: 'raw' } } },
  // 8: IPv6, no Service
  { proto: 'TCP', src: 'fd00::1', dst: 'fd00::a', sport: 40000, dport: 80, flags: SYN },
];

const NODE = ['--node', 'node-a', '--node-ip', '192.168.49.2', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16'];

let dir: string;
let crafted: string[];

beforeAll(() => {
  ensureBuilt();
  dir = tempDir('svcplane-explain-');
  fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify(CLUSTER));
  crafted = [capture(dir, 'crafted.pcap', PACKETS), '--cluster', path.join(dir, 'cluster.json'), ...NODE];
});

describe('svcplane explain on a crafted cluster', () => {
  it('names the rule and each endpoint left out of the set, and why (not ready, other zone)', () => {
    const r = runCli(['explain', ...crafted, '--flow', 'tcp 10.244.3.3:50000 > 10.96.0.10:80']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('flow TCP 10.244.3.3:50000 > 10.96.0.10:80, both directions');
    expect(r.stdout).toContain('frame 1 (packet 0) at 1000.000000000: TCP 10.244.3.3:50000 > 10.96.0.10:80');
    expect(r.stdout).toContain('frontend: ClusterIP 10.96.0.10:80 of default/web:http');
    expect(r.stdout).toContain('endpoint set: cluster, 1 endpoint: internalTrafficPolicy Cluster: the cluster set (rule 10)');
    expect(r.stdout).toContain('ready endpoints hinted for zone z1 (rules 8, 11: PreferSameZone)');
    expect(r.stdout).toMatch(/10\.244\.1\.5:8080 \(ready, node node-a, zone z1\): in the set, chosen/);
    expect(r.stdout).toMatch(/10\.244\.1\.6:8080 \(not ready, node node-a, zone z1\): excluded: not ready/);
    expect(r.stdout).toMatch(/10\.244\.2\.7:8080 \(ready, node node-b, zone z2\): excluded: other zone \(hinted for z2\)/);
    expect(r.stdout).toMatch(/backend: 10\.244\.1\.5:8080 \(Maglev slot \d+ of 16381\)/);
    expect(r.stdout).toContain('source: kept, a pod source (rule 19)');
    expect(r.stdout).toContain('verdict: translated: TCP 10.244.3.3:50000 > 10.244.1.5:8080');
    expect(r.stdout).toContain('1 packet of the flow among 8 in the capture');
  });

  it('externalTrafficPolicy Local on a node without local endpoints: dropped, with the reason and the rule', () => {
    const r = runCli(['explain', ...crafted, '--frame', '6', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e, ...rest] = jsonLines(r.stdout);
    expect(rest).toEqual([]);
    expect(e!.frontend).toEqual({ kind: 'NodePort', address: '192.168.49.2:30080', service: 'default/local:http' });
    expect(e!.endpoints!.set).toBe('local');
    expect(e!.endpoints!.size).toBe(0);
    expect(e!.endpoints!.policy).toBe('externalTrafficPolicy Local: the local set (rule 10)');
    expect(e!.endpoints!.rule).toBe('no endpoint on node-a: DROP (rule 16)');
    expect(e!.endpoints!.considered).toEqual([
      { endpoint: '10.244.2.8:8080', node: 'node-b', zone: 'z2', ready: true, serving: true, terminating: false, chosen: false, excluded: 'not local' },
    ]);
    expect(e!.verdict).toBe('dropped');
    expect(e!.reason).toBe('NO_LOCAL_ENDPOINTS');
    expect(e!.conntrack).toEqual({ found: 'none', before: 'none', after: 'none' });
    expect(e!.backend).toBeUndefined();
  });

  it('a masqueraded connection: the port chosen, the reply found on its entry, conntrack before and after', () => {
    const r = runCli(['explain', ...crafted, '--flow', 'tcp 198.51.100.9:41000 > 10.96.0.10:80', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [syn, reply, ack, icmp, ...rest] = jsonLines(r.stdout);
    expect(rest).toEqual([]);
    expect([syn!.frame, reply!.frame, ack!.frame, icmp!.frame]).toEqual([2, 3, 4, 7]);
    expect(syn!.source).toEqual({ nat: 'masquerade', why: 'the source is outside the pod CIDR (rule 19)', address: '192.168.49.2', port: 41000 });
    expect(syn!.out).toBe('TCP 192.168.49.2:41000 > 10.244.1.5:8080');
    expect(syn!.conntrack).toEqual({ found: 'none', before: 'none', after: 'SYN_SENT', expires: 1000 + 1 + 120 });
    // The reply: found in the reply direction, SYN_SENT → SYN_RECV, translated back to the client.
    expect(reply!.in).toBe('TCP 10.244.1.5:8080 > 192.168.49.2:41000');
    expect(reply!.conntrack).toEqual({ found: 'followed', direction: 'reply', before: 'SYN_SENT', after: 'SYN_RECV', expires: 1002 + 60 });
    expect(reply!.verdict).toBe('reversed');
    expect(reply!.out).toBe('TCP 10.96.0.10:80 > 198.51.100.9:41000');
    expect(reply!.backend).toEqual({ address: '10.244.1.5:8080', by: 'conntrack' });
    expect(ack!.conntrack).toMatchObject({ found: 'followed', direction: 'original', before: 'SYN_RECV', after: 'ESTABLISHED' });
    // The ICMP error carries neither tuple: the core relates it to the connection's record.
    expect(icmp!.in).toBe('ICMP 10.244.1.5 > 192.168.49.2');
    expect(icmp!.conntrack).toMatchObject({ found: 'related', before: 'ESTABLISHED', after: 'ESTABLISHED' });
    expect(icmp!.verdict).toBe('reversed');
    expect(icmp!.out).toBe('ICMP 10.96.0.10 > 198.51.100.9');

    const text = runCli(['explain', ...crafted, '--flow', 'tcp 198.51.100.9:41000 > 10.96.0.10:80']);
    expect(text.stdout).toContain('source: masqueraded to 192.168.49.2, port 41000 chosen: the source is outside the pod CIDR (rule 19)');
    expect(text.stdout).toContain('conntrack before: a reply of a connection in SYN_SENT');
    expect(text.stdout).toContain('conntrack after: SYN_RECV, expires at 1062');
  });

  it('--frame of a reply or an ICMP error explains the connection it belongs to, from its first packet', () => {
    for (const frame of ['3', '7']) {
      const r = runCli(['explain', ...crafted, '--frame', frame, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(jsonLines(r.stdout).map((e) => e.frame), frame).toEqual([2, 3, 4, 7]);
    }
    const text = runCli(['explain', ...crafted, '--frame', '3']);
    expect(text.stdout.split('\n')[0]).toBe('flow TCP 198.51.100.9:41000 > 10.96.0.10:80, both directions');
  });

  it('a second client with the same source port gets another masquerade port, printed and written', () => {
    const r = runCli(['explain', ...crafted, '--flow', 'tcp 198.51.100.10:41000 > 10.96.0.10:80', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e] = jsonLines(r.stdout);
    expect(e!.source!.nat).toBe('masquerade');
    expect(e!.source!.port).not.toBe(41000);
    expect(e!.source!.port).toBeGreaterThanOrEqual(32768);
    expect(e!.out).toBe(`TCP 192.168.49.2:${e!.source!.port} > 10.244.1.5:8080`);
  });

  it('follows --updates: an endpoint made ready before a packet is in its set', () => {
    const updates = path.join(dir, 'updates.jsonl');
    const slice = endpointSlice('web-1', 'web', { endpoints: [
      { ip: '10.244.1.5', node: 'node-a', zone: 'z1', zoneHints: ['z1'] },
      { ip: '10.244.1.6', node: 'node-a', zone: 'z1', zoneHints: ['z1'] },
      { ip: '10.244.2.7', node: 'node-b', zone: 'z2', zoneHints: ['z2'] },
    ] });
    fs.writeFileSync(updates, JSON.stringify({ at: 3.5, type: 'MODIFIED', object: slice }) + '\n');
    const r = runCli(['explain', ...crafted, '--updates', updates, '--flow', 'tcp 198.51.100.10:41000 > 10.96.0.10:80', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e] = jsonLines(r.stdout);
    expect(e!.endpoints!.size).toBe(2);
    expect(e!.endpoints!.considered.map((c) => [c.endpoint, c.excluded ?? 'in'])).toEqual([
      ['10.244.1.5:8080', 'in'], ['10.244.1.6:8080', 'in'], ['10.244.2.7:8080', 'other zone (hinted for z2)'],
    ]);
    // Before the update (frame 2) the same service port had one endpoint in its set.
    const before = jsonLines(runCli(['explain', ...crafted, '--updates', updates, '--frame', '2', '--json']).stdout);
    expect(before[0]!.endpoints!.size).toBe(1);
  });

  it('the conntrack state names are the core\'s ST_* numbers', () => {
    const src = fs.readFileSync(path.join(REPO, 'assembly', 'conntrack', 'states.ts'), 'utf8');
    const states = [...src.matchAll(/^export const ST_(\w+): u32 = (\d+);/gm)].map((m) => [Number(m[2]), m[1]] as const);
    expect(states.length).toBeGreaterThan(10);
    for (const [n, name] of states) expect(CT_STATE_NAMES[n], name).toBe(name);
  });

  it('a flow the capture does not hold: one line, exit 3', () => {
    const r = runCli(['explain', ...crafted, '--flow', 'udp 10.244.3.3:5353 > 10.96.0.10:53']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`svcplane: ${crafted[0]}: no packet of UDP 10.244.3.3:5353 > 10.96.0.10:53 (either direction) among its 8 packets\n`);
    const f = runCli(['explain', ...crafted, '--frame', '9']);
    expect(f.status).toBe(3);
    expect(f.stderr).toBe(`svcplane: ${crafted[0]}: no frame 9 (the capture has fewer packets)\n`);
  });

  it('a bad --flow, or neither --flow nor --frame: one line naming what is wrong, exit 2', () => {
    for (const [flow, what] of [
      ['tcp 10.0.0.1 > 10.96.0.10:80', "'10.0.0.1' needs a port"],
      ['tcp 10.0.0.1:1 10.96.0.10:80', "expected '<proto> <src> > <dst>'"],
      ['gre 10.0.0.1:1 > 10.96.0.10:80', "unknown protocol 'gre'"],
      ['tcp 10.0.0.1:1 > [fd00::1]:80', 'different IP families'],
      ['tcp 10.0.0.1:70000 > 10.96.0.10:80', 'needs a port from 0 to 65535'],
      ['udp 10.0.0.300:1 > 10.96.0.10:80', "'10.0.0.300' is not an IP address"],
    ] as const) {
      const r = runCli(['explain', ...crafted, '--flow', flow]);
      expect(r.status, flow).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), flow).toHaveLength(1);
      expect(r.stderr, flow).toContain(what);
      expect(r.stderr, flow).not.toMatch(/\n\s+at /);
    }
    const none = runCli(['explain', ...crafted]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe('svcplane: explain needs one of --flow and --frame\n');
  });

  it('bad input as replay has it: a damaged capture, a broken manifest, --frame 0, --frame from standard input, the capture and -c both '
    + 'from it, a --maglev-size above the largest: exit 2, one line', () => {
    const cut = path.join(dir, 'cut.pcap');
    fs.writeFileSync(cut, fs.readFileSync(crafted[0]!).subarray(0, 100));
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'kind: Service\nmetadata: {name: x\n');
    for (const [args, what] of [
      [['explain', cut, '--frame', '1'], 'record header cut short'],
      [['explain', crafted[0]!, '-c', bad, '--frame', '1'], 'bad.yaml:3:1: syntax error'],
      [['explain', ...crafted, '--frame', '0'], '--frame must be a frame number'],
      [['explain', ...crafted, '--frame', '99999999999999999999'], '--frame must be a frame number'],
      [['explain', '-', '--frame', '1'], '--frame replays the capture twice'],
      [['explain', '-', '-c', '-', '--flow', 'tcp 198.51.100.9:41000 > 10.96.0.10:80'], 'svcplane: the capture - and -c - both read standard input\n'],
      [['explain', ...crafted, '--flow', 'tcp 198.51.100.9:41000 > 10.96.0.10:80', '--maglev-size', '100000007'],
        'svcplane: --maglev-size 100000007 is too large: at most 5000011 '],
    ] as const) {
      const r = runCli(args, { input: fs.readFileSync(crafted[0]!) });
      expect(r.status, what).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), what).toHaveLength(1);
      expect(r.stderr, what).toContain(what);
    }
  });

  it('reads standard input with --flow', () => {
    const r = runCli(['explain', '-', ...crafted.slice(1), '--flow', 'tcp 198.51.100.9:41000 > 10.96.0.10:80', '--json'],
      { input: fs.readFileSync(crafted[0]!) });
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((e) => e.frame)).toEqual([2, 3, 4, 7]);
    // Standard input is named as replay names it, not '-'.
    const absent = runCli(['explain', '-', ...crafted.slice(1), '--flow', 'udp 10.244.3.3:5353 > 10.96.0.10:53'],
      { input: fs.readFileSync(crafted[0]!) });
    expect(absent.status).toBe(3);
    expect(absent.stderr).toMatch(/^svcplane: <stdin>: no packet of UDP 10\.244\.3\.3:5353 > 10\.96\.0\.10:53 .*\n$/);
  });

  it('IPv6 flows are written [addr]:port', () => {
    const r = runCli(['explain', ...crafted, '--flow', 'tcp [fd00:0::1]:40000 > [FD00::A]:80', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [e, ...rest] = jsonLines(r.stdout);
    expect(rest).toEqual([]);
    expect(e).toEqual({ frame: 8, index: 7, time: '1007.000000000', in: 'TCP [fd00::1]:40000 > [fd00::a]:80',
                        out: 'TCP [fd00::1]:40000 > [fd00::a]:80', conntrack: { found: 'none', before: 'none', after: 'none' },
                        verdict: 'passed' });
    const missing = runCli(['explain', ...crafted, '--flow', 'udp [fd00::1]:40000 > [fd00::a]:53']);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('no packet of UDP [fd00::1]:40000 > [fd00::a]:53');
  });
});

describe('svcplane explain on the demo', () => {
  let trace: TraceLine[];
  beforeAll(() => {
    const out = path.join(dir, 'demo-trace.jsonl');
    const r = runCli(['replay', ...DEMO, '--trace', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    trace = readTrace(out);
  });

  it('prints the decisions of a masqueraded demo connection', () => {
    const r = runCli(['explain', ...DEMO, '--flow', 'tcp 172.16.7.41:52824 > 10.96.0.10:80']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('frame 99 (packet 98) at 1741944413.726306474: TCP 172.16.7.41:52824 > 10.96.0.10:80');
    expect(r.stdout).toContain('frontend: ClusterIP 10.96.0.10:80 of default/web:http');
    expect(r.stdout).toContain('source: masqueraded to 192.168.49.2, port 52824 chosen: the source is outside the pod CIDR (rule 19)');
  });

  it('the Maglev slot printed is the one the service port\'s table maps to the backend printed', () => {
    const r = runCli(['explain', ...DEMO, '--flow', 'tcp 172.16.7.41:52824 > 10.96.0.10:80', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [first] = jsonLines(r.stdout);
    const { maglevSlot, maglevSize, address } = first!.backend!;
    expect(maglevSize).toBe(16381);
    // The same dataplane, built by the library from the same files and node.
    const dp = new Dataplane({ objects: loadClusterObjects(['pcaps/demo-cluster.yaml'].map((f) => path.join(REPO, f))).objects,
      nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'] });
    const slot = dp.tables.slotFor('default/web:http')!;
    const ptr = dp.core.exports.maglevTableOf(slot, SET_CLUSTER);
    dp.core.refresh();
    const table = new Uint32Array(dp.core.exports.memory.buffer, ptr, maglevSize!);
    expect(dp.tables.backendNames[table[maglevSlot!]!]).toBe(address);
    // And another slot would have given another backend somewhere: the number is not decoration.
    expect(new Set(Array.from(table, (id) => dp.tables.backendNames[id])).size).toBe(3);
  });

  it('says what `svcplane replay --trace` says about the same packets: verdict, reason, backend, rewrite (differential)', async () => {
    // One flow of each kind of outcome in the demo, plus the first few connections.
    const flows = new Map<string, TraceLine>();
    const kinds = new Set<string>();
    for (const t of trace) {
      if (!t.in || !/^(TCP|UDP|SCTP) /.test(t.in)) continue;
      const kind = `${t.verdict} ${t.reason ?? ''}`;
      if (!kinds.has(kind) || flows.size < 6) {
        kinds.add(kind);
        if (![...flows.values()].some((f) => f.in === t.in)) flows.set(t.in, t);
      }
    }
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    const byFrame = new Map(trace.map((t) => [t.frame, t]));
    const results = await mapLimit([...flows.values()], PARALLEL, (t) => runCliAsync(['explain', ...DEMO, '--frame', String(t.frame), '--json']));
    for (const [k, r] of results.entries()) {
      const first = [...flows.values()][k]!;
      expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
      const explained = jsonLines(r.stdout);
      expect(explained.map((e) => e.frame), r.command).toContain(first.frame);
      // Every trace line of the flow's tuple, either way round, is explained.
      const [proto, src, , dst] = first.in!.split(' ');
      const mine = trace.filter((t) => t.in === first.in || t.in === `${proto} ${dst} > ${src}`).map((t) => t.frame);
      expect(explained.map((e) => e.frame)).toEqual(expect.arrayContaining(mine));
      for (const e of explained) {
        const t = byFrame.get(e.frame)!;
        expect({ frame: e.frame, time: e.time, verdict: e.verdict, reason: e.reason, backend: e.backend?.address, in: e.in, out: e.out }, r.command)
          .toEqual({ frame: t.frame, time: t.time, verdict: t.verdict, reason: t.reason, backend: t.backend, in: t.in, out: t.out });
        if (e.frontend) expect(e.frontend.service).toBe(t.service);
        // The set the core used and the rules' set the host names agree.
        if (e.endpoints) expect(e.endpoints.considered.filter((c) => !c.excluded).length).toBe(e.endpoints.size);
      }
    }
  });
});
