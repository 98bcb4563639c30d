// Replay over streams, in any host: a capture from a web ReadableStream, a Node Readable or any
// async iterable of byte chunks, through a Dataplane, to a WritableStream or a Node Writable.
// It is the chunk walk of a file replay (chunks.ts) in slices of `sliceBytes`, with a turn of
// the event loop before each slice: timers, input and rendering run between them.

import type { Dataplane } from '../dataplane.js';
import type { ClusterEvent } from '../k8s/index.js';
import { CaptureFormatError } from '../capture/errors.js';
import { ChunkWalk, runAsync, type ChunkInput, type ChunkOutput } from './chunks.js';
import { updateSchedule } from './updates.js';
import { keepPartial, walkReport, type ReplayReport, type UpdateReport } from './report.js';

/** Byte chunks: a web ReadableStream (fetch().body, File.stream()), a Node Readable, any async iterable. */
export type ByteChunks = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** A Node Writable, as far as the replay uses one. */
export interface NodeWritableLike {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean;
  end(callback?: () => void): unknown;
  destroy(err?: Error): unknown;
  once?(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ReplayProgress {
  /** Capture bytes read so far. */
  bytesRead: number;
  /** The capture's size when known (bytes given, or `size`). */
  size: number | undefined;
  /** Packets replayed so far. */
  packets: number;
}

export interface StreamReplayOptions {
  /** The dataplane the packets go through (Dataplane.create() in a browser); its counters make the report. */
  dataplane: Dataplane;
  /** The capture (pcap or pcapng). */
  input: ByteChunks | Uint8Array | ArrayBuffer;
  /** Where the translated capture goes (same format as the input); none: not written. Closed at the end. */
  output?: WritableStream<Uint8Array> | NodeWritableLike;
  /** The capture's name in messages and the report. Default "capture". */
  name?: string;
  /** Its size in bytes, when a stream's is known (a File's): progress then has a total. */
  size?: number;
  /** Watch events applied at their capture time (`at`: seconds after the first packet; parseEventsText). */
  updates?: ClusterEvent[];
  /** Stops the replay between slices: it rejects with `signal.reason`, which carries partialReport(). */
  signal?: AbortSignal;
  /** Called after every slice. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Called with each problem of an update as it is applied (they also end in the report). */
  onProblem?: (problem: string) => void;
  /** Capture bytes the core walks between turns of the event loop. Default 256 KiB (about a millisecond of the core's work). */
  sliceBytes?: number;
}

/** What replayStream() gives: the report, and how often it gave the event loop a turn. */
export interface StreamReplayResult {
  report: ReplayReport;
  /** Turns of the event loop taken (one before each slice). */
  yields: number;
}

export const DEFAULT_SLICE_BYTES = 256 * 1024;

/**
 * Replays a capture from a stream through `opts.dataplane`, asynchronously. Throws
 * CaptureFormatError on damage in the capture (after writing and closing the output of the
 * packets before it, as the command keeps them); on any other failure, or an abort, the output
 * is aborted.
 */
export async function replayStream(opts: StreamReplayOptions): Promise<StreamReplayResult> {
  const dp = opts.dataplane;
  const name = opts.name ?? 'capture';
  const input = new StreamInput(opts.input, opts.size, opts.signal);
  const problems: string[] = [];
  const updates: UpdateReport[] = [];
  const note = (p: string): void => {
    problems.push(p);
    opts.onProblem?.(p);
  };
  const sliceBytes = opts.sliceBytes ?? DEFAULT_SLICE_BYTES;
  const output = opts.output ? streamOutput(opts.output) : null;
  let walk: ChunkWalk | undefined;
  const started = performance.now();
  try {
    opts.signal?.throwIfAborted();
    // The walk reads its first slice synchronously: have it here first.
    await input.fill(sliceBytes);
    walk = new ChunkWalk(dp.core, {
      capture: name, input, readBytes: sliceBytes, updates: updateSchedule(opts.updates ?? [], dp, note, updates),
      progress: (bytesRead, size, packets) => opts.onProgress?.({ bytesRead, size, packets }),
    });
    await runAsync(walk, output, opts.signal);
    await output?.close();
  } catch (err) {
    if (walk && opts.signal?.aborted && err === opts.signal.reason) {
      keepPartial(err, walkReport(dp, walk.result(), { file: name, updates, problems, started }));
    }
    // Damage keeps the packets before it; anything else discards the output.
    if (err instanceof CaptureFormatError) await output?.close().catch(() => undefined);
    else await output?.abort(err);
    throw err;
  } finally {
    walk?.close();
    input.close();
  }
  return { report: walkReport(dp, walk.result(), { file: name, updates, problems, started }), yields: input.yields };
}

/** Gives the event loop a turn: a macrotask (timers and I/O run), without setTimeout's 4 ms clamp in browsers. */
function turn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** The capture's bytes, queued as they arrive; each slice is copied straight into linear memory. */
class StreamInput implements ChunkInput {
  readonly size: number | undefined;
  yields = 0;
  private readonly queue: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private done = false;
  private readonly next: () => Promise<IteratorResult<Uint8Array>>;
  private readonly stop: () => void;

  constructor(src: ByteChunks | Uint8Array | ArrayBuffer, size: number | undefined, private readonly signal?: AbortSignal) {
    if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
      const bytes = src instanceof ArrayBuffer ? new Uint8Array(src) : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
      this.queue.push(bytes);
      this.queued = bytes.length;
      this.done = true;
      this.size = bytes.length;
      this.next = () => Promise.resolve({ done: true, value: undefined });
      this.stop = () => undefined;
      return;
    }
    this.size = size;
    if (typeof (src as ReadableStream<Uint8Array>).getReader === 'function') {
      const reader = (src as ReadableStream<Uint8Array>).getReader();
      this.next = () => reader.read() as Promise<IteratorResult<Uint8Array>>;
      this.stop = () => void reader.cancel().catch(() => undefined);
    } else {
      const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.next = () => it.next();
      this.stop = () => void it.return?.()?.catch(() => undefined);
    }
  }

  /** Queues chunks until `n` bytes are queued or the stream ends (an abort rejects with its reason). */
  async fill(n: number): Promise<void> {
    while (!this.done && this.queued < n) {
      this.signal?.throwIfAborted();
      const r = await this.untilAborted(this.next());
      if (r.done) {
        this.done = true;
        break;
      }
      const chunk = r.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError('a capture stream must give bytes (Uint8Array chunks)');
      if (chunk.length > 0) {
        this.queue.push(chunk);
        this.queued += chunk.length;
      }
    }
  }

  private untilAborted<T>(p: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Copies up to `len` queued bytes; 0 when none are queued (the end, as fill() runs first). */
  readSync(memory: Uint8Array, at: number, len: number): number {
    let got = 0;
    while (got < len && this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const n = Math.min(len - got, chunk.length - this.head);
      memory.set(chunk.subarray(this.head, this.head + n), at + got);
      got += n;
      this.head += n;
      if (this.head === chunk.length) {
        this.queue.shift();
        this.head = 0;
      }
    }
    this.queued -= got;
    return got;
  }

  async readAsync(memory: () => Uint8Array, at: number, len: number): Promise<number> {
    await turn();
    this.yields++;
    await this.fill(len);
    return this.readSync(memory(), at, len);
  }

  close(): void {
    if (!this.done) this.stop();
    this.done = true;
    this.queue.length = 0;
  }
}

interface StreamOutput extends ChunkOutput {
  close(): Promise<void>;
  abort(err: unknown): Promise<void>;
}

/** The output as a ChunkOutput: each piece is copied (linear memory is reused) and written in order. */
function streamOutput(dest: WritableStream<Uint8Array> | NodeWritableLike): StreamOutput {
  let failed: unknown;
  let last: Promise<void> = Promise.resolve();
  // A write that cannot wait (the capture's header and trailer) is queued; its failure surfaces at the next write.
  const queue = (p: Promise<void>): void => {
    last = p.catch((e) => {
      failed ??= e;
    });
  };
  const check = (): void => {
    if (failed !== undefined) throw failed;
  };
  if (typeof (dest as WritableStream<Uint8Array>).getWriter === 'function') {
    const w = (dest as WritableStream<Uint8Array>).getWriter();
    return {
      writeSync(bytes) {
        check();
        queue(w.write(bytes.slice()));
      },
      async writeAsync(bytes) {
        check();
        await w.ready;
        await w.write(bytes().slice());
      },
      async close() {
        await last;
        check();
        await w.close();
      },
      async abort(err) {
        await w.abort(err).catch(() => undefined);
      },
    };
  }
  const n = dest as NodeWritableLike;
  const write = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => {
    n.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
  return {
    writeSync(bytes) {
      check();
      queue(write(bytes.slice()));
    },
    async writeAsync(bytes) {
      check();
      await write(bytes().slice());
    },
    async close() {
      await last;
      check();
      // A failure while it finishes is an 'error' event, and then end's callback never comes.
      await new Promise<void>((resolve, reject) => {
        n.once?.('error', reject);
        n.end(() => resolve());
      });
    },
    async abort(err) {
      n.destroy(err instanceof Error ? err : undefined);
    },
  };
}
