// wire/ipv6.ts byte by byte: a header deconstructed, one constructed into a buffer of 0xa5, the
// length check, extension-header fields, and the address setter folded into UDP and ICMPv6
// checksums through the pseudo-header, against a full recompute with exact values.

import { describe, it, expect, beforeAll } from 'vitest';
import { wire, hex, inet, words, be16, type Wire } from './helpers/wire.js';

// [fd00::1:5]:5353 → [fd00:96::a]:53, UDP with 4 bytes of payload; checksum 0x5273.
const IP = hex('60 00 00 00 00 0c 11 40 fd 00 00 00 00 00 00 00 00 00 00 00 00 01 00 05 fd 00 00 96 00 00 00 00 00 00 00 00 00 00 00 0a');
const UDP = hex('14 e9 00 35 00 0c 52 73 de ad be ef');
const BACKEND = hex('fd 00 00 00 00 00 00 00 00 00 00 00 00 02 00 09'); // fd00::2:9
const SRC = 8, DST = 24, DPORT = 2, UDP_CSUM = 6;

let w: Wire;
beforeAll(async () => { w = await wire(); });

function sum6(ip: Uint8Array, seg: Uint8Array, next: number): number {
  return inet(seg, words([...ip.subarray(8, 40), 0, 0, seg.length >> 8, seg.length & 0xff, 0, 0, 0, next]));
}

describe('IPv6 header view', () => {
  it('reads every field of a static header', () => {
    const p = w.put(0, IP);
    expect([w.x.v6Version(p), w.x.v6PayloadLen(p), w.x.v6Next(p)]).toEqual([6, 12, 17]);
    expect(w.x.v6CheckLen(p, 40)).toBe(1);
    expect(sum6(IP, UDP, 17)).toBe(0);
  });

  it('builds the same header into a buffer of 0xa5', () => {
    const src = w.put(200, IP.subarray(SRC, SRC + 16));
    const dst = w.put(216, IP.subarray(DST, DST + 16));
    const p = w.put(0, [], 44);
    w.x.v6Build(p, 12, 17, 64, src, dst);
    expect(Array.from(w.get(0, 40))).toEqual(Array.from(IP));
    expect(Array.from(w.get(40, 4))).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });

  it('the length check refuses a truncated header and another version', () => {
    expect(w.x.v6CheckLen(w.put(0, IP), 39)).toBe(0);
    const v4 = IP.slice(); v4[0] = 0x45;
    expect(w.x.v6CheckLen(w.put(0, v4), 40)).toBe(0);
  });

  it('reads extension headers: lengths, and a fragment header\'s offset, M flag and id', () => {
    const hbh = w.put(0, hex('11 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00'));
    expect(w.x.v6ExtLen(hbh, 0)).toBe(16); // (1 + 1) × 8
    const ah = w.put(0, hex('11 04 00 00'));
    expect(w.x.v6ExtLen(ah, 51)).toBe(24); // (4 + 2) × 4
    const frag = w.put(0, hex('11 00 05 c9 de ad be ef')); // offset 185 × 8, M set
    expect([w.x.v6ExtLen(frag, 44), w.x.v6FragOffset(frag), w.x.v6FragMore(frag), w.x.v6FragId(frag) >>> 0])
      .toEqual([8, 1480, 1, 0xdeadbeef]);
  });
});

describe('IPv6 address setter', () => {
  it('DNAT to [fd00::2:9]:8080 folds into the UDP checksum: 0x33ad, as a full recompute', () => {
    const ip = w.put(0, IP, 60);
    const l4 = w.put(40, UDP);
    const b = w.put(100, BACKEND);
    const d = w.x.v6SetAddr(ip, DST, b);
    expect(d).not.toBe(0n);
    expect(w.x.l4SetPortWith(l4, 17, DPORT, 8080, d)).toBe(1);
    const h = w.get(0, 40), seg = w.get(40, 12);
    expect(Array.from(h.subarray(DST, DST + 16))).toEqual(Array.from(BACKEND));
    expect(be16(seg, UDP_CSUM)).toBe(0x33ad);
    expect(sum6(h, seg, 17)).toBe(0);
    expect(Array.from(w.get(52, 8))).toEqual(Array(8).fill(0xa5));
  });

  it('setting the address it holds changes nothing and returns 0', () => {
    const ip = w.put(0, IP);
    const same = w.put(100, IP.subarray(DST, DST + 16));
    expect(w.x.v6SetAddr(ip, DST, same)).toBe(0n);
    expect(Array.from(w.get(0, 40))).toEqual(Array.from(IP));
  });

  it('an ICMPv6 echo follows its pseudo-header: 0x72e0 becomes 0x7375', () => {
    const ip6 = IP.slice(); ip6[5] = 8; ip6[6] = 58;
    const echo = hex('80 00 72 e0 12 34 00 01');
    expect(sum6(ip6, echo, 58)).toBe(0);
    const ip = w.put(0, ip6);
    const l4 = w.put(40, echo);
    w.x.l4Icmp6FoldAddr(l4, w.x.v6SetAddr(ip, DST, w.put(100, BACKEND)));
    const seg = w.get(40, 8);
    expect(be16(seg, 2)).toBe(0x7375);
    expect(sum6(w.get(0, 40), seg, 58)).toBe(0);
  });
});
