// --workers: one worker thread. Started while the writer loads the cluster, it then builds a core
// like the writer's (the same capacities and tables), walks every chunk of the capture with its
// own reads, runs only its own packets (owners decided by the writer's dispatcher from three
// workers on, else by its own walk: assembly/capture/shard.ts), programs the writer's planned
// updates at their capture time, and hands each chunk's output stream and unit table to the
// writer (pool.ts), with what those updates did to its own connections. It imports only the core,
// the tables and the walk (not the manifest loader), so that its start is short.

import { parentPort, workerData, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Core } from '../../core/core.js';
import { ServiceTables, type ApplyStats, type UpdateOptions } from '../../core/tables.js';
import { ChunkWalk, IO_DONE, IO_FLUSH } from '../chunks.js';
import { FdInput } from '../fd-io.js';
import { dueSchedule } from '../schedule.js';
import { CaptureFormatError } from '../../capture/errors.js';
import { VERDICT_SLOTS, REASON_SLOTS, PER_ENTITY } from '../../core/abi.js';
import { WALK_READ_BYTES, WALK_TAILROOM } from '../../../assembly/abi/walk.js';
import {
  CTRL_MERGED, CTRL_STOP, CTRL_PUBLISHED, CTRL_DISPATCHED, CHUNKS_AHEAD, ownerSlot,
  type WorkerStart, type GoMessage, type WorkerMessage, type WorkerCounters, type FailureData, type UpdateAudit, type UpdateProgram,
} from './protocol.js';

const start = workerData as WorkerStart;
const port = parentPort!;
const control = new Int32Array(start.control);

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

/** Programs a planned update as Dataplane.update programs it; null when it programs nothing. */
function programUpdate(tables: ServiceTables, program: UpdateProgram, opts: UpdateOptions): ApplyStats | null {
  if (program === null) return null;
  return 'state' in program ? tables.apply(program.state, opts) : tables.applyServices(program.ports, program.services, opts);
}

function failureData(e: unknown): FailureData {
  if (e instanceof CaptureFormatError) return { capture: { file: e.file, offset: e.offset, reason: e.reason }, message: e.message };
  const err = e as NodeJS.ErrnoException;
  return { message: err?.message ?? String(e), code: err?.code, syscall: err?.syscall, errno: err?.errno, path: err?.path };
}

function counters(core: Core): WorkerCounters {
  core.refresh();
  const e = core.exports;
  const mem = e.memory.buffer;
  const ct = core.conntrack();
  return {
    verdicts: new BigUint64Array(mem, e.verdictCountersPtr(), VERDICT_SLOTS).slice(),
    reasons: new BigUint64Array(mem, e.reasonCountersPtr(), REASON_SLOTS).slice(),
    backends: new BigUint64Array(mem, e.backendCountersPtr(), core.options.maxBackends * PER_ENTITY).slice(),
    entries: ct.entries,
    peak: ct.peak,
    evicted: ct.evicted,
    fastPath: core.fastPathPackets(),
    masqueraded: Number(e.conntrackMasqueraded()),
  };
}

/**
 * A chunk's output on its way to the writer: copied out of linear memory into a buffer of its own
 * (transferred, never a pooled Buffer), taken from those the writer gave back when one is large
 * enough, so that chunks after the first few neither allocate nor touch fresh pages.
 */
class OutputBuffer {
  private readonly free: ArrayBuffer[] = [];
  private buf: ArrayBuffer | null = null;
  private len = 0;

  constructor(private readonly returns: MessagePort) {}

  add(bytes: Uint8Array): void {
    const need = this.len + bytes.length;
    if (this.buf === null || this.buf.byteLength < need) {
      const next = this.spare(need);
      if (this.buf !== null) {
        new Uint8Array(next).set(new Uint8Array(this.buf, 0, this.len));
        this.free.push(this.buf);
      }
      this.buf = next;
    }
    new Uint8Array(this.buf, this.len, bytes.length).set(bytes);
    this.len = need;
  }

  /** The chunk's bytes; the buffer is the writer's until it gives it back. */
  take(): Uint8Array {
    const out = new Uint8Array(this.buf ?? new ArrayBuffer(0), 0, this.len);
    this.buf = null;
    this.len = 0;
    return out;
  }

  private spare(need: number): ArrayBuffer {
    for (let m = receiveMessageOnPort(this.returns); m; m = receiveMessageOnPort(this.returns)) {
      this.free.push(m.message as ArrayBuffer);
    }
    const i = this.free.findIndex((b) => b.byteLength >= need);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    // Room for a whole read's records: a chunk's output usually fits in one.
    return new ArrayBuffer(Math.max(need, WALK_READ_BYTES + WALK_TAILROOM));
  }
}

