// The conntrack table: fixed-capacity connection records plus one
// open-addressing index holding two keys per connection (the original
// tuple and the reply tuple), so a lookup with the packet's own tuple finds
// the connection from either direction (Cilium looks up both; netfilter
// hashes both tuples the same way).
//
// Record (64 bytes, one cache line):
//   0 family u8 | 1 proto u8 | 2 state u8 | 3 flags u8
//   4 service slot + 1 u32 | 8 backend id + 1 u32 (next free record + 1 while free)
//  12 source port after SNAT u16 | 14 nat flags u8 (CTN_*) | 15 pad
//  16 orig sport u16 | 18 orig dport u16 | 20 backend port u16 | 22 pad u16
//  24 expires u64 (capture ns)
//  32 orig src [16] | 48 orig dst [16]
// An IPv4 record uses the 12 bytes its orig dst slot does not need for the
// DNAT of its packets, all fixed for the connection's life, so the
// established fast path touches neither the backend table nor computes a
// checksum delta (deltas folded as nat.ts applies them, so the bytes are
// the same as a fresh computation):
//  52 backend address (raw u32) | 56 IPv4-header delta VIP → backend u16
//  58 TCP/UDP delta VIP:port → backend:port u16 | 60, 62 the same backend → VIP
// so for IPv4 only the first 4 bytes of the orig dst slot are the address.
// The reply tuple (what a reply packet carries) is not stored: its source is
// the backend (address from the backend table, port at 20), its
// destination the client, or the node address and masquerade port when the
// connection was masqueraded.

import { hashTuple, hashTuple4, hashSeed } from '../hash';
import { fold32 } from '../wire/checksum';
import { ipv4AddrDelta } from '../wire/ipv4';
import { region, ctMax, svcMax } from '../config';
import { CT_RECORD_BYTES, CT_INDEX_SLOT_BYTES, CT_LINK_BYTES, CT_HEAD_BYTES, ctIndexSlots } from '../abi/capacity';
import { timeoutSeconds, nextState, reopens, stateOf, DIR_ORIG, DIR_REPLY, ST_ESTABLISHED } from './states';
import { NS_PER_S, TCP_ESTABLISHED_S } from './timeouts';
import { PROTO_TCP, portDelta } from '../wire/l4';
import { backendAddr } from '../lb/lookup';
import { svcCounters, backendCounters, bump, unbump } from '../stats';
import { C_LIVE } from '../abi/tables';
import { nodeAddr } from '../lb/node';

export const CT_FAMILY: usize = 0;
export const CT_PROTO: usize = 1;
export const CT_STATE: usize = 2;
export const CT_FLAGS: usize = 3;
export const CT_SVC: usize = 4;
export const CT_BACKEND: usize = 8;
export const CT_MASQ_PORT: usize = 12;
export const CT_NAT: usize = 14;
export const CT_ORIG_SPORT: usize = 16;
export const CT_ORIG_DPORT: usize = 18;
export const CT_REPLY_SPORT: usize = 20;
export const CT_EXPIRES: usize = 24;
export const CT_ORIG_SRC: usize = 32;
export const CT_ORIG_DST: usize = 48;
export const CT_V4_BACKEND: usize = 52;
export const CT_V4_FWD_IP: usize = 56;
export const CT_V4_FWD_L4: usize = 58;
export const CT_V4_REV_IP: usize = 60;
export const CT_V4_REV_L4: usize = 62;
const CT_NEXT_FREE: usize = 8;
const CT_SIZE: usize = CT_RECORD_BYTES;

/** NAT flag: the source was masqueraded. */
export const CTN_MASQ: u32 = 1;
/** NAT flag: only the source port was changed (a reply-tuple clash), the address is the client's. */
export const CTN_SPORT: u32 = 2;

/** Reply-tuple destination address of a record (client, or node address when masqueraded). */
// @ts-ignore: decorator
@inline export function replyDstAddr(r: usize): usize {
  return (<u32>load<u8>(r + CT_NAT) & CTN_MASQ) ? nodeAddr(<u32>load<u8>(r + CT_FAMILY)) : r + CT_ORIG_SRC;
}
/** Reply-tuple destination port. */
// @ts-ignore: decorator
@inline export function replyDstPort(r: usize): u32 {
  return load<u8>(r + CT_NAT) != 0 ? <u32>load<u16>(r + CT_MASQ_PORT) : <u32>load<u16>(r + CT_ORIG_SPORT);
}
/** Reply-tuple source address: the backend's. */
// @ts-ignore: decorator
@inline export function replySrcAddr(r: usize): usize { return backendAddr(load<u32>(r + CT_BACKEND) - 1); }

