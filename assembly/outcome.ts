// What a packet leaves when the stages are done with it, written once for
// the one-packet run (datapath.ts) and the group passes (shape.ts fastDone):
// its descriptor's OUT words and its counters.

import { D_VERDICT, D_SERVICE, D_EXTRA_OFF, D_L3_OFF, D_META } from './abi/layout';
import { REASON_NONE } from './abi/reasons';
import { C_PACKETS, C_BYTES } from './abi/tables';
import { verdictCounters, reasonCounters, backendCounters, bump, bumpSlot } from './stats';

// @ts-ignore: decorator
@inline function put2(d: usize, w: u32, lo: u32, hi: u32): void {
  store<u64>(d + (<usize>w << 2), <u64>lo | (<u64>hi << 32));
}

/**
 * Descriptor `d`'s OUT words and the verdict and reason counters: `service`
 * and `backend` are slot + 1 and id + 1 (0: none), `l3`/`l4` offsets or
 * NO_OFFSET, `meta` (family << 8) | protocol. abi/layout.ts keeps each pair
 * of words adjacent from an even word, so each pair is one 8-byte store.
 */
// @ts-ignore: decorator
@inline export function packetDone(d: usize, verdict: u32, reason: u32, service: u32, backend: u32, l3: u32, l4: u32,
                                   meta: u32): void {
  put2(d, D_VERDICT, verdict, reason);
  put2(d, D_SERVICE, service, backend);
  put2(d, D_L3_OFF, l3, l4);
  put2(d, D_META, meta, 0);
  bumpSlot(verdictCounters, verdict);
  if (reason != REASON_NONE) bumpSlot(reasonCounters, reason);
}

/** Clears descriptor `d`'s extra-packet words (a reject sets them). */
// @ts-ignore: decorator
@inline export function noExtra(d: usize): void { put2(d, D_EXTRA_OFF, 0, 0); }

/** A packet translated for backend `backend`: its packet and byte counters (a service port's are their sum). */
// @ts-ignore: decorator
@inline export function countBackend(backend: u32, wirelen: u32): void {
  bump(backendCounters, backend, C_PACKETS, 1);
  bump(backendCounters, backend, C_BYTES, <u64>wirelen);
}
