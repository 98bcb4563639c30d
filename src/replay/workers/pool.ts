// --workers N: N worker threads (thread.ts), started before the cluster loads (WorkerPool), each
// walk every chunk of the capture and run only their own packets. This side decides the owners
// once (Dispatcher: assembly/capture/shard.ts in a walk of its own) and publishes them per chunk;
// as the one writer, it merges the workers' output streams unit by unit in the core
// (assembly/capture/merge.ts), writes each chunk while the workers run the next, and sums their
// counters. Timed updates are planned by the caller and programmed by every worker at the same
// record; each worker audits its own connections, and the caller sums the audits (update-plan.ts).
// What the dispatch cannot keep identical to one worker is checked as the run goes and at its end
// (flagReason, checkChunk, checkEnd): the replay then reports why and the caller replays with one
// worker (README, "How it is built").

import * as fs from 'node:fs';
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { Core } from '../../core/core.js';
import { coreModuleFromFile } from '../../core/wasm-file.js';
import { ServiceTables, type NodeConfig } from '../../core/tables.js';
import type { ClusterState } from '../../k8s/model.js';
import { ChunkWalk, IO_DONE, IO_FLUSH, type ChunkWalkResult } from '../chunks.js';
import { FdInput } from '../fd-io.js';
import { CaptureFormatError } from '../../capture/errors.js';
import { writeFdFully } from '../../capture/io.js';
import { WALK_BUFFER_BYTES, SHARD_FRAGMENT, SHARD_AFFINITY, SHARD_NODE_FRONTEND, SHARD_UNITS_FULL, SHARD_HAIRPIN } from '../../../assembly/abi/walk.js';
import { VERDICT_SLOTS, REASON_SLOTS, PER_ENTITY, C_CONNS, REASON_CT_FULL } from '../../core/abi.js';
import {
  CTRL_MERGED, CTRL_STOP, CTRL_WORDS, CTRL_PUBLISHED, CTRL_DISPATCHED, OWNER_SLOTS, OWNER_SLOT_WORDS, ownerSlot,
  type WorkerStart, type WorkerMessage, type ChunkMessage, type EndMessage,
  type StartMessage, type GoMessage, type WorkerCounters, type FailureData, type PlannedUpdate, type UpdateAudit,
} from './protocol.js';

/** The most workers --workers takes. */
export const WORKERS_MAX = 16;

/** What the merged run gives the report: the walk's figures and the summed counters (written into `core`). */
export interface WorkersResult {
  result: ChunkWalkResult;
  conntrack: { entries: number; peak: number; evicted: number };
  fastPath: number;
  workers: number;
}

/** The run was stopped by its signal: what the workers ran until then (their outputs are not all merged). */
export interface WorkersInterrupted {
  interrupted: WorkersResult;
}

/** The run could not be kept identical to one worker's: why (the caller replays with one). */
export interface WorkersFallback {
  fallback: string;
}

/**
 * Workers from which the owners are decided once, by the Dispatcher. Its pass reads and frames the
 * whole capture once more in the writer's thread; with two workers that costs more than the
 * dispatch it saves them (bench/RESULTS.md, "`--workers`"), so each then dispatches for itself.
 */
const DISPATCHER_MIN_WORKERS = 3;

/** Worker threads started ahead of their run, so that their start overlaps the writer's cluster load. */
export class WorkerPool {
  readonly control = new SharedArrayBuffer(CTRL_WORDS * 4);
  readonly owners: SharedArrayBuffer;
  readonly threads: Threads;
  /** Whether the owners are decided by the Dispatcher (else each worker decides them for itself). */
  readonly dispatched: boolean;
  private stopped: Promise<void> | null = null;

  constructor(readonly workers: number, readonly capture: string, readonly readBytes: number | undefined, debug: boolean) {
    const module = coreModuleFromFile(debug);
    this.dispatched = workers >= DISPATCHER_MIN_WORKERS;
    this.owners = new SharedArrayBuffer(this.dispatched ? OWNER_SLOTS * OWNER_SLOT_WORDS * 4 : 4);
    this.threads = new Threads(workers, (self, returns) => ({
      capture, readBytes, self, workers, control: this.control, owners: this.owners, dispatched: this.dispatched, module, returns,
    }));
  }

