// New connections: TCP SYNs and the first packets of UDP flows, handled
// within the group passes of fastpath.ts. A new connection's cost is mostly cache misses that come
// one after another: its Maglev slot, then, once the backend is known, its
// reply tuple's conntrack index slot (and the backend's counters).
// WebAssembly has no prefetch, and a load only stops the CPU when it
// reaches the head of the reorder window with its line still missing; so
// misses overlap only when they are issued close together, with little
// work between them, not from the heavier pass one. Hence tiny
// passes over a group's SYNs, after pass one has noted them (openerNote):
//   prepare pass (openersPrepare): the frontend (in cache), the decisions
//     that depend only on the packet and the tables: which endpoint set,
//     masquerade or not, where the Maglev slot is; no miss yet;
//   slot pass (openersSlots): read every opener's Maglev slot;
//   reply pass (openersReplies): backend from the slot, reply tuple's
//     hash, read its index slot and the original tuple's;
// which only read, values parked where nobody reads them. Then pass two
// (openerPath) makes the connection for the common case and hands every
// other SYN to the one-packet run, which decides from scratch. What pass
// two still checks is what earlier packets of the same group may change:
// conntrack (the tuple, the reply tuple, a free record).

import { VERDICT_TRANSLATED } from './abi/layout';
import { CONTINUE } from './verdict';
import { PER_ENTITY, LB_RANDOM, FE_CLUSTER_ADDR, FE_LOAD_BALANCER, SF_AFFINITY, SF_SOURCE_RANGES } from './abi/tables';
import { IPV4_SRC, IPV4_DST, IPV4_MIN_HLEN } from './wire/ipv4';
import { IPV6_SRC, IPV6_DST, IPV6_HLEN } from './wire/ipv6';
import { PROTO_TCP, PROTO_UDP, TCP_FLAGS, TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, L4_SPORT, L4_DPORT } from './wire/l4';
import { ld16 } from './wire/bytes';
import { maglevM, lbMode } from './config';
import { feKind, feSlot, svcRecord, backendAddr, backendPort, SVC_FLAGS, SVC_CLUSTER_N } from './lb/lookup';
import { maglevSlot } from './lb/maglev';
import { maglevHash } from './lb/compat';
import { nodeAddr } from './lb/node';
import { CtResult, CT_RESULT_BYTES, ctWarmSlot, flowHash, flowHash4, ctProbe, ctHasFree, CT_V4_FWD_IP, CTN_MASQ } from './conntrack/table';
import { ST_SYN_SENT, ST_UNREPLIED } from './conntrack/states';
import { dnat4, rewrite4, rewrite6 } from './nat';
import { svcCounters, backendCounters } from './stats';
import { fastDone, GroupState, FAST_L3, FAST_L4, FAST_L4_6 } from './shape';
import { frontendFor, isExternal, sourceClass, endpointSet, masqueraded, openConnection, sourceNat, replyTaken, SET_LIST, SET_N,
  SET_TABLE } from './service';

// Each group position's opener record (GroupState.opener, OPENER_BYTES):
// its Maglev slot (h % M), the set's list and size, the IPv4 header, the flow hash, the table, the service-port
// slot, the reply tuple's destination address (the client's, or the
// node's when masqueraded) and whether it is masqueraded, parking words,
// and what the reply pass found (pass two reuses it when nothing changed).
const O_SLOT: usize = 0;
const O_LIST: usize = 4;
const O_N: usize = 8;
const O_IP: usize = 12;
const O_HASH: usize = 16;
const O_TABLE: usize = 24;
const O_SVC: usize = 28;
const O_REPLY_DST: usize = 32;
const O_MASQ: usize = 36;
/** 4 or 6. For IPv6, O_REPLY_DST holds a pointer to the address (in the frame, or the node's). */
const O_FAMILY: usize = 37;
/** TCP or UDP. */
const O_PROTO: usize = 38;
const O_PARK: usize = 40;
/** The backend the reply pass chose and its reply tuple's hash. */
const O_BACKEND: usize = 56;
const O_HREPLY: usize = 60;
/** What pass two's lookups found (only whether they did is read). */
const found = changetype<CtResult>(memory.data(CT_RESULT_BYTES, 8));
/** IPv4 addresses as 16-byte key slots (the rest stays zero). */
const dstSlot: usize = memory.data(16, 16);
const srcSlot: usize = memory.data(16, 16);

/** Pass one notes a SYN of the fast shape at group position `k` (IP header at `ip`, flow hash `h`). */
// @ts-ignore: decorator
@inline export function openerNote(g: GroupState, k: u32, ip: usize, h: u64, family: u32): void {
  openerStash(g, k, ip, h, family);
  store<u8>(g.opener(k) + O_PROTO, <u8>PROTO_TCP);
  g.syn |= 1 << k;
  if (family == 6) g.syn6 |= 1 << k;
}

