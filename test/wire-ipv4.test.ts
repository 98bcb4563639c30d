// wire/ipv4.ts byte by byte: a header deconstructed, one constructed into a buffer of 0xa5, the
// length check on malformed headers, and the address setters against a full checksum recompute.

import { describe, it, expect, beforeAll } from 'vitest';
import { wire, hex, inet, raw4, be16, type Wire } from './helpers/wire.js';

// RFC 1071's classic example header: 172.16.10.99 → 172.16.10.12, TCP, checksum 0xb1e6.
const HEADER = hex('45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c');
const SRC = 12, DST = 16, CSUM = 10;

let w: Wire;
beforeAll(async () => { w = await wire(); });

describe('IPv4 header view', () => {
  it('reads every field of a static header', () => {
    const p = w.put(0, HEADER);
    expect(w.x.v4Version(p)).toBe(4);
    expect(w.x.v4HeaderLen(p)).toBe(20);
    expect(w.x.v4TotalLen(p)).toBe(60);
    expect(w.x.v4Id(p)).toBe(0x1c46);
    expect(w.x.v4Proto(p)).toBe(6);
    expect(w.x.v4FragOffset(p)).toBe(0);
    expect(w.x.v4MoreFragments(p)).toBe(0);
    expect(w.x.v4IsFragment(p)).toBe(0); // DF alone is not a fragment
    expect(w.x.v4NoOptions(p)).toBe(1);
    expect(w.x.v4CheckLen(p, 20)).toBe(1);
    expect(inet(HEADER)).toBe(0);
  });

  it('reads fragment fields: more-fragments, an offset in bytes', () => {
    const h = HEADER.slice();
    h[6] = 0x20; h[7] = 0x00; // MF, offset 0: a first fragment
    let p = w.put(0, h);
    expect([w.x.v4MoreFragments(p), w.x.v4FragOffset(p), w.x.v4IsFragment(p)]).toEqual([1, 0, 1]);
    h[6] = 0x00; h[7] = 0xb9; // offset 185 × 8 = 1480, last fragment
    p = w.put(0, h);
    expect([w.x.v4MoreFragments(p), w.x.v4FragOffset(p), w.x.v4IsFragment(p)]).toEqual([0, 1480, 1]);
  });

  it('builds the same header into a buffer of 0xa5, checksum included', () => {
    const src = w.put(100, hex('ac 10 0a 63'));
    const dst = w.put(104, hex('ac 10 0a 0c'));
    const p = w.put(0, [], 24);
    w.x.v4Build(p, 60, 0x1c46, 64, 6, src, dst);
    const out = w.get(0, 24);
    // ipv4Build writes no TOS and no flags (DF clear: checksum 0xf1e6); the rest is the static header.
    expect(Array.from(out.subarray(0, 20))).toEqual(Array.from(hex('45 00 00 3c 1c 46 00 00 40 06 f1 e6 ac 10 0a 63 ac 10 0a 0c')));
    expect(inet(out.subarray(0, 20))).toBe(0);
    expect(Array.from(out.subarray(20))).toEqual([0xa5, 0xa5, 0xa5, 0xa5]); // nothing past the header
  });

  it('the length check refuses malformed headers', () => {
    const p = w.put(0, HEADER);
    expect(w.x.v4CheckLen(p, 19)).toBe(0); // truncated fixed header
    const v6 = HEADER.slice(); v6[0] = 0x65;
    expect(w.x.v4CheckLen(w.put(0, v6), 20)).toBe(0); // version 6
    const ihl4 = HEADER.slice(); ihl4[0] = 0x44;
    expect(w.x.v4CheckLen(w.put(0, ihl4), 20)).toBe(0); // IHL below 5
    const opts = HEADER.slice(); opts[0] = 0x46;
    expect(w.x.v4CheckLen(w.put(0, opts), 20)).toBe(0); // options announced, not captured
    expect(w.x.v4CheckLen(w.put(0, [...opts, 1, 1, 1, 0]), 24)).toBe(1);
    expect(w.x.v4NoOptions(w.put(0, opts))).toBe(0);
  });
});

describe('IPv4 address setters', () => {
  it('ipv4SetAddr folds the change into the header checksum (exact values, equal to a full recompute)', () => {
    let p = w.put(0, HEADER);
    const d = w.x.v4SetAddr(p, SRC, raw4('10.96.0.10'));
    expect(d).not.toBe(0n);
    let out = w.get(0, 20);
    expect(Array.from(out.subarray(SRC, SRC + 4))).toEqual([10, 96, 0, 10]);
    expect(be16(out, CSUM)).toBe(0x5df0);
    expect(inet(out)).toBe(0);

    p = w.put(0, HEADER);
    w.x.v4SetAddr(p, DST, raw4('10.244.1.7'));
    out = w.get(0, 20);
    expect(be16(out, CSUM)).toBe(0x5c08);
    expect(inet(out)).toBe(0);
  });

  it('ipv4SetAddr of the same address changes nothing and returns 0', () => {
    const p = w.put(0, HEADER);
    expect(w.x.v4SetAddr(p, SRC, raw4('172.16.10.99'))).toBe(0n);
    expect(Array.from(w.get(0, 20))).toEqual(Array.from(HEADER));
  });

  it('ipv4SetAddrFolded with the folded ipv4AddrDelta writes the same bytes as ipv4SetAddr', () => {
    for (const [from, to] of [['172.16.10.12', '10.244.1.7'], ['172.16.10.12', '172.16.10.12'], ['172.16.10.12', '255.255.255.255']]) {
      const a = w.put(0, HEADER);
      w.x.v4SetAddr(a, DST, raw4(to));
      const viaSet = w.get(0, 20);
      const b = w.put(0, HEADER);
      const changed = w.x.v4SetAddrFolded(b, DST, raw4(from), raw4(to), w.x.v4AddrDeltaFolded(raw4(from), raw4(to)));
      expect(Array.from(w.get(0, 20))).toEqual(Array.from(viaSet));
      expect(changed).toBe(from === to ? 0 : 1);
      expect(inet(viaSet)).toBe(0);
    }
  });

  it('a header checksum that was wrong stays exactly as wrong (incremental, never recomputed)', () => {
    const bad = HEADER.slice(); bad[CSUM + 1] ^= 0x01;
    const p = w.put(0, bad);
    w.x.v4SetAddr(p, DST, raw4('10.244.1.7'));
    const out = w.get(0, 20);
    expect(inet(out)).not.toBe(0);
    out[CSUM + 1] ^= 0x01;
    expect(be16(out, CSUM)).toBe(0x5c08);
  });
});