  /** Ends the threads (once; later calls wait for the same end). */
  stop(): Promise<void> {
    this.stopped ??= this.threads.stop();
    return this.stopped;
  }
}

export interface WorkersRun {
  /** The writer's core: the workers build theirs with its options; the merge runs in it. */
  core: Core;
  /** What the writer's tables hold, and its node configuration: the workers program the same. */
  state: ClusterState;
  node: NodeConfig;
  /** The timed updates, planned (update-plan.ts). */
  updates: PlannedUpdate[];
  /** Clients whose connections live on worker 0: every backend address of the run (update-plan.ts backendAddresses). */
  hairpin: string[];
  /**
   * Called once the run stands, before the counters are summed into `core`, with each worker's
   * audit of every update applied, in order: the writer applies them to its own tables.
   */
  settle: (audits: UpdateAudit[][], result: ChunkWalkResult) => void;
  pool: WorkerPool;
  outFd: number;
  outIsFile: boolean;
  progress?: (bytesRead: number, fileSize: number | undefined, packets: number) => void;
  signal?: AbortSignal;
}

const FLAG_REASONS: [number, string][] = [
  [SHARD_FRAGMENT, 'IP fragments the fragment table may not keep (one displaced, or their times going back)'],
  [SHARD_AFFINITY, 'ClientIP affinity entries that may share a full probe window, or a client both masqueraded and not'],
  [SHARD_NODE_FRONTEND, "a frontend on the node's masquerade address that keeps the client's source"],
  [SHARD_UNITS_FULL, 'a chunk with too many records'],
  [SHARD_HAIRPIN, 'the backend addresses (hairpin clients) do not fit in memory'],
];

/** Runs the capture over `run.workers` workers. Throws what one worker would (damage, I/O errors). */
export async function replayWorkers(run: WorkersRun): Promise<WorkersResult | WorkersFallback | WorkersInterrupted> {
  const { pool, core } = run;
  const n = pool.workers;
  const ctrl = new Int32Array(pool.control);
  const threads = pool.threads;
  threads.post({ t: 'go', core: core.options, state: run.state, node: run.node, updates: run.updates, hairpin: run.hairpin });
  const merger = new Merger(run.core, n);
  const writer = new ChunkWriter(run.outFd, run.outIsFile, run.core);
  let dispatcher: Dispatcher | undefined;
  try {
    // While the workers build their cores, the dispatcher walks the first chunks.
    if (pool.dispatched) {
      dispatcher = new Dispatcher(run);
      dispatcher.publishTo(OWNER_SLOTS);
    }
    const starts = await threads.all();
    for (const m of starts) if (m.t === 'fail') throw rebuild(m.failure);
    const first = starts[0] as StartMessage;
    if (starts.some((m) => !(m as StartMessage).sharded)) return { fallback: 'the unit table does not fit in memory' };
    if (first.header && run.outFd >= 0) writeFdFully(run.outFd, first.header, 0, first.header.length);
    let ends: EndMessage[] | undefined;
    const audits: UpdateAudit[][] = [];
    let units = 0;
    for (let seq = 0; ends === undefined; seq++) {
      dispatcher?.publishTo(seq + OWNER_SLOTS);
      const dispatched = flagReason(dispatcher?.flags ?? 0);
      if (dispatched) return { fallback: dispatched };
      const msgs = await threads.all();
      // An update failed (on every worker, as on one): the caller replays on one worker, which throws its error.
      if (msgs.some((m) => m.t === 'end' && m.failure?.update)) return { fallback: 'an update the tables refused' };
      if (msgs.every((m) => m.t === 'end')) {
        ends = msgs as EndMessage[];
        break;
      }
      const chunks = msgs as ChunkMessage[];
      if (chunks.some((m) => m.t !== 'chunk' || m.seq !== seq || m.updates.length !== chunks[0]!.updates.length) ||
          (dispatcher && chunks[0]!.units.length !== dispatcher.units[seq])) {
        throw new Error('--workers: the workers fell out of step');
      }
      const why = checkChunk(chunks);
      if (why) return { fallback: why };
      chunks[0]!.updates.forEach((_, k) => audits.push(chunks.map((c) => c.updates[k]!)));
      const out = merger.merge(chunks);
      if (out === null) return { fallback: 'a chunk too large to merge' };
      chunks.forEach((c, w) => {
        if (c.stream.buffer.byteLength > 0) threads.giveBack(w, c.stream.buffer as ArrayBuffer);
      });
      await writer.write(out[0], out[1]);
      units += chunks[0]!.units.length;
      Atomics.store(ctrl, CTRL_MERGED, seq + 1);
      Atomics.notify(ctrl, CTRL_MERGED);
      run.progress?.(chunks[0]!.bytesRead, chunks[0]!.fileSize, units);
      if (run.signal?.aborted) {
        // The workers stop after the chunk they are on and report what they ran: the run so far.
        Atomics.store(ctrl, CTRL_STOP, 1);
        Atomics.notify(ctrl, CTRL_MERGED);
        Atomics.notify(ctrl, CTRL_PUBLISHED);
        const stopped = await threads.ends();
        if (stopped.ends.some((m) => m === null)) throw run.signal.reason;
        const interrupted = sumRun(run, stopped.ends as EndMessage[], audits, n);
        // Where the workers stopped, which may be past the last merged chunk: the progress the run ends at.
        run.progress?.(Math.max(stopped.bytesRead, chunks[0]!.bytesRead), chunks[0]!.fileSize, interrupted.result.packets);
        return { interrupted };
      }
    }
    await writer.flush();
    const conntrack = conntrackOf(ends, audits);
    const why = checkEnd(ends, run.core, conntrack);
    if (why) return { fallback: why };
    const result = sumResults(ends.map((e) => e.result));
    const failure = ends[0]!.failure;
    const trailer = ends[0]!.trailer;
    if (trailer && run.outFd >= 0) writeFdFully(run.outFd, trailer, 0, trailer.length);
    if (failure) throw rebuild(failure);
    return sumRun(run, ends, audits, n, result, conntrack);
  } finally {
    // Wake workers waiting for the writer or the dispatcher, so that they can be stopped.
    Atomics.store(ctrl, CTRL_STOP, 1);
    Atomics.notify(ctrl, CTRL_MERGED);
    Atomics.notify(ctrl, CTRL_PUBLISHED);
    dispatcher?.close();
    await writer.flush().catch(() => undefined);
    await pool.stop();
  }
}

