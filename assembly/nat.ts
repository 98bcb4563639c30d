// Address and port rewrites with incremental checksum updates (RFC 1624).
// One delta per change serves the IPv4 header checksum (addresses only)
// and the transport checksum (addresses through the pseudo-header, and
// ports). SCTP has no pseudo-header: its CRC32c is recomputed when a port
// changes and the whole packet was captured.

import { keyFamily, keyProto, keyL3, keyL4, keyL4Captured, keyL4Len, NO_L4 } from './flow';
import { IPV4_SRC, IPV4_DST, IPV4_CSUM } from './wire/ipv4';
import { IPV6_SRC, IPV6_DST } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMPV6, TCP_CSUM, UDP_CSUM, ICMP_CSUM, SCTP_CRC, L4_SPORT, L4_DPORT } from './wire/l4';
import { delta16, delta32, delta64, applyDelta, applyDeltaUdp } from './wire/checksum';
import { crc32c } from './wire/crc32c';

/**
 * Rewrites the source (dst = false) or destination (dst = true) address and
 * port of the parsed packet at `p` to the address in slot `addr` (16 bytes,
 * wire order) and `port` (host order). Returns whether anything changed.
 * Written as straight loads and stores: this runs for every NATed packet.
 */
export function rewrite(p: usize, dst: bool, addr: usize, port: u32): bool {
  let l3 = p + keyL3;
  let d: u64 = 0;
  if (keyFamily == 4) {
    let ap = l3 + (dst ? IPV4_DST : IPV4_SRC);
    let o = load<u32>(ap), n = load<u32>(addr);
    if (o != n) {
      d = delta32(o, n);
      applyDelta(l3 + IPV4_CSUM, d);
      store<u32>(ap, n);
    }
  } else {
    d = swapAddr6(l3 + (dst ? IPV6_DST : IPV6_SRC), addr);
  }
  let changed = d != 0;
  if (keyL4 == NO_L4) return changed;
  let l4 = p + keyL4;
  let proto = keyProto;
  let portChanged = false;
  if (proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP) {
    let pp = l4 + (dst ? L4_DPORT : L4_SPORT);
    let o = <u32>load<u16>(pp);
    let n = <u32>bswap<u16>(<u16>port);
    if (o != n) {
      d += delta16(o, n);
      store<u16>(pp, <u16>n);
      portChanged = true;
    }
  }
  if (!changed && !portChanged) return false;
  if (proto == PROTO_TCP) {
    applyDelta(l4 + TCP_CSUM, d);
  } else if (proto == PROTO_UDP) {
    applyDeltaUdp(l4 + UDP_CSUM, d);
  } else if (proto == PROTO_ICMPV6) {
    if (changed) applyDelta(l4 + ICMP_CSUM, d);
  } else if (proto == PROTO_SCTP) {
    // CRC32c covers the whole SCTP packet; without all of it the old value stays.
    if (portChanged && keyL4Captured >= keyL4Len) store<u32>(l4 + SCTP_CRC, crc32c(l4, keyL4Len, SCTP_CRC));
  }
  return true;
}

/**
 * Sets the 16-byte IPv6 address at `ap` to the slot at `addr`; returns the
 * checksum delta of the change (0 when it is the same address).
 */
// @ts-ignore: decorator
@inline export function swapAddr6(ap: usize, addr: usize): u64 {
  let o0 = load<u64>(ap), o1 = load<u64>(ap, 8);
  let n0 = load<u64>(addr), n1 = load<u64>(addr, 8);
  if (o0 == n0 && o1 == n1) return 0;
  store<u64>(ap, n0);
  store<u64>(ap, n1, 8);
  return delta64(o0, n0) + delta64(o1, n1);
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
  let pn = <u32>bswap<u16>(<u16>port);
  let portChanged = <u32>load<u16>(l4 + portOff) != pn;
  if (portChanged) store<u16>(l4 + portOff, <u16>pn);
  if (!changed && !portChanged) return;
  let d = <u64>load<u16>(deltas, 2);
  if (proto == PROTO_TCP) applyDelta(l4 + TCP_CSUM, d);
  else applyDeltaUdp(l4 + UDP_CSUM, d);
}

/** Ports exist in the transport header (TCP, UDP, SCTP). */
// @ts-ignore: decorator
@inline function portsApply(): bool {
  return keyProto == PROTO_TCP || keyProto == PROTO_UDP || keyProto == PROTO_SCTP;
}
