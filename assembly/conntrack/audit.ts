// Conntrack work the control plane does after an endpoint change: flushing
// UDP entries of removed endpoints (kube-proxy rule 24) and counting what
// an update means for live connections (for the replay report). Runs
// between batches, never per packet. Both walk the changed service port's
// live list (table.ts), so an update costs time in proportion to that
// port's connections and endpoints, whatever the table's capacity.

import { backendMax, region, maglevM } from '../config';
import { ctRecord, ctDelete, ctOrigFlowHash, ctLiveFirst, ctLiveNext, CT_BACKEND, CT_FAMILY, CT_PROTO, CT_ORIG_SRC, CT_ORIG_SPORT,
  CT_ORIG_DPORT } from './table';
import { maglevHash } from '../lb/compat';
import { svcRecord, SVC_FLAGS } from '../lb/lookup';
import { SF_AFFINITY } from '../abi/tables';
import { maglevPick } from '../lb/maglev';

/** Live records visited by flushes and audits since init: work, for tests (conntrackScanned). */
export let ctScanned: u64 = 0;

/** One byte per backend id: 1 while the id is in the set being checked (marked, then cleared). */
export let marks: usize = 0;

/** Allocates the marks (at init, with the other regions). */
export function auditInit(): void { marks = region(<usize>backendMax); }

/** Marks the `n` ids at `ids` (ids past the capacity are never a record's backend). */
export function markSet(ids: usize, n: u32, v: u8): void {
  for (let k: u32 = 0; k < n; k++) {
    let id = load<u32>(ids + (<usize>k << 2));
    if (id < backendMax) store<u8>(marks + <usize>id, v);
  }
}

// @ts-ignore: decorator
@inline function marked(id: u32): bool { return id < backendMax && load<u8>(marks + <usize>id) != 0; }

/**
 * Deletes the connections of service port `slot` whose backend is not one
 * of the `n` ids at `ids` (the endpoints still serving). Returns how many.
 */
export function ctFlushSlot(slot: u32, ids: usize, n: u32): u32 {
  let flushed: u32 = 0;
  markSet(ids, n, 1);
  let i = ctLiveFirst(slot);
  while (i != 0) {
    let next = ctLiveNext(i - 1); // before the delete unlinks it
    let r = ctRecord(i - 1);
    ctScanned++;
    if (!marked(load<u32>(r + CT_BACKEND) - 1)) {
      ctDelete(r);
      flushed++;
    }
    i = next;
  }
  markSet(ids, n, 0);
  return flushed;
}

/** Audit results: live connections whose backend is still in the set, gone from it, and that Maglev would now place elsewhere. */
export let auditKept: u32 = 0;
export let auditOrphaned: u32 = 0;
export let auditWouldMove: u32 = 0;

/**
 * Counts the live connections of `slot` against the new set (`ids`, n) and
 * its Maglev table (`table` over `list` of `tn` ids; 0 = none).
 */
export function ctAudit(slot: u32, ids: usize, n: u32, table: usize, list: usize, tn: u32): void {
  auditKept = 0; auditOrphaned = 0; auditWouldMove = 0;
  markSet(ids, n, 1);
  let affinity = (load<u32>(svcRecord(slot) + SVC_FLAGS) & SF_AFFINITY) != 0;
  for (let i = ctLiveFirst(slot); i != 0; i = ctLiveNext(i - 1)) {
    let r = ctRecord(i - 1);
    ctScanned++;
    let b = load<u32>(r + CT_BACKEND) - 1;
    if (marked(b)) auditKept++; else auditOrphaned++;
    if (table != 0) {
      let h = maglevHash(ctOrigFlowHash(r), <u32>load<u8>(r + CT_FAMILY), <u32>load<u8>(r + CT_PROTO), r + CT_ORIG_SRC,
        <u32>load<u16>(r + CT_ORIG_SPORT), <u32>load<u16>(r + CT_ORIG_DPORT), affinity);
      if (maglevPick(table, list, tn, maglevM, h) != b) auditWouldMove++;
    } else {
      auditWouldMove++;
    }
  }
  markSet(ids, n, 0);
}