/** The run's figures from the workers' end messages: the updates applied, the counters summed into the writer's core. */
function sumRun(run: WorkersRun, ends: EndMessage[], audits: UpdateAudit[][], n: number,
                result = sumResults(ends.map((e) => e.result)), conntrack = conntrackOf(ends, audits)): WorkersResult {
  run.settle(audits, result);
  const summed = sumInto(run.core, ends.map((e) => e.counters));
  const evicted = ends.reduce((s, e) => s + e.counters.evicted, 0);
  return { result, conntrack: { entries: conntrack.entries, peak: conntrack.peak, evicted }, ...summed, workers: n };
}

/** What SHARD_* bits say cannot be kept identical to one worker, or null. */
function flagReason(flags: number): string | null {
  for (const [bit, what] of FLAG_REASONS) if (flags & bit) return what;
  return null;
}

/** Why a chunk cannot be kept identical to one worker's, or null. */
function checkChunk(chunks: ChunkMessage[]): string | null {
  let flags = 0;
  for (const c of chunks) flags |= c.flags;
  const why = flagReason(flags);
  if (why) return why;
  // Masqueraded connections must all be worker 0's. A hairpin one is known only from its backend: the
  // dispatch places it by its client (a backend address), and this check catches any it missed.
  if (chunks.some((c, w) => w > 0 && c.masqueraded > 0)) return 'a masqueraded connection outside worker 0 (hairpin)';
  // Which removed backend's id is free to take back depends on every worker's connections.
  if (chunks.some((c) => c.updates.some((u) => u.reclaimed > 0))) return 'an update that reclaims backend ids (--max-backends)';
  return null;
}

/**
 * The summed conntrack: entries now, entries flushed by updates, and the peak. Entries are deleted
 * only by updates (else checkEnd falls back), so the sum peaks just before one or at the end.
 */
