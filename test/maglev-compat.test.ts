// --maglev-compat cilium: the hash functions against vectors of independent implementations,
// Cilium's own pkg/maglev test vectors reproduced by the core's table builder, and the command
// picking, flow by flow, the backend a small reference of Cilium's algorithm predicts
// (test/helpers/cilium-maglev-ref.ts, itself checked against the same vectors).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core, CoreError } from '../src/core/core.js';
import { ciliumBackendIdentity, ciliumSeeds, CILIUM_DEFAULT_SEED, CILIUM_TABLE_SIZES } from '../src/core/maglev-compat.js';
import { SCRATCH_ADDR, SCRATCH_IDENTITY, IDENTITY_MAX_BYTES, SCRATCH_IDS, SET_CLUSTER } from '../src/core/abi.js';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { Dataplane } from '../src/dataplane.js';
import { parseObjectsText } from '../src/k8s/load.js';
import { buildPacket, ipBytes } from './helpers/packets.js';
import { ensureBuilt, runCli, tempDir } from './helpers/cli.js';
import * as ref from './helpers/cilium-maglev-ref.js';
import { SERVICES, manifest, flows, writeCompatInputs, traceOf, backendText } from './helpers/compat-flows.js';

const SMALL = { ctMax: 64, maxServicePorts: 8, maxBackends: 1024, maxFrontends: 64 };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

// Expected halves from the npm package murmurhash3js-revisited (x64.hash128), an implementation
// independent of svcplane's; "hello" and the fox are also the published vectors of the reference.
const MURMUR: [string, number, bigint, bigint][] = [
  ['', 0, 0x0000000000000000n, 0x0000000000000000n],
  ['a', 0, 0x85555565f6597889n, 0xe6b53a48510e895an],
  ['hello', 0, 0xcbd8a7b341bd9b02n, 0x5b1e906a48ae1d19n],
  ['hello, world', 0, 0x342fac623a5ebc8en, 0x4cdcbc079642414dn],
  ['0123456789abcdef', 0, 0x4be06d94cf4ad1a7n, 0x87c35b5c63a708dan],
  ['0123456789abcdefg', 0, 0x8e32612daa45f9den, 0x0800f4c206c372een],
  ['The quick brown fox jumps over the lazy dog', 0, 0xe34bbc7bbc071b6cn, 0x7a433ca9c49a9347n],
  ['hello', 0xffffffff, 0x347bad75d7575e14n, 0xd940b3d7b5fb075cn],
  // Cilium identity strings with the murmur seed of its default bpf-lb-maglev-hash-seed.
  ['[0.0.0.1:1/TCP,State:active]', 0x24b7ef82, 0xe5a61e346c85d436n, 0x53ee412cc7f20636n],
  ['[10.244.1.5:8080/TCP,State:active]', 0x24b7ef82, 0x244def3e8e1ddd28n, 0xb6dc3797b8e56c5cn],
  ['[[fd00::5]:8080/UDP,State:active]', 0x24b7ef82, 0x3c31d6c3f80373fan, 0x9ada9b5499295ce5n],
];

// Expected values from the Linux kernel's include/linux/jhash.h (linux-headers 6.1), compiled with
// gcc and composed as Cilium's bpf/lib/hash.h composes it; the same build gives lookup3's
// published jhash("Four score and seven years ago", 30, 0) = 0x17770551.
const JHASH: { src: string; sport: number; dport: number; proto: number; seed: string; want: number }[] = [
  { src: '10.0.0.5', sport: 40000, dport: 80, proto: 6, seed: CILIUM_DEFAULT_SEED, want: 2578155562 },
  { src: '10.0.0.5', sport: 0, dport: 80, proto: 6, seed: CILIUM_DEFAULT_SEED, want: 2105822087 },
  // Seed bytes 4..7 zero: the IPv4 jhash seed is 0.
  { src: '198.18.0.9', sport: 51234, dport: 30080, proto: 17, seed: 'JLfvggAAAAAAAAAA', want: 3659008972 },
  { src: 'fd00::1005', sport: 40000, dport: 80, proto: 6, seed: CILIUM_DEFAULT_SEED, want: 878969609 },
];

