// `svcplane replay` end to end on the public corpus of real captures (shared/corpus/public), with
// no cluster: every packet is passed unchanged or dropped for a malformed header. tshark and
// capinfos are the oracles for what was written:
//   - exit 0, no output on stderr, a report and one --trace line per input packet;
//   - the output holds the input's packets minus the dropped ones, in order, each with the same
//     caplen, wire length, timestamp (to the ns) and link type, and (pcapng) interface and section;
//   - pcap → pcap without drops: byte-identical; pcapng → pcapng: the same interfaces;
//   - pcap → .pcapng (format conversion): the same packets, one interface of the same link type
//     and timestamp resolution;
//   - damage inside packets: exit 0 and the named drop reasons; damage in the file itself
//     (gopacket__le-test901.pcapng): exit 2, one line naming file, byte offset and problem, and
//     the first section's packets written.
//
// All CLI and tshark runs happen in parallel in beforeAll (tshark reads single-interface files
// merged: see tsharkRecordsMany); the tests then only compare.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REPO,
  PARALLEL,
  capinfosInterfaces,
  ensureBuilt,
  mapLimit,
  readTrace,
  runCliAsync,
  tempDir,
  tsharkRecordsMany,
  type CapinfosInterface,
  type CliResult,
  type TraceLine,
} from './helpers/cli.js';
import { capinfos, hasTshark, type TsharkRecord } from './helpers/tshark.js';
import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';

const FILES = haveCorpus
  ? fs
      .readdirSync(CORPUS)
      .filter((f) => /\.pcap(ng)?$/.test(f))
      .sort()
  : [];

/** The one file damaged in its structure (MANIFEST: second SHB has version 2.0). */
const DAMAGED_FILE = 'gopacket__le-test901.pcapng';

/**
 * What the core drops in each file (every other file: nothing). Each reason was checked against
 * tshark's dissection of the packet:
 */
const EXPECTED_DROPS: Record<string, Record<string, number>> = {
  // IHL 4 (16-byte header).
  'tcpdump__ipv4_invalid_hdr_length.pcap': { IPV4_BAD_IHL: 1 },
  // Total length 85, but only 84 bytes of IP in a complete frame.
  'tcpdump__ipv4_invalid_total_length.pcap': { IPV4_BAD_TOTAL_LENGTH: 1 },
  // LINKTYPE_IPV4 whose packet is IPv6.
  'tcpdump__LINKTYPE_IPV4_invalid.pcap': { IP_VERSION_MISMATCH: 1 },
  // Ethernet + 20-byte IPv4 + only 12 of the 20 TCP header bytes captured (caplen 46).
  'tcpdump__tcp_header_heapoverflow.pcap': { L4_TRUNCATED: 1 },
  // Ethernet + 20-byte IPv4 + only 4 of the 8 UDP header bytes captured (caplen 38).
  'tcpdump__udp-length-heapoverflow.pcap': { L4_TRUNCATED: 1 },
  // LINKTYPE_IPV4, IHL 7 (28 bytes) in a 34-byte record: 6 bytes left for the 8-byte ICMP header.
  'tcpdump__extract_read2_asan.pcap': { L4_TRUNCATED: 1 },
  // LINKTYPE_IPV6 whose hop-by-hop header runs past the captured bytes.
  'tcpdump__ipv6hdr-heapoverflow.pcap': { IPV6_BAD_EXT_HEADER: 1 },
  // RAW, a 1-byte record 0x30: version nibble 3 is neither 4 nor 6.
  'tcpdump__heap-overflow-1.pcap': { IP_VERSION_MISMATCH: 1 },
  // tcpdump__icmp-length-zero.pcapng (IPv4 total length 0) is not here: like tshark, the core reads
  // 0 as a segmentation-offload artefact and takes the frame's length, so it passes.
};

interface PcapRawRecord {
  sec: number;
  frac: number;
}

/** The record timestamps of a classic pcap file, read independently of src/capture. */
function pcapRawRecords(file: string): { nsec: boolean; records: PcapRawRecord[] } {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32BE(0);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  const nsec = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const records: PcapRawRecord[] = [];
  for (let p = 24; p + 16 <= b.length; p += 16 + u32(p + 8)) records.push({ sec: u32(p), frac: u32(p + 4) });
  return { nsec, records };
}

type TsharkView = { records: TsharkRecord[]; status: number; stderr: string };

