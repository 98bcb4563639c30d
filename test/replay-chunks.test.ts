// The chunked replay (the core walks the records: assembly/capture/walk.ts, src/replay/chunks.ts)
// against the per-packet path (the JavaScript reader and writer) on the same inputs: output bytes,
// reports and errors must be identical. Inputs: every capture of the public corpus, the capture
// fixtures and the demo (with and without --updates), the demo's packets re-encoded in every
// pcap and pcapng form (byte orders, resolutions, SPB/PB/EPB, sections, other blocks), a capture
// that starts with rejects (the output overtakes the input), truncated and mutated files; each
// also with tiny reads so that records are cut across chunks.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay, replayAsync, type ReplayOptions } from '../src/replay/replay.js';
import { CaptureFormatError } from '../src/capture/errors.js';
import { REPO, tempDir } from './helpers/cli.js';
import {
  concat, pcapHeader, pcapRecord, shb, idb, epb, spb, pb, block, option, endOfOptions, words, readAll, u16,
} from './helpers/capture-builders.js';
import { buildPacket } from './helpers/packets.js';
import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';
import { DEMO, FIXTURES, NODE, normalise, ext, demoWebSlices } from './helpers/replay-cases.js';


const dir = tempDir('svcplane-chunks-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let seq = 0;

interface Outcome { bytes: Buffer | null; report: unknown; error: string | null }

function outcome(run: (out: string) => unknown, capture: string): Outcome {
  const out = path.join(dir, `out-${seq++}${ext(capture)}`);
  let report: unknown = null;
  let error: string | null = null;
  try {
    report = normalise(run(out));
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    error = e.message;
  }
  const bytes = fs.existsSync(out) ? fs.readFileSync(out) : null;
  fs.rmSync(out, { force: true });
  return { bytes, report, error };
}

/** Runs `capture` through both paths (and small reads, and the async driver) and compares. */
async function expectSame(capture: string, opts: Partial<ReplayOptions> = {}, readBytes = [0, 333]): Promise<Outcome> {
  const base = { ...opts, capture };
  const want = outcome((w) => replay({ ...base, write: w, perPacket: true }), capture);
  for (const r of readBytes) {
    const got = outcome((w) => replay({ ...base, write: w, readBytes: r || undefined }), capture);
    expect(got.error, `${path.basename(capture)} read ${r}`).toBe(want.error);
    expect(got.report, `${path.basename(capture)} read ${r}`).toEqual(want.report);
    expect(got.bytes?.equals(want.bytes!) ?? want.bytes === null, `${path.basename(capture)} read ${r}: output bytes`).toBe(true);
  }
  const out = path.join(dir, `async-${seq++}${ext(capture)}`);
  let asyncError: string | null = null;
  let asyncReport: unknown = null;
  try {
    asyncReport = normalise(await replayAsync({ ...base, write: out, readBytes: 701 }));
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    asyncError = e.message;
  }
  expect(asyncError).toBe(want.error);
  expect(asyncReport).toEqual(want.report);
  const asyncBytes = fs.existsSync(out) ? fs.readFileSync(out) : null;
  expect(asyncBytes?.equals(want.bytes!) ?? want.bytes === null, `${path.basename(capture)} async: output bytes`).toBe(true);
  fs.rmSync(out, { force: true });
  return want;
}

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

describe('chunked replay = per-packet replay', () => {
  requireCorpus();

  const corpus = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];
  it.each(corpus)('corpus %s', async (f) => {
    await expectSame(path.join(CORPUS, f));
    await expectSame(path.join(CORPUS, f), NODE, [0]);
  });

  it.each(['three-services.pcap', 'sll2-dns.pcap', 'raw-ipv6.pcap', 'vlan-qinq-web.pcap'])('fixture %s', async (f) => {
    const o = await expectSame(path.join(FIXTURES, f), NODE);
    expect((o.report as any).packets.translated).toBeGreaterThan(0);
  });

  it('fixture replies.pcap (both directions)', async () => {
    const o = await expectSame(path.join(FIXTURES, 'replies.pcap'), { ...NODE, cluster: [path.join(FIXTURES, 'replies-cluster.yaml')] });
    expect((o.report as any).packets.reversed).toBeGreaterThan(0);
  });

  it('the demo, with rejects and drops', async () => {
    const o = await expectSame(DEMO, NODE);
    const r = o.report as any;
    expect(r.packets.rejected).toBe(7);
    expect(r.generated).toBe(7);
  });

  it('the demo with --updates falling due mid-chunk', async () => {
    const { slice, fewer } = demoWebSlices();
    expect(slice).toBeDefined();
    const updates = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updates, [
      JSON.stringify({ at: 0, type: 'MODIFIED', object: fewer }),
      JSON.stringify({ at: 0.7, type: 'MODIFIED', object: slice }),
      JSON.stringify({ at: 0.7, type: 'DELETED', object: fewer }),
      JSON.stringify({ at: 1.9, type: 'ADDED', object: slice }),
    ].join('\n') + '\n');
    const o = await expectSame(DEMO, { ...NODE, updates });
    expect((o.report as any).updates.length).toBeGreaterThanOrEqual(3);
  });

  // The demo's packets in every form the reader accepts.
  const demo = readAll(DEMO).packets;
  const frac = (p: (typeof demo)[number], nsec: boolean) => (nsec ? p.nsec : Math.floor(p.nsec / 1000));
  const units = (p: (typeof demo)[number], perSec: bigint) => BigInt(p.sec) * perSec + (BigInt(p.nsec) * perSec) / 1_000_000_000n;
  /** An EPB whose padding after the packet bytes is 0xee (the writer pads with zeros). */
  const junkPadded = (b: Uint8Array, caplen: number) => {
    for (let q = 28 + caplen; q < 28 + ((caplen + 3) & ~3); q++) b[q] = 0xee;
    return b;
  };
  const forms: [string, () => Uint8Array][] = [
    ['pcap little-endian µs', () => concat(pcapHeader({ le: true }), ...demo.map((p) => pcapRecord({ le: true, sec: p.sec, frac: frac(p, false), data: p.bytes, origlen: p.wirelen })))],
    ['pcap big-endian ns', () => concat(pcapHeader({ le: false, nsec: true }), ...demo.map((p) => pcapRecord({ le: false, sec: p.sec, frac: frac(p, true), data: p.bytes, origlen: p.wirelen })))],
    ['pcap with out-of-range fractions and snaplen cuts', () => concat(pcapHeader({ le: true, snaplen: 96 }), ...demo.map((p, i) => pcapRecord({
      le: true, sec: p.sec - (i % 3 === 0 ? 1 : 0), frac: frac(p, false) + (i % 3 === 0 ? 1_000_000 : 0), data: p.bytes.subarray(0, Math.min(96, p.bytes.length)), origlen: p.wirelen,
    })))],
    ['pcapng big-endian, EPBs with options and junk padding', () => concat(shb(false), idb(false, { linkType: 1 }),
      ...demo.map((p, i) => junkPadded(epb(false, { ts: units(p, 1_000_000n), data: p.bytes, origlen: p.wirelen, options: i % 4 === 0 ? concat(option(false, 1, new TextEncoder().encode(`pkt ${i}`)), endOfOptions(false)) : undefined }), p.caplen)))],
    ['pcapng SPB, PB, EPB, other blocks, three sections and clocks', () => {
      const third = Math.floor(demo.length / 3);
      const a = demo.slice(0, third), b = demo.slice(third, 2 * third), c = demo.slice(2 * third);
      return concat(
        shb(true), idb(true, { linkType: 1, snaplen: 200 }), idb(true, { linkType: 1, tsresol: 9 }),
        block(true, 4, words(true, 0)), // NRB, copied
        ...a.map((p, i) => i % 5 === 1 ? spb(true, { data: p.bytes.subarray(0, Math.min(200, p.bytes.length)), origlen: p.wirelen })
          : i % 7 === 2 ? pb(true, { iface: 1, drops: 3, ts: units(p, 1_000_000_000n), data: p.bytes, origlen: p.wirelen })
          : epb(true, { iface: i & 1, ts: units(p, i & 1 ? 1_000_000_000n : 1_000_000n), data: p.bytes, origlen: p.wirelen })),
        block(true, 5, words(true, 1, 0, 0, 0, 0)), // ISB for interface 1: copied
        block(true, 5, words(true, 7, 0, 0, 0, 0)), // ISB for an interface the section lacks: left out
        block(true, 0x40000bad, words(true, 32473, 1, 2)), // do-not-copy custom block
        block(true, 0x00000bad, words(true, 32473, 3)), // custom block, copied
        shb(false), idb(false, { linkType: 1, tsresol: 0x80 | 20, tsoffset: 1000n }),
        ...b.map((p) => epb(false, { ts: units(p, 1n << 20n) - 1000n * (1n << 20n), data: p.bytes, origlen: p.wirelen })),
        shb(false), idb(false, { linkType: 1, tsresol: 12 }),
        ...c.map((p, i) => (i % 3 === 0 ? spb(false, { data: p.bytes, origlen: p.wirelen }) : epb(false, { ts: units(p, 1_000_000_000_000n), data: p.bytes, origlen: p.wirelen }))),
      );
    }],
  ];
  it.each(forms.map(([n]) => n))('demo packets as %s', async (name) => {
    const bytes = forms.find(([n]) => n === name)![1]();
    const file = write(`form-${name.replace(/\W+/g, '-')}${name.startsWith('pcapng') ? '.pcapng' : '.pcap'}`, bytes);
    const o = await expectSame(file, NODE, [0, 333, 64]);
    expect(o.error).toBeNull();
    expect((o.report as any).packets.in).toBe(demo.length);
  });

  it('rejects that outgrow the records they replace (output overtakes input)', async () => {
    // SYNs to web's ClusterIP on a port it does not serve: each is rejected with an ICMP error
    // longer than the SYN's record, and nothing before it was dropped to make room.
    const syns = Array.from({ length: 400 }, (_, i) => buildPacket({ proto: 'TCP', src: `10.244.1.${(i % 200) + 2}`, dst: '10.96.0.10', sport: 30000 + i, dport: 9999, flags: 0x02 }));
    const pcap = write('rejects.pcap', concat(pcapHeader(), ...syns.map((d, i) => pcapRecord({ sec: 1700000000, frac: i, data: d }))));
    const ng = write('rejects.pcapng', concat(shb(true), idb(true, { linkType: 1 }), ...syns.map((d, i) => (i % 2 ? spb(true, { data: d }) : epb(true, { ts: 1700000000_000000n + BigInt(i), data: d })))));
    for (const f of [pcap, ng]) {
      const o = await expectSame(f, NODE, [0, 333, 97]);
      expect((o.report as any).packets.rejected).toBe(400);
      expect((o.report as any).generated).toBe(400);
    }
  });

  it('records larger than the tail room, cut across many reads', async () => {
    const big = new Uint8Array(150_000).fill(0x5a);
    const frame = (n: number) => concat(demo[3]!.bytes, new Uint8Array(n));
    const f = write('large.pcapng', concat(shb(true), idb(true, { linkType: 1 }),
      epb(true, { ts: 1n, data: frame(100_000) }), block(true, 0x00000bad, concat(words(true, 32473), big)),
      ...demo.slice(0, 50).map((p) => epb(true, { ts: units(p, 1_000_000n), data: p.bytes, origlen: p.wirelen }))));
    await expectSame(f, NODE, [0, 4096, 60_000]);
  });

  it('truncated captures: the same packets written and the same error', async () => {
    const whole = fs.readFileSync(DEMO);
    const ng = forms[4]![1]();
    const pc = forms[1]![1]();
    const cuts: [string, Uint8Array][] = [];
    for (const at of [0, 3, 10, 27, 100, 1001, 5000, whole.length - 1, whole.length - 6]) cuts.push([`demo-${at}.pcapng`, whole.subarray(0, at)]);
    for (const at of [20, 24, 30, 39, 1000, pc.length - 3]) cuts.push([`pcap-${at}.pcap`, pc.subarray(0, at)]);
    for (const at of [50, 333, 4444, ng.length - 2]) cuts.push([`ng-${at}.pcapng`, ng.subarray(0, at)]);
    for (const [name, b] of cuts) await expectSame(write(name, b), NODE, [0, 97]);
  });

  it('options that overrun their block, and long ones that fit: the same packets written and the same error', async () => {
    const text = (t: string) => new TextEncoder().encode(t);
    // An option header claiming `length` bytes where only `have` follow.
    const overrun = (le: boolean, code: number, length: number, have: number) => concat(words(le, u16(code), u16(length)), new Uint8Array(have));
    const pkts = (le: boolean, from: number, n: number, options?: (i: number) => Uint8Array | undefined) => demo.slice(from, from + n).map((p, i) =>
      epb(le, { ts: units(p, 1_000_000n), data: p.bytes, origlen: p.wirelen, options: options?.(i) }));
    const longOk = (le: boolean) => concat(option(le, 1, text('c'.repeat(3000))), option(le, 2, new Uint8Array(4)), endOfOptions(le));
    const files: [string, Uint8Array][] = [];
    for (const le of [true, false]) {
      const tag = le ? 'le' : 'be';
      files.push(
        [`idb-if-name-${tag}`, concat(shb(le), idb(le, { linkType: 1, options: overrun(le, 2, 1284, 4) }), ...pkts(le, 0, 5))],
        [`shb-${tag}`, concat(shb(le, { options: overrun(le, 3, 40, 8) }), idb(le, { linkType: 1 }), ...pkts(le, 0, 5))],
        [`second-shb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 30), shb(!le, { options: overrun(!le, 4, 999, 12) }),
          idb(!le, { linkType: 1 }), ...pkts(!le, 30, 5))],
        [`epb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 40, (i) => (i === 33 ? overrun(le, 1, 300, 16) : i % 5 === 0 ? longOk(le) : undefined)))],
        [`pb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 12),
          pb(le, { ts: units(demo[12]!, 1_000_000n), data: demo[12]!.bytes, origlen: demo[12]!.wirelen, options: overrun(le, 2, 8, 4) }), ...pkts(le, 13, 3))],
        [`isb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 20), block(le, 5, concat(words(le, 0, 0, 0), overrun(le, 4, 16, 8))), ...pkts(le, 20, 3))],
        // An ISB of an interface the section lacks is left out of the output, but checked all the same.
        [`isb-unknown-iface-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 20), block(le, 5, concat(words(le, 9, 0, 0), overrun(le, 1, 16, 8))))],
        [`nrb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 7), block(le, 4, concat(words(le, u16(1), u16(300)), new Uint8Array(12))), ...pkts(le, 7, 3))],
        [`dsb-${tag}`, concat(shb(le), idb(le, { linkType: 1 }), ...pkts(le, 0, 7), block(le, 10, concat(words(le, 0x544c534b, 4000), new Uint8Array(8))), ...pkts(le, 7, 3))],
        [`long-ok-${tag}`, concat(shb(le, { options: concat(option(le, 2, text('h'.repeat(2000))), endOfOptions(le)) }),
          idb(le, { linkType: 1, options: option(le, 2, text('e'.repeat(1284))) }),
          block(le, 4, concat(option(le, 1, concat(Uint8Array.of(10, 96, 0, 10), text('n'.repeat(900)), Uint8Array.of(0))), words(le, 0), option(le, 2, text('s'.repeat(300))), endOfOptions(le))),
          ...pkts(le, 0, 60, (i) => (i % 4 === 0 ? longOk(le) : undefined)),
          block(le, 5, concat(words(le, 0, 0, 0), option(le, 1, text('i'.repeat(2500))), endOfOptions(le))))],
      );
    }
    // Both byte orders for a few; the rest little-endian only.
    const chosen = files.filter(([name]) => name.endsWith('-le') || /^(idb-if-name|epb|long-ok)-/.test(name));
    for (const [name, bytes] of chosen) {
      const o = await expectSame(write(`opt-${name}.pcapng`, bytes), NODE, [0, 97]);
      if (name.startsWith('long-ok')) expect(o.error, name).toBeNull();
      else expect(o.error, name).toMatch(/overruns the block$/);
    }
  });

  it('mutated block and record headers: the same packets written and the same error', async () => {
    const ng = forms[4]![1]();
    const pc = forms[0]![1]();
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8);
    for (let k = 0; k < 40; k++) {
      const src = k % 2 ? ng : pc;
      const m = Uint8Array.from(src);
      // Hit length fields and headers more often than packet bytes.
      const at = k % 4 < 2 ? (rnd() % 64) + (k % 2 ? 0 : 24) : rnd() % m.length;
      m[at] = rnd() & 0xff;
      await expectSame(write(`mut-${k}${k % 2 ? '.pcapng' : '.pcap'}`, m), NODE, [0]);
    }
  });
});
