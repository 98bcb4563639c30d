// The per-packet program and its scheduler.
//
// The one-packet run (processPacket): stages run top to bottom and each
// either returns a verdict or lets the packet continue:
//   parse → fragments → conntrack (established / reply) → service lookup →
//   endpoint set → backend choice → new connection → DNAT.
// The stages are functions of parse.ts, conntrack/table.ts, service.ts and
// nat.ts; they hand results on in structs at fixed addresses (the flow key,
// the conntrack result, the packet's state) and only read the service tables.
//
// The scheduler (processBatch) takes the batch in groups of GROUP packets:
// read-ahead passes first (fastpath.ts pass one, openers.ts prepare, slot
// and reply passes: the same checks and decisions, values parked so the
// cache misses of a group overlap), then for
// each packet the same stages, specialised for the frame's shape
// (fastPath, fastPath6, openerPath), falling back to the one-packet run
// for whatever they do not finish. Nothing here allocates, calls the
// host, or reads outside the packet.

import {
  DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, D_EXTRA_OFF, D_EXTRA_LEN, NO_OFFSET,
  EXTRA_SLOT_BYTES, VERDICT_PASS, VERDICT_TRANSLATED, VERDICT_REVERSED, VERDICT_DROP, VERDICT_REJECT,
} from './abi/layout';
import {
  REASON_NONE, REASON_FRAGMENT_UNTRACKED, REASON_SERVICE_PORT_UNKNOWN, REASON_SERVICE_NO_ENDPOINTS,
  REASON_NO_LOCAL_ENDPOINTS, REASON_CT_FULL, REASON_SERVICE_IP_UNALLOCATED, REASON_SOURCE_RANGE_DENIED,
  REASON_NAT_PORT_EXHAUSTED,
} from './abi/reasons';
import { inputRegion, descRegion, extraRegion, lbMode, maglevM } from './config';
import {
  LB_RANDOM, FE_CLUSTER_ADDR, FE_LOAD_BALANCER, SF_AFFINITY, SF_SOURCE_RANGES, LIST_SERVICE_CIDRS,
} from './abi/tables';
import { listContains, masqLo, masqHi } from './lb/node';
import { affinityFind, affinityPut } from './lb/affinity';
import { parsePacket, PARSE_NOT_IP } from './parse';
import { FlowKey, FLOW_KEY_BYTES, FRAG_FIRST, FRAG_LATER, NO_L4 } from './flow';
import { fragFirst, fragFind } from './frag';
import {
  ctFind, flowHash, ctWarmFree, CtResult, CT_RESULT_BYTES, ctAdvance, CT_SVC, CT_BACKEND, CT_NAT, CT_ORIG_SPORT,
  CT_ORIG_DPORT, CT_REPLY_SPORT, CT_ORIG_SRC, CT_ORIG_DST, CTN_MASQ, CTN_SPORT, replyDstAddr, replyDstPort,
} from './conntrack/table';
import { initialState, DIR_ORIG } from './conntrack/states';
import { PROTO_TCP, PROTO_ICMP, PROTO_ICMPV6, TCP_SYN, TCP_ACK } from './wire/l4';
import { isIcmpError, relate, RELATED_NONE, RELATED_TO_BACKEND } from './related';
import {
  feLookup, feKind, feSlot, svcRecord, backendAddr, backendPort, sourceAllowed, warmMaglev, SVC_FLAGS,
  SVC_AFFINITY, SVC_CLUSTER_N
} from './lb/lookup';
import { hashTuple, hashSeed, mix, finish } from './hash';
import { rewrite } from './nat';
import { maglevPick } from './lb/maglev';
import { maglevHash } from './lb/compat';
import { fastPrepare, fastPath, fastPath6, fastPathOn, udpIsNew, markOpener, SHAPE_OPENER, SHAPE_STEADY6 } from './fastpath';
import { openersPrepare, openerUdp, openersSlots, openersReplies, openerPath } from './openers';
import { GroupState, GROUP_STATE_BYTES, GROUP } from './shape';
import { buildReject } from './reject';
import {
  frontendFor, isExternal, sourceClass, endpointSet, masqueraded, openConnection, sourceNat, replyTaken, SET_LIST, SET_N,
  SET_TABLE,
} from './service';
import { CONTINUE, PacketState, PACKET_STATE_BYTES } from './verdict';
import { packetDone, noExtra, countBackend } from './outcome';
import { note } from './explain';
import {
  EX_CT, EX_CT_DIR, EX_CT_STATE_BEFORE, EX_CT_REC, EX_FRONTEND, EX_SOURCE, EX_SET, EX_SET_N, EX_CHOICE, EX_MAGLEV_SLOT,
  EX_MAGLEV_SIZE, EX_NAT, EX_NAT_PORT, EXC_FOUND, EXC_STALE, EXC_RELATED, EXS_CLUSTER, EXS_LOCAL, EXB_MAGLEV, EXB_RANDOM,
  EXB_AFFINITY, EXN_MASQUERADE, EXN_HAIRPIN, EXN_PORT_ONLY,
} from './abi/explain';
import { stateOf } from './conntrack/states';
import { CT_STATE } from './conntrack/table';
import { SVC_LOCAL_LIST } from './lb/lookup';

