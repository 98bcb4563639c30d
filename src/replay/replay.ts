// The replay pipeline: capture → batches in WASM memory → the core, once
// per batch → translated capture, trace and report. Cluster updates
// (--updates) are applied between packets at their capture time by
// splitting a batch at the first packet at or after the event.

import { openSync, closeSync, readFileSync, readSync, fstatSync } from 'node:fs';
import type { CoreOptions } from '../core/core.js';
// Files are replayed in Node: its Cores are built from build/core.wasm.
import '../core/wasm-file.js';
import type { ServiceTables, NodeConfig } from '../core/tables.js';
import { Dataplane, nodeConfigOf } from '../dataplane.js';
import {
  BATCH_MAX_PACKETS, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_VERDICT, D_EXTRA_OFF, D_EXTRA_LEN, D_TS_SEC,
  D_TS_NSEC, VERDICT_DROP, VERDICT_REJECT,
} from '../core/abi.js';
import { CaptureBatch } from '../capture/batch.js';
import { openCaptureReader } from '../capture/reader.js';
import { openCaptureWriter, formatFromPath } from '../capture/writer.js';
import { BT_SHB, PCAP_MAGIC_NSEC, PCAP_MAGIC_NSEC_SWAPPED, PCAP_MAGIC_USEC, PCAP_MAGIC_USEC_SWAPPED } from '../capture/format.js';
import { OutputFile } from '../capture/output-file.js';
import { writeFdFully } from '../capture/io.js';
import { CaptureFormatError } from '../capture/errors.js';
import { ChunkWalk, runAsync, runSync, type DueSchedule } from './chunks.js';
import { applyUpdate, updateSchedule } from './updates.js';
import { FdInput, FdOutput } from './fd-io.js';
import { linkTypeName } from '../capture/linktypes.js';
import {
  parseEventsText, formatProblem, emptyClusterObjects, type ClusterObjects, type ClusterEvent,
} from '../k8s/index.js';
import { loadClusterObjects } from '../k8s/load-files.js';
import { traceLine } from './trace.js';
import { TsharkFrames } from '../capture/frames.js';
import { buildReport, keepPartial, walkReport, type ReplayReport, type UpdateReport } from './report.js';
import { TimelineSampler, TIMELINE_POINTS } from './timeline.js';
import { replayWorkers, WorkerPool, type WorkersResult } from './workers/pool.js';
import { planUpdates, applyAudited, backendAddresses } from './workers/update-plan.js';
import type { DataplaneOptions } from '../dataplane.js';

export interface ReplayOptions extends CoreOptions, NodeConfig {
  /** Input capture ('-' = standard input). */
  capture: string;
  /** Output capture ('-' = standard output). */
  write?: string;
  /** Manifests: files or directories (see loadClusterObjects). */
  cluster?: string[];
  /** Objects already loaded (library use); merged before `cluster`. */
  objects?: ClusterObjects;
  node?: string;
  zone?: string;
  strict?: boolean;
  /** --updates file: JSON lines of {"at","type","object"}. */
  updates?: string;
  /** --trace file ('-' = standard output). */
  trace?: string;
  /** Run every packet through the JavaScript reader and writer (the path --trace takes); same output. */
  perPacket?: boolean;
  /** Bytes per read of the chunked path (default 4 MiB); small values are for tests. */
  readBytes?: number;
  /**
   * Sample the counters over capture time for charts (--html): the report gains `timeline`, `maglev`
   * and each update's `load`. A number: points kept (default 200; at most twice that, plus the last).
   */
  timeline?: boolean | number;
  /**
   * Worker threads for replayAsync() (src/replay/workers/): the same output, trace and report as
   * one. Default 1 (several are slower than one today: bench/RESULTS.md). What needs one worker
   * takes one whatever this says (README, "How it is built"), and onOneWorker says why.
   */
  workers?: number;
  /** Called with the reason when a replay asked to use several workers runs on one. */
  onOneWorker?: (reason: string) => void;
  /** Called after every batch with bytes read and the file size (if known). */
  progress?: (bytesRead: number, fileSize: number | undefined, packets: number) => void;
  /**
   * Called with each problem as it is found (skipped cluster objects, bad --updates lines: before
   * the first packet; problems of an update: when it is applied). They also end in the report.
   */
  onProblem?: (problem: string) => void;
  /**
   * A live source of updates (a watch of the cluster; replayAsync only): called before the
   * first packet with the dataplane's update(). Each update is applied when it is made (the
   * replay lets the event loop run between chunks), listed in the report at the capture time
   * of the last packet replayed, its problems passed to onProblem (not returned). A pipe is
   * then read as data arrives rather than in whole chunks.
   */
  live?: (target: Pick<Dataplane, 'update'>) => void;
  /**
   * Runs every packet alone through the one-packet run and hands this what its stages decided,
   * right after it ran (`svcplane explain`; takes the per-packet path). The output is the same.
   */
  inspect?: (p: InspectedPacket) => void;
}

