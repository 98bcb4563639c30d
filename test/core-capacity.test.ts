// Capacities (src/core/capacity.ts, assembly/abi/capacity.ts): the memory arithmetic against
// what the core really allocates, the largest values that fit, refusals before a core exists
// (with the option and its maximum), the core's own guard when the host is bypassed (no
// capacity can wrap a u32 loop or size), a full memory during an update (an error, not a trap),
// and sizing from a cluster: 20,000 service ports, more than the default 16384, load.

import { readFileSync } from 'node:fs';
import { instantiateSync } from '@assemblyscript/loader';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core, CapacityError, CoreError } from '../src/core/core.js';
import { ServiceTables, tableNeeds } from '../src/core/tables.js';
import {
  CAPACITY_DEFAULTS, CAPACITY_OPTIONS, FIXED_BYTES, MAGLEV_PRIME_MAX, MEMORY_BUDGET_BYTES, WALK_BYTES,
  checkCapacities, fits, initBytes, isPrime, largestFitting, poolBytes, resolveCapacities, sizeCapacities,
  type CapacityName, type CapacityOptions, type TableNeeds,
} from '../src/core/capacity.js';
import {
  MEMORY_LIMIT_BYTES, STATIC_BYTES, ctIndexSlots, poolBlockBytes, pow2AtLeast, regionBytes,
} from '../assembly/abi/capacity.js';
import { INIT_OK, INIT_BAD_CAPACITY, INIT_NO_MEMORY, INIT_NOT_PRIME } from '../src/core/abi.js';
import { objectsFromValues, type ClusterObjects } from '../src/k8s/index.js';
import type { ClusterState } from '../src/k8s/model.js';
import { replay } from '../src/replay/replay.js';
import { Dataplane } from '../src/dataplane.js';
import { backend, servicePort } from './helpers/harness.js';

const NAMES = Object.keys(CAPACITY_OPTIONS) as CapacityName[];