let records: usize = 0;
let index: usize = 0; // idxCap entries of (hash u32, ref u32); ref = rec*2 + dir + 1
// Live lists: the live records of each service port, doubly linked through a side array
// (ctMax entries of prev record + 1 u32, next record + 1 u32; 0 = none) from a head per slot
// (svcMax u32, first record + 1), so the control plane's per-slot work (audit.ts: the UDP flush
// and the disruption audit) visits that slot's connections only, not the whole table. The
// per-packet paths touch them only when a connection is published or deleted; the record
// (one cache line, all of it used) stays as it is.
let links: usize = 0;
let heads: usize = 0;
let idxMask: u32 = 0;
let freeHead: u32 = 0; // a deleted record + 1, 0 = none
// Records 0..used-1 have held a connection; the rest are taken in order after the free list is
// empty, so init touches none of them (a fresh table of 262,144 costs no page faults at start).
let used: u32 = 0;
/** Live connections now. */
export let ctEntries: u32 = 0;
/** Most connections live at once. */
export let ctPeak: u32 = 0;
/** Connections reclaimed because they had expired when space was needed. */
export let ctEvicted: u64 = 0;
/** Connections opened with their source masqueraded to the node address (a --workers check). */
export let ctMasqOpened: u64 = 0;
/** Earliest expiry among live records at the last full sweep: no sweep can free anything before it. */
let sweepNotBefore: u64 = 0;

/**
 * What a lookup found: the record (0: none) and the packet's direction.
 * Each caller keeps one at a fixed address (CT_RESULT_BYTES) and passes it.
 */
@unmanaged export class CtResult {
  rec: usize;
  dir: u32;
}
export const CT_RESULT_BYTES: i32 = 8;

export function ctInit(): void {
  records = region(<usize>ctMax * CT_SIZE);
  let cap = <u32>ctIndexSlots(<f64>ctMax);
  idxMask = cap - 1;
  index = region(<usize>cap * CT_INDEX_SLOT_BYTES);
  links = region(<usize>ctMax * CT_LINK_BYTES);
  heads = region(<usize>svcMax * CT_HEAD_BYTES);
  freeHead = 0;
  used = 0;
  ctEntries = 0; ctPeak = 0; ctEvicted = 0; ctMasqOpened = 0; sweepNotBefore = 0;
}

// @ts-ignore: decorator
@inline export function ctRecord(i: u32): usize { return records + <usize>i * CT_SIZE; }

// @ts-ignore: decorator
@inline function tupleHash(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32): u32 {
  return <u32>hashTuple(src, dst, sport, dport, proto | (family << 8), hashSeed);
}

/** Finds the connection a packet with this tuple belongs to; `res` says which and in which direction. */
export function ctLookup(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32, res: CtResult): bool {
  return ctFind(tupleHash(family, proto, src, dst, sport, dport), family, proto, src, dst, sport, dport, res);
}

/** The flow hash conntrack indexes a tuple by (Maglev picks with the same value). */
// @ts-ignore: decorator
@inline export function flowHash(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32): u64 {
  return hashTuple(src, dst, sport, dport, proto | (family << 8), hashSeed);
}

/** Starts reading the record a new connection will take, parking the byte at `out` (see ctPrefetch). */
// @ts-ignore: decorator
@inline export function ctWarmFree(out: usize): void {
  let next = nextFree();
  if (next != 0) store<u8>(out, load<u8>(records + <usize>(next - 1) * CT_SIZE + CT_STATE));
}

/** ctLookup with the tuple's hash (<u32>flowHash) already computed; addresses in 16-byte key slots. */
export function ctFind(h: u32, family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32, res: CtResult): bool {
  return family == 4 ? ctProbe(h, 4, proto, src, dst, sport, dport, res) : ctProbe(h, 6, proto, src, dst, sport, dport, res);
}

