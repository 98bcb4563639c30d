// The `svcplane replay` command line against its contract (docs/cli.md), run as a child
// process:
//   - usage errors and bad input: exit 2 and one line naming what is wrong (no stack trace);
//   - '-' reads standard input, '-w -' writes standard output;
//   - --json prints the report with the spec's keys; --trace lines have the spec's shape;
//   - a replay through Services (pcaps/demo.pcapng + demo-cluster.yaml, --node node-a): packets
//     translated to backends of the cluster file, rejects for the Service without endpoints with
//     an ICMP port unreachable written right after, same timestamp; checksums valid per tshark;
//   - test/fixtures/captures/three-services.pcap: every packet to a VIP leaves with a backend of
//     that Service, one backend per connection, checksums valid per tshark.
//
// Every CLI run and tshark read happens in parallel in beforeAll; the tests then only compare.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REPO,
  ensureBuilt,
  readTrace,
  runCliAsync,
  tempDir,
  tsharkFieldsAsync,
  type CliResult,
  type TraceLine,
} from './helpers/cli.js';
import { hasTshark, parseEpochNs } from './helpers/tshark.js';
import { CORPUS } from './helpers/corpus.js';

const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'captures');
const THREE = path.join(FIXTURES, 'three-services.pcap');
const THREE_JSON = path.join(FIXTURES, 'three-services.json');
const CORPUS_PCAP = path.join(CORPUS, 'gopacket__test_ethernet.pcap');
/** A classic pcap with no Service traffic, so a replay without a cluster writes it back unchanged. */
const PLAIN_PCAP = fs.existsSync(CORPUS_PCAP) ? CORPUS_PCAP : THREE;

const VERDICTS = ['translated', 'reversed', 'passed', 'dropped', 'rejected'];
const TRACE_KEYS = ['index', 'frame', 'time', 'verdict', 'reason', 'service', 'backend', 'in', 'out', 'generated'];


/** A Service manifest with a YAML syntax error on line 10 ("protocol: TCP: UDP"). */
const BAD_YAML = [
  'apiVersion: v1',
  'kind: Service',
  'metadata:',
  '  name: web',
  '  namespace: default',
  'spec:',
  '  clusterIP: 10.96.0.10',
  '  ports:',
  '  - port: 80',
  '    protocol: TCP: UDP',
  '',
].join('\n');
const BAD_YAML_LINE = 10;

// ---------------------------------------------------------------------------------------------
// tshark rows

/** Fields read from the demo and three-services captures (all occurrences: ICMP errors quote a packet). */
const FIELDS = [
  'frame.time_epoch',
  'frame.cap_len',
  'frame.protocols',
  'ip.proto',
  'ipv6.nxt',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'ip.len',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'sctp.srcport',
  'sctp.dstport',
  'icmp.type',
  'icmp.code',
  'icmpv6.type',
  'icmpv6.code',
  'ip.checksum.status',
  'tcp.checksum.status',
  'udp.checksum.status',
  'sctp.checksum.status',
  'icmp.checksum.status',
  'icmpv6.checksum.status',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

const CHECKSUM_FIELDS = FIELDS.filter((f) => f.endsWith('.checksum.status'));
/** Wireshark's proto_checksum_enum_e: 0 bad, 1 good, 2 unverified, 3 not present, 4 illegal. */
const CHECKSUM_BAD = '0';
const CHECKSUM_GOOD = '1';

/** Checksum validation on: without it tshark reports every IP/TCP/UDP checksum as unverified. */
const CHECKSUM_PREFS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
  '-o', 'sctp.checksum:CRC-32C',
];

async function tsharkRows(file: string): Promise<Row[]> {
  const r = await tsharkFieldsAsync(file, FIELDS, { occurrence: 'a', extraArgs: CHECKSUM_PREFS });
  return r.rows.map((cols) => {
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = cols[i] === '' ? [] : cols[i]!.split(',')));
    return row;
  });
}

const PROTO_BY_LAYER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };
const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
/** tshark's layer of each transport with ports. */
const PORT_LAYERS: Record<number, string | undefined> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
/** tshark's layer of each transport with a checksum. */
const L4_LAYERS: Record<number, string | undefined> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

