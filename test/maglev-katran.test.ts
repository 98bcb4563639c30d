// --maglev-compat katran and katran-v2: Katran's VipTest ring deltas reproduced by the core's
// table builder through the host's calls, the hashes against Katran's and folly's own vectors and
// the Linux kernel's jhash.h, and the command picking, flow by flow, the real a small reference of
// Katran's algorithm predicts (test/helpers/katran-maglev-ref.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../src/core/core.js';
import { katranSeeds, type MaglevCompat } from '../src/core/maglev-compat.js';
import { fnv32Signed, spooky16, katranRealHash } from '../src/core/katran-real-hash.js';
import { SCRATCH_ADDR, SCRATCH_IDENTITY, IDENTITY_MAX_BYTES, SCRATCH_IDS, SET_CLUSTER } from '../src/core/abi.js';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { buildPacket, ipBytes } from './helpers/packets.js';
import { ensureBuilt, runCli, tempDir } from './helpers/cli.js';
import * as ref from './helpers/katran-maglev-ref.js';
import { SERVICES, flows, writeCompatInputs, traceOf, backendText } from './helpers/compat-flows.js';
import * as ciliumRef from './helpers/cilium-maglev-ref.js';

const SMALL = { ctMax: 64, maxServicePorts: 8, maxBackends: 1024, maxFrontends: 64 };
const RING = 65537;

/**
 * The ring the core builds for these reals, through the calls the host makes: each real registered
 * with its hash (cpBackendHash), the set in hash order with its weights. Ids are the reals' nums.
 */
function coreRing(mode: MaglevCompat, m: number, reals: ref.Real[]): number[] {
  const core = new Core({ ...SMALL, maglevCompat: mode, maglevSize: m });
  const e = core.exports;
  e.cpBegin();
  const sorted = reals.filter((r) => r.weight > 0).sort((x, y) => (x.hash < y.hash ? -1 : x.hash > y.hash ? 1 : 0));
  for (const r of sorted) {
    core.refresh();
    core.scratch.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + 16);
    core.scratch.set([10, 0, r.id >> 8, r.id & 255], SCRATCH_ADDR);
    expect(e.cpBackend(r.id, 4, 80, 0)).toBe(0);
    expect(e.cpBackendHash(r.id, Number(r.hash & 0xffffffffn), Number(r.hash >> 32n))).toBe(0);
  }
  expect(e.cpService(0, 0, 0, 80, 0)).toBe(0);
  core.refresh();
  sorted.forEach((r, i) => { core.scratch32[SCRATCH_IDS + i] = r.id; core.scratch32[SCRATCH_IDS + sorted.length + i] = r.weight; });
  expect(e.cpServiceSet(0, SET_CLUSTER, sorted.length)).toBe(0);
  e.cpCommit();
  const p = e.maglevTableOf(0, SET_CLUSTER);
  core.refresh();
  return Array.from(new Uint32Array(e.memory.buffer, p, m));
}

/** Positions whose real differs: the size of the delta Katran's Vip returns. */
const delta = (a: number[], b: number[]): number => a.reduce((n, x, i) => n + (x !== b[i] ? 1 : 0), 0);

/** VipTestF's reals: num i, hash i, one weight for all (the first `skip` left out). */
const reals = (weight: number, skip = 0): ref.Real[] =>
  Array.from({ length: 100 }, (_, i) => ({ id: i, hash: BigInt(i), weight })).slice(skip);

