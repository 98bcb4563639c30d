// Address and port rewrites with incremental checksum updates (RFC 1624).
// One delta per change serves the IPv4 header checksum (addresses only)
// and the transport checksum (addresses through the pseudo-header, and
// ports). SCTP has no pseudo-header: its CRC32c is recomputed when a port
// changes and the whole packet was captured.

import { keyFamily, keyProto, keyL3, keyL4, keyL4Captured, keyL4Len, NO_L4 } from './flow';
import { IPV4_SRC, IPV4_DST, IPV4_CSUM } from './wire/ipv4';
import { IPV6_SRC, IPV6_DST } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMPV6, TCP_CSUM, UDP_CSUM, ICMP_CSUM, SCTP_CRC, L4_SPORT, L4_DPORT } from './wire/l4';
import { delta, delta16, applyDelta, applyDeltaUdp } from './wire/checksum';
import { crc32c } from './wire/crc32c';

/**
 * Rewrites the source (dst = false) or destination (dst = true) address and
 * port of the parsed packet at `p` to the address in slot `addr` (16 bytes,
 * wire order) and `port` (host order). Returns whether anything changed.
 */
export function rewrite(p: usize, dst: bool, addr: usize, port: u32): bool {
  let l3 = p + keyL3;
  let v4 = keyFamily == 4;
  let aOff: usize = v4 ? (dst ? IPV4_DST : IPV4_SRC) : (dst ? IPV6_DST : IPV6_SRC);
  let alen: usize = v4 ? 4 : 16;
  let ap = l3 + aOff;
  let addrSame = v4 ? load<u32>(ap) == load<u32>(addr)
                    : load<u64>(ap) == load<u64>(addr) && load<u64>(ap, 8) == load<u64>(addr, 8);
  let hasL4 = keyL4 != NO_L4;
  let l4 = p + keyL4;
  let pOff: usize = dst ? L4_DPORT : L4_SPORT;
  let oldPortRaw: u32 = hasL4 ? <u32>load<u16>(l4 + pOff) : 0;
  let newPortRaw: u32 = hasL4 ? <u32>bswap<u16>(<u16>port) : 0;
  let portSame = !hasL4 || !portsApply() || oldPortRaw == newPortRaw;
  if (addrSame && portSame) return false;

  let dAddr: u64 = addrSame ? 0 : delta(ap, addr, alen);
  if (!addrSame) {
    if (v4) applyDelta(l3 + IPV4_CSUM, dAddr);
    memory.copy(ap, addr, alen);
  }
  if (!hasL4) return true;
  let dPort: u64 = portSame ? 0 : delta16(oldPortRaw, newPortRaw);
  if (!portSame) store<u16>(l4 + pOff, <u16>newPortRaw);
  let proto = keyProto;
  if (proto == PROTO_TCP) {
    applyDelta(l4 + TCP_CSUM, dAddr + dPort);
  } else if (proto == PROTO_UDP) {
    applyDeltaUdp(l4 + UDP_CSUM, dAddr + dPort);
  } else if (proto == PROTO_ICMPV6) {
    if (!addrSame) applyDelta(l4 + ICMP_CSUM, dAddr);
  } else if (proto == PROTO_SCTP) {
    // CRC32c covers the whole SCTP packet; without all of it the old value stays.
    if (!portSame && keyL4Captured >= keyL4Len) store<u32>(l4 + SCTP_CRC, crc32c(l4, keyL4Len, SCTP_CRC));
  }
  return true;
}

/** Ports exist in the transport header (TCP, UDP, SCTP). */
// @ts-ignore: decorator
@inline function portsApply(): bool {
  return keyProto == PROTO_TCP || keyProto == PROTO_UDP || keyProto == PROTO_SCTP;
}
