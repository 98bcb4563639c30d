import * as fs from 'node:fs';
import {
  BATCH_MAX_BYTES,
  D_CAPLEN,
  D_LINKTYPE,
  D_OFFSET,
  D_TS_NSEC,
  D_TS_SEC,
  D_WIRELEN,
  DESC_WORDS,
  RECORD_MAX_BYTES,
} from '../../assembly/abi/layout.js';
import { CaptureBatch, KIND_EPB, KIND_PB, KIND_PCAP, KIND_SPB } from './batch.js';
import { CaptureFormatError, displayName } from './errors.js';
import {
  BLOCK_LEN,
  BLOCK_MAX_BYTES,
  BLOCK_OVERHEAD,
  BT_EPB,
  BT_IDB,
  BT_ISB,
  BT_PB,
  BT_SHB,
  BT_SPB,
  BYTE_ORDER_MAGIC,
  BYTE_ORDER_MAGIC_SWAPPED,
  blockTypeName,
  EPB_CAPLEN,
  EPB_DATA,
  EPB_IFACE,
  EPB_MIN_LEN,
  EPB_ORIGLEN,
  EPB_TS_HIGH,
  EPB_TS_LOW,
  IDB_LINKTYPE,
  IDB_MIN_LEN,
  IDB_SNAPLEN,
  ISB_MIN_LEN,
  LINKTYPE_MASK,
  pad4,
  PB_IFACE,
  PCAP_HDR_LEN,
  PCAP_HDR_LINKTYPE,
  PCAP_HDR_SNAPLEN,
  PCAP_HDR_VERSION_MAJOR,
  PCAP_HDR_VERSION_MINOR,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_NSEC_SWAPPED,
  PCAP_MAGIC_USEC,
  PCAP_MAGIC_USEC_SWAPPED,
  PCAP_REC_CAPLEN,
  PCAP_REC_LEN,
  PCAP_REC_ORIGLEN,
  PCAP_REC_TS_FRAC,
  PCAP_REC_TS_SEC,
  PCAP_VERSION_MAJOR,
  SHB_BOM,
  SHB_MIN_LEN,
  SHB_VERSION_MAJOR,
  SHB_VERSION_MINOR,
  SPB_DATA,
  SPB_MIN_LEN,
  SPB_ORIGLEN,
  TSRESOL_DEFAULT,
} from './format.js';
import { badMagicReason } from './headers.js';
import { AT_EOF, ChunkSource, HAVE, NO_ROOM } from './io.js';
import { blockOptionsProblem, interfaceClockOptions } from './options.js';
import { CLOCK_NSEC, CLOCK_USEC, TsClock } from './timestamp.js';

export { CaptureFormatError } from './errors.js';

/** Size of the reader's own buffer (it grows only for a larger block). */
export const OWN_BUFFER_BYTES = 1024 * 1024;
/** Bytes per read call, into batch data or the own buffer (about what is carried between batches). */
export const READ_BYTES = 256 * 1024;

/** One capture interface: the pcap file itself, or one pcapng IDB. */
export interface CaptureInterface {
  /** Reader-wide index (CaptureBatch.iface). */
  readonly index: number;
  /** 0-based pcapng section (0 for pcap). */
  readonly section: number;
  /** Interface ID within its section. */
  readonly localId: number;
  /** Link type as the core sees it (D_LINKTYPE): upper flag bits cleared. */
  readonly linkType: number;
  /** Link type field as in the file (pcap: all 32 bits, including FCS flags). */
  readonly linkTypeRaw: number;
  /** Snapshot length (0: no limit, pcapng only). */
  readonly snaplen: number;
  /** Timestamp resolution and offset. */
  readonly clock: TsClock;
  /** Byte order of the file (pcap) or section (pcapng). */
  readonly littleEndian: boolean;
}

export interface CaptureReader {
  /** The path as given ('-' = standard input). */
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  /**
   * Fills the batch with the next packets (indexes 0..n-1) and returns n; 0 at end of file.
   * A batch ends after `capacity` packets or when the next packet would pass BATCH_MAX_BYTES.
   * Damage in the file: the packets before it are returned first, the next call throws a
   * CaptureFormatError (and so does every call after it).
   */
  readBatch(batch: CaptureBatch): number;
  /** File offset up to which the file has been parsed. */
  readonly bytesRead: number;
  /** Size of a regular file; undefined for pipes. */
  readonly fileSize: number | undefined;
  /** Distinct link types (upper bits cleared) of the interfaces seen so far, in file order. */
  linkTypes(): number[];
  close(): void;

