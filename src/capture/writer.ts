import { D_CAPLEN, D_LINKTYPE, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_WORDS } from '../../assembly/abi/layout.js';
import { CaptureBatch, KIND_SPB } from './batch.js';
import {
  BLOCK_LEN,
  BT_CB_COPY,
  BT_DSB,
  BT_EPB,
  BT_IDB,
  BT_ISB,
  BT_NRB,
  BT_SHB,
  BT_SJE,
  BT_SPB,
  BYTE_ORDER_MAGIC,
  EPB_CAPLEN,
  EPB_DATA,
  EPB_IFACE,
  EPB_MIN_LEN,
  EPB_ORIGLEN,
  EPB_TS_HIGH,
  EPB_TS_LOW,
  IDB_LINKTYPE,
  IDB_OPTIONS,
  IDB_SNAPLEN,
  ISB_IFACE,
  LINKTYPE_FCS_PRESENT,
  LINKTYPE_FCS_SHIFT,
  LINKTYPE_MASK,
  MAX_SNAPLEN,
  OPT_IF_FCSLEN,
  OPT_IF_TSRESOL,
  OPT_SHB_USERAPPL,
  pad4,
  PCAP_HDR_LEN,
  PCAP_HDR_LINKTYPE,
  PCAP_HDR_MAGIC,
  PCAP_HDR_SNAPLEN,
  PCAP_HDR_VERSION_MAJOR,
  PCAP_HDR_VERSION_MINOR,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_REC_CAPLEN,
  PCAP_REC_LEN,
  PCAP_REC_ORIGLEN,
  PCAP_REC_TS_FRAC,
  PCAP_REC_TS_SEC,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  SHB_BOM,
  SHB_OPTIONS,
  SHB_SECTION_LEN,
  SHB_VERSION_MAJOR,
  SHB_VERSION_MINOR,
  SPB_DATA,
  SPB_MIN_LEN,
  SPB_ORIGLEN,
} from './format.js';
import { sectionHeaderBlock } from './headers.js';
import { writeFdFully } from './io.js';
import { OutputFile } from './output-file.js';
import type { CaptureInterface, CaptureReader } from './reader.js';
import { mul64, TsClock, U64 } from './timestamp.js';

/** Output is buffered and written in chunks of this size. */
export const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

export interface CaptureWriterOptions {
  /** Output format; default: from a .pcap/.pcapng extension, else the input's format. */
  format?: 'pcap' | 'pcapng';
}

export interface CaptureWriter {
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  /**
   * Writes packet i of the batch with its (possibly rewritten) bytes, same caplen: timestamp,
   * interface, lengths and options as read. In pcapng, the non-packet blocks that preceded it
   * in the input (and those of dropped packets before it) are written first.
   */
  writePacket(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, length: number): void;
  /**
   * Writes a packet the core generated about packet i (a reject): packet i's timestamp and
   * interface, caplen = original length = length. Call it right after packet i.
   */
  writeDerived(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, length: number): void;
  /** Writes what remains (trailing blocks, a header for an empty capture), flushes and puts the file in place. */
  close(): void;
  /** Discards the output: nothing is left under its name (standard output: buffered bytes are dropped). */
  abort(): void;
  /** Packets written (including derived ones). */
  readonly packetsWritten: number;
  /** Bytes written to the file so far (including buffered bytes). */
  readonly bytesWritten: number;
  /** pcapng input blocks not copied: do-not-copy custom blocks, unknown blocks, dangling ISBs. */
  readonly blocksSkipped: number;
}

/**
 * Opens a capture writer on `path` ('-' = standard output) for packets read by `source`.
 * Open it before the second readBatch: it follows the source's non-packet blocks from there.
 *
 * pcap → pcap is byte-identical for unchanged packets; pcapng → pcapng keeps sections, IDBs
 * (with options), EPB timestamps, interfaces and options, SPBs, and copies the blocks that stay
 * valid; pcap → pcapng writes one SHB + IDB; pcapng → pcap needs one link type and one timestamp
 * resolution across all packets, and throws (naming the output) at the first packet that differs.
 */
export function openCaptureWriter(path: string, source: CaptureReader, opts?: CaptureWriterOptions): CaptureWriter {
  const format = opts?.format ?? formatFromPath(path) ?? source.format;
  return new Writer(path, source, format);
}

