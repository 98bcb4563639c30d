// The group passes for established flows. Most packets of a busy node are
// one shape (shape.ts: untagged Ethernet II, IPv4 without options and not
// a fragment, or IPv6 without extension headers; TCP or UDP), and for a
// group of GROUP packets the scheduler first reads ahead, then runs the
// stages:
//   pass one (fastPrepare): the shape, with parse.ts's own checks; the
//     flow hash; the conntrack index slot and record read ahead, their
//     values parked where nobody reads them, so the cache misses of the
//     group overlap instead of coming one after another. It only reads.
//   pass two (fastPath, fastPath6): the conntrack stage (ctProbe,
//     ctAdvance: the same probe and the same state transition as the
//     one-packet run) and the NAT of a tracked connection.
// A packet the stages do not finish here (no entry, an entry gone) takes
// the one-packet run (datapath.ts) from the start, having changed nothing
// but what the one-packet run would have changed first; so the outcome
// never depends on which ran: test/core-fastpath.test.ts compares both
// runs byte for byte. TCP SYNs of the shape, and UDP packets whose index
// slot shows no entry, open connections: openers.ts, in the same groups.

import { VERDICT_TRANSLATED, VERDICT_REVERSED, LINK_EN10MB } from './abi/layout';
import { REASON_NONE } from './abi/reasons';
import { CONTINUE } from './verdict';
import { fastDone, GroupState, FAST_L3, FAST_L4, FAST_L4_6 } from './shape';
import { ipv4LengthCheck, ipv4Length, ipv6Check, tcpCheck, udpCheck } from './parse';
import { ethTypeIs, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './wire/link';
import { backendAddr } from './lb/lookup';
import { ld16 } from './wire/bytes';
import { IPV4_PROTO, IPV4_SRC, IPV4_DST, IPV4_MIN_HLEN, ipv4NoOptions, ipv4IsFragment, ipv4Proto } from './wire/ipv4';
import { PROTO_TCP, PROTO_UDP, TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, UDP_HLEN, L4_SPORT, L4_DPORT,
  srcPort, dstPort, tcpFlags } from './wire/l4';
import { IPV6_NEXT, IPV6_SRC, IPV6_DST, IPV6_HLEN, ipv6PayloadLen, ipv6Next } from './wire/ipv6';
import { dnat4, rewrite4, rewrite6 } from './nat';
import { openerNote } from './openers';
import {
  ctProbe, ctAdvance, ctNextEmpty, ctPrefetch, flowHash, flowHash4, CtResult, CT_RESULT_BYTES, CT_NAT, CT_SVC, CT_BACKEND,
  CT_REPLY_SPORT, CT_ORIG_SRC, CT_ORIG_DST, CT_ORIG_SPORT, CT_ORIG_DPORT, CT_V4_BACKEND, CT_V4_FWD_IP, CT_V4_REV_IP,
  replyDstAddr, replyDstPort,
} from './conntrack/table';
import { DIR_ORIG } from './conntrack/states';

/** What pass two's conntrack lookup found. */
const found = changetype<CtResult>(memory.data(CT_RESULT_BYTES, 8));

/** Off: every packet takes the one-packet run (tests compare the scheduler against it). */
export let fastPathOn: bool = true;
export function setFastPath(on: bool): void { fastPathOn = on; }

const L3: u32 = <u32>FAST_L3;
const L4: u32 = FAST_L4;
const L4_6: u32 = FAST_L4_6;
const NOT_STEADY_TCP: u32 = TCP_SYN | TCP_FIN | TCP_RST;

/** Not of the fast shape (or an opener with no frontend): the one-packet run. */
const SHAPE_OTHER: u8 = 0;
/** Of the fast shape, with flags that leave a connection's state unchanged. */
const SHAPE_STEADY: u8 = 1;
/** A SYN of the fast shape (openers.ts). */
export const SHAPE_OPENER: u8 = 2;
/** IPv6 of the fast shape (no extension headers), with steady flags: fastPath6. */
export const SHAPE_STEADY6: u8 = 3;

/**
 * Pass one for packet `p` at group position `k`: whether it has the fast
 * shape (parse.ts's checks, for this one shape), and if so its
 * flow hash, and the conntrack reads started.
 */
export function fastPrepare(g: GroupState, k: u32, p: usize, caplen: u32, wirelen: u32, link: u32): void {
  g.setShape(k, SHAPE_OTHER);
  if (link != LINK_EN10MB || caplen < L4 + UDP_HLEN) return;
  if (!ethTypeIs(p, ETHERTYPE_IPV4)) {
    if (ethTypeIs(p, ETHERTYPE_IPV6)) prepare6(g, k, p, caplen, wirelen);
    return;
  }
  let ip = p + L3;
  // The shape: no options, not a fragment (the frame holds the whole header); then parse.ts's length rule.
  if (!ipv4NoOptions(ip) || ipv4IsFragment(ip)) return;
  let frameLen = wirelen > caplen ? wirelen : caplen;
  if (ipv4LengthCheck(ip, L3, IPV4_MIN_HLEN, frameLen) != REASON_NONE) return;
  let end = L3 + ipv4Length(ip, L3, frameLen);
  let l4 = ip + IPV4_MIN_HLEN;
  let proto = ipv4Proto(ip);
  let flags: u32 = 0;
  if (!transportChecked(l4, proto, (end < caplen ? end : caplen) - L4, end - L4)) return;
  if (proto == PROTO_TCP) flags = tcpFlags(l4);
  let h = flowHash4(proto, load<u32>(ip + IPV4_SRC), load<u32>(ip + IPV4_DST), srcPort(l4), dstPort(l4));
  shapeFound(g, k, ip, h, proto, flags, 4, SHAPE_STEADY);
}

/** Whether the transport header at `l4` is TCP or UDP and passes parse.ts's checks (not a fragment). */
// @ts-ignore: decorator
@inline function transportChecked(l4: usize, proto: u32, captured: u32, len: u32): bool {
  if (proto == PROTO_TCP) return tcpCheck(l4, captured, len) == REASON_NONE;
  if (proto == PROTO_UDP) return udpCheck(l4, captured, len, false) == REASON_NONE;
  return false;
}

/**
 * The end of pass one for a frame of the fast shape (`flags` 0 for UDP):
 * a SYN is noted for openers.ts; a packet with steady flags gets its hash
 * kept, `shape`, and its conntrack reads started.
 */
// @ts-ignore: decorator
@inline function shapeFound(g: GroupState, k: u32, ip: usize, h: u64, proto: u32, flags: u32, family: u32, shape: u8): void {
  if ((flags & NOT_STEADY_TCP) != 0) {
    // A TCP SYN without ACK or RST may open a connection (openers.ts).
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
      openerNote(g, k, ip, h, family);
      g.setShape(k, SHAPE_OPENER);
    }
    return;
  }
  g.setHash(k, <u32>h);
  g.setShape(k, shape);
  ctPrefetch(<u32>h, g.park(k));
  if (proto == PROTO_UDP) g.udp |= 1 << k;
}


