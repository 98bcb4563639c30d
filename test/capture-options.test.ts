// pcapng options (and name resolution records) must lie within their block: svcplane copies them
// to its output as they are, so a block whose option runs past its end would make an output
// tshark refuses. Both readers (the JavaScript reader and the chunked replay, whose packet blocks
// the core walks) refuse such a block at its file offset (exit 2 from the command); long options
// that fit are kept, and tshark reads everything svcplane writes from them.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { replay, replayAsync, type ReplayOptions } from '../src/replay/replay.js';
import { CaptureFormatError } from '../src/capture/errors.js';
import { REPO, runCli, tempDir, ensureBuilt } from './helpers/cli.js';
import { hasTshark, tsharkFields } from './helpers/tshark.js';
import { block, concat, endOfOptions, epb, idb, option, pb, readAll, shb, u16, words } from './helpers/capture-builders.js';
import { buildPacket } from './helpers/packets.js';

const NODE: Partial<ReplayOptions> = {
  cluster: [path.join(REPO, 'pcaps', 'demo-cluster.yaml')], node: 'node-a', nodeIPs: ['192.168.49.2'],
  podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'],
};
const dir = tempDir('svcplane-options-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let seq = 0;
function write(bytes: Uint8Array, ext = '.pcapng'): string {
  const f = path.join(dir, `in-${seq++}${ext}`);
  fs.writeFileSync(f, bytes);
  return f;
}

const text = (s: string) => new TextEncoder().encode(s);
const long = (n: number, c = 'x') => text(c.repeat(n));
/** An option header claiming `length` bytes, followed by only `have` bytes (no end of options). */
const overrun = (le: boolean, code: number, length: number, have: number) => concat(words(le, u16(code), u16(length)), new Uint8Array(have));

const web = (i: number, flags = 0x02) => buildPacket({ proto: 'TCP', src: `10.244.1.${20 + i}`, dst: '10.96.0.10', sport: 40000 + i, dport: 80, flags, payload: 10 });
const rejected = buildPacket({ proto: 'TCP', src: '10.244.1.9', dst: '10.96.0.10', sport: 41000, dport: 9999, flags: 0x02 });

/** Name resolution records: | type | length | value padded |. */
const nrbRecord = (le: boolean, type: number, value: Uint8Array) => option(le, type, value);
const isb = (le: boolean, opts: Uint8Array) => block(le, 5, concat(words(le, 0, 0, 1000), opts));
const nrb = (le: boolean, body: Uint8Array) => block(le, 4, body);
const dsb = (le: boolean, secrets: Uint8Array, opts: Uint8Array = new Uint8Array(0), claimed = secrets.length) =>
  block(le, 10, concat(words(le, 0x544c534b, claimed), secrets, new Uint8Array((4 - (secrets.length % 4)) % 4), opts));

interface Damage {
  what: string; bytes: (le: boolean) => Uint8Array; offset: (le: boolean) => number; reason: string;
  /** tshark 4.0 skips a decryption secrets block's options unread (later versions check them). */
  tsharkSkips?: boolean;
}

const SHB_LEN = 28;
const IDB_LEN = 20;
const epbLen = (data: Uint8Array) => 32 + ((data.length + 3) & ~3);

const damages: Damage[] = [
  {
    what: 'IDB if_name of length 1284',
    bytes: (le) => concat(shb(le), idb(le, { options: overrun(le, 2, 1284, 4) }), epb(le, { ts: 1n, data: web(0) })),
    offset: () => SHB_LEN,
    reason: 'interface description block: option if_name (code 2) length 1284 overruns the block',
  },
  {
    what: 'SHB option of an unknown code',
    bytes: (le) => concat(shb(le, { options: overrun(le, 777, 9, 8) }), idb(le), epb(le, { ts: 1n, data: web(0) })),
    offset: () => 0,
    reason: 'section header block: option code 777 length 9 overruns the block',
  },
  {
    what: 'second section\'s SHB shb_userappl',
    bytes: (le) => concat(shb(le), idb(le), epb(le, { ts: 1n, data: web(0) }), shb(!le, { options: overrun(!le, 4, 200, 12) }), idb(!le)),
    offset: () => SHB_LEN + IDB_LEN + epbLen(web(0)),
    reason: 'section header block: option shb_userappl (code 4) length 200 overruns the block',
  },
  {
    what: 'EPB comment after good packets',
    bytes: (le) => concat(shb(le), idb(le), epb(le, { ts: 1n, data: web(0) }),
      epb(le, { ts: 2n, data: web(1), options: concat(option(le, 2, new Uint8Array(4)), overrun(le, 1, 40, 8)) })),
    offset: () => SHB_LEN + IDB_LEN + epbLen(web(0)),
    reason: 'enhanced packet block: option opt_comment (code 1) length 40 overruns the block',
  },
  {
    what: 'EPB option running exactly one padding word past the block',
    bytes: (le) => concat(shb(le), idb(le), epb(le, { ts: 1n, data: web(0), options: overrun(le, 3, 5, 4) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'enhanced packet block: option epb_hash (code 3) length 5 overruns the block',
  },
  {
    what: 'PB pack_flags',
    bytes: (le) => concat(shb(le), idb(le), pb(le, { ts: 1n, data: web(0), options: overrun(le, 2, 8, 4) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'packet block: option pack_flags (code 2) length 8 overruns the block',
  },
  {
    what: 'ISB isb_ifrecv',
    bytes: (le) => concat(shb(le), idb(le), epb(le, { ts: 1n, data: web(0) }), isb(le, overrun(le, 4, 16, 8))),
    offset: () => SHB_LEN + IDB_LEN + epbLen(web(0)),
    reason: 'interface statistics block: option isb_ifrecv (code 4) length 16 overruns the block',
  },
  {
    what: 'NRB record',
    bytes: (le) => concat(shb(le), idb(le), nrb(le, concat(words(le, u16(1), u16(300)), new Uint8Array(12))), epb(le, { ts: 1n, data: web(0) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'name resolution block: record (type 1) length 300 overruns the block',
  },
  {
    what: 'NRB option after the records',
    bytes: (le) => concat(shb(le), idb(le), nrb(le, concat(nrbRecord(le, 1, concat(Uint8Array.of(10, 96, 0, 10), text('web\0'))), words(le, 0),
      overrun(le, 2, 64, 4))), epb(le, { ts: 1n, data: web(0) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'name resolution block: option ns_dnsname (code 2) length 64 overruns the block',
  },
  {
    what: 'DSB secrets length',
    bytes: (le) => concat(shb(le), idb(le), dsb(le, long(8), new Uint8Array(0), 4000), epb(le, { ts: 1n, data: web(0) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'decryption secrets block: secrets length 4000 overruns the block',
  },
  {
    what: 'DSB comment',
    bytes: (le) => concat(shb(le), idb(le), dsb(le, long(6), overrun(le, 1, 12, 8)), epb(le, { ts: 1n, data: web(0) })),
    offset: () => SHB_LEN + IDB_LEN,
    reason: 'decryption secrets block: option opt_comment (code 1) length 12 overruns the block',
    tsharkSkips: true,
  },
];

describe('pcapng options that overrun their block', () => {
  for (const d of damages) {
    for (const le of [true, false]) {
      it(`${d.what} (${le ? 'little' : 'big'}-endian): refused by both readers at the block's offset`, async () => {
        const f = write(d.bytes(le));
        const r = readAll(f);
        expect(r.error?.reason).toBe(d.reason);
        expect(r.error?.offset).toBe(d.offset(le));
        // The chunked replay (sync and overlapped) and the per-packet replay say the same.
        for (const run of [
          () => replay({ ...NODE, capture: f, write: path.join(dir, `o-${seq++}.pcapng`) }),
          () => replay({ ...NODE, capture: f, write: path.join(dir, `o-${seq++}.pcapng`), perPacket: true }),
          () => replayAsync({ ...NODE, capture: f, write: path.join(dir, `o-${seq++}.pcapng`), readBytes: 61 }),
        ]) {
          let err: unknown;
          try {
            await run();
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(CaptureFormatError);
          expect((err as CaptureFormatError).reason).toBe(d.reason);
          expect((err as CaptureFormatError).offset).toBe(d.offset(le));
        }
        // tshark refuses the input too: accepting it would write an output tshark cannot read.
        if (le && hasTshark() && !d.tsharkSkips) expect(tsharkFields(f, ['frame.number'], { allowFailure: true }).status).not.toBe(0);
      });
    }
  }

  it('the command exits 2 naming the file, the block\'s offset, the block, the option and its length', () => {
    ensureBuilt();
    const f = write(damages[0]!.bytes(true));
    for (const extra of [[], ['--trace', path.join(dir, 'trace.jsonl')]]) {
      const r = runCli(['replay', f, '-c', 'pcaps/demo-cluster.yaml', '--node', 'node-a', '-q', '-w', path.join(dir, 'out.pcapng'), ...extra]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe(`svcplane: ${f}: byte 28: interface description block: option if_name (code 2) length 1284 overruns the block`);
    }
  });
});

describe.skipIf(!hasTshark())('long options that fit: kept, and tshark reads all svcplane writes', () => {
  /** Every block type svcplane copies, with options as long as they come (and a custom block). */
  const capture = (le: boolean) => {
    const ifName = long(1284, 'e');
    return concat(
      shb(le, { options: concat(option(le, 2, long(3000, 'h')), option(le, 3, text('Linux')), option(le, 4, long(999, 'a')), option(le, 1, long(70000 >> 4, 'c')), endOfOptions(le)) }),
      idb(le, { linkType: 1, tsresol: 9, options: concat(option(le, 2, ifName), option(le, 3, long(4000, 'd')), option(le, 1, long(1, 'z'))) }),
      nrb(le, concat(nrbRecord(le, 1, concat(Uint8Array.of(10, 96, 0, 10), long(2000, 'n'), Uint8Array.of(0))), words(le, 0),
        option(le, 2, long(500, 's')), endOfOptions(le))),
      dsb(le, text('CLIENT_RANDOM 00 11\n'.repeat(50)), concat(option(le, 1, long(777, 'k')), endOfOptions(le))),
      ...Array.from({ length: 12 }, (_, i) => epb(le, {
        ts: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, data: web(i, i < 6 ? 0x02 : 0x10),
        options: i % 3 === 0 ? concat(option(le, 1, long(3000 + i, 'p')), option(le, 2, new Uint8Array(4)), endOfOptions(le))
          : i % 3 === 1 ? concat(option(le, 1, long(2 + i, 'q'))) // no end of options: the block's end ends them
            : undefined,
      })),
      pb(le, { ts: 1_700_000_001_000_000_000n, data: web(20), options: concat(option(le, 2, new Uint8Array(4)), option(le, 1, long(1500, 'r')), endOfOptions(le)) }),
      epb(le, { ts: 1_700_000_001_500_000_000n, data: rejected, options: concat(option(le, 1, long(600, 'j')), endOfOptions(le)) }),
      isb(le, concat(option(le, 2, new Uint8Array(8)), option(le, 4, new Uint8Array(8)), option(le, 1, long(2500, 'i')), endOfOptions(le))),
      block(le, 0x00000bad, concat(words(le, 32473), long(100, 'u'))),
    );
  };

  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian: chunked, overlapped, per-packet and pcap outputs`, async () => {
      const f = write(capture(le));
      const input = tsharkFields(f, ['frame.number', 'frame.comment']);
      expect(input.stderr).toBe('');
      expect(input.rows.length).toBeGreaterThanOrEqual(14);
      const outs = {
        chunked: path.join(dir, `chunked-${seq++}.pcapng`),
        overlapped: path.join(dir, `async-${seq++}.pcapng`),
        perPacket: path.join(dir, `pp-${seq++}.pcapng`),
        pcap: path.join(dir, `conv-${seq++}.pcap`),
      };
      const reports = [
        replay({ ...NODE, capture: f, write: outs.chunked }),
        await replayAsync({ ...NODE, capture: f, write: outs.overlapped, readBytes: 777 }),
        replay({ ...NODE, capture: f, write: outs.perPacket, perPacket: true }),
        replay({ ...NODE, capture: f, write: outs.pcap }),
      ];
      for (const r of reports) {
        expect(r.packets.in).toBe(14);
        expect(r.packets.rejected).toBe(1);
        expect(r.generated).toBe(1);
      }
      const bytes = fs.readFileSync(outs.chunked);
      expect(fs.readFileSync(outs.overlapped).equals(bytes)).toBe(true);
      expect(fs.readFileSync(outs.perPacket).equals(bytes)).toBe(true);
      const written = reports[0]!.packets.in - reports[0]!.packets.dropped - reports[0]!.packets.rejected + reports[0]!.generated;
      for (const out of Object.values(outs)) {
        const t = tsharkFields(out, ['frame.number', 'frame.comment', 'ip.dst']);
        expect(t.status, out).toBe(0);
        expect(t.stderr, out).toBe('');
        // (tshark lists the custom block as a frame too.)
        expect(t.rows.filter((r) => r[2] !== '').length, out).toBe(written);
      }
      // The options were kept: the packets' comments and the interface's name.
      const comments = tsharkFields(outs.chunked, ['frame.comment']).rows.map((r) => r[0]).filter((c) => c);
      expect(comments.some((c) => c === 'p'.repeat(3000))).toBe(true);
      const info = spawnSync('capinfos', ['-I', outs.chunked], { encoding: 'utf8' });
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toContain('e'.repeat(1284));
    });
  }
});