/** 'pcap' or 'pcapng' from a file name's extension, if it has one of those. */
export function formatFromPath(path: string): 'pcap' | 'pcapng' | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.pcapng')) return 'pcapng';
  if (lower.endsWith('.pcap')) return 'pcap';
  return undefined;
}

const MODE_PCAP_PCAP = 0;
const MODE_PCAPNG_PCAPNG = 1;
const MODE_PCAP_PCAPNG = 2;
const MODE_PCAPNG_PCAP = 3;


class Writer implements CaptureWriter {
  readonly format: 'pcap' | 'pcapng';
  packetsWritten = 0;
  blocksSkipped = 0;
  private flushed = 0;
  private readonly name: string;
  private readonly fd: number;
  private readonly output: OutputFile | undefined;
  private out: Buffer;
  private view: DataView;
  private pos = 0;
  private closed = false;
  private readonly mode: number;
  private readonly unsubscribe: (() => void) | undefined;

  // pcap output
  private pcapStarted = false;
  private pcapLe = true;
  private pcapNsec = false;
  private pcapLinkType = 0;
  private pcapClock: TsClock | undefined;

  // pcap → pcapng: the input's clock
  private inClock: TsClock | undefined;

  // pcapng → pcapng: where we are in the input's non-packet blocks
  private cursorSeq = 0;
  private cursorNext = 0;
  private inLe = true;
  private sectionIdbs = 0;
  private wroteShb = false;

  constructor(
    readonly path: string,
    private readonly source: CaptureReader,
    format: 'pcap' | 'pcapng',
  ) {
    this.format = format;
    this.name = path === '-' ? '<stdout>' : path;
    this.mode =
      source.format === 'pcap'
        ? format === 'pcap' ? MODE_PCAP_PCAP : MODE_PCAP_PCAPNG
        : format === 'pcapng' ? MODE_PCAPNG_PCAPNG : MODE_PCAPNG_PCAP;
    this.out = Buffer.allocUnsafeSlow(WRITE_CHUNK_BYTES);
    this.view = new DataView(this.out.buffer, this.out.byteOffset, this.out.length);
    this.output = path === '-' ? undefined : OutputFile.open(path);
    this.fd = this.output?.fd ?? 1;

    if (this.mode === MODE_PCAP_PCAP) {
      const hdr = source.pcapHeader!;
      const ifc = source.interfaces()[0]!;
      this.pcapLe = ifc.littleEndian;
      this.pcapNsec = ifc.clock.unitsPerSec === 1e9;
      this.out.set(hdr, 0);
      this.pos = PCAP_HDR_LEN;
      this.pcapStarted = true;
    } else if (this.mode === MODE_PCAP_PCAPNG) {
      const ifc = source.interfaces()[0]!;
      this.inClock = ifc.clock;
      this.putShb();
      this.putIdb(ifc);
    } else if (this.mode === MODE_PCAPNG_PCAPNG) {
      this.unsubscribe = source.onRefill((b) => this.finishBatch(b));
    }
  }

  get bytesWritten(): number {
    return this.flushed + this.pos;
  }

  writePacket(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, length: number): void {
    if (this.closed) throw new Error(`${this.name}: capture writer is closed`);
    const desc = batch.desc;
    const b = i * DESC_WORDS;
    const caplen = desc[b + D_CAPLEN]!;
    const wirelen = desc[b + D_WIRELEN]!;
    // Lengths follow the bytes; the part cut off by the snaplen stays what it was.
    const origlen = length === caplen ? wirelen : Math.max(length, wirelen - caplen + length);
    switch (this.mode) {
      case MODE_PCAP_PCAP:
        this.putPcapRecord(batch.tsHigh[i]!, batch.tsLow[i]!, bytes, start, length, origlen);
        break;
      case MODE_PCAPNG_PCAP:
        this.putConvertedPcapRecord(batch, i, bytes, start, length, origlen);
        break;
      case MODE_PCAP_PCAPNG:
        this.putEpbFromPcap(batch, i, bytes, start, length, origlen);
        break;
      default: {
        this.syncBlocks(batch, i);
        const ifc = this.source.interfaces()[batch.iface[i]!]!;
        if (batch.kind[i] === KIND_SPB && length === caplen) {
          this.putSpb(ifc.littleEndian, bytes, start, length, origlen);
        } else {
          this.putEpb(
            ifc.littleEndian,
            ifc.localId,
            batch.tsHigh[i]!,
            batch.tsLow[i]!,
            bytes,
            start,
            length,
            origlen,
            batch.meta,
            batch.optOff[i]!,
            batch.optLen[i]!,
          );
        }
      }
    }
    this.packetsWritten++;
  }