/**
 * After pass one: whether the UDP packet at `k` certainly has no conntrack
 * entry: the index slot of its hash (read by pass one, so usually arrived
 * by now) is empty, or holds another hash and the next slot is empty (an
 * entry is always reachable from its hash's slot without crossing an empty
 * one). Such a packet may open a connection (openers.ts openerUdp; then
 * markOpener). Any other new flow stays steady, fails the lookup and takes
 * the one-packet run.
 */
// @ts-ignore: decorator
@inline export function udpIsNew(g: GroupState, k: u32): bool {
  // The slot pass one parked: empty, or holding this hash (the common cases), else walk on.
  let slot = load<u64>(g.park(k));
  if ((slot >> 32) == 0) return true;
  let h = g.hash(k);
  return <u32>slot != h && ctNextEmpty(h);
}
// @ts-ignore: decorator
@inline export function markOpener(g: GroupState, k: u32): void { g.setShape(k, SHAPE_OPENER); }

/**
 * Pass two: the conntrack and NAT stages for packet `p` (descriptor `d`,
 * group position `k`) when pass one found it of the fast shape; CONTINUE
 * when they do not finish it (the one-packet run then does). Openers go
 * to openerPath instead (processBatch picks by shape).
 */
export function fastPath(g: GroupState, k: u32, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  if (g.shape(k) != SHAPE_STEADY) return CONTINUE;
  let ip = p + L3;
  let l4 = ip + IPV4_MIN_HLEN;
  let proto = <u32>load<u8>(ip + IPV4_PROTO);

  // Stage: conntrack (the entry, then the packet's transition).
  if (!ctProbe(g.hash(k), 4, proto, ip + IPV4_SRC, ip + IPV4_DST,
               ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT), found)) return CONTINUE;
  let ct = found.rec;
  if (!ctAdvance(ct, found.dir, proto, proto == PROTO_TCP ? tcpFlags(l4) : 0, 0, now)) return CONTINUE;

  // NAT, in the one-packet run's order.
  let snat = load<u8>(ct + CT_NAT) != 0;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  let verdict: u32;
  // The VIP:port ↔ backend:port rewrite takes the record's precomputed deltas.
  let vip = load<u32>(ct + CT_ORIG_DST), be = load<u32>(ct + CT_V4_BACKEND);
  let vport = <u32>load<u16>(ct + CT_ORIG_DPORT), bport = <u32>load<u16>(ct + CT_REPLY_SPORT);
  if (found.dir == DIR_ORIG) {
    if (snat) rewrite4(ip, l4, proto, IPV4_SRC, L4_SPORT, load<u32>(replyDstAddr(ct)), replyDstPort(ct));
    dnat4(ip, l4, proto, IPV4_DST, L4_DPORT, vip, be, bport, ct + CT_V4_FWD_IP);
    verdict = VERDICT_TRANSLATED;
  } else {
    dnat4(ip, l4, proto, IPV4_SRC, L4_SPORT, be, vip, vport, ct + CT_V4_REV_IP);
    if (snat) rewrite4(ip, l4, proto, IPV4_DST, L4_DPORT, load<u32>(ct + CT_ORIG_SRC), <u32>load<u16>(ct + CT_ORIG_SPORT));
    verdict = VERDICT_REVERSED;
  }

  fastDone(d, verdict, load<u32>(ct + CT_SVC) - 1, backend, proto, wirelen, 4, L4);
  return verdict;
}

