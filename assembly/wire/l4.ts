// Transport headers: TCP (RFC 9293), UDP (RFC 768), SCTP (RFC 9260),
// ICMP (RFC 792) and ICMPv6 (RFC 4443). Ports sit at the same offsets in
// TCP, UDP and SCTP, so one pair of accessors serves all three.
//
//  TCP:  sport (2) dport (2) seq (4) ack (4) doff<<4 (1) flags (1) win (2) csum (2) urg (2)
//  UDP:  sport (2) dport (2) length (2) csum (2)
//  SCTP: sport (2) dport (2) verification tag (4) CRC32c (4), then chunks:
//        type (1) flags (1) length (2)
//  ICMP: type (1) code (1) csum (2) rest (4): echo id (2) seq (2)

import { ld8, ld16, portRaw } from './bytes';
import { delta16, applyDelta, applyDeltaUdp, replace16 } from './checksum';
import { crc32c } from './crc32c';

export const PROTO_ICMP: u32 = 1;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const PROTO_ICMPV6: u32 = 58;
export const PROTO_SCTP: u32 = 132;

export const L4_SPORT: usize = 0;
export const L4_DPORT: usize = 2;

export const TCP_DOFF: usize = 12;
export const TCP_FLAGS: usize = 13;
export const TCP_CSUM: usize = 16;
export const TCP_MIN_HLEN: u32 = 20;
export const TCP_FIN: u32 = 0x01;
export const TCP_SYN: u32 = 0x02;
export const TCP_RST: u32 = 0x04;
export const TCP_ACK: u32 = 0x10;

export const UDP_LEN: usize = 4;
export const UDP_CSUM: usize = 6;
export const UDP_HLEN: u32 = 8;

export const SCTP_VTAG: usize = 4;
export const SCTP_CRC: usize = 8;
export const SCTP_HLEN: u32 = 12;
export const SCTP_CHUNK_TYPE: usize = 12;
export const SCTP_CHUNK_INIT: u32 = 1;
export const SCTP_CHUNK_INIT_ACK: u32 = 2;
export const SCTP_CHUNK_ABORT: u32 = 6;
export const SCTP_CHUNK_SHUTDOWN_COMPLETE: u32 = 14;

export const ICMP_TYPE: usize = 0;
export const ICMP_CODE: usize = 1;
export const ICMP_CSUM: usize = 2;
export const ICMP_REST: usize = 4;
export const ICMP_HLEN: u32 = 8;
export const ICMP_DEST_UNREACH: u32 = 3;
export const ICMP_PORT_UNREACH: u32 = 3;
export const ICMPV6_DEST_UNREACH: u32 = 1;
export const ICMPV6_PORT_UNREACH: u32 = 4;

// @ts-ignore: decorator
@inline export function srcPort(p: usize): u32 { return ld16(p + L4_SPORT); }
// @ts-ignore: decorator
@inline export function dstPort(p: usize): u32 { return ld16(p + L4_DPORT); }
// @ts-ignore: decorator
@inline export function tcpHeaderLen(p: usize): u32 { return (ld8(p + TCP_DOFF) >> 4) << 2; }
// @ts-ignore: decorator
@inline export function tcpFlags(p: usize): u32 { return ld8(p + TCP_FLAGS); }
// @ts-ignore: decorator
@inline export function udpLen(p: usize): u32 { return ld16(p + UDP_LEN); }
// @ts-ignore: decorator
@inline export function sctpChunkType(p: usize): u32 { return ld8(p + SCTP_CHUNK_TYPE); }
// @ts-ignore: decorator
@inline export function icmpType(p: usize): u32 { return ld8(p + ICMP_TYPE); }
// @ts-ignore: decorator
@inline export function icmpCode(p: usize): u32 { return ld8(p + ICMP_CODE); }

// Length checks: each says whether `captured` bytes at `p` hold the fixed header (and, for TCP,
// the data offset's header); `len` is the transport length the IP header gives.

