// The writer: pcap -> pcap byte-identical on the corpus; pcapng -> pcapng, pcap -> pcapng and
// pcapng -> pcap checked by tshark; derived packets, rewritten bytes, dropped packets.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { D_CAPLEN, D_OFFSET, DESC_WORDS } from '../assembly/abi/layout.js';
import { CaptureBatch, KIND_EPB, KIND_SPB } from '../src/capture/batch.js';
import { CaptureFormatError } from '../src/capture/errors.js';
import { openCaptureReader } from '../src/capture/reader.js';
import {
  concat,
  eachBatch,
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
  endOfOptions,
  block,
} from './helpers/capture-builders.js';
import { formatFromPath, openCaptureWriter } from '../src/capture/writer.js';
import { capinfos, hasTshark, tsharkFields, tsharkRecords, tsharkRecordsPartial, type TsharkRecord } from './helpers/tshark.js';
import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';

const files = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];
const pcaps = files.filter((f) => f.endsWith('.pcap'));
const pcapngs = files.filter((f) => f.endsWith('.pcapng'));
const tshark = hasTshark();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-capture-writer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const tmpFile = (ext: string) => path.join(tmp, `out-${++seq}.${ext}`);

interface CopyOptions {
  format?: 'pcap' | 'pcapng';
  /** Write packet i (global index)? Default: all. */
  keep?: (i: number) => boolean;
  /** Called per written packet to rewrite its bytes in place. */
  rewrite?: (bytes: Uint8Array, i: number) => void;
  /** Derived packet (bytes) to write after packet i. */
  derived?: (i: number) => Uint8Array | undefined;
  batch?: CaptureBatch;
}

/** Reads `input` and writes it to `output` as the replay pipeline would. */
function copyCapture(input: string, output: string, o: CopyOptions = {}): { error?: CaptureFormatError; written: number } {
  const reader = openCaptureReader(input);
  const writer = openCaptureWriter(output, reader, o.format ? { format: o.format } : undefined);
  const batch = o.batch ?? makeBatch(5, 1 << 20);
  let error: CaptureFormatError | undefined;
  let index = 0;
  try {
    error = eachBatch(reader, batch, (n) => {
      for (let i = 0; i < n; i++, index++) {
        const b = i * DESC_WORDS;
        const off = batch.desc[b + D_OFFSET]!;
        const len = batch.desc[b + D_CAPLEN]!;
        if (o.keep === undefined || o.keep(index)) {
          o.rewrite?.(batch.data.subarray(off, off + len), index);
          writer.writePacket(batch, i, batch.data, off, len);
        }
        const d = o.derived?.(index);
        if (d) writer.writeDerived(batch, i, d, 0, d.length);
      }
    });
  } finally {
    writer.close();
    reader.close();
  }
  return { error, written: writer.packetsWritten };
}

/** Same packets: lengths, times (where both have one), link types; optionally interfaces. */
function expectSameRecords(got: TsharkRecord[], want: TsharkRecord[], o: { ifaces?: boolean; what: string }): void {
  expect(got.length, o.what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const at = `${o.what} packet ${i + 1}`;
    expect(got[i]!.caplen, at).toBe(want[i]!.caplen);
    expect(got[i]!.len, at).toBe(want[i]!.len);
    expect(got[i]!.linkType, at).toBe(want[i]!.linkType);
    if (want[i]!.epochNs !== undefined && got[i]!.epochNs !== undefined) expect(got[i]!.epochNs, at).toBe(want[i]!.epochNs);
    if (o.ifaces) {
      expect(got[i]!.iface, at).toBe(want[i]!.iface);
      expect(got[i]!.section, at).toBe(want[i]!.section);
      expect(got[i]!.epochNs === undefined, at).toBe(want[i]!.epochNs === undefined);
    }
  }
}

/** Packets as our reader sees them, without the file-specific fields. */
function packetsOf(file: string) {
  const r = readAll(file);
  return {
    error: r.error,
    packets: r.packets.map((p) => ({ caplen: p.caplen, wirelen: p.wirelen, linkType: p.linkType, ns: p.epochNs, bytes: Buffer.from(p.bytes).toString('hex') })),
  };
}