/** One packet just run, for ReplayOptions.inspect. */
export interface InspectedPacket {
  /** Position in the capture from 0, and tshark's frame number. */
  index: number;
  frame: number;
  /** Descriptor i of the batch: `before` holds the batch's bytes as read, `after` as the core left them. */
  i: number;
  before: Uint8Array;
  after: Uint8Array;
  desc: Uint32Array;
  /** EX_* words (assembly/abi/explain.ts). */
  decided: Uint32Array;
  dataplane: Dataplane;
}

/** Everything a replay needs before its first packet: objects loaded, tables applied. */
interface Prepared {
  dp: Dataplane;
  events: ClusterEvent[];
  problems: string[];
  /** Records a problem (and tells opts.onProblem). */
  note: (problem: string) => void;
  /** With opts.timeline: the counters sampled over capture time. */
  sampler?: TimelineSampler;
  /** What each update did, in the order applied (--updates and live). */
  updates: UpdateReport[];
  /** Seconds from the first packet to the last one replayed so far (set by the path that runs). */
  now: () => number;
  /** What the dataplane was built from (workers take its node configuration). */
  dataplane: DataplaneOptions;
}

function prepare(opts: ReplayOptions): Prepared {
  const inputs = prepareInputs(opts);
  return prepared(opts, inputs, new Dataplane(inputs.dataplane));
}

/** prepare(), the tables built a slice at a time: `signal` stops it between slices (Ctrl-C during a long build). */
async function prepareAsync(opts: ReplayOptions, signal?: AbortSignal): Promise<Prepared> {
  const inputs = prepareInputs(opts);
  return prepared(opts, inputs, await Dataplane.create({ ...inputs.dataplane, signal }));
}

/** What prepare() reads before the dataplane is built. */
type PreparedInputs = Pick<Prepared, 'events' | 'problems' | 'note' | 'dataplane'>;

/** The objects and --updates events read, and the dataplane's options. */
function prepareInputs(opts: ReplayOptions): PreparedInputs {
  const problems: string[] = [];
  const note = (p: string): void => {
    problems.push(p);
    opts.onProblem?.(p);
  };
  let objects = opts.objects ?? emptyClusterObjects();
  if (opts.cluster?.length) {
    const loaded = loadClusterObjects(opts.cluster, { strict: opts.strict });
    for (const p of loaded.problems) note(formatProblem(p));
    objects = opts.objects ? mergeObjects(opts.objects, loaded.objects) : loaded.objects;
  }
  let events: ClusterEvent[] = [];
  if (opts.updates) {
    const parsed = parseEventsText(readFileSync(opts.updates), opts.updates, { strict: opts.strict });
    for (const p of parsed.problems) note(formatProblem(p));
    events = parsed.events.filter((e) => e.at !== undefined);
  }
  // Capacities not given are sized from the cluster (room for updates when there are any), and
  // all are checked against it and against memory before the core is created.
  const dataplane: DataplaneOptions = { ...opts, objects, nodeName: opts.node, zone: opts.zone, roomForUpdates: events.length > 0 || opts.live !== undefined };
  return { events, problems, note, dataplane };
}

/** The run around a built dataplane (with the timeline sampler when asked for). */
function prepared(opts: ReplayOptions, { events, problems, note, dataplane }: PreparedInputs, dp: Dataplane): Prepared {
  const points = typeof opts.timeline === 'number' ? opts.timeline : TIMELINE_POINTS;
  const sampler = opts.timeline ? new TimelineSampler(dp.core, dp.tables, points) : undefined;
  return { dp, events, problems, note, sampler, updates: [], now: () => 0, dataplane };
}

/**
 * The stops a replay makes at capture times: --updates events (each one's effect appended to
 * run.updates) and timeline samples. Undefined when there are none.
 */