/** A TCP header: 20 bytes captured and a data offset between 20 and `len`. */
// @ts-ignore: decorator
@inline export function tcpCheckLen(p: usize, captured: u32, len: u32): bool {
  if (captured < TCP_MIN_HLEN) return false;
  let hl = tcpHeaderLen(p);
  return hl >= TCP_MIN_HLEN && hl <= len;
}
/** A UDP header: 8 bytes captured and a length field of at least 8 (the caller bounds it by `len` unless a first fragment). */
// @ts-ignore: decorator
@inline export function udpCheckLen(p: usize, captured: u32): bool { return captured >= UDP_HLEN && udpLen(p) >= UDP_HLEN; }
/** An SCTP common header. */
// @ts-ignore: decorator
@inline export function sctpCheckLen(captured: u32): bool { return captured >= SCTP_HLEN; }
/** An ICMP or ICMPv6 header. */
// @ts-ignore: decorator
@inline export function icmpCheckLen(captured: u32): bool { return captured >= ICMP_HLEN; }

/** The checksum delta of a port (host order) changing from `o` to `n`: 0 when equal. */
// @ts-ignore: decorator
@inline export function portDelta(o: u32, n: u32): u64 { return o != n ? delta16(portRaw(o), portRaw(n)) : 0; }

/**
 * Sets the TCP or UDP port at `off` (L4_SPORT or L4_DPORT) to `port` (host order) and folds its
 * change and `d` (the delta of an address change in the pseudo-header, 0 when none) into the
 * transport checksum; a UDP checksum of 0 stays 0. Returns whether anything changed.
 */
// @ts-ignore: decorator
@inline export function l4SetPort(l4: usize, proto: u32, off: usize, port: u32, d: u64): bool {
  let changed = d != 0;
  let o = <u32>load<u16>(l4 + off);
  let n = portRaw(port);
  let portChanged = o != n;
  if (portChanged) {
    d += delta16(o, n);
    store<u16>(l4 + off, <u16>n);
  }
  if (!changed && !portChanged) return false;
  if (proto == PROTO_TCP) applyDelta(l4 + TCP_CSUM, d);
  else applyDeltaUdp(l4 + UDP_CSUM, d);
  return true;
}

/**
 * l4SetPort for a change whose folded delta (address and port together, as portDelta and an
 * address delta give them) was computed before; `addrChanged` says whether the address moved.
 */
// @ts-ignore: decorator
@inline export function l4SetPortFolded(l4: usize, proto: u32, off: usize, port: u32, folded: u32, addrChanged: bool): void {
  let n = portRaw(port);
  let portChanged = <u32>load<u16>(l4 + off) != n;
  if (portChanged) store<u16>(l4 + off, <u16>n);
  if (!addrChanged && !portChanged) return;
  if (proto == PROTO_TCP) applyDelta(l4 + TCP_CSUM, <u64>folded);
  else applyDeltaUdp(l4 + UDP_CSUM, <u64>folded);
}

/** Folds an address change `d` of the IPv6 pseudo-header into the ICMPv6 checksum (ICMP for IPv4 has none). */
// @ts-ignore: decorator
@inline export function icmp6FoldAddr(l4: usize, d: u64): void { if (d != 0) applyDelta(l4 + ICMP_CSUM, d); }

/**
 * Sets the SCTP port at `off` to `port` (host order). SCTP has no pseudo-header; its CRC32c
 * covers the whole packet and is recomputed when `captured` reaches `len` (otherwise the old
 * value stays: it cannot be updated incrementally). Returns whether the port changed.
 */
export function sctpSetPort(l4: usize, off: usize, port: u32, captured: u32, len: u32): bool {
  let n = portRaw(port);
  if (<u32>load<u16>(l4 + off) == n) return false;
  replace16(l4 + off, n);
  if (captured >= len) store<u32>(l4 + SCTP_CRC, crc32c(l4, len, SCTP_CRC));
  return true;
}