/**
 * The conntrack probe: walks the index from hash `h`'s slot to the entry
 * whose tuple is the packet's (filling `res`) or to an empty slot.
 * `family` is a constant at every call, so each family gets its own loop:
 * IPv4 compares one u32 per address (the 4 bytes at `src` and `dst`, a key
 * slot or the frame's own field; an IPv4 record's slots are zero past them
 * and its backend address is kept at CT_V4_BACKEND), IPv6 two u64 each.
 */
// @ts-ignore: decorator
@inline export function ctProbe(h: u32, family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32,
                                  res: CtResult): bool {
  let famProto = family | (proto << 8);
  let ports = sport | (dport << 16);
  let s0: u64 = 0, s1: u64 = 0, d0: u64 = 0, d1: u64 = 0;
  let s4: u32 = 0, d4: u32 = 0;
  if (family == 4) {
    s4 = load<u32>(src); d4 = load<u32>(dst);
  } else {
    s0 = load<u64>(src); s1 = load<u64>(src, 8);
    d0 = load<u64>(dst); d1 = load<u64>(dst, 8);
  }
  let i = h & idxMask;
  while (true) {
    let e = index + (<usize>i << 3);
    let ref = load<u32>(e, 4);
    if (ref == 0) { res.rec = 0; return false; }
    if (load<u32>(e) == h) {
      let r = records + <usize>((ref - 1) >> 1) * CT_SIZE;
      if (<u32>load<u16>(r + CT_FAMILY) == famProto) {
        if (((ref - 1) & 1) == DIR_ORIG) {
          if (load<u32>(r + CT_ORIG_SPORT) == ports && (family == 4
              ? load<u32>(r + CT_ORIG_SRC) == s4 && load<u32>(r + CT_ORIG_DST) == d4
              : load<u64>(r + CT_ORIG_SRC) == s0 && load<u64>(r + CT_ORIG_SRC, 8) == s1 &&
                load<u64>(r + CT_ORIG_DST) == d0 && load<u64>(r + CT_ORIG_DST, 8) == d1)) {
            res.rec = r; res.dir = DIR_ORIG; return true;
          }
        } else if (<u32>load<u16>(r + CT_REPLY_SPORT) == sport && replyDstPort(r) == dport) {
          if (family == 4) {
            if (load<u32>(r + CT_V4_BACKEND) == s4 && slotIs4(replyDstAddr(r), d4)) {
              res.rec = r; res.dir = DIR_REPLY; return true;
            }
          } else {
            let b = replySrcAddr(r), a = replyDstAddr(r);
            if (load<u64>(b) == s0 && load<u64>(b, 8) == s1 && load<u64>(a) == d0 && load<u64>(a, 8) == d1) {
              res.rec = r; res.dir = DIR_REPLY; return true;
            }
          }
        }
      }
    }
    i = (i + 1) & idxMask;
  }
}

/** flowHash of an IPv4 key given as raw address loads and host-order ports. */
// @ts-ignore: decorator
@inline export function flowHash4(proto: u32, src: u32, dst: u32, sport: u32, dport: u32): u64 {
  return hashTuple4(src, dst, sport, dport, proto | (4 << 8), hashSeed);
}

/**
 * Starts the two reads a lookup of hash `h` begins with (its index slot,
 * then the record that slot names) and parks the values at `out` (the
 * slot's 8 bytes, its hash then its ref, and a u8 after them) so nothing
 * waits for them now: WebAssembly has no
 * prefetch instruction, and a load whose value is only stored lets the CPU
 * go on while the line arrives. (Folding such values into one variable
 * instead would chain every load to the previous one.)
 */
// @ts-ignore: decorator
@inline export function ctPrefetch(h: u32, out: usize): void {
  let slot = load<u64>(index + (<usize>(h & idxMask) << 3));
  let ref = <u32>(slot >> 32);
  store<u64>(out, slot);
  store<u8>(out, load<u8>(records + <usize>((ref - 1 + <u32>(ref == 0)) >> 1) * CT_SIZE), 8);
}

/**
 * For a hash `h` whose own index slot holds another hash: whether the
 * next slot is empty, so no connection has a tuple of hash `h` (an entry
 * is always reachable from its hash's slot without crossing an empty one).
 */
