// Backend ids the host takes back for new backends (ServiceTables.reclaim): ids that no endpoint
// set names and no live connection uses. Connections of theirs that expired by `now` are deleted
// first (as a lookup of them would); the ids' affinity entries are forgotten and their counters
// zeroed, so nothing the old backend left behind reaches the backend that gets the id next.

import { backendMax } from '../config';
import { markSet, marks } from '../conntrack/audit';
import { ctLiveFirst, ctLiveNext, ctRecord, ctExpired, ctReap, CT_BACKEND } from '../conntrack/table';
import { affinityForgetMarked } from './affinity';
import { backendSlot } from './lookup';
import { backendCounters } from '../stats';
import { PER_ENTITY, C_LIVE } from '../abi/tables';

/**
 * Of the `n` candidate ids at `ids` (sorted by slot), keeps in place those now free of
 * connections and reclaims them; returns how many. Ids at or past the capacity are dropped.
 */
export function backendsReclaim(ids: usize, n: u32, now: u64): u32 {
  let kept: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    let id = load<u32>(ids + (<usize>k << 2));
    if (id < backendMax) store<u32>(ids + (<usize>(kept++) << 2), id);
  }
  n = kept;
  markSet(ids, n, 1);
  let walked: u32 = 0xffffffff;
  for (let k: u32 = 0; k < n; k++) {
    let slot = backendSlot(load<u32>(ids + (<usize>k << 2)));
    if (slot == walked) continue;
    walked = slot;
    let i = ctLiveFirst(slot);
    while (i != 0) {
      let next = ctLiveNext(i - 1); // before a delete unlinks it
      let r = ctRecord(i - 1);
      let b = load<u32>(r + CT_BACKEND) - 1;
      if (b < backendMax && load<u8>(marks + <usize>b) != 0 && ctExpired(r, now)) ctReap(r);
      i = next;
    }
  }
  markSet(ids, n, 0);
  kept = 0;
  for (let k: u32 = 0; k < n; k++) {
    let id = load<u32>(ids + (<usize>k << 2));
    if (load<u64>(backendCounters + ((<usize>id * PER_ENTITY + C_LIVE) << 3)) == 0) store<u32>(ids + (<usize>(kept++) << 2), id);
  }
  markSet(ids, kept, 1);
  affinityForgetMarked(marks, backendMax);
  markSet(ids, kept, 0);
  for (let k: u32 = 0; k < kept; k++) {
    let id = load<u32>(ids + (<usize>k << 2));
    memory.fill(backendCounters + <usize>id * PER_ENTITY * 8, 0, PER_ENTITY * 8);
  }
  return kept;
}