function conntrackOf(ends: EndMessage[], audits: UpdateAudit[][]): { entries: number; flushed: number; peak: number } {
  const entries = ends.reduce((s, e) => s + e.counters.entries, 0);
  let flushed = 0;
  let peak = entries;
  for (const perWorker of audits) {
    let before = 0;
    for (const a of perWorker) {
      before += a.entries;
      for (const c of a.changes) flushed += c.flushed;
    }
    peak = Math.max(peak, before);
  }
  return { entries, flushed, peak };
}

/**
 * Why the whole run cannot be, or null: a full conntrack table is a decision over every worker's
 * connections, and the peak is known only when no connection was deleted but by an update.
 */
function checkEnd(ends: EndMessage[], core: Core, ct: { entries: number; flushed: number; peak: number }): string | null {
  if (ends.some((e, w) => w > 0 && e.counters.masqueraded > 0)) return 'a masqueraded connection outside worker 0 (hairpin)';
  let opened = 0n, full = 0n;
  for (const e of ends) {
    const b = e.counters.backends;
    const words = wordsOf(b);
    for (let i = C_CONNS; i < b.length; i += PER_ENTITY) if (words[i * 2]! !== 0 || words[i * 2 + 1]! !== 0) opened += b[i]!;
    full += e.counters.reasons[REASON_CT_FULL]!;
    if (e.counters.evicted > 0) return 'conntrack evictions';
  }
  if (BigInt(ct.peak) + full > BigInt(core.options.ctMax)) return 'more new connections than --ct-max';
  if (opened !== BigInt(ct.entries + ct.flushed)) return 'connections deleted during the run (expired or reopened)';
  return null;
}

/** Writes the summed packet, reason and backend counters into `core` (which ran no packet) for the report. */
function sumInto(core: Core, all: WorkerCounters[]): Pick<WorkersResult, 'fastPath'> {
  core.refresh();
  const e = core.exports;
  const mem = e.memory.buffer;
  const add = (ptr: number, count: number, pick: (c: WorkerCounters) => BigUint64Array): void => {
    const to = new BigUint64Array(mem, ptr, count);
    for (const c of all) {
      const from = pick(c);
      const words = wordsOf(from);
      for (let i = 0; i < count; i++) if (words[i * 2]! !== 0 || words[i * 2 + 1]! !== 0) to[i]! += from[i]!;
    }
  };
  add(e.verdictCountersPtr(), VERDICT_SLOTS, (c) => c.verdicts);
  add(e.reasonCountersPtr(), REASON_SLOTS, (c) => c.reasons);
  add(e.backendCountersPtr(), core.options.maxBackends * PER_ENTITY, (c) => c.backends);
  return { fastPath: all.reduce((s, c) => s + c.fastPath, 0) };
}

/**
 * The counters as u32 words: most are zero (the backends of unused slots, --max-backends of them),
 * and testing a word costs no BigInt.
 */
