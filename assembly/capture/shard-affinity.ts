// --workers: ClientIP affinity (lb/affinity.ts). An entry (service port, client) is read and
// written only by new connections from that client to the port, which live on one worker when all
// of them are masqueraded or none is, or the client is a hairpin one (shard.ts). Each worker's
// table then decides as the one-worker table does while every table keeps each entry until it
// expires or its backend leaves: no put finds its probe window full of other live entries (the
// oldest would be evicted) and no time goes back (a slot reused once its entry expired would hold
// it again at an earlier time where not reused).
//
// The walk that decides owners sees packets, not connections: it takes every packet to an affinity
// frontend for a put, so the keys it holds live hold every table's live entries. A full window needs
// AFFINITY_WINDOW other live entries homed within AFFINITY_WINDOW - 1 entries of the put's home (an
// entry lies at most that far past its own); when there may be as many, or a key has two owners, or
// this table is full or time went back, the run falls back (SHARD_AFFINITY).

import { tryRegion } from '../config';
import { AFFINITY_WINDOW, affinityHome, affinityMask } from '../lb/affinity';
import { addrEq } from '../flow';

// Entry (40 bytes), kept for the whole run: slot + 1 u32 | family u32 | owner u32 | home u32 |
// expires u64 (the latest any put may keep it to) | address [16]
const K_SLOT: usize = 0;
const K_FAMILY: usize = 4;
const K_OWNER: usize = 8;
const K_HOME: usize = 12;
const K_EXPIRES: usize = 16;
const K_ADDR: usize = 24;
const K_SIZE: usize = 40;
/** Entries past its home a key is kept within here. */
const K_WINDOW: u32 = 16;
/** Entries that may hold keys homed within AFFINITY_WINDOW - 1 of a home: from that many before it to K_WINDOW - 1 past the last. */
const SPAN: u32 = 2 * AFFINITY_WINDOW + K_WINDOW - 2;

/** Keys seen, as many entries as the affinity table has (0 when they did not fit: nothing can be placed). */
let keys: usize = 0;
/** The latest time a packet to an affinity frontend was seen. */
let latest: u64 = 0;

/** Allocates the table (once). */
export function shardAffinityInit(): void {
  if (keys == 0) keys = tryRegion((<usize>affinityMask + 1) * K_SIZE);
}

/**
 * A packet of `owner`'s that may put (slot, client at `addr`, a 16-byte slot) until now + timeout
 * seconds: whether every worker's table still decides as the one-worker table.
 */
export function affinityPlaceable(slot: u32, family: u32, addr: usize, owner: u32, now: u64, timeoutSeconds: u32): bool {
  if (keys == 0 || now < latest) return false;
  latest = now;
  let h = affinityHome(slot, family, addr);
  let expires = now + <u64>timeoutSeconds * 1_000_000_000;
  // The other live keys homed within AFFINITY_WINDOW - 1 of h (the whole table when it is no larger).
  let cap = affinityMask + 1;
  let span = SPAN < cap ? SPAN : cap;
  let from = SPAN < cap ? h - (AFFINITY_WINDOW - 1) : 0;
  let mine: usize = 0;
  let near: u32 = 0;
  for (let i: u32 = 0; i < span; i++) {
    let e = keys + <usize>((from + i) & affinityMask) * K_SIZE;
    let s = load<u32>(e + K_SLOT);
    if (s == 0) continue;
    if (s == slot + 1 && load<u32>(e + K_FAMILY) == family && addrEq(e + K_ADDR, addr)) { mine = e; continue; }
    let d = (load<u32>(e + K_HOME) - h + (AFFINITY_WINDOW - 1)) & affinityMask;
    if (d <= 2 * (AFFINITY_WINDOW - 1) && load<u64>(e + K_EXPIRES) > now) near++;
  }
  if (near >= AFFINITY_WINDOW) return false;
  if (mine != 0) {
    if (load<u32>(mine + K_OWNER) != owner) return false;
    if (expires > load<u64>(mine + K_EXPIRES)) store<u64>(mine + K_EXPIRES, expires);
    return true;
  }
  for (let k: u32 = 0; k < K_WINDOW; k++) {
    let e = keys + <usize>((h + k) & affinityMask) * K_SIZE;
    if (load<u32>(e + K_SLOT) != 0) continue;
    store<u32>(e + K_SLOT, slot + 1);
    store<u32>(e + K_FAMILY, family);
    store<u32>(e + K_OWNER, owner);
    store<u32>(e + K_HOME, h);
    store<u64>(e + K_EXPIRES, expires);
    memory.copy(e + K_ADDR, addr, 16);
    return true;
  }
  return false;
}