describe('hash functions', () => {
  const core = new Core({ ...SMALL, maglevCompat: 'cilium' });

  it('murmur3 x64_128: every tail length class, seeds 0 and others', () => {
    for (const [text, seed, h1, h2] of MURMUR) {
      core.refresh();
      const bytes = enc(text);
      core.scratch.set(bytes, SCRATCH_IDENTITY);
      expect(core.exports.murmur3Scratch(bytes.length, seed)).toBe(0);
      core.refresh();
      const out = new DataView(core.scratch.buffer, core.scratch.byteOffset + IDENTITY_MAX_BYTES, 16);
      expect([out.getBigUint64(0, true), out.getBigUint64(8, true)], `${JSON.stringify(text)} seed ${seed}`).toEqual([h1, h2]);
      expect(ref.murmur3(bytes, seed), `reference, ${JSON.stringify(text)}`).toEqual([h1, h2]);
    }
  });

  it("Cilium's datapath flow hash (jhash_3words for IPv4, two lookup3 mixes for IPv6)", () => {
    for (const v of JHASH) {
      const [m, s4, s6] = ciliumSeeds(v.seed);
      const c = new Core({ ...SMALL, maglevCompat: 'cilium', hashSeed: v.seed });
      c.refresh();
      c.scratch.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + 16);
      c.scratch.set(ipBytes(v.src), SCRATCH_ADDR);
      expect(c.exports.ciliumFlowHashScratch(v.src.includes(':') ? 6 : 4, v.proto, v.sport, v.dport) >>> 0, v.src).toBe(v.want);
      expect(ref.flowHash(ipBytes(v.src), v.sport, v.dport, v.proto, s4, s6), `reference, ${v.src}`).toBe(v.want);
      expect(m).toBe(0x24b7ef82);
    }
  });

  it('seeds: three big-endian words of the 12 base64 bytes; anything else refused', () => {
    expect(ciliumSeeds(CILIUM_DEFAULT_SEED)).toEqual([0x24b7ef82, 0x71dcda46, 0x92505688]);
    expect(() => new Core({ ...SMALL, maglevCompat: 'cilium', hashSeed: 'svcplane' })).toThrow(CoreError);
    expect(() => new Core({ ...SMALL, maglevCompat: 'cilium', hashSeed: 'AAAA' })).toThrow(/decodes to 3 bytes/);
  });
});

/** mkAddr(i) of Cilium's maglev_test.go: address i as 4 big-endian bytes, port i, TCP. */
const mkAddr = (i: number): { ip: string; port: number } => ({ ip: [i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255].join('.'), port: i % 65535 });

/**
 * The core's table for backends given as (ip, port, weight, id), through the ABI the host uses:
 * cpBackend and cpBackendIdentity per backend, the set (ids in identity order, then weights), commit.
 */
function coreTable(m: number, list: { ip: string; port: number; weight: number; id: number }[]): number[] {
  const core = new Core({ ...SMALL, maglevCompat: 'cilium', maglevSize: m });
  const e = core.exports;
  e.cpBegin();
  const sorted = list.map((b) => ({ ...b, identity: ciliumBackendIdentity(b.ip, b.port, 'TCP') }))
    .sort((x, y) => (x.identity < y.identity ? -1 : x.identity > y.identity ? 1 : 0));
  for (const b of sorted) {
    core.refresh();
    core.scratch.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + 16);
    core.scratch.set(ipBytes(b.ip), SCRATCH_ADDR);
    expect(e.cpBackend(b.id, 4, b.port, 0)).toBe(0);
    const id = enc(b.identity);
    core.scratch.set(id, SCRATCH_IDENTITY);
    expect(e.cpBackendIdentity(b.id, id.length)).toBe(0);
  }
  expect(e.cpService(0, 0, 0, 80, 0)).toBe(0);
  core.refresh();
  sorted.forEach((b, i) => { core.scratch32[SCRATCH_IDS + i] = b.id; core.scratch32[SCRATCH_IDS + sorted.length + i] = b.weight; });
  expect(e.cpServiceSet(0, SET_CLUSTER, sorted.length)).toBe(0);
  e.cpCommit();
  const p = e.maglevTableOf(0, SET_CLUSTER);
  core.refresh();
  return Array.from(new Uint32Array(e.memory.buffer, p, m));
}