// @ts-ignore: decorator
@inline function word(d: usize, w: u32): u32 { return load<u32>(d + (<usize>w << 2)); }

/** The group's state between the scheduler's passes. */
const group = changetype<GroupState>(memory.data(GROUP_STATE_BYTES, 16));
/** The packet's flow key (parse fills it; every later stage reads it). */
const key = changetype<FlowKey>(memory.data(FLOW_KEY_BYTES, 16));
/** What the packet's conntrack lookups found. */
const found = changetype<CtResult>(memory.data(CT_RESULT_BYTES, 8));

/** The packet's time and what its stages decided besides the verdict. */
const packetState = changetype<PacketState>(memory.data(PACKET_STATE_BYTES, 8));

/** The scheduler: runs packets first .. first+n-1 of the batch (see the top of this file). */
export function processBatch(first: u32, n: u32): void {
  let end = first + n;
  for (let g: u32 = first; g < end; g += GROUP) {
    let m = end - g < GROUP ? end - g : GROUP;
    if (fastPathOn) {
      group.reset();
      for (let k: u32 = 0; k < m; k++) {
        let d = desc(g + k);
        fastPrepare(group, k, packet(d), word(d, D_CAPLEN), word(d, D_WIRELEN), word(d, D_LINKTYPE));
      }
      if (group.udp != 0) {
        for (let bits = group.udp; bits != 0; bits &= bits - 1) {
          let k = <u32>ctz(bits);
          if (udpIsNew(group, k)) { openerUdp(group, k, packet(desc(g + k))); markOpener(group, k); }
        }
        group.udp = 0;
      }
      if (group.syn != 0) {
        openersPrepare(group);
        if (group.open != 0) { openersSlots(group); openersReplies(group); }
      }
    }
    for (let k: u32 = 0; k < m; k++) {
      let d = desc(g + k);
      if (fastPathOn) {
        let now = <u64>word(d, D_TS_SEC) * 1_000_000_000 + <u64>word(d, D_TS_NSEC);
        let shape = group.shape(k);
        if (shape == SHAPE_OPENER) {
          if (openerPath(group, k, d, packet(d), word(d, D_WIRELEN), now) != CONTINUE) continue;
        } else if (shape == SHAPE_STEADY6) {
          if (fastPath6(group, k, d, packet(d), word(d, D_WIRELEN), now) != CONTINUE) continue;
        } else if (fastPath(group, k, d, packet(d), word(d, D_WIRELEN), now) != CONTINUE) continue;
      }
      generalPath(d, g + k);
    }
  }
}

// @ts-ignore: decorator
@inline function desc(i: u32): usize { return descRegion + <usize>i * DESC_WORDS * 4; }
// @ts-ignore: decorator
@inline function packet(d: usize): usize { return inputRegion + <usize>word(d, D_OFFSET); }

/** Packet i (descriptor d) through the general per-packet program, and its descriptor's OUT words. */
function generalPath(d: usize, i: u32): void {
  let pk = packetState;
  let verdict = processPacket(d, i, pk);
  let parsed = key.family != 0;
  packetDone(d, verdict, pk.reason, pk.service, pk.backend, parsed ? key.l3 : NO_OFFSET,
             parsed && key.l4 != NO_L4 ? key.l4 : NO_OFFSET, (key.family << 8) | key.proto);
}

