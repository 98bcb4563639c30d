// Capacities fixed at init, and the regions allocated for them. All memory
// the per-packet path touches is allocated here (or in the control plane),
// never while a batch runs.

import { LB_MAGLEV } from './abi/tables';
import { BATCH_MAX_PACKETS, BATCH_MAX_BYTES, DESC_WORDS, EXTRA_SLOT_BYTES } from './abi/layout';
import { MEMORY_LIMIT_BYTES, HEAP_SLACK_BYTES, SCRATCH_BYTES as SCRATCH } from './abi/capacity';


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
export const SCRATCH_BYTES: u32 = SCRATCH;

/** The stub runtime's largest block (BLOCK_MAXSIZE): 2^30 - 4 bytes, a multiple of 16 with its 4-byte header. */
const PIECE: usize = (1 << 30) - 4;
/** At least the end of the heap: the end of the last region (other heap allocations are few and small). */
let top: usize = 0;
/** Bytes kept for regions to come that were counted at init (the record walk's): see reserveRoom(). */
let reserved: u64 = 0;

/** Bytes still free for regions: what the limit leaves above the heap, less the slack for other allocations. */
export function regionRoom(): u64 {
  let t = <u64>max(top, __heap_base);
  let limit = <u64>MEMORY_LIMIT_BYTES - <u64>HEAP_SLACK_BYTES;
  return t < limit ? limit - t : 0;
}

/**
 * Keeps `bytes` of the room free for regions allocated later that init() counted (the record
 * walk allocates on first use): tryRegion() refuses what would eat into it. The owner sets it
 * back to 0 right before it allocates.
 */
export function reserveRoom(bytes: u64): void { reserved = bytes; }

/**
 * Allocates a zeroed, 64-byte aligned region that lives for the whole run,
 * or returns 0 when it does not fit in linear memory (abi/capacity.ts). The
 * stub runtime only bumps a pointer and never reuses memory, so what it
 * returns is memory never written since memory.grow zeroed it: no fill. A
 * region larger than the runtime's largest block is several blocks back to
 * back (their headers, inside the region, are zeroed).
 */
export function tryRegion(bytes: usize): usize {
  let want = <u64>bytes + 64;
  // Consumption is at most want + 4 + 15 (abi/capacity.ts regionBytes); a little more for the estimate of top.
  let room = regionRoom();
  if (want + 64 + reserved > room) return 0;
  let first = <u64>min(want, <u64>PIECE);
  let start = heap.alloc(<usize>first);
  let end = start + <usize>first;
  let last = start + <usize>want;
  while (end < last) {
    // The next block's 4-byte header lands at `end`, its payload right after.
    let need = last - end;
    let size = need > PIECE + 4 ? PIECE : (need > 4 ? need - 4 : 0);
    let p = heap.alloc(size);
    if (p != end + 4) unreachable(); // not back to back: the runtime is not the bump allocator this assumes
    store<u32>(end, 0);
    end = p + size;
  }
  top = last + 16;
  return (start + 63) & ~<usize>63;
}

/** tryRegion for allocations that cannot fail: init() has checked that all of them fit. */
export function region(bytes: usize): usize {
  let p = tryRegion(bytes);
  if (p == 0) unreachable();
  return p;
}

export function configure(ct: u32, svc: u32, backends: u32, m: u32, mode: u32): void {
  ctMax = ct; svcMax = svc; backendMax = backends; maglevM = m; lbMode = mode;
  inputRegion = region(BATCH_MAX_BYTES);
  descRegion = region(<usize>BATCH_MAX_PACKETS * DESC_WORDS * 4);
  extraRegion = region(<usize>BATCH_MAX_PACKETS * EXTRA_SLOT_BYTES);
  scratchRegion = region(SCRATCH_BYTES);
}
