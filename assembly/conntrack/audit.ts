// Conntrack work the control plane does after an endpoint change: flushing
// UDP entries of removed endpoints (kube-proxy rule 24) and counting what
// an update means for live connections (for the replay report). Runs
// between batches, never per packet.

import { ctMax } from '../config';
import { ctRecord, ctDelete, ctOrigFlowHash, CT_STATE, CT_SVC, CT_BACKEND, CT_ORIG_SRC, CT_ORIG_DST, CT_ORIG_SPORT, CT_ORIG_DPORT,
  CT_PROTO, CT_FAMILY } from './table';
import { hashTuple, hashSeed } from '../hash';
import { maglevM } from '../config';
import { maglevPick } from '../lb/maglev';

function member(ids: usize, n: u32, id: u32): bool {
  for (let k: u32 = 0; k < n; k++) if (load<u32>(ids + (<usize>k << 2)) == id) return true;
  return false;
}

/**
 * Deletes the connections of service port `slot` whose backend is not one
 * of the `n` ids at `ids` (the endpoints still serving). Returns how many.
 */
export function ctFlushSlot(slot: u32, ids: usize, n: u32): u32 {
  let flushed: u32 = 0;
  for (let i: u32 = 0; i < ctMax; i++) {
    let r = ctRecord(i);
    if (load<u8>(r + CT_STATE) == 0 || load<u32>(r + CT_SVC) != slot + 1) continue;
    if (member(ids, n, load<u32>(r + CT_BACKEND) - 1)) continue;
    ctDelete(r);
    flushed++;
  }
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
  for (let i: u32 = 0; i < ctMax; i++) {
    let r = ctRecord(i);
    if (load<u8>(r + CT_STATE) == 0 || load<u32>(r + CT_SVC) != slot + 1) continue;
    let b = load<u32>(r + CT_BACKEND) - 1;
    if (member(ids, n, b)) auditKept++; else auditOrphaned++;
    if (table != 0) {
      let h = ctOrigFlowHash(r);
      if (maglevPick(table, list, tn, maglevM, h) != b) auditWouldMove++;
    } else {
      auditWouldMove++;
    }
  }
}
