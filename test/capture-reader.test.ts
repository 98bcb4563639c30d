// The reader on hand-written byte vectors: pcap in both byte orders and both resolutions,
// pcapng sections, interfaces, clocks (10^-n, 2^-n, offsets), SPB / PB, options, non-packet
// blocks, batch limits, pipes; and the timestamp arithmetic against BigInt.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { D_TS_NSEC, D_TS_SEC, DESC_WORDS } from '../assembly/abi/layout.js';
import { KIND_EPB, KIND_PB, KIND_PCAP, KIND_SPB } from '../src/capture/batch.js';
import { linkTypeDescription, linkTypeFromName, linkTypeName } from '../src/capture/linktypes.js';
import { openCaptureReader } from '../src/capture/reader.js';
import {
  block,
  concat,
  endOfOptions,
  epb,
  idb,
  makeBatch,
  option,
  payload,
  pb,
  pcapHeader,
  pcapRecord,
  readAll,
  shb,
  spb,
} from './helpers/capture-builders.js';
import { mul64, TsClock, U64 } from '../src/capture/timestamp.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-capture-reader-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
function file(bytes: Uint8Array): string {
  const f = path.join(tmp, `f-${++seq}.bin`);
  fs.writeFileSync(f, bytes);
  return f;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pcap byte vectors', () => {
  for (const le of [true, false]) {
    for (const nsec of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian, ${nsec ? 'nanosecond' : 'microsecond'} magic`, () => {
        const hdr = pcapHeader({ le, nsec, snaplen: 1500, linkType: 113 });
        // The magic is written in the file's byte order.
        expect(hex(hdr.subarray(0, 4))).toBe(
          { 'true,false': 'd4c3b2a1', 'true,true': '4d3cb2a1', 'false,false': 'a1b2c3d4', 'false,true': 'a1b23c4d' }[`${le},${nsec}`],
        );
        const f = file(
          concat(
            hdr,
            pcapRecord({ le, sec: 1_700_000_000, frac: nsec ? 123_456_789 : 123_456, data: payload(42, 1), origlen: 60 }),
            pcapRecord({ le, sec: 0xffffffff, frac: nsec ? 999_999_999 : 999_999, data: payload(7, 2) }),
          ),
        );
        const r = readAll(f);
        expect(r.error).toBeUndefined();
        expect(r.reader.format).toBe('pcap');
        expect(r.reader.linkTypes()).toEqual([113]);
        expect(r.reader.bytesRead).toBe(24 + 16 + 42 + 16 + 7);
        expect(r.reader.fileSize).toBe(r.reader.bytesRead);
        expect(r.reader.interfaces()[0]).toMatchObject({ snaplen: 1500, littleEndian: le, linkTypeRaw: 113 });
        expect(r.packets.map((p) => [p.kind, p.caplen, p.wirelen, p.linkType, p.sec, p.nsec, p.tsHigh, p.tsLow, p.offset])).toEqual([
          [KIND_PCAP, 42, 60, 113, 1_700_000_000, 123_456_789 - (nsec ? 0 : 789), 1_700_000_000, nsec ? 123_456_789 : 123_456, 0],
          [KIND_PCAP, 7, 7, 113, 0xffffffff, 999_999_999 - (nsec ? 0 : 999), 0xffffffff, nsec ? 999_999_999 : 999_999, 48],
        ]);
        expect(hex(r.packets[0]!.bytes)).toBe(hex(payload(42, 1)));
        expect(hex(r.packets[1]!.bytes)).toBe(hex(payload(7, 2)));
      });
    }
  }

  it('fractions out of range carry into seconds (usec and nsec); raw fields kept', () => {
    const f = file(concat(pcapHeader(), pcapRecord({ sec: 10, frac: 2_500_000, data: payload(4) })));
    expect(readAll(f).packets.map((p) => [p.sec, p.nsec, p.tsHigh, p.tsLow])).toEqual([[12, 500_000_000, 10, 2_500_000]]);
    const g = file(concat(pcapHeader({ nsec: true }), pcapRecord({ sec: 10, frac: 4_294_967_295, data: payload(4) })));
    expect(readAll(g).packets.map((p) => [p.sec, p.nsec])).toEqual([[14, 294_967_295]]);
  });

  it('damage inside packets is not an error: caplen > snaplen, caplen > origlen, link type flag bits', () => {
    const f = file(
      concat(
        pcapHeader({ snaplen: 16, linkType: 0x30000065 }),
        pcapRecord({ sec: 1, frac: 0, data: payload(40), origlen: 262144 }),
        pcapRecord({ sec: 1, frac: 0, data: payload(40), origlen: 10 }),
        pcapRecord({ sec: 1, frac: 0, data: new Uint8Array(0), origlen: 0 }),
      ),
    );
    const r = readAll(f);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => [p.caplen, p.wirelen, p.linkType])).toEqual([
      [40, 262144, 101],
      [40, 10, 101],
      [0, 0, 101],
    ]);
    expect(r.reader.interfaces()[0]!.linkTypeRaw).toBe(0x30000065);
  });
});

describe('pcapng byte vectors', () => {
  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian section: SHB, IDB, EPB with options`, () => {
      const opts = concat(option(le, 1, new TextEncoder().encode('a comment')), option(le, 2, Uint8Array.of(0, 0, 0, 1)), endOfOptions(le));
      const bytes = concat(
        shb(le),
        idb(le, { linkType: 1, snaplen: 65535 }),
        epb(le, { ts: 1_700_000_000_123_456n, data: payload(61, 3), origlen: 1514, options: opts }),
      );
      // The block type of the SHB reads the same in both orders; the byte-order magic does not.
      expect(hex(bytes.subarray(0, 4))).toBe('0a0d0d0a');
      expect(hex(bytes.subarray(8, 12))).toBe(le ? '4d3c2b1a' : '1a2b3c4d');
      const batch = makeBatch(8);
      const reader = openCaptureReader(file(bytes));
      expect(reader.format).toBe('pcapng');
      expect(reader.readBatch(batch)).toBe(1);
      const b = 0;
      expect([batch.desc[b + D_TS_SEC], batch.desc[b + D_TS_NSEC]]).toEqual([1_700_000_000, 123_456_000]);
      expect(batch.kind[0]).toBe(KIND_EPB);
      expect(batch.tsHigh[0]! * 2 ** 32 + batch.tsLow[0]!).toBe(1_700_000_000_123_456);
      expect(hex(batch.meta.subarray(batch.optOff[0]!, batch.optOff[0]! + batch.optLen[0]!))).toBe(hex(opts));
      // The SHB and IDB came before packet 0: kept raw for the writer.
      expect(hex(batch.meta.subarray(batch.preOff[0]!, batch.preOff[0]! + batch.preLen[0]!))).toBe(
        hex(concat(shb(le), idb(le, { linkType: 1, snaplen: 65535 }))),
      );
      expect(hex(batch.packet(0))).toBe(hex(payload(61, 3)));
      expect(reader.readBatch(batch)).toBe(0);
      expect(reader.bytesRead).toBe(bytes.length);
      reader.close();
    });
  }

  it('if_tsresol 2^-8, 10^-3, 10^-9, 2^-30, 10^-12 and if_tsoffset', () => {
    const le = true;
    const f = file(
      concat(
        shb(le),
        idb(le, { tsresol: 0x88 }),
        idb(le, { tsresol: 3 }),
        idb(le, { tsresol: 9, tsoffset: -100n }),
        idb(le, { tsresol: 0x80 | 30 }),
        idb(le, { tsresol: 12, tsoffset: 3600n }),
        epb(le, { iface: 0, ts: 1000n * 256n + 128n + 1n, data: payload(4) }),
        epb(le, { iface: 1, ts: 1_519_128_000_195n, data: payload(4) }),
        epb(le, { iface: 2, ts: 1_519_128_000_195_312_500n, data: payload(4) }),
        epb(le, { iface: 3, ts: (5n << 30n) + (1n << 29n) + 1n, data: payload(4) }),
        epb(le, { iface: 4, ts: 1_000_000_000_000n * 7n + 999_999_999_999n, data: payload(4) }),
      ),
    );
    const r = readAll(f);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => [p.iface, p.sec, p.nsec])).toEqual([
      [0, 1000, 503_906_250], // 128/256 + 1/256 s
      [1, 1_519_128_000, 195_000_000],
      [2, 1_519_127_900, 195_312_500],
      [3, 5, 500_000_000], // 2^29 + 1 units of 2^-30 s, truncated to the ns
      [4, 3607, 999_999_999],
    ]);
    expect(r.reader.interfaces().map((i) => i.clock.tsresol)).toEqual([0x88, 3, 9, 0x9e, 12]);
  });

  it('several sections of different byte order; interface IDs are per section', () => {
    const f = file(
      concat(
        shb(true),
        idb(true, { linkType: 1 }),
        idb(true, { linkType: 113 }),
        epb(true, { iface: 1, ts: 1n, data: payload(10) }),
        shb(false),
        idb(false, { linkType: 101 }),
        epb(false, { iface: 0, ts: 2n, data: payload(11) }),
        shb(true),
        idb(true, { linkType: 1 }),
        epb(true, { iface: 0, ts: 3n, data: payload(12) }),
      ),
    );
    const r = readAll(f, makeBatch(2));
    expect(r.error).toBeUndefined();
    expect(r.batches).toEqual([2, 1, 0]);
    expect(r.packets.map((p) => [p.iface, p.linkType, p.caplen, p.nsec])).toEqual([
      [1, 113, 10, 1000],
      [2, 101, 11, 2000],
      [3, 1, 12, 3000],
    ]);
    expect(r.reader.interfaces().map((i) => [i.section, i.localId, i.littleEndian])).toEqual([
      [0, 0, true],
      [0, 1, true],
      [1, 0, false],
      [2, 0, true],
    ]);
    expect(r.reader.linkTypes()).toEqual([1, 113, 101]);
  });

  it('SPB: caplen = min(original length, snaplen); the previous packet time (0 before any)', () => {
    const le = false;
    const f = file(
      concat(
        shb(le),
        idb(le, { snaplen: 32, tsresol: 9 }),
        spb(le, { data: payload(20), origlen: 20 }),
        epb(le, { ts: 5_000_000_007n, data: payload(8) }),
        spb(le, { data: payload(32), origlen: 1500 }),
      ),
    );
    const r = readAll(f);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => [p.kind, p.caplen, p.wirelen, p.sec, p.nsec, p.tsHigh, p.tsLow])).toEqual([
      [KIND_SPB, 20, 20, 0, 0, 0, 0],
      [KIND_EPB, 8, 8, 5, 7, 1, 705_032_711],
      [KIND_SPB, 32, 1500, 5, 7, 1, 705_032_711],
    ]);
  });

  it('obsolete Packet Block is read as a packet', () => {
    const le = true;
    const f = file(concat(shb(le), idb(le), idb(le, { linkType: 228 }), pb(le, { iface: 1, drops: 3, ts: 1_000_001n, data: payload(9) })));
    const r = readAll(f);
    expect(r.packets.map((p) => [p.kind, p.iface, p.linkType, p.sec, p.nsec])).toEqual([[KIND_PB, 1, 228, 1, 1000]]);
  });

  it('non-packet blocks are skipped for the core and kept before the next packet', () => {
    const le = true;
    const nrb = block(le, 4, new Uint8Array(4));
    const isb = block(le, 5, new Uint8Array(12));
    const custom = block(le, 0x40000bad, Uint8Array.of(0, 0, 0x7e, 0xd9, 1, 2, 3, 4));
    const unknown = block(le, 0x80000001, new Uint8Array(8));
    const f = file(concat(shb(le), idb(le), epb(le, { ts: 1n, data: payload(4) }), nrb, isb, epb(le, { ts: 2n, data: payload(4) }), custom, unknown));
    const reader = openCaptureReader(f);
    const batch = makeBatch(8);
    expect(reader.readBatch(batch)).toBe(2);
    expect(hex(batch.meta.subarray(batch.preOff[1]!, batch.preOff[1]! + batch.preLen[1]!))).toBe(hex(concat(nrb, isb)));
    // After the last packet: pending, for the writer's close().
    expect(hex(reader.pendingBlocks())).toBe(hex(concat(custom, unknown)));
    expect(reader.readBatch(batch)).toBe(0);
    reader.close();
  });

  it('unknown IDB options are ignored; an option running past the block is damage (tshark rejects it too)', () => {
    const le = true;
    const unknown = option(le, 300, Uint8Array.of(1, 2, 3));
    const ok = readAll(file(concat(shb(le), idb(le, { options: unknown }), epb(le, { ts: 3_000_001n, data: payload(4) }))));
    expect(ok.error).toBeUndefined();
    expect(ok.packets.map((p) => [p.sec, p.nsec])).toEqual([[3, 1000]]);
    // if_tsresol (code 9) of length 200 where 4 bytes are left: the IDB, at byte 28, is refused.
    const bad = concat(option(le, 2, Uint8Array.of(101, 116, 104)), Uint8Array.of(9, 0, 200, 0));
    const r = readAll(file(concat(shb(le), idb(le, { options: bad }), epb(le, { ts: 3_000_001n, data: payload(4) }))));
    expect(r.packets).toEqual([]);
    expect(r.error?.offset).toBe(28);
    expect(r.error?.message).toContain('byte 28: interface description block: option if_tsresol (code 9) length 200 overruns the block');
  });
});