/** runLengthEncodeIDs of maglev_test.go: "<id>(<count>),...". */
function runLength(ids: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j < ids.length && ids[j] === ids[i]) j++;
    runs.push(`${ids[i]}(${j - i})`);
    i = j;
  }
  return runs.join(',');
}

describe("Cilium's pkg/maglev vectors", () => {
  const seedMurmur = ciliumSeeds(CILIUM_DEFAULT_SEED)[0];

  it('TestReproducible: M=251, weights 2, 13, 111, 10, the default seed: the run-length table exactly', () => {
    const expected = '2(5),3(1),2(3),1(1),2(2),0(1),2(1),3(1),2(1),3(1),2(1),1(1),2(7),1(1),2(14),3(1),2(1),' +
      '1(2),2(12),3(1),2(3),1(1),2(4),3(1),2(8),3(1),2(2),1(1),2(16),1(2),2(3),3(1),2(11),1(2),2(4),3(1),2(3),' +
      '1(1),2(4),3(1),2(1),0(1),1(1),2(8),1(1),2(7),1(1),2(4),3(1),2(1),3(1),2(9),1(2),2(5),1(1),2(7),3(1),2(1),' +
      '3(1),1(1),2(8),1(1),2(4),0(1),2(1),1(1),2(5),3(1),2(3),1(1),2(4),3(1),2(3),1(1),2(12),0(1),3(1),2(3),3(1),' +
      '2(4),3(1),2(2),1(1),2(7)';
    const list = [[1, 2, 0], [3, 13, 1], [4, 111, 2], [5, 10, 3]].map(([a, weight, id]) => ({ ...mkAddr(a), weight, id }));
    expect(runLength(coreTable(251, list))).toBe(expected);
    const refList = list.map((b) => ({ identity: ciliumBackendIdentity(b.ip, b.port, 'TCP'), weight: b.weight, id: b.id }));
    expect(runLength(ref.table(refList, 251, seedMurmur)), 'the reference').toBe(expected);
  });

  it('TestWeightedBackendWithRemoval: M=1021, slots 16, 98, 832, 75; removing the lightest moves under 1% of the rest', () => {
    const list = [[1, 2], [2, 13], [3, 111], [4, 10]].map(([a, weight]) => ({ ...mkAddr(a), weight, id: a }));
    const before = coreTable(1021, list);
    const counts = [1, 2, 3, 4].map((id) => before.filter((v) => v === id).length);
    expect(counts).toEqual([16, 98, 832, 75]);
    const after = coreTable(1021, list.slice(1));
    let changed = 0;
    before.forEach((b, pos) => {
      if (b !== 1 && after[pos] !== b) changed++;
      expect([2, 3, 4]).toContain(after[pos]);
    });
    expect((changed / 1021) * 100).toBeLessThan(1);
  });

  it('TestBackendRemoval: M=1021, removing one of 3 moves under 1% of the others', () => {
    const list = [1, 2, 3].map((a) => ({ ...mkAddr(a), weight: 1, id: a }));
    const before = coreTable(1021, list);
    const after = coreTable(1021, list.slice(0, 2));
    let changed = 0;
    before.forEach((b, pos) => {
      if (b !== 3 && after[pos] !== b) changed++;
      expect([1, 2]).toContain(after[pos]);
    });
    expect((changed / 1021) * 100).toBeLessThan(1);
  });

  it('equal weights: the same table as the reference, whatever order the set is given in', () => {
    const list = Array.from({ length: 9 }, (_, i) => ({ ...mkAddr(100 + 37 * i), weight: 1, id: i }));
    const want = ref.table(list.map((b) => ({ identity: ciliumBackendIdentity(b.ip, b.port, 'TCP'), weight: 1, id: b.id })), 509, seedMurmur);
    expect(coreTable(509, list)).toEqual(want);
    expect(coreTable(509, [...list].reverse())).toEqual(want);
  });
});

