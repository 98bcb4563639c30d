// Replay in chunks: the host reads the capture in large chunks straight into linear memory,
// the core walks the records, runs the packets and compacts the output in place
// (assembly/capture/walk.ts), and the host writes each chunk's output with one write. No
// JavaScript runs per packet; the host handles what is not a packet (file and section headers,
// interface blocks, other pcapng blocks), the end of each chunk, updates falling due, damage.
//
// ChunkWalk is the engine; runSync and runAsync drive its I/O. runAsync reads the next chunk
// and writes the previous one's output while the core walks the current one. The bytes come
// from a ChunkInput and go to a ChunkOutput: files in Node (fd-io.ts), web or Node streams
// (stream.ts); nothing here needs Node.

import type { Core } from '../core/core.js';
import {
  WALK_BUFFERS, WALK_HEADROOM, WALK_TAILROOM, WALK_READ_BYTES, WALK_IFACES_MAX, WALK_IFACE_BYTES,
  IF_LINK, IF_SNAPLEN, IF_UNITS, IF_OFFSET, WS_WORDS, WS_STATUS, WS_PROBLEM, WS_ARG0, WS_ARG1, WS_ARG2, WS_FORMAT,
  WS_LE, WS_PCAP_NSEC, WS_PCAP_LINK, WS_POS, WS_END, WS_OUT, WS_OUT_START, WS_IFACES, WS_IN_SECTION, WS_MODE,
  WS_STOP_LO, WS_STOP_HI, WS_HAVE_FIRST, WS_FIRST_SEC, WS_FIRST_NSEC, WS_CUR_SEC, WS_CUR_NSEC, WS_LAST_SEC,
  WS_LAST_NSEC, WS_PACKETS, WS_BYTES_IN, WS_BYTES_OUT, WS_GENERATED, WS_WRITTEN, WALK_PCAP, WALK_PCAPNG,
  WS_UNITS, WS_SHARD_FLAGS, WS_OWNERS,
  WALK_MODE_PROCESS, WALK_MODE_READ, WALK_NEED_MORE, WALK_BLOCK, WALK_STOP_TIME, WALK_BAD, WALK_FLUSH,
} from '../../assembly/abi/walk.js';
import {
  BT_SHB, BT_IDB, BT_ISB, BT_NRB, BT_DSB, BT_SJE, BT_CB_COPY, ISB_IFACE, SHB_VERSION_MAJOR, SHB_VERSION_MINOR,
  SHB_SECTION_LEN, IDB_LINKTYPE, IDB_SNAPLEN,
  PCAP_HDR_LEN, PCAP_HDR_LINKTYPE, PCAP_HDR_VERSION_MAJOR, PCAP_HDR_VERSION_MINOR, PCAP_MAGIC_NSEC,
  PCAP_MAGIC_NSEC_SWAPPED, PCAP_MAGIC_USEC, PCAP_MAGIC_USEC_SWAPPED, PCAP_VERSION_MAJOR, LINKTYPE_MASK,
  TSRESOL_POW2,
} from '../capture/format.js';
import { SCRATCH_ADDR, ADDR_SLOT_BYTES } from '../../assembly/abi/scratch.js';
import { parseIPInto } from '../k8s/ip.js';
import { CaptureFormatError, displayName } from '../capture/errors.js';
import { badMagicReason, sectionHeaderBlock } from '../capture/headers.js';
import { blockOptionsProblem, interfaceClockOptions } from '../capture/options.js';
import { TsClock } from '../capture/timestamp.js';
import { walkProblem } from './walk-problems.js';

/** An update schedule: the walk stops before the first packet at or after `nextDue()`. */
export interface DueSchedule {
  /** Capture time (ns) of the next event, given the first packet's time; null when none is left. */
  nextDue(firstNs: bigint): bigint | null;
  /** Applies every event due at or before `nowNs` (the packet about to be walked). */
  applyDue(firstNs: bigint, nowNs: bigint): void;
}

