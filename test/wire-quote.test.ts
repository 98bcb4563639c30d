// wire/quote.ts byte by byte: an ICMP error quoting a packet of a translated connection, its
// quoted addresses and ports set back, and every checksum that covers them (quoted IPv4 header,
// quoted TCP or UDP when quoted, the error's own) equal to a full recompute.

import { describe, it, expect, beforeAll } from 'vitest';
import { wire, hex, inet, words, be16, type Wire } from './helpers/wire.js';

// The packet the backend saw: 10.244.1.5:40000 → 10.244.2.9:8080, TCP with 4 bytes of payload.
const INNER_IP = hex('45 00 00 2c 00 01 00 00 40 06 61 d6 0a f4 01 05 0a f4 02 09');
const INNER_TCP = hex('9c 40 1f 90 00 00 00 01 00 00 00 00 50 02 72 10 a4 40 00 00 61 62 63 64');
// Destination unreachable, fragmentation needed, next-hop MTU 1500.
const ICMP_HEAD = [0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc];
const VIP = hex('0a 60 00 0a');

let w: Wire;
beforeAll(async () => { w = await wire(); });

function tcpSum(ip: Uint8Array, seg: Uint8Array): number {
  return inet(seg, words([...ip.subarray(12, 20), 0, 6, seg.length >> 8, seg.length & 0xff]));
}
/** An ICMP error quoting `quoted` bytes of the inner packet, with a valid ICMP checksum. */
function error(tcpBytes: number): Uint8Array {
  const m = Uint8Array.from([...ICMP_HEAD, ...INNER_IP, ...INNER_TCP.subarray(0, tcpBytes)]);
  const c = inet(m); m[2] = c >> 8; m[3] = c & 0xff;
  return m;
}
/** Sets the quoted destination back to the VIP and port 80, as related.ts does toward the client. */
function translate(m: Uint8Array, tcpBytes: number): Uint8Array {
  const icmp = w.put(0, m, 80);
  const inner = icmp + 8, il4 = inner + 20;
  const dIp = w.x.qSetAddr(inner + 16, w.put(200, VIP), 4);
  const dL4 = w.x.qSetPort(il4 + 2, 80);
  w.x.qChecksums(icmp, inner, 4, il4, 6, tcpBytes, dIp, dL4);
  return w.get(0, m.length);
}

describe('an ICMP error\'s quoted packet', () => {
  it('quoted whole: inner IPv4 0x64 69, inner TCP 0xc6 13 and the ICMP checksum all equal a full recompute', () => {
    expect(inet(INNER_IP)).toBe(0);
    expect(tcpSum(INNER_IP, INNER_TCP)).toBe(0);
    const out = translate(error(24), 24);
    const ip = out.subarray(8, 28), tcp = out.subarray(28, 52);
    expect(Array.from(ip.subarray(16, 20))).toEqual([10, 96, 0, 10]);
    expect(be16(tcp, 2)).toBe(80);
    expect(be16(ip, 10)).toBe(0x6469);
    expect(be16(tcp, 16)).toBe(0xc613);
    expect(inet(ip)).toBe(0);
    expect(tcpSum(ip, tcp)).toBe(0);
    expect(inet(out)).toBe(0);
    expect(Array.from(w.get(out.length, 8))).toEqual(Array(8).fill(0xa5));
  });

  it('quoted to 8 bytes of TCP (RFC 792\'s minimum): the TCP checksum is not there to update; the rest still holds', () => {
    const out = translate(error(8), 8);
    expect(out.length).toBe(36);
    expect(inet(out.subarray(8, 28))).toBe(0);
    expect(inet(out)).toBe(0);
    expect(Array.from(w.get(36, 8))).toEqual(Array(8).fill(0xa5));
  });

  it('a quoted UDP checksum of 0 stays 0', () => {
    const ip = INNER_IP.slice(); ip[9] = 17; ip[10] = 0; ip[11] = 0; ip[3] = 0x20;
    const c = inet(ip); ip[10] = c >> 8; ip[11] = c & 0xff;
    const udp = hex('9c 40 1f 90 00 0c 00 00 de ad be ef');
    const m = Uint8Array.from([...ICMP_HEAD, ...ip, ...udp]);
    const s = inet(m); m[2] = s >> 8; m[3] = s & 0xff;
    const icmp = w.put(0, m, 80);
    const inner = icmp + 8, il4 = inner + 20;
    const dIp = w.x.qSetAddr(inner + 16, w.put(200, VIP), 4);
    const dL4 = w.x.qSetPort(il4 + 2, 53);
    w.x.qChecksums(icmp, inner, 4, il4, 17, 12, dIp, dL4);
    const out = w.get(0, m.length);
    expect(be16(out, 28 + 6)).toBe(0);
    expect(be16(out, 28 + 2)).toBe(53);
    expect(inet(out.subarray(8, 28))).toBe(0);
    expect(inet(out)).toBe(0);
  });
});