function replaySchedule(run: Prepared): DueSchedule | undefined {
  const schedule = updateSchedule(run.events, run.dp, run.note, run.updates);
  return run.sampler ? run.sampler.schedule(schedule, run.updates) : schedule;
}

/** The report with the timeline's parts (opts.timeline): `lastNs` is the last packet's time after the first. */
function withTimeline(report: ReplayReport, run: Prepared, lastNs: bigint | null): ReplayReport {
  run.sampler?.complete(report, lastNs);
  return report;
}

/** Hands opts.live the dataplane's update(), recording each update as --updates events are. */
function startLive(opts: ReplayOptions, run: Prepared): void {
  opts.live?.({
    update: (ev) => {
      const { report, stats } = applyUpdate(ev, run.dp, run.note, run.now());
      run.updates.push(report);
      return { problems: [], stats };
    },
  });
}

/**
 * Replays a capture through the cluster's Services. Throws CaptureFormatError / ManifestError on
 * bad input. The core walks the capture's records itself (chunks.ts); `--trace`, a change of
 * capture format and `perPacket` take the per-packet path, which gives the same output.
 */
export function replay(opts: ReplayOptions): ReplayReport {
  const run = prepare(opts);
  if (needsPerPacket(opts)) {
    try {
      return drainSync(replayPerPacket(opts, run));
    } catch (e) {
      nameIoError(e, opts);
      throw e;
    }
  }
  const { walk, out, output, updates } = startChunks(opts, run);
  const started = performance.now();
  let failure: unknown;
  try {
    runSync(walk, output);
  } catch (e) {
    failure = e;
    nameIoError(e, opts);
    throw e;
  } finally {
    finishChunks(walk, out, failure);
  }
  return chunkReport(opts, run, walk, updates, started);
}

/**
 * The same as replay(), with reading, the core and writing overlapped (the thread pool reads
 * the next chunk and writes the previous one while the core walks the current one); the event
 * loop is free between chunks (and between batches of the per-packet path). `signal` stops it
 * between chunks: it throws `signal.reason` (an AbortError), which carries the report of the
 * packets replayed so far (partialReport()); the outputs are discarded.
 */
export async function replayAsync(opts: ReplayOptions, signal?: AbortSignal): Promise<ReplayReport> {
  // Threads asked for start now, so that their start overlaps the cluster's load.
  const pool = (opts.workers ?? 1) > 1 && oneWorkerReason(opts) === null
    ? new WorkerPool(opts.workers!, opts.capture, opts.readBytes, opts.debug ?? false) : undefined;
  try {
    return await replayAsyncOn(opts, pool, signal);
  } finally {
    await pool?.stop();
  }
}

async function replayAsyncOn(opts: ReplayOptions, pool: WorkerPool | undefined, signal?: AbortSignal): Promise<ReplayReport> {
  const run = await prepareAsync(opts, signal);
  startLive(opts, run);
  if (needsPerPacket(opts)) {
    void pool?.stop();
    if ((opts.workers ?? 1) > 1) opts.onOneWorker?.(opts.trace ? '--trace' : opts.perPacket ? 'the per-packet path' : 'a change of capture format');
    try {
      return await drainAsync(replayPerPacket(opts, run, signal));
    } catch (e) {
      nameIoError(e, opts);
      throw e;
    }
  }
  // The pool is started exactly when several workers are asked for and the options allow them.
  if (workersFor(opts) > 1 && pool) {
    let report: ReplayReport | undefined;
    try {
      report = await replayOnWorkers(opts, run, pool, signal);
    } finally {
      await pool.stop();
    }
    if (report) return report;
  } else {
    void pool?.stop();
  }
  const { walk, out, output, updates } = startChunks(opts, run);
  const started = performance.now();
  let failure: unknown;
  try {
    await runAsync(walk, output, signal);
  } catch (e) {
    failure = e;
    nameIoError(e, opts);
    if (signal?.aborted && e === signal.reason) keepPartial(e, chunkReport(opts, run, walk, updates, started));
    throw e;
  } finally {
    finishChunks(walk, out, failure);
  }
  return chunkReport(opts, run, walk, updates, started);
}

