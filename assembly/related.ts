// ICMP and ICMPv6 errors about a tracked connection ("related" traffic):
// destination unreachable (fragmentation needed), packet too big, time
// exceeded. The error quotes a packet of the connection as it was on the
// wire; translating the outer and inner headers makes the client (or the
// backend) see an error about the packet it really sent, so path MTU
// discovery works through a Service.
//
//   toward the client: the quoted packet is a forward packet after DNAT
//     (client or node:masq-port → backend). Inner dst → VIP:port, inner src
//     → client when masqueraded; outer dst → client when masqueraded; outer
//     src → VIP when the backend itself sent the error.
//   toward the backend: the quoted packet is a reply after reverse NAT
//     (VIP → client). Inner src → backend:port, inner dst → node:masq-port
//     when masqueraded; outer dst → backend.
// Every quoted field changed is folded into the inner IP and transport
// checksums (when quoted) and into the ICMP checksum, incrementally.

import { FlowKey, NO_L4, addrEq } from './flow';
import { IPV4_MIN_HLEN, IPV4_SRC, IPV4_DST, ipv4Version, ipv4HeaderLen, ipv4Proto } from './wire/ipv4';
import { IPV6_HLEN, IPV6_SRC, IPV6_DST, ipv6Version, ipv6Next } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, ICMP_HLEN, L4_SPORT, L4_DPORT, srcPort, dstPort } from './wire/l4';
import { quoteSetAddr, quoteSetPort, quoteChecksums } from './wire/quote';
import { ctLookup, CtResult, CT_ORIG_SRC, CT_ORIG_DST, CT_ORIG_SPORT, CT_ORIG_DPORT, CT_REPLY_SPORT, CT_NAT,
  CT_BACKEND, replyDstAddr, replyDstPort } from './conntrack/table';
import { DIR_REPLY } from './conntrack/states';
import { backendAddr } from './lb/lookup';
import { rewrite } from './nat';

const ICMP_UNREACH: u32 = 3;
const ICMP_TIME_EXCEEDED: u32 = 11;
const ICMP_PARAM_PROBLEM: u32 = 12;
const ICMPV6_UNREACH: u32 = 1;
const ICMPV6_TOO_BIG: u32 = 2;
const ICMPV6_TIME_EXCEEDED: u32 = 3;
const ICMPV6_PARAM_PROBLEM: u32 = 4;

/** Quoted addresses of the inner packet (slots), for the conntrack lookup. */
const innerSrc: usize = memory.data(16, 16);
const innerDst: usize = memory.data(16, 16);

/** Whether the parsed ICMP/ICMPv6 packet is an error type that quotes a packet. */
export function isIcmpError(key: FlowKey): bool {
  let t = key.l4Type;
  if (key.family == 4) return t == ICMP_UNREACH || t == ICMP_TIME_EXCEEDED || t == ICMP_PARAM_PROBLEM;
  return t == ICMPV6_UNREACH || t == ICMPV6_TOO_BIG || t == ICMPV6_TIME_EXCEEDED || t == ICMPV6_PARAM_PROBLEM;
}

/** Outcome of relate(): 0 not related, 1 translated toward the backend, 2 reversed toward the client. */
export const RELATED_NONE: u32 = 0;
export const RELATED_TO_BACKEND: u32 = 1;
export const RELATED_TO_CLIENT: u32 = 2;

/**
 * Translates an ICMP error about a tracked connection (the packet of `key`
 * at `p`); `res` holds the connection after a related result.
 */
export function relate(key: FlowKey, p: usize, res: CtResult): u32 {
  if (key.l4 == NO_L4 || key.l4Captured < ICMP_HLEN) return RELATED_NONE;
  let icmp = p + key.l4;
  let inner = icmp + ICMP_HLEN;
  let avail = key.l4Captured - ICMP_HLEN;
  let fam = key.family;
  let ihl: u32, iproto: u32, aSrc: usize, aDst: usize, alen: u32;
  if (fam == 4) {
    if (avail < IPV4_MIN_HLEN || ipv4Version(inner) != 4) return RELATED_NONE;
    ihl = ipv4HeaderLen(inner);
    iproto = ipv4Proto(inner);
    aSrc = IPV4_SRC; aDst = IPV4_DST; alen = 4;
  } else {
    if (avail < IPV6_HLEN || ipv6Version(inner) != 6) return RELATED_NONE;
    ihl = IPV6_HLEN;
    iproto = ipv6Next(inner); // quoted extension headers are not walked: such errors pass
    aSrc = IPV6_SRC; aDst = IPV6_DST; alen = 16;
  }
  if (ihl < IPV4_MIN_HLEN || avail < ihl + 4) return RELATED_NONE;
  if (iproto != PROTO_TCP && iproto != PROTO_UDP && iproto != PROTO_SCTP) return RELATED_NONE;
  let il4 = inner + ihl;
  let l4avail = avail - ihl;
  memory.fill(innerSrc, 0, 16); memory.fill(innerDst, 0, 16);
  memory.copy(innerSrc, inner + aSrc, alen);
  memory.copy(innerDst, inner + aDst, alen);
  let isport = srcPort(il4);
  let idport = dstPort(il4);
  // The quoted packet travelled the other way: look its reverse up.
  if (!ctLookup(fam, iproto, innerDst, innerSrc, idport, isport, res)) return RELATED_NONE;
  let r = res.rec;
  let masq = load<u8>(r + CT_NAT) != 0; // source rewritten: masquerade, or a port on a clash
  let backend = load<u32>(r + CT_BACKEND) - 1;
  let bAddr = backendAddr(backend);
  let dIp: u64 = 0, dL4: u64 = 0;

  if (res.dir == DIR_REPLY) {
    // Toward the client: the quoted packet is client/node → backend.
    dIp += quoteSetAddr(inner + aDst, r + CT_ORIG_DST, alen);
    dL4 += quoteSetPort(il4 + L4_DPORT, <u32>load<u16>(r + CT_ORIG_DPORT));
    if (masq) {
      dIp += quoteSetAddr(inner + aSrc, r + CT_ORIG_SRC, alen);
      dL4 += quoteSetPort(il4 + L4_SPORT, <u32>load<u16>(r + CT_ORIG_SPORT));
    }
  } else {
    // Toward the backend: the quoted packet is VIP → client.
    dIp += quoteSetAddr(inner + aSrc, bAddr, alen);
    dL4 += quoteSetPort(il4 + L4_SPORT, <u32>load<u16>(r + CT_REPLY_SPORT));
    if (masq) {
      dIp += quoteSetAddr(inner + aDst, replyDstAddr(r), alen);
      dL4 += quoteSetPort(il4 + L4_DPORT, replyDstPort(r));
    }
  }
  // The checksums inside the quote follow, and the ICMP one covers every word changed.
  quoteChecksums(icmp, inner, fam, il4, iproto, l4avail, dIp, dL4);

  // Outer header (rewrite() keeps the outer IPv4 and ICMPv6 pseudo-header checksums right).
  if (res.dir == DIR_REPLY) {
    if (masq) rewrite(key, p, true, r + CT_ORIG_SRC, 0);
    if (addrEq(key.src, bAddr)) rewrite(key, p, false, r + CT_ORIG_DST, 0);
    return RELATED_TO_CLIENT;
  }
  rewrite(key, p, true, bAddr, 0);
  return RELATED_TO_BACKEND;
}