interface Flow {
  proto: number;
  family: 4 | 6;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

/** The outermost IP header of a packet as tshark dissects it, or undefined when it is not IP. */
function flowOf(row: Row): Flow | undefined {
  const layers = row['frame.protocols'].join(',').split(':');
  const at = layers.findIndex((l) => l === 'ip' || l === 'ipv6');
  if (at < 0) return undefined;
  const family = layers[at] === 'ip' ? 4 : 6;
  // The transport is the next layer after the IP header and its extension headers.
  const next = layers.slice(at + 1).find((l) => !l.startsWith('ipv6.'));
  const byLayer = next === undefined ? undefined : PROTO_BY_LAYER[next];
  const proto = byLayer ?? Number((family === 4 ? row['ip.proto'] : row['ipv6.nxt'])[0]);
  const src = (family === 4 ? row['ip.src'] : row['ipv6.src'])[0]!;
  const dst = (family === 4 ? row['ip.dst'] : row['ipv6.dst'])[0]!;
  const name = PORT_LAYERS[proto];
  const f: Flow = { proto, family, src, dst };
  if (name) {
    f.sport = Number(row[`${name}.srcport` as Field][0]);
    f.dport = Number(row[`${name}.dstport` as Field][0]);
  }
  return f;
}

function hostPort(ip: string, family: number, port: number): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A flow in --trace spelling: "TCP 10.0.0.5:40000 > 10.96.0.10:80". */
function flowText(f: Flow): string {
  const name = PROTO_NAMES[f.proto] ?? `IP-PROTO-${f.proto}`;
  if (f.sport === undefined) return `${name} ${f.src} > ${f.dst}`;
  return `${name} ${hostPort(f.src, f.family, f.sport)} > ${hostPort(f.dst, f.family, f.dport!)}`;
}

const FLOW_RE =
  /^(?:(TCP|UDP|SCTP) (\S+:\d+) > (\S+:\d+)|(ICMP|ICMPv6|IP-PROTO-\d+) ([0-9a-f.:]+) > ([0-9a-f.:]+))$/;
const ENDPOINT_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}$/;

/** "TCP a:1 > b:2" → its parts. */
function parseFlowText(s: string): { proto: string; src: string; dst: string } {
  const m = FLOW_RE.exec(s);
  if (!m) throw new Error(`not a flow: ${s}`);
  return m[1] ? { proto: m[1], src: m[2]!, dst: m[3]! } : { proto: m[4]!, src: m[5]!, dst: m[6]! };
}

/** The address of "ip:port" or "[ip6]:port". */
function addressOf(endpoint: string): string {
  return endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.replace(/:\d+$/, '');
}

/** "ns/name:port" (or "ns/name" for an unnamed port) → allowed "ip:port" backends, from the EndpointSlices. */
function backendsFromCluster(file: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const visit = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    const obj = o as Record<string, unknown>;
    if (Array.isArray(obj.items)) obj.items.forEach(visit);
    if (obj.kind !== 'EndpointSlice') return;
    const meta = obj.metadata as { namespace?: string; labels?: Record<string, string> };
    const svc = meta.labels?.['kubernetes.io/service-name'];
    if (!svc) return;
    const family = obj.addressType === 'IPv6' ? 6 : 4;
    const ports = (obj.ports as { name?: string; port: number }[] | null) ?? [];
    const endpoints = (obj.endpoints as { addresses: string[] }[] | null) ?? [];
    for (const p of ports) {
      const key = `${meta.namespace ?? 'default'}/${svc}${p.name ? `:${p.name}` : ''}`;
      const set = out.get(key) ?? new Set<string>();
      for (const e of endpoints) for (const a of e.addresses) set.add(hostPort(a, family, p.port));
      out.set(key, set);
    }
  };
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) visit(doc.toJS());
  return out;
}

// ---------------------------------------------------------------------------------------------
// The runs

interface Runs {
  usage: Record<string, CliResult>;
  stdin: CliResult;
  stdinWithSummary: CliResult;
  json: CliResult;
  demo: { result: CliResult; out: string; trace: TraceLine[]; report: string; input: Row[]; output: Row[] };
  three: { result: CliResult; out: string; trace: TraceLine[]; input: Row[]; output: Row[] };
}