/** A cluster state of n one-port Services with `per` endpoints each (some with local endpoints). */
function stateOf(n: number, per: number, extra: Partial<Parameters<typeof servicePort>[0]> = {}): ClusterState {
  const servicePorts = [];
  for (let i = 0; i < n; i++) {
    const eps = Array.from({ length: per }, (_, j) => backend(`10.${(i >> 8) & 255}.${i & 255}.${j % 250}`, 8080 + Math.floor(j / 250), { isLocal: j % 3 === 0 }));
    servicePorts.push(servicePort({ key: `default/s${i}:http`, port: 80, clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`, clusterSet: eps, ...extra }));
  }
  return { servicePorts, allocatedClusterIPs: [], serviceCIDRs: [] };
}

describe('memory arithmetic', () => {
  it('regions, hash tables, pool blocks', () => {
    // region(): 64 bytes of alignment slack and a 4-byte header, in 16-byte granules.
    expect(regionBytes(0)).toBe(80);
    expect(regionBytes(12)).toBe(80);
    expect(regionBytes(13)).toBe(96);
    expect(regionBytes(1 << 20)).toBe((1 << 20) + 80);
    expect(pow2AtLeast(1, 16)).toBe(16);
    expect(pow2AtLeast(17, 16)).toBe(32);
    expect(pow2AtLeast(2 ** 31 + 1, 1)).toBe(2 ** 32); // no wrap: numbers, not u32
    expect(ctIndexSlots(262144)).toBe(1 << 20);
    expect(ctIndexSlots(262145)).toBe(1 << 21);
    expect(ctIndexSlots(2 ** 31 - 1)).toBe(2 ** 33);
    expect(poolBlockBytes(1)).toBe(regionBytes(12));
    expect(poolBlockBytes(4096)).toBe(regionBytes(16384 + 8));
    expect(poolBlockBytes(4097)).toBe(regionBytes(32768 + 8));
    expect(MAGLEV_PRIME_MAX).toBe(5000011);
    expect(isPrime(MAGLEV_PRIME_MAX)).toBe(true);
    expect(isPrime(4294967311)).toBe(true); // prime, but above what the core takes
  });

  it('the defaults fit, and use what they used before', () => {
    const d = resolveCapacities({});
    expect(d).toEqual({ ...CAPACITY_DEFAULTS, maxAffinity: CAPACITY_DEFAULTS.ctMax });
    expect(fits(d)).toBe(true);
    expect(initBytes(d)).toBeLessThan(200 * 2 ** 20);
    expect(MEMORY_BUDGET_BYTES).toBeLessThan(MEMORY_LIMIT_BYTES - STATIC_BYTES);
  });

  it('init allocates exactly initBytes() (the record walk on first use: WALK_BYTES)', () => {
    const combos: CapacityOptions[] = [
      {},
      { ctMax: 1, maxServicePorts: 1, maxBackends: 1, maxFrontends: 1, maxAffinity: 1, maxFragments: 1, maglevSize: 2 },
      { ctMax: 1000, maxServicePorts: 333, maxBackends: 7777, maxFrontends: 1000, maxAffinity: 17, maxFragments: 5000, maglevSize: 65537 },
      { ctMax: 3_000_000, maxBackends: 1_000_000, maglevSize: 1_000_003 },
    ];
    const offsets = combos.map((o) => {
      const core = new Core(o);
      const atInit = core.exports.heapProbe();
      core.exports.walkInit();
      const afterWalk = core.exports.heapProbe();
      // Each probe takes one empty block (16 bytes).
      expect(afterWalk - atInit - 16).toBe(WALK_BYTES);
      return atInit - (initBytes(core.options) - WALK_BYTES);
    });
    // The same start (the heap's base) for every combination, below the static reserve.
    expect(new Set(offsets).size).toBe(1);
    expect(offsets[0]).toBeGreaterThan(0);
    expect(offsets[0]).toBeLessThan(STATIC_BYTES);
    expect(FIXED_BYTES).toBeGreaterThan(WALK_BYTES);
  });

  it('programming a cluster takes exactly poolBytes() of blocks (lists, Maglev tables of 1 and 2 bytes a slot, local sets)', () => {
    for (const m of [16381, 65537]) {
      const core = new Core({ maglevSize: m, ctMax: 1024 });
      const tables = new ServiceTables(core);
      const state = stateOf(5, 300);
      state.servicePorts.push(...stateOf(7, 3, { externalLocal: true }).servicePorts.map((sp, i) => ({ ...sp, key: `other/x${i}`, clusterIP: `10.97.0.${i}` })));
      const needs = tableNeeds(state);
      expect(needs.setSizes.filter((n) => n > 256)).toHaveLength(5);
      const before = core.exports.heapProbe();
      tables.apply(state);
      expect(core.exports.heapProbe() - before - 16).toBe(poolBytes(needs, m));
    }
  });

  it('tableNeeds counts slots per port and family, backends per service port, frontends with markers', () => {
    const sp = servicePort({ key: 'a/b:p', port: 80, clusterIP: '10.96.0.1', externalIPs: ['1.2.3.4'], nodePort: 30080,
      clusterSet: [backend('10.0.0.1', 80), backend('10.0.0.2', 80, { isLocal: true })], internalLocal: true });
    const dup = { ...sp };
    const six = servicePort({ key: 'a/b:p', family: 6, port: 80, clusterIP: 'fd00::1', clusterSet: [backend('fd01::1', 80)] });
    const needs = tableNeeds({ servicePorts: [sp, dup, six], allocatedClusterIPs: ['10.96.0.1', '10.96.0.99'], serviceCIDRs: [] });
    expect(needs.servicePorts).toBe(2);
    expect(needs.backends).toBe(3);
    // ClusterIP, external IP, NodePort, the ClusterIP marker; IPv6 ClusterIP and its marker; 10.96.0.99's marker.
    expect(needs.frontends).toBe(7);
    expect(needs.setSizes).toEqual([2, 1, 1]);
  });
});

describe('the largest values that fit', () => {
  for (const name of NAMES) {
    it(`${CAPACITY_OPTIONS[name].flag}: the largest value fits, one more does not`, () => {
      const max = largestFitting({ [name]: 2 ** 40 }, name);
      expect(max).toBeGreaterThan(name === 'maxFragments' || name === 'maxAffinity' ? 1 << 20 : 100);
      expect(fits(resolveCapacities({ [name]: max }))).toBe(true);
      if (name === 'maglevSize') {
        // The size is bounded by MAGLEV_SIZE_MAX (build time) before memory.
        expect(max).toBe(MAGLEV_PRIME_MAX);
        return;
      }
      expect(fits(resolveCapacities({ [name]: max + 1 }))).toBe(false);
    });
  }

  it('the affinity table follows --ct-max unless given', () => {
    const ct = largestFitting({ ctMax: 2 ** 40 }, 'ctMax');
    const alone = largestFitting({ ctMax: 2 ** 40, maxAffinity: 16 }, 'ctMax');
    expect(alone).toBeGreaterThan(ct);
  });
});

describe('refused before a core is created: one message naming the option and the maximum', () => {
  const tooLarge: [CapacityOptions, RegExp][] = [
    [{ ctMax: 4294967295 }, /^--ct-max 4294967295 is too large: at most (\d+) connections fit in WebAssembly memory with the other tables$/],
    [{ ctMax: 2147483647 }, /^--ct-max 2147483647 is too large: at most \d+ connections/],
    [{ ctMax: 1073741824 }, /^--ct-max 1073741824 is too large: at most \d+ connections/],
    [{ ctMax: 1e21 }, /^--ct-max 1e\+21 is too large: at most \d+ connections/],
    [{ maglevSize: 4294967291 }, /^--maglev-size 4294967291 is too large: at most 5000011 /],
    [{ maglevSize: 4294967311 }, /^--maglev-size 4294967311 is too large: at most 5000011 /],
    [{ maglevSize: 100000007 }, /^--maglev-size 100000007 is too large: at most 5000011 \(a larger table takes too long to build\)$/],
    [{ maxServicePorts: 2 ** 32 }, /^--max-service-ports 4294967296 is too large: at most \d+ service ports/],
    [{ maxBackends: 2 ** 31 }, /^--max-backends 2147483648 is too large: at most \d+ backends/],
    [{ maxFrontends: 2 ** 31 }, /^--max-frontends 2147483648 is too large: at most \d+ frontends/],
    [{ maxAffinity: 2 ** 32 - 1 }, /^--max-affinity 4294967295 is too large: at most \d+ affinity entries/],
    [{ maxFragments: 2 ** 31 }, /^--max-fragments 2147483648 is too large: at most \d+ fragment entries/],
  ];
  for (const [opts, message] of tooLarge) {
    it(JSON.stringify(opts), () => {
      const started = performance.now();
      expect(() => new Core(opts)).toThrow(CapacityError);
      expect(() => new Core(opts)).toThrow(message);
      expect(performance.now() - started).toBeLessThan(2000);
    });
  }

  it('the maximum named is the maximum: it works, and one more is refused', () => {
    let max = 0;
    try {
      checkCapacities({ maxBackends: 2 ** 31 });
    } catch (e) {
      max = Number(/at most (\d+)/.exec((e as Error).message)![1]);
    }
    expect(max).toBeGreaterThan(60_000_000);
    expect(() => checkCapacities({ maxBackends: max + 1 })).toThrow(`--max-backends ${max + 1} is too large: at most ${max} backends`);
    // A core with it (4 GiB of linear memory, mostly never touched) runs.
    const core = new Core({ maxBackends: max, ctMax: 1024 });
    expect(core.exports.memory.buffer.byteLength).toBeLessThanOrEqual(MEMORY_LIMIT_BYTES);
    expect(core.exports.memory.buffer.byteLength).toBeGreaterThan(3.5 * 2 ** 30);
    // The record walk's buffers lie above 2 GiB: its addresses read unsigned.
    core.exports.walkInit();
    expect(core.exports.walkBufferPtr(0)).toBeGreaterThan(2 ** 31);
  });

  it('not whole positive numbers', () => {
    for (const v of [0, -1, 1.5, NaN, Infinity]) {
      expect(() => new Core({ ctMax: v })).toThrow(/^--ct-max .+ must be a positive whole number$/);
      expect(() => new Core({ maxFrontends: v })).toThrow(/^--max-frontends .+ must be a positive whole number$/);
    }
    expect(() => new Core({ maglevSize: 16380 })).toThrow(/^--maglev-size 16380 is not prime$/);
    expect(new CapacityError('x')).toBeInstanceOf(CoreError);
  });

  it('non-power-of-two hash capacities are rounded up', () => {
    const core = new Core({ ctMax: 100, maxFrontends: 1000, maxAffinity: 100, maxFragments: 100 });
    expect(core.options.maxFrontends).toBe(1000);
    expect(core.conntrack().capacity).toBe(100);
  });
});

describe("the core's own guard (the host bypassed)", () => {
  const mod = new WebAssembly.Module(readFileSync(new URL('../build/core.wasm', import.meta.url)));
  const init = (...a: number[]) => {
    const e = instantiateSync<Record<string, (...x: number[]) => number>>(mod, {}).exports;
    // ct, service ports, backends, frontends, Maglev size, lb, seed lo, seed hi, affinity, fragments
    const args = [1024, 64, 1024, 1024, 16381, 0, 1, 2, 1024, 4096];
    a.forEach((v, i) => (args[i] = v));
    return e.init!(...args) >>> 0;
  };

  it('capacities that wrapped a u32 loop or size: refused at once', () => {
    const started = performance.now();
    for (const ct of [4294967295, 2147483647, 1073741824, 67108864]) expect(init(ct)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 4294967295)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 64, 4294967295)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 64, 1024, 4294967295)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 64, 1024, 1024, 16381, 0, 1, 2, 4294967295)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 64, 1024, 1024, 16381, 0, 1, 2, 1024, 4294967295)).toBe(INIT_NO_MEMORY);
    expect(init(1024, 64, 1024, 1024, 4294967291)).toBe(INIT_BAD_CAPACITY);
    expect(init(1024, 64, 1024, 1024, 16380)).toBe(INIT_NOT_PRIME);
    expect(init(0)).toBe(INIT_BAD_CAPACITY);
    expect(init(1024, 64, 1024, 1000, 16381, 0, 1, 2, 1000, 1000)).toBe(INIT_OK);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('memory full while programming: an error naming the cause, not a trap', () => {
  it('a cluster whose Maglev tables do not fit beside the largest backend table', () => {
    const max = largestFitting({ maxBackends: 2 ** 31, ctMax: 1024 }, 'maxBackends');
    const core = new Core({ maxBackends: max, ctMax: 1024 });
    const tables = new ServiceTables(core);
    // About 1 MiB is left: 200 tables of 16 KiB do not fit.
    expect(() => tables.apply(stateOf(200, 2))).toThrow(/^WebAssembly memory is full \(endpoint set\): lower --maglev-size/);
    // Nothing changed, and the core still works: a smaller cluster loads.
    expect(tables.apply(stateOf(20, 2)).servicePorts).toBe(20);
    expect(tables.slotFor('default/s19:http')).toBeDefined();
  });
});

describe('sizing from a cluster', () => {
  const needs = (servicePorts: number, backends: number, frontends: number): TableNeeds =>
    ({ servicePorts, backends, frontends, setSizes: [], rangeLists: [] });

  it('at least the defaults; what the cluster has; twice that with updates', () => {
    expect(sizeCapacities({}, needs(10, 10, 10), false)).toMatchObject({ maxServicePorts: 16384, maxBackends: 262144, maxFrontends: 65536 });
    expect(sizeCapacities({}, needs(20000, 1_000_000, 40000), false)).toMatchObject({ maxServicePorts: 20000, maxBackends: 1_000_000, maxFrontends: 131072 });
    expect(sizeCapacities({}, needs(20000, 1_000_000, 40000), true)).toMatchObject({ maxServicePorts: 40000, maxBackends: 2_000_000, maxFrontends: 262144 });
    // Given values are kept, when the cluster fits in them.
    expect(sizeCapacities({ maxServicePorts: 20001, ctMax: 5 }, needs(20000, 1, 1), true)).toMatchObject({ maxServicePorts: 20001, ctMax: 5, maxAffinity: 5 });
  });

  it('a given capacity smaller than the cluster: the option and what the cluster has', () => {
    expect(() => sizeCapacities({ maxServicePorts: 10 }, needs(50, 1, 1), false)).toThrow(/^--max-service-ports 10 is too small: the cluster has 50 service ports$/);
    expect(() => sizeCapacities({ maxBackends: 10 }, needs(1, 11, 1), false)).toThrow(/^--max-backends 10 is too small: the cluster has 11 backends$/);
    expect(() => sizeCapacities({ maxFrontends: 10 }, needs(1, 1, 17), false)).toThrow(/^--max-frontends 10 is too small: the cluster has 17 frontends$/);
    expect(sizeCapacities({ maxFrontends: 10 }, needs(1, 1, 16), false).maxFrontends).toBe(10); // 16 slots
  });

  it('room for updates is dropped before anything is refused; past that, the sized option is named', () => {
    const big = largestFitting({ maxBackends: 2 ** 40 }, 'maxBackends');
    const half = Math.floor(big * 0.6);
    expect(sizeCapacities({}, needs(1, half, 1), true).maxBackends).toBe(half);
    expect(() => sizeCapacities({}, needs(1, big + 1, 1), false)).toThrow(/^--max-backends \d+ \(sized from the cluster\) is too large|^--ct-max 262144 \(the default\) is too large/);
    // A given option is named first.
    const beside = largestFitting({ ctMax: 1000, maxBackends: 2 ** 40 }, 'maxBackends');
    expect(() => sizeCapacities({ ctMax: 1000 }, needs(1, beside + 1, 1), false)).toThrow(/^--ct-max 1000 is too large: at most \d+ connections/);
  });

  it('Maglev tables count: a size whose tables do not fit for this many endpoint sets is refused, naming --maglev-size', () => {
    const sets: TableNeeds = { ...needs(2000, 2000, 4000), setSizes: Array(2000).fill(1), rangeLists: [] };
    expect(() => sizeCapacities({ maglevSize: 4000037 }, sets, false))
      .toThrow(/^--maglev-size 4000037 is too large: at most (\d+) Maglev slots fit in WebAssembly memory with the other tables and the Maglev tables of 2000 endpoint sets$/);
  });
});

describe('20,000 service ports (more than the default 16384)', () => {
  // The objects as a manifest would give them: 20,000 Services, one port and one endpoint each.
  let objects: ClusterObjects;
  beforeAll(() => {
  const values: unknown[] = [];
  for (let i = 0; i < 20000; i++) {
    const ip = `10.96.${i >> 8}.${i & 255}`;
    values.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default' },
      spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] } });
    values.push({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `s${i}-a`, namespace: 'default', labels: { 'kubernetes.io/service-name': `s${i}` } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: [`10.244.${i >> 8}.${i & 255}`], conditions: { ready: true } }] });
  }
  const loaded = objectsFromValues(values, 'generated');
  expect(loaded.problems).toEqual([]);
  objects = loaded.objects;
  });

  it('replay() sizes the tables from the cluster and loads it', () => {
    const report = replay({ capture: 'pcaps/demo.pcapng', objects });
    expect(report.services).toHaveLength(20000);
  });

  it('with a smaller --max-service-ports: refused before a core is created, naming it', () => {
    const started = performance.now();
    expect(() => replay({ capture: 'pcaps/demo.pcapng', objects, maxServicePorts: 16384 }))
      .toThrow(/^--max-service-ports 16384 is too small: the cluster has 20000 service ports$/);
    // Objects to state is most of this; nothing is programmed.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('a Dataplane keeps the default capacities: load() refuses before programming anything', () => {
    const dp = new Dataplane();
    expect(() => dp.load(objects)).toThrow(/^--max-service-ports 16384 is too small: the cluster has 20000 service ports$/);
    expect(new Dataplane({ maxServicePorts: 20000 }).load(objects).servicePorts).toBe(20000);
  });
});