/** Where a walk's bytes come from. */
export interface ChunkInput {
  /** Bytes in all, when known (progress). */
  readonly size: number | undefined;
  /** Reads up to `len` bytes to memory[at..]: at least one, 0 only at the end. */
  readSync(memory: Uint8Array, at: number, len: number): number;
  /** The same without holding the thread (overlapped with the walk); `memory()` is linear memory when the bytes land. */
  readAsync?(memory: () => Uint8Array, at: number, len: number): Promise<number>;
  close(): void;
}

/** Where a walk's output goes. */
export interface ChunkOutput {
  /** Writes all of `bytes` (a view of linear memory) before returning. */
  writeSync(bytes: Uint8Array): void;
  /** The same without holding the thread: `bytes()` gives the view when the write starts. Absent: writeSync. */
  writeAsync?(bytes: () => Uint8Array): Promise<void>;
}

export interface ChunkWalkOptions {
  /** The capture's name in messages ('-' = standard input). */
  capture: string;
  /** Its bytes. */
  input: ChunkInput;
  /** Only count the records (reading benchmark); no packet program, no output. */
  readOnly?: boolean;
  updates?: DueSchedule;
  /** Bytes per read (default WALK_READ_BYTES; small values test records cut across chunks). */
  readBytes?: number;
  progress?: (bytesRead: number, fileSize: number | undefined, packets: number) => void;
}

export interface ChunkWalkResult {
  format: 'pcap' | 'pcapng';
  linkTypes: number[];
  packets: number;
  bytesIn: number;
  bytesOut: number;
  generated: number;
  written: number;
  first: { sec: number; nsec: number } | null;
  last: { sec: number; nsec: number } | null;
}

const NEVER = 0xffffffffffffffffn;
/** The walk needs I/O (walk() results). */
const IO_MORE = 1;
const IO_FLUSH = 2;
const IO_DONE = 3;

/** The host side of one chunked replay over one Core. */
export class ChunkWalk {
  readonly name: string;
  readonly format: 'pcap' | 'pcapng';
  readonly fileSize: number | undefined;
  readonly linkTypes: number[] = [];
  /** File bytes read so far. */
  bytesRead = 0;
  eof = false;
  private readonly input: ChunkInput;
  private readonly e: Core['exports'];
  private bufs: number[] = [];
  /** Buffer being walked. */
  private cur = 0;
  /** File offset of the byte at address `baseAddr`. */
  private baseFile = 0;
  private baseAddr = 0;
  private memBuf: ArrayBuffer | null = null;
  private u8!: Uint8Array;
  private dv!: DataView;
  private ws!: Uint32Array;
  private wroteShb = false;
  private sectionIdbs = 0;
  private firstNs: bigint | null = null;
  /** Output bytes to write before the first chunk's (the pcap file header). */
  header: Uint8Array | null = null;
  blocksSkipped = 0;

  private readonly readBytes: number;