// @ts-ignore: decorator
@inline export function ctNextEmpty(h: u32): bool {
  return load<u32>(index + (<usize>((h + 1) & idxMask) << 3), 4) == 0;
}

/** Starts reading only the index slot of hash `h`, parking its ref at `out` (see ctPrefetch). */
// @ts-ignore: decorator
@inline export function ctWarmSlot(h: u32, out: usize): void {
  store<u32>(out, load<u32>(index + (<usize>(h & idxMask) << 3), 4));
}

/** An IPv4 address slot (16 bytes) holding exactly `a` (raw u32): the address, then zeros. */
// @ts-ignore: decorator
@inline function slotIs4(slot: usize, a: u32): bool {
  return load<u32>(slot) == a && load<u32>(slot, 4) == 0 && load<u64>(slot, 8) == 0;
}

function indexInsert(h: u32, ref: u32): void {
  let i = h & idxMask;
  while (load<u32>(index + (<usize>i << 3), 4) != 0) i = (i + 1) & idxMask;
  store<u32>(index + (<usize>i << 3), h);
  store<u32>(index + (<usize>i << 3), ref, 4);
}

function indexRemove(ref: u32, h: u32): void {
  let i = h & idxMask;
  while (load<u32>(index + (<usize>i << 3), 4) != ref) i = (i + 1) & idxMask;
  // Backward-shift deletion.
  let hole = i, j = i;
  while (true) {
    j = (j + 1) & idxMask;
    let e = index + (<usize>j << 3);
    if (load<u32>(e, 4) == 0) break;
    let home = load<u32>(e) & idxMask;
    let inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!inRange) {
      store<u64>(index + (<usize>hole << 3), load<u64>(e));
      hole = j;
    }
  }
  store<u64>(index + (<usize>hole << 3), 0);
}

function origHash(r: usize): u32 { return <u32>ctOrigFlowHash(r); }

/** flowHash of a record's original tuple (what Maglev chose its backend by). */
export function ctOrigFlowHash(r: usize): u64 {
  let family = <u32>load<u8>(r + CT_FAMILY), proto = <u32>load<u8>(r + CT_PROTO);
  let sport = <u32>load<u16>(r + CT_ORIG_SPORT), dport = <u32>load<u16>(r + CT_ORIG_DPORT);
  if (family == 4) return flowHash4(proto, load<u32>(r + CT_ORIG_SRC), load<u32>(r + CT_ORIG_DST), sport, dport);
  return flowHash(family, proto, r + CT_ORIG_SRC, r + CT_ORIG_DST, sport, dport);
}

/**
 * Fills the IPv4 DNAT fields of a new record: the backend address and the
 * checksum deltas of VIP:port → backend:port and back, computed and folded
 * exactly as nat.ts rewrite() computes and applies them (addresses raw,
 * ports host order). Call after the orig dst slot is written.
 */
export function ctSetNat4(r: usize, vip: u32, vport: u32, be: u32, bport: u32): void {
  let fa = ipv4AddrDelta(vip, be), ra = ipv4AddrDelta(be, vip);
  let fp = portDelta(vport, bport), rp = portDelta(bport, vport);
  store<u32>(r + CT_V4_BACKEND, be);
  store<u16>(r + CT_V4_FWD_IP, <u16>fold32(<u32>fa));
  store<u16>(r + CT_V4_FWD_L4, <u16>fold32(<u32>(fa + fp)));
  store<u16>(r + CT_V4_REV_IP, <u16>fold32(<u32>ra));
  store<u16>(r + CT_V4_REV_L4, <u16>fold32(<u32>(ra + rp)));
}
export function replyHash(r: usize): u32 {
  return tupleHash(<u32>load<u8>(r + CT_FAMILY), <u32>load<u8>(r + CT_PROTO), replySrcAddr(r), replyDstAddr(r),
    <u32>load<u16>(r + CT_REPLY_SPORT), replyDstPort(r));
}

/** First live record + 1 of service-port slot `slot` (0: none); ctLiveNext walks on. */
// @ts-ignore: decorator
@inline export function ctLiveFirst(slot: u32): u32 { return load<u32>(heads + (<usize>slot << 2)); }
/** The live record after record `i` (not + 1) in its slot's list, + 1 (0: none). */
// @ts-ignore: decorator
@inline export function ctLiveNext(i: u32): u32 { return load<u32>(links + (<usize>i << 3), 4); }