interface Run {
  file: string;
  full: string;
  format: 'pcap' | 'pcapng';
  /** tshark's view of the input. */
  input: TsharkView;
  /** replay FILE -w OUT --report --trace -q */
  main: CliResult;
  out: string;
  report: Report | undefined;
  trace: TraceLine[];
  /** Output identical to the input, byte for byte. */
  identical: boolean;
  /** tshark's view of the output (the input's when identical). */
  output: TsharkView | undefined;
  /** pcap inputs: replay FILE -w OUT.pcapng -q */
  conv?: { result: CliResult; out: string; output: TsharkView | undefined };
}

interface Report {
  packets: { in: number; translated: number; reversed: number; passed: number; dropped: number; rejected: number };
  drops: Record<string, number>;
}

const runs = new Map<string, Run>();
let setupError: unknown;

async function setup(dir: string): Promise<void> {
  // 1. Every CLI run, in parallel.
  const cli = await mapLimit(FILES, PARALLEL, async (file) => {
    const full = path.join(CORPUS, file);
    const format: 'pcap' | 'pcapng' = file.endsWith('.pcapng') ? 'pcapng' : 'pcap';
    const out = path.join(dir, file);
    const reportFile = path.join(dir, `${file}.report.json`);
    const traceFile = path.join(dir, `${file}.trace.jsonl`);
    const convOut = path.join(dir, `${file}.converted.pcapng`);
    const [main, conv] = await Promise.all([
      runCliAsync(['replay', full, '-w', out, '--report', reportFile, '--trace', traceFile, '-q']),
      format === 'pcap' ? runCliAsync(['replay', full, '-w', convOut, '-q']) : Promise.resolve(undefined),
    ]);
    const report = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report) : undefined;
    const trace = fs.existsSync(traceFile) ? readTrace(traceFile) : [];
    const identical = fs.existsSync(out) && fs.readFileSync(out).equals(fs.readFileSync(full));
    return { file, full, format, main, out, report, trace, identical, conv, convOut };
  });
  // 2. tshark on the inputs, the outputs that differ from their input (identical bytes read the
  //    same) and the converted outputs; single-interface files merged into one tshark run each.
  const outputs = cli.filter((c) => !c.identical && fs.existsSync(c.out));
  const converted = cli.filter((c) => c.conv?.status === 0);
  const [inViews, outViews, convViews] = await Promise.all([
    tsharkRecordsMany(cli.map((c) => c.full)),
    tsharkRecordsMany(outputs.map((c) => c.out)),
    tsharkRecordsMany(converted.map((c) => c.convOut)),
  ]);
  cli.forEach((c, i) => {
    const input = inViews[i]!;
    const o = outputs.indexOf(c);
    const k = converted.indexOf(c);
    runs.set(c.file, {
      file: c.file,
      full: c.full,
      format: c.format,
      input,
      main: c.main,
      out: c.out,
      report: c.report,
      trace: c.trace,
      identical: c.identical,
      output: c.identical ? input : o >= 0 ? outViews[o] : undefined,
      conv: c.conv ? { result: c.conv, out: c.convOut, output: k >= 0 ? convViews[k] : undefined } : undefined,
    });
  });
}

function get(file: string): Run {
  if (setupError) throw setupError;
  const r = runs.get(file);
  if (!r) throw new Error(`no run for ${file}`);
  return r;
}

function cliOk(r: CliResult): void {
  expect(r.timedOut, `${r.command}: timed out`).toBe(false);
  expect(r.signal, `${r.command}: killed`).toBeNull();
  expect(r.stderr, r.command).toBe('');
  expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
}

/** Input indexes the trace says were not written (dropped; rejects cannot happen without Services). */
function droppedIndexes(run: Run): Set<number> {
  return new Set(run.trace.filter((t) => t.verdict === 'dropped').map((t) => t.index));
}

/**
 * The expected timestamp of input packet i in a pcapng output. tshark computes a pcap record's
 * ns as usec * 1000 in a 32-bit int, so a fraction of 2^31 ns or more (timestamp_invalid_micro
 * .pcap: usec 2^31) wraps in its view of the pcap input; the raw fields denote sec + fraction,
 * which is what svcplane keeps (and tshark shows without wrapping when it reads pcapng).
 */
function expectedEpochNs(run: Run, i: number, raw: ReturnType<typeof pcapRawRecords> | undefined): bigint | undefined {
  if (raw) {
    const rec = raw.records[i]!;
    const fracNs = BigInt(rec.frac) * (raw.nsec ? 1n : 1000n);
    if (fracNs >= 2n ** 31n) return BigInt(rec.sec) * 1_000_000_000n + fracNs;
  }
  return run.input.records[i]!.epochNs;
}

