// A second host: build/core.wasm driven from plain WebAssembly.instantiate, following
// docs/abi.md alone — its own constants, its own table loading, no import from src/. It must
// give the library's answers: the same verdict, reason, Service, backend, rewritten bytes and
// reject for every packet of a fixture, and the same counters.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';
import { buildPacket, ipBytes } from './helpers/packets.js';
import { Dataplane } from '../src/dataplane.js';
import { parseObjectsText } from '../src/k8s/load.js';

// ---- the raw host: constants copied from docs/abi.md ------------------------------------------
const DESC_WORDS = 16, D_OFFSET = 0, D_CAPLEN = 1, D_WIRELEN = 2, D_LINKTYPE = 3, D_TS_SEC = 4, D_TS_NSEC = 5;
const D_VERDICT = 6, D_REASON = 7, D_SERVICE = 8, D_BACKEND = 9, D_EXTRA_OFF = 10, D_EXTRA_LEN = 11;
const INIT_OK = 0, LB_MAGLEV = 0, SET_CLUSTER = 0, SET_LOCAL = 1, FE_CLUSTER_IP = 1, FE_CLUSTER_ADDR = 5;
const LIST_NODE_IPS = 0, LIST_POD_CIDRS = 1, LIST_SERVICE_CIDRS = 2, TCP = 6;
const VERDICTS = ['passed', 'translated', 'reversed', 'dropped', 'rejected'];
const REASONS: Record<number, string> = { 1: 'LINK_TRUNCATED', 14: 'SERVICE_PORT_UNKNOWN', 15: 'SERVICE_NO_ENDPOINTS', 17: 'SERVICE_IP_UNALLOCATED' };

type Fn = (...a: number[]) => number;
interface Raw { e: Record<string, Fn> & { memory: WebAssembly.Memory }; u8(): Uint8Array; u32(at: number, n: number): Uint32Array }

async function rawHost(caps: number[]): Promise<Raw> {
  let memory: WebAssembly.Memory | undefined;
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(REPO, 'build', 'core.wasm')), {
    env: { abort: () => { throw new Error(`core aborted (memory ${memory?.buffer.byteLength})`); } },
  });
  const e = instance.exports as Raw['e'];
  memory = e.memory;
  const seed = createHash('sha256').update('svcplane').digest();
  const [ct, svc, be, fe, m, aff, frag] = caps;
  expect(e.init(ct!, svc!, be!, fe!, m!, LB_MAGLEV, seed.readUInt32LE(0), seed.readUInt32LE(4), aff!, frag!)).toBe(INIT_OK);
  // Views are made on each use: control-plane calls may grow memory.
  return { e, u8: () => new Uint8Array(e.memory.buffer), u32: (at, n) => new Uint32Array(e.memory.buffer, at, n) };
}

const ptr = (raw: Raw, name: string) => raw.e[name]!() >>> 0;
/** The scratch address slot: IPv4 then zeros. */
function putAddr(raw: Raw, ip: string): void {
  const at = ptr(raw, 'scratchPtr');
  raw.u8().fill(0, at, at + 16).set(ipBytes(ip), at);
}

interface RawService { slot: number; name: string; vip: string; port: number; backends: [string, number][] }

function program(raw: Raw, services: RawService[], node: { ip: string; pods: [string, number]; services: [string, number] }): string[] {
  const { e } = raw;
  const backendNames: string[] = [];
  e.cpBegin();
  for (const s of services) {
    const ids = s.backends.map(([ip, port]) => {
      const id = backendNames.push(`${ip}:${port}`) - 1;
      putAddr(raw, ip);
      expect(e.cpBackend(id, 4, port, s.slot)).toBe(0);
      return id;
    });
    expect(e.cpService(s.slot, 0, 0, s.port, 0)).toBe(0);
    raw.u32(ptr(raw, 'scratchPtr'), ids.length * 2).set([...ids, ...ids.map(() => 1)]);
    expect(e.cpServiceSet(s.slot, SET_CLUSTER, ids.length)).toBe(0);
    expect(e.cpServiceSet(s.slot, SET_LOCAL, 0)).toBe(0);
    putAddr(raw, s.vip);
    expect(e.cpFrontendAdd(4, TCP, s.port, FE_CLUSTER_IP, s.slot)).toBe(0);
    expect(e.cpFrontendAdd(4, 0, 0, FE_CLUSTER_ADDR, 0)).toBe(0);
  }
  e.cpNodeReset();
  for (const [list, ip, prefix] of [[LIST_NODE_IPS, node.ip, 32], [LIST_POD_CIDRS, ...node.pods], [LIST_SERVICE_CIDRS, ...node.services]] as const) {
    putAddr(raw, ip);
    expect(e.cpListAdd(list, 4, prefix)).toBe(0);
  }
  e.cpMasquerade(0, 32768, 60999);
  e.cpCommit();
  return backendNames;
}

