// --workers: one worker thread. Started while the writer loads the cluster, it then builds a core
// like the writer's (the same capacities and tables), walks every chunk of the capture with its
// own reads, runs only its own packets (the owners the writer's dispatcher decided, pool.ts) and
// hands each chunk's output stream and unit table to the writer. It imports only the core, the tables and the
// walk (not the manifest loader), so that its start is short.

import { parentPort, workerData } from 'node:worker_threads';
import { Core } from '../../core/core.js';
import { ServiceTables } from '../../core/tables.js';
import { ChunkWalk, IO_DONE, IO_FLUSH } from '../chunks.js';
import { FdInput } from '../fd-io.js';
import { CaptureFormatError } from '../../capture/errors.js';
import { VERDICT_SLOTS, REASON_SLOTS, PER_ENTITY } from '../../core/abi.js';
import {
  CTRL_MERGED, CTRL_STOP, CTRL_PUBLISHED, CTRL_DISPATCHED, CHUNKS_AHEAD, ownerSlot, type WorkerStart, type GoMessage, type WorkerMessage, type WorkerCounters,
  type FailureData,
} from './protocol.js';

const start = workerData as WorkerStart;
const port = parentPort!;
const control = new Int32Array(start.control);

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
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

/** The pieces in one buffer of its own (transferable: never a pooled Buffer). */
function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  try {
    // The main thread's compiled module: every worker shares its code.
    core = new Core({ ...go.core, wasm: start.module });
    new ServiceTables(core).apply(go.state, { node: go.node });
    walk = new ChunkWalk(core, { capture: start.capture, input: FdInput.open(start.capture), readBytes: start.readBytes });
  } catch (e) {
    post({ t: 'fail', failure: failureData(e) });
    return;
  }
  const sharded = walk.shard(start.self, start.workers);
  post({ t: 'start', format: walk.format, header: walk.header, sharded });
  if (!sharded) return;
  let seq = 0;
  let pieces: Uint8Array[] = [];
  let failure: FailureData | undefined;
  const sendChunk = (): void => {
    const stream = pieces.length === 1 ? pieces[0]! : concat(pieces);
    pieces = [];
    const units = walk.takeUnits();
    post({
      t: 'chunk', seq: seq++, stream, units, flags: walk.shardFlags, masqueraded: Number(core.exports.conntrackMasqueraded()),
      bytesRead: walk.bytesRead, fileSize: walk.fileSize,
    }, [stream.buffer as ArrayBuffer, units.buffer as ArrayBuffer]);
  };
  const take = (): void => {
    const [addr, len] = walk.takeOutput();
    pieces.push(walk.memory.slice(addr, addr + len));
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
    failure = failureData(e);
    try {
      take();
      sendChunk();
    } catch {
      // the output before the failure is what could be kept; nothing more to send
    }
  } finally {
    walk.close();
  }
  const c = counters(core);
  post({ t: 'end', result: walk.result(), trailer: walk.trailer(), counters: c, failure },
    [c.verdicts.buffer as ArrayBuffer, c.reasons.buffer as ArrayBuffer, c.backends.buffer as ArrayBuffer]);
}

port.once('message', (m: GoMessage) => run(m));
