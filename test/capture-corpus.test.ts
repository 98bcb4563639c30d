// The reader against two independent oracles on the public corpus of real captures:
// tshark (every file it reads: counts, lengths, timestamps to the ns, interfaces, link types)
// and the npm package pcap-parser (classic usec pcap: headers and payload bytes).

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../src/capture/errors.js';
import { KIND_PCAP, KIND_SPB } from '../src/capture/batch.js';
import { makeBatch, readAll } from './helpers/capture-builders.js';
import { hasTshark, tsharkRecordsPartial } from './helpers/tshark.js';
import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';

const files = haveCorpus
  ? fs
      .readdirSync(CORPUS)
      .filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'))
      .sort()
  : [];
const manifest = new Map<string, string[]>();
if (haveCorpus) {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  for (const l of lines.slice(1)) {
    const cols = l.split('\t');
    manifest.set(cols[0]!, cols);
  }
}

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): EventEmitter };

interface ParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

function isNsecPcap(file: string): boolean {
  return (manifest.get(file)?.[3] ?? '').startsWith('pcap, nsec');
}

function parseWithPcapParser(file: string): Promise<ParserPacket[]> {
  return new Promise((resolve, reject) => {
    const out: ParserPacket[] = [];
    const p = pcapParser.parse(file);
    p.on('packet', (pkt: ParserPacket) => out.push({ header: { ...pkt.header }, data: Buffer.from(pkt.data) }));
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

requireCorpus();

describe.skipIf(!haveCorpus || !hasTshark())('reader vs tshark on the public corpus', () => {
  it('has the corpus files', () => {
    expect(files.length).toBe(manifest.size);
  });

  for (const file of files) {
    const full = path.join(CORPUS, file);
    it(file, () => {
      const t = tsharkRecordsPartial(full, { allowFailure: true });
      // Small batches so that most files span several of them.
      const r = readAll(full, makeBatch(7, 1 << 20));
      const ifaces = r.reader.interfaces();

      if (t.status === 0) {
        expect(r.error).toBeUndefined();
        const expected = Number(/^\d+/.exec(manifest.get(file)![4]!)![0]);
        expect(r.packets.length).toBe(expected);
      } else {
        // tshark stopped at damage in the file: the packets before it, then our error.
        expect(r.error).toBeInstanceOf(CaptureFormatError);
        expect(r.batches.length).toBeGreaterThan(0);
      }
      expect(r.packets.length).toBe(t.records.length);

      let prev = 0n;
      for (let i = 0; i < t.records.length; i++) {
        const want = t.records[i]!;
        const got = r.packets[i]!;
        const at = `${file} packet ${i + 1}`;
        expect(got.caplen, at).toBe(want.caplen);
        expect(got.wirelen, at).toBe(want.len);
        expect(got.linkType, at).toBe(want.linkType);
        if (got.kind === KIND_PCAP && got.tsLow * (isNsecPcap(file) ? 1 : 1000) >= 2 ** 31) {
          // An out-of-range fraction that Wireshark multiplies into a 32-bit int and wraps
          // (timestamp_invalid_micro.pcap, usec 2147483648 -> shown as .000000000): our rule is
          // the time the raw fields denote, fraction carried into seconds.
          const fracNs = BigInt(got.tsLow) * (isNsecPcap(file) ? 1n : 1000n);
          expect(got.epochNs, at).toBe(BigInt(got.tsHigh) * 1_000_000_000n + fracNs);
        } else if (want.epochNs !== undefined) {
          expect(got.epochNs, at).toBe(want.epochNs);
        } else {
          // An SPB has no timestamp: it gets the previous packet's.
          expect(got.kind, at).toBe(KIND_SPB);
          expect(got.epochNs, at).toBe(prev);
        }
        prev = got.epochNs;
        const ifc = ifaces[got.iface]!;
        if (want.iface !== undefined) expect(ifc.localId, at).toBe(want.iface);
        if (want.section !== undefined && file.endsWith('.pcapng')) expect(ifc.section + 1, at).toBe(want.section);
        expect(got.linkType, at).toBe(ifc.linkType);
      }
      expect(r.reader.bytesRead).toBe(r.error ? r.error.offset : fs.statSync(full).size);
      expect(r.reader.fileSize).toBe(fs.statSync(full).size);
    });
  }

  it('gopacket__le-test901.pcapng: first section delivered, then the bad SHB (version 2.0) at byte 480', () => {
    const r = readAll(path.join(CORPUS, 'gopacket__le-test901.pcapng'));
    expect(r.packets.length).toBe(1);
    expect(r.batches).toEqual([1]);
    expect(r.error).toBeInstanceOf(CaptureFormatError);
    expect(r.error!.offset).toBe(480);
    expect(r.error!.message).toBe(
      `${path.join(CORPUS, 'gopacket__le-test901.pcapng')}: byte 480: unsupported pcapng version 2.0 in section header block`,
    );
    expect(r.error!.exitCode).toBe(2);
  });

  it('linkTypes(): upper flag bits cleared, one per distinct type', () => {
    expect(readAll(path.join(CORPUS, 'tcpdump__udp-length-heapoverflow.pcap')).reader.linkTypes()).toEqual([1]);
    expect(readAll(path.join(CORPUS, 'tcpdump__heap-overflow-1.pcap')).reader.linkTypes()).toEqual([101]);
    expect(readAll(path.join(CORPUS, 'gopacket__be-test202.pcapng')).reader.linkTypes()).toEqual([1, 0]);
    const raw = readAll(path.join(CORPUS, 'tcpdump__ipv6hdr-heapoverflow.pcap')).reader.interfaces()[0]!;
    expect(raw.linkType).toBe(229);
    expect(raw.linkTypeRaw).toBe(0x300000e5);
  });

  it('timestamp_invalid_micro.pcap: usec >= 1,000,000 carried into seconds, raw fields kept', () => {
    const r = readAll(path.join(CORPUS, 'tcpdump__timestamp_invalid_micro.pcap'));
    const p = r.packets[1]!;
    expect(p.tsLow).toBeGreaterThanOrEqual(1_000_000);
    expect(p.sec).toBe(p.tsHigh + Math.floor(p.tsLow / 1_000_000));
    expect(p.nsec).toBe((p.tsLow % 1_000_000) * 1000);
  });
});

describe.skipIf(!haveCorpus)('reader vs pcap-parser on the classic usec pcap files', () => {
  const usecPcaps = files.filter((f) => f.endsWith('.pcap') && (manifest.get(f)?.[3] ?? '').includes('usec'));

  it('covers the usec pcap files', () => {
    expect(usecPcaps.length).toBeGreaterThan(20);
  });

  for (const file of usecPcaps) {
    it(file, async () => {
      const full = path.join(CORPUS, file);
      const want = await parseWithPcapParser(full);
      const r = readAll(full, makeBatch(16, 1 << 20));
      expect(r.error).toBeUndefined();
      expect(r.packets.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        const w = want[i]!;
        const g = r.packets[i]!;
        const at = `${file} packet ${i + 1}`;
        expect(g.kind).toBe(KIND_PCAP);
        expect(g.caplen, at).toBe(w.header.capturedLength);
        expect(g.wirelen, at).toBe(w.header.originalLength);
        expect(g.tsHigh, at).toBe(w.header.timestampSeconds);
        expect(g.tsLow, at).toBe(w.header.timestampMicroseconds);
        const us = BigInt(w.header.timestampSeconds) * 1_000_000n + BigInt(w.header.timestampMicroseconds);
        expect(g.epochNs, at).toBe(us * 1000n);
        expect(Buffer.from(g.bytes).equals(w.data), at).toBe(true);
      }
    });
  }
});