let runs: Runs;

async function runAll(): Promise<Runs> {
  const dir = tempDir('svcplane-cli-usage-');
  const badYaml = path.join(dir, 'bad-cluster.yaml');
  fs.writeFileSync(badYaml, BAD_YAML);
  const plain = fs.readFileSync(PLAIN_PCAP);
  const demoOut = path.join(dir, 'demo-out.pcapng');
  const demoTrace = path.join(dir, 'demo-trace.jsonl');
  const demoReport = path.join(dir, 'demo-report.json');
  const threeOut = path.join(dir, 'three-out.pcap');
  const threeTrace = path.join(dir, 'three-trace.jsonl');

  const usageCases: Record<string, string[]> = {
    missingCapture: ['replay'],
    noSuchFile: ['replay', path.join(dir, 'no-such-capture.pcap'), '-q'],
    directory: ['replay', dir, '-q'],
    jsonAndStdout: ['replay', PLAIN_PCAP, '--json', '-w', '-'],
    notPrime: ['replay', PLAIN_PCAP, '--maglev-size', '16380', '-q'],
    bothStdin: ['replay', '-', '-c', '-', '-q'],
    clusterStdinTwice: ['replay', PLAIN_PCAP, '-c', '-', '-c', '-', '-q'],
    badLb: ['replay', PLAIN_PCAP, '--lb', 'roundrobin', '-q'],
    badManifest: ['replay', PLAIN_PCAP, '-c', badYaml, '-q'],
    noCommand: [],
  };
  const [usage, stdin, stdinWithSummary, json, demo, demoInput, threeInput] = await Promise.all([
    Promise.all(Object.entries(usageCases).map(async ([k, args]) => [k, await runCliAsync(args)] as const)).then(Object.fromEntries),
    runCliAsync(['replay', '-', '-w', '-', '-q'], { input: plain }),
    runCliAsync(['replay', '-', '-w', '-'], { input: plain }),
    runCliAsync(['replay', THREE, '-c', DEMO_CLUSTER, '--node', 'node-a', '-w', threeOut, '--trace', threeTrace, '--json']),
    runCliAsync(['replay', DEMO, '-c', DEMO_CLUSTER, '--node', 'node-a', '-w', demoOut, '--trace', demoTrace, '--report', demoReport, '--json', '-q']),
    hasTshark() ? tsharkRows(DEMO) : Promise.resolve([]),
    hasTshark() ? tsharkRows(THREE) : Promise.resolve([]),
  ]);
  const [demoOutput, threeOutput] = await Promise.all([
    demo.status === 0 && hasTshark() ? tsharkRows(demoOut) : Promise.resolve([]),
    json.status === 0 && hasTshark() ? tsharkRows(threeOut) : Promise.resolve([]),
  ]);
  return {
    usage: usage as Record<string, CliResult>,
    stdin,
    stdinWithSummary,
    json,
    demo: {
      result: demo,
      out: demoOut,
      trace: fs.existsSync(demoTrace) ? readTrace(demoTrace) : [],
      report: fs.existsSync(demoReport) ? fs.readFileSync(demoReport, 'utf8') : '',
      input: demoInput,
      output: demoOutput,
    },
    three: {
      result: json,
      out: threeOut,
      trace: fs.existsSync(threeTrace) ? readTrace(threeTrace) : [],
      input: threeInput,
      output: threeOutput,
    },
  };
}

/** Exit 2, nothing on standard output, and one line on standard error (no stack trace). */
function expectUsageError(r: CliResult, ...patterns: RegExp[]): string {
  expect(r.timedOut, `${r.command}: timed out`).toBe(false);
  expect(r.status, `${r.command}\n${r.stderr}`).toBe(2);
  expect(r.stdout, r.command).toBe('');
  expect(r.stderr, r.command).toMatch(/^[^\n]+\n$/);
  expect(r.stderr, r.command).not.toMatch(/^\s+at /m);
  expect(r.stderr, r.command).not.toMatch(/\.(js|ts):\d+/);
  for (const p of patterns) expect(r.stderr, r.command).toMatch(p);
  return r.stderr.trimEnd();
}