/** Written output packets against the input's, skipping the dropped indexes. */
function compareWritten(
  run: Run,
  output: TsharkRecord[],
  opts: { sameInterfaces: boolean; raw?: ReturnType<typeof pcapRawRecords> },
): void {
  const dropped = droppedIndexes(run);
  const input = run.input.records;
  expect(output.length, `${run.file}: written packets`).toBe(input.length - dropped.size);
  let k = 0;
  for (let i = 0; i < input.length; i++) {
    if (dropped.has(i)) continue;
    const want = input[i]!;
    const got = output[k++]!;
    const at = `${run.file}: input packet ${i} (output packet ${k - 1})`;
    expect(got.caplen, `${at}: caplen`).toBe(want.caplen);
    expect(got.len, `${at}: wire length`).toBe(want.len);
    expect(got.encap, `${at}: encapsulation`).toBe(want.encap);
    expect(got.linkType, `${at}: link type`).toBe(want.linkType);
    expect(got.epochNs, `${at}: timestamp`).toBe(expectedEpochNs(run, i, opts.raw));
    if (opts.sameInterfaces) {
      expect(got.iface, `${at}: interface`).toBe(want.iface);
      expect(got.section, `${at}: section`).toBe(want.section);
    } else {
      expect(got.iface ?? 0, `${at}: interface`).toBe(0);
    }
  }
}

requireCorpus();

