// The established-flow fast path: most packets of a busy node are one
// shape, and this handles that shape in one pass over the frame:
//   Ethernet II (no VLAN tag) | IPv4 without options, not a fragment, or
//   IPv6 without extension headers | TCP or UDP of a connection conntrack holds in a state the packet does
//   not change (TCP without SYN, FIN or RST in SYN_SENT, ESTABLISHED,
//   CLOSE_WAIT, TIME_WAIT or CLOSE; UDP replied, or unreplied and from the
//   client: states.ts nextState), not expired.
// It makes exactly the checks the general parse makes, the same conntrack
// lookup, the same refresh, rewrites and counters, and returns the same
// verdict. Anything else returns CONTINUE having written nothing, and the
// general path (datapath.ts) handles the packet from the start, so the
// outcome never depends on which path ran: test/core-fastpath.test.ts
// runs the same traffic through cores with the fast path on and off and
// compares every byte, descriptor and counter.
//
// The batch goes through in groups of GROUP packets, in two passes: the
// first checks each frame's shape, hashes its flow and starts the reads
// of its conntrack index slot and record (fastPrepare); the second
// handles the packets in order (fastPath). With many flows those reads
// miss the cache, and this way the misses of a group overlap instead of
// coming one after another. The first pass only reads, so the order in
// which packets change conntrack is unchanged. TCP SYNs of this shape,
// and UDP packets whose index slot shows no entry, open connections:
// openers.ts handles them in the same groups.

import {
  D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, D_L3_OFF, D_L4_OFF, D_META, D_RESERVED,
  VERDICT_TRANSLATED, VERDICT_REVERSED, LINK_EN10MB,
} from './abi/layout';
import { REASON_NONE } from './abi/reasons';
import { C_PACKETS, C_BYTES } from './abi/tables';
import { backendAddr } from './lb/tables';
import { ld16 } from './wire/bytes';
import { IPV4_TOTAL_LEN, IPV4_FRAG, IPV4_PROTO, IPV4_CSUM, IPV4_SRC, IPV4_DST, IPV4_MIN_HLEN } from './wire/ipv4';
import { PROTO_TCP, PROTO_UDP, TCP_DOFF, TCP_FLAGS, TCP_CSUM, TCP_MIN_HLEN, TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST,
  UDP_LEN, UDP_CSUM, UDP_HLEN, L4_SPORT, L4_DPORT } from './wire/l4';
import { delta16, delta32, applyDelta, applyDeltaUdp } from './wire/checksum';
import { IPV6_PAYLOAD_LEN, IPV6_NEXT, IPV6_SRC, IPV6_DST, IPV6_HLEN } from './wire/ipv6';
import { dnat4, rewrite4, rewrite6 } from './nat';
import { openerNote, OPEN_MAX } from './openers';
import { ctLookup4, ctLookup6, ctNextEmpty, ctPrefetch, flowHash, flowHash4, ctRefresh, ctTouch, ctRec, ctDir, CT_STATE, CT_EXPIRES, CT_NAT, CT_SVC, CT_BACKEND, CT_REPLY_SPORT,
  CT_ORIG_SRC, CT_ORIG_DST, CT_ORIG_SPORT, CT_ORIG_DPORT, CT_V4_BACKEND, CT_V4_FWD_IP, CT_V4_REV_IP,
  replyDstAddr, replyDstPort } from './conntrack/table';
import { ST_ESTABLISHED, ST_SYN_SENT, ST_CLOSE_WAIT, ST_TIME_WAIT, ST_CLOSE, ST_REPLIED, ST_UNREPLIED, DIR_ORIG } from './conntrack/states';
import { TCP_ESTABLISHED_S, NS_PER_S } from './conntrack/timeouts';
import { verdictCounters, backendCounters, bump, bumpSlot } from './stats';

/** Not handled here: run the general path. */
export const FAST_CONTINUE: u32 = 0xffffffff;

/** Off only in tests that compare the two paths. */
export let fastPathOn: bool = true;
/** Packets handled here (the report shows the share). */
export let fastPackets: u64 = 0;
export function setFastPath(on: bool): void { fastPathOn = on; }