describe("Katran's VipTest ring deltas (ring 65537)", () => {
  for (const [mode, v2, removed, reweighted, doubled] of [['katran', false, 1009, 17, 109], ['katran-v2', true, 1020, 0, 1013]] as const) {
    it(`${mode}: delReal(0) changes ${removed}; weights 10 → 13 change ${reweighted}; real 0 at 26 then changes ${doubled}`, () => {
      const base = coreRing(mode, RING, reals(10));
      expect(base, 'the reference').toEqual(ref.table(reals(10), RING, v2));
      expect(base.every((x) => x >= 0 && x < 100)).toBe(true);
      expect(delta(base, coreRing(mode, RING, reals(10, 1)))).toBe(removed);
      const thirteen = coreRing(mode, RING, reals(13));
      expect(delta(base, thirteen)).toBe(reweighted);
      const heavier = reals(13).map((r) => (r.id === 0 ? { ...r, weight: 26 } : r));
      const heavy = coreRing(mode, RING, heavier);
      expect(delta(thirteen, heavy)).toBe(doubled);
      expect(heavy, 'the reference').toEqual(ref.table(heavier, RING, v2));
    });
  }

  it('testAddRemoveReal: a second real (hash 1) next to one (hash 0) changes 32768 positions, removing it 32768', () => {
    const one = coreRing('katran', RING, [{ id: 0, hash: 0n, weight: 1 }]);
    expect(one.every((x) => x === 0)).toBe(true);
    const two = coreRing('katran', RING, [{ id: 0, hash: 0n, weight: 1 }, { id: 1, hash: 1n, weight: 1 }]);
    expect(delta(one, two)).toBe(32768);
    expect(delta(two, one)).toBe(32768);
  });

  it('small prime rings and large ones (where the slot arithmetic wraps) equal the reference', () => {
    const list = Array.from({ length: 9 }, (_, i) => ({ id: i, hash: katranRealHash(Uint8Array.of(10, 1, i, 7)), weight: 1 + (i % 3) }));
    for (const m of [7, 11, 251, 131071]) {
      for (const [mode, v2] of [['katran', false], ['katran-v2', true]] as const) {
        expect(coreRing(mode, m, list.slice(0, Math.min(list.length, m))), `${mode} M=${m}`).toEqual(ref.table(list.slice(0, Math.min(list.length, m)), m, v2));
      }
    }
  });
});

describe('hash functions', () => {
  it("MurmurHash3_x64_64: Katran's MurmurHash3Test properties; the first half of x64_128 over the two words", () => {
    const [S0, S1, S2, S3] = [0, 2307, 42n, 2718281828n];
    const a = 0xdeadbeefcafebaben, e = 0x123456789abcdef0n;
    expect(ref.murmur64(a, S2, S0)).toBe(ref.murmur64(a, S2, S0));
    expect(ref.murmur64(e, S2, S0)).not.toBe(ref.murmur64(e, S2, S1));
    expect(ref.murmur64(e, S2, S0)).not.toBe(ref.murmur64(e, S3, S0));
    expect(ref.murmur64(1n, S2, S0)).not.toBe(ref.murmur64(2n, S2, S0));
    expect(ref.murmur64(0n, 0n, 0)).not.toBe(0n);
    // The core hashes the two words as one 16-byte block of x64_128 (checked against an independent
    // implementation in maglev-compat.test.ts) and keeps the first half.
    const core = new Core({ ...SMALL, maglevCompat: 'katran' });
    for (const [x, y, seed] of [[a, S2, S0], [e, S3, S1], [0n, 0n, 0], [99n, S2, S0]] as const) {
      const block = new Uint8Array(16);
      const v = new DataView(block.buffer);
      v.setBigUint64(0, x, true); v.setBigUint64(8, y, true);
      core.refresh();
      core.scratch.set(block, SCRATCH_IDENTITY);
      expect(core.exports.murmur3Scratch(16, seed)).toBe(0);
      core.refresh();
      const got = new DataView(core.scratch.buffer, core.scratch.byteOffset + IDENTITY_MAX_BYTES, 8).getBigUint64(0, true);
      expect(got).toBe(ref.murmur64(x, y, seed));
      expect(ciliumRef.murmur3(block, seed)[0]).toBe(got);
    }
  });

  // Expected values from the Linux kernel's include/linux/jhash.h (linux-headers 6.1, the jhash
  // Katran copies), compiled with gcc and composed as Katran's get_packet_hash composes it.
  const JHASH = [
    { src: '10.0.0.5', sport: 40000, dport: 80, m: 65537, want: 1497566833 },
    { src: '10.0.0.5', sport: 0, dport: 80, m: 65537, want: 447285566 },
    { src: '198.18.0.9', sport: 51234, dport: 30080, m: 251, want: 3977960375 },
    { src: 'fd00::1005', sport: 40000, dport: 80, m: 65537, want: 2373783262 },
  ];

  it("Katran's datapath flow hash: jhash_2words(address or jhash of the IPv6 address, ports, MAX_VIPS × RING_SIZE)", () => {
    for (const v of JHASH) {
      const [seed, seed6] = katranSeeds(v.m);
      expect(seed).toBe((512 * v.m) >>> 0);
      const c = new Core({ ...SMALL, maglevCompat: 'katran', maglevSize: v.m });
      c.refresh();
      c.scratch.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + 16);
      c.scratch.set(ipBytes(v.src), SCRATCH_ADDR);
      expect(c.exports.katranFlowHashScratch(v.src.includes(':') ? 6 : 4, v.sport, v.dport) >>> 0, v.src).toBe(v.want);
      expect(ref.flowHash(ipBytes(v.src), v.sport, v.dport, seed, seed6), `reference, ${v.src}`).toBe(v.want);
    }
  });

  it("a real's hash is folly's IPAddress hash: FNV-1 with signed bytes, SpookyHash V2, hash_128_to_64", () => {
    // folly's FnvHashTest (fnv32_BROKEN, which fnv32_buf is) and SpookyHashV2Test (Hash32 of 16 bytes 128..143).
    expect(fnv32Signed(new TextEncoder().encode('hello, world!'))).toBe(3605494790);
    expect(fnv32Signed(new TextEncoder().encode('monkeys! m0nk3yz! ev3ry \\/\\/here~~~~'))).toBe(1270448334);
    expect(fnv32Signed(Uint8Array.of(0xff, 0xff, 0xff))).toBe(2420936562);
    expect(spooky16(Uint8Array.from({ length: 16 }, (_, i) => i + 128))[0] & 0xffffffffn).toBe(0xf274736cn);
    // An IPv4-mapped IPv6 address hashes as its IPv4 address.
    expect(katranRealHash(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1))).toBe(katranRealHash(Uint8Array.of(10, 0, 0, 1)));
    expect(katranRealHash(ipBytes('fd00::1'))).not.toBe(katranRealHash(ipBytes('fd00::2')));
  });
});