/** Puts record `i` at the head of slot `slot`'s live list. */
// @ts-ignore: decorator
@inline function liveLink(i: u32, slot: u32): void {
  let hp = heads + (<usize>slot << 2);
  let first = load<u32>(hp);
  let l = links + (<usize>i << 3);
  store<u64>(l, <u64>first << 32); // prev none, next the old head
  if (first != 0) store<u32>(links + (<usize>(first - 1) << 3), i + 1);
  store<u32>(hp, i + 1);
}

/** Takes record `i` out of slot `slot`'s live list. */
// @ts-ignore: decorator
@inline function liveUnlink(i: u32, slot: u32): void {
  let l = links + (<usize>i << 3);
  let prev = load<u32>(l), next = load<u32>(l, 4);
  if (prev != 0) store<u32>(links + (<usize>(prev - 1) << 3), next, 4);
  else store<u32>(heads + (<usize>slot << 2), next);
  if (next != 0) store<u32>(links + (<usize>(next - 1) << 3), prev);
}

/** Removes a connection (both keys) and returns its record to the free list. */
export function ctDelete(r: usize): void {
  let i = <u32>((r - records) / CT_SIZE);
  indexRemove(i * 2 + 1, origHash(r));
  indexRemove(i * 2 + 2, replyHash(r));
  let svc = load<u32>(r + CT_SVC);
  if (svc != 0) {
    unbump(svcCounters, svc - 1, C_LIVE);
    liveUnlink(i, svc - 1);
  }
  let be = load<u32>(r + CT_BACKEND);
  if (be != 0) unbump(backendCounters, be - 1, C_LIVE);
  store<u32>(r + CT_NEXT_FREE, freeHead);
  store<u8>(r + CT_STATE, 0);
  freeHead = i + 1;
  ctEntries--;
}

/** Deletes a record that expired before its place was wanted (counted as evicted, as the sweep counts them). */
export function ctReap(r: usize): void {
  ctDelete(r);
  ctEvicted++;
}

/** Reclaims every expired record; remembers when the next one can expire. */
function sweep(now: u64): void {
  let earliest: u64 = u64.MAX_VALUE;
  for (let i: u32 = 0; i < used; i++) {
    let r = records + <usize>i * CT_SIZE;
    if (load<u8>(r + CT_STATE) == 0) continue;
    let exp = load<u64>(r + CT_EXPIRES);
    if (exp <= now) ctReap(r);
    else if (exp < earliest) earliest = exp;
  }
  sweepNotBefore = earliest;
}

/**
 * Takes a free record for a new connection, reclaiming expired ones when
 * the table is full. Returns 0 when every record holds a live connection.
 * The caller fills the tuples and then calls ctPublish.
 */
/**
 * Fills a new record's fields but its addresses (which the caller copies):
 * service-port slot, backend id, NAT flags and the NATed source port, the
 * original ports and the backend's port (the reply's source port).
 */
// @ts-ignore: decorator
@inline export function ctFill(r: usize, family: u32, proto: u32, slot: u32, backend: u32, nat: u32, natPort: u32,
                               sport: u32, dport: u32, bPort: u32): void {
  store<u8>(r + CT_FAMILY, <u8>family);
  store<u8>(r + CT_PROTO, <u8>proto);
  store<u8>(r + CT_FLAGS, 0);
  store<u32>(r + CT_SVC, slot + 1);
  store<u32>(r + CT_BACKEND, backend + 1);
  store<u8>(r + CT_NAT, <u8>nat);
  store<u16>(r + CT_MASQ_PORT, <u16>natPort);
  store<u16>(r + CT_ORIG_SPORT, <u16>sport);
  store<u16>(r + CT_ORIG_DPORT, <u16>dport);
  store<u16>(r + CT_REPLY_SPORT, <u16>bPort);
  if (nat & CTN_MASQ) ctMasqOpened++;
}

/** Whether a record is free now (ctAllocate would not need a sweep). */
// @ts-ignore: decorator
@inline export function ctHasFree(): bool { return nextFree() != 0; }