function wordsOf(a: BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

function sumResults(rs: ChunkWalkResult[]): ChunkWalkResult {
  const r0 = rs[0]!;
  const sum = (f: (r: ChunkWalkResult) => number) => rs.reduce((s, r) => s + f(r), 0);
  return {
    // Every worker keeps the last packet's time, but reports it only when it ran a packet.
    format: r0.format, linkTypes: r0.linkTypes, first: r0.first, last: rs.find((r) => r.last !== null)?.last ?? null,
    packets: sum((r) => r.packets), bytesIn: sum((r) => r.bytesIn), bytesOut: sum((r) => r.bytesOut),
    generated: sum((r) => r.generated), written: sum((r) => r.written),
  };
}

/** The error a worker stopped with, as one worker would have thrown it. */
function rebuild(f: FailureData): Error {
  if (f.capture) return new CaptureFormatError(f.capture.file, f.capture.offset, f.capture.reason);
  const err = new Error(f.message) as NodeJS.ErrnoException;
  if (f.code !== undefined) err.code = f.code;
  if (f.syscall !== undefined) err.syscall = f.syscall;
  if (f.errno !== undefined) err.errno = f.errno;
  if (f.path !== undefined) err.path = f.path;
  return err;
}

/**
 * Decides each packet's worker once: a walk of its own (a core with the writer's capacities and
 * tables, the walk of worker n of n) frames every record and records its owner, which it publishes
 * to the workers in the owners ring, chunk by chunk, at most OWNER_SLOTS chunks past the merge.
 */
class Dispatcher {
  private readonly walk: ChunkWalk;
  private readonly ctrl: Int32Array;
  private published = 0;
  private done = false;
  /** Units of each chunk published: the workers' must be as many. */
  readonly units: number[] = [];
  /** SHARD_* bits so far. */
  flags = 0;

  constructor(private readonly run: WorkersRun) {
    const { pool } = run;
    this.ctrl = new Int32Array(pool.control);
    const core = new Core({ ...run.core.options, wasm: coreModuleFromFile(run.core.options.debug) });
    new ServiceTables(core).apply(run.state, { node: run.node });
    this.walk = new ChunkWalk(core, { capture: pool.capture, input: FdInput.open(pool.capture), readBytes: pool.readBytes });
    if (!this.walk.shard(pool.workers, pool.workers)) this.flags |= SHARD_UNITS_FULL;
    else if (!this.walk.hairpinClients(run.hairpin)) this.flags |= SHARD_HAIRPIN;
  }

  /** Publishes the owners of every chunk before `upTo` (or to the end of the capture). */
  publishTo(upTo: number): void {
    while (!this.done && this.published < upTo && this.flags === 0) {
      let io: number;
      try {
        do io = this.walk.walk(); while (io === IO_FLUSH);
      } catch (e) {
        // Damage: the workers meet it in the same chunk and report it; they need the owners before it.
        if (!(e instanceof CaptureFormatError)) throw e;
        io = IO_DONE;
      }
      const owners = this.walk.takeUnits();
      this.flags |= this.walk.shardFlags;
      const slot = ownerSlot(this.run.pool.owners, this.published);
      slot[0] = owners.length;
      slot.set(owners, 1);
      this.units.push(owners.length);
      this.published++;
      Atomics.store(this.ctrl, CTRL_PUBLISHED, this.published);
      if (io === IO_DONE) {
        this.done = true;
        Atomics.store(this.ctrl, CTRL_DISPATCHED, 1);
      } else {
        this.walk.attach(this.walk.readNextSync());
      }
      Atomics.notify(this.ctrl, CTRL_PUBLISHED);
    }
  }

  close(): void {
    this.walk.close();
  }
}

/** The worker script: the compiled one, also when this module runs from its TypeScript source (tests). */
function threadUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../../dist/src/replay/workers/thread.js', here) : new URL('./thread.js', here);
}

/** The workers and their messages, in order per worker. */
class Threads {
  private readonly workers: Worker[] = [];
  /** Per worker, where its output buffers go back once merged. */
  private readonly returns: MessagePort[] = [];
  private readonly queues: WorkerMessage[][] = [];
  private readonly waiting: (((m: WorkerMessage) => void) | null)[] = [];
  private readonly failed: (((e: Error) => void) | null)[] = [];
  private crash: Error | null = null;

