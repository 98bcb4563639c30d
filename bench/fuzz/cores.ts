// The packet fuzzer's three cores: release with the fast paths, release without them, and the
// debug build (bounds checks on). Every batch goes through all three with the same
// descriptors and different bytes after each packet's end (0x00, 0xff, a random pattern), so
// a read past the captured length shows as a mismatch; each answer (verdict, reason, every
// OUT word, the packet's bytes, a generated packet's bytes, the bytes after the packet) must
// agree, and so must the counters. Conntrack persists across batches.

import { Core } from '../../src/core/core.js';
import { ServiceTables } from '../../src/core/tables.js';
import {
  DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, D_VERDICT, D_REASON, D_EXTRA_OFF,
  D_EXTRA_LEN, D_L3_OFF, D_L4_OFF, D_META, D_SERVICE, D_BACKEND, D_RESERVED, NO_OFFSET, VERDICT_TRANSLATED, BATCH_MAX_BYTES,
  VERDICT_NAMES, reasonName,
} from '../../src/core/abi.js';
import type { ClusterState } from '../../src/k8s/model.js';
import { FUZZ_CAPACITIES, FUZZ_NODE, FUZZ_STATE } from './cluster.js';
import type { FuzzPacket } from './packets.js';
import { Rng } from './rng.js';
import '../../src/core/wasm-file.js'; // Cores from build/core.wasm

/** Bytes between packets in the input region, each lane filling them with its own pattern. */
const GAP = 64;
const OUT_WORDS = [D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, D_L3_OFF, D_L4_OFF, D_META, D_RESERVED];
const WORD_NAMES: Record<number, string> = {
  [D_VERDICT]: 'verdict', [D_REASON]: 'reason', [D_SERVICE]: 'service', [D_BACKEND]: 'backend', [D_EXTRA_OFF]: 'extra offset',
  [D_EXTRA_LEN]: 'extra length', [D_L3_OFF]: 'L3 offset', [D_L4_OFF]: 'L4 offset', [D_META]: 'meta', [D_RESERVED]: 'reserved',
};

export interface Lane {
  name: string;
  core: Core;
  /** Pattern after each packet: one byte value, or bytes of a random pattern. */
  pad: number | Uint8Array;
  /** Time spent in the batch call (ms). */
  ms: number;
}

export interface Finding {
  kind: 'trap' | 'mismatch';
  batch: number;
  /** Packet index in the batch (-1: the batch as a whole, or counters). */
  index: number;
  detail: string;
  packet?: FuzzPacket;
}

/** The ClusterState variants applied in turn during a run: endpoints leave and come back. */
function variants(): ClusterState[] {
  const shrunk: ClusterState = {
    ...FUZZ_STATE,
    servicePorts: FUZZ_STATE.servicePorts.map((p) =>
      p.key === 'default/web:http' ? { ...p, clusterSet: p.clusterSet.slice(0, 2), endpoints: p.clusterSet.slice(0, 2) }
      : p.key === 'kube-system/dns:dns' ? { ...p, clusterSet: [], endpoints: [], localSet: [] } : p),
  };
  return [FUZZ_STATE, shrunk];
}

export class CoreTrio {
  readonly lanes: Lane[];
  private tables: ServiceTables[];
  private readonly states = variants();
  private stateIndex = 0;
  /** Packets per verdict name and per drop reason, from the first lane's answers. */
  readonly verdicts = new Map<string, number>();
  readonly reasons = new Map<string, number>();
  /** Packets that reached a Service, that got a backend, that made a packet (reject). */
  reached = { service: 0, backend: 0, generated: 0 };
  packets = 0;

  constructor(seed: number) {
    const r = new Rng(seed ^ 0x5bd1e995);
    const make = (debug: boolean, fastPath: boolean) => new Core({ ...FUZZ_CAPACITIES, debug, fastPath });
    this.lanes = [
      { name: 'release', core: make(false, true), pad: 0x00, ms: 0 },
      { name: 'release, no fast path', core: make(false, false), pad: 0xff, ms: 0 },
      { name: 'debug', core: make(true, true), pad: r.bytes(BATCH_MAX_BYTES), ms: 0 },
    ];
    this.tables = this.lanes.map((l) => {
      const t = new ServiceTables(l.core);
      t.setNode(FUZZ_NODE);
      t.apply(FUZZ_STATE);
      return t;
    });
  }

  /** Applies the next cluster state variant to every core (an endpoint update during the run). */
  update(): void {
    this.stateIndex = (this.stateIndex + 1) % this.states.length;
    for (const t of this.tables) t.apply(this.states[this.stateIndex]);
  }