describe('katran mode through the host', () => {
  it("the tables of a Service port: reals sorted and permuted by their addresses' hashes", () => {
    const v4 = ['10.244.3.9', '10.244.1.5', '10.244.12.1', '10.244.2.200'].map((ip) => backend(ip, 8080));
    const v6 = ['fd00::5', 'fd00::10:7', 'fd00::1:3'].map((ip) => backend(ip, 9090));
    const state = {
      allocatedClusterIPs: [],
      servicePorts: [
        servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: v4 }),
        servicePort({ key: 'default/dns:dns', clusterIP: 'fd00:96::10', port: 53, family: 6, protocol: 'UDP', clusterSet: v6 }),
      ],
    };
    const h = new Harness(state, { maglevCompat: 'katran', maglevSize: 251 });
    const check = (key: string, family: 4 | 6, set: typeof v4): void => {
      const slot = h.tables.slotFor(key, family)!;
      const ptr = h.core.exports.maglevTableOf(slot, SET_CLUSTER);
      h.core.refresh();
      const got = Array.from(new Uint32Array(h.core.exports.memory.buffer, ptr, 251), (id) => h.tables.backendNames[id]);
      const want = ref.table(set.map((b, i) => ({ hash: katranRealHash(ipBytes(b.ip)), weight: 1, id: i })), 251, false)
        .map((i) => (family === 6 ? `[${set[i].ip}]:${set[i].port}` : `${set[i].ip}:${set[i].port}`));
      expect(got).toEqual(want);
    };
    check('default/web:http', 4, v4);
    check('default/dns:dns', 6, v6);
  });

  it('takes any prime ring size; refuses others', () => {
    for (const m of [7, 251, 16369, 65537]) expect(() => new Core({ ...SMALL, maglevCompat: 'katran', maglevSize: m })).not.toThrow();
    expect(() => new Core({ ...SMALL, maglevCompat: 'katran', maglevSize: 65536 })).toThrow(/--maglev-size 65536 is not prime/);
  });
});

// ---- the command ------------------------------------------------------------------------------