  constructor(n: number, data: (self: number, returns: MessagePort) => WorkerStart) {
    for (let w = 0; w < n; w++) {
      const { port1, port2 } = new MessageChannel();
      this.returns.push(port1);
      const worker = new Worker(threadUrl(), { workerData: data(w, port2), transferList: [port2] });
      this.queues.push([]);
      this.waiting.push(null);
      this.failed.push(null);
      worker.on('message', (m: WorkerMessage) => {
        const resolve = this.waiting[w];
        if (resolve) {
          this.waiting[w] = null;
          this.failed[w] = null;
          resolve(m);
        } else this.queues[w]!.push(m);
      });
      const fail = (e: Error): void => {
        this.crash ??= e;
        for (let i = 0; i < n; i++) {
          const reject = this.failed[i];
          this.waiting[i] = null;
          this.failed[i] = null;
          reject?.(e);
        }
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (code !== 0) fail(new Error(`--workers: worker ${w} exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  private next(w: number): Promise<WorkerMessage> {
    const q = this.queues[w]!;
    if (q.length > 0) return Promise.resolve(q.shift()!);
    if (this.crash) return Promise.reject(this.crash);
    return new Promise((resolve, reject) => {
      this.waiting[w] = resolve;
      this.failed[w] = reject;
    });
  }

  /** Gives worker w a merged chunk's output buffer back, to reuse (thread.ts OutputBuffer). */
  giveBack(w: number, buf: ArrayBuffer): void {
    this.returns[w]!.postMessage(buf, [buf]);
  }

  /** Sends every worker the same message. */
  post(m: GoMessage): void {
    for (const w of this.workers) w.postMessage(m);
  }

  /**
   * Every worker's end message (null for a worker that failed), its chunks before it dropped, and
   * the furthest any of those chunks had read.
   */
  async ends(): Promise<{ ends: (EndMessage | null)[]; bytesRead: number }> {
    let bytesRead = 0;
    const ends = await Promise.all(this.workers.map(async (_, w) => {
      for (;;) {
        const m = await this.next(w);
        if (m.t === 'end') return m;
        if (m.t === 'fail') return null;
        if (m.t === 'chunk') bytesRead = Math.max(bytesRead, m.bytesRead);
      }
    }));
    return { ends, bytesRead };
  }

  /** The next message of every worker. */
  all(): Promise<WorkerMessage[]> {
    return Promise.all(this.workers.map((_, w) => this.next(w)));
  }

  async stop(): Promise<void> {
    for (const p of this.returns) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The merge in the writer's core: each worker's stream and unit table copied into walk buffer 0,
 * the chunk's output written to buffer 1 or 2 (alternately, so one is written while the next
 * chunk is merged into the other).
 */
class Merger {
  private turn = 0;
  constructor(private readonly core: Core, private readonly n: number) {
    core.exports.walkInit();
  }

  /** [address, length] of the merged chunk in linear memory, or null when it does not fit. */
  merge(chunks: ChunkMessage[]): [number, number] | null {
    const e = this.core.exports;
    const units = chunks[0]!.units.length;
    if (chunks.some((c) => c.units.length !== units)) throw new Error('--workers: the workers walked different records');
    let need = 0;
    for (const c of chunks) need += ((c.stream.length + 3) & ~3) + units * 4;
    if (need > WALK_BUFFER_BYTES) return null;
    const base = e.walkBufferPtr(0);
    const u8 = new Uint8Array(e.memory.buffer);
    const table = new Uint32Array(e.memory.buffer, e.scratchPtr(), this.n * 2);
    let at = base;
    let total = 0;
    chunks.forEach((c, w) => {
      u8.set(c.stream, at);
      table[w * 2] = at;
      at += (c.stream.length + 3) & ~3;
      new Uint32Array(e.memory.buffer, at, units).set(c.units);
      table[w * 2 + 1] = at;
      at += units * 4;
      total += c.stream.length;
    });
    if (total > WALK_BUFFER_BYTES) return null;
    const out = e.walkBufferPtr(1 + this.turn);
    this.turn ^= 1;
    const len = e.walkMerge(this.n, units, e.scratchPtr(), out) >>> 0;
    if (len === 0xffffffff || len !== total) throw new Error('--workers: a record no worker wrote');
    return [out, len];
  }
}

/** Writes merged chunks: files in the thread pool, one write behind; anything else at once. */
class ChunkWriter {
  private pending: Promise<void> = Promise.resolve();
  constructor(private readonly fd: number, private readonly isFile: boolean, private readonly core: Core) {}

  /** Waits for the previous write (its buffer is the next merge's), then starts this one. */
  async write(addr: number, len: number): Promise<void> {
    // Always: the next merge goes to the buffer the previous write reads, empty chunk or not.
    await this.pending;
    if (this.fd < 0 || len === 0) return;
    const view = Buffer.from(this.core.exports.memory.buffer, addr, len);
    if (!this.isFile) {
      writeFdFully(this.fd, view, 0, len);
      return;
    }
    this.pending = writeAll(this.fd, view);
    this.pending.catch(() => undefined);
  }

  flush(): Promise<void> {
    return this.pending;
  }
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (at: number): void => {
      fs.write(fd, buf, at, buf.length - at, null, (err, n) => {
        if (err) reject(err);
        else if (at + n < buf.length) step(at + n);
        else resolve();
      });
    };
    step(0);
  });
}
