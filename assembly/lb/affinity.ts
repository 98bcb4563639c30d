// ClientIP session affinity (kube-proxy rule 22): the client address alone,
// per service port, remembers the backend of its last new connection until
// the affinity timeout passes. Every new connection that uses an entry
// refreshes it; an entry whose backend left the endpoint set is discarded.
// Open addressing with a bounded probe window: when the window is full of
// live entries the oldest is replaced (the client then just gets a fresh
// choice, as after a timeout). --workers checks that no window may fill
// (capture/shard-affinity.ts).
//
// Entry (40 bytes): slot + 1 u32 | backend id u32 | expires u64 | family u32 | pad u32 | address [16]

import { region } from '../config';
import { AFFINITY_ENTRY_BYTES, HASH_MIN_SLOTS, pow2AtLeast } from '../abi/capacity';
import { hashAddrWord, hashSeed } from '../hash';
import { addrEq } from '../flow';

const A_SLOT: usize = 0;
const A_BACKEND: usize = 4;
const A_EXPIRES: usize = 8;
const A_FAMILY: usize = 16;
const A_ADDR: usize = 24;
const A_SIZE: usize = AFFINITY_ENTRY_BYTES;
/** Entries a key's probe window spans, from its home. */
export const AFFINITY_WINDOW: u32 = 16;
const WINDOW: u32 = AFFINITY_WINDOW;

let table: usize = 0;
/** Entries (a power of two) - 1. */
export let affinityMask: u32 = 0;

/** `capacity` entries, rounded up to a power of two (init() has checked the table fits in memory). */
export function affinityInit(capacity: u32): void {
  let cap = <u32>pow2AtLeast(<f64>capacity, HASH_MIN_SLOTS);
  affinityMask = cap - 1;
  table = region(<usize>cap * A_SIZE);
}

/** The first entry of (slot, client)'s probe window. */
// @ts-ignore: decorator
@inline export function affinityHome(slot: u32, family: u32, addr: usize): u32 {
  return <u32>hashAddrWord(addr, (<u64>slot << 8) | <u64>family, hashSeed) & affinityMask;
}

/** Backend id remembered for (slot, client) and still valid at `now`, or -1. */
export function affinityFind(slot: u32, family: u32, addr: usize, now: u64): i64 {
  let h = affinityHome(slot, family, addr);
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = table + <usize>((h + k) & affinityMask) * A_SIZE;
    if (load<u32>(e + A_SLOT) == slot + 1 && load<u32>(e + A_FAMILY) == family && addrEq(e + A_ADDR, addr)) {
      if (load<u64>(e + A_EXPIRES) <= now) return -1;
      return <i64>load<u32>(e + A_BACKEND);
    }
  }
  return -1;
}

/** Remembers (or refreshes) the backend of (slot, client) until now + timeout. */
export function affinityPut(slot: u32, family: u32, addr: usize, backend: u32, now: u64, timeoutNs: u64): void {
  let h = affinityHome(slot, family, addr);
  let pick: usize = 0;
  let oldest: u64 = u64.MAX_VALUE;
  for (let k: u32 = 0; k < WINDOW; k++) {
    let e = table + <usize>((h + k) & affinityMask) * A_SIZE;
    let s = load<u32>(e + A_SLOT);
    if (s == slot + 1 && load<u32>(e + A_FAMILY) == family && addrEq(e + A_ADDR, addr)) { pick = e; break; }
    let exp = load<u64>(e + A_EXPIRES);
    if (s == 0 || exp <= now) { if (pick == 0 || oldest != 0) { pick = e; oldest = 0; } continue; }
    if (exp < oldest) { oldest = exp; pick = e; }
  }
  store<u32>(pick + A_SLOT, slot + 1);
  store<u32>(pick + A_BACKEND, backend);
  store<u64>(pick + A_EXPIRES, now + timeoutNs);
  store<u32>(pick + A_FAMILY, family);
  memory.copy(pick + A_ADDR, addr, 16);
}

/** Forgets every entry whose backend id has a nonzero byte in `marks` (ids below `n`): control plane only. */
export function affinityForgetMarked(marks: usize, n: u32): void {
  for (let i: u32 = 0; i <= affinityMask; i++) {
    let e = table + <usize>i * A_SIZE;
    if (load<u32>(e + A_SLOT) == 0) continue;
    let b = load<u32>(e + A_BACKEND);
    if (b < n && load<u8>(marks + <usize>b) != 0) store<u32>(e + A_SLOT, 0);
  }
}
