// --workers: IP fragments. A later fragment carries no ports; it goes to the worker that ran its
// datagram's first fragment, whose fragment table (frag.ts) has them. The walk that decides owners
// sees every record in file order, so its copy here is the one-worker run's table (the same code
// and capacity, the same first fragments at the same times), each entry with its datagram's owner.
//
// A worker's own table holds only its first fragments. While no table gives a live entry's place
// to another datagram (here: shardFragFirst; a worker's: frag.ts fragDisplaced) and the times
// fragments meet the tables never go back (an entry expired and replaced at a later time would
// live again at an earlier one where it was kept), every table finds the newest remembered first
// fragment of a datagram while it lives: the same ports on its owner as on one worker, and none
// anywhere once it has expired or before it was seen (such a fragment touches no state: any
// worker will do).

import { fragTableNew, fragRemember, fragEntry, fragOwner, fragSport, fragDport } from '../frag';
import { FlowKey } from '../flow';

/** This walk's copy of the one-worker table, or 0 when it did not fit (no fragment can be placed). */
let table: usize = 0;
/** The latest time a fragment met the table. */
let latest: u64 = 0;

/** Allocates the table (once). */
export function shardFragInit(): void {
  if (table == 0) table = fragTableNew();
}

/** A fragment meets the table at `now`: whether it can be placed at all (the table exists, time did not go back). */
export function shardFragAt(now: u64): bool {
  if (table == 0 || now < latest) return false;
  latest = now;
  return true;
}

/** Remembers first fragment `k` of `owner`'s connection; false when its entry took another datagram's live one. */
export function shardFragFirst(k: FlowKey, owner: u32, now: u64): bool {
  return !fragRemember(table, k.family, k.proto, k.src, k.dst, k.fragId, k.sport, k.dport, owner, now);
}

/** Later fragment `k`'s datagram's owner, its ports set in `k`; -1 when no live entry has them. */
export function shardFragOwner(k: FlowKey, now: u64): i64 {
  let e = fragEntry(table, k.family, k.proto, k.src, k.dst, k.fragId, now);
  if (e == 0) return -1;
  k.setPorts(fragSport(e), fragDport(e));
  return <i64>fragOwner(e);
}
