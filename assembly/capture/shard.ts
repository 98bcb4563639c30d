// --workers: which worker owns a packet. Every worker walks every record and runs only its own
// packets, so this decision must put every packet that can touch a connection's state where that
// connection lives, in both directions, and keep the few decisions that read everyone's state on
// one worker. It reads the packet and the Service tables only, and keeps three tables of its own.
//
// The owner is the connection's client: a packet to a frontend belongs to its source, any other
// packet (a reply) to its destination. Masqueraded connections, and every connection whose reply
// is addressed to the node's masquerade address, live on worker 0: their replies carry no client
// address, and their source ports are chosen against each other. So does every connection of a
// client that may be its own backend (hairpin: masqueraded once the backend is chosen;
// shard-hairpin.ts), replies to it included, as one address decides both. An ICMP error belongs to
// the packet it quotes, reversed (what related.ts looks up). A later IP fragment belongs to its
// datagram's first fragment (shard-frag.ts); ClientIP affinity entries are then each on one worker
// (shard-affinity.ts). What this rule cannot place sets a SHARD_* flag; the host then replays the
// capture with one worker (README, "How it is built").

import { FlowKey, FLOW_KEY_BYTES, FRAG_NONE, FRAG_LATER } from '../flow';
import { parsePacket } from '../parse';
import { REASON_NONE } from '../abi/reasons';
import { FE_CLUSTER_ADDR, SF_AFFINITY } from '../abi/tables';
import { SHARD_FRAGMENT, SHARD_AFFINITY, SHARD_NODE_FRONTEND, SHARD_HAIRPIN } from '../abi/walk';
import { SCRATCH_ADDR } from '../abi/scratch';
import { scratchRegion } from '../config';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, PROTO_SCTP, ICMP_HLEN, srcPort, dstPort } from '../wire/l4';
import { IPV4_SRC, IPV4_DST, IPV4_MIN_HLEN, ipv4Version, ipv4HeaderLen, ipv4Proto, ipv4NoOptions, ipv4IsFragment } from '../wire/ipv4';
import { IPV6_SRC, IPV6_DST, IPV6_HLEN, ipv6Version, ipv6Next } from '../wire/ipv6';
import { ETH_HLEN, ETHERTYPE_IPV4, ethTypeIs } from '../wire/link';
import { LINK_EN10MB } from '../abi/layout';
import { isIcmpError } from '../related';
import { frontendFor, isExternal, sourceClass, masqueraded } from '../service';
import { feKind, feSlot, svcRecord, SVC_FLAGS, SVC_AFFINITY } from '../lb/lookup';
import { nodeAddr } from '../lb/node';
import { addrEq } from '../flow';
import { hashAddrWord, hashSeed } from '../hash';
import { shardFragInit, shardFragAt, shardFragFirst, shardFragOwner } from './shard-frag';
import { shardAffinityInit, affinityPlaceable } from './shard-affinity';
import { hairpinReserve, hairpinAdd, hairpinHas, hairpinCount } from './shard-hairpin';

const dkey = changetype<FlowKey>(memory.data(FLOW_KEY_BYTES, 16));
/** The quoted packet of an ICMP error, reversed: its source and destination slots. */
const qSrc: usize = memory.data(16, 16);
const qDst: usize = memory.data(16, 16);

/** SHARD_* bits seen so far (the walk copies them to WS_SHARD_FLAGS). */
export let shardFlags: u32 = 0;

/** Allocates the fragment and affinity tables (once); without room, fragments and affinity fall back. */
export function shardInit(): void {
  shardFragInit();
  shardAffinityInit();
}

/**
 * Room for `count` hairpin clients (shard-hairpin.ts), given before the first chunk; 0 when it
 * does not fit (SHARD_HAIRPIN: the run falls back).
 */
export function shardHairpinReserve(count: u32): u32 {
  if (hairpinReserve(count)) return 1;
  shardFlags |= SHARD_HAIRPIN;
  return 0;
}

/** Adds the hairpin client of `family` at the scratch address slot (abi/scratch.ts); 0 (flagged) when refused. */
export function shardHairpinAdd(family: u32): u32 {
  let addr = scratchRegion + SCRATCH_ADDR;
  if (hairpinAdd(family, addr, hashAddrWord(addr, <u64>family, hashSeed))) return 1;
  shardFlags |= SHARD_HAIRPIN;
  return 0;
}

/** The worker (0..n-1) that owns the packet at p, seen at `now` (ns). */
export function shardOwner(p: usize, caplen: u32, wirelen: u32, link: u32, n: u32, now: u64): u32 {
  // The common frame first: Ethernet, IPv4 without options, not a fragment, TCP or UDP. A frame
  // that only looks like one and that the parse stage drops touches no state: any owner will do.
  if (link == LINK_EN10MB && caplen >= ETH_HLEN + IPV4_MIN_HLEN + 4 && ethTypeIs(p, ETHERTYPE_IPV4)) {
    let ip = p + ETH_HLEN;
    let proto = ipv4Proto(ip);
    if (ipv4NoOptions(ip) && !ipv4IsFragment(ip) && (proto == PROTO_TCP || proto == PROTO_UDP)) {
      store<u64>(qSrc, <u64>load<u32>(ip + IPV4_SRC)); store<u64>(qSrc, 0, 8);
      store<u64>(qDst, <u64>load<u32>(ip + IPV4_DST)); store<u64>(qDst, 0, 8);
      let l4 = ip + IPV4_MIN_HLEN;
      return ownerOf(4, proto, qSrc, qDst, srcPort(l4), dstPort(l4), n, now, true);
    }
  }
  let k = dkey;
  // What the parse stage drops or passes as not IP touches no state: any worker will do.
  if (parsePacket(k, p, caplen, wirelen, link) != REASON_NONE) return 0;
  if (k.frag == FRAG_LATER || (k.frag != FRAG_NONE && k.hasPorts)) return fragmentOwner(k, n, now);
  if (k.hasPorts) return ownerOf(k.family, k.proto, k.src, k.dst, k.sport, k.dport, n, now, true);
  if ((k.proto == PROTO_ICMP || k.proto == PROTO_ICMPV6) && isIcmpError(k)) return quotedOwner(k, p, n);
  return 0;
}

