// The established-flow fast path: most packets of a busy node are one
// shape, and this handles that shape in one pass over the frame:
//   Ethernet II (no VLAN tag) | IPv4 without options, not a fragment |
//   TCP or UDP of a connection conntrack holds in a steady state
//   (TCP established and no SYN, FIN or RST; UDP replied), not expired.
// It makes exactly the checks the general parse makes, the same conntrack
// lookup, the same refresh, rewrites and counters, and returns the same
// verdict. Anything else returns CONTINUE having written nothing, and the
// general path (datapath.ts) handles the packet from the start, so the
// outcome never depends on which path ran: test/core-fastpath.test.ts
// runs the same traffic through cores with the fast path on and off and
// compares every byte, descriptor and counter.

import {
  D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, D_L3_OFF, D_L4_OFF, D_META, D_RESERVED,
  VERDICT_TRANSLATED, VERDICT_REVERSED, LINK_EN10MB,
} from './abi/layout';
import { REASON_NONE } from './abi/reasons';
import { C_PACKETS, C_BYTES } from './abi/tables';
import { ld16 } from './wire/bytes';
import { IPV4_TOTAL_LEN, IPV4_FRAG, IPV4_PROTO, IPV4_CSUM, IPV4_SRC, IPV4_DST, IPV4_MIN_HLEN } from './wire/ipv4';
import { PROTO_TCP, PROTO_UDP, TCP_DOFF, TCP_FLAGS, TCP_CSUM, TCP_MIN_HLEN, TCP_SYN, TCP_FIN, TCP_RST,
  UDP_LEN, UDP_CSUM, UDP_HLEN, L4_SPORT, L4_DPORT } from './wire/l4';
import { delta16, delta32, applyDelta, applyDeltaUdp } from './wire/checksum';
import { ctLookup4, ctRec, ctDir, CT_STATE, CT_EXPIRES, CT_NAT, CT_SVC, CT_BACKEND, CT_REPLY_SPORT,
  CT_ORIG_SRC, CT_ORIG_DST, CT_ORIG_SPORT, CT_ORIG_DPORT, replyDstAddr, replyDstPort } from './conntrack/table';
import { ST_ESTABLISHED, ST_REPLIED, DIR_ORIG } from './conntrack/states';
import { TCP_ESTABLISHED_S, UDP_REPLIED_S, NS_PER_S } from './conntrack/timeouts';
import { backendAddr } from './lb/tables';
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
const L4: u32 = L3 + IPV4_MIN_HLEN;
/** 0x0800 and version 4 / IHL 5 as little-endian loads see them. */
const ETHERTYPE_IPV4_LE: u32 = 0x0008;
const IPV4_VER_IHL5: u32 = 0x45;
/** More-fragments bit and fragment offset of the flags/offset word, little-endian (DF may be set). */
const FRAG_MF_OFFSET_LE: u32 = 0xff3f;
const NOT_STEADY_TCP: u32 = TCP_SYN | TCP_FIN | TCP_RST;
const TCP_ESTABLISHED_NS: u64 = TCP_ESTABLISHED_S * NS_PER_S;
const UDP_REPLIED_NS: u64 = UDP_REPLIED_S * NS_PER_S;

// @ts-ignore: decorator
@inline function put(d: usize, w: u32, v: u32): void { store<u32>(d + (<usize>w << 2), v); }