// Ethernet II: type at 12, IPv4 header at 14 (the general path also accepts VLAN tags: not here).
const ETH_TYPE: usize = 12;
const L3: u32 = 14;
/** Where the IP header of a fast-shape frame starts (Ethernet II, no tag). */
export const FAST_L3: usize = L3;
const L4: u32 = L3 + IPV4_MIN_HLEN;
/** Where the transport header of an IPv4 frame of the fast shape starts. */
export const FAST_L4: u32 = L4;
/** Where the transport header of an IPv6 frame of the fast shape starts. */
export const FAST_L4_6: u32 = L3 + IPV6_HLEN;
const L4_6: u32 = FAST_L4_6;
/** 0x0800 and version 4 / IHL 5 as little-endian loads see them. */
const ETHERTYPE_IPV4_LE: u32 = 0x0008;
/** 0x86dd as a little-endian load sees it. */
const ETHERTYPE_IPV6_LE: u32 = 0xdd86;
const IPV4_VER_IHL5: u32 = 0x45;
/** More-fragments bit and fragment offset of the flags/offset word, little-endian (DF may be set). */
const FRAG_MF_OFFSET_LE: u32 = 0xff3f;
const NOT_STEADY_TCP: u32 = TCP_SYN | TCP_FIN | TCP_RST;
const TCP_ESTABLISHED_NS: u64 = TCP_ESTABLISHED_S * NS_PER_S;

// @ts-ignore: decorator
@inline function put2(d: usize, w: u32, lo: u32, hi: u32): void {
  store<u64>(d + (<usize>w << 2), <u64>lo | (<u64>hi << 32));
}

/** Packets per group (see the top of this file). */
export const GROUP: u32 = 8;
/** Per group position: the flow hash, 0 for a packet not of the fast shape... */
const groupHash: usize = memory.data(GROUP * 4, 16);
/** ...what pass one found it to be (SHAPE_*)... */
const groupFast: usize = memory.data(GROUP, 16);
/** Not of the fast shape (or an opener with no frontend): the general path. */
const SHAPE_OTHER: u8 = 0;
/** Of the fast shape, with flags that leave a connection's state unchanged. */
const SHAPE_STEADY: u8 = 1;
/** A SYN of the fast shape (openers.ts). */
export const SHAPE_OPENER: u8 = 2;
/** IPv6 of the fast shape (no extension headers), with steady flags: fastPath6. */
export const SHAPE_STEADY6: u8 = 3;
/** ...and where its prefetched values are parked (16 bytes each; read only by udpIsNew). */
const groupPark: usize = memory.data(GROUP * 16, 16);

/**
 * Pass one for packet `p` at group position `k`: whether it has the fast
 * shape (the general parse's checks, for this one shape), and if so its
 * flow hash, and the conntrack reads started.
 */
export function fastPrepare(k: u32, p: usize, caplen: u32, wirelen: u32, link: u32): void {
  store<u8>(groupFast + k, SHAPE_OTHER);
  if (link != LINK_EN10MB || caplen < L4 + UDP_HLEN) return;
  if (<u32>load<u16>(p + ETH_TYPE) != ETHERTYPE_IPV4_LE) {
    if (<u32>load<u16>(p + ETH_TYPE) == ETHERTYPE_IPV6_LE) prepare6(k, p, caplen, wirelen);
    return;
  }
  let ip = p + L3;
  if (<u32>load<u8>(ip) != IPV4_VER_IHL5 || (<u32>load<u16>(ip + IPV4_FRAG) & FRAG_MF_OFFSET_LE) != 0) return;
  let total = ld16(ip + IPV4_TOTAL_LEN);
  let frameLen = wirelen > caplen ? wirelen : caplen;
  // total 0 (a segmentation-offload length) takes the general path.
  if (total < IPV4_MIN_HLEN + UDP_HLEN || L3 + total > frameLen) return;
  let l4 = ip + IPV4_MIN_HLEN;
  let len = total - IPV4_MIN_HLEN;
  let proto = <u32>load<u8>(ip + IPV4_PROTO);
  // Whether the connection's state lets it through is checked in pass two.
  let flags: u32 = 0;
  if (proto == PROTO_TCP) {
    let end = L3 + total;
    if ((end < caplen ? end : caplen) < L4 + TCP_MIN_HLEN) return;
    let hl = (<u32>load<u8>(l4 + TCP_DOFF) >> 4) << 2;
    if (hl < TCP_MIN_HLEN || hl > len) return;
    flags = <u32>load<u8>(l4 + TCP_FLAGS);
  } else if (proto == PROTO_UDP) {
    let ul = ld16(l4 + UDP_LEN);
    if (ul < UDP_HLEN || ul > len) return;
  } else {
    return;
  }
  let h = flowHash4(proto, load<u32>(ip + IPV4_SRC), load<u32>(ip + IPV4_DST), ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT));
  shapeFound(k, ip, h, proto, flags, 4, SHAPE_STEADY);
}

