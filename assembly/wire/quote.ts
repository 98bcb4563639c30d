// The packet an ICMP (RFC 792) or ICMPv6 (RFC 4443) error quotes, after the
// 8-byte ICMP header: an IP header and the first bytes of its transport
// header. Its fields are set like a packet's, but the checksums covering them
// are folded once all changes are known: the quoted IPv4 header checksum
// (always quoted whole), the quoted TCP or UDP checksum (when its bytes were
// quoted), and the error's own ICMP checksum, which covers every changed word
// of the quote, the quoted checksums included.

import { IPV4_CSUM } from './ipv4';
import { PROTO_TCP, PROTO_UDP, TCP_CSUM, UDP_CSUM, ICMP_CSUM } from './l4';
import { portRaw } from './bytes';
import { delta16, applyDelta, applyDeltaUdp, replace16, replace32, replace128 } from './checksum';

/** Sets the quoted address at `at` (`len` 4 or 16 bytes) to the bytes at `src`; returns the change's delta. */
// @ts-ignore: decorator
@inline export function quoteSetAddr(at: usize, src: usize, len: u32): u64 {
  return len == 4 ? replace32(at, load<u32>(src)) : replace128(at, src);
}

/** Sets the quoted port at `at` to `port` (host order); returns the change's delta. */
// @ts-ignore: decorator
@inline export function quoteSetPort(at: usize, port: u32): u64 {
  return replace16(at, portRaw(port));
}

/**
 * After the quoted addresses changed by `dIp` and ports by `dL4`: folds them into the quoted
 * IPv4 header checksum (`family` 4), the quoted TCP/UDP checksum at `il4` when `l4avail` bytes
 * reach it (a UDP checksum of 0 stays 0), and everything that changed into the ICMP checksum of
 * the error at `icmp`.
 */
export function quoteChecksums(icmp: usize, inner: usize, family: u32, il4: usize, iproto: u32, l4avail: u32,
                               dIp: u64, dL4: u64): void {
  let dIcmp = dIp + dL4;
  if (family == 4) dIcmp += fixWord(inner + IPV4_CSUM, dIp, false);
  if (iproto == PROTO_TCP && l4avail >= <u32>TCP_CSUM + 2) dIcmp += fixWord(il4 + TCP_CSUM, dIp + dL4, false);
  else if (iproto == PROTO_UDP && l4avail >= <u32>UDP_CSUM + 2) dIcmp += fixWord(il4 + UDP_CSUM, dIp + dL4, true);
  applyDelta(icmp + ICMP_CSUM, dIcmp);
}

/** Applies `d` to the checksum word at `at`; returns the delta of that word's own change. */
function fixWord(at: usize, d: u64, udp: bool): u64 {
  let o = <u32>load<u16>(at);
  if (udp) applyDeltaUdp(at, d); else applyDelta(at, d);
  return delta16(o, <u32>load<u16>(at));
}