describe('batches', () => {
  /** n records of len bytes, record i at second i with payload(len, i). */
  const pkts = (n: number, len: number): Uint8Array => {
    const out = Buffer.alloc(24 + n * (16 + len));
    out.set(pcapHeader(), 0);
    for (let i = 0, o = 24; i < n; i++, o += 16 + len) out.set(pcapRecord({ sec: i, frac: 0, data: payload(len, i) }), o);
    return out;
  };

  it('end at capacity; offsets are 8-byte aligned', () => {
    const r = readAll(file(pkts(10, 13)), makeBatch(4));
    expect(r.batches).toEqual([4, 4, 2, 0]);
    expect(r.packets.slice(0, 4).map((p) => p.offset)).toEqual([0, 16, 32, 48]);
    expect(r.packets.map((p) => p.sec)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('end when the next packet would pass the data size', () => {
    const r = readAll(file(pkts(7, 60)), makeBatch(100, 200));
    expect(r.batches).toEqual([3, 3, 1, 0]);
    expect(r.packets.slice(0, 3).map((p) => p.offset)).toEqual([0, 64, 128]);
    expect(hex(r.packets[6]!.bytes)).toBe(hex(payload(60, 6)));
  });

  it('a record larger than the batch data is a usage error, not damage', () => {
    expect(() => readAll(file(pkts(1, 300)), makeBatch(4, 200))).toThrowError(RangeError);
  });

  it('reads records larger than the read chunk and many chunks', () => {
    const big = concat(pcapHeader({ snaplen: 0 }), pcapRecord({ sec: 1, frac: 0, data: payload(1_048_576, 5) }), pcapRecord({ sec: 2, frac: 0, data: payload(3) }));
    const r = readAll(file(big), makeBatch(4, 8 << 20));
    expect(r.packets.map((p) => p.caplen)).toEqual([1_048_576, 3]);
    expect(hex(r.packets[0]!.bytes.subarray(1_048_000))).toBe(hex(payload(1_048_576, 5).subarray(1_048_000)));
    const many = readAll(file(pkts(20_000, 150)), makeBatch(4096, 8 << 20));
    expect(many.packets.length).toBe(20_000);
    expect(many.packets[19_999]!.sec).toBe(19_999);
    expect(hex(many.packets[12_345]!.bytes)).toBe(hex(payload(150, 12_345)));
  });

  it('reading into batch data and into the own buffer give the same packets', () => {
    // 1 MiB of data per batch: packets are read straight into it and the batch ends on bytes;
    // 64 KiB: the unread bytes never fit in half of it, so the reader's own buffer is used.
    const f = file(pkts(3000, 1000));
    const inData = readAll(f, makeBatch(4096, 1 << 20));
    const inOwn = readAll(f, makeBatch(4096, 64 << 10));
    expect(inData.batches.length).toBeGreaterThan(3);
    expect(inData.batches.slice(0, -2).every((n) => n === inData.batches[0])).toBe(true);
    expect(inData.packets.length).toBe(3000);
    expect(inData.packets.map((p) => [p.sec, hex(p.bytes)])).toEqual(inOwn.packets.map((p) => [p.sec, hex(p.bytes)]));
  });

  it('a non-packet block larger than the batch data is read in the own buffer', () => {
    const le = true;
    const big = block(le, 4, new Uint8Array(5 << 20));
    const f = file(
      concat(shb(le), idb(le), epb(le, { ts: 1n, data: payload(100, 1) }), epb(le, { ts: 2n, data: payload(100, 2) }), big, epb(le, { ts: 3n, data: payload(100, 3) })),
    );
    const batch = makeBatch(4096, 4 << 20);
    const reader = openCaptureReader(f);
    expect(reader.readBatch(batch)).toBe(2);
    expect(reader.readBatch(batch)).toBe(1);
    expect(batch.preLen[0]).toBe(big.length);
    expect(hex(batch.packet(0))).toBe(hex(payload(100, 3)));
    expect(reader.readBatch(batch)).toBe(0);
    reader.close();
  });

  it('reads from a pipe (as standard input): no file size, same packets', async () => {
    const fifo = path.join(tmp, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return;
    const src = file(pkts(3000, 200));
    const cat = spawn('sh', ['-c', `cat "${src}" > "${fifo}"`]);
    const r = readAll(fifo, makeBatch(256, 1 << 20));
    await new Promise((res) => cat.on('exit', res));
    expect(r.reader.fileSize).toBeUndefined();
    expect(r.packets.length).toBe(3000);
    expect(r.packets[2999]!.sec).toBe(2999);
  });

  it('memory stays flat: the batch and the read window are reused', () => {
    const f = file(pkts(200_000, 100));
    const batch = makeBatch(4096, 8 << 20);
    const reader = openCaptureReader(f);
    let n = 0;
    let heapAfterFirst = 0;
    for (let k; (k = reader.readBatch(batch)) > 0; ) {
      n += k;
      if (heapAfterFirst === 0) heapAfterFirst = process.memoryUsage().heapUsed;
    }
    reader.close();
    expect(n).toBe(200_000);
    // Generous bound: short-lived copy views may not have been collected yet.
    expect(process.memoryUsage().heapUsed - heapAfterFirst).toBeLessThan(32 << 20);
  });
});

describe('timestamp arithmetic against BigInt', () => {
  let s = 12345;
  const rnd32 = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s;
  };
  const clocks = [6, 9, 3, 0, 1, 0x80, 0x88, 0x80 | 20, 0x80 | 23, 0x80 | 24, 0x80 | 32, 12, 15, 19, 0x80 | 63];

  for (const tsresol of clocks) {
    it(`normalize / toUnits with if_tsresol 0x${tsresol.toString(16)}`, () => {
      const c = new TsClock(tsresol, 0);
      const units = (tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol)) as bigint;
      const desc = new Uint32Array(DESC_WORDS);
      const hi = new Uint32Array(1);
      const lo = new Uint32Array(1);
      for (let k = 0; k < 2000; k++) {
        const h = k < 1000 ? rnd32() % 0x200000 : rnd32();
        const l = rnd32();
        const v = (BigInt(h) << 32n) | BigInt(l);
        c.normalize(h, l, desc, 0);
        const sec = (v / units) & 0xffffffffn;
        const nsec = ((v % units) * 1_000_000_000n) / units;
        expect([desc[D_TS_SEC], desc[D_TS_NSEC]]).toEqual([Number(sec), Number(nsec)]);
        // Back to units: exact where one unit is at least a nanosecond.
        c.toUnits(Number(sec), Number(nsec), hi, lo, 0);
        const back = (BigInt(hi[0]!) << 32n) | BigInt(lo[0]!);
        const want = (sec * units + (nsec * units) / 1_000_000_000n) & 0xffffffffffffffffn;
        expect(back).toBe(want);
      }
    });
  }

  it('mul64 is exact', () => {
    for (let k = 0; k < 5000; k++) {
      const a = rnd32();
      const m = k % 3 === 0 ? 1_000_000_000 : k % 3 === 1 ? 1_000_000 : (rnd32() % 2 ** 32) + 1;
      const add = rnd32();
      mul64(a, m, add);
      const v = BigInt(a) * BigInt(m) + BigInt(add);
      expect((BigInt(U64[0]!) << 32n) | BigInt(U64[1]!)).toBe(v & 0xffffffffffffffffn);
    }
  });

  it('rejects resolutions no 64-bit clock has', () => {
    expect(() => new TsClock(20)).toThrowError(/10\^-20/);
    expect(() => new TsClock(0x80 | 64)).toThrowError(/2\^-64/);
  });
});

describe('linkTypeName', () => {
  it('names the link types tcpdump names, ignoring the flag bits', () => {
    expect(
      [0, 1, 9, 101, 108, 113, 228, 229, 276, 0x30000001].map(linkTypeName),
    ).toEqual(['NULL', 'EN10MB', 'PPP', 'RAW', 'LOOP', 'LINUX_SLL', 'IPV4', 'IPV6', 'LINUX_SLL2', 'EN10MB']);
    expect(linkTypeName(65000)).toBe('LINKTYPE_65000');
    expect(linkTypeName(150)).toBe('USER3');
    expect(linkTypeDescription(113)).toBe('Linux cooked v1');
    expect(linkTypeFromName('linux_sll2')).toBe(276);
    expect(linkTypeFromName('DLT_EN10MB')).toBe(1);
    expect(linkTypeFromName('LINKTYPE_300')).toBe(300);
    expect(linkTypeFromName('nope')).toBeUndefined();
  });
});