/** The record (+ 1) the next new connection takes: a deleted one, else the first never used; 0 = full. */
// @ts-ignore: decorator
@inline function nextFree(): u32 { return freeHead != 0 ? freeHead : (used < ctMax ? used + 1 : 0); }

export function ctAllocate(now: u64): usize {
  if (nextFree() == 0 && now >= sweepNotBefore) sweep(now);
  if (freeHead != 0) {
    let r = records + <usize>(freeHead - 1) * CT_SIZE;
    freeHead = load<u32>(r + CT_NEXT_FREE);
    return r;
  }
  if (used == ctMax) return 0;
  return records + <usize>(used++) * CT_SIZE;
}

/** Indexes a filled record under both tuples and sets its state and expiry. */
export function ctPublish(r: usize, state: u32, now: u64): void {
  ctPublishHashed(r, state, now, origHash(r), replyHash(r));
}

/** ctPublish when the caller already has both tuples' hashes (<u32>flowHash of each). */
export function ctPublishHashed(r: usize, state: u32, now: u64, hOrig: u32, hReply: u32): void {
  let i = <u32>((r - records) / CT_SIZE);
  store<u8>(r + CT_STATE, <u8>state);
  ctTouch(r, state, now);
  indexInsert(hOrig, i * 2 + 1);
  indexInsert(hReply, i * 2 + 2);
  let svc = load<u32>(r + CT_SVC);
  if (svc != 0) {
    bump(svcCounters, svc - 1, C_LIVE, 1);
    liveLink(i, svc - 1);
  }
  // A backend id is reused only when no record names it (host: ServiceTables.reclaim).
  let be = load<u32>(r + CT_BACKEND);
  if (be != 0) bump(backendCounters, be - 1, C_LIVE, 1);
  ctEntries++;
  if (ctEntries > ctPeak) ctPeak = ctEntries;
}

/** Sets a record's state and pushes its expiry from `now`. */
// @ts-ignore: decorator
@inline export function ctTouch(r: usize, state: u32, now: u64): void {
  store<u8>(r + CT_STATE, <u8>state);
  let exp = now + timeoutSeconds(<u32>load<u8>(r + CT_PROTO), state) * NS_PER_S;
  store<u64>(r + CT_EXPIRES, exp);
  if (exp < sweepNotBefore) sweepNotBefore = exp;
}

/**
 * Pushes the expiry of a record whose state did not change (timeout given
 * in ns). Usually later than before, but a capture's clock can step back,
 * so the sweep bound is kept as ctTouch keeps it.
 */
// @ts-ignore: decorator
@inline export function ctRefresh(r: usize, now: u64, timeoutNs: u64): void {
  let exp = now + timeoutNs;
  store<u64>(r + CT_EXPIRES, exp);
  if (exp < sweepNotBefore) sweepNotBefore = exp;
}

// @ts-ignore: decorator
@inline export function ctExpired(r: usize, now: u64): bool { return load<u64>(r + CT_EXPIRES) <= now; }

const TCP_ESTABLISHED_NS: u64 = TCP_ESTABLISHED_S * NS_PER_S;

/**
 * The conntrack stage for a packet of connection `r` (direction `dir`),
 * every path's: false when the entry is gone (expired, or a SYN reopening
 * a closed connection; deleted here) and the packet is a new connection's;
 * else the packet's transition applied (states.ts nextState) and the
 * expiry pushed.
 */
// @ts-ignore: decorator
@inline export function ctAdvance(r: usize, dir: u32, proto: u32, tcpFlags: u32, chunkType: u32, now: u64): bool {
  if (ctExpired(r, now)) { ctDelete(r); return false; }
  let word = <u32>load<u16>(r + CT_STATE);
  let next = nextState(proto, word, dir, tcpFlags, chunkType);
  // The common case first: an established connection the packet leaves as it was (it cannot reopen).
  if (next == word && stateOf(word) == ST_ESTABLISHED) {
    ctRefresh(r, now, TCP_ESTABLISHED_NS);
    return true;
  }
  if (dir == DIR_ORIG && proto == PROTO_TCP && reopens(stateOf(word), tcpFlags)) { ctDelete(r); return false; }
  store<u16>(r + CT_STATE, <u16>next);
  ctTouch(r, stateOf(next), now);
  return true;
}