describe('svcplane replay --maglev-compat katran', () => {
  const dir = tempDir('svcplane-katran-');
  const all = flows();
  let capture = '', cluster = '';

  beforeAll(() => {
    ensureBuilt();
    ({ capture, cluster } = writeCompatInputs(dir, all));
  });

  const trace = (args: string[]) => traceOf(capture, cluster, args);

  for (const [mode, v2] of [['katran', false], ['katran-v2', true]] as const) {
    it(`${mode}: every flow goes to the real Katran would pick (ring and datapath hash from the reference)`, () => {
      const m = RING;
      const [seed, seed6] = katranSeeds(m);
      const rings = new Map(SERVICES.map((s) => [s.name, ref.table(
        s.backends.map((ip, id) => ({ hash: katranRealHash(ipBytes(ip)), weight: 1, id })), m, v2)]));
      const got = trace(['--maglev-compat', mode, '--maglev-size', String(m)]);
      expect(got).toHaveLength(all.length);
      all.forEach((f, i) => {
        const h = ref.flowHash(ipBytes(f.src), f.svc.affinity ? 0 : f.sport, f.svc.port, seed, seed6);
        const ip = f.svc.backends[rings.get(f.svc.name)![h % m]];
        const want = backendText(f.svc, ip);
        expect(got[i].verdict, `flow ${i}`).toBe('translated');
        expect(got[i].backend, `flow ${i}: ${f.src}:${f.sport} → ${f.svc.name}`).toBe(want);
      });
      // The default mode chooses differently for some of the same flows: the mode is what decides.
      const own = trace(['--maglev-size', String(m)]);
      expect(own.filter((t, i) => t.backend !== got[i].backend).length).toBeGreaterThan(0);
    });
  }

  it('explain and whatif take the mode: the backend explain names is the reference\'s; whatif compares in Katran\'s rings', () => {
    const m = RING;
    const [seed, seed6] = katranSeeds(m);
    const f = all[0];
    const ring = ref.table(f.svc.backends.map((ip, id) => ({ hash: katranRealHash(ipBytes(ip)), weight: 1, id })), m, false);
    const want = f.svc.backends[ring[ref.flowHash(ipBytes(f.src), f.sport, f.svc.port, seed, seed6) % m]];
    const explained = runCli(['explain', capture, '--frame', '1', '-c', cluster, '--maglev-compat', 'katran', '--maglev-size', String(m)]);
    expect(explained.stderr).toBe('');
    expect(explained.status).toBe(0);
    expect(explained.stdout).toContain(`${want}:${f.svc.target}`);
    // One fewer web replica: the flows that move or lose their real are those the reference's rings say.
    const whatif = runCli(['whatif', capture, '-c', cluster, '--next-replicas', 'compat/web=6', '--maglev-compat', 'katran',
      '--maglev-size', String(m), '--json', '-q']);
    expect(whatif.stderr).toBe('');
    expect(whatif.status).toBe(0);
    const report = JSON.parse(whatif.stdout) as { next: { replicas: { removed: string[] }[] }; services: { service: string; moved: number; remaining: { moved: number } }[] };
    const removed = report.next.replicas[0].removed;
    const pick = (backends: string[], c: (typeof all)[number]): string => {
      const r = ref.table(backends.map((ip, id) => ({ hash: katranRealHash(ipBytes(ip)), weight: 1, id })), m, false);
      return backends[r[ref.flowHash(ipBytes(c.src), c.sport, c.svc.port, seed, seed6) % m]];
    };
    const web = all.filter((c) => c.svc.name === 'web');
    const kept = f.svc.backends.filter((ip) => !removed.includes(ip));
    const moved = web.filter((c) => pick(f.svc.backends, c) !== pick(kept, c));
    const row = report.services.find((x) => x.service === 'compat/web:p')!;
    expect(moved.length).toBeGreaterThan(0);
    expect(row.moved).toBe(moved.length);
    // Of the connections whose real stays, as many move as the rings say (with Maglev, few or none).
    expect(row.remaining.moved).toBe(moved.filter((c) => !removed.includes(pick(f.svc.backends, c))).length);
  });

  it('a ring size that is not prime: one line, exit 2', () => {
    const r = runCli(['replay', capture, '-c', cluster, '-q', '--maglev-compat', 'katran', '--maglev-size', '65536']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('svcplane: --maglev-size 65536 is not prime\n');
  });
});
