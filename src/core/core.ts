// Instantiates the WebAssembly core and gives typed access to its regions, its batch call and
// its counters. One Core is one dataplane instance. Runs in any host with WebAssembly: the
// compiled module comes from the caller (bytes, a WebAssembly.Module, a fetch Response); in
// Node, src/core/wasm-file.ts registers build/core.wasm as the default.

import { sha256 } from '@noble/hashes/sha2.js';
import {
  BATCH_MAX_BYTES, BATCH_MAX_PACKETS, DESC_WORDS, EXTRA_SLOT_BYTES, INIT_OK, INIT_NOT_PRIME, INIT_NO_MEMORY, LB_MAGLEV,
  LB_RANDOM, VERDICT_SLOTS, REASON_SLOTS, REASON_COUNT, PER_ENTITY, C_PACKETS, C_BYTES, C_CONNS, C_LIVE,
} from './abi.js';
import { checkCapacities, type CapacityOptions } from './capacity.js';
import { EXPLAIN_WORDS } from '../../assembly/abi/explain.js';
import { CoreError, CapacityError } from './errors.js';
import { compatCode, checkCiliumTableSize, ciliumSeeds, CILIUM_DEFAULT_SEED, isKatran, katranSeeds, type MaglevCompat } from './maglev-compat.js';

export { CoreError, CapacityError };

/**
 * The capacities (src/core/capacity.ts: every table is allocated when the core is created, and
 * a combination that does not fit in WebAssembly memory is refused with CapacityError), and how
 * the core behaves.
 */
export interface CoreOptions extends CapacityOptions {
  /** Backend choice for new connections. Default 'maglev'. */
  lb?: 'maglev' | 'random';
  /**
   * Whose Maglev to reproduce (docs/maglev-compat.md): svcplane's own, Cilium's (its table
   * sizes only; `hashSeed` is then Cilium's base64 bpf-lb-maglev-hash-seed), or Katran's
   * MaglevHash ('katran') or MaglevHashV2 ('katran-v2'). Default 'svcplane'.
   */
  maglevCompat?: MaglevCompat;
  /** Seed text of every hash. Default "svcplane" (cilium mode: Cilium's default seed). */
  hashSeed?: string;
  /** Use the debug build (bounds checks on). */
  debug?: boolean;
  /**
   * The fast paths: established IPv4 and IPv6 flows (assembly/fastpath.ts) and plain
   * SYNs and first UDP packets to a Service (assembly/openers.ts). Default on; off only to check
   * that both paths give the same result.
   */
  fastPath?: boolean;
  /**
   * The compiled core (build/core.wasm): its bytes or a WebAssembly.Module. Default: the module
   * registered by the host (the Node entry registers build/core.wasm); none registered: CoreError.
   */
  wasm?: WebAssembly.Module | BufferSource;
}

/** What Core.create() and Dataplane.create() also take: a fetch Response (compiled while it downloads). */
export type WasmInput = WebAssembly.Module | BufferSource | Response | PromiseLike<Response>;

