// REJECT: an ICMP (RFC 792) or ICMPv6 (RFC 4443) destination/port
// unreachable to the client, from the address the client targeted, quoting
// the rejected packet's IP header and as much after it as fits (RFC 1812
// §4.3.2.3: an IPv4 error stays within 576 bytes; RFC 4443 §2.4(c): an
// ICMPv6 error within the minimum MTU, 1280). The link header is copied
// from the rejected frame with Ethernet addresses swapped.

import { FlowKey } from './flow';
import { ipv4Build, IPV4_MIN_HLEN } from './wire/ipv4';
import { ipv6Build, ipv6PseudoSum, IPV6_HLEN } from './wire/ipv6';
import { PROTO_ICMP, PROTO_ICMPV6, ICMP_TYPE, ICMP_CODE, ICMP_CSUM, ICMP_REST, ICMP_HLEN, ICMP_DEST_UNREACH,
  ICMP_PORT_UNREACH, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH } from './wire/l4';
import { fold, sumBytes } from './wire/checksum';
import { LINK_EN10MB } from './abi/layout';

const IPV4_ERROR_MAX: u32 = 576;
const IPV6_ERROR_MAX: u32 = 1280;
const DEFAULT_TTL: u32 = 64;
const ETH_ADDR_LEN: usize = 6;

/**
 * Writes the reject for the parsed packet at `p` (`caplen` bytes captured)
 * into `out`; returns its length.
 */
export function buildReject(key: FlowKey, p: usize, caplen: u32, linkType: u32, out: usize): u32 {
  let l3 = key.l3;
  memory.copy(out, p, l3);
  if (linkType == LINK_EN10MB) {
    memory.copy(out, p + ETH_ADDR_LEN, ETH_ADDR_LEN);
    memory.copy(out + ETH_ADDR_LEN, p, ETH_ADDR_LEN);
  }
  let ip = out + l3;
  let available = caplen - l3; // bytes of the rejected IP packet we can quote
  if (key.family == 4) {
    let quote = min(available, IPV4_ERROR_MAX - IPV4_MIN_HLEN - ICMP_HLEN);
    let icmp = ip + IPV4_MIN_HLEN;
    fillIcmp(icmp, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, p + l3, quote);
    store<u16>(icmp + ICMP_CSUM, <u16>~fold(sumBytes(icmp, ICMP_HLEN + quote, 0)));
    // From the address the client targeted, back to the client.
    ipv4Build(ip, IPV4_MIN_HLEN + ICMP_HLEN + quote, 0, DEFAULT_TTL, PROTO_ICMP, key.dst, key.src);
    return l3 + IPV4_MIN_HLEN + ICMP_HLEN + quote;
  }
  let quote = min(available, IPV6_ERROR_MAX - IPV6_HLEN - ICMP_HLEN);
  let icmp = ip + IPV6_HLEN;
  let len = ICMP_HLEN + quote;
  ipv6Build(ip, len, PROTO_ICMPV6, DEFAULT_TTL, key.dst, key.src);
  fillIcmp(icmp, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, p + l3, quote);
  store<u16>(icmp + ICMP_CSUM, <u16>~fold(sumBytes(icmp, len, ipv6PseudoSum(ip, len, PROTO_ICMPV6))));
  return l3 + IPV6_HLEN + len;
}

function fillIcmp(icmp: usize, type: u32, code: u32, quoteFrom: usize, quote: u32): void {
  store<u8>(icmp + ICMP_TYPE, <u8>type);
  store<u8>(icmp + ICMP_CODE, <u8>code);
  store<u16>(icmp + ICMP_CSUM, 0);
  store<u32>(icmp + ICMP_REST, 0);
  memory.copy(icmp + ICMP_HLEN, quoteFrom, quote);
}