/** How many workers a replay runs on: 1 when what it asks needs one (tells opts.onOneWorker why). */
function workersFor(opts: ReplayOptions): number {
  const n = opts.workers ?? 1;
  if (n <= 1) return 1;
  const why = oneWorkerReason(opts);
  if (why) {
    opts.onOneWorker?.(why);
    return 1;
  }
  return n;
}

/** Why the options need one worker, or null. */
function oneWorkerReason(opts: ReplayOptions): string | null {
  return opts.capture === '-' ? 'the capture is read from standard input'
    : opts.write === '-' ? 'the output goes to standard output'
    : opts.masqueradeAll ? '--masquerade-all'
    : opts.live ? 'a live cluster (--watch)'
    : opts.timeline ? '--html (the timeline samples one core)'
    : null;
}

/**
 * The chunked replay over `n` workers (workers/pool.ts); undefined when the run needed one
 * worker after all (its output discarded; opts.onOneWorker says why), and the caller replays.
 */
async function replayOnWorkers(opts: ReplayOptions, run: Prepared, pool: WorkerPool, signal?: AbortSignal): Promise<ReplayReport | undefined> {
  // The capture's header is checked here first, as one worker checks it before opening the output.
  new ChunkWalk(run.dp.core, { capture: opts.capture, input: FdInput.open(opts.capture), readBytes: opts.readBytes }).close();
  const state = run.dp.state();
  const plan = planUpdates(run.events, run.dp, state);
  if ('oneWorker' in plan) {
    opts.onOneWorker?.(plan.oneWorker);
    return undefined;
  }
  let out: OutputFile | undefined;
  let outFd = -1;
  if (opts.write) {
    out = OutputFile.open(opts.write);
    outFd = out.fd;
    if (!fstatSync(outFd).isFile()) {
      // Output that cannot be taken back (a device, a FIFO) is not written twice.
      out.abort();
      opts.onOneWorker?.('the output is not a regular file');
      return undefined;
    }
  }
  const started = performance.now();
  let r: Awaited<ReturnType<typeof replayWorkers>>;
  try {
    r = await replayWorkers({
      core: run.dp.core, state, node: nodeConfigOf(run.dataplane), pool, outFd, outIsFile: true,
      progress: opts.progress, signal, updates: plan.updates, hairpin: backendAddresses(state, plan.updates),
      settle: (audits, result) => run.updates.push(...applyAudited(run.events, plan.updates, audits, run.dp, run.note, result)),
    });
  } catch (e) {
    nameIoError(e, opts);
    if (e instanceof CaptureFormatError) out?.commit();
    else out?.abort();
    throw e;
  }
  if ('fallback' in r) {
    out?.abort();
    opts.onOneWorker?.(r.fallback);
    return undefined;
  }
  if ('interrupted' in r) {
    out?.abort();
    keepPartial(signal!.reason, workersReport(opts, run, r.interrupted, started));
    throw signal!.reason;
  }
  out?.commit();
  return workersReport(opts, run, r, started);
}

function workersReport(opts: ReplayOptions, run: Prepared, w: WorkersResult, started: number): ReplayReport {
  const report = walkReport(run.dp, w.result, { file: opts.capture, updates: run.updates, problems: run.problems, started });
  report.conntrack = w.conntrack;
  report.fastPath = w.fastPath;
  return report;
}

/**
 * Gives a read or write error of a descriptor (fs.read/fs.write errors carry no path) the file it
 * was about: the input capture for reads, the output capture (-w) for writes; '-' stands for
 * standard input or output. Errors that already name a file are left alone.
 */
function nameIoError(err: unknown, opts: ReplayOptions): void {
  const e = err as NodeJS.ErrnoException | null;
  if (typeof e !== 'object' || e === null || e.path !== undefined || typeof e.code !== 'string') return;
  if (e.syscall === 'read') e.path = opts.capture;
  else if (e.syscall === 'write' && opts.write !== undefined) e.path = opts.write;
}