/**
 * The end of pass one for a frame of the fast shape (`flags` 0 for UDP):
 * a SYN is noted for openers.ts; a packet with steady flags gets its hash
 * kept, `shape`, and its conntrack reads started.
 */
// @ts-ignore: decorator
@inline function shapeFound(k: u32, ip: usize, h: u64, proto: u32, flags: u32, family: u32, shape: u8): void {
  if ((flags & NOT_STEADY_TCP) != 0) {
    // A TCP SYN without ACK or RST may open a connection (openers.ts).
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && k < OPEN_MAX) {
      openerNote(k, ip, h, family);
      store<u8>(groupFast + k, SHAPE_OPENER);
    }
    return;
  }
  store<u32>(groupHash + (<usize>k << 2), <u32>h);
  store<u8>(groupFast + k, shape);
  ctPrefetch(<u32>h, groupPark + (<usize>k << 4));
  if (proto == PROTO_UDP && k < OPEN_MAX) udpMask |= 1 << k;
}

/** Group positions holding a UDP packet of the fast shape (bit k); datapath.ts clears it. */
export let udpMask: u32 = 0;
export function udpMaskClear(): void { udpMask = 0; }

/**
 * After pass one: whether the UDP packet at `k` certainly has no conntrack
 * entry: the index slot of its hash (read by pass one, so usually arrived
 * by now) is empty, or holds another hash and the next slot is empty (an
 * entry is always reachable from its hash's slot without crossing an empty
 * one). Such a packet may open a connection (openers.ts openerUdp; then
 * markOpener). Any other new flow stays steady, fails the lookup and takes
 * the general path, as before.
 */
// @ts-ignore: decorator
@inline export function udpIsNew(k: u32): bool {
  // The slot pass one parked: empty, or holding this hash (the common cases), else walk on.
  let slot = load<u64>(groupPark + (<usize>k << 4));
  if ((slot >> 32) == 0) return true;
  let h = load<u32>(groupHash + (<usize>k << 2));
  return <u32>slot != h && ctNextEmpty(h);
}
// @ts-ignore: decorator
@inline export function markOpener(k: u32): void { store<u8>(groupFast + k, SHAPE_OPENER); }

/** What pass one found packet `k` of the group to be (SHAPE_*). */
// @ts-ignore: decorator
@inline export function groupShape(k: u32): u8 { return load<u8>(groupFast + k); }

/**
 * Pass two: handles packet `p` (descriptor `d`, group position `k`) when
 * pass one found it of the fast shape and conntrack holds its connection
 * in a steady state; else FAST_CONTINUE, having written nothing. Openers
 * go to openerPath instead (datapath.ts: a call here slowed this path).
 */
