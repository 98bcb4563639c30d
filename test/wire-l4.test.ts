// wire/l4.ts byte by byte: TCP, UDP, SCTP and ICMP headers deconstructed, their length checks on
// malformed headers, and the port setters (with an address change through the IPv4 pseudo-header)
// against a full checksum recompute, with exact checksum values.

import { describe, it, expect, beforeAll } from 'vitest';
import { wire, hex, inet, words, raw4, be16, type Wire } from './helpers/wire.js';

// 10.244.1.5:40000 → 10.96.0.10:80, a SYN with 4 bytes of payload ("abcd").
const IP_TCP = hex('45 00 00 2c 00 01 00 00 40 06 64 69 0a f4 01 05 0a 60 00 0a');
const TCP = hex('9c 40 00 50 00 00 00 01 00 00 00 00 50 02 72 10 c6 13 00 00 61 62 63 64');
// 10.244.1.5:5353 → 10.96.0.10:53, 4 bytes of payload.
const IP_UDP = hex('45 00 00 20 00 02 00 00 40 11 64 69 0a f4 01 05 0a 60 00 0a');
const UDP = hex('14 e9 00 35 00 0c 36 b8 de ad be ef');
const IPV4_DST = 16, IPV4_SRC = 12, SPORT = 0, DPORT = 2, TCP_CSUM = 16, UDP_CSUM = 6, P_TCP = 6, P_UDP = 17;

let w: Wire;
beforeAll(async () => { w = await wire(); });

/** Transport checksum of `seg` under the IPv4 pseudo-header of `ip` (full recompute). */
function l4sum(ip: Uint8Array, seg: Uint8Array, proto: number): number {
  const ph = [...ip.subarray(12, 20), 0, proto, seg.length >> 8, seg.length & 0xff];
  return inet(seg, words(ph));
}
/** Puts IP header and segment one after the other; returns [ip, l4] addresses. */
function packet(ip: Uint8Array, seg: Uint8Array): [number, number] {
  const a = w.put(0, ip, 64);
  w.put(ip.length, seg);
  return [a, a + ip.length];
}
/** A DNAT as every path makes it: the address setter's delta passed to the port setter. */
function dnat(ip: number, l4: number, proto: number, addr: string, port: number): boolean {
  const d = w.x.v4SetAddr(ip, IPV4_DST, raw4(addr));
  return w.x.l4SetPortWith(l4, proto, DPORT, port, d) === 1;
}

describe('TCP and UDP header views', () => {
  it('reads the fields of static headers', () => {
    const [, t] = packet(IP_TCP, TCP);
    expect([w.x.l4SrcPort(t), w.x.l4DstPort(t), w.x.l4TcpHeaderLen(t), w.x.l4TcpFlags(t)]).toEqual([40000, 80, 20, 0x02]);
    expect(w.x.l4TcpCheckLen(t, 24, 24)).toBe(1);
    expect(l4sum(IP_TCP, TCP, P_TCP)).toBe(0);
    const [, u] = packet(IP_UDP, UDP);
    expect([w.x.l4SrcPort(u), w.x.l4DstPort(u), w.x.l4UdpLen(u)]).toEqual([5353, 53, 12]);
    expect(w.x.l4UdpCheckLen(u, 12)).toBe(1);
    expect(l4sum(IP_UDP, UDP, P_UDP)).toBe(0);
  });

  it('the length checks refuse malformed headers', () => {
    const [, t] = packet(IP_TCP, TCP);
    expect(w.x.l4TcpCheckLen(t, 19, 24)).toBe(0); // truncated
    const short = TCP.slice(); short[12] = 0x40; // data offset 16 bytes
    expect(w.x.l4TcpCheckLen(packet(IP_TCP, short)[1], 24, 24)).toBe(0);
    const long = TCP.slice(); long[12] = 0x70; // data offset 28, past the 24-byte segment
    expect(w.x.l4TcpCheckLen(packet(IP_TCP, long)[1], 24, 24)).toBe(0);
    const [, u] = packet(IP_UDP, UDP);
    expect(w.x.l4UdpCheckLen(u, 7)).toBe(0);
    const ulen = UDP.slice(); ulen[5] = 7; // length field below the header
    expect(w.x.l4UdpCheckLen(packet(IP_UDP, ulen)[1], 12)).toBe(0);
    expect([w.x.l4SctpCheckLen(11), w.x.l4SctpCheckLen(12), w.x.l4IcmpCheckLen(7), w.x.l4IcmpCheckLen(8)]).toEqual([0, 1, 0, 1]);
  });
});

