// IP fragments: only the first fragment carries ports. Like Cilium's
// fragment map, remember (src, dst, id, protocol) → ports from the first
// fragment so later fragments of a Service flow are translated too. The
// table is a cache: entries expire after 30 s (the kernel's ipfrag_time)
// and the home entry is overwritten when a probe window is full of live ones.
// --workers keeps a second table of the same capacity (capture/shard-frag.ts):
// the same code over the same first fragments, with each datagram's owner.

import { region, tryRegion } from './config';
import { FRAGMENT_ENTRY_BYTES, HASH_MIN_SLOTS, pow2AtLeast } from './abi/capacity';
import { hashTuple, hashSeed } from './hash';
import { addrEq, FlowKey } from './flow';
import { NS_PER_S } from './conntrack/timeouts';

const WINDOW: u32 = 8;
const FRAG_TTL_NS: u64 = 30 * NS_PER_S;
// Entry (56 bytes): id u32 | proto u8 | family u8 | used u8 | pad | sport u16 | dport u16 | owner u32 |
// expires u64 | src [16] | dst [16]
const F_ID: usize = 0;
const F_PROTO: usize = 4;
const F_FAMILY: usize = 5;
const F_USED: usize = 6;
const F_SPORT: usize = 8;
const F_DPORT: usize = 10;
const F_OWNER: usize = 12;
const F_EXPIRES: usize = 16;
const F_SRC: usize = 24;
const F_DST: usize = 40;
const F_SIZE: usize = FRAGMENT_ENTRY_BYTES;

/** The datapath's table. */
let table: usize = 0;
/** Entries (a power of two) - 1, of every table. */
let fragMask: u32 = 0;
/** First fragments whose entry took the place of another datagram's live one, in the datapath's table. */
export let fragDisplaced: u32 = 0;

/** `capacity` entries, rounded up to a power of two (init() has checked the table fits in memory). */
export function fragInit(capacity: u32): void {
  let cap = <u32>pow2AtLeast(<f64>capacity, HASH_MIN_SLOTS);
  fragMask = cap - 1;
  table = region(<usize>cap * F_SIZE);
}

/** Another table of the same capacity, or 0 when it does not fit in memory. */
export function fragTableNew(): usize {
  return tryRegion((<usize>fragMask + 1) * F_SIZE);
}

// @ts-ignore: decorator
@inline function home(family: u32, proto: u32, src: usize, dst: usize, id: u32): u32 {
  return <u32>hashTuple(src, dst, id & 0xffff, id >>> 16, proto | (family << 8), hashSeed) & fragMask;
}

// @ts-ignore: decorator
@inline function matches(e: usize, family: u32, proto: u32, src: usize, dst: usize, id: u32): bool {
  return load<u8>(e + F_USED) != 0 && load<u32>(e + F_ID) == id && <u32>load<u8>(e + F_PROTO) == proto &&
    <u32>load<u8>(e + F_FAMILY) == family && addrEq(e + F_SRC, src) && addrEq(e + F_DST, dst);
}

/**
 * Remembers a first fragment's ports (and owner) in table t: the first entry of the window that is
 * the datagram's, unused or expired, else the home entry. Returns whether that took the place of
 * another datagram's live entry.
 */
export function fragRemember(t: usize, family: u32, proto: u32, src: usize, dst: usize, id: u32, sport: u32, dport: u32,
                             owner: u32, now: u64): bool {
  let h = home(family, proto, src, dst, id);
  let pick: usize = 0;
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = t + <usize>((h + k) & fragMask) * F_SIZE;
    if (matches(e, family, proto, src, dst, id) || load<u8>(e + F_USED) == 0 || load<u64>(e + F_EXPIRES) <= now) { pick = e; break; }
  }
  let displaced = pick == 0;
  if (displaced) pick = t + <usize>h * F_SIZE;
  store<u32>(pick + F_ID, id);
  store<u8>(pick + F_PROTO, <u8>proto);
  store<u8>(pick + F_FAMILY, <u8>family);
  store<u8>(pick + F_USED, 1);
  store<u16>(pick + F_SPORT, <u16>sport);
  store<u16>(pick + F_DPORT, <u16>dport);
  store<u32>(pick + F_OWNER, owner);
  store<u64>(pick + F_EXPIRES, now + FRAG_TTL_NS);
  memory.copy(pick + F_SRC, src, 16);
  memory.copy(pick + F_DST, dst, 16);
  return displaced;
}

/** The live entry of a later fragment's datagram in table t, or 0. */
export function fragEntry(t: usize, family: u32, proto: u32, src: usize, dst: usize, id: u32, now: u64): usize {
  let h = home(family, proto, src, dst, id);
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = t + <usize>((h + k) & fragMask) * F_SIZE;
    if (matches(e, family, proto, src, dst, id) && load<u64>(e + F_EXPIRES) > now) return e;
  }
  return 0;
}

// @ts-ignore: decorator
@inline export function fragSport(e: usize): u32 { return <u32>load<u16>(e + F_SPORT); }
// @ts-ignore: decorator
@inline export function fragDport(e: usize): u32 { return <u32>load<u16>(e + F_DPORT); }
// @ts-ignore: decorator
@inline export function fragOwner(e: usize): u32 { return load<u32>(e + F_OWNER); }

/** The datapath: remembers the ports of a first fragment (`key`). */
export function fragFirst(key: FlowKey, now: u64): void {
  if (fragRemember(table, key.family, key.proto, key.src, key.dst, key.fragId, key.sport, key.dport, 0, now)) fragDisplaced++;
}

/** The datapath: finds the ports of a later fragment's datagram (`key`, whose ports it sets); whether it did. */
export function fragFind(key: FlowKey, now: u64): bool {
  let e = fragEntry(table, key.family, key.proto, key.src, key.dst, key.fragId, now);
  if (e == 0) return false;
  key.setPorts(fragSport(e), fragDport(e));
  return true;
}
