// Damage in the capture file itself: every packet before it is delivered first, the next
// readBatch throws CaptureFormatError naming the file and the byte offset of the bad block or
// record, and keeps throwing. Damage inside packets is not a file error (capture-reader tests).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECORD_MAX_BYTES } from '../assembly/abi/layout.js';
import { CaptureFormatError, openCaptureReader } from '../src/capture/reader.js';
import { block, concat, epb, idb, makeBatch, payload, pcapHeader, pcapRecord, readAll, shb, spb, words } from './helpers/capture-builders.js';
import { hasTshark, tsharkRecordsPartial } from './helpers/tshark.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-capture-damage-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
function file(bytes: Uint8Array, ext = 'bin'): string {
  const f = path.join(tmp, `d-${++seq}.${ext}`);
  fs.writeFileSync(f, bytes);
  return f;
}

/** Opening fails at once (no packets can come before this damage). */
function openError(bytes: Uint8Array): CaptureFormatError {
  const f = file(bytes);
  try {
    const r = openCaptureReader(f);
    const n = r.readBatch(makeBatch());
    r.close();
    throw new Error(`expected an error, read ${n} packets`);
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFormatError);
    const err = e as CaptureFormatError;
    expect(err.file).toBe(f);
    expect(err.message).toBe(`${f}: byte ${err.offset}: ${err.reason}`);
    return err;
  }
}

/** Reads to the damage: the packets before it, then the error from the following call. */
function damaged(bytes: Uint8Array, capacity = 64) {
  const f = file(bytes);
  const r = readAll(f, makeBatch(capacity));
  expect(r.error, 'a CaptureFormatError').toBeInstanceOf(CaptureFormatError);
  expect(r.error!.message.startsWith(`${f}: byte ${r.error!.offset}: `)).toBe(true);
  return { ...r, err: r.error!, file: f };
}

const rec = (sec: number, len: number) => pcapRecord({ sec, frac: 0, data: payload(len, sec) });

describe('pcap damage', () => {
  it('bad magic', () => {
    const e = openError(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24));
    expect([e.offset, e.reason]).toEqual([0, 'not a pcap or pcapng file (magic 0x01020304)']);
    expect(e.exitCode).toBe(2);
  });

  it('empty file, gzip file, header cut short, unsupported version', () => {
    expect(openError(new Uint8Array(0)).reason).toBe('empty file, not a pcap or pcapng capture');
    expect(openError(Uint8Array.of(0xd4, 0xc3)).reason).toBe('file too short for a capture header (2 bytes)');
    expect(openError(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0)).reason).toMatch(/gzip-compressed/);
    expect(openError(pcapHeader().subarray(0, 20)).reason).toBe('pcap file header cut short (20 of 24 bytes)');
    const v = openError(pcapHeader({ major: 1, minor: 0 }));
    expect([v.offset, v.reason]).toEqual([4, 'unsupported pcap version 1.0']);
  });

  it('record header cut short at end of file', () => {
    const good = concat(pcapHeader(), rec(1, 100), rec(2, 50));
    const d = damaged(concat(good, rec(3, 10).subarray(0, 10)));
    expect(d.packets.map((p) => p.sec)).toEqual([1, 2]);
    expect(d.batches).toEqual([2]);
    expect(d.err.offset).toBe(good.length);
    expect(d.err.reason).toBe('record header cut short at end of file (10 of 16 bytes)');
  });

  it('record body cut short at end of file (as tshark: "cut short in the middle of a packet")', () => {
    const good = concat(pcapHeader(), rec(1, 100));
    const bytes = concat(good, rec(2, 80).subarray(0, 16 + 30));
    const d = damaged(bytes);
    expect(d.packets.length).toBe(1);
    expect(d.err.offset).toBe(good.length);
    expect(d.err.reason).toBe('record cut short at end of file (caplen 80, 30 bytes of packet data present)');
    if (hasTshark()) {
      const t = tsharkRecordsPartial(file(bytes, 'pcap'), { allowFailure: true });
      expect(t.status).not.toBe(0);
      expect(t.stderr).toMatch(/cut short in the middle of a packet/);
      expect(t.records.length).toBe(1);
    }
  });

  it('caplen above RECORD_MAX_BYTES', () => {
    const good = concat(pcapHeader(), rec(1, 10), rec(2, 10));
    const huge = pcapRecord({ sec: 3, frac: 0, data: payload(4), caplen: RECORD_MAX_BYTES + 1 });
    const d = damaged(concat(good, huge, rec(4, 10)));
    expect(d.packets.length).toBe(2);
    expect(d.err.offset).toBe(good.length);
    expect(d.err.reason).toBe(`record caplen ${RECORD_MAX_BYTES + 1} exceeds the ${RECORD_MAX_BYTES}-byte limit`);
  });

  it('packets before the damage come first even across several batches; the error is sticky', () => {
    const good = concat(pcapHeader(), ...[1, 2, 3, 4, 5].map((s) => rec(s, 20)));
    const f = file(concat(good, Uint8Array.of(1, 2, 3)));
    const reader = openCaptureReader(f);
    const batch = makeBatch(2);
    expect(reader.readBatch(batch)).toBe(2);
    expect(reader.readBatch(batch)).toBe(2);
    expect(reader.readBatch(batch)).toBe(1);
    let first: unknown;
    try {
      reader.readBatch(batch);
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(CaptureFormatError);
    expect((first as CaptureFormatError).offset).toBe(good.length);
    expect(() => reader.readBatch(batch)).toThrow(first as Error);
    reader.close();
  });

  it('damage right after a full batch: the next call throws with no packet', () => {
    const good = concat(pcapHeader(), rec(1, 20), rec(2, 20));
    const d = damaged(concat(good, Uint8Array.of(9)), 2);
    expect(d.batches).toEqual([2]);
    expect(d.err.offset).toBe(good.length);
  });
});