describe('port setters with incremental checksums', () => {
  it('TCP DNAT to 10.244.2.9:8080: IPv4 checksum 0x61d6, TCP checksum 0xa440, as a full recompute', () => {
    const [ip, l4] = packet(IP_TCP, TCP);
    expect(dnat(ip, l4, P_TCP, '10.244.2.9', 8080)).toBe(true);
    const h = w.get(0, 20), seg = w.get(20, 24);
    expect(Array.from(h.subarray(16, 20))).toEqual([10, 244, 2, 9]);
    expect(be16(seg, DPORT)).toBe(8080);
    expect(be16(h, 10)).toBe(0x61d6);
    expect(be16(seg, TCP_CSUM)).toBe(0xa440);
    expect(inet(h)).toBe(0);
    expect(l4sum(h, seg, P_TCP)).toBe(0);
    expect(Array.from(w.get(44, 8))).toEqual(Array(8).fill(0xa5)); // nothing written past the segment
  });

  it('UDP DNAT: checksum 0x14ca; a checksum of 0 (none) stays 0; a computed 0 is sent as 0xffff', () => {
    let [ip, l4] = packet(IP_UDP, UDP);
    dnat(ip, l4, P_UDP, '10.244.2.9', 8080);
    let h = w.get(0, 20), seg = w.get(20, 12);
    expect(be16(seg, UDP_CSUM)).toBe(0x14ca);
    expect(l4sum(h, seg, P_UDP)).toBe(0);

    const none = UDP.slice(); none[6] = 0; none[7] = 0;
    [ip, l4] = packet(IP_UDP, none);
    expect(dnat(ip, l4, P_UDP, '10.244.2.9', 8080)).toBe(true);
    expect(be16(w.get(20, 12), UDP_CSUM)).toBe(0);
    expect(inet(w.get(0, 20))).toBe(0); // the IPv4 header checksum still follows

    // Port 13402 makes the one's-complement sum 0xffff: RFC 768 sends that checksum as 0xffff.
    [ip, l4] = packet(IP_UDP, UDP);
    dnat(ip, l4, P_UDP, '10.244.2.9', 13402);
    h = w.get(0, 20); seg = w.get(20, 12);
    expect(be16(seg, UDP_CSUM)).toBe(0xffff);
    expect(l4sum(h, seg, P_UDP)).toBe(0);
  });

  it('SNAT of the source port alone, and a port set to its own value changes nothing', () => {
    let [, l4] = packet(IP_TCP, TCP);
    expect(w.x.l4SetPortWith(l4, P_TCP, SPORT, 40001, 0n)).toBe(1);
    let seg = w.get(20, 24);
    expect(be16(seg, SPORT)).toBe(40001);
    expect(be16(seg, TCP_CSUM)).toBe(0xc612);
    expect(l4sum(IP_TCP, seg, P_TCP)).toBe(0);
    [, l4] = packet(IP_TCP, TCP);
    expect(w.x.l4SetPortWith(l4, P_TCP, SPORT, 40000, 0n)).toBe(0);
    expect(Array.from(w.get(20, 24))).toEqual(Array.from(TCP));
  });

  it('the folded-delta setters (a connection\'s stored deltas) write the same bytes as the plain ones', () => {
    for (const [proto, ipb, seg, port] of [[P_TCP, IP_TCP, TCP, 8080], [P_UDP, IP_UDP, UDP, 8080], [P_TCP, IP_TCP, TCP, 80], [P_UDP, IP_UDP, UDP, 13402]] as const) {
      let [ip, l4] = packet(ipb, seg);
      dnat(ip, l4, proto, '10.244.2.9', port);
      const plain = w.get(0, 20 + seg.length);
      [ip, l4] = packet(ipb, seg);
      const from = raw4('10.96.0.10'), to = raw4('10.244.2.9');
      const dIp = w.x.v4AddrDeltaFolded(from, to);
      const dL4 = w.x.l4FoldedSum(dIp, w.x.l4PortDeltaFolded(be16(seg, DPORT), port));
      const changed = w.x.v4SetAddrFolded(ip, IPV4_DST, from, to, dIp);
      w.x.l4SetPortFoldedWith(l4, proto, DPORT, port, dL4, changed);
      expect(Array.from(w.get(0, 20 + seg.length))).toEqual(Array.from(plain));
    }
  });
});

/** CRC32c (Castagnoli), the reference for SCTP. */
function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; }
  return ~c >>> 0;
}

describe('SCTP port setter', () => {
  // An INIT chunk header after the common header: 10.0.0.1:3868 → :3868, verification tag 0.
  const SCTP = hex('0f 1c 0f 1c 00 00 00 00 00 00 00 00 01 00 00 14 11 22 33 44 00 00 ff ff 00 0a 00 0a 00 00 00 01');
  function withCrc(b: Uint8Array): Uint8Array {
    const x = b.slice(); x.fill(0, 8, 12);
    const c = crc32c(x);
    x[8] = c & 0xff; x[9] = (c >>> 8) & 0xff; x[10] = (c >>> 16) & 0xff; x[11] = c >>> 24; // little-endian on the wire (RFC 9260 B)
    return x;
  }
  it('recomputes the CRC32c when the whole packet was captured, and keeps it when not', () => {
    const pkt = withCrc(SCTP);
    let l4 = w.put(0, pkt, 40);
    expect(w.x.l4SctpChunkType(l4)).toBe(1);
    expect(w.x.crc(l4, pkt.length, 8) >>> 0).toBe(crc32c(Uint8Array.from([...pkt.subarray(0, 8), 0, 0, 0, 0, ...pkt.subarray(12)])));
    expect(w.x.l4SctpSetPort(l4, DPORT, 30000, pkt.length, pkt.length)).toBe(1);
    const out = w.get(0, pkt.length);
    expect(be16(out, DPORT)).toBe(30000);
    const want = SCTP.slice(); want[2] = 30000 >> 8; want[3] = 30000 & 0xff;
    expect(Array.from(out)).toEqual(Array.from(withCrc(want)));
    expect(Array.from(w.get(pkt.length, 8))).toEqual(Array(8).fill(0xa5));

    l4 = w.put(0, pkt, 40);
    expect(w.x.l4SctpSetPort(l4, DPORT, 30000, 20, pkt.length)).toBe(1); // 20 of 32 bytes captured
    expect(Array.from(w.get(8, 4))).toEqual(Array.from(pkt.subarray(8, 12)));
    expect(w.x.l4SctpSetPort(w.put(0, pkt), DPORT, 3868, pkt.length, pkt.length)).toBe(0);
  });
});

describe('ICMP header view', () => {
  it('reads type and code', () => {
    const p = w.put(0, hex('03 03 00 00 00 00 00 00'));
    expect([w.x.l4IcmpType(p), w.x.l4IcmpCode(p)]).toEqual([3, 3]);
  });
});