/** Pass one keeps a SYN's header and hash. */
// @ts-ignore: decorator
@inline function openerStash(g: GroupState, k: u32, ip: usize, h: u64, family: u32): void {
  let o = g.opener(k);
  store<u32>(o + O_IP, <u32>ip);
  store<u8>(o + O_FAMILY, <u8>family);
  store<u64>(o + O_HASH, h);
}

/**
 * A UDP packet of the fast shape at group position `k` (frame `p`) that
 * has no conntrack entry (fastpath.ts udpIsNew): noted like a SYN, with its
 * flow hash computed again (only new flows pay for it).
 */
export function openerUdp(g: GroupState, k: u32, p: usize): void {
  let ip = p + FAST_L3;
  let h: u64;
  let family: u32;
  if ((<u32>load<u8>(ip) >> 4) == 6) {
    family = 6;
    let l4 = ip + IPV6_HLEN;
    h = flowHash(6, PROTO_UDP, ip + IPV6_SRC, ip + IPV6_DST, ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT));
    g.syn6 |= 1 << k;
  } else {
    family = 4;
    let l4 = ip + IPV4_MIN_HLEN;
    h = flowHash4(PROTO_UDP, load<u32>(ip + IPV4_SRC), load<u32>(ip + IPV4_DST), ld16(l4 + L4_SPORT), ld16(l4 + L4_DPORT));
  }
  openerStash(g, k, ip, h, family);
  store<u8>(g.opener(k) + O_PROTO, <u8>PROTO_UDP);
  g.syn |= 1 << k;
}

/**
 * For every noted SYN, what datapath.ts decides from the packet and the
 * tables alone, in its order: the frontend (the destination's, else a
 * NodePort on a NodePort address), the endpoint set (rules 10, 14-16, 20)
 * and the masquerade decision (rules 18-20, but for hairpin, which needs
 * the backend). SYNs to a service port with affinity, source ranges on a
 * LoadBalancer IP, no endpoints, random choice or any other answer than
 * a new connection are left to the one-packet run.
 */
export function openersPrepare(g: GroupState): void {
  if (lbMode == LB_RANDOM) return;
  // One loop per family, so each has its own copy of prepareOne with the family fixed.
  for (let bits = g.syn & ~g.syn6; bits != 0; bits &= bits - 1) prepareOne(g, <u32>ctz(bits), 4);
  for (let bits = g.syn6; bits != 0; bits &= bits - 1) prepareOne(g, <u32>ctz(bits), 6);
}

// @ts-ignore: decorator
@inline function prepareOne(g: GroupState, k: u32, family: u32): void {
  let o = g.opener(k);
  let ip = <usize>load<u32>(o + O_IP);
  let proto = <u32>load<u8>(o + O_PROTO);
  let v6 = family == 6;
  let l4 = ip + (v6 ? IPV6_HLEN : IPV4_MIN_HLEN);
  let dport = ld16(l4 + L4_DPORT);
  // Addresses as 16-byte key slots: an IPv6 frame's own fields, IPv4 ones copied out.
  let dstP = dstSlot, srcP = srcSlot;
  if (v6) {
    dstP = ip + IPV6_DST;
    srcP = ip + IPV6_SRC;
  } else {
    store<u32>(dstSlot, load<u32>(ip + IPV4_DST));
    store<u32>(srcSlot, load<u32>(ip + IPV4_SRC));
  }
  let fe = frontendFor(dstP, family, proto, dport);
  if (fe == 0) return;
  let kind = feKind(fe);
  if (kind == FE_CLUSTER_ADDR) return;
  let slot = feSlot(fe);
  let r = svcRecord(slot);
  let flags = load<u32>(r + SVC_FLAGS);
  if ((flags & SF_AFFINITY) != 0 || (kind == FE_LOAD_BALANCER && (flags & SF_SOURCE_RANGES) != 0)) return;
  if (load<u32>(r + SVC_CLUSTER_N) == 0) return;
  let external = isExternal(fe);
  let cls = sourceClass(family, srcP, external);
  let set = endpointSet(r, flags, external, cls);
  let n = load<u32>(set + SET_N);
  let table = load<u32>(set + SET_TABLE);
  if (n == 0 || table == 0) return;
  let na = nodeAddr(family);
  let masq = na != 0 && masqueraded(flags, external, cls);
  // Affinity SYNs were left to the one-packet run above.
  let mh = maglevHash(load<u64>(o + O_HASH), family, proto, srcP, ld16(l4 + L4_SPORT), dport, false);
  store<u32>(o + O_SLOT, <u32>(mh % <u64>maglevM));
  store<u32>(o + O_LIST, load<u32>(set + SET_LIST));
  store<u32>(o + O_N, n);
  store<u32>(o + O_TABLE, table);
  store<u32>(o + O_SVC, slot);
  store<u32>(o + O_REPLY_DST, v6 ? <u32>(masq ? na : srcP) : load<u32>(masq ? na : srcP));
  store<u8>(o + O_MASQ, <u8>masq);
  g.open |= 1 << k;
}