/**
 * A fragment that meets the fragment table (datapath.ts, stage fragments): a first one with ports
 * is its connection's; a later one its first fragment's, or any worker's when no table has it.
 */
function fragmentOwner(k: FlowKey, n: u32, now: u64): u32 {
  if (!shardFragAt(now)) { shardFlags |= SHARD_FRAGMENT; return 0; }
  if (k.frag == FRAG_LATER) {
    let first = shardFragOwner(k, now);
    if (first < 0) return 0;
    // The ports now known, as any packet of the connection (a Service update may have moved it).
    if (ownerOf(k.family, k.proto, k.src, k.dst, k.sport, k.dport, n, now, true) != <u32>first) shardFlags |= SHARD_FRAGMENT;
    return <u32>first;
  }
  let owner = ownerOf(k.family, k.proto, k.src, k.dst, k.sport, k.dport, n, now, true);
  if (!shardFragFirst(k, owner, now)) shardFlags |= SHARD_FRAGMENT;
  return owner;
}

/** The owner of a connection's packet src:sport → dst:dport; `opens` when it may open the connection. */
function ownerOf(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32, n: u32, now: u64, opens: bool): u32 {
  let na = nodeAddr(family);
  let fe = frontendFor(dst, family, proto, dport);
  if (fe != 0 && feKind(fe) != FE_CLUSTER_ADDR) {
    // Toward a frontend: the client is the source.
    let slot = feSlot(fe);
    let rec = svcRecord(slot);
    let flags = load<u32>(rec + SVC_FLAGS);
    let external = isExternal(fe);
    let owner: u32 = 0;
    // Masqueraded only when the node has an address of the family (datapath.ts).
    if (na == 0 || !(addrEq(src, na) || masqueraded(flags, external, sourceClass(family, src, external)))) {
      if (na != 0 && addrEq(dst, na)) shardFlags |= SHARD_NODE_FRONTEND;
      owner = clientOwner(family, src, n);
    }
    if (opens && (flags & SF_AFFINITY) != 0 &&
        !affinityPlaceable(slot, family, src, owner, now, load<u32>(rec + SVC_AFFINITY))) shardFlags |= SHARD_AFFINITY;
    return owner;
  }
  // A reply: to the client, or to the node when the connection was masqueraded.
  if (na != 0 && addrEq(dst, na)) return 0;
  return clientOwner(family, dst, n);
}

/** The worker of a connection whose client is at `addr`: worker 0 for a hairpin client, else by its hash. */
// @ts-ignore: decorator
@inline function clientOwner(family: u32, addr: usize, n: u32): u32 {
  let h = hashAddrWord(addr, <u64>family, hashSeed);
  if (hairpinCount != 0 && hairpinHas(family, addr, h)) return 0;
  return <u32>(h % <u64>n);
}

/** An ICMP error: the owner of the quoted packet's reverse, as related.ts looks it up. */
function quotedOwner(k: FlowKey, p: usize, n: u32): u32 {
  if (k.l4 == 0xffffffff || k.l4Captured < ICMP_HLEN) return 0;
  let inner = p + k.l4 + ICMP_HLEN;
  let avail = k.l4Captured - ICMP_HLEN;
  let ihl: u32, iproto: u32, aSrc: usize, aDst: usize, alen: usize;
  if (k.family == 4) {
    if (avail < IPV4_MIN_HLEN || ipv4Version(inner) != 4) return 0;
    ihl = ipv4HeaderLen(inner);
    iproto = ipv4Proto(inner);
    aSrc = IPV4_SRC; aDst = IPV4_DST; alen = 4;
  } else {
    if (avail < IPV6_HLEN || ipv6Version(inner) != 6) return 0;
    ihl = IPV6_HLEN;
    iproto = ipv6Next(inner);
    aSrc = IPV6_SRC; aDst = IPV6_DST; alen = 16;
  }
  if (ihl < IPV4_MIN_HLEN || avail < ihl + 4) return 0;
  if (iproto != PROTO_TCP && iproto != PROTO_UDP && iproto != PROTO_SCTP) return 0;
  let il4 = inner + ihl;
  memory.fill(qSrc, 0, 16); memory.fill(qDst, 0, 16);
  memory.copy(qSrc, inner + aDst, alen);
  memory.copy(qDst, inner + aSrc, alen);
  return ownerOf(k.family, iproto, qSrc, qDst, dstPort(il4), srcPort(il4), n, 0, false);
}