function expectOk(r: CliResult): void {
  expect(r.timedOut, `${r.command}: timed out`).toBe(false);
  expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
}

beforeAll(async () => {
  ensureBuilt();
  runs = await runAll();
});

// ---------------------------------------------------------------------------------------------

describe('usage errors and bad input: exit 2, one line', () => {
  it('missing capture argument', () => {
    expectUsageError(runs.usage.missingCapture!, /capture/);
  });

  it('nonexistent capture file: names the file', () => {
    const r = runs.usage.noSuchFile!;
    expectUsageError(r, /no-such-capture\.pcap/, /no such file/i);
  });

  it('a directory as capture: the message names it', () => {
    const r = runs.usage.directory!;
    expectUsageError(r, new RegExp(r.command.split(' ')[2]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  it('a directory as capture: exit 2, one line, no stack trace', () => {
    expectUsageError(runs.usage.directory!, /EISDIR|directory/i);
  });

  it('--json together with -w -', () => {
    expectUsageError(runs.usage.jsonAndStdout!, /--json/, /-w -|standard output/);
  });

  it('--maglev-size 16380: not prime', () => {
    expectUsageError(runs.usage.notPrime!, /16380/, /not (a )?prime/);
  });

  it("the capture and -c both from standard input ('-'): refused, as whatif refuses -c - with --next -", () => {
    expect(expectUsageError(runs.usage.bothStdin!)).toBe('svcplane: the capture - and -c - both read standard input');
    expect(expectUsageError(runs.usage.clusterStdinTwice!)).toBe('svcplane: -c - and -c - both read standard input');
  });

  it('--lb with an unknown algorithm', () => {
    expectUsageError(runs.usage.badLb!, /roundrobin/, /--lb/);
  });

  it('a malformed manifest: file:line and the problem', () => {
    const line = expectUsageError(runs.usage.badManifest!, /syntax error/i);
    expect(line).toMatch(new RegExp(`bad-cluster\\.yaml:${BAD_YAML_LINE}(:\\d+)?: `));
  });

  it('no command: usage on standard error, exit 2', () => {
    const r = runs.usage.noCommand!;
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Usage: svcplane/);
  });
});

describe('standard input and output', () => {
  it("'-' reads standard input, -w - writes the capture to standard output unchanged", () => {
    const r = runs.stdin;
    expectOk(r);
    expect(r.stderr).toBe('');
    expect(r.stdoutBytes.equals(fs.readFileSync(PLAIN_PCAP)), 'stdout bytes equal the input').toBe(true);
  });

  it('with -w - and no -q the summary goes to standard error, not into the capture', () => {
    const r = runs.stdinWithSummary;
    expectOk(r);
    expect(r.stdoutBytes.equals(fs.readFileSync(PLAIN_PCAP))).toBe(true);
    expect(r.stderr).toMatch(/packets/);
  });
});

describe('--json and --trace', () => {
  it('--json prints the report, with the keys of the spec, on standard output', () => {
    const r = runs.json;
    expectOk(r);
    const rep = JSON.parse(r.stdout) as Record<string, unknown>;
    const packets = rep.packets as Record<string, number>;
    for (const k of ['in', 'translated', 'reversed', 'passed', 'dropped', 'rejected']) expect(typeof packets[k], `packets.${k}`).toBe('number');
    expect(packets.in).toBe(packets.translated! + packets.reversed! + packets.passed! + packets.dropped! + packets.rejected!);
    // Beyond the spec: packets the established-flow fast path took, some of the translated ones.
    expect(rep.fastPath as number).toBeGreaterThan(0);
    expect(rep.fastPath as number).toBeLessThanOrEqual(packets.translated! + packets.reversed!);
    expect(typeof rep.drops).toBe('object');
    for (const v of Object.values(rep.drops as object)) expect(typeof v).toBe('number');
    const services = rep.services as Record<string, unknown>[];
    expect(Array.isArray(services)).toBe(true);
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) {
      expect(s.service).toMatch(/^[^/\s]+\/[^/\s:]+(:[^/\s:]+)?$/);
      for (const k of ['packets', 'bytes', 'connections']) expect(typeof s[k], `${s.service}.${k}`).toBe('number');
      for (const b of s.backends as Record<string, unknown>[]) {
        expect(b.backend).toMatch(ENDPOINT_RE);
        for (const k of ['packets', 'connections']) expect(typeof b[k]).toBe('number');
      }
    }
    const ct = rep.conntrack as Record<string, number>;
    for (const k of ['entries', 'peak', 'evicted']) expect(typeof ct[k], `conntrack.${k}`).toBe('number');
    expect(typeof rep.seconds).toBe('number');
    expect(typeof rep.packetsPerSecond).toBe('number');
  });

  it('--json with -q still prints the report, the same as --report writes', () => {
    const d = runs.demo;
    expectOk(d.result);
    expect(d.result.stderr).toBe('');
    expect(d.report).not.toBe('');
    expect(d.result.stdout).toBe(d.report);
  });

  it.skipIf(!hasTshark())('--trace: one line per input packet, in order, with the fields of the spec', () => {
    const { trace, input, report } = runs.demo;
    expect(trace.length).toBe(input.length);
    const counts: Record<string, number> = {};
    trace.forEach((t, i) => {
      const at = JSON.stringify(t);
      expect(t.index, at).toBe(i);
      for (const k of Object.keys(t)) expect(TRACE_KEYS, at).toContain(k);
      expect(VERDICTS, at).toContain(t.verdict);
      counts[t.verdict] = (counts[t.verdict] ?? 0) + 1;
      if (t.verdict === 'dropped' || t.verdict === 'rejected') expect(t.reason, at).toMatch(/^[A-Z][A-Z0-9_]+$/);
      else expect(t.reason, at).toBeUndefined();
      if (t.service !== undefined) expect(t.service, at).toMatch(/^[^/\s]+\/[^/\s:]+(:[^/\s:]+)?$/);
      if (t.backend !== undefined) expect(t.backend, at).toMatch(ENDPOINT_RE);
      // in/out on every IP packet, as tshark sees it; none on the others (ARP).
      const flow = flowOf(input[i]!);
      if (flow === undefined) {
        expect(t.in, at).toBeUndefined();
        expect(t.out, at).toBeUndefined();
      } else {
        expect(t.in, at).toBe(flowText(flow));
        expect(t.out, at).toMatch(FLOW_RE);
        if (t.verdict === 'passed') expect(t.out, at).toBe(t.in);
      }
    });
    const rep = JSON.parse(report) as { packets: Record<string, number> };
    for (const v of VERDICTS) expect(rep.packets[v], v).toBe(counts[v] ?? 0);
    expect(counts.translated).toBeGreaterThan(0);
    expect(counts.passed).toBeGreaterThan(0);
    expect(counts.rejected).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasTshark())('a replay through Services: pcaps/demo.pcapng + demo-cluster.yaml, --node node-a', () => {
  it('translates to backends of the cluster file, and the output carries the trace\'s "out"', () => {
    const { trace, output } = runs.demo;
    const allowed = backendsFromCluster(DEMO_CLUSTER);
    const written = trace.filter((t) => t.verdict !== 'dropped' && t.verdict !== 'rejected');
    let translated = 0;
    for (const t of trace) {
      if (t.verdict !== 'translated') continue;
      translated++;
      const at = JSON.stringify(t);
      expect(allowed.has(t.service!), `${at}: service in the cluster file`).toBe(true);
      expect([...allowed.get(t.service!)!], at).toContain(t.backend);
      const i = parseFlowText(t.in!);
      const o = parseFlowText(t.out!);
      expect(o.proto, at).toBe(i.proto);
      expect(o.dst, at).toBe(t.backend);
      // No --cluster-cidr: only hairpin traffic (client = backend) is masqueraded.
      if (addressOf(i.src) !== addressOf(t.backend!)) expect(o.src, at).toBe(i.src);
    }
    expect(translated).toBeGreaterThan(1000);
    // The written packets, in input order, are what the trace says.
    const pkts = output.filter((r) => !isReject(r));
    expect(pkts.length).toBe(written.length);
    written.forEach((t, k) => {
      const flow = flowOf(pkts[k]!);
      if (t.out !== undefined) expect(flow && flowText(flow), JSON.stringify(t)).toBe(t.out);
    });
  });

  it('rejects the Service without endpoints (10.96.0.99:80) with SERVICE_NO_ENDPOINTS', () => {
    const rejected = runs.demo.trace.filter((t) => t.verdict === 'rejected');
    const empty = rejected.filter((t) => t.in && parseFlowText(t.in).dst === '10.96.0.99:80');
    // pcaps/README.md: one SYN each from 3 pods and 172.16.7.41.
    expect(empty.length).toBe(4);
    for (const t of empty) {
      expect(t.reason, JSON.stringify(t)).toBe('SERVICE_NO_ENDPOINTS');
      expect(t.service).toBe('default/empty:http');
    }
    for (const t of rejected) expect(['SERVICE_NO_ENDPOINTS', 'SERVICE_PORT_UNKNOWN'], JSON.stringify(t)).toContain(t.reason);
  });

  it('writes an ICMP port unreachable right after each rejected packet\'s position, with its timestamp', () => {
    const { trace, input, output } = runs.demo;
    // Expected output: input order, dropped and rejected packets left out, a reject in place of each rejected one.
    const expected: { index: number; reject: boolean }[] = [];
    for (const t of trace) {
      if (t.verdict === 'rejected') expected.push({ index: t.index, reject: true });
      else if (t.verdict !== 'dropped') expected.push({ index: t.index, reject: false });
    }
    expect(output.length).toBe(expected.length);
    let rejects = 0;
    expected.forEach((e, k) => {
      const got = output[k]!;
      const src = input[e.index]!;
      const at = `output packet ${k} (input ${e.index})`;
      expect(parseEpochNs(got['frame.time_epoch'][0]!), `${at}: timestamp`).toBe(parseEpochNs(src['frame.time_epoch'][0]!));
      expect(isReject(got), `${at}: ${got['frame.protocols'].join()}`).toBe(e.reject);
      if (!e.reject) {
        expect(Number(got['frame.cap_len'][0]), `${at}: caplen`).toBe(Number(src['frame.cap_len'][0]));
        return;
      }
      rejects++;
      const orig = flowOf(src)!;
      const icmp = flowOf(got)!;
      // From the address the client targeted, to the client.
      expect(icmp.family).toBe(orig.family);
      expect(icmp.src, at).toBe(orig.dst);
      expect(icmp.dst, at).toBe(orig.src);
      if (orig.family === 4) {
        expect(got['icmp.type'][0], at).toBe('3');
        expect(got['icmp.code'][0], at).toBe('3');
        // Quotes the rejected packet's IP header and at least 8 bytes after it; at most 576 bytes.
        expect(got['ip.src'][1], at).toBe(orig.src);
        expect(got['ip.dst'][1], at).toBe(orig.dst);
        const ipLen = Number(got['ip.len'][0]);
        expect(ipLen, at).toBeLessThanOrEqual(576);
        expect(ipLen, at).toBeGreaterThanOrEqual(20 + 8 + 20 + 8);
      } else {
        expect(got['icmpv6.type'][0], at).toBe('1');
        expect(got['icmpv6.code'][0], at).toBe('4');
      }
      const name = PORT_LAYERS[orig.proto];
      if (name) {
        expect(Number(got[`${name}.srcport` as Field][0]), `${at}: quoted source port`).toBe(orig.sport);
        expect(Number(got[`${name}.dstport` as Field][0]), `${at}: quoted destination port`).toBe(orig.dport);
      }
    });
    expect(rejects).toBe(trace.filter((t) => t.verdict === 'rejected').length);
    expect(rejects).toBeGreaterThan(0);
  });

  it('tshark finds no bad checksum in the output (IP, TCP, UDP, SCTP, ICMP, ICMPv6)', () => {
    expectChecksumsValid(runs.demo.output);
  });
});

/** An ICMP destination unreachable (or ICMPv6) the core generated. */
function isReject(r: Row): boolean {
  return r['icmp.type'][0] === '3' || r['icmpv6.type'][0] === '1';
}

/** No checksum tshark finds bad (in any layer, quoted ones included), and the outer ones good. */
function expectChecksumsValid(rows: Row[]): void {
  expect(rows.length).toBeGreaterThan(0);
  rows.forEach((row, k) => {
    const at = `output packet ${k} (${row['frame.protocols'].join()})`;
    for (const f of CHECKSUM_FIELDS) expect(row[f], `${at}: ${f}`).not.toContain(CHECKSUM_BAD);
    const flow = flowOf(row);
    if (!flow) return;
    if (flow.family === 4) expect(row['ip.checksum.status'][0], `${at}: ip`).toBe(CHECKSUM_GOOD);
    const l4 = L4_LAYERS[flow.proto];
    if (l4) expect(row[`${l4}.checksum.status` as Field][0], `${at}: ${l4}`).toBe(CHECKSUM_GOOD);
  });
}

describe.skipIf(!hasTshark())('test/fixtures/captures/three-services.pcap through demo-cluster.yaml', () => {
  interface ServiceSpec {
    service: string;
    vip: string;
    connections: number;
    packets: number;
    backends: string[];
  }
  const spec = JSON.parse(fs.readFileSync(THREE_JSON, 'utf8')) as { packets: number; connections: number; services: ServiceSpec[] };

  it('the fixture uses the demo cluster', () => {
    const json = JSON.parse(fs.readFileSync(THREE_JSON, 'utf8')) as { cluster: string };
    expect(path.resolve(FIXTURES, json.cluster)).toBe(DEMO_CLUSTER);
  });

  it('every packet to a VIP leaves with a backend of that Service; one backend per connection', () => {
    const { input, output, trace, result } = runs.three;
    expectOk(result);
    expect(input.length).toBe(spec.packets);
    expect(output.length).toBe(input.length);
    expect(trace.every((t) => t.verdict === 'translated')).toBe(true);
    const byVip = new Map(spec.services.map((s) => [s.vip, s]));
    const backendOf = new Map<string, string>();
    const perService = new Map<string, { packets: number; connections: Set<string> }>();
    input.forEach((row, i) => {
      const fin = flowOf(row)!;
      const fout = flowOf(output[i]!)!;
      const at = `packet ${i}: ${flowText(fin)} → ${flowText(fout)}`;
      const vip = hostPort(fin.dst, fin.family, fin.dport!);
      const svc = byVip.get(vip);
      expect(svc, `${at}: goes to a VIP`).toBeDefined();
      const be = hostPort(fout.dst, fout.family, fout.dport!);
      expect(svc!.backends, at).toContain(be);
      // Pods only, no hairpin: the source stays.
      expect(hostPort(fout.src, fout.family, fout.sport!), at).toBe(hostPort(fin.src, fin.family, fin.sport!));
      expect(fout.proto).toBe(fin.proto);
      const conn = flowText(fin);
      const prev = backendOf.get(conn);
      if (prev !== undefined) expect(be, `${at}: same backend as the connection's first packet`).toBe(prev);
      backendOf.set(conn, be);
      const s = perService.get(svc!.service) ?? { packets: 0, connections: new Set<string>() };
      s.packets++;
      s.connections.add(conn);
      perService.set(svc!.service, s);
      // The trace agrees with what was written.
      expect(trace[i]!.service, at).toBe(svc!.service);
      expect(trace[i]!.backend, at).toBe(be);
    });
    for (const s of spec.services) {
      expect(perService.get(s.service)?.packets, s.service).toBe(s.packets);
      expect(perService.get(s.service)?.connections.size, s.service).toBe(s.connections);
    }
  });

  it('the report counts the packets and connections of each Service', () => {
    const rep = JSON.parse(runs.three.result.stdout) as {
      packets: Record<string, number>;
      services: { service: string; packets: number; connections: number; backends: { backend: string; connections: number }[] }[];
    };
    expect(rep.packets.in).toBe(spec.packets);
    expect(rep.packets.translated).toBe(spec.packets);
    for (const s of spec.services) {
      const got = rep.services.find((x) => x.service === s.service);
      expect(got, s.service).toBeDefined();
      expect(got!.packets, s.service).toBe(s.packets);
      expect(got!.connections, s.service).toBe(s.connections);
      for (const b of got!.backends) if (b.connections > 0) expect(s.backends).toContain(b.backend);
    }
  });

  it('tshark finds every checksum valid in the output', () => {
    expectChecksumsValid(runs.three.output);
  });
});
