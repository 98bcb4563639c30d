// Address and port rewrites with incremental checksum updates (RFC 1624).
// One delta per change serves the IPv4 header checksum (addresses only)
// and the transport checksum (addresses through the pseudo-header, and
// ports). SCTP has no pseudo-header: its CRC32c is recomputed when a port
// changes and the whole packet was captured.

import { FlowKey, NO_L4 } from './flow';
import { IPV4_SRC, IPV4_DST, IPV4_CSUM, ipv4SetAddr } from './wire/ipv4';
import { IPV6_SRC, IPV6_DST, ipv6SetAddr } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMPV6, TCP_CSUM, UDP_CSUM, ICMP_CSUM, SCTP_CRC, L4_SPORT, L4_DPORT, l4SetPort } from './wire/l4';
import { applyDelta, applyDeltaUdp, replace16 } from './wire/checksum';
import { portRaw } from './wire/bytes';
import { crc32c } from './wire/crc32c';

/**
 * Rewrites the source (dst = false) or destination (dst = true) address and
 * port of the parsed packet at `p` to the address in slot `addr` (16 bytes,
 * wire order) and `port` (host order). Returns whether anything changed.
 * Written as straight loads and stores: this runs for every NATed packet.
 */
export function rewrite(key: FlowKey, p: usize, dst: bool, addr: usize, port: u32): bool {
  let l3 = p + key.l3;
  let d = key.family == 4
    ? ipv4SetAddr(l3, dst ? IPV4_DST : IPV4_SRC, load<u32>(addr))
    : ipv6SetAddr(l3, dst ? IPV6_DST : IPV6_SRC, addr);
  let changed = d != 0;
  if (key.l4 == NO_L4) return changed;
  let l4 = p + key.l4;
  let proto = key.proto;
  let portOff = dst ? L4_DPORT : L4_SPORT;
  if (proto == PROTO_TCP || proto == PROTO_UDP) return l4SetPort(l4, proto, portOff, port, d);
  if (proto == PROTO_SCTP) {
    // No pseudo-header; CRC32c covers the whole SCTP packet: without all of it the old value stays.
    let n = portRaw(port);
    if (<u32>load<u16>(l4 + portOff) == n) return changed;
    replace16(l4 + portOff, n);
    if (key.l4Captured >= key.l4Len) store<u32>(l4 + SCTP_CRC, crc32c(l4, key.l4Len, SCTP_CRC));
    return true;
  }
  if (proto == PROTO_ICMPV6 && changed) applyDelta(l4 + ICMP_CSUM, d);
  return changed;
}

/** rewrite() of an IPv4 TCP/UDP packet whose headers are at `ip` and `l4`: the address at `addrOff`, the port at `portOff`. */
// @ts-ignore: decorator
@inline export function rewrite4(ip: usize, l4: usize, proto: u32, addrOff: usize, portOff: usize, addr: u32, port: u32): void {
  l4SetPort(l4, proto, portOff, port, ipv4SetAddr(ip, addrOff, addr));
}

/** rewrite() of an IPv6 TCP/UDP packet: the 16-byte address at `addrOff` (to the slot at `addr`) and the port at `portOff`. */
// @ts-ignore: decorator
@inline export function rewrite6(ip: usize, l4: usize, proto: u32, addrOff: usize, portOff: usize, addr: usize, port: u32): void {
  l4SetPort(l4, proto, portOff, port, ipv6SetAddr(ip, addrOff, addr));
}

/**
 * rewrite() of an IPv4 TCP/UDP packet's address (at `addrOff` from the IP
 * header `ip`) and port (at `portOff` from the transport header `l4`) from
 * a connection's fixed DNAT: the field holds `from`, it becomes `to` and
 * `port` (host order), and the two folded deltas at `deltas` (IPv4 header,
 * then TCP/UDP) are the ones rewrite() computes for that change
 * (conntrack/table.ts ctSetNat4), so the bytes are the same.
 */
// @ts-ignore: decorator
@inline export function dnat4(ip: usize, l4: usize, proto: u32, addrOff: usize, portOff: usize, from: u32, to: u32, port: u32,
                       deltas: usize): void {
  let changed = false;
  if (from != to) {
    applyDelta(ip + IPV4_CSUM, <u64>load<u16>(deltas));
    store<u32>(ip + addrOff, to);
    changed = from != 0xffffffff || to != 0; // delta32 of ~0 → 0 is 0: rewrite4 treats that as unchanged
  }
  let pn = portRaw(port);
  let portChanged = <u32>load<u16>(l4 + portOff) != pn;
  if (portChanged) store<u16>(l4 + portOff, <u16>pn);
  if (!changed && !portChanged) return;
  let d = <u64>load<u16>(deltas, 2);
  if (proto == PROTO_TCP) applyDelta(l4 + TCP_CSUM, d);
  else applyDeltaUdp(l4 + UDP_CSUM, d);
}
