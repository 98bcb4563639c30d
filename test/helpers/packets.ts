// Builds test packets from fields, with checksums computed from scratch
// (a full RFC 1071 sum, independent of the core's incremental updates),
// and checks the checksums of packets the core wrote.

export type Proto = 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6';
const PROTO_NUM: Record<Proto, number> = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPv6: 58 };

export interface PacketSpec {
  src: string; dst: string; sport?: number; dport?: number; proto: Proto;
  /** TCP flags byte (SYN 0x02, ACK 0x10, FIN 0x01, RST 0x04). */
  flags?: number;
  payload?: Uint8Array | number;
  /** Ethernet header (default) or raw IP. */
  link?: 'eth' | 'raw';
  /** A UDP checksum of 0 ("none"). */
  noUdpChecksum?: boolean;
  /** ICMP type/code/id for ICMP packets. */
  icmpType?: number; icmpId?: number;
  ttl?: number; ipId?: number;
}

export function ipBytes(text: string): Uint8Array {
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    const out = new Uint8Array(16);
    groups.forEach((g, i) => { const v = parseInt(g, 16); out[i * 2] = v >> 8; out[i * 2 + 1] = v & 0xff; });
    return out;
  }
  return Uint8Array.from(text.split('.').map(Number));
}

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** CRC32c as SCTP stores it (little-endian value in the packet). */
export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (~c) >>> 0;
}

export function buildPacket(s: PacketSpec): Uint8Array {
  const v6 = s.src.includes(':');
  const proto = PROTO_NUM[s.proto];
  const payload = typeof s.payload === 'number' ? new Uint8Array(s.payload).map((_, i) => (i * 7 + 3) & 0xff) : (s.payload ?? new Uint8Array(0));
  const l4hlen = s.proto === 'TCP' ? 20 : s.proto === 'SCTP' ? 12 : 8;
  const l4 = new Uint8Array(l4hlen + payload.length);
  l4.set(payload, l4hlen);
  const dv = new DataView(l4.buffer);
  if (s.proto === 'ICMP' || s.proto === 'ICMPv6') {
    l4[0] = s.icmpType ?? (s.proto === 'ICMP' ? 8 : 128);
    dv.setUint16(4, s.icmpId ?? 1);
  } else {
    dv.setUint16(0, s.sport ?? 0); dv.setUint16(2, s.dport ?? 0);
  }
  if (s.proto === 'TCP') { dv.setUint32(4, 1000); l4[12] = 5 << 4; l4[13] = s.flags ?? 0x02; dv.setUint16(14, 65535); }
  if (s.proto === 'UDP') dv.setUint16(4, l4.length);
  const ipl = v6 ? 40 : 20;
  const ip = new Uint8Array(ipl + l4.length);
  const ipv = new DataView(ip.buffer);
  const src = ipBytes(s.src), dst = ipBytes(s.dst);
  if (v6) {
    ip[0] = 0x60; ipv.setUint16(4, l4.length); ip[6] = proto; ip[7] = s.ttl ?? 64;
    ip.set(src, 8); ip.set(dst, 24);
  } else {
    ip[0] = 0x45; ipv.setUint16(2, ip.length); ipv.setUint16(4, s.ipId ?? 1); ip[8] = s.ttl ?? 64; ip[9] = proto;
    ip.set(src, 12); ip.set(dst, 16);
    ipv.setUint16(10, (~fold(sum16(ip, 0, 20)) & 0xffff));
  }
  ip.set(l4, ipl);
  fillL4Checksum(ip, v6, proto, ipl, s.noUdpChecksum);
  if (s.link === 'raw') return ip;
  const eth = new Uint8Array(14 + ip.length);
  eth.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  eth[12] = v6 ? 0x86 : 0x08; eth[13] = v6 ? 0xdd : 0x00;
  eth.set(ip, 14);
  return eth;
}

function pseudo(ip: Uint8Array, v6: boolean, proto: number, len: number): number {
  return v6 ? sum16(ip, 8, 40) + len + proto : sum16(ip, 12, 20) + len + proto;
}

