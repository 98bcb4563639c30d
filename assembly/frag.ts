// IP fragments: only the first fragment carries ports. Like Cilium's
// fragment map, remember (src, dst, id, protocol) → ports from the first
// fragment so later fragments of a Service flow are translated too. The
// table is a cache: entries expire after 30 s (the kernel's ipfrag_time)
// and may be overwritten when a probe window is full.

import { region } from './config';
import { FRAGMENT_ENTRY_BYTES, HASH_MIN_SLOTS, pow2AtLeast } from './abi/capacity';
import { hashTuple, hashSeed } from './hash';
import { addrEq, FlowKey } from './flow';
import { NS_PER_S } from './conntrack/timeouts';

const WINDOW: u32 = 8;
const FRAG_TTL_NS: u64 = 30 * NS_PER_S;
// Entry (48 bytes): id u32 | proto u8 | family u8 | used u8 | pad | sport u16 | dport u16 | pad u32 |
// expires u64 | src [16] | dst [16]  (src/dst start at 16 → 48 bytes)
const F_ID: usize = 0;
const F_PROTO: usize = 4;
const F_FAMILY: usize = 5;
const F_USED: usize = 6;
const F_SPORT: usize = 8;
const F_DPORT: usize = 10;
const F_EXPIRES: usize = 16;
const F_SRC: usize = 24;
const F_DST: usize = 40;
const F_SIZE: usize = FRAGMENT_ENTRY_BYTES;

let table: usize = 0;
/** Entries (a power of two) - 1. */
let fragMask: u32 = 0;

/** `capacity` entries, rounded up to a power of two (init() has checked the table fits in memory). */
export function fragInit(capacity: u32): void {
  let cap = <u32>pow2AtLeast(<f64>capacity, HASH_MIN_SLOTS);
  fragMask = cap - 1;
  table = region(<usize>cap * F_SIZE);
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

/** Remembers the ports of a first fragment. */
export function fragRemember(family: u32, proto: u32, src: usize, dst: usize, id: u32, sport: u32, dport: u32, now: u64): void {
  let h = home(family, proto, src, dst, id);
  let pick: usize = table + <usize>h * F_SIZE;
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = table + <usize>((h + k) & fragMask) * F_SIZE;
    if (matches(e, family, proto, src, dst, id) || load<u8>(e + F_USED) == 0 || load<u64>(e + F_EXPIRES) <= now) { pick = e; break; }
  }
  store<u32>(pick + F_ID, id);
  store<u8>(pick + F_PROTO, <u8>proto);
  store<u8>(pick + F_FAMILY, <u8>family);
  store<u8>(pick + F_USED, 1);
  store<u16>(pick + F_SPORT, <u16>sport);
  store<u16>(pick + F_DPORT, <u16>dport);
  store<u64>(pick + F_EXPIRES, now + FRAG_TTL_NS);
  memory.copy(pick + F_SRC, src, 16);
  memory.copy(pick + F_DST, dst, 16);
}

/** Finds the ports of a later fragment's datagram (`key`, whose ports it sets); whether it did. */
export function fragFind(key: FlowKey, now: u64): bool {
  let family = key.family, proto = key.proto, src = key.src, dst = key.dst, id = key.fragId;
  let h = home(family, proto, src, dst, id);
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = table + <usize>((h + k) & fragMask) * F_SIZE;
    if (matches(e, family, proto, src, dst, id) && load<u64>(e + F_EXPIRES) > now) {
      key.setPorts(<u32>load<u16>(e + F_SPORT), <u32>load<u16>(e + F_DPORT));
      return true;
    }
  }
  return false;
}