interface CoreExports {
  memory: WebAssembly.Memory;
  init(ct: number, svc: number, be: number, fe: number, m: number, lb: number, seedLo: number, seedHi: number,
       affinity: number, fragments: number): number;
  processBatch(n: number): void;
  processRange(first: number, n: number): void;
  inputPtr(): number; descPtr(): number; extraPtr(): number; scratchPtr(): number; scratchBytes(): number;
  verdictCountersPtr(): number; reasonCountersPtr(): number; serviceCountersPtr(): number; backendCountersPtr(): number;
  conntrackEntries(): number; conntrackPeak(): number; conntrackEvicted(): bigint; conntrackCapacity(): number;
  conntrackScanned(): bigint;
  maxSetSize(): number;
  setMaglevCompat(mode: number, seedMurmur: number, seedJhash4: number, seedJhash6: number): number;
  cpBackendIdentity(id: number, len: number): number;
  cpBackendHash(id: number, lo: number, hi: number): number;
  katranFlowHashScratch(family: number, sport: number, dport: number): number;
  murmur3Scratch(len: number, seed: number): number;
  ciliumFlowHashScratch(family: number, proto: number, sport: number, dport: number): number;
  cpBegin(): void; cpCommit(): void; cpAbort(): void;
  /** Builds some of the tables cpCommit would build (about `slots` slots); 1 while some remain. */
  cpBuildStaged(slots: number): number;
  cpBackend(id: number, family: number, port: number, slot: number): number;
  cpService(slot: number, flags: number, affinity: number, port: number, nodePort: number): number;
  cpServiceSet(slot: number, which: number, n: number): number;
  cpServiceRemove(slot: number): void;
  cpFrontendAdd(family: number, proto: number, port: number, kind: number, slot: number): number;
  cpFrontendRemove(family: number, proto: number, port: number): void;
  heapProbe(): number;
  cpBuildTables(): number;
  cpNodeReset(): void;
  cpListAdd(list: number, family: number, prefix: number): number;
  cpMasquerade(all: number, lo: number, hi: number): void;
  cpServiceSourceRanges(slot: number, n: number): number;
  ctFlush(slot: number, n: number): number;
  ctAuditSlot(slot: number, n: number): void;
  cpBackendsReclaim(n: number, nowLo: number, nowHi: number): number;
  auditResultKept(): number; auditResultOrphaned(): number; auditResultWouldMove(): number;
  maglevBuildScratch(m: number, n: number): number;
  maglevTableOf(slot: number, which: number): number;
  setFastPath(on: number): void;
  fastPathPackets(): bigint;
  explainPtr(): number;
  explainPacket(i: number): void;
  walkInit(): void;
  walkStatePtr(): number; walkIfacesPtr(): number; walkBufferPtr(b: number): number;
  walkRun(): number;
  walkBlockDone(keep: number): void;
  walkShard(self: number, n: number): number;
  walkUnitsPtr(): number;
  shardHairpinReserve(count: number): number;
  shardHairpinAdd(family: number): number;
  walkMerge(n: number, units: number, table: number, out: number): number;
  conntrackMasqueraded(): bigint;
}

/** Exports that return addresses: unsigned in JavaScript (a wasm i32 above 2 GiB reads as negative). */
const POINTER_EXPORTS = [
  'inputPtr', 'descPtr', 'extraPtr', 'scratchPtr', 'verdictCountersPtr', 'reasonCountersPtr', 'serviceCountersPtr',
  'backendCountersPtr', 'heapProbe', 'maglevTableOf', 'walkStatePtr', 'walkIfacesPtr', 'walkBufferPtr', 'walkUnitsPtr',
  'explainPtr',
] as const;

function unsignedPointers(raw: Record<string, unknown>): CoreExports {
  const out: Record<string, unknown> = { ...raw };
  for (const name of POINTER_EXPORTS) {
    const f = raw[name] as (...a: number[]) => number;
    out[name] = (...a: number[]) => f(...a) >>> 0;
  }
  return out as unknown as CoreExports;
}

/** 64-bit seed from text: the first 8 bytes of its SHA-256, as two little-endian words. */
export function seedFromText(text: string): [number, number] {
  const d = new DataView(sha256(new TextEncoder().encode(text)).buffer);
  return [d.getUint32(0, true), d.getUint32(4, true)];
}

/** Where a Core without `wasm` gets its module (debug: the build with bounds checks). */
let defaultModule: ((debug: boolean) => WebAssembly.Module) | undefined;

/** Registers the module of Cores created without `wasm` (src/core/wasm-file.ts does, in Node). */
export function setDefaultCoreModule(load: (debug: boolean) => WebAssembly.Module): void {
  defaultModule = load;
}

function moduleOf(opts: CoreOptions): WebAssembly.Module {
  const w = opts.wasm;
  if (w instanceof WebAssembly.Module) return w;
  if (w !== undefined) return new WebAssembly.Module(w);
  if (defaultModule === undefined) {
    throw new CoreError('no WebAssembly core given: pass `wasm` (the bytes of build/core.wasm, a WebAssembly.Module or, to create(), a fetch Response)');
  }
  return defaultModule(opts.debug ?? false);
}