/** Fills the transport checksum of an IP packet (ipl = IP header length). */
export function fillL4Checksum(ip: Uint8Array, v6: boolean, proto: number, ipl: number, noUdp = false): void {
  const len = ip.length - ipl;
  const dv = new DataView(ip.buffer, ip.byteOffset);
  if (proto === 132) { dv.setUint32(ipl + 8, 0); dv.setUint32(ipl + 8, crc32c(ip.subarray(ipl)), true); return; }
  const off = proto === 6 ? 16 : proto === 17 ? 6 : 2;
  dv.setUint16(ipl + off, 0);
  if (proto === 17 && noUdp) return;
  const base = proto === 1 ? 0 : pseudo(ip, v6, proto, len);
  let c = ~fold(sum16(ip, ipl, ip.length, base)) & 0xffff;
  if (proto === 17 && c === 0) c = 0xffff;
  dv.setUint16(ipl + off, c);
}

/** Recomputes every checksum of a copy and reports which differ from the packet's. */
export function checksumErrors(frame: Uint8Array, l3 = 14): string[] {
  const ip = frame.slice(l3);
  const v6 = ip[0] >> 4 === 6;
  const errs: string[] = [];
  const ipl = v6 ? 40 : (ip[0] & 0xf) * 4;
  const proto = v6 ? ip[6] : ip[9];
  if (!v6) {
    const want = new DataView(ip.buffer).getUint16(10);
    const c = ip.slice(0, ipl); c[10] = 0; c[11] = 0;
    if ((~fold(sum16(c, 0, ipl)) & 0xffff) !== want) errs.push('ipv4');
  }
  const copy = ip.slice();
  const dv = new DataView(ip.buffer);
  const udpZero = proto === 17 && dv.getUint16(ipl + 6) === 0;
  fillL4Checksum(copy, v6, proto, ipl, udpZero);
  const off = proto === 6 ? 16 : proto === 17 ? 6 : proto === 132 ? 8 : 2;
  const n = proto === 132 ? 4 : 2;
  for (let i = 0; i < n; i++) if (copy[ipl + off + i] !== ip[ipl + off + i]) { errs.push('l4'); break; }
  return errs;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** An ICMP (IPv4) or ICMPv6 error from `src` to `dst` quoting `quoted` (an IP packet, no link header). */
export function buildIcmpError(src: string, dst: string, type: number, code: number, quoted: Uint8Array, mtu = 0): Uint8Array {
  const v6 = src.includes(':');
  const icmp = new Uint8Array(8 + quoted.length);
  icmp[0] = type; icmp[1] = code;
  if (mtu) new DataView(icmp.buffer).setUint16(v6 ? 6 : 6, mtu);
  if (v6 && mtu) new DataView(icmp.buffer).setUint32(4, mtu);
  icmp.set(quoted, 8);
  const ipl = v6 ? 40 : 20;
  const ip = new Uint8Array(ipl + icmp.length);
  const dv = new DataView(ip.buffer);
  if (v6) { ip[0] = 0x60; dv.setUint16(4, icmp.length); ip[6] = 58; ip[7] = 64; ip.set(ipBytes(src), 8); ip.set(ipBytes(dst), 24); }
  else {
    ip[0] = 0x45; dv.setUint16(2, ip.length); ip[8] = 64; ip[9] = 1; ip.set(ipBytes(src), 12); ip.set(ipBytes(dst), 16);
    dv.setUint16(10, ~fold(sum16(ip, 0, 20)) & 0xffff);
  }
  ip.set(icmp, ipl);
  fillL4Checksum(ip, v6, v6 ? 58 : 1, ipl);
  const eth = new Uint8Array(14 + ip.length);
  eth.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  eth[12] = v6 ? 0x86 : 0x08; eth[13] = v6 ? 0xdd : 0x00;
  eth.set(ip, 14);
  return eth;
}