interface Answer { verdict: string; reason?: string; service?: string; backend?: string; data?: string; reject?: string }

function processRaw(raw: Raw, packets: { data: Uint8Array; time: number }[], slotNames: string[], backendNames: string[]): Answer[] {
  const input = ptr(raw, 'inputPtr'), desc = ptr(raw, 'descPtr'), extra = ptr(raw, 'extraPtr');
  let off = 0;
  packets.forEach((p, i) => {
    raw.u8().set(p.data, input + off);
    raw.u32(desc + i * DESC_WORDS * 4, 6).set([off, p.data.length, p.data.length, 1, Math.floor(p.time), 0]);
    off += (p.data.length + 7) & ~7;
  });
  raw.e.processBatch(packets.length);
  return packets.map((p, i) => {
    const d = raw.u32(desc + i * DESC_WORDS * 4, DESC_WORDS);
    const a: Answer = { verdict: VERDICTS[d[D_VERDICT]!]! };
    if (d[D_REASON]) a.reason = REASONS[d[D_REASON]!] ?? `#${d[D_REASON]}`;
    if (d[D_SERVICE]) a.service = slotNames[d[D_SERVICE]! - 1];
    if (d[D_BACKEND]) a.backend = backendNames[d[D_BACKEND]! - 1];
    if (a.verdict !== 'dropped' && a.verdict !== 'rejected') a.data = hexOf(raw.u8().subarray(input + d[D_OFFSET]!, input + d[D_OFFSET]! + d[D_CAPLEN]!));
    if (d[D_EXTRA_LEN]) a.reject = hexOf(raw.u8().subarray(extra + d[D_EXTRA_OFF]!, extra + d[D_EXTRA_OFF]! + d[D_EXTRA_LEN]!));
    return a;
  });
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
// -------------------------------------------------------------------------------------------------

const CLUSTER = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { clusterIP: 10.96.0.10, ports: [{ name: http, port: 80, targetPort: 8080, protocol: TCP }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: default, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints:
  - { addresses: [10.244.1.5], conditions: { ready: true }, nodeName: node-a }
  - { addresses: [10.244.2.6], conditions: { ready: true }, nodeName: node-b }
  - { addresses: [10.244.2.7], conditions: { ready: true }, nodeName: node-b }
---
apiVersion: v1
kind: Service
metadata: { name: empty, namespace: default }
spec: { clusterIP: 10.96.0.99, ports: [{ name: http, port: 80, targetPort: 8080, protocol: TCP }] }
`;
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'] };
// ctMax, service ports, backends, frontends, Maglev size, affinity, fragments: the same on both sides.
const CAPS = { ctMax: 1024, maxServicePorts: 16, maxBackends: 64, maxFrontends: 64, maglevSize: 251, maxAffinity: 1024, maxFragments: 64 };

describe('a raw host of build/core.wasm (docs/abi.md)', () => {
  it('gives the library\'s verdicts, reasons, Services, backends, bytes and rejects, and counters', async () => {
    const dp = new Dataplane({ ...NODE, ...CAPS, objects: parseObjectsText(CLUSTER, 'cluster.yaml').objects, roomForUpdates: false });
    // The raw host programs what the library programmed, slots as the library numbered them.
    const slotOf = (name: string) => dp.tables.slotNames.indexOf(name);
    const services: RawService[] = [
      { slot: slotOf('default/empty:http'), name: 'default/empty:http', vip: '10.96.0.99', port: 80, backends: [] },
      { slot: slotOf('default/web:http'), name: 'default/web:http', vip: '10.96.0.10', port: 80,
        backends: [['10.244.1.5', 8080], ['10.244.2.6', 8080], ['10.244.2.7', 8080]] },
    ];
    expect(services.map((s) => s.slot).sort()).toEqual([0, 1]);
    const raw = await rawHost([CAPS.ctMax, CAPS.maxServicePorts, CAPS.maxBackends, CAPS.maxFrontends, CAPS.maglevSize, CAPS.maxAffinity, CAPS.maxFragments]);
    const backendNames = program(raw, services, { ip: NODE.nodeIPs[0]!, pods: ['10.244.0.0', 16], services: ['10.96.0.0', 16] });
    const slotNames: string[] = [];
    for (const s of services) slotNames[s.slot] = s.name;

    const tcp = (src: string, dst: string, sport: number, dport: number, flags: number) => buildPacket({ proto: 'TCP', src, dst, sport, dport, flags });
    const packets: { data: Uint8Array; time: number }[] = [];
    // New connections from 40 client ports (Maglev spreads them), each followed by an ACK.
    for (let p = 0; p < 40; p++) {
      packets.push({ data: tcp('10.244.1.20', '10.96.0.10', 40000 + p, 80, 0x02), time: 10 });
      packets.push({ data: tcp('10.244.1.20', '10.96.0.10', 40000 + p, 80, 0x10), time: 11 });
    }
    packets.push(
      { data: tcp('10.244.1.20', '10.96.0.99', 41000, 80, 0x02), time: 12 }, // no endpoints: reject
      { data: tcp('10.244.1.20', '10.96.0.10', 41001, 81, 0x02), time: 12 }, // unknown port: reject
      { data: tcp('10.244.1.20', '10.96.0.200', 41002, 80, 0x02), time: 12 }, // unallocated: drop
      { data: tcp('10.244.1.20', '8.8.8.8', 41003, 53, 0x02), time: 12 }, // not a Service: pass
      { data: Uint8Array.of(1, 2, 3), time: 12 }, // shorter than Ethernet: drop
    );
    const rawAnswers = processRaw(raw, packets, slotNames, backendNames);
    // Replies from the chosen backends: reverse NAT.
    const replies = rawAnswers.slice(0, 80).filter((_, i) => i % 2 === 0).map((a, k) => {
      const [ip, port] = a.backend!.split(':');
      return { data: tcp(ip!, '10.244.1.20', Number(port), 40000 + k, 0x12), time: 13 };
    });
    const rawReplies = processRaw(raw, replies, slotNames, backendNames);

    const lib = (out: ReturnType<Dataplane['process']>): Answer[] => out.map((o) => {
      const a: Answer = { verdict: o.verdict };
      if (o.reason) a.reason = o.reason;
      if (o.service) a.service = o.service;
      if (o.backend) a.backend = o.backend;
      if (o.data) a.data = hexOf(o.data);
      if (o.reject) a.reject = hexOf(o.reject);
      return a;
    });
    expect(rawAnswers).toEqual(lib(dp.process(packets)));
    expect(rawReplies).toEqual(lib(dp.process(replies)));

    // The fixture covers what it claims.
    expect(new Set(rawAnswers.map((a) => a.verdict))).toEqual(new Set(['translated', 'rejected', 'dropped', 'passed']));
    expect(new Set(rawReplies.map((a) => a.verdict))).toEqual(new Set(['reversed']));
    expect(new Set(rawAnswers.slice(0, 80).map((a) => a.backend)).size).toBe(3);
    expect(rawAnswers.slice(80).map((a) => a.reason)).toEqual(['SERVICE_NO_ENDPOINTS', 'SERVICE_PORT_UNKNOWN', 'SERVICE_IP_UNALLOCATED', undefined, 'LINK_TRUNCATED']);

    // Counters, read from the regions docs/abi.md names.
    const verdicts = Array.from(new BigUint64Array(raw.e.memory.buffer, ptr(raw, 'verdictCountersPtr'), 5), Number);
    const c = dp.counters();
    expect(verdicts).toEqual([c.packets.passed, c.packets.translated, c.packets.reversed, c.packets.dropped, c.packets.rejected]);
    expect(raw.e.conntrackEntries()).toBe(c.conntrack.entries);
    const perBackend = backendNames.map((name, id) => {
      const w = new BigUint64Array(raw.e.memory.buffer, ptr(raw, 'backendCountersPtr') + id * 32, 3);
      return { backend: name, packets: Number(w[0]), bytes: Number(w[1]), connections: Number(w[2]) };
    });
    expect(perBackend).toEqual(c.services.find((s) => s.service === 'default/web:http')!.backends);
  });
});