/** Compiles what create() was given, streaming from a Response where the host can. */
export async function compileCore(w: WasmInput): Promise<WebAssembly.Module> {
  if (w instanceof WebAssembly.Module) return w;
  if (ArrayBuffer.isView(w) || w instanceof ArrayBuffer) return WebAssembly.compile(w);
  const res = await w;
  if (!res.ok) throw new CoreError(`${res.url || 'the core'}: HTTP ${res.status} fetching the WebAssembly core`);
  if (typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type') === 'application/wasm') {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/**
 * The one import of the core (assembly/index.ts, docs/abi.md): `env.abort(message, file, line,
 * column)`, called on a failed assertion (debug build); the strings are AssemblyScript strings
 * in linear memory (UTF-16LE, byte length in the 4 bytes before them).
 */
export function coreImports(memory: () => WebAssembly.Memory | undefined): WebAssembly.Imports {
  const text = (ptr: number): string => {
    const mem = memory();
    if (!mem || ptr < 4 || (ptr & 1) !== 0) return '?';
    try {
      const len = new DataView(mem.buffer).getUint32(ptr - 4, true) >>> 1;
      return String.fromCharCode(...new Uint16Array(mem.buffer, ptr, Math.min(len, 512)));
    } catch {
      return '?'; // not a string the core wrote
    }
  };
  return {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        throw new CoreError(`the core aborted: ${text(msg)} at ${text(file)}:${line}:${col}`);
      },
    },
  };
}

export class Core {
  readonly exports: CoreExports;
  readonly options: Required<Omit<CoreOptions, 'wasm'>>;
  /** Views over linear memory; rebuilt when memory grows (control-plane calls may grow it). */
  input!: Uint8Array;
  desc!: Uint32Array;
  extra!: Uint8Array;
  scratch!: Uint8Array;
  scratch32!: Uint32Array;
  private buffer: ArrayBuffer | null = null;

  /**
   * Creates the core synchronously: from `opts.wasm` (bytes are compiled here) or the registered
   * default. `instance`: one already instantiated from the core's module with coreImports() (create()).
   */
  constructor(opts: CoreOptions = {}, instance?: WebAssembly.Instance) {
    // Refused here, before anything is allocated: values, primality, what fits in memory.
    const caps = checkCapacities(opts);
    const compat = opts.maglevCompat ?? 'svcplane';
    if (compat === 'cilium') checkCiliumTableSize(caps.maglevSize);
    const hashSeed = opts.hashSeed ?? (compat === 'cilium' ? CILIUM_DEFAULT_SEED : 'svcplane');
    const seeds = compat === 'cilium' ? ciliumSeeds(hashSeed) : isKatran(compat) ? [0, ...katranSeeds(caps.maglevSize)] : [0, 0, 0];
    this.options = {
      ...caps,
      lb: opts.lb ?? 'maglev',
      maglevCompat: compat,
      hashSeed,
      debug: opts.debug ?? false,
      fastPath: opts.fastPath ?? true,
    };
    let exports: CoreExports | undefined;
    const inst = instance ?? new WebAssembly.Instance(moduleOf(opts), coreImports(() => exports?.memory));
    this.exports = exports = unsignedPointers(inst.exports as Record<string, unknown>);
    const o = this.options;
    const [lo, hi] = seedFromText(o.hashSeed);
    const rc = this.exports.init(o.ctMax, o.maxServicePorts, o.maxBackends, o.maxFrontends, o.maglevSize,
      o.lb === 'random' ? LB_RANDOM : LB_MAGLEV, lo, hi, o.maxAffinity, o.maxFragments);
    if (rc === INIT_NOT_PRIME) throw new CapacityError(`--maglev-size ${o.maglevSize} is not prime`);
    if (rc === INIT_NO_MEMORY) throw new CapacityError('the tables do not fit in WebAssembly memory');
    if (rc !== INIT_OK) throw new CoreError(`the core refused its capacities (code ${rc})`);
    if (this.exports.setMaglevCompat(compatCode(compat), seeds[0], seeds[1], seeds[2]) !== 0) {
      throw new CoreError(`unknown Maglev compatibility mode ${String(compat)}`);
    }
    this.exports.setFastPath(o.fastPath ? 1 : 0);
    this.refresh();
  }