requireCorpus();

describe('output format choice', () => {
  it('follows the extension, else the input', () => {
    expect(formatFromPath('a.pcap')).toBe('pcap');
    expect(formatFromPath('A.PCAPNG')).toBe('pcapng');
    expect(formatFromPath('a.cap')).toBeUndefined();
    expect(formatFromPath('-')).toBeUndefined();
  });
});

describe.skipIf(!haveCorpus)('pcap -> pcap is byte-identical', () => {
  for (const file of pcaps) {
    it(file, () => {
      const input = path.join(CORPUS, file);
      const out = tmpFile('pcap');
      const r = copyCapture(input, out);
      expect(r.error).toBeUndefined();
      expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(input))).toBe(0);
    });
  }

  it('also without an extension (format of the input) and with a big batch', () => {
    const input = path.join(CORPUS, 'tcpdump__afs.pcap');
    const out = path.join(tmp, 'afs-copy');
    copyCapture(input, out, { batch: makeBatch(4096, 8 << 20) });
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(input))).toBe(0);
  });
});

describe.skipIf(!haveCorpus || !tshark)('pcapng -> pcapng, checked by tshark', () => {
  for (const file of pcapngs) {
    it(file, () => {
      const input = path.join(CORPUS, file);
      const want = tsharkRecordsPartial(input, { allowFailure: true });
      const out = tmpFile('pcapng');
      const r = copyCapture(input, out);
      expect(r.error !== undefined).toBe(want.status !== 0);
      const got = tsharkRecords(out); // the output must be fully readable
      expectSameRecords(got, want.records, { ifaces: true, what: file });
      const back = packetsOf(out);
      expect(back.error).toBeUndefined();
      expect(back.packets).toEqual(packetsOf(input).packets);
    });
  }

  it('be-test202: SPBs stay SPBs, IDB options and copyable blocks kept, do-not-copy custom blocks dropped', () => {
    const input = path.join(CORPUS, 'gopacket__be-test202.pcapng');
    const out = tmpFile('pcapng');
    const reader = openCaptureReader(input);
    const writer = openCaptureWriter(out, reader);
    const batch = makeBatch(64);
    for (let n; (n = reader.readBatch(batch)) > 0; ) {
      for (let i = 0; i < n; i++) {
        const b = i * DESC_WORDS;
        writer.writePacket(batch, i, batch.data, batch.desc[b + D_OFFSET]!, batch.desc[b + D_CAPLEN]!);
      }
    }
    writer.close();
    reader.close();
    expect(writer.blocksSkipped).toBe(2); // the two 0x40000BAD custom blocks
    const kinds = readAll(out).packets.map((p) => p.kind);
    expect(kinds).toEqual(readAll(input).packets.map((p) => p.kind));
    expect(kinds.filter((k) => k === KIND_SPB).length).toBe(2);
    const info = capinfos(out);
    expect(info.raw.get('Capture comment')).toBe('test202 SHB-0');
    expect(capinfos(out).interfaces).toBe(capinfos(input).interfaces);
    // tshark lists custom blocks as records: of the three, the copyable one survives.
    const cbs = (f: string) => tsharkFields(f, ['frame.cb_pen']).rows.filter((r) => r[0] !== '').length;
    expect(cbs(input)).toBe(3);
    expect(cbs(out)).toBe(1);
    expect(tsharkRecords(out).length).toBe(8);
  });

  it('be-test008: interface names, descriptions, comments survive (capinfos)', () => {
    const input = path.join(CORPUS, 'gopacket__be-test008.pcapng');
    const out = tmpFile('pcapng');
    copyCapture(input, out);
    const a = capinfos(input).raw;
    const b = capinfos(out).raw;
    for (const k of ['Capture comment', 'Capture hardware', 'Capture application', 'Name', 'Description', 'Filter string']) {
      expect(b.get(k), k).toBe(a.get(k));
    }
  });

  it('le-test901: the first section is written, and the output is a valid file', () => {
    const out = tmpFile('pcapng');
    const r = copyCapture(path.join(CORPUS, 'gopacket__le-test901.pcapng'), out);
    expect(r.error?.offset).toBe(480);
    const got = tsharkRecords(out);
    expect(got.length).toBe(1);
  });

  it('empty.pcapng: SHB and IDB are written for a capture without packets', () => {
    const out = tmpFile('pcapng');
    copyCapture(path.join(CORPUS, 'tcpdump__empty.pcapng'), out);
    expect(fs.readFileSync(out).length).toBe(48);
    expect(capinfos(out).interfaces).toBe(1);
    expect(tsharkRecords(out)).toEqual([]);
  });

  it('dropped packets do not lose the blocks before them', () => {
    const input = path.join(CORPUS, 'gopacket__be-test202.pcapng');
    const out = tmpFile('pcapng');
    // Drop everything: the sections, IDBs, NRBs, ISBs and the copyable custom block remain.
    copyCapture(input, out, { keep: () => false });
    expect(tsharkRecords(out)).toEqual([]);
    const all = tsharkRecordsPartial(out);
    expect(all.status).toBe(0);
    expect(capinfos(out).interfaces).toBe(capinfos(input).interfaces);

    const of13 = path.join(CORPUS, 'tcpdump__of13_ericsson.pcapng');
    const out2 = tmpFile('pcapng');
    copyCapture(of13, out2, { keep: (i) => i % 3 === 0 });
    const want = tsharkRecords(of13).filter((_, i) => i % 3 === 0);
    expectSameRecords(tsharkRecords(out2), want, { ifaces: true, what: 'of13 every third' });
  });
});