describe('cilium mode through the host', () => {
  it("the tables of a Service port: identity strings with the port's protocol, canonical IPv6", () => {
    const v4 = ['10.244.3.9', '10.244.1.5', '10.244.12.1', '10.244.2.200'].map((ip) => backend(ip, 8080));
    const v6 = ['fd00:0:0::5', 'fd00::10:7', 'fd00::1:3'].map((ip) => backend(ip, 9090));
    const state = {
      allocatedClusterIPs: [],
      servicePorts: [
        servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: v4 }),
        servicePort({ key: 'default/dns:dns', clusterIP: 'fd00:96::10', port: 53, family: 6, protocol: 'UDP', clusterSet: v6 }),
      ],
    };
    const h = new Harness(state, { maglevCompat: 'cilium', maglevSize: 251 });
    const [seedMurmur] = ciliumSeeds(CILIUM_DEFAULT_SEED);
    const check = (key: string, family: 4 | 6, set: typeof v4, protocol: string): void => {
      const slot = h.tables.slotFor(key, family)!;
      const ptr = h.core.exports.maglevTableOf(slot, SET_CLUSTER);
      h.core.refresh();
      const got = Array.from(new Uint32Array(h.core.exports.memory.buffer, ptr, 251), (id) => h.tables.backendNames[id]);
      const canonical = (ip: string): string => (ip === 'fd00:0:0::5' ? 'fd00::5' : ip);
      const want = ref.table(set.map((b, i) => ({ identity: ciliumBackendIdentity(canonical(b.ip), b.port, protocol), weight: 1, id: i })), 251, seedMurmur)
        .map((i) => (family === 6 ? `[${set[i].ip}]:${set[i].port}` : `${set[i].ip}:${set[i].port}`));
      expect(got).toEqual(want);
    };
    check('default/web:http', 4, v4, 'TCP');
    check('default/dns:dns', 6, v6, 'UDP');
  });

  it('refuses a table size Cilium does not accept, and a seed that is not base64 of 12 bytes', () => {
    expect(() => new Core({ ...SMALL, maglevCompat: 'cilium', maglevSize: 16369 })).toThrow(/not a Cilium table size/);
    for (const m of CILIUM_TABLE_SIZES.slice(0, 3)) expect(() => new Core({ ...SMALL, maglevCompat: 'cilium', maglevSize: m })).not.toThrow();
    // svcplane mode takes any prime.
    expect(() => new Core({ ...SMALL, maglevSize: 16369 })).not.toThrow();
  });
});

// ---- the command ------------------------------------------------------------------------------

describe('cilium mode: an endpoint change counts the connections that would move by Cilium\'s hash', () => {
  it('wouldMove is the number of flows whose predicted backend differs between the tables before and after', () => {
    const web = SERVICES[0];
    const dp = new Dataplane({ ...SMALL, ctMax: 1024, maglevCompat: 'cilium', maglevSize: 509, objects: parseObjectsText(manifest(), 'cluster.json').objects });
    const clients = Array.from({ length: 80 }, (_, i) => ({ src: `198.18.${i >> 3}.${i * 3 + 1}`, sport: 33000 + i * 17 }));
    const out = dp.process(clients.map((c) => ({ data: buildPacket({ src: c.src, dst: web.vip, sport: c.sport, dport: web.port, proto: 'TCP', flags: 0x02 }) })));
    expect(out.filter((o) => o.verdict !== 'translated').map((o) => `${o.verdict} ${o.reason}`)).toEqual([]);
    const [seedMurmur, seed4, seed6] = ciliumSeeds(CILIUM_DEFAULT_SEED);
    const pick = (backends: string[], c: { src: string; sport: number }): string => {
      const t = ref.table(backends.map((ip, id) => ({ identity: ciliumBackendIdentity(ip, web.target, 'TCP'), weight: 1, id })), 509, seedMurmur);
      return backends[t[ref.flowHash(ipBytes(c.src), c.sport, web.port, 6, seed4, seed6) % 509]];
    };
    clients.forEach((c, i) => expect(out[i].backend).toBe(`${pick(web.backends, c)}:${web.target}`));
    const kept = web.backends.filter((ip) => ip !== '10.244.2.7');
    const slice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
      metadata: { name: 'web-1', namespace: 'compat', labels: { 'kubernetes.io/service-name': 'web' } },
      endpoints: kept.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'p', port: web.target, protocol: 'TCP' }],
    };
    const stats = dp.event({ type: 'MODIFIED', object: slice } as never, { audit: true });
    const change = stats.changes.find((c) => c.service === 'compat/web:p')!;
    const moved = clients.filter((c) => pick(web.backends, c) !== pick(kept, c)).length;
    expect(moved).toBeGreaterThan(0);
    expect(change.wouldMove).toBe(moved);
    expect(change.orphaned).toBe(clients.filter((c) => pick(web.backends, c) === '10.244.2.7').length);
  });
});