/** Waits until the writer has merged chunk seq - CHUNKS_AHEAD, so a worker never runs far ahead. */
function waitForWriter(seq: number): void {
  for (;;) {
    const merged = Atomics.load(control, CTRL_MERGED);
    if (merged >= seq - CHUNKS_AHEAD || Atomics.load(control, CTRL_STOP) !== 0) return;
    Atomics.wait(control, CTRL_MERGED, merged);
  }
}

/** Gives the walk the dispatcher's owners of chunk seq once published; false when the writer stops first. */
function takeOwners(walk: ChunkWalk, seq: number): boolean {
  for (;;) {
    const published = Atomics.load(control, CTRL_PUBLISHED);
    if (published > seq) {
      const slot = ownerSlot(start.owners, seq);
      walk.giveOwners(slot.subarray(1, 1 + slot[0]!));
      return true;
    }
    if (Atomics.load(control, CTRL_STOP) !== 0) return false;
    if (Atomics.load(control, CTRL_DISPATCHED) !== 0 && Atomics.load(control, CTRL_PUBLISHED) <= seq) {
      throw new Error('--workers: a chunk the dispatcher did not walk');
    }
    Atomics.wait(control, CTRL_PUBLISHED, published);
  }
}

function run(go: GoMessage): void {
  let core: Core;
  let walk: ChunkWalk;
  // The updates applied in the chunk being walked; whether programming one failed.
  let audits: UpdateAudit[] = [];
  let updateFailed = false;
  try {
    // The main thread's compiled module: every worker shares its code.
    core = new Core({ ...go.core, wasm: start.module });
    const tables = new ServiceTables(core);
    tables.apply(go.state, { node: go.node });
    const updates = dueSchedule(go.updates.map((u) => u.at), (i, now) => {
      const entries = core.conntrack().entries;
      let stats: ApplyStats | null;
      try {
        stats = programUpdate(tables, go.updates[i]!.program, { audit: true, now });
      } catch (e) {
        updateFailed = true;
        throw e;
      }
      audits.push({ entries, changes: stats?.changes ?? [], slots: stats?.slots ?? [], reclaimed: stats?.reclaimed ?? 0 });
    });
    walk = new ChunkWalk(core, { capture: start.capture, input: FdInput.open(start.capture), readBytes: start.readBytes, updates });
  } catch (e) {
    post({ t: 'fail', failure: failureData(e) });
    return;
  }
  const sharded = walk.shard(start.self, start.workers);
  post({ t: 'start', format: walk.format, header: walk.header, sharded });
  if (!sharded) return;
  walk.hairpinClients(go.hairpin);
  walk.scheduleUpdates();
  let seq = 0;
  const output = new OutputBuffer(start.returns);
  let failure: FailureData | undefined;
  const sendChunk = (): void => {
    const stream = output.take();
    const units = walk.takeUnits();
    post({
      t: 'chunk', seq: seq++, stream, units, flags: walk.shardFlags, masqueraded: Number(core.exports.conntrackMasqueraded()),
      updates: audits, bytesRead: walk.bytesRead, fileSize: walk.fileSize,
    }, [stream.buffer as ArrayBuffer, units.buffer as ArrayBuffer]);
    audits = [];
  };
  const take = (): void => {
    const [addr, len] = walk.takeOutput();
    output.add(walk.memory.subarray(addr, addr + len));
  };
  try {
    for (let fresh = true; ;) {
      if (fresh && start.dispatched && !takeOwners(walk, seq)) break;
      const io = walk.walk();
      take();
      fresh = io !== IO_FLUSH;
      if (!fresh) continue;
      sendChunk();
      if (io === IO_DONE || Atomics.load(control, CTRL_STOP) !== 0) break;
      waitForWriter(seq);
      walk.attach(walk.readNextSync());
    }
  } catch (e) {
    failure = { ...failureData(e), update: updateFailed };
    // After damage, the output before it is kept; after an update that failed, the replay runs again on one worker.
    if (!updateFailed) {
      try {
        take();
        sendChunk();
      } catch {
        // the output before the failure is what could be kept; nothing more to send
      }
    }
  } finally {
    walk.close();
  }
  const c = counters(core);
  post({ t: 'end', result: walk.result(), trailer: walk.trailer(), counters: c, failure },
    [c.verdicts.buffer as ArrayBuffer, c.reasons.buffer as ArrayBuffer, c.backends.buffer as ArrayBuffer]);
}

port.once('message', (m: GoMessage) => run(m));