function drainSync(steps: Generator<void, ReplayReport, void>): ReplayReport {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs the per-packet path, letting the event loop run (signals, timers) between batches. */
async function drainAsync(steps: Generator<void, ReplayReport, void>): Promise<ReplayReport> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** --trace needs every packet's bytes before and after; a format change needs the record writer. */
function needsPerPacket(opts: ReplayOptions): boolean {
  if (opts.trace || opts.perPacket || opts.inspect) return true;
  const wanted = opts.write ? formatFromPath(opts.write) : undefined;
  if (wanted === undefined) return false;
  if (opts.capture === '-') return true;
  return sniffFormat(opts.capture) !== wanted;
}

/** 'pcap' or 'pcapng' from a file's first four bytes; undefined when unreadable or neither. */
function sniffFormat(path: string): 'pcap' | 'pcapng' | undefined {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    if (readSync(fd, b, 0, 4, 0) < 4) return undefined;
    const m = b.readUInt32BE(0);
    if (m === BT_SHB) return 'pcapng';
    if (m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC || m === PCAP_MAGIC_USEC_SWAPPED || m === PCAP_MAGIC_NSEC_SWAPPED) return 'pcap';
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function startChunks(opts: ReplayOptions, run: Prepared) {
  const updates = run.updates;
  const schedule = replaySchedule(run);
  const walk = new ChunkWalk(run.dp.core, {
    capture: opts.capture, input: FdInput.open(opts.capture, { live: opts.live !== undefined }), updates: schedule,
    progress: opts.progress, readBytes: opts.readBytes,
  });
  run.now = () => {
    const { first, last } = walk.result();
    return first && last ? last.sec - first.sec + (last.nsec - first.nsec) / 1e9 : 0;
  };
  let out: OutputFile | undefined;
  let output: FdOutput | null = null;
  try {
    if (opts.write) output = new FdOutput(opts.write === '-' ? 1 : (out = OutputFile.open(opts.write)).fd);
  } catch (err) {
    walk.close();
    throw err;
  }
  return { walk, out, output, updates };
}

/** Damage in the capture keeps the packets before it (README); any other failure discards the output. */
function finishChunks(walk: ChunkWalk, out: OutputFile | undefined, failure: unknown): void {
  walk.close();
  if (failure === undefined || failure instanceof CaptureFormatError) out?.commit();
  else out?.abort();
}

function chunkReport(opts: ReplayOptions, run: Prepared, walk: ChunkWalk, updates: UpdateReport[], started: number): ReplayReport {
  const r = walk.result();
  const ns = (t: { sec: number; nsec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
  const lastNs = r.first && r.last ? ns(r.last) - ns(r.first) : null;
  return withTimeline(walkReport(run.dp, r, { file: opts.capture, updates, problems: run.problems, started }), run, lastNs);
}

/**
 * The per-packet path: the JavaScript reader and writer around one core call per batch. It yields
 * after every batch (drainSync / drainAsync); `signal` stops it there.
 */
function* replayPerPacket(opts: ReplayOptions, run: Prepared, signal?: AbortSignal): Generator<void, ReplayReport, void> {
  const { dp } = run;
  const { core, tables } = dp;
  const reader = openCaptureReader(opts.capture);
  const started = performance.now();
  const updates = run.updates;
  let traceFd = -1;
  let traceFile: OutputFile | undefined;
  let failure: unknown;
  let generated = 0;
  let bytesIn = 0, bytesOut = 0;
  let firstTs: number | null = null, lastTs: number | null = null;
  run.now = () => (firstTs !== null && lastTs !== null ? lastTs - firstTs : 0);
  let firstNs: bigint | null = null;
  let lastNs: bigint | null = null;
  const schedule = replaySchedule(run);
  let index = 0;
  const writer = opts.write ? openCaptureWriter(opts.write, reader) : null;
  try {
    if (opts.trace) traceFd = opts.trace === '-' ? 1 : (traceFile = OutputFile.open(opts.trace)).fd;
    const trace = new LineBuffer(traceFd, opts.trace);
    const batch = new CaptureBatch(core.input, core.desc, BATCH_MAX_PACKETS);
    let before: Uint8Array | null = null;
    const frames = new TsharkFrames();
    for (;;) {
      const n = reader.readBatch(batch);
      if (n === 0) break;
      const desc = core.desc;
      const inspect = opts.inspect;
      if (traceFd >= 0 || inspect) before = Uint8Array.from(core.input.subarray(0, batch.bytesUsed));
      // Frame numbers first: an inspected packet has one when it runs.
      const frameOf = traceFd >= 0 || inspect ? Array.from({ length: n }, (_, i) => frames.next(batch, i)) : [];
      // Run the batch, split where an update falls due.
      let start = 0;
      while (start < n) {
        let end = n;
        if (firstNs === null) firstNs = tsNs(desc, 0);
        const due = schedule?.nextDue(firstNs) ?? null;
        if (due !== null) {
          end = start;
          while (end < n && tsNs(desc, end) < due) end++;
          if (end === start) {
            // Apply every event (and take every sample) due at or before this packet, then continue.
            schedule!.applyDue(firstNs, tsNs(desc, start));
            continue;
          }
        }
        if (inspect) {
          for (let i = start; i < end; i++) {
            const decided = core.explainOne(i);
            inspect({ index: index + i, frame: frameOf[i]!, i, before: before!, after: core.input, desc: core.desc, decided, dataplane: dp });
          }
        } else dp.runRange(start, end - start);
        start = end;
      }
      // Write and trace in input order.
      for (let i = 0; i < n; i++) {
        const d = i * DESC_WORDS;
        const verdict = desc[d + D_VERDICT];
        bytesIn += desc[d + D_WIRELEN];
        if (firstNs === null) firstNs = tsNs(desc, 0);
        const ts = desc[d + D_TS_SEC] + desc[d + D_TS_NSEC] / 1e9;
        if (firstTs === null) firstTs = ts;
        lastTs = ts;
        lastNs = tsNs(desc, i) - firstNs;
        if (verdict !== VERDICT_DROP && verdict !== VERDICT_REJECT) {
          writer?.writePacket(batch, i, core.input, desc[d + D_OFFSET], desc[d + D_CAPLEN]);
          bytesOut += desc[d + D_WIRELEN];
        }
        const extraLen = desc[d + D_EXTRA_LEN];
        if (extraLen > 0) {
          writer?.writeDerived(batch, i, core.extra, desc[d + D_EXTRA_OFF], extraLen);
          generated++;
          bytesOut += extraLen;
        }
        if (traceFd >= 0) trace.push(traceLine(index + i, frameOf[i]!, before!, core.input, core.extra, desc, i, tables));
      }
      index += n;
      trace.flush();
      opts.progress?.(reader.bytesRead, reader.fileSize, index);
      yield;
      signal?.throwIfAborted();
    }
  } catch (e) {
    failure = e;
    if (signal?.aborted && e === signal.reason) keepPartial(e, report());
    throw e;
  } finally {
    // Damage in the capture keeps the packets before it (README); any other failure discards the outputs.
    const keep = failure === undefined || failure instanceof CaptureFormatError;
    if (keep) writer?.close(); else writer?.abort();
    reader.close();
    if (keep) traceFile?.commit(); else traceFile?.abort();
  }
  return report();

  function report(): ReplayReport {
    const seconds = (performance.now() - started) / 1000;
    return withTimeline(buildReport(core, tables, {
      seconds,
      packetsPerSecond: seconds > 0 ? index / seconds : 0,
      bytes: { in: bytesIn, out: bytesOut },
      generated,
      capture: { file: opts.capture, format: reader.format, linkTypes: reader.linkTypes().map(linkTypeName), firstTimestamp: firstTs, lastTimestamp: lastTs },
      updates,
      problems: run.problems,
    }), run, lastNs);
  }
}

function tsNs(desc: Uint32Array, i: number): bigint {
  return BigInt(desc[i * DESC_WORDS + D_TS_SEC]) * 1_000_000_000n + BigInt(desc[i * DESC_WORDS + D_TS_NSEC]);
}


/** Objects of `a`, then of `b` (b's version of an object wins). */
export function mergeObjects(a: ClusterObjects, b: ClusterObjects): ClusterObjects {
  const out = emptyClusterObjects();
  for (const src of [a, b]) {
    for (const k of Object.keys(src) as (keyof ClusterObjects)[]) {
      const m = src[k];
      if (m instanceof Map) for (const [key, v] of m) (out[k] as Map<unknown, unknown>).set(key, v);
    }
  }
  return out;
}

/** Collects lines and writes them in large chunks. */
class LineBuffer {
  private parts: string[] = [];
  private size = 0;
  /** `name`: the file, for write errors ('-' is standard output). */
  constructor(private readonly fd: number, private readonly name: string | undefined) {}
  push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.fd < 0 || this.parts.length === 0) return;
    const bytes = Buffer.from(this.parts.join('\n') + '\n');
    try {
      writeFdFully(this.fd, bytes, 0, bytes.length);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (this.name !== undefined && err.path === undefined) err.path = this.name;
      throw e;
    }
    this.parts = [];
    this.size = 0;
  }
}