  // What the writer needs besides the batch.
  /** Packets delivered so far. */
  readonly packetsRead: number;
  /** Interfaces seen so far, by reader-wide index. */
  interfaces(): readonly CaptureInterface[];
  /** pcap: the 24-byte file header as read; undefined for pcapng. */
  readonly pcapHeader: Uint8Array | undefined;
  /**
   * pcapng: raw non-packet blocks read but not yet attached to a packet (after the last packet
   * of the file, or before damage). Valid until the next readBatch.
   */
  pendingBlocks(): Uint8Array;
  /** The batch filled by the latest readBatch. */
  readonly lastBatch: CaptureBatch | undefined;
  /**
   * Calls `listener(batch)` at the start of every readBatch, before the batch is refilled, so a
   * writer can finish with the old contents. Returns a function removing the listener.
   */
  onRefill(listener: (batch: CaptureBatch) => void): () => void;
}

/** Opens a pcap or pcapng file ('-' = standard input), detecting the format from its magic. */
export function openCaptureReader(path: string): CaptureReader {
  const name = displayName(path);
  const fromStdin = path === '-';
  const fd = fromStdin ? 0 : fs.openSync(path, 'r');
  try {
    let fileSize: number | undefined;
    try {
      const st = fs.fstatSync(fd);
      fileSize = st.isFile() ? st.size : undefined;
    } catch {
      fileSize = undefined;
    }
    const src = new ChunkSource(fd, OWN_BUFFER_BYTES, READ_BYTES);
    if (src.ensure(4) !== HAVE) {
      throw new CaptureFormatError(
        name,
        0,
        src.available === 0 ? 'empty file, not a pcap or pcapng capture' : `file too short for a capture header (${src.available} bytes)`,
      );
    }
    const magic = src.view.getUint32(0, false);
    switch (magic) {
      case PCAP_MAGIC_USEC:
      case PCAP_MAGIC_NSEC:
      case PCAP_MAGIC_USEC_SWAPPED:
      case PCAP_MAGIC_NSEC_SWAPPED:
        return new PcapReader(path, name, fd, !fromStdin, fileSize, src);
      case BT_SHB:
        return new PcapngReader(path, name, fd, !fromStdin, fileSize, src);
      default:
        throw new CaptureFormatError(name, 0, badMagicReason(magic));
    }
  } catch (e) {
    if (!fromStdin) fs.closeSync(fd);
    throw e;
  }
}

abstract class BaseReader implements CaptureReader {
  abstract readonly format: 'pcap' | 'pcapng';
  packetsRead = 0;
  lastBatch: CaptureBatch | undefined;
  pcapHeader: Uint8Array | undefined;
  protected readonly ifaces: CaptureInterface[] = [];
  protected readonly seenLinkTypes: number[] = [];
  protected failure: CaptureFormatError | undefined;
  protected done = false;
  private closed = false;
  private fills = 0;
  private readonly listeners: ((batch: CaptureBatch) => void)[] = [];

  constructor(
    readonly path: string,
    protected readonly name: string,
    private readonly fd: number,
    private readonly ownsFd: boolean,
    readonly fileSize: number | undefined,
    protected readonly src: ChunkSource,
  ) {}

  get bytesRead(): number {
    return this.src.position;
  }

  linkTypes(): number[] {
    return this.seenLinkTypes.slice();
  }

  interfaces(): readonly CaptureInterface[] {
    return this.ifaces;
  }

  pendingBlocks(): Uint8Array {
    return new Uint8Array(0);
  }

  onRefill(listener: (batch: CaptureBatch) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  readBatch(batch: CaptureBatch): number {
    if (this.closed) throw new Error(`${this.name}: capture reader is closed`);
    if (batch.seq !== 0) {
      for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!(batch);
    }
    if (this.failure) throw this.failure;
    batch.reset(++this.fills);
    this.lastBatch = batch;
    if (this.done) return 0;
    const n = this.fill(batch);
    batch.count = n;
    this.packetsRead += n;
    if (n === 0 && this.failure) throw this.failure;
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) fs.closeSync(this.fd);
  }

