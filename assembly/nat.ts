// Address and port rewrites with incremental checksum updates (RFC 1624).
// One delta per change serves the IPv4 header checksum (addresses only)
// and the transport checksum (addresses through the pseudo-header, and
// ports). SCTP has no pseudo-header: its CRC32c is recomputed when a port
// changes and the whole packet was captured.

import { FlowKey, NO_L4 } from './flow';
import { IPV4_SRC, IPV4_DST, ipv4SetAddr, ipv4SetAddrFolded } from './wire/ipv4';
import { IPV6_SRC, IPV6_DST, ipv6SetAddr } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMPV6, L4_SPORT, L4_DPORT, l4SetPort, l4SetPortFolded, sctpSetPort,
  icmp6FoldAddr } from './wire/l4';

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
  if (proto == PROTO_SCTP) return sctpSetPort(l4, portOff, port, key.l4Captured, key.l4Len) || changed;
  if (proto == PROTO_ICMPV6) icmp6FoldAddr(l4, d);
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
  let changed = ipv4SetAddrFolded(ip, addrOff, from, to, <u32>load<u16>(deltas));
  l4SetPortFolded(l4, proto, portOff, port, <u32>load<u16>(deltas, 2), changed);
}
