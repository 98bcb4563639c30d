// Support for tests (here and in other rooms): read a whole capture into plain objects, and
// build small pcap / pcapng files byte by byte. Allocates per packet: never on the replay path.

import { D_CAPLEN, D_LINKTYPE, D_OFFSET, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_WORDS } from '../../assembly/abi/layout.js';
import { CaptureBatch } from '../../src/capture/batch.js';
import { CaptureFormatError } from '../../src/capture/errors.js';
import { openCaptureReader, type CaptureReader } from '../../src/capture/reader.js';

export interface ReadPacket {
  caplen: number;
  wirelen: number;
  linkType: number;
  sec: number;
  nsec: number;
  epochNs: bigint;
  iface: number;
  kind: number;
  tsHigh: number;
  tsLow: number;
  offset: number;
  bytes: Uint8Array;
}

export interface ReadResult {
  packets: ReadPacket[];
  error: CaptureFormatError | undefined;
  reader: CaptureReader;
  /** Packets returned by each readBatch call. */
  batches: number[];
}

/** A batch over plain arrays. */
export function makeBatch(capacity = 64, dataBytes = 1 << 20): CaptureBatch {
  return new CaptureBatch(new Uint8Array(dataBytes), new Uint32Array(capacity * DESC_WORDS), capacity);
}

/** Copies packet i of a batch into a plain object. */
export function packetOf(batch: CaptureBatch, i: number): ReadPacket {
  const b = i * DESC_WORDS;
  const d = batch.desc;
  const sec = d[b + D_TS_SEC]!;
  const nsec = d[b + D_TS_NSEC]!;
  const off = d[b + D_OFFSET]!;
  return {
    caplen: d[b + D_CAPLEN]!,
    wirelen: d[b + D_WIRELEN]!,
    linkType: d[b + D_LINKTYPE]!,
    sec,
    nsec,
    epochNs: BigInt(sec) * 1_000_000_000n + BigInt(nsec),
    iface: batch.iface[i]!,
    kind: batch.kind[i]!,
    tsHigh: batch.tsHigh[i]!,
    tsLow: batch.tsLow[i]!,
    offset: off,
    bytes: batch.data.slice(off, off + d[b + D_CAPLEN]!),
  };
}

/**
 * Calls `each(n)` with the packet count of every batch `reader` fills, the final 0 included.
 * Returns the CaptureFormatError that ended the read early, if one did (other errors propagate).
 */
export function eachBatch(reader: CaptureReader, batch: CaptureBatch, each: (n: number) => void): CaptureFormatError | undefined {
  for (;;) {
    let n: number;
    try {
      n = reader.readBatch(batch);
    } catch (e) {
      if (e instanceof CaptureFormatError) return e;
      throw e;
    }
    each(n);
    if (n === 0) return undefined;
  }
}

/**
 * Reads a whole capture, batch by batch. A CaptureFormatError ends the read and is returned;
 * it must come from a readBatch call after the one that returned the last packets.
 */
export function readAll(path: string, batch: CaptureBatch = makeBatch()): ReadResult {
  const reader = openCaptureReader(path);
  const packets: ReadPacket[] = [];
  const batches: number[] = [];
  let error: CaptureFormatError | undefined;
  try {
    error = eachBatch(reader, batch, (n) => {
      batches.push(n);
      for (let i = 0; i < n; i++) packets.push(packetOf(batch, i));
    });
  } finally {
    reader.close();
  }
  return { packets, error, reader, batches };
}

// ----- byte builders -------------------------------------------------------------------------

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** u32/u16 words in a byte order; numbers are u32 unless wrapped with u16(). */
export function words(le: boolean, ...vals: (number | { u16: number } | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const v of vals) {
    if (v instanceof Uint8Array) {
      parts.push(v);
    } else if (typeof v === 'number') {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v >>> 0, le);
      parts.push(b);
    } else {
      const b = new Uint8Array(2);
      new DataView(b.buffer).setUint16(0, v.u16, le);
      parts.push(b);
    }
  }
  return concat(...parts);
}

export const u16 = (v: number) => ({ u16: v });