/** Handles packet `p` (descriptor `d`) when it has the fast shape; else FAST_CONTINUE. */
export function fastPath(d: usize, p: usize, caplen: u32, wirelen: u32, link: u32, now: u64): u32 {
  // Parse: the general parse's checks, for this one shape.
  if (link != LINK_EN10MB || caplen < L4 + UDP_HLEN) return FAST_CONTINUE;
  if (<u32>load<u16>(p + ETH_TYPE) != ETHERTYPE_IPV4_LE) return FAST_CONTINUE;
  let ip = p + L3;
  if (<u32>load<u8>(ip) != IPV4_VER_IHL5 || (<u32>load<u16>(ip + IPV4_FRAG) & FRAG_MF_OFFSET_LE) != 0) return FAST_CONTINUE;
  let total = ld16(ip + IPV4_TOTAL_LEN);
  let frameLen = wirelen > caplen ? wirelen : caplen;
  // total 0 (a segmentation-offload length) takes the general path.
  if (total < IPV4_MIN_HLEN + UDP_HLEN || L3 + total > frameLen) return FAST_CONTINUE;
  let l4 = ip + IPV4_MIN_HLEN;
  let len = total - IPV4_MIN_HLEN;
  let proto = <u32>load<u8>(ip + IPV4_PROTO);
  let timeout: u64;
  if (proto == PROTO_TCP) {
    let end = L3 + total;
    if ((end < caplen ? end : caplen) < L4 + TCP_MIN_HLEN) return FAST_CONTINUE;
    let hl = (<u32>load<u8>(l4 + TCP_DOFF) >> 4) << 2;
    if (hl < TCP_MIN_HLEN || hl > len || (<u32>load<u8>(l4 + TCP_FLAGS) & NOT_STEADY_TCP) != 0) return FAST_CONTINUE;
    timeout = TCP_ESTABLISHED_NS;
  } else if (proto == PROTO_UDP) {
    let ul = ld16(l4 + UDP_LEN);
    if (ul < UDP_HLEN || ul > len) return FAST_CONTINUE;
    timeout = UDP_REPLIED_NS;
  } else {
    return FAST_CONTINUE;
  }

  // Conntrack: a live entry in its steady state.
  let src = load<u32>(ip + IPV4_SRC);
  let dst = load<u32>(ip + IPV4_DST);
  if (!ctLookup4(proto, src, dst, ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT))) return FAST_CONTINUE;
  let ct = ctRec;
  let state = <u32>load<u8>(ct + CT_STATE);
  if (state != (proto == PROTO_TCP ? ST_ESTABLISHED : ST_REPLIED) || load<u64>(ct + CT_EXPIRES) <= now) return FAST_CONTINUE;
  store<u64>(ct + CT_EXPIRES, now + timeout);

  // NAT, in the general path's order.
  let snat = load<u8>(ct + CT_NAT) != 0;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  let verdict: u32;
  if (ctDir == DIR_ORIG) {
    if (snat) rewrite4(ip, l4, proto, IPV4_SRC, L4_SPORT, load<u32>(replyDstAddr(ct)), replyDstPort(ct));
    rewrite4(ip, l4, proto, IPV4_DST, L4_DPORT, load<u32>(backendAddr(backend)), <u32>load<u16>(ct + CT_REPLY_SPORT));
    verdict = VERDICT_TRANSLATED;
  } else {
    rewrite4(ip, l4, proto, IPV4_SRC, L4_SPORT, load<u32>(ct + CT_ORIG_DST), <u32>load<u16>(ct + CT_ORIG_DPORT));
    if (snat) rewrite4(ip, l4, proto, IPV4_DST, L4_DPORT, load<u32>(ct + CT_ORIG_SRC), <u32>load<u16>(ct + CT_ORIG_SPORT));
    verdict = VERDICT_REVERSED;
  }

  bump(backendCounters, backend, C_PACKETS, 1);
  bump(backendCounters, backend, C_BYTES, <u64>wirelen);
  bumpSlot(verdictCounters, verdict);
  fastPackets++;
  put(d, D_VERDICT, verdict);
  put(d, D_REASON, REASON_NONE);
  put(d, D_SERVICE, load<u32>(ct + CT_SVC));
  put(d, D_BACKEND, backend + 1);
  put(d, D_L3_OFF, L3);
  put(d, D_L4_OFF, L4);
  put(d, D_META, (4 << 8) | proto);
  put(d, D_RESERVED, 0);
  put(d, D_EXTRA_OFF, 0);
  put(d, D_EXTRA_LEN, 0);
  return verdict;
}

/**
 * nat.ts rewrite() for this shape: the address at `addrOff` of the IPv4
 * header and the port at `portOff` of the TCP/UDP header, with the same
 * incremental checksum updates in the same order (so the same bytes).
 * `addr` is raw (wire order), `port` host order.
 */
// @ts-ignore: decorator
@inline function rewrite4(ip: usize, l4: usize, proto: u32, addrOff: usize, portOff: usize, addr: u32, port: u32): void {
  let d: u64 = 0;
  let o = load<u32>(ip + addrOff);
  if (o != addr) {
    d = delta32(o, addr);
    applyDelta(ip + IPV4_CSUM, d);
    store<u32>(ip + addrOff, addr);
  }
  let changed = d != 0;
  let po = <u32>load<u16>(l4 + portOff);
  let pn = <u32>bswap<u16>(<u16>port);
  let portChanged = po != pn;
  if (portChanged) {
    d += delta16(po, pn);
    store<u16>(l4 + portOff, <u16>pn);
  }
  if (!changed && !portChanged) return;
  if (proto == PROTO_TCP) applyDelta(l4 + TCP_CSUM, d);
  else applyDeltaUdp(l4 + UDP_CSUM, d);
}
