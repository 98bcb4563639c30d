// Capacities fixed at init, and the regions allocated for them. All memory
// the per-packet path touches is allocated here (or in the control plane),
// never while a batch runs.

import { LB_MAGLEV } from './abi/tables';
import { BATCH_MAX_PACKETS, BATCH_MAX_BYTES, DESC_WORDS, EXTRA_SLOT_BYTES } from './abi/layout';


/** Conntrack capacity (connections). */
export let ctMax: u32 = 0;
/** Service-port slots. */
export let svcMax: u32 = 0;
/** Backend ids (endpoint of a service port; ids are never reused in a run). */
export let backendMax: u32 = 0;
/** Maglev table size (prime). */
export let maglevM: u32 = 0;
/** LB_MAGLEV or LB_RANDOM. */
export let lbMode: u32 = LB_MAGLEV;

export let inputRegion: usize = 0;
export let descRegion: usize = 0;
export let extraRegion: usize = 0;
/** Scratch the host writes arguments into (addresses, id lists) for control-plane calls. */
export let scratchRegion: usize = 0;
export const SCRATCH_BYTES: u32 = 1 << 20;

/**
 * Allocates a zeroed, 64-byte aligned region that lives for the whole run.
 * The stub runtime only bumps a pointer and never reuses memory, so what it
 * returns is memory never written since memory.grow zeroed it: no fill.
 */
export function region(bytes: usize): usize {
  let p = heap.alloc(bytes + 64);
  return (p + 63) & ~<usize>63;
}

export function configure(ct: u32, svc: u32, backends: u32, m: u32, mode: u32): void {
  ctMax = ct; svcMax = svc; backendMax = backends; maglevM = m; lbMode = mode;
  inputRegion = region(BATCH_MAX_BYTES);
  descRegion = region(<usize>BATCH_MAX_PACKETS * DESC_WORDS * 4);
  extraRegion = region(<usize>BATCH_MAX_PACKETS * EXTRA_SLOT_BYTES);
  scratchRegion = region(SCRATCH_BYTES);
}