  /** Reads packets into the batch; sets `failure` (and stops) at damage, `done` at end of file. */
  protected abstract fill(batch: CaptureBatch): number;

  protected fail(offset: number, reason: string): void {
    this.failure = new CaptureFormatError(this.name, offset, reason);
  }

  protected addInterface(iface: CaptureInterface): void {
    this.ifaces.push(iface);
    if (!this.seenLinkTypes.includes(iface.linkType)) this.seenLinkTypes.push(iface.linkType);
  }

  protected batchTooSmall(batch: CaptureBatch, caplen: number): never {
    throw new RangeError(`${this.name}: a ${caplen}-byte record does not fit in a batch of ${batch.data.length} bytes`);
  }
}

/** Classic pcap: a 24-byte header, then 16-byte record headers each followed by caplen bytes. */
class PcapReader extends BaseReader {
  readonly format = 'pcap' as const;
  private readonly le: boolean;
  private readonly nsec: boolean;
  private readonly linkType: number;

  constructor(path: string, name: string, fd: number, ownsFd: boolean, fileSize: number | undefined, src: ChunkSource) {
    super(path, name, fd, ownsFd, fileSize, src);
    if (src.ensure(PCAP_HDR_LEN) !== HAVE) {
      throw new CaptureFormatError(name, 0, `pcap file header cut short (${src.available} of ${PCAP_HDR_LEN} bytes)`);
    }
    const dv = src.view;
    const magic = dv.getUint32(0, false);
    this.le = magic === PCAP_MAGIC_USEC_SWAPPED || magic === PCAP_MAGIC_NSEC_SWAPPED;
    this.nsec = magic === PCAP_MAGIC_NSEC || magic === PCAP_MAGIC_NSEC_SWAPPED;
    const major = dv.getUint16(PCAP_HDR_VERSION_MAJOR, this.le);
    const minor = dv.getUint16(PCAP_HDR_VERSION_MINOR, this.le);
    if (major !== PCAP_VERSION_MAJOR) {
      throw new CaptureFormatError(name, PCAP_HDR_VERSION_MAJOR, `unsupported pcap version ${major}.${minor}`);
    }
    const raw = dv.getUint32(PCAP_HDR_LINKTYPE, this.le);
    this.linkType = raw & LINKTYPE_MASK;
    this.pcapHeader = new Uint8Array(src.buf.subarray(0, PCAP_HDR_LEN));
    this.addInterface({
      index: 0,
      section: 0,
      localId: 0,
      linkType: this.linkType,
      linkTypeRaw: raw,
      snaplen: dv.getUint32(PCAP_HDR_SNAPLEN, this.le),
      clock: this.nsec ? CLOCK_NSEC : CLOCK_USEC,
      littleEndian: this.le,
    });
    src.start = PCAP_HDR_LEN;
  }