/** Reads every opener's Maglev slot, its table's header and its service port's counters. */
export function openersSlots(g: GroupState): void {
  for (let bits = g.open; bits != 0; bits &= bits - 1) {
    let o = g.opener(<u32>ctz(bits));
    store<u32>(o + O_PARK, maglevSlot(<usize>load<u32>(o + O_TABLE), load<u32>(o + O_N), load<u32>(o + O_SLOT)));
    store<u8>(o + O_PARK + 4, load<u8>(<usize>load<u32>(o + O_TABLE) - 8));
    store<u8>(o + O_PARK + 5, load<u8>(svcCounters + (<usize>load<u32>(o + O_SVC) * PER_ENTITY << 3)));
  }
}

/** Picks each opener's backend and reads its reply tuple's index slot, its own, and the backend's counters. */
export function openersReplies(g: GroupState): void {
  for (let bits = g.open & ~g.syn6; bits != 0; bits &= bits - 1) replyOne(g, <u32>ctz(bits), 4);
  for (let bits = g.open & g.syn6; bits != 0; bits &= bits - 1) replyOne(g, <u32>ctz(bits), 6);
}

// @ts-ignore: decorator
@inline function replyOne(g: GroupState, k: u32, family: u32): void {
  let o = g.opener(k);
  let n = load<u32>(o + O_N);
  let pos = maglevSlot(<usize>load<u32>(o + O_TABLE), n, load<u32>(o + O_SLOT));
  let id = load<u32>(<usize>load<u32>(o + O_LIST) + (<usize>pos << 2));
  let ip = <usize>load<u32>(o + O_IP);
  let h = load<u64>(o + O_HASH);
  let proto = <u32>load<u8>(o + O_PROTO);
  let hr = family == 6
    ? flowHash(6, proto, backendAddr(id), <usize>load<u32>(o + O_REPLY_DST), backendPort(id), ld16(ip + IPV6_HLEN + L4_SPORT))
    : flowHash4(proto, load<u32>(backendAddr(id)), load<u32>(o + O_REPLY_DST), backendPort(id),
                ld16(ip + IPV4_MIN_HLEN + L4_SPORT));
  store<u32>(o + O_BACKEND, id);
  store<u32>(o + O_HREPLY, <u32>hr);
  ctWarmSlot(<u32>hr, o + O_PARK + 8);
  ctWarmSlot(<u32>h, o + O_PARK + 12);
  store<u8>(o + O_PARK + 6, load<u8>(backendCounters + (<usize>id * PER_ENTITY << 3)));
}

/**
 * Pass two for the SYN at group position `k` (frame `p`, descriptor `d`):
 * the new connection the one-packet run would make, when the prepare pass
 * found one and it is the common case: a plain SYN (no ACK, FIN or RST),
 * no entry for the tuple yet, a free record, and the reply tuple free
 * (no clash; when masqueraded, the client's own port is free on the node
 * address). The same record, rewrites, counters and descriptor words;
 * anything else returns CONTINUE having written nothing, and the
 * one-packet run decides (test/core-openers.test.ts compares both).
 */
export function openerPath(g: GroupState, k: u32, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  if ((g.open & (1 << k)) == 0) return CONTINUE;
  let o = g.opener(k);
  if ((g.syn6 & (1 << k)) != 0) return openerPath6(o, d, p, wirelen, now);
  // One copy of openerPath4 per protocol, each with its protocol fixed.
  return load<u8>(o + O_PROTO) == PROTO_TCP
    ? openerPath4(o, d, p, wirelen, now, PROTO_TCP)
    : openerPath4(o, d, p, wirelen, now, PROTO_UDP);
}