  writeDerived(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, length: number): void {
    if (this.closed) throw new Error(`${this.name}: capture writer is closed`);
    switch (this.mode) {
      case MODE_PCAP_PCAP:
        this.putPcapRecord(batch.tsHigh[i]!, batch.tsLow[i]!, bytes, start, length, length);
        break;
      case MODE_PCAPNG_PCAP:
        this.putConvertedPcapRecord(batch, i, bytes, start, length, length);
        break;
      case MODE_PCAP_PCAPNG:
        this.putEpbFromPcap(batch, i, bytes, start, length, length);
        break;
      default: {
        this.syncBlocks(batch, i);
        const ifc = this.source.interfaces()[batch.iface[i]!]!;
        this.putEpb(ifc.littleEndian, ifc.localId, batch.tsHigh[i]!, batch.tsLow[i]!, bytes, start, length, length, batch.meta, 0, 0);
      }
    }
    this.packetsWritten++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.mode === MODE_PCAPNG_PCAPNG) {
        this.unsubscribe?.();
        const last = this.source.lastBatch;
        if (last !== undefined && last.seq >= this.cursorSeq) this.finishBatch(last);
        const pending = this.source.pendingBlocks();
        this.copyBlocks(pending, 0, pending.length);
        if (!this.wroteShb) this.putShb();
      } else if (this.mode === MODE_PCAPNG_PCAP && !this.pcapStarted) {
        const ifc = this.source.interfaces()[0];
        this.startPcap(ifc?.linkType ?? 1, ifc?.clock ?? new TsClock(6));
      }
      this.flush();
    } catch (e) {
      this.output?.abort();
      throw e;
    }
    this.output?.commit();
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.output?.abort();
  }

  // ----- pcap output -------------------------------------------------------------------------

  private putPcapRecord(sec: number, frac: number, bytes: Uint8Array, start: number, caplen: number, origlen: number): void {
    this.room(PCAP_REC_LEN + caplen);
    const v = this.view;
    const p = this.pos;
    const le = this.pcapLe;
    v.setUint32(p + PCAP_REC_TS_SEC, sec, le);
    v.setUint32(p + PCAP_REC_TS_FRAC, frac, le);
    v.setUint32(p + PCAP_REC_CAPLEN, caplen, le);
    v.setUint32(p + PCAP_REC_ORIGLEN, origlen, le);
    this.put(p + PCAP_REC_LEN, bytes, start, caplen);
    this.pos = p + PCAP_REC_LEN + caplen;
  }

  private putConvertedPcapRecord(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, caplen: number, origlen: number): void {
    const b = i * DESC_WORDS;
    const ifc = this.source.interfaces()[batch.iface[i]!]!;
    if (!this.pcapStarted) this.startPcap(ifc.linkType, ifc.clock);
    if (batch.desc[b + D_LINKTYPE] !== this.pcapLinkType) {
      throw new Error(
        `${this.name}: cannot write pcap: packet ${this.source.packetsRead - batch.count + i + 1} has link type ` +
          `${batch.desc[b + D_LINKTYPE]} but earlier packets have link type ${this.pcapLinkType}; write pcapng instead`,
      );
    }
    if (!ifc.clock.sameResolution(this.pcapClock!)) {
      throw new Error(
        `${this.name}: cannot write pcap: packet ${this.source.packetsRead - batch.count + i + 1} has timestamp resolution ` +
          `${resolutionName(ifc.clock)} but earlier packets have ${resolutionName(this.pcapClock!)}; write pcapng instead`,
      );
    }
    const nsec = batch.desc[b + D_TS_NSEC]!;
    this.putPcapRecord(batch.desc[b + D_TS_SEC]!, this.pcapNsec ? nsec : Math.floor(nsec / 1000), bytes, start, caplen, origlen);
  }

  private startPcap(linkType: number, clock: TsClock): void {
    this.pcapStarted = true;
    this.pcapLinkType = linkType;
    this.pcapClock = clock;
    const digits = clock.decimalDigits;
    this.pcapNsec = !(digits >= 0 && digits <= 6);
    let snaplen = 0;
    for (const ifc of this.source.interfaces()) {
      if (ifc.linkType === linkType) snaplen = Math.max(snaplen, ifc.snaplen === 0 ? MAX_SNAPLEN : ifc.snaplen);
    }
    this.room(PCAP_HDR_LEN);
    const v = this.view;
    const p = this.pos;
    v.setUint32(p + PCAP_HDR_MAGIC, this.pcapNsec ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
    v.setUint16(p + PCAP_HDR_VERSION_MAJOR, PCAP_VERSION_MAJOR, true);
    v.setUint16(p + PCAP_HDR_VERSION_MINOR, PCAP_VERSION_MINOR, true);
    v.setUint32(p + 8, 0, true);
    v.setUint32(p + 12, 0, true);
    v.setUint32(p + PCAP_HDR_SNAPLEN, snaplen || MAX_SNAPLEN, true);
    v.setUint32(p + PCAP_HDR_LINKTYPE, linkType, true);
    this.pos = p + PCAP_HDR_LEN;
  }

  // ----- pcapng output -----------------------------------------------------------------------

  private putEpbFromPcap(batch: CaptureBatch, i: number, bytes: Uint8Array, start: number, caplen: number, origlen: number): void {
    mul64(batch.tsHigh[i]!, this.inClock!.unitsPerSec, batch.tsLow[i]!);
    this.putEpb(true, 0, U64[0]!, U64[1]!, bytes, start, caplen, origlen, batch.meta, 0, 0);
  }

  private putEpb(
    le: boolean,
    ifaceId: number,
    tsHigh: number,
    tsLow: number,
    bytes: Uint8Array,
    start: number,
    caplen: number,
    origlen: number,
    opts: Uint8Array,
    optOff: number,
    optLen: number,
  ): void {
    const padded = pad4(caplen);
    const total = EPB_MIN_LEN + padded + optLen;
    this.room(total);
    const v = this.view;
    const p = this.pos;
    v.setUint32(p, BT_EPB, le);
    v.setUint32(p + BLOCK_LEN, total, le);
    v.setUint32(p + EPB_IFACE, ifaceId, le);
    v.setUint32(p + EPB_TS_HIGH, tsHigh, le);
    v.setUint32(p + EPB_TS_LOW, tsLow, le);
    v.setUint32(p + EPB_CAPLEN, caplen, le);
    v.setUint32(p + EPB_ORIGLEN, origlen, le);
    this.put(p + EPB_DATA, bytes, start, caplen);
    let q = p + EPB_DATA + caplen;
    while (q < p + EPB_DATA + padded) this.out[q++] = 0;
    if (optLen > 0) {
      this.out.set(opts.subarray(optOff, optOff + optLen), q);
      q += optLen;
    }
    v.setUint32(q, total, le);
    this.pos = p + total;
  }

  private putSpb(le: boolean, bytes: Uint8Array, start: number, caplen: number, origlen: number): void {
    const padded = pad4(caplen);
    const total = SPB_MIN_LEN + padded;
    this.room(total);
    const v = this.view;
    const p = this.pos;
    v.setUint32(p, BT_SPB, le);
    v.setUint32(p + BLOCK_LEN, total, le);
    v.setUint32(p + SPB_ORIGLEN, origlen, le);
    this.put(p + SPB_DATA, bytes, start, caplen);
    let q = p + SPB_DATA + caplen;
    while (q < p + SPB_DATA + padded) this.out[q++] = 0;
    v.setUint32(q, total, le);
    this.pos = p + total;
  }

  /** Writes sectionHeaderBlock(). */
  private putShb(): void {
    const shb = sectionHeaderBlock();
    this.room(shb.length);
    this.out.set(shb, this.pos);
    this.pos += shb.length;
    this.wroteShb = true;
  }

  /** A little-endian IDB for a pcap file's link type, snaplen and resolution. */
  private putIdb(ifc: CaptureInterface): void {
    const tsresol = Uint8Array.of(ifc.clock.tsresol);
    const raw = ifc.linkTypeRaw;
    const fcs = (raw & LINKTYPE_FCS_PRESENT) !== 0 ? Uint8Array.of(((raw >>> LINKTYPE_FCS_SHIFT) & 0xf) * 16) : undefined;
    const total = IDB_OPTIONS + 8 + (fcs ? 8 : 0) + 4 + 4;
    this.room(total);
    const v = this.view;
    const p = this.pos;
    v.setUint32(p, BT_IDB, true);
    v.setUint32(p + BLOCK_LEN, total, true);
    v.setUint16(p + IDB_LINKTYPE, raw & LINKTYPE_MASK, true);
    v.setUint16(p + IDB_LINKTYPE + 2, 0, true);
    v.setUint32(p + IDB_SNAPLEN, ifc.snaplen, true);
    let q = this.putOption(p + IDB_OPTIONS, OPT_IF_TSRESOL, tsresol, true);
    if (fcs) q = this.putOption(q, OPT_IF_FCSLEN, fcs, true);
    v.setUint32(q, 0, true);
    v.setUint32(q + 4, total, true);
    this.pos = p + total;
  }

  private putOption(q: number, code: number, value: Uint8Array, le: boolean): number {
    this.view.setUint16(q, code, le);
    this.view.setUint16(q + 2, value.length, le);
    this.out.set(value, q + 4);
    const end = q + 4 + pad4(value.length);
    for (let z = q + 4 + value.length; z < end; z++) this.out[z] = 0;
    return end;
  }

  /** Writes the non-packet blocks that came before packets cursor..i of the batch. */
  private syncBlocks(batch: CaptureBatch, i: number): void {
    if (batch.seq !== this.cursorSeq) {
      this.cursorSeq = batch.seq;
      this.cursorNext = 0;
    }
    for (let j = this.cursorNext; j <= i; j++) {
      const len = batch.preLen[j]!;
      if (len > 0) {
        const off = batch.preOff[j]!;
        this.copyBlocks(batch.meta, off, off + len);
      }
    }
    if (i + 1 > this.cursorNext) this.cursorNext = i + 1;
  }

  /** Called before the source refills a batch, and at close: blocks of packets never written. */
  private finishBatch(batch: CaptureBatch): void {
    if (batch.seq < this.cursorSeq || batch.count === 0) return;
    this.syncBlocks(batch, batch.count - 1);
  }

  /** Copies raw input blocks that stay valid in the output; tracks sections and IDBs. */
  private copyBlocks(src: Uint8Array, from: number, to: number): void {
    const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    let q = from;
    while (q + 12 <= to) {
      let type = dv.getUint32(q, this.inLe);
      if (type === BT_SHB) {
        this.inLe = dv.getUint32(q + SHB_BOM, false) !== BYTE_ORDER_MAGIC;
        type = BT_SHB;
      }
      const len = dv.getUint32(q + BLOCK_LEN, this.inLe);
      if (len < 12 || q + len > to) break; // cannot happen: the reader validated every block
      let copy: boolean;
      switch (type) {
        case BT_SHB:
          copy = true;
          break;
        case BT_IDB:
        case BT_NRB:
        case BT_DSB:
        case BT_SJE:
        case BT_CB_COPY:
          copy = true;
          break;
        case BT_ISB:
          copy = dv.getUint32(q + ISB_IFACE, this.inLe) < this.sectionIdbs;
          break;
        default:
          copy = false; // do-not-copy custom blocks, obsolete or unknown blocks
      }
      if (copy) {
        this.room(len);
        this.out.set(src.subarray(q, q + len), this.pos);
        if (type === BT_SHB) {
          // Lengths change when packets are dropped or added: the section length becomes unknown.
          this.out.fill(0xff, this.pos + SHB_SECTION_LEN, this.pos + SHB_SECTION_LEN + 8);
          this.sectionIdbs = 0;
          this.wroteShb = true;
        } else if (type === BT_IDB) {
          this.sectionIdbs++;
        }
        this.pos += len;
      } else {
        this.blocksSkipped++;
      }
      q += len;
    }
  }

  // ----- buffer ------------------------------------------------------------------------------

  private put(at: number, bytes: Uint8Array, start: number, length: number): void {
    this.out.set(bytes.subarray(start, start + length), at);
  }

  /** Makes room for n more bytes, flushing (or growing for an oversized block). */
  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    this.flush();
    if (n > this.out.length) {
      let size = this.out.length * 2;
      while (size < n) size *= 2;
      this.out = Buffer.allocUnsafeSlow(size);
      this.view = new DataView(this.out.buffer, this.out.byteOffset, this.out.length);
    }
  }

  private flush(): void {
    if (this.pos === 0) return;
    writeFdFully(this.fd, this.out, 0, this.pos);
    this.flushed += this.pos;
    this.pos = 0;
  }
}

function resolutionName(c: TsClock): string {
  return c.decimalDigits >= 0 ? `10^-${c.decimalDigits} s` : `2^-${c.tsresol & 0x7f} s`;
}