  constructor(core: Core, private readonly opts: ChunkWalkOptions) {
    this.name = displayName(opts.capture);
    this.readBytes = Math.max(1, Math.min(opts.readBytes ?? WALK_READ_BYTES, WALK_READ_BYTES));
    this.e = core.exports;
    this.e.walkInit();
    for (let b = 0; b < WALK_BUFFERS; b++) this.bufs.push(this.e.walkBufferPtr(b));
    this.input = opts.input;
    try {
      this.fileSize = opts.input.size;
      this.refresh();
      this.ws.fill(0);
      this.setStop(NEVER);
      this.ws[WS_MODE] = opts.readOnly ? WALK_MODE_READ : WALK_MODE_PROCESS;
      // The first chunk, read before anything else: its first bytes say the format.
      const start = this.readStart(0);
      let got = 0;
      while (got < PCAP_HDR_LEN) {
        const n = this.input.readSync(this.u8, start + got, Math.max(this.readBytes, PCAP_HDR_LEN) - got);
        if (n === 0) break;
        got += n;
      }
      this.bytesRead = got;
      this.baseAddr = start;
      this.baseFile = 0;
      this.setWs(WS_POS, start);
      this.setWs(WS_END, start + got);
      this.setWs(WS_OUT, start);
      this.setWs(WS_OUT_START, start);
      if (got < 4) {
        throw new CaptureFormatError(this.name, 0, got === 0 ? 'empty file, not a pcap or pcapng capture' : `file too short for a capture header (${got} bytes)`);
      }
      const magic = this.dv.getUint32(start, false);
      if (magic === BT_SHB) {
        this.format = 'pcapng';
        this.ws[WS_FORMAT] = WALK_PCAPNG;
        this.ws[WS_LE] = 1;
      } else if (magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC || magic === PCAP_MAGIC_USEC_SWAPPED || magic === PCAP_MAGIC_NSEC_SWAPPED) {
        this.format = 'pcap';
        this.openPcap(start, got, magic);
      } else {
        throw new CaptureFormatError(this.name, 0, badMagicReason(magic));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private openPcap(start: number, got: number, magic: number): void {
    if (got < PCAP_HDR_LEN) {
      throw new CaptureFormatError(this.name, 0, `pcap file header cut short (${got} of ${PCAP_HDR_LEN} bytes)`);
    }
    const le = magic === PCAP_MAGIC_USEC_SWAPPED || magic === PCAP_MAGIC_NSEC_SWAPPED;
    const major = this.dv.getUint16(start + PCAP_HDR_VERSION_MAJOR, le);
    const minor = this.dv.getUint16(start + PCAP_HDR_VERSION_MINOR, le);
    if (major !== PCAP_VERSION_MAJOR) {
      throw new CaptureFormatError(this.name, PCAP_HDR_VERSION_MAJOR, `unsupported pcap version ${major}.${minor}`);
    }
    const link = this.dv.getUint32(start + PCAP_HDR_LINKTYPE, le) & LINKTYPE_MASK;
    this.ws[WS_FORMAT] = WALK_PCAP;
    this.ws[WS_LE] = le ? 1 : 0;
    this.ws[WS_PCAP_NSEC] = magic === PCAP_MAGIC_NSEC || magic === PCAP_MAGIC_NSEC_SWAPPED ? 1 : 0;
    this.ws[WS_PCAP_LINK] = link;
    this.linkTypes.push(link);
    this.header = this.u8.slice(start, start + PCAP_HDR_LEN);
    this.setWs(WS_POS, start + PCAP_HDR_LEN);
    this.setWs(WS_OUT, start + PCAP_HDR_LEN);
    this.setWs(WS_OUT_START, start + PCAP_HDR_LEN);
  }

  /** Rebuilds the memory views if linear memory was replaced by growth. */
  private refresh(): void {
    const buf = this.e.memory.buffer;
    if (buf === this.memBuf) return;
    this.memBuf = buf;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.ws = new Uint32Array(buf, this.e.walkStatePtr(), WS_WORDS);
  }

  /** Linear memory (the views are current after any core call). */
  get memory(): Uint8Array {
    this.refresh();
    return this.u8;
  }

  private setWs(w: number, v: number): void {
    this.ws[w] = v;
  }

  private setStop(ns: bigint): void {
    this.ws[WS_STOP_LO] = Number(ns & 0xffffffffn);
    this.ws[WS_STOP_HI] = Number(ns >> 32n);
  }

  private fileOffset(addr: number): number {
    return this.baseFile + (addr - this.baseAddr);
  }

  private readStart(b: number): number {
    return this.bufs[b]! + WALK_HEADROOM + WALK_TAILROOM;
  }

  /** Where the next read goes: the buffer after the current one. */
  readTarget(): { addr: number; len: number; buffer: number } {
    const b = (this.cur + 1) % WALK_BUFFERS;
    return { addr: this.readStart(b), len: this.readBytes, buffer: b };
  }

  get nextBuffer(): number {
    return (this.cur + 1) % WALK_BUFFERS;
  }

  get currentBuffer(): number {
    return this.cur;
  }

  /**
   * Runs the core until it needs I/O: IO_MORE (write the output, then attach the next read),
   * IO_FLUSH (write the output, then walk again) or IO_DONE. Throws CaptureFormatError on damage,
   * after the output before it is ready to write (takeOutput()).
   */
  walk(): number {
    for (;;) {
      const status = this.e.walkRun();
      this.refresh();
      const ws = this.ws;
      switch (status) {
        case WALK_NEED_MORE:
          if (!this.eof) return IO_MORE;
          if (ws[WS_POS] === ws[WS_END]) return IO_DONE;
          throw this.problem();
        case WALK_FLUSH:
          return IO_FLUSH;
        case WALK_BLOCK:
          this.block();
          break;
        case WALK_STOP_TIME:
          this.due();
          break;
        case WALK_BAD:
          throw this.problem();
        default:
          throw new Error(`record walk: unexpected status ${status}`);
      }
    }
  }

  /** The output not yet written, as [address, length]; marks it written. */
  takeOutput(): [number, number] {
    this.refresh();
    const from = this.ws[WS_OUT_START]!;
    const to = this.ws[WS_OUT]!;
    if (this.ws[WS_STATUS] === WALK_FLUSH) {
      // The core goes on from the start of the buffer (the headroom).
      this.ws[WS_OUT] = this.bufs[this.cur]!;
      this.ws[WS_OUT_START] = this.bufs[this.cur]!;
      this.ws[WS_STATUS] = 0;
    } else {
      this.ws[WS_OUT_START] = to;
    }
    return [from, to - from];
  }

  /**
   * Continues in the next buffer with `got` bytes read at readTarget(): the incomplete record
   * left in the current buffer is placed right before them.
   */
  attach(got: number): void {
    this.refresh();
    const ws = this.ws;
    const pos = ws[WS_POS]!;
    const tail = ws[WS_END]! - pos;
    const b = this.nextBuffer;
    const readAt = this.readStart(b);
    let dst = readAt - tail;
    if (tail > WALK_TAILROOM) {
      // A record larger than the tail room: move the new bytes up to make room.
      dst = this.bufs[b]! + WALK_HEADROOM;
      this.u8.copyWithin(dst + tail, readAt, readAt + got);
    }
    const posFile = this.fileOffset(pos);
    this.u8.copyWithin(dst, pos, pos + tail);
    this.cur = b;
    this.baseAddr = dst;
    this.baseFile = posFile;
    ws[WS_POS] = dst;
    ws[WS_END] = dst + tail + got;
    ws[WS_OUT] = dst;
    ws[WS_OUT_START] = dst;
    this.bytesRead += got;
    if (got === 0) this.eof = true;
    this.opts.progress?.(this.bytesRead, this.fileSize, this.packets);
  }

  /** Reads into the next buffer synchronously. */
  readNextSync(): number {
    const t = this.readTarget();
    const u8 = this.memory;
    let got = 0;
    // Pipes return little per call: fill the read so a large record is not carried many times.
    while (got < t.len) {
      const n = this.input.readSync(u8, t.addr + got, t.len - got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /** Reads into the next buffer without holding the thread (canReadAsync). */
  readNextAsync(): Promise<number> {
    const t = this.readTarget();
    return this.input.readAsync!(() => this.memory, t.addr, t.len);
  }

  get canReadAsync(): boolean {
    return this.input.readAsync !== undefined;
  }

  get packets(): number {
    return this.u64(WS_PACKETS);
  }

  /**
   * --workers: walks as worker `self` of `n` (src/replay/workers/): only its packets run, and
   * every unit of the chunk is recorded. False when the unit table does not fit in memory.
   */
  shard(self: number, n: number): boolean {
    const ok = this.e.walkShard(self, n) === 1;
    // Its tables may have grown linear memory: the views of the walk state are rebuilt.
    this.refresh();
    return ok;
  }

  /**
   * --workers: the clients whose connections live on worker 0 (assembly/capture/shard-hairpin.ts),
   * after shard() and before the first chunk. False when the core refused them (no room): it flags
   * SHARD_HAIRPIN, which the walk reports with the first chunk.
   */
  hairpinClients(ips: readonly string[]): boolean {
    if (this.e.shardHairpinReserve(ips.length) !== 1) return false;
    this.refresh();
    const at = this.e.scratchPtr() + SCRATCH_ADDR;
    for (const ip of ips) {
      this.u8.fill(0, at, at + ADDR_SLOT_BYTES);
      if (this.e.shardHairpinAdd(parseIPInto(ip, this.u8, at)) !== 1) return false;
    }
    return true;
  }

  /** --workers: the units recorded since the last takeUnits(), copied; starts the next chunk's. */
  takeUnits(): Uint32Array {
    this.refresh();
    const n = this.ws[WS_UNITS]!;
    const units = new Uint32Array(this.u8.buffer, this.e.walkUnitsPtr(), n).slice();
    this.ws[WS_UNITS] = 0;
    return units;
  }

  /** --workers: the dispatcher's owner of every unit of the chunk about to be walked (abi/walk.ts WS_OWNERS). */
  giveOwners(owners: Uint32Array): void {
    this.refresh();
    new Uint32Array(this.u8.buffer, this.e.walkUnitsPtr(), owners.length).set(owners);
    this.ws[WS_OWNERS] = 1;
  }

  /** --workers: SHARD_* bits of what this worker saw that one worker must replay instead. */
  get shardFlags(): number {
    this.refresh();
    return this.ws[WS_SHARD_FLAGS]!;
  }

  private u64(w: number): number {
    this.refresh();
    return this.ws[w]! + this.ws[w + 1]! * 4294967296;
  }

  result(): ChunkWalkResult {
    const ws = this.ws;
    const have = this.packets > 0;
    return {
      format: this.format,
      linkTypes: this.linkTypes.slice(),
      packets: this.packets,
      bytesIn: this.u64(WS_BYTES_IN),
      bytesOut: this.u64(WS_BYTES_OUT),
      generated: this.u64(WS_GENERATED),
      written: this.u64(WS_WRITTEN),
      first: ws[WS_HAVE_FIRST] ? { sec: ws[WS_FIRST_SEC]!, nsec: ws[WS_FIRST_NSEC]! } : null,
      last: have ? { sec: ws[WS_LAST_SEC]!, nsec: ws[WS_LAST_NSEC]! } : null,
    };
  }

  /** What must follow the last chunk's output: a section header when pcapng output has none. */
  trailer(): Uint8Array | null {
    return this.format === 'pcapng' && !this.wroteShb ? sectionHeaderBlock() : null;
  }

  /** Starts the update schedule (call before the first walk). */
  scheduleUpdates(): void {
    if (this.opts.updates) this.setStop(0n);
  }

  close(): void {
    this.input.close();
  }

  private due(): void {
    const ws = this.ws;
    const u = this.opts.updates;
    if (!u) {
      this.setStop(NEVER);
      return;
    }
    if (this.firstNs === null) this.firstNs = BigInt(ws[WS_FIRST_SEC]!) * 1_000_000_000n + BigInt(ws[WS_FIRST_NSEC]!);
    const now = BigInt(ws[WS_CUR_SEC]!) * 1_000_000_000n + BigInt(ws[WS_CUR_NSEC]!);
    u.applyDue(this.firstNs, now);
    this.refresh();
    this.setStop(u.nextDue(this.firstNs) ?? NEVER);
  }

  private problem(): CaptureFormatError {
    const ws = this.ws;
    return new CaptureFormatError(this.name, this.fileOffset(ws[WS_POS]!), walkProblem(ws[WS_PROBLEM]!, ws[WS_ARG0]!, ws[WS_ARG1]!, ws[WS_ARG2]!));
  }

  /** A pcapng block that is not a packet: sections and interfaces are the host's; keep or leave out. */
  private block(): void {
    const ws = this.ws;
    const at = ws[WS_POS]!;
    const type = ws[WS_ARG0]!;
    const len = ws[WS_ARG1]!;
    const le = ws[WS_ARG2] === 1;
    const dv = this.dv;
    if (type !== BT_SHB) this.checkOptions(at, type, len, le); // a section header: after its version
    let keep: boolean;
    switch (type) {
      case BT_SHB: {
        const major = dv.getUint16(at + SHB_VERSION_MAJOR, le);
        const minor = dv.getUint16(at + SHB_VERSION_MINOR, le);
        // Versions 1.0 and 1.2 (an old spelling of 1.0), as libpcap and Wireshark accept.
        if (major !== 1 || (minor !== 0 && minor !== 2)) {
          throw new CaptureFormatError(this.name, this.fileOffset(at), `unsupported pcapng version ${major}.${minor} in section header block`);
        }
        this.checkOptions(at, type, len, le);
        ws[WS_LE] = le ? 1 : 0;
        ws[WS_IN_SECTION] = 1;
        ws[WS_IFACES] = 0;
        this.sectionIdbs = 0;
        // Lengths change when packets are dropped or added: the section length becomes unknown.
        this.u8.fill(0xff, at + SHB_SECTION_LEN, at + SHB_SECTION_LEN + 8);
        this.wroteShb = true;
        keep = true;
        break;
      }
      case BT_IDB:
        this.interfaceBlock(at, len, le);
        this.sectionIdbs++;
        keep = true;
        break;
      case BT_ISB:
        keep = dv.getUint32(at + ISB_IFACE, le) < this.sectionIdbs;
        break;
      case BT_NRB:
      case BT_DSB:
      case BT_SJE:
      case BT_CB_COPY:
        keep = true;
        break;
      default:
        keep = false; // do-not-copy custom blocks, obsolete or unknown blocks
    }
    if (!keep) this.blocksSkipped++;
    this.e.walkBlockDone(keep ? 1 : 0);
  }

  /** A block copied to the output as it is: its options (and records) must fit in it (options.ts). */
  private checkOptions(at: number, type: number, len: number, le: boolean): void {
    const bad = blockOptionsProblem(this.dv, at, type, len, le);
    if (bad !== null) throw new CaptureFormatError(this.name, this.fileOffset(at), bad);
  }

  /** An IDB: its link type, snapshot length and clock go into the core's interface table. */
  private interfaceBlock(at: number, len: number, le: boolean): void {
    const dv = this.dv;
    const linkType = dv.getUint16(at + IDB_LINKTYPE, le);
    const snaplen = dv.getUint32(at + IDB_SNAPLEN, le);
    // Options (their lengths checked already: checkOptions).
    const { tsresol, tsoffset } = interfaceClockOptions(dv, at, len, le);
    try {
      new TsClock(tsresol, tsoffset);
    } catch (err) {
      throw new CaptureFormatError(this.name, this.fileOffset(at), `interface description block: ${(err as Error).message} (if_tsresol 0x${tsresol.toString(16)})`);
    }
    const id = this.ws[WS_IFACES]!;
    if (id >= WALK_IFACES_MAX) {
      throw new CaptureFormatError(this.name, this.fileOffset(at), `more than ${WALK_IFACES_MAX} interface description blocks in one section`);
    }
    const exp = BigInt(tsresol & 0x7f);
    const units = (tsresol & TSRESOL_POW2) !== 0 ? 1n << exp : 10n ** exp;
    const entry = this.e.walkIfacesPtr() + id * WALK_IFACE_BYTES;
    dv.setUint32(entry + IF_LINK, linkType, true);
    dv.setUint32(entry + IF_SNAPLEN, snaplen, true);
    dv.setBigUint64(entry + IF_UNITS, units, true);
    dv.setBigInt64(entry + IF_OFFSET, BigInt(tsoffset), true);
    this.ws[WS_IFACES] = id + 1;
    if (!this.linkTypes.includes(linkType)) this.linkTypes.push(linkType);
  }
}

/** Writes all of [addr, addr+len) of linear memory. */
function writeOut(out: ChunkOutput | null, walk: ChunkWalk, addr: number, len: number): void {
  if (out && len > 0) out.writeSync(walk.memory.subarray(addr, addr + len));
}

/** Drives a walk with synchronous reads and writes (out null: no output). */
export function runSync(walk: ChunkWalk, out: ChunkOutput | null): void {
  if (walk.header && out) out.writeSync(walk.header);
  walk.scheduleUpdates();
  try {
    for (;;) {
      const io = walk.walk();
      const [addr, len] = walk.takeOutput();
      writeOut(out, walk, addr, len);
      if (io === IO_DONE) break;
      if (io === IO_MORE) walk.attach(walk.readNextSync());
    }
  } catch (err) {
    const [addr, len] = walk.takeOutput();
    writeOut(out, walk, addr, len);
    finishOutput(walk, out);
    throw err;
  }
  finishOutput(walk, out);
}

function finishOutput(walk: ChunkWalk, out: ChunkOutput | null): void {
  const t = walk.trailer();
  if (t && out) out.writeSync(t);
}

/**
 * Drives a walk with overlapped I/O: while the core walks buffer k, buffer k+1 is being read
 * and buffer k-1's output written (readAsync, writeAsync). Inputs and outputs without them
 * (standard input and output) stay synchronous.
 */
export async function runAsync(walk: ChunkWalk, out: ChunkOutput | null, signal?: AbortSignal): Promise<void> {
  if (walk.header && out) out.writeSync(walk.header);
  walk.scheduleUpdates();
  const writes: Promise<void>[] = new Array(WALK_BUFFERS).fill(Promise.resolve());
  let chain: Promise<void> = Promise.resolve();
  const write = (addr: number, len: number): Promise<void> => {
    if (!out || len === 0) return chain;
    if (!out.writeAsync) {
      out.writeSync(walk.memory.subarray(addr, addr + len));
      return chain;
    }
    const writeAsync = out.writeAsync.bind(out);
    chain = chain.then(() => writeAsync(() => walk.memory.subarray(addr, addr + len)));
    // Awaited later (or in the catch below): a failure while the loop awaits a read is not unhandled.
    chain.catch(() => undefined);
    return chain;
  };
  let reading: Promise<number> | null = walk.canReadAsync ? walk.readNextAsync() : null;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const io = walk.walk();
      const [addr, len] = walk.takeOutput();
      if (io === IO_FLUSH) {
        await write(addr, len);
        continue;
      }
      writes[walk.currentBuffer] = write(addr, len);
      if (io === IO_DONE) break;
      const got = reading ? await reading : walk.readNextSync();
      walk.attach(got);
      reading = null;
      if (!walk.eof && walk.canReadAsync) {
        await writes[walk.nextBuffer];
        reading = walk.readNextAsync();
      }
    }
  } catch (err) {
    if (!(err instanceof Error && err.name === 'AbortError')) {
      const [addr, len] = walk.takeOutput();
      // write() throws at once on standard output and devices: the first error is the one to report.
      await Promise.resolve().then(() => write(addr, len)).catch(() => undefined);
    }
    if (reading) await reading.catch(() => 0);
    await chain.catch(() => undefined);
    finishOutput(walk, out);
    throw err;
  }
  if (reading) await reading;
  await chain;
  finishOutput(walk, out);
}

export { IO_MORE, IO_FLUSH, IO_DONE };