describe.skipIf(!haveCorpus || !hasTshark())('svcplane replay on the public corpus (no cluster)', () => {
  beforeAll(async () => {
    ensureBuilt();
    const dir = tempDir('svcplane-corpus-replay-');
    try {
      await setup(dir);
    } catch (e) {
      setupError = e;
    }
  });

  it('finds the corpus: every MANIFEST file, and the damaged one', () => {
    const manifest = fs
      .readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0]);
    expect(FILES).toEqual([...manifest].sort());
    expect(FILES).toContain(DAMAGED_FILE);
    for (const f of Object.keys(EXPECTED_DROPS)) expect(FILES).toContain(f);
  });

  for (const file of FILES) {
    if (file === DAMAGED_FILE) continue;

    describe(file, () => {
      it('exits 0 with a report and a trace line per packet; drops only malformed packets, with the expected reasons', () => {
        const run = get(file);
        expect(run.input.status, `tshark reads ${file}`).toBe(0);
        cliOk(run.main);
        const n = run.input.records.length;
        const report = run.report!;
        expect(report, 'report written').toBeDefined();
        expect(report.packets.in).toBe(n);
        expect(run.trace.map((t) => t.index)).toEqual(Array.from({ length: n }, (_, i) => i));
        // No cluster: nothing to translate, reverse or reject.
        for (const t of run.trace) expect(['passed', 'dropped'], JSON.stringify(t)).toContain(t.verdict);
        expect(report.packets.translated + report.packets.reversed + report.packets.rejected).toBe(0);
        const dropped = run.trace.filter((t) => t.verdict === 'dropped');
        expect(report.packets.dropped).toBe(dropped.length);
        expect(report.packets.passed).toBe(n - dropped.length);
        // Each drop has a reason, the report counts them, and they are the ones expected.
        const byReason: Record<string, number> = {};
        for (const t of dropped) {
          expect(t.reason, JSON.stringify(t)).toMatch(/^[A-Z][A-Z0-9_]+$/);
          byReason[t.reason!] = (byReason[t.reason!] ?? 0) + 1;
        }
        expect(report.drops).toEqual(byReason);
        expect(report.drops).toEqual(EXPECTED_DROPS[file] ?? {});
        // A passed packet leaves as it came.
        for (const t of run.trace) if (t.verdict === 'passed' && t.in !== undefined) expect(t.out).toBe(t.in);
        // Each line names the packet as tshark does: its frame number, and its time where the record has one.
        run.trace.forEach((t, i) => {
          const rec = run.input.records[i];
          expect(t.frame, `${file} packet ${i}`).toBe(rec.frame);
          if (rec.epochNs !== undefined && !TIME_DIFFERS[file]?.includes(i)) expect(t.time, `${file} packet ${i}`).toBe(epochText(rec.epochNs));
        });
      });

      it('writes the packets that were not dropped, with their lengths, timestamps and link types', () => {
        const run = get(file);
        expect(run.output, 'output read by tshark').toBeDefined();
        expect(run.output!.status, `tshark reads ${run.out}: ${run.output!.stderr}`).toBe(0);
        // Same format on both sides: tshark reads both the same way (wrap included).
        compareWritten(run, run.output!.records, { sameInterfaces: true });
        if (run.format === 'pcap' && droppedIndexes(run).size === 0) {
          expect(run.identical, `${file}: pcap → pcap with no drops is byte-identical`).toBe(true);
        }
      });

      if (file.endsWith('.pcapng')) {
        it('pcapng → pcapng keeps the interfaces (count, link types, tsresol, snaplen)', () => {
          const run = get(file);
          expect(capinfos(run.out).fileType).toBe('pcapng');
          const want = capinfosInterfaces(run.full);
          const got = capinfosInterfaces(run.out);
          expect(want.length).toBeGreaterThan(0);
          expect(got).toEqual(want);
        });
      } else {
        it('pcap → .pcapng (format conversion): same packets, one interface of the same link type and resolution', () => {
          const run = get(file);
          const conv = run.conv!;
          cliOk(conv.result);
          expect(conv.output!.status, `tshark reads ${conv.out}: ${conv.output!.stderr}`).toBe(0);
          const info = capinfos(conv.out);
          expect(info.fileType).toBe('pcapng');
          const [inIfc] = capinfosInterfaces(run.full) as [CapinfosInterface];
          const raw = pcapRawRecords(run.full);
          expect(capinfosInterfaces(conv.out)).toEqual([
            { encapsulation: inIfc.encapsulation, ticksPerSecond: raw.nsec ? 1e9 : 1e6, snaplen: inIfc.snaplen },
          ]);
          compareWritten(run, conv.output!.records, { sameInterfaces: false, raw });
          for (const r of conv.output!.records) expect(r.section ?? 1).toBe(1);
        });
      }
    });
  }

  describe(`${DAMAGED_FILE} (damage in the file: second SHB has version 2.0)`, () => {
    it('exits 2 with one line naming the file, the byte offset and the problem; no stack trace', () => {
      const run = get(DAMAGED_FILE);
      expect(run.main.timedOut).toBe(false);
      expect(run.main.status, run.main.stderr).toBe(2);
      expect(run.main.stdout).toBe('');
      const lines = run.main.stderr.split('\n');
      expect(lines.length, run.main.stderr).toBe(2);
      expect(lines[1]).toBe('');
      const line = lines[0]!;
      expect(line).not.toMatch(/\bat\s/);
      expect(line).not.toMatch(/Error:|\.js:\d+/);
      const m = /^svcplane: (.+): byte (\d+): (.+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![1]).toBe(run.full);
      const offset = Number(m![2]);
      expect(m![3]).toMatch(/version 2\.0/);
      expect(m![3]).toMatch(/section header block/);
      // The offset is where the second section header block starts.
      const bytes = fs.readFileSync(run.full);
      expect(offset).toBeGreaterThan(0);
      expect(bytes.readUInt32LE(offset)).toBe(0x0a0d0d0a);
    });

    it('still writes every packet of the valid first section', () => {
      const run = get(DAMAGED_FILE);
      // tshark too reads the first section, then stops at the same block.
      expect(run.input.status).not.toBe(0);
      expect(run.input.records.length).toBeGreaterThan(0);
      expect(run.output!.status, run.output!.stderr).toBe(0);
      const out = run.output!.records;
      expect(out.length).toBe(run.input.records.length);
      out.forEach((got, i) => {
        const want = run.input.records[i]!;
        expect({ ...got, frame: 0 }).toEqual({ ...want, frame: 0 });
      });
      // Nothing rewritten (no cluster): the output is the first section, as it was.
      const offset = Number(/byte (\d+)/.exec(run.main.stderr)![1]);
      expect(fs.readFileSync(run.out).equals(fs.readFileSync(run.full).subarray(0, offset))).toBe(true);
    });
  });
});

/**
 * Records whose time tshark prints otherwise: a microsecond field of 2^31 (tshark shows the
 * second with a zero fraction; svcplane carries the fraction into the seconds, as for any other
 * fraction out of range).
 */
const TIME_DIFFERS: Record<string, number[]> = { 'tcpdump__timestamp_invalid_micro.pcap': [2] };

/** Nanoseconds since the epoch as tshark's frame.time_epoch prints them. */
function epochText(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}