export function fastPath(k: u32, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  if (load<u8>(groupFast + k) != SHAPE_STEADY) return FAST_CONTINUE;
  let ip = p + L3;
  let l4 = ip + IPV4_MIN_HLEN;
  let proto = <u32>load<u8>(ip + IPV4_PROTO);

  // Conntrack: a live entry in its steady state.
  if (!ctLookup4(load<u32>(groupHash + (<usize>k << 2)), proto, load<u32>(ip + IPV4_SRC), load<u32>(ip + IPV4_DST),
                 ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT))) return FAST_CONTINUE;
  let ct = ctRec;
  if (!steadyRefresh(ct, proto, now)) return FAST_CONTINUE;

  // NAT, in the general path's order.
  let snat = load<u8>(ct + CT_NAT) != 0;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  let verdict: u32;
  // The VIP:port ↔ backend:port rewrite takes the record's precomputed deltas.
  let vip = load<u32>(ct + CT_ORIG_DST), be = load<u32>(ct + CT_V4_BACKEND);
  let vport = <u32>load<u16>(ct + CT_ORIG_DPORT), bport = <u32>load<u16>(ct + CT_REPLY_SPORT);
  if (ctDir == DIR_ORIG) {
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
 * Pass one for an IPv6 frame: the general parse's checks for Ethernet II,
 * IPv6 whose next header is TCP or UDP (no extension headers); then the
 * flow hash and, for TCP without SYN, FIN or RST and for UDP, the
 * conntrack reads started. A SYN is noted for openers.ts.
 */
function prepare6(k: u32, p: usize, caplen: u32, wirelen: u32): void {
  if (caplen < L4_6 + UDP_HLEN) return;
  let ip = p + L3;
  if ((<u32>load<u8>(ip) >> 4) != 6) return;
  let len = ld16(ip + IPV6_PAYLOAD_LEN);
  let end = L4_6 + len;
  let frameLen = wirelen > caplen ? wirelen : caplen;
  if (end > frameLen) return;
  let captured = (end < caplen ? end : caplen) - L4_6;
  let l4 = ip + IPV6_HLEN;
  let proto = <u32>load<u8>(ip + IPV6_NEXT);
  let flags: u32 = 0;
  if (proto == PROTO_TCP) {
    if (captured < TCP_MIN_HLEN) return;
    let hl = (<u32>load<u8>(l4 + TCP_DOFF) >> 4) << 2;
    if (hl < TCP_MIN_HLEN || hl > len) return;
    flags = <u32>load<u8>(l4 + TCP_FLAGS);
  } else if (proto == PROTO_UDP) {
    if (captured < UDP_HLEN) return;
    let ul = ld16(l4 + UDP_LEN);
    if (ul < UDP_HLEN || ul > len) return;
  } else {
    return;
  }
  let h = flowHash(6, proto, ip + IPV6_SRC, ip + IPV6_DST, ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT));
  shapeFound(k, ip, h, proto, flags, 6, SHAPE_STEADY6);
}

/**
 * Pass two for an IPv6 packet of the fast shape: as fastPath, with the
 * packet's own address fields as lookup keys and rewrite6 for the changes.
 */
export function fastPath6(k: u32, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  let ip = p + L3;
  let l4 = ip + IPV6_HLEN;
  let proto = <u32>load<u8>(ip + IPV6_NEXT);
  if (!ctLookup6(load<u32>(groupHash + (<usize>k << 2)), proto, ip + IPV6_SRC, ip + IPV6_DST,
                 ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT))) return FAST_CONTINUE;
  let ct = ctRec;
  if (!steadyRefresh(ct, proto, now)) return FAST_CONTINUE;
  let snat = load<u8>(ct + CT_NAT) != 0;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  let verdict: u32;
  if (ctDir == DIR_ORIG) {
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

/**
 * Whether a live connection's state lets a packet of the fast shape
 * through unchanged (then its expiry is pushed, as the general path's
 * nextState and ctTouch/ctRefresh would): states.ts, for this one case.
 */
// @ts-ignore: decorator
@inline function steadyRefresh(ct: usize, proto: u32, now: u64): bool {
  let state = <u32>load<u8>(ct + CT_STATE);
  if (load<u64>(ct + CT_EXPIRES) <= now) return false;
  if (state == ST_ESTABLISHED) {
    ctRefresh(ct, now, TCP_ESTABLISHED_NS);
    return true;
  }
  let steady = proto == PROTO_TCP
    ? state == ST_SYN_SENT || state == ST_CLOSE_WAIT || state == ST_TIME_WAIT || state == ST_CLOSE
    : state == ST_REPLIED || (state == ST_UNREPLIED && ctDir == DIR_ORIG);
  if (!steady) return false;
  ctTouch(ct, state, now);
  return true;
}

/**
 * What the general path's translated() and generalPath() leave for a
 * packet of the fast shape: the backend's packet and byte counters, the
 * verdict counter and the descriptor's OUT words.
 */
// @ts-ignore: decorator
@inline export function fastDone(d: usize, verdict: u32, slot: u32, backend: u32, proto: u32, wirelen: u32,
                                 family: u32, l4: u32): void {
  bump(backendCounters, backend, C_PACKETS, 1);
  bump(backendCounters, backend, C_BYTES, <u64>wirelen);
  bumpSlot(verdictCounters, verdict);
  fastPackets++;
  // The OUT words in pairs: abi/layout.ts keeps each pair adjacent, starting at an even word,
  // so each is one 8-byte aligned store (five instead of ten).
  put2(d, D_VERDICT, verdict, REASON_NONE);
  put2(d, D_SERVICE, slot + 1, backend + 1);
  put2(d, D_EXTRA_OFF, 0, 0);
  put2(d, D_L3_OFF, L3, l4);
  put2(d, D_META, (family << 8) | proto, 0);
}
