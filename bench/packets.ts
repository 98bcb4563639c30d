// Ethernet / IPv4 / TCP frames for the benchmarks, written straight into a
// byte buffer with checksums computed from scratch (RFC 1071 over the whole
// header / segment). Built once before timing; never on a timed path.
//
// Frame: Ethernet II (14) | IPv4, no options (20) | TCP, no options (20) | payload
// or, for IPv6 runs (writeTcp6): Ethernet II (14) | IPv6 (40) | TCP (20) | payload,
// each IPv4 address a standing for fd00::a (its 32 bits in the last 4 bytes).

export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const TCP_HLEN = 20;
export const HEADERS = ETH_HLEN + IP_HLEN + TCP_HLEN;

// Byte offsets from the frame start.
export const OFF_IP = ETH_HLEN;
export const OFF_IP_CSUM = OFF_IP + 10;
export const OFF_IP_SRC = OFF_IP + 12;
export const OFF_IP_DST = OFF_IP + 16;
export const OFF_TCP = OFF_IP + IP_HLEN;
export const OFF_SPORT = OFF_TCP;
export const OFF_DPORT = OFF_TCP + 2;
export const OFF_TCP_CSUM = OFF_TCP + 16;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpSpec {
  src: number; dst: number; sport: number; dport: number; flags: number;
  seq?: number; ack?: number; ipId?: number;
}

function put16(b: Uint8Array, o: number, v: number): void { b[o] = v >>> 8; b[o + 1] = v & 0xff; }
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff;
}
function sum16(b: Uint8Array, start: number, end: number, acc: number): number {
  for (let i = start; i < end; i += 2) acc += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** Ethernet (locally administered MACs) and IPv4 (DF, TTL 64) headers of a `len`-byte frame; returns where IPv4 starts. */
function writeEthIpv4(b: Uint8Array, off: number, len: number, s: TcpSpec, proto: number): number {
  b.set(ETH, off);
  const ip = off + OFF_IP;
  b[ip] = 0x45; b[ip + 1] = 0;
  put16(b, ip + 2, len - ETH_HLEN);
  put16(b, ip + 4, s.ipId ?? 1);
  put16(b, ip + 6, 0x4000);
  b[ip + 8] = 64; b[ip + 9] = proto;
  put16(b, ip + 10, 0);
  put32(b, ip + 12, s.src);
  put32(b, ip + 16, s.dst);
  put16(b, ip + 10, ~fold(sum16(b, ip, ip + IP_HLEN, 0)) & 0xffff);
  return ip;
}

/** A TCP header without options at `t` (checksum 0 for now) and the payload pattern up to `end`. */
function writeTcpHeader(b: Uint8Array, t: number, end: number, s: TcpSpec): void {
  put16(b, t, s.sport);
  put16(b, t + 2, s.dport);
  put32(b, t + 4, s.seq ?? 1000);
  put32(b, t + 8, s.flags & TCP_ACK ? (s.ack ?? 2000) : 0);
  b[t + 12] = 5 << 4; b[t + 13] = s.flags;
  put16(b, t + 14, 65535);
  put16(b, t + 16, 0);
  put16(b, t + 18, 0);
  for (let i = t + TCP_HLEN, k = 0; i < end; i++, k++) b[i] = (k * 7 + 3) & 0xff;
}

/** Writes a `len`-byte frame (len >= HEADERS) at `off`. */
export function writeTcp(b: Uint8Array, off: number, len: number, s: TcpSpec): void {
  if (len < HEADERS) throw new RangeError(`frame of ${len} bytes is shorter than its headers`);
  const ip = writeEthIpv4(b, off, len, s, 6);
  const t = off + OFF_TCP;
  writeTcpHeader(b, t, off + len, s);
  const segLen = len - ETH_HLEN - IP_HLEN;
  const pseudo = sum16(b, ip + 12, ip + 20, 0) + 6 + segLen;
  put16(b, t + 16, ~fold(sum16(b, t, off + len, pseudo)) & 0xffff);
}

const ETH = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
/** writeTcp for UDP: the same frame with an 8-byte UDP header (len >= 42); `flags` is ignored. */
export function writeUdp(b: Uint8Array, off: number, len: number, s: TcpSpec): void {
  const UDP_HLEN = 8;
  if (len < ETH_HLEN + IP_HLEN + UDP_HLEN) throw new RangeError(`frame of ${len} bytes is shorter than its headers`);
  const ip = writeEthIpv4(b, off, len, s, 17);
  const u = off + OFF_TCP;
  const segLen = len - ETH_HLEN - IP_HLEN;
  put16(b, u, s.sport);
  put16(b, u + 2, s.dport);
  put16(b, u + 4, segLen);
  put16(b, u + 6, 0);
  for (let i = u + UDP_HLEN, k = 0; i < off + len; i++, k++) b[i] = (k * 7 + 3) & 0xff;
  const pseudo = sum16(b, ip + 12, ip + 20, 0) + 17 + segLen;
  put16(b, u + 6, (~fold(sum16(b, u, off + len, pseudo)) & 0xffff) || 0xffff);
}

const ETH6 = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);

export const IP6_HLEN = 40;
export const HEADERS6 = ETH_HLEN + IP6_HLEN + TCP_HLEN;
/** The last 4 bytes of the IPv6 destination, and the TCP ports, in an IPv6 frame. */
export const OFF6_DST_LOW = ETH_HLEN + 36;
export const OFF6_SPORT = ETH_HLEN + IP6_HLEN;
export const OFF6_DPORT = OFF6_SPORT + 2;

/** fd00::a for an IPv4-style number a. */
export function ip6Text(a: number): string {
  return `fd00::${(a >>> 16).toString(16)}:${(a & 0xffff).toString(16)}`;
}

/** writeTcp for IPv6: a `len`-byte frame (len >= HEADERS6) at `off`, addresses fd00::src and fd00::dst. */
export function writeTcp6(b: Uint8Array, off: number, len: number, s: TcpSpec): void {
  if (len < HEADERS6) throw new RangeError(`frame of ${len} bytes is shorter than its headers`);
  b.set(ETH6, off);
  const ip = off + ETH_HLEN;
  put32(b, ip, 0x60000000);
  const segLen = len - ETH_HLEN - IP6_HLEN;
  put16(b, ip + 4, segLen);
  b[ip + 6] = 6; b[ip + 7] = 64;
  b.fill(0, ip + 8, ip + 40);
  b[ip + 8] = 0xfd; b[ip + 24] = 0xfd;
  put32(b, ip + 20, s.src);
  put32(b, ip + 36, s.dst);
  const t = ip + IP6_HLEN;
  writeTcpHeader(b, t, off + len, s);
  const pseudo = sum16(b, ip + 8, ip + 40, 0) + 6 + segLen;
  put16(b, t + 16, ~fold(sum16(b, t, off + len, pseudo)) & 0xffff);
}

/** Reads a big-endian u32 / u16 (for checks outside the timed regions). */
export function get32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function get16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }

/** Whether the IPv4 and TCP checksums of the frame at `off` verify (full recompute). */
export function checksumsOk(b: Uint8Array, off: number, len: number): boolean {
  const ip = off + OFF_IP;
  if (fold(sum16(b, ip, ip + IP_HLEN, 0)) !== 0xffff) return false;
  const segLen = len - ETH_HLEN - IP_HLEN;
  const pseudo = sum16(b, ip + 12, ip + 20, 0) + 6 + segLen;
  return fold(sum16(b, off + OFF_TCP, off + len, pseudo)) === 0xffff;
}
