import { BATCH_MAX_PACKETS, D_CAPLEN, D_OFFSET, DESC_WORDS } from '../../assembly/abi/layout.js';

/** How packet i was stored in the input file (CaptureBatch.kind). */
export const KIND_PCAP = 0; // pcap record
export const KIND_EPB = 1; // pcapng Enhanced Packet Block
export const KIND_SPB = 2; // pcapng Simple Packet Block (no timestamp, interface 0)
export const KIND_PB = 3; // pcapng obsolete Packet Block

const META_INITIAL_BYTES = 64 * 1024;

/**
 * One batch of packets, shared by the reader (fills it), the core (reads `data`/`desc`, rewrites
 * packet bytes in place) and the writer (reads it back). The replay pipeline creates one batch
 * over views of WASM memory and reuses it for every batch; tests build one over plain arrays.
 *
 * Per packet i the reader fills the descriptor IN words (offset, caplen, wire length, link type,
 * normalised timestamp) and the JS-side metadata below, all in typed arrays sized to `capacity`:
 * nothing is allocated per packet.
 */
export class CaptureBatch {
  /** Packet bytes (the WASM input region); packet i starts at desc[i*DESC_WORDS + D_OFFSET]. */
  readonly data: Uint8Array;
  /** Descriptor table, DESC_WORDS u32 words per packet. */
  readonly desc: Uint32Array;
  /** Most packets this batch holds. */
  readonly capacity: number;
  /** Packets placed, at indexes 0..count-1. */
  count = 0;
  /** Bytes of `data` in use (end of the last packet). */
  bytesUsed = 0;
  /** Fill number, unique per reader and increasing: set by the reader at each readBatch. */
  seq = 0;

  /**
   * Raw timestamp words exactly as in the file: pcap ts_sec / ts_usec-or-nsec (even when the
   * fraction is out of range); pcapng Timestamp (High) / (Low) in the interface's units. For an
   * SPB (which has none) the previous packet's timestamp expressed in interface 0's units.
   */
  readonly tsHigh: Uint32Array;
  readonly tsLow: Uint32Array;
  /** Reader-wide interface index (see CaptureReader.interfaces()); 0 for pcap. */
  readonly iface: Uint32Array;
  /** KIND_PCAP, KIND_EPB, KIND_SPB or KIND_PB. */
  readonly kind: Uint8Array;
  /** The record's pcapng options bytes, copied into `meta` (length 0 when none). */
  readonly optOff: Uint32Array;
  readonly optLen: Uint32Array;
  /**
   * Raw non-packet blocks (SHB, IDB, NRB, ISB, DSB, custom, unknown) that came right before
   * packet i in the file, concatenated in file order in `meta`, each in its section's byte order.
   */
  readonly preOff: Uint32Array;
  readonly preLen: Uint32Array;

  /** Side buffer holding options and non-packet blocks; grows when needed. */
  meta: Uint8Array;
  /** Bytes of `meta` in use. */
  metaUsed = 0;

  constructor(data: Uint8Array, desc: Uint32Array, capacity?: number) {
    const fits = Math.floor(desc.length / DESC_WORDS);
    const cap = capacity ?? Math.min(fits, BATCH_MAX_PACKETS);
    if (!Number.isInteger(cap) || cap < 1 || cap > fits) {
      throw new RangeError(`CaptureBatch: capacity ${cap} does not fit a descriptor table of ${desc.length} words`);
    }
    this.data = data;
    this.desc = desc;
    this.capacity = cap;
    this.tsHigh = new Uint32Array(cap);
    this.tsLow = new Uint32Array(cap);
    this.iface = new Uint32Array(cap);
    this.kind = new Uint8Array(cap);
    this.optOff = new Uint32Array(cap);
    this.optLen = new Uint32Array(cap);
    this.preOff = new Uint32Array(cap);
    this.preLen = new Uint32Array(cap);
    this.meta = new Uint8Array(META_INITIAL_BYTES);
  }

  /** Empties the batch before a fill (the reader calls it). */
  reset(seq: number): void {
    this.count = 0;
    this.bytesUsed = 0;
    this.metaUsed = 0;
    this.seq = seq;
  }

  /** Reserves n bytes in `meta` and returns their offset (grows `meta`, keeping its contents). */
  reserveMeta(n: number): number {
    const off = this.metaUsed;
    const need = off + n;
    if (need > this.meta.length) {
      let size = this.meta.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.meta.subarray(0, off));
      this.meta = grown;
    }
    this.metaUsed = need;
    return off;
  }

  /** Packet i's bytes as a view (allocates a view: for tests and tools, not the per-packet path). */
  packet(i: number): Uint8Array {
    const b = i * DESC_WORDS;
    const off = this.desc[b + D_OFFSET]!;
    return this.data.subarray(off, off + this.desc[b + D_CAPLEN]!);
  }
}