// @ts-ignore: decorator
@inline function openerPath4(o: usize, d: usize, p: usize, wirelen: u32, now: u64, proto: u32): u32 {
  let ip = p + FAST_L3;
  let l4 = ip + IPV4_MIN_HLEN;
  if (proto == PROTO_TCP && (<u32>load<u8>(l4 + TCP_FLAGS) & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST)) != TCP_SYN) return CONTINUE;
  if (!ctHasFree()) return CONTINUE;
  let h = load<u64>(o + O_HASH);
  let src = load<u32>(ip + IPV4_SRC), dst = load<u32>(ip + IPV4_DST);
  let sport = ld16(l4 + L4_SPORT), dport = ld16(l4 + L4_DPORT);
  if (ctProbe(<u32>h, 4, proto, ip + IPV4_SRC, ip + IPV4_DST, sport, dport, found)) return CONTINUE;
  let slot = load<u32>(o + O_SVC);
  let n = load<u32>(o + O_N);
  let list = <usize>load<u32>(o + O_LIST);
  // Maglev's list[table[h % M]], with h % M from the prepare pass.
  let backend = load<u32>(list + (<usize>maglevSlot(<usize>load<u32>(o + O_TABLE), n, load<u32>(o + O_SLOT)) << 2));
  let bAddr = backendAddr(backend);
  let be = load<u32>(bAddr);
  let bPort = backendPort(backend);
  // The masquerade rule from the prepare pass, and hairpin (a backend reaching itself through its Service).
  let na = sourceNat(4, load<u8>(o + O_MASQ) != 0, ip + IPV4_SRC, bAddr);
  let masq = na != 0;
  let replyDstP = masq ? na : o + O_REPLY_DST;
  let replyDst = load<u32>(replyDstP);
  // Taken: a clash with another connection's reply tuple, or, masqueraded,
  // the client's port already used on the node address; the one-packet run
  // then picks another source port.
  let hReply = backend == load<u32>(o + O_BACKEND) && replyDst == load<u32>(o + O_REPLY_DST)
    ? load<u32>(o + O_HREPLY) : <u32>flowHash4(proto, be, replyDst, bPort, sport);
  if (replyTaken(hReply, 4, proto, bAddr, replyDstP, bPort, sport, now, found)) return CONTINUE;

  let ct = openConnection(4, proto, ip + IPV4_SRC, ip + IPV4_DST, sport, dport, slot, backend, bAddr, bPort,
                          masq ? CTN_MASQ : 0, sport, proto == PROTO_TCP ? ST_SYN_SENT : ST_UNREPLIED, now, <u32>h, hReply, true);
  dnat4(ip, l4, proto, IPV4_DST, L4_DPORT, dst, be, bPort, ct + CT_V4_FWD_IP);
  if (masq) rewrite4(ip, l4, proto, IPV4_SRC, L4_SPORT, replyDst, sport);

  fastDone(d, VERDICT_TRANSLATED, slot, backend, proto, wirelen, 4, FAST_L4);
  return VERDICT_TRANSLATED;
}

/** openerPath for an IPv6 SYN: the same steps with 16-byte addresses and no stored DNAT deltas. */
function openerPath6(o: usize, d: usize, p: usize, wirelen: u32, now: u64): u32 {
  let ip = p + FAST_L3;
  let l4 = ip + IPV6_HLEN;
  let proto = <u32>load<u8>(o + O_PROTO);
  if (proto == PROTO_TCP && (<u32>load<u8>(l4 + TCP_FLAGS) & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST)) != TCP_SYN) return CONTINUE;
  if (!ctHasFree()) return CONTINUE;
  let h = load<u64>(o + O_HASH);
  let src = ip + IPV6_SRC, dst = ip + IPV6_DST;
  let sport = ld16(l4 + L4_SPORT), dport = ld16(l4 + L4_DPORT);
  if (ctProbe(<u32>h, 6, proto, src, dst, sport, dport, found)) return CONTINUE;
  let slot = load<u32>(o + O_SVC);
  let n = load<u32>(o + O_N);
  let list = <usize>load<u32>(o + O_LIST);
  let backend = load<u32>(list + (<usize>maglevSlot(<usize>load<u32>(o + O_TABLE), n, load<u32>(o + O_SLOT)) << 2));
  let bAddr = backendAddr(backend);
  let bPort = backendPort(backend);
  let na = sourceNat(6, load<u8>(o + O_MASQ) != 0, src, bAddr);
  let masq = na != 0;
  let replyDst = masq ? na : <usize>load<u32>(o + O_REPLY_DST);
  let hReply = backend == load<u32>(o + O_BACKEND) && replyDst == <usize>load<u32>(o + O_REPLY_DST)
    ? load<u32>(o + O_HREPLY) : <u32>flowHash(6, proto, bAddr, replyDst, bPort, sport);
  if (replyTaken(hReply, 6, proto, bAddr, replyDst, bPort, sport, now, found)) return CONTINUE;

  openConnection(6, proto, src, dst, sport, dport, slot, backend, bAddr, bPort,
                 masq ? CTN_MASQ : 0, sport, proto == PROTO_TCP ? ST_SYN_SENT : ST_UNREPLIED, now, <u32>h, hReply, true);
  rewrite6(ip, l4, proto, IPV6_DST, L4_DPORT, bAddr, bPort);
  if (masq) rewrite6(ip, l4, proto, IPV6_SRC, L4_SPORT, replyDst, sport);

  fastDone(d, VERDICT_TRANSLATED, slot, backend, proto, wirelen, 6, FAST_L4_6);
  return VERDICT_TRANSLATED;
}