/**
 * Pass one for an IPv6 frame: parse.ts's checks for Ethernet II,
 * IPv6 whose next header is TCP or UDP (no extension headers); then the
 * flow hash and, for TCP without SYN, FIN or RST and for UDP, the
 * conntrack reads started. A SYN is noted for openers.ts.
 */
function prepare6(g: GroupState, k: u32, p: usize, caplen: u32, wirelen: u32): void {
  if (caplen < L4_6 + UDP_HLEN) return;
  let frameLen = wirelen > caplen ? wirelen : caplen;
  if (ipv6Check(p, caplen, frameLen, L3) != REASON_NONE) return;
  let ip = p + L3;
  let end = L4_6 + ipv6PayloadLen(ip);
  let l4 = ip + IPV6_HLEN;
  // The shape: no extension headers (the next header is the transport's).
  let proto = ipv6Next(ip);
  if (!transportChecked(l4, proto, (end < caplen ? end : caplen) - L4_6, end - L4_6)) return;
  let flags: u32 = proto == PROTO_TCP ? tcpFlags(l4) : 0;
  let h = flowHash(6, proto, ip + IPV6_SRC, ip + IPV6_DST, srcPort(l4), dstPort(l4));
  shapeFound(g, k, ip, h, proto, flags, 6, SHAPE_STEADY6);
}

/**
 * Pass two for an IPv6 packet of the fast shape: as fastPath, with the
 * packet's own address fields as lookup keys and rewrite6 for the changes.
 */
export function fastPath6(g: GroupState, k: u32, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  let ip = p + L3;
  let l4 = ip + IPV6_HLEN;
  let proto = <u32>load<u8>(ip + IPV6_NEXT);
  if (!ctProbe(g.hash(k), 6, proto, ip + IPV6_SRC, ip + IPV6_DST,
               ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT), found)) return CONTINUE;
  let ct = found.rec;
  if (!ctAdvance(ct, found.dir, proto, proto == PROTO_TCP ? tcpFlags(l4) : 0, 0, now)) return CONTINUE;
  let snat = load<u8>(ct + CT_NAT) != 0;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  let verdict: u32;
  if (found.dir == DIR_ORIG) {
    if (snat) rewrite6(ip, l4, proto, IPV6_SRC, L4_SPORT, replyDstAddr(ct), replyDstPort(ct));
    rewrite6(ip, l4, proto, IPV6_DST, L4_DPORT, backendAddr(backend), <u32>load<u16>(ct + CT_REPLY_SPORT));
    verdict = VERDICT_TRANSLATED;
  } else {
    rewrite6(ip, l4, proto, IPV6_SRC, L4_SPORT, ct + CT_ORIG_DST, <u32>load<u16>(ct + CT_ORIG_DPORT));
    if (snat) rewrite6(ip, l4, proto, IPV6_DST, L4_DPORT, ct + CT_ORIG_SRC, <u32>load<u16>(ct + CT_ORIG_SPORT));
    verdict = VERDICT_REVERSED;
  }
  fastDone(d, verdict, load<u32>(ct + CT_SVC) - 1, backend, proto, wirelen, 6, L4_6);
  return verdict;
}