  /**
   * Creates the core from what a browser or another host has: bytes, a WebAssembly.Module or a
   * fetch Response (compiled while it downloads), instantiated asynchronously (browsers refuse to
   * compile large modules synchronously on their main thread).
   */
  static async create(opts: CoreOptions & { wasm?: WasmInput } = {}): Promise<Core> {
    return new Core(opts, await instantiateCore(opts.wasm, opts.debug));
  }

  /** Rebuilds the views if linear memory was replaced by growth. */
  refresh(): void {
    const buf = this.exports.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    const e = this.exports;
    this.input = new Uint8Array(buf, e.inputPtr(), BATCH_MAX_BYTES);
    this.desc = new Uint32Array(buf, e.descPtr(), BATCH_MAX_PACKETS * DESC_WORDS);
    this.extra = new Uint8Array(buf, e.extraPtr(), BATCH_MAX_PACKETS * EXTRA_SLOT_BYTES);
    this.scratch = new Uint8Array(buf, e.scratchPtr(), e.scratchBytes());
    this.scratch32 = new Uint32Array(buf, e.scratchPtr(), e.scratchBytes() >>> 2);
  }

  /** Runs the per-packet program over the first n descriptors: the one boundary crossing per batch. */
  process(n: number): void {
    this.exports.processBatch(n);
  }

  /** The same over descriptors first..first+n-1. */
  processRange(first: number, n: number): void {
    if (n > 0) this.exports.processRange(first, n);
  }

  private u64s(ptr: number, count: number): BigUint64Array {
    this.refresh();
    return new BigUint64Array(this.exports.memory.buffer, ptr, count);
  }

  /** Packets per verdict (index VERDICT_*). */
  verdictCounts(): number[] {
    return Array.from(this.u64s(this.exports.verdictCountersPtr(), VERDICT_SLOTS), Number);
  }
  /** Packets per drop/reject reason (index REASON_*). */
  reasonCounts(): number[] {
    return Array.from(this.u64s(this.exports.reasonCountersPtr(), REASON_SLOTS).subarray(0, REASON_COUNT), Number);
  }
  /** Live conntrack entries of a service-port slot (packets, bytes and connections are counted per backend). */
  serviceLive(slot: number): number {
    const a = this.u64s(this.exports.serviceCountersPtr() + slot * PER_ENTITY * 8, PER_ENTITY);
    return Number(a[C_LIVE]);
  }
  /** [packets, bytes, connections] of a backend id. */
  backendCounters(id: number): [number, number, number] {
    const a = this.u64s(this.exports.backendCountersPtr() + id * PER_ENTITY * 8, PER_ENTITY);
    return [Number(a[C_PACKETS]), Number(a[C_BYTES]), Number(a[C_CONNS])];
  }
  /**
   * Runs descriptor i alone through the one-packet run (the fast paths off for it) and returns
   * what its stages decided (EX_* words of assembly/abi/explain.ts, a copy).
   */
  explainOne(i: number): Uint32Array {
    const e = this.exports;
    e.setFastPath(0);
    try {
      e.explainPacket(i);
    } finally {
      e.setFastPath(this.options.fastPath ? 1 : 0);
    }
    return new Uint32Array(e.memory.buffer, e.explainPtr(), EXPLAIN_WORDS).slice();
  }

  /** Packets the established-flow fast path handled (the rest took the general path). */
  fastPathPackets(): number {
    return Number(this.exports.fastPathPackets());
  }
  /** Live records the conntrack flushes and audits of endpoint changes have visited so far (their work). */
  conntrackScanned(): number {
    return Number(this.exports.conntrackScanned());
  }
  conntrack(): { entries: number; peak: number; evicted: number; capacity: number } {
    const e = this.exports;
    return { entries: e.conntrackEntries(), peak: e.conntrackPeak(), evicted: Number(e.conntrackEvicted()), capacity: e.conntrackCapacity() };
  }
}

/** An instance of the core from `wasm` (the registered default when undefined), instantiated asynchronously. */
export async function instantiateCore(wasm: WasmInput | undefined, debug = false): Promise<WebAssembly.Instance> {
  const mod = wasm === undefined ? moduleOf({ debug }) : await compileCore(wasm);
  let memory: WebAssembly.Memory | undefined;
  const inst = await WebAssembly.instantiate(mod, coreImports(() => memory));
  memory = inst.exports.memory as WebAssembly.Memory;
  return inst;
}