describe('svcplane replay --maglev-compat cilium', () => {
  const dir = tempDir('svcplane-compat-');
  const all = flows();
  let capture = '', cluster = '';

  beforeAll(() => {
    ensureBuilt();
    ({ capture, cluster } = writeCompatInputs(dir, all));
  });

  const trace = (args: string[]) => traceOf(capture, cluster, args);

  it('every flow goes to the backend Cilium would pick (tables and datapath hash from the reference)', () => {
    const [seedMurmur, seed4, seed6] = ciliumSeeds(CILIUM_DEFAULT_SEED);
    const m = 251;
    const tables = new Map(SERVICES.map((s) => [s.name, ref.table(
      s.backends.map((ip, id) => ({ identity: ciliumBackendIdentity(ip, s.target, s.proto), weight: 1, id })), m, seedMurmur)]));
    const got = trace(['--maglev-compat', 'cilium', '--maglev-size', String(m)]);
    expect(got).toHaveLength(all.length);
    all.forEach((f, i) => {
      const h = ref.flowHash(ipBytes(f.src), f.svc.affinity ? 0 : f.sport, f.svc.port, f.svc.proto === 'UDP' ? 17 : 6, seed4, seed6);
      const ip = f.svc.backends[tables.get(f.svc.name)![h % m]];
      const want = backendText(f.svc, ip);
      expect(got[i].verdict, `flow ${i}`).toBe('translated');
      expect(got[i].backend, `flow ${i}: ${f.src}:${f.sport} → ${f.svc.name}`).toBe(want);
    });
    // The default mode chooses differently for some of the same flows: the mode is what decides.
    const own = trace(['--maglev-size', String(m)]);
    expect(own.filter((t, i) => t.backend !== got[i].backend).length).toBeGreaterThan(0);
  });

  it('--maglev-compat svcplane is the default: the same trace as without the option', () => {
    expect(trace(['--maglev-compat', 'svcplane'])).toEqual(trace([]));
  });

  it('a table size Cilium does not accept, a bad seed, an unknown mode: one line, exit 2', () => {
    const size = runCli(['replay', capture, '-c', cluster, '-q', '--maglev-compat', 'cilium', '--maglev-size', '16369']);
    expect(size.status).toBe(2);
    expect(size.stderr).toBe(`svcplane: --maglev-size 16369 is not a Cilium table size (${CILIUM_TABLE_SIZES.join(', ')})\n`);
    const seed = runCli(['replay', capture, '-c', cluster, '-q', '--maglev-compat', 'cilium', '--hash-seed', 'not-base64!']);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toMatch(/^svcplane: --hash-seed "not-base64!": cilium mode takes Cilium's bpf-lb-maglev-hash-seed, base64 of 12 bytes\n$/);
    const unknown = runCli(['replay', capture, '-c', cluster, '-q', '--maglev-compat', 'envoy']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Allowed choices are svcplane, cilium, katran, katran-v2/);
  });
});