describe.skipIf(!haveCorpus || !tshark)('pcap -> pcapng, checked by tshark', () => {
  for (const file of pcaps) {
    it(file, () => {
      const input = path.join(CORPUS, file);
      const out = tmpFile('pcapng');
      copyCapture(input, out);
      const want = readAll(input).packets;
      const got = tsharkRecords(out);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(got[i]!.caplen).toBe(want[i]!.caplen);
        expect(got[i]!.len).toBe(want[i]!.wirelen);
        expect(got[i]!.epochNs).toBe(want[i]!.epochNs);
        expect(got[i]!.linkType).toBe(want[i]!.linkType);
      }
      const back = packetsOf(out);
      expect(back.packets).toEqual(packetsOf(input).packets);
      const precision = capinfos(out).precision;
      expect(precision).toBe(file.includes('nano') ? 'nanoseconds (9)' : 'microseconds (6)');
    });
  }
});

describe.skipIf(!haveCorpus || !tshark)('pcapng -> pcap, checked by tshark', () => {
  const single = pcapngs.filter((f) => !f.includes('test202') && !f.includes('test901'));
  for (const file of single) {
    it(file, () => {
      const input = path.join(CORPUS, file);
      const out = tmpFile('pcap');
      copyCapture(input, out);
      const want = tsharkRecords(input);
      const got = tsharkRecords(out);
      expectSameRecords(got, want, { what: file });
      for (const r of got) expect(r.epochNs).toBeDefined();
      expect(capinfos(out).fileType).toMatch(/pcap/);
    });
  }

  it('le-test902 (if_tsresol 2^-8) becomes a nanosecond pcap with exact times', () => {
    const out = tmpFile('pcap');
    copyCapture(path.join(CORPUS, 'gopacket__le-test902.pcapng'), out);
    expect(fs.readFileSync(out).readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(tsharkRecords(out)[0]!.epochNs).toBe(1519128000_195312500n);
  });

  it('be-test202 (EN10MB and NULL interfaces) cannot be pcap: a clear error naming the output', () => {
    const out = tmpFile('pcap');
    expect(() => copyCapture(path.join(CORPUS, 'gopacket__be-test202.pcapng'), out)).toThrowError(
      new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write pcap: packet 3 has link type 0 but earlier packets have link type 1; write pcapng instead$`),
    );
  });
});

describe('writer on synthetic captures', () => {
  const data = (n: number, seed: number) => payload(n, seed);

  function write(input: Uint8Array, format: 'pcap' | 'pcapng' | undefined, o: CopyOptions = {}): Uint8Array {
    const inFile = path.join(tmp, `in-${++seq}.bin`);
    fs.writeFileSync(inFile, input);
    const out = path.join(tmp, `out-${++seq}.bin`);
    copyCapture(inFile, out, { ...o, format });
    return fs.readFileSync(out);
  }

  it('pcap: derived packets follow their packet with its raw timestamp; caplen = origlen = length', () => {
    const input = concat(
      pcapHeader({ snaplen: 96 }),
      pcapRecord({ sec: 10, frac: 1_500_000, data: data(60, 1), origlen: 1500 }),
      pcapRecord({ sec: 11, frac: 5, data: data(40, 2) }),
    );
    const reject = data(70, 9);
    const out = write(input, undefined, { keep: (i) => i !== 0, derived: (i) => (i === 0 ? reject : undefined) });
    const expected = concat(
      pcapHeader({ snaplen: 96 }),
      pcapRecord({ sec: 10, frac: 1_500_000, data: reject }),
      pcapRecord({ sec: 11, frac: 5, data: data(40, 2) }),
    );
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
  });

  it('pcap big-endian nanosecond file: rewritten bytes are written, everything else identical', () => {
    const input = concat(
      pcapHeader({ le: false, nsec: true, linkType: 0x30000001 }),
      pcapRecord({ le: false, sec: 1, frac: 999_999_999, data: data(33, 0) }),
    );
    const out = write(input, undefined, { rewrite: (b) => b.fill(0xab, 0, 4) });
    const expected = Uint8Array.from(input);
    expected.fill(0xab, 24 + 16, 24 + 16 + 4);
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
  });

  it('pcapng: derived packet is an EPB on the same interface and time; after an SPB too', () => {
    const le = false;
    const input = concat(
      shb(le),
      idb(le, { linkType: 1, snaplen: 0, tsresol: 9 }),
      idb(le, { linkType: 101, snaplen: 0, tsresol: 0x88 }),
      epb(le, { iface: 1, ts: 1000n * 256n + 3n, data: data(50, 1), options: concat(option(le, 1, new TextEncoder().encode('hello')), endOfOptions(le)) }),
      spb(le, { data: data(30, 2) }),
    );
    const reject = data(48, 7);
    const out = write(input, undefined, { derived: () => reject });
    const outFile = path.join(tmp, `check-${++seq}.pcapng`);
    fs.writeFileSync(outFile, out);
    const r = readAll(outFile);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => [p.kind, p.iface, p.caplen, p.wirelen, p.epochNs])).toEqual([
      [KIND_EPB, 1, 50, 50, 1000_011718750n],
      [KIND_EPB, 1, 48, 48, 1000_011718750n],
      [KIND_SPB, 0, 30, 30, 1000_011718750n],
      [KIND_EPB, 0, 48, 48, 1000_011718750n],
    ]);
    // The comment option of the EPB is kept, the derived packet has none.
    if (tshark) {
      const c = fs.readFileSync(outFile);
      expect(c.includes(Buffer.from('hello'))).toBe(true);
      expect(tsharkRecords(outFile).map((t) => t.linkType)).toEqual([101, 101, 1, 1]);
    }
  });

  it('pcapng: an obsolete Packet Block is written as an EPB with its options', () => {
    const le = true;
    const input = concat(shb(le), idb(le), pb(le, { ts: 5_000_001n, data: data(20, 3), options: concat(option(le, 1, Uint8Array.of(65, 66)), endOfOptions(le)) }));
    const out = write(input, undefined);
    const f = path.join(tmp, `pb-${++seq}.pcapng`);
    fs.writeFileSync(f, out);
    const r = readAll(f);
    expect(r.packets.map((p) => [p.kind, p.epochNs, p.caplen])).toEqual([[KIND_EPB, 5_000_001_000n, 20]]);
    expect(Buffer.from(out).includes(Buffer.from('AB'))).toBe(true);
  });

  it('pcapng: unknown blocks are not copied; NRB, DSB and copyable custom blocks are', () => {
    const le = true;
    const nrb = block(le, 4, Uint8Array.of(0, 0, 0, 0));
    const dsb = block(le, 0x0a, concat(Uint8Array.of(0x4b, 0x53, 0x4c, 0x54), Uint8Array.of(0, 0, 0, 0)));
    const cb = block(le, 0xbad, Uint8Array.of(1, 2, 3, 4));
    const nocopy = block(le, 0x40000bad, Uint8Array.of(1, 2, 3, 4));
    const unknown = block(le, 0x12345, Uint8Array.of(9, 9, 9, 9));
    const isbBad = block(le, 5, concat(Uint8Array.of(7, 0, 0, 0), new Uint8Array(8)));
    const input = concat(shb(le), idb(le), nrb, dsb, cb, nocopy, unknown, isbBad, epb(le, { ts: 1n, data: data(8, 0) }));
    const out = Buffer.from(write(input, undefined));
    const expected = Buffer.from(concat(shb(le), idb(le), nrb, dsb, cb, epb(le, { ts: 1n, data: data(8, 0) })));
    expect(out.equals(expected)).toBe(true);
  });

  it('pcap -> pcapng -> pcap gives back the same pcap (usec and nsec)', () => {
    for (const nsec of [false, true]) {
      const input = concat(
        pcapHeader({ nsec, snaplen: 1000, linkType: 113 }),
        pcapRecord({ sec: 1_700_000_000, frac: nsec ? 123_456_789 : 123_456, data: data(64, 4), origlen: 1000 }),
        pcapRecord({ sec: 4_000_000_000, frac: nsec ? 999_999_999 : 999_999, data: data(64, 5) }),
      );
      const ng = write(input, 'pcapng');
      const back = write(ng, 'pcap');
      expect(Buffer.from(back).equals(Buffer.from(input)), `nsec=${nsec}`).toBe(true);
    }
  });

  it('pcap -> pcapng carries the FCS length bits into if_fcslen', () => {
    const input = concat(pcapHeader({ linkType: 1 | 0x04000000 | (2 << 28) }), pcapRecord({ sec: 1, frac: 2, data: data(64, 0) }));
    const ng = Buffer.from(write(input, 'pcapng'));
    // IDB option 13 (if_fcslen), length 1, value 32 bits.
    expect(ng.includes(Buffer.from([13, 0, 1, 0, 32, 0, 0, 0]))).toBe(true);
  });

  it('pcapng -> pcap refuses a second resolution', () => {
    const le = true;
    const input = concat(shb(le), idb(le, { tsresol: 6 }), idb(le, { tsresol: 9 }), epb(le, { iface: 0, ts: 1n, data: data(8, 0) }), epb(le, { iface: 1, ts: 1n, data: data(8, 0) }));
    expect(() => write(input, 'pcap')).toThrowError(/cannot write pcap: packet 2 has timestamp resolution 10\^-9 s but earlier packets have 10\^-6 s/);
  });

  it('pcapng -> pcap with no packets writes a header with the first interface link type', () => {
    const le = true;
    const out = Buffer.from(write(concat(shb(le), idb(le, { linkType: 113, snaplen: 0 })), 'pcap'));
    expect(out.length).toBe(24);
    expect(out.readUInt32LE(20)).toBe(113);
    expect(out.readUInt32LE(16)).toBe(262144);
  });

  it('writing after close throws', () => {
    const inFile = path.join(tmp, `in-${++seq}.pcap`);
    fs.writeFileSync(inFile, concat(pcapHeader(), pcapRecord({ sec: 1, frac: 1, data: data(8, 0) })));
    const reader = openCaptureReader(inFile);
    const out = path.join(tmp, `out-${++seq}.pcap`);
    const w = openCaptureWriter(out, reader);
    const batch = makeBatch(4);
    reader.readBatch(batch);
    w.close();
    expect(() => w.writePacket(batch, 0, batch.data, 0, 8)).toThrowError(/writer is closed/);
    reader.close();
  });
});