function processPacket(d: usize, i: u32, pk: PacketState): u32 {
  pk.reset();
  noExtra(d);
  let off = word(d, D_OFFSET);
  let caplen = word(d, D_CAPLEN);
  let wirelen = word(d, D_WIRELEN);
  let link = word(d, D_LINKTYPE);
  pk.now = <u64>word(d, D_TS_SEC) * 1_000_000_000 + <u64>word(d, D_TS_NSEC);
  let p = inputRegion + <usize>off;

  // Stage: parse.
  let r = parsePacket(key, p, caplen, wirelen, link);
  if (r == PARSE_NOT_IP) return VERDICT_PASS;
  if (r != REASON_NONE) return drop(pk, r);

  // Stage: fragments. A later fragment borrows its datagram's ports.
  if (key.frag == FRAG_LATER) {
    if (!fragFind(key, pk.now)) return isServiceAddress() ? drop(pk, REASON_FRAGMENT_UNTRACKED) : VERDICT_PASS;
  } else if (key.frag == FRAG_FIRST && key.hasPorts) {
    fragFirst(key, pk.now);
  }
  if (!key.hasPorts) {
    // Stage: ICMP errors about a tracked connection.
    if ((key.proto == PROTO_ICMP || key.proto == PROTO_ICMPV6) && isIcmpError(key)) {
      let rel = relate(key, p, found);
      if (rel != RELATED_NONE) {
        noteFound(EXC_RELATED, found.rec, found.dir);
        let slot = load<u32>(found.rec + CT_SVC) - 1;
        let backend = load<u32>(found.rec + CT_BACKEND) - 1;
        return translated(pk, slot, backend, wirelen, rel == RELATED_TO_BACKEND ? VERDICT_TRANSLATED : VERDICT_REVERSED);
      }
    }
    return VERDICT_PASS;
  }

  // One hash serves the conntrack lookup and the Maglev choice.
  let h = flowHash(key.family, key.proto, key.src, key.dst, key.sport, key.dport);
  // A packet that may open a connection looks up its frontend first and
  // starts the reads a new connection makes (its Maglev slot, a free
  // record) so they overlap the conntrack lookup's: for a new connection
  // these cache misses are most of the cost. The answers are used only
  // below, exactly as if looked up there.
  let fe: usize = 0;
  let early = key.proto != PROTO_TCP || (key.tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
  if (early) {
    fe = frontendFor(key.dst, key.family, key.proto, key.dport);
    // A hint: the slot without ClientIP affinity, which only the choice below knows of.
    if (fe != 0) warmMaglev(fe, maglevHash(h, key.family, key.proto, key.src, key.sport, key.dport, false), parked);
    ctWarmFree(parked + 4);
  }

  // Stage: conntrack. Established flows and replies follow their entry.
  if (ctFind(<u32>h, key.family, key.proto, key.src, key.dst, key.sport, key.dport, found)) {
    noteFound(EXC_FOUND, found.rec, found.dir);
    let v = followConnection(pk, p, wirelen);
    if (v != CONTINUE) return v;
    note(EX_CT, EXC_STALE);
    note(EX_CT_REC, 0);
  }

  // Stage: service lookup (ClusterIP, externalIPs, LoadBalancer ingress, NodePort).
  if (!early) fe = frontendFor(key.dst, key.family, key.proto, key.dport);
  if (fe == 0) {
    // An allocated ClusterIP on a port it does not serve (rule 17).
    if (feLookup(key.dst, key.family, 0, 0) != 0) return reject(pk, REASON_SERVICE_PORT_UNKNOWN, p, caplen, link, d, i);
    if (listContains(LIST_SERVICE_CIDRS, key.family, key.dst)) return drop(pk, REASON_SERVICE_IP_UNALLOCATED);
    return VERDICT_PASS;
  }
  let kind = feKind(fe);
  note(EX_FRONTEND, kind);
  if (kind == FE_CLUSTER_ADDR) return VERDICT_PASS;
  let slot = feSlot(fe);
  let rec = svcRecord(slot);
  pk.service = slot + 1;
  let flags = load<u32>(rec + SVC_FLAGS);
  let external = isExternal(fe);

  // Stage: loadBalancerSourceRanges, before anything else (rule 21).
  if (kind == FE_LOAD_BALANCER && (flags & SF_SOURCE_RANGES) && !sourceAllowed(slot, key.family, key.src)) {
    return drop(pk, REASON_SOURCE_RANGE_DENIED);
  }

  // Stage: endpoint set (rules 10, 14-16, 20).
  if (load<u32>(rec + SVC_CLUSTER_N) == 0) return reject(pk, REASON_SERVICE_NO_ENDPOINTS, p, caplen, link, d, i);
  let cls = sourceClass(key.family, key.src, external);
  let set = endpointSet(rec, flags, external, cls);
  let n = load<u32>(set + SET_N);
  note(EX_SOURCE, cls);
  note(EX_SET, set == rec + SVC_LOCAL_LIST ? EXS_LOCAL : EXS_CLUSTER);
  note(EX_SET_N, n);
  if (n == 0) return drop(pk, REASON_NO_LOCAL_ENDPOINTS);
  let list = <usize>load<u32>(set + SET_LIST);
  let table = <usize>load<u32>(set + SET_TABLE);

  // Stage: backend choice (rules 13, 22): affinity, else Maglev or random.
  let backend: u32 = 0xffffffff;
  if (flags & SF_AFFINITY) {
    let a = affinityFind(slot, key.family, key.src, pk.now);
    if (a >= 0 && inList(list, n, <u32>a)) { backend = <u32>a; note(EX_CHOICE, EXB_AFFINITY); }
  }
  if (backend == 0xffffffff) {
    if (lbMode == LB_RANDOM) {
      backend = load<u32>(list + (<usize>(<u32>(finish(mix(h, pk.now)) % <u64>n)) << 2));
      note(EX_CHOICE, EXB_RANDOM);
    } else {
      // Built at commit (lb/control.ts cpCommit): the stages only read tables.
      let mh = maglevHash(h, key.family, key.proto, key.src, key.sport, key.dport, (flags & SF_AFFINITY) != 0);
      backend = maglevPick(table, list, n, maglevM, mh);
      note(EX_CHOICE, EXB_MAGLEV);
      note(EX_MAGLEV_SLOT, <u32>(mh % <u64>maglevM));
      note(EX_MAGLEV_SIZE, maglevM);
    }
  }
  if (flags & SF_AFFINITY) {
    affinityPut(slot, key.family, key.src, backend, pk.now, <u64>load<u32>(rec + SVC_AFFINITY) * 1_000_000_000);
  }
  let bAddr = backendAddr(backend);
  let bPort = backendPort(backend);

  // Stage: masquerade decision (rules 18-20, hairpin) and source port.
  let rule = masqueraded(flags, external, cls);
  let na = sourceNat(key.family, rule, key.src, bAddr);
  let natAddr = key.src;
  let natPort = key.sport;
  let natFlags: u32 = 0;
  if (na != 0) {
    natAddr = na;
    natPort = masqPort(na, bAddr, bPort, pk.now);
    note(EX_NAT, rule ? EXN_MASQUERADE : EXN_HAIRPIN);
    note(EX_NAT_PORT, natPort);
    if (natPort == NO_PORT) return drop(pk, REASON_NAT_PORT_EXHAUSTED);
    natFlags = CTN_MASQ;
  }
  // The reply tuple's hash, when the source is kept: the clash lookup and the index insert share it.
  let haveReply = na == 0;
  let hReply = na != 0 ? 0 : <u32>flowHash(key.family, key.proto, bAddr, key.src, bPort, key.sport);
  if (na == 0 && replyTaken(hReply, key.family, key.proto, bAddr, key.src, bPort, key.sport, pk.now, found)) {
    // Another connection (the same client port to another VIP of this backend)
    // already has this reply tuple: like Linux conntrack on a clash, give this
    // one another source port so the backend can tell them apart.
    natPort = masqPort(key.src, bAddr, bPort, pk.now);
    note(EX_NAT, EXN_PORT_ONLY);
    note(EX_NAT_PORT, natPort);
    if (natPort == NO_PORT) return drop(pk, REASON_NAT_PORT_EXHAUSTED);
    natFlags = CTN_SPORT;
    haveReply = false;
  }

  // Stage: new connection.
  let ct = openConnection(key.family, key.proto, key.src, key.dst, key.sport, key.dport, slot, backend, bAddr, bPort, natFlags,
                          natPort, initialState(key.proto, key.tcpFlags), pk.now, <u32>h, hReply, haveReply);
  if (ct == 0) return drop(pk, REASON_CT_FULL);
  note(EX_CT_REC, <u32>ct);

  // Stage: DNAT (and SNAT when masqueraded).
  rewrite(key, p, true, bAddr, bPort);
  if (natFlags != 0) rewrite(key, p, false, natAddr, natPort);
  return translated(pk, slot, backend, wirelen, VERDICT_TRANSLATED);
}

/** explain: a record the conntrack stage found (or an ICMP error quotes), its direction and state before the packet. */
function noteFound(what: u32, rec: usize, dir: u32): void {
  note(EX_CT, what);
  note(EX_CT_DIR, dir);
  note(EX_CT_STATE_BEFORE, stateOf(<u32>load<u16>(rec + CT_STATE)));
  note(EX_CT_REC, <u32>rec);
}

/** Where values loaded only to warm the cache are stored (never read). */
const parked: usize = memory.data(8, 8);

function inList(list: usize, n: u32, id: u32): bool {
  for (let k: u32 = 0; k < n; k++) if (load<u32>(list + (<usize>k << 2)) == id) return true;
  return false;
}

/** masqPort's answer when no port is free (ports are 0..65535; 0 is a port like any other). */
const NO_PORT: u32 = 0x10000;

/** replyTaken for the reply tuple (backend, port) → (na, port). */
// @ts-ignore: decorator
@inline function portTaken(na: usize, bAddr: usize, bPort: u32, port: u32, now: u64): bool {
  return replyTaken(<u32>flowHash(key.family, key.proto, bAddr, na, bPort, port), key.family, key.proto, bAddr, na, bPort,
                    port, now, found);
}

/**
 * Source port for a connection whose source is rewritten to `na` (the node
 * address when masqueraded, the client's own on a reply-tuple clash): the
 * client's port, whatever it is (0 included), when no connection already
 * uses (backend, port) → (na, port), as netfilter keeps a source tuple
 * that is still unique; otherwise the first free one of the whole range,
 * from a point in it chosen by the flow's hash, so the choice is
 * deterministic. Only a clash pays for the search, at most one lookup per
 * port of the range. NO_PORT when every port of the range is taken.
 */
function masqPort(na: usize, bAddr: usize, bPort: u32, now: u64): u32 {
  if (!portTaken(na, bAddr, bPort, key.sport, now)) return key.sport;
  let range = masqHi - masqLo + 1;
  let port = masqLo + <u32>(hashTuple(key.src, key.dst, key.sport, key.dport, key.proto, hashSeed) % <u64>range);
  for (let k: u32 = 0; k < range; k++) {
    if (!portTaken(na, bAddr, bPort, port, now)) return port;
    port = port == masqHi ? masqLo : port + 1;
  }
  return NO_PORT;
}

/** A packet of a tracked connection: forward DNAT or reverse NAT. */
// @ts-ignore: decorator
@inline function followConnection(pk: PacketState, p: usize, wirelen: u32): u32 {
  let ct = found.rec;
  let dir = found.dir;
  if (!ctAdvance(ct, dir, key.proto, key.tcpFlags, key.l4Type, pk.now)) return CONTINUE;
  let slot = load<u32>(ct + CT_SVC) - 1;
  let backend = load<u32>(ct + CT_BACKEND) - 1;
  pk.service = slot + 1;
  let snat = load<u8>(ct + CT_NAT) != 0;
  if (dir == DIR_ORIG) {
    if (snat) rewrite(key, p, false, replyDstAddr(ct), replyDstPort(ct));
    rewrite(key, p, true, backendAddr(backend), <u32>load<u16>(ct + CT_REPLY_SPORT));
    return translated(pk, slot, backend, wirelen, VERDICT_TRANSLATED);
  }
  rewrite(key, p, false, ct + CT_ORIG_DST, <u32>load<u16>(ct + CT_ORIG_DPORT));
  if (snat) rewrite(key, p, true, ct + CT_ORIG_SRC, <u32>load<u16>(ct + CT_ORIG_SPORT));
  return translated(pk, slot, backend, wirelen, VERDICT_REVERSED);
}

// @ts-ignore: decorator
@inline function translated(pk: PacketState, slot: u32, backend: u32, wirelen: u32, verdict: u32): u32 {
  pk.service = slot + 1;
  pk.backend = backend + 1;
  countBackend(backend, wirelen);
  return verdict;
}

// @ts-ignore: decorator
@inline function drop(pk: PacketState, reason: u32): u32 {
  pk.reason = reason;
  return VERDICT_DROP;
}

function reject(pk: PacketState, reason: u32, p: usize, caplen: u32, link: u32, d: usize, i: u32): u32 {
  pk.reason = reason;
  let out = extraRegion + <usize>i * EXTRA_SLOT_BYTES;
  let len = buildReject(key, p, caplen, link, out);
  store<u32>(d + (<usize>D_EXTRA_OFF << 2), <u32>(out - extraRegion));
  store<u32>(d + (<usize>D_EXTRA_LEN << 2), len);
  return VERDICT_REJECT;
}

/** Whether the destination is any Service frontend address (for fragments we cannot place). */
function isServiceAddress(): bool {
  return feLookup(key.dst, key.family, 0, 0) != 0;
}
