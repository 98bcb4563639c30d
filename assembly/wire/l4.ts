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
import { delta16, applyDelta, applyDeltaUdp } from './checksum';

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