  /**
   * Runs one batch through every lane and compares. `tsSec` is the capture clock of the
   * batch (packets 1 µs apart). Calls `translated` with each IP packet the first lane translated.
   */
  run(batchNo: number, pkts: FuzzPacket[], tsSec: number, translated?: (ip: Uint8Array) => void): Finding[] {
    const offsets: number[] = [];
    let off = 0;
    for (const p of pkts) {
      offsets.push(off);
      off += (p.bytes.length + GAP + 7) & ~7;
    }
    const total = off;
    for (const lane of this.lanes) {
      const c = lane.core;
      c.refresh();
      if (typeof lane.pad === 'number') c.input.fill(lane.pad, 0, total);
      else c.input.set(lane.pad.subarray(0, total));
      for (let i = 0; i < pkts.length; i++) {
        const p = pkts[i];
        const d = i * DESC_WORDS;
        c.input.set(p.bytes, offsets[i]);
        c.desc.fill(0, d, d + DESC_WORDS);
        c.desc[d + D_OFFSET] = offsets[i];
        c.desc[d + D_CAPLEN] = p.bytes.length;
        c.desc[d + D_WIRELEN] = p.wirelen;
        c.desc[d + D_LINKTYPE] = p.link;
        c.desc[d + D_TS_SEC] = tsSec;
        c.desc[d + D_TS_NSEC] = i * 1000;
      }
      const t0 = performance.now();
      try {
        c.process(pkts.length);
      } catch (e) {
        return [{ kind: 'trap', batch: batchNo, index: -1, detail: `${lane.name}: ${(e as Error).message}` }];
      } finally {
        lane.ms += performance.now() - t0;
      }
      c.refresh();
    }
    const findings: Finding[] = [];
    const [a, ...others] = this.lanes;
    for (let i = 0; i < pkts.length; i++) {
      const p = pkts[i];
      const d = i * DESC_WORDS;
      const o = offsets[i];
      const end = o + p.bytes.length;
      const diffs: string[] = [];
      // The bytes after the packet must still be each lane's own pattern.
      for (const lane of this.lanes) {
        const inp = lane.core.input;
        for (let k = end; k < end + GAP; k++) {
          const want = typeof lane.pad === 'number' ? lane.pad : lane.pad[k];
          if (inp[k] !== want) { diffs.push(`${lane.name} wrote past the packet's end (byte ${k - o})`); break; }
        }
      }
      for (const b of others) {
        for (const w of OUT_WORDS) {
          if (a.core.desc[d + w] !== b.core.desc[d + w]) diffs.push(`${WORD_NAMES[w]}: ${a.name} ${a.core.desc[d + w]}, ${b.name} ${b.core.desc[d + w]}`);
        }
        if (!sameBytes(a.core.input, o, b.core.input, o, p.bytes.length)) diffs.push(`output bytes: ${a.name} ${hexOf(a.core.input, o, end)}, ${b.name} ${hexOf(b.core.input, o, end)}`);
        const xl = a.core.desc[d + D_EXTRA_LEN];
        if (xl && xl === b.core.desc[d + D_EXTRA_LEN]) {
          const xa = a.core.desc[d + D_EXTRA_OFF], xb = b.core.desc[d + D_EXTRA_OFF];
          if (!sameBytes(a.core.extra, xa, b.core.extra, xb, xl)) diffs.push(`generated packet: ${a.name} ${hexOf(a.core.extra, xa, xa + xl)}, ${b.name} ${hexOf(b.core.extra, xb, xb + xl)}`);
        }
      }
      if (diffs.length) findings.push({ kind: 'mismatch', batch: batchNo, index: i, detail: diffs.join('; '), packet: p });
      const v = VERDICT_NAMES[a.core.desc[d + D_VERDICT]] ?? `verdict ${a.core.desc[d + D_VERDICT]}`;
      this.verdicts.set(v, (this.verdicts.get(v) ?? 0) + 1);
      const reason = a.core.desc[d + D_REASON];
      if (reason) { const n = reasonName(reason); this.reasons.set(n, (this.reasons.get(n) ?? 0) + 1); }
      if (a.core.desc[d + D_SERVICE]) this.reached.service++;
      if (a.core.desc[d + D_BACKEND]) this.reached.backend++;
      if (a.core.desc[d + D_EXTRA_LEN]) this.reached.generated++;
      const l3 = a.core.desc[d + D_L3_OFF];
      if (translated && a.core.desc[d + D_VERDICT] === VERDICT_TRANSLATED && l3 !== NO_OFFSET && l3 < p.bytes.length) {
        translated(a.core.input.subarray(o + l3, end));
      }
    }
    this.packets += pkts.length;
    return findings;
  }

  /** Counters that must agree across lanes: packets per verdict and reason, conntrack size, per-backend counts. */
  compareCounters(batchNo: number): Finding[] {
    const snap = (c: Core) => JSON.stringify({
      verdicts: c.verdictCounts(), reasons: c.reasonCounts(), conntrack: c.conntrack(),
      backends: Array.from({ length: FUZZ_CAPACITIES.maxBackends! }, (_, i) => c.backendCounters(i)),
    });
    const want = snap(this.lanes[0].core);
    const out: Finding[] = [];
    for (const l of this.lanes.slice(1)) {
      const got = snap(l.core);
      if (got !== want) out.push({ kind: 'mismatch', batch: batchNo, index: -1, detail: `counters: ${this.lanes[0].name} ${want}; ${l.name} ${got}` });
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

export function hexOf(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.subarray(start, end)).toString('hex');
}