export function pcapHeader(o: { le?: boolean; nsec?: boolean; snaplen?: number; linkType?: number; major?: number; minor?: number } = {}): Uint8Array {
  const le = o.le ?? true;
  return words(le, o.nsec ? 0xa1b23c4d : 0xa1b2c3d4, u16(o.major ?? 2), u16(o.minor ?? 4), 0, 0, o.snaplen ?? 65535, o.linkType ?? 1);
}

export function pcapRecord(o: { le?: boolean; sec: number; frac: number; data: Uint8Array; origlen?: number; caplen?: number }): Uint8Array {
  const le = o.le ?? true;
  return words(le, o.sec, o.frac, o.caplen ?? o.data.length, o.origlen ?? o.data.length, o.data);
}

/** Bytes 0..n-1 + seed, a recognisable payload. */
export function payload(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) & 0xff;
  return b;
}

function pad(b: Uint8Array): Uint8Array {
  const p = (4 - (b.length % 4)) % 4;
  return p ? concat(b, new Uint8Array(p)) : b;
}

/** One pcapng option (code, value) padded to 32 bits. */
export function option(le: boolean, code: number, value: Uint8Array): Uint8Array {
  return concat(words(le, u16(code), u16(value.length)), pad(value));
}

export function endOfOptions(le: boolean): Uint8Array {
  return words(le, u16(0), u16(0));
}

/** A pcapng block: type, total length, body (padded), total length. */
export function block(le: boolean, type: number, body: Uint8Array, lengthOverride?: { head?: number; tail?: number }): Uint8Array {
  const b = pad(body);
  const total = 12 + b.length;
  return concat(words(le, type, lengthOverride?.head ?? total), b, words(le, lengthOverride?.tail ?? total));
}

export function shb(le: boolean, o: { major?: number; minor?: number; options?: Uint8Array } = {}): Uint8Array {
  const body = concat(words(le, 0x1a2b3c4d, u16(o.major ?? 1), u16(o.minor ?? 0), 0xffffffff, 0xffffffff), o.options ?? new Uint8Array(0));
  return block(le, 0x0a0d0d0a, body);
}

export function idb(le: boolean, o: { linkType?: number; snaplen?: number; tsresol?: number; tsoffset?: bigint; options?: Uint8Array } = {}): Uint8Array {
  const opts: Uint8Array[] = [];
  if (o.tsresol !== undefined) opts.push(option(le, 9, Uint8Array.of(o.tsresol)));
  if (o.tsoffset !== undefined) {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigInt64(0, o.tsoffset, le);
    opts.push(option(le, 14, v));
  }
  if (o.options) opts.push(o.options);
  if (opts.length) opts.push(endOfOptions(le));
  return block(le, 1, concat(words(le, u16(o.linkType ?? 1), u16(0), o.snaplen ?? 0), ...opts));
}

export function epb(le: boolean, o: { iface?: number; ts: bigint; data: Uint8Array; origlen?: number; caplen?: number; options?: Uint8Array }): Uint8Array {
  const hi = Number(o.ts >> 32n);
  const lo = Number(o.ts & 0xffffffffn);
  return block(
    le,
    6,
    concat(words(le, o.iface ?? 0, hi, lo, o.caplen ?? o.data.length, o.origlen ?? o.data.length), pad(o.data), o.options ?? new Uint8Array(0)),
  );
}

export function spb(le: boolean, o: { data: Uint8Array; origlen?: number }): Uint8Array {
  return block(le, 3, concat(words(le, o.origlen ?? o.data.length), pad(o.data)));
}

export function pb(le: boolean, o: { iface?: number; drops?: number; ts: bigint; data: Uint8Array; origlen?: number; options?: Uint8Array }): Uint8Array {
  const hi = Number(o.ts >> 32n);
  const lo = Number(o.ts & 0xffffffffn);
  return block(
    le,
    2,
    concat(
      words(le, u16(o.iface ?? 0), u16(o.drops ?? 0), hi, lo, o.data.length, o.origlen ?? o.data.length),
      pad(o.data),
      o.options ?? new Uint8Array(0),
    ),
  );
}