  protected fill(batch: CaptureBatch): number {
    const src = this.src;
    const { data, desc, tsHigh, tsLow, iface, kind, optOff, optLen, preOff, preLen } = batch;
    const cap = batch.capacity;
    const limit = Math.min(data.length, BATCH_MAX_BYTES);
    const le = this.le;
    const fracMax = this.nsec ? 1_000_000_000 : 1_000_000;
    const fracToNs = this.nsec ? 1 : 1000;
    const linkType = this.linkType;
    let n = 0;
    let used = 0;
    src.attach(data, limit);
    try {
      while (n < cap) {
        const off = (used + 7) & ~7;
        src.floor = off;
        if (src.end - src.start < PCAP_REC_LEN) {
          const got = src.ensure(PCAP_REC_LEN);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            if (src.available === 0) this.done = true;
            else this.fail(src.position, `record header cut short at end of file (${src.available} of ${PCAP_REC_LEN} bytes)`);
            break;
          }
        }
        let p = src.start;
        let dv = src.view;
        const caplen = dv.getUint32(p + PCAP_REC_CAPLEN, le);
        if (caplen > RECORD_MAX_BYTES) {
          this.fail(src.position, `record caplen ${caplen} exceeds the ${RECORD_MAX_BYTES}-byte limit`);
          break;
        }
        if (off + caplen > limit) {
          if (n === 0) this.batchTooSmall(batch, caplen);
          break;
        }
        const total = PCAP_REC_LEN + caplen;
        if (src.end - p < total) {
          const got = src.ensure(total);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            this.fail(
              src.position,
              `record cut short at end of file (caplen ${caplen}, ${src.available - PCAP_REC_LEN} bytes of packet data present)`,
            );
            break;
          }
          p = src.start;
          dv = src.view;
        }
        const sec = dv.getUint32(p + PCAP_REC_TS_SEC, le);
        const frac = dv.getUint32(p + PCAP_REC_TS_FRAC, le);
        const b = n * DESC_WORDS;
        desc[b + D_OFFSET] = off;
        desc[b + D_CAPLEN] = caplen;
        desc[b + D_WIRELEN] = dv.getUint32(p + PCAP_REC_ORIGLEN, le);
        desc[b + D_LINKTYPE] = linkType;
        if (frac < fracMax) {
          desc[b + D_TS_SEC] = sec;
          desc[b + D_TS_NSEC] = frac * fracToNs;
        } else {
          // Out-of-range fraction (usec >= 1e6): carry whole seconds, as the time it denotes.
          const carry = Math.floor(frac / fracMax);
          desc[b + D_TS_SEC] = sec + carry;
          desc[b + D_TS_NSEC] = (frac - carry * fracMax) * fracToNs;
        }
        tsHigh[n] = sec;
        tsLow[n] = frac;
        iface[n] = 0;
        kind[n] = KIND_PCAP;
        optOff[n] = 0;
        optLen[n] = 0;
        preOff[n] = 0;
        preLen[n] = 0;
        src.copyOut(data, off, p + PCAP_REC_LEN, caplen);
        src.start = p + total;
        used = off + caplen;
        n++;
      }
    } finally {
      src.detach();
    }
    batch.bytesUsed = used;
    return n;
  }
}

/** pcapng: sections of blocks, each section in its own byte order with its own interfaces. */
class PcapngReader extends BaseReader {
  readonly format = 'pcapng' as const;
  /** Byte order of the current section. */
  private le = true;
  private section = -1;
  /** Reader-wide interface of each interface ID of the current section. */
  private sectionIfaces: CaptureInterface[] = [];
  /** Non-packet blocks waiting for the next packet. */
  private pending = new Uint8Array(4096);
  private pendingLen = 0;
  /** Normalised time of the latest timestamped packet (given to SPBs). */
  private lastSec = 0;
  private lastNsec = 0;

  override pendingBlocks(): Uint8Array {
    return this.pending.subarray(0, this.pendingLen);
  }

  protected fill(batch: CaptureBatch): number {
    const src = this.src;
    const { data, desc, tsHigh, tsLow, iface, kind, optOff, optLen, preOff, preLen } = batch;
    const cap = batch.capacity;
    const limit = Math.min(data.length, BATCH_MAX_BYTES);
    let n = 0;
    let used = 0;
    src.attach(data, limit);
    try {
      while (n < cap) {
        const off = (used + 7) & ~7;
        src.floor = off;
        if (src.end - src.start < 8) {
          const got = src.ensure(8);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            if (src.available === 0) this.done = true;
            else this.fail(src.position, `block header cut short at end of file (${src.available} of 8 bytes)`);
            break;
          }
        }
        const pos = src.position;
        let p = src.start;
        let dv = src.view;
        const type = dv.getUint32(p, this.le);
        let le = this.le;
        if (type === BT_SHB) {
          const got = src.ensure(SHB_BOM + 4);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            this.fail(pos, `section header block cut short at end of file (${src.available} of ${SHB_MIN_LEN} bytes)`);
            break;
          }
          p = src.start;
          dv = src.view;
          const bom = dv.getUint32(p + SHB_BOM, false);
          if (bom === BYTE_ORDER_MAGIC) le = false;
          else if (bom === BYTE_ORDER_MAGIC_SWAPPED) le = true;
          else {
            this.fail(pos, `bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header block`);
            break;
          }
        } else if (this.section < 0) {
          this.fail(pos, 'pcapng file does not start with a section header block');
          break;
        }
        const len = dv.getUint32(p + BLOCK_LEN, le);
        const minLen = minBlockLength(type);
        if (len < minLen || len % 4 !== 0) {
          const what = blockTypeName(type);
          this.fail(
            pos,
            len % 4 !== 0
              ? `${what}: block total length ${len} is not a multiple of 4`
              : `${what}: block total length ${len} is below the minimum of ${minLen}`,
          );
          break;
        }
        if (type === BT_EPB || type === BT_PB) {
          const got = src.ensure(EPB_DATA);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            this.fail(pos, `${blockTypeName(type)} cut short at end of file (total length ${len}, ${src.available} bytes present)`);
            break;
          }
          p = src.start;
          dv = src.view;
          const caplen = dv.getUint32(p + EPB_CAPLEN, le);
          if (caplen > RECORD_MAX_BYTES) {
            this.fail(pos, `${blockTypeName(type)}: caplen ${caplen} exceeds the ${RECORD_MAX_BYTES}-byte limit`);
            break;
          }
        }
        if (len > BLOCK_MAX_BYTES) {
          this.fail(pos, `${blockTypeName(type)}: block total length ${len} exceeds the ${BLOCK_MAX_BYTES}-byte limit`);
          break;
        }
        if (src.end - src.start < len) {
          const got = src.ensure(len);
          if (got === NO_ROOM) {
            if (n > 0) break;
            src.detach();
            continue;
          }
          if (got === AT_EOF) {
            this.fail(pos, `${blockTypeName(type)} cut short at end of file (total length ${len}, ${src.available} bytes present)`);
            break;
          }
          p = src.start;
          dv = src.view;
        }
        const trailer = dv.getUint32(p + len - 4, le);
        if (trailer !== len) {
          this.fail(pos, `${blockTypeName(type)}: block total length ${len} at the start but ${trailer} at the end`);
          break;
        }