describe('pcapng damage', () => {
  const le = true;
  const head = concat(shb(le), idb(le));
  const pkt = (t: bigint, n = 20) => epb(le, { ts: t, data: payload(n, Number(t)) });

  it('bad byte-order magic', () => {
    const bad = Uint8Array.from(shb(le));
    bad.set([1, 2, 3, 4], 8);
    const e = openError(bad);
    expect([e.offset, e.reason]).toEqual([0, 'bad byte-order magic 0x01020304 in section header block']);
  });

  it('block header cut short at end of file', () => {
    const good = concat(head, pkt(1n));
    const d = damaged(concat(good, Uint8Array.of(6, 0, 0, 0, 40)));
    expect(d.packets.length).toBe(1);
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'block header cut short at end of file (5 of 8 bytes)']);
  });

  it('block cut short at end of file', () => {
    const good = concat(head, pkt(1n), pkt(2n));
    const d = damaged(concat(good, pkt(3n, 100).subarray(0, 60)));
    expect(d.packets.length).toBe(2);
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'enhanced packet block cut short at end of file (total length 132, 60 bytes present)']);
  });

  it('block total length mismatch (start vs end)', () => {
    const good = concat(head, pkt(1n));
    const bad = block(le, 4, new Uint8Array(8), { tail: 24 });
    const d = damaged(concat(good, bad, pkt(2n)));
    expect(d.packets.length).toBe(1);
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'name resolution block: block total length 20 at the start but 24 at the end']);
  });

  it('block total length not a multiple of 4, or below the minimum', () => {
    const d1 = damaged(concat(head, pkt(1n), block(le, 4, new Uint8Array(8), { head: 22 })));
    expect(d1.err.reason).toBe('name resolution block: block total length 22 is not a multiple of 4');
    const d2 = damaged(concat(head, pkt(1n), words(le, 6, 16, 0, 16)));
    expect(d2.err.reason).toBe('enhanced packet block: block total length 16 is below the minimum of 32');
  });

  it('EPB caplen larger than its block', () => {
    const good = concat(head, pkt(1n));
    const bad = epb(le, { ts: 2n, data: payload(20), caplen: 200 });
    const d = damaged(concat(good, bad));
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'enhanced packet block: caplen 200 does not fit in block total length 52']);
  });

  it('caplen above RECORD_MAX_BYTES', () => {
    const good = concat(head, pkt(1n));
    const d = damaged(concat(good, epb(le, { ts: 2n, data: payload(20), caplen: RECORD_MAX_BYTES + 4 })));
    expect([d.err.offset, d.err.reason]).toEqual([good.length, `enhanced packet block: caplen ${RECORD_MAX_BYTES + 4} exceeds the ${RECORD_MAX_BYTES}-byte limit`]);
  });

  it('huge block length', () => {
    const good = concat(head, pkt(1n));
    const d = damaged(concat(good, words(le, 4, 0x7ffffff0, 0, 0)));
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'name resolution block: block total length 2147483632 exceeds the 16777216-byte limit']);
  });

  it('interface ID not defined by an IDB (and per section)', () => {
    const good = concat(head, pkt(1n));
    const d = damaged(concat(good, epb(le, { iface: 1, ts: 2n, data: payload(8) })));
    expect([d.err.offset, d.err.reason]).toEqual([
      good.length,
      'enhanced packet block refers to interface 1, but the section defines 1 interface description block(s)',
    ]);
    // A new section forgets the previous section's interfaces.
    const good2 = concat(head, pkt(1n), shb(false));
    const d2 = damaged(concat(good2, epb(false, { iface: 0, ts: 2n, data: payload(8) })));
    expect(d2.packets.length).toBe(1);
    expect(d2.err.offset).toBe(good2.length);
    const d3 = damaged(concat(shb(le), spb(le, { data: payload(8) })));
    expect(d3.err.reason).toBe('simple packet block but the section has no interface description block');
  });

  it('unsupported version in a later section: first section delivered, offset of that SHB', () => {
    const good = concat(head, pkt(1n), pkt(2n));
    const d = damaged(concat(good, shb(le, { major: 2, minor: 0 }), idb(le), pkt(3n)));
    expect(d.packets.map((p) => p.nsec)).toEqual([1000, 2000]);
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'unsupported pcapng version 2.0 in section header block']);
    // Version 1.2 is an accepted spelling of 1.0.
    const ok = readAll(file(concat(shb(le, { major: 1, minor: 2 }), idb(le), pkt(1n))));
    expect(ok.error).toBeUndefined();
  });

  it('unsupported version in the first section: no packets, error at once', () => {
    const f = file(concat(shb(le, { major: 3 }), idb(le), pkt(1n)));
    const reader = openCaptureReader(f);
    expect(() => reader.readBatch(makeBatch())).toThrowError(`${f}: byte 0: unsupported pcapng version 3.0 in section header block`);
    reader.close();
  });

  it('SPB whose packet data does not fit its block', () => {
    const good = concat(shb(le), idb(le, { snaplen: 0 }));
    const d = damaged(concat(good, spb(le, { data: payload(8), origlen: 100 })));
    expect([d.err.offset, d.err.reason]).toEqual([good.length, 'simple packet block: 100 bytes of packet data do not fit in block total length 24']);
  });
});