        if (type === BT_EPB || type === BT_PB || type === BT_SPB) {
          let caplen: number;
          let wirelen: number;
          let ifc: CaptureInterface | undefined;
          if (type === BT_SPB) {
            ifc = this.sectionIfaces[0];
            if (ifc === undefined) {
              this.fail(pos, `${blockTypeName(type)} but the section has no interface description block`);
              break;
            }
            wirelen = dv.getUint32(p + SPB_ORIGLEN, le);
            caplen = ifc.snaplen !== 0 && wirelen > ifc.snaplen ? ifc.snaplen : wirelen;
            if (caplen > len - SPB_MIN_LEN) {
              this.fail(pos, `${blockTypeName(type)}: ${caplen} bytes of packet data do not fit in block total length ${len}`);
              break;
            }
            if (caplen > RECORD_MAX_BYTES) {
              this.fail(pos, `${blockTypeName(type)}: caplen ${caplen} exceeds the ${RECORD_MAX_BYTES}-byte limit`);
              break;
            }
          } else {
            const id = type === BT_EPB ? dv.getUint32(p + EPB_IFACE, le) : dv.getUint16(p + PB_IFACE, le);
            ifc = this.sectionIfaces[id];
            if (ifc === undefined) {
              this.fail(
                pos,
                `${blockTypeName(type)} refers to interface ${id}, but the section defines ${this.sectionIfaces.length} interface description block(s)`,
              );
              break;
            }
            caplen = dv.getUint32(p + EPB_CAPLEN, le);
            wirelen = dv.getUint32(p + EPB_ORIGLEN, le);
            if (EPB_MIN_LEN + pad4(caplen) > len) {
              this.fail(pos, `${blockTypeName(type)}: caplen ${caplen} does not fit in block total length ${len}`);
              break;
            }
            const bad = blockOptionsProblem(dv, p, type, len, le);
            if (bad !== null) {
              this.fail(pos, bad);
              break;
            }
          }
          if (off + caplen > limit) {
            if (n === 0) this.batchTooSmall(batch, caplen);
            break;
          }
          const b = n * DESC_WORDS;
          desc[b + D_OFFSET] = off;
          desc[b + D_CAPLEN] = caplen;
          desc[b + D_WIRELEN] = wirelen;
          desc[b + D_LINKTYPE] = ifc.linkType;
          iface[n] = ifc.index;
          let dataAt: number;
          if (type === BT_SPB) {
            desc[b + D_TS_SEC] = this.lastSec;
            desc[b + D_TS_NSEC] = this.lastNsec;
            ifc.clock.toUnits(this.lastSec, this.lastNsec, tsHigh, tsLow, n);
            kind[n] = KIND_SPB;
            optOff[n] = 0;
            optLen[n] = 0;
            dataAt = p + SPB_DATA;
          } else {
            const hi = dv.getUint32(p + EPB_TS_HIGH, le);
            const lo = dv.getUint32(p + EPB_TS_LOW, le);
            ifc.clock.normalize(hi, lo, desc, b);
            this.lastSec = desc[b + D_TS_SEC]!;
            this.lastNsec = desc[b + D_TS_NSEC]!;
            tsHigh[n] = hi;
            tsLow[n] = lo;
            kind[n] = type === BT_EPB ? KIND_EPB : KIND_PB;
            dataAt = p + EPB_DATA;
            const optStart = dataAt + pad4(caplen);
            const optEnd = p + len - 4;
            if (optEnd > optStart) {
              const at = batch.reserveMeta(optEnd - optStart);
              batch.meta.set(src.buf.subarray(optStart, optEnd), at);
              optOff[n] = at;
              optLen[n] = optEnd - optStart;
            } else {
              optOff[n] = 0;
              optLen[n] = 0;
            }
          }
          if (this.pendingLen > 0) {
            const at = batch.reserveMeta(this.pendingLen);
            batch.meta.set(this.pending.subarray(0, this.pendingLen), at);
            preOff[n] = at;
            preLen[n] = this.pendingLen;
            this.pendingLen = 0;
          } else {
            preOff[n] = 0;
            preLen[n] = 0;
          }
          src.copyOut(data, off, dataAt, caplen);
          used = off + caplen;
          n++;
        } else {
          if (type === BT_SHB && !this.startSection(pos, p, le)) break;
          // Copied to the output as they are: their options must fit (options.ts).
          const bad = blockOptionsProblem(dv, p, type, len, le);
          if (bad !== null) {
            this.fail(pos, bad);
            break;
          }
          if (type === BT_IDB && !this.readIdb(pos, p, len)) break;
          this.keepBlock(p, len);
        }
        src.start = p + len;
      }
    } finally {
      src.detach();
    }
    batch.bytesUsed = used;
    return n;
  }

  private startSection(pos: number, p: number, le: boolean): boolean {
    const dv = this.src.view;
    const major = dv.getUint16(p + SHB_VERSION_MAJOR, le);
    const minor = dv.getUint16(p + SHB_VERSION_MINOR, le);
    // Versions 1.0 and 1.2 (an old spelling of 1.0), as libpcap and Wireshark accept.
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.fail(pos, `unsupported pcapng version ${major}.${minor} in section header block`);
      return false;
    }
    this.le = le;
    this.section++;
    this.sectionIfaces = [];
    return true;
  }

  private readIdb(pos: number, p: number, len: number): boolean {
    const dv = this.src.view;
    const le = this.le;
    const linkType = dv.getUint16(p + IDB_LINKTYPE, le);
    const snaplen = dv.getUint32(p + IDB_SNAPLEN, le);
    // Options (their lengths checked already: options.ts).
    const { tsresol, tsoffset } = interfaceClockOptions(dv, p, len, le);
    let clock: TsClock;
    try {
      clock = tsresol === TSRESOL_DEFAULT && tsoffset === 0 ? CLOCK_USEC : new TsClock(tsresol, tsoffset);
    } catch (e) {
      this.fail(pos, `interface description block: ${(e as Error).message} (if_tsresol 0x${tsresol.toString(16)})`);
      return false;
    }
    const ifc: CaptureInterface = {
      index: this.ifaces.length,
      section: this.section,
      localId: this.sectionIfaces.length,
      linkType,
      linkTypeRaw: linkType,
      snaplen,
      clock,
      littleEndian: le,
    };
    this.sectionIfaces.push(ifc);
    this.addInterface(ifc);
    return true;
  }

  private keepBlock(p: number, len: number): void {
    const need = this.pendingLen + len;
    if (need > this.pending.length) {
      let size = this.pending.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.pending.subarray(0, this.pendingLen));
      this.pending = grown;
    }
    this.pending.set(this.src.buf.subarray(p, p + len), this.pendingLen);
    this.pendingLen = need;
  }
}

function minBlockLength(type: number): number {
  switch (type) {
    case BT_SHB: return SHB_MIN_LEN;
    case BT_IDB: return IDB_MIN_LEN;
    case BT_EPB:
    case BT_PB: return EPB_MIN_LEN;
    case BT_SPB: return SPB_MIN_LEN;
    case BT_ISB: return ISB_MIN_LEN;
    default: return BLOCK_OVERHEAD;
  }
}
