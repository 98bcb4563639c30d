// The core's exported ABI, and nothing else. Numbers in, numbers out: the
// host writes packets and descriptors into the regions whose addresses
// these functions return, calls processBatch once per batch, and reads the
// verdicts and counters back. Control-plane calls take their addresses and
// id lists from the scratch region (layouts in abi/scratch.ts).

import { configure, regionRoom, reserveRoom, inputRegion, descRegion, extraRegion, scratchRegion, SCRATCH_BYTES, ctMax, maglevM } from './config';
import { tablesInit, setMax, cpBegin as tBegin, cpCommit as tCommit, cpBuildStaged as tBuildStaged, cpAbort as tAbort, cpBackend as tBackend,
  cpService as tService, cpServiceSet as tServiceSet, cpServiceRemove as tServiceRemove,
  cpFrontendAdd as tFrontendAdd, cpFrontendRemove as tFrontendRemove, activeTable,
  cpServiceSourceRanges as tSourceRanges, buildAllTables, cpBackendIdentity as tBackendIdentity, cpBackendHash as tBackendHash, maglevFill } from './lb/control';
import { setMaglevCompat as compatSet, ciliumFlowHash, katranFlowHashSeeded } from './lb/compat';
import { murmur3x64_128, murmurH1, murmurH2 } from './lb/murmur3';
import { activeList, activeCount } from './lb/lookup';
import { isPrime, maglevBytes, maglevSlot } from './lb/maglev';
import { ctInit, ctEntries, ctPeak, ctEvicted, ctMasqOpened } from './conntrack/table';
import { fragInit } from './frag';
import { affinityInit } from './lb/affinity';
import { backendsReclaim } from './lb/reclaim';
import { cpNodeReset as nodeReset, cpListAdd as listAdd, cpMasquerade as masquerade } from './lb/node';
import { ctFlushSlot, ctAudit, auditInit, auditKept, auditOrphaned, auditWouldMove, ctScanned } from './conntrack/audit';
import { statsInit, verdictCounters, reasonCounters, svcCounters, backendCounters } from './stats';
import { crc32cInit } from './wire/crc32c';
import { setHashSeed } from './hash';
import { processBatch as run } from './datapath';
import { setFastPath as fastPathSet } from './fastpath';
import { fastPackets } from './shape';
import { INIT_OK, INIT_NOT_PRIME, INIT_BAD_CAPACITY, INIT_NO_MEMORY } from './abi/tables';
import { capacityBytes, frontendSlots, MAGLEV_SIZE_MAX } from './abi/capacity';
import { walkBytes } from './capture/walk';
import { explainWords, noteReset, noteAfter } from './explain';
import { SCRATCH_ADDR, SCRATCH_IDENTITY, IDENTITY_MAX_BYTES, SCRATCH_IDS, MB_IDS, MB_OFFSETS, MB_SKIPS, MB_WEIGHTS, MB_NEXT, MB_ARRAYS } from './abi/scratch';


let ready = false;

/**
 * Allocates every region. Call once. Hash tables (frontends, affinity,
 * fragments, the conntrack index) are rounded up to a power of two.
 * Returns INIT_OK or an INIT_* error: INIT_NO_MEMORY when the tables do not
 * fit in linear memory beside the fixed regions (abi/capacity.ts).
 */
export function init(ctCapacity: u32, svcCapacity: u32, backendCapacity: u32, feCapacity: u32,
                     maglevSize: u32, lbMode: u32, seedLo: u32, seedHi: u32, affinityCapacity: u32, fragCapacity: u32): u32 {
  if (ready) return INIT_BAD_CAPACITY;
  if (ctCapacity == 0 || svcCapacity == 0 || backendCapacity == 0 || feCapacity == 0 || affinityCapacity == 0 ||
      fragCapacity == 0 || maglevSize > <u32>MAGLEV_SIZE_MAX) return INIT_BAD_CAPACITY;
  if (!isPrime(maglevSize)) return INIT_NOT_PRIME;
  ready = true;
  setHashSeed((<u64>seedHi << 32) | <u64>seedLo);
  // The fixed regions, then the tables if they fit in what is left, with room for the record
  // walk (allocated on first use) and 4 KiB (the verdict counters, the rounding of regions' ends).
  configure(ctCapacity, svcCapacity, backendCapacity, maglevSize, lbMode);
  crc32cInit();
  let tables = capacityBytes(<f64>ctCapacity, <f64>svcCapacity, <f64>backendCapacity, <f64>feCapacity,
    <f64>maglevSize, <f64>affinityCapacity, <f64>fragCapacity);
  if (tables + walkBytes() + 4096 > <f64>regionRoom()) return INIT_NO_MEMORY;
  statsInit();
  tablesInit(<u32>frontendSlots(<f64>feCapacity));
  ctInit();
  auditInit();
  fragInit(fragCapacity);
  affinityInit(affinityCapacity);
  // Control-plane blocks may not take the walk's room.
  reserveRoom(<u64>walkBytes());
  return INIT_OK;
}

/** Runs the per-packet program over descriptors 0..n-1: the one call per batch. */
export function processBatch(n: u32): void { run(0, n); }
/** The same over descriptors first..first+n-1 (a batch split at an update's time). */
export function processRange(first: u32, n: u32): void { run(first, n); }

export function inputPtr(): usize { return inputRegion; }
export function descPtr(): usize { return descRegion; }
export function extraPtr(): usize { return extraRegion; }
export function scratchPtr(): usize { return scratchRegion; }
export function scratchBytes(): u32 { return SCRATCH_BYTES; }
export function verdictCountersPtr(): usize { return verdictCounters; }
export function reasonCountersPtr(): usize { return reasonCounters; }
export function serviceCountersPtr(): usize { return svcCounters; }
export function backendCountersPtr(): usize { return backendCounters; }
export function conntrackEntries(): u32 { return ctEntries; }
export function conntrackPeak(): u32 { return ctPeak; }
export function conntrackEvicted(): u64 { return ctEvicted; }
export function conntrackCapacity(): u32 { return ctMax; }
/** Connections opened with a masqueraded source (--workers checks where they were opened). */
export function conntrackMasqueraded(): u64 { return ctMasqOpened; }
/** Live records visited by conntrack flushes and audits so far (their work, for tests). */
export function conntrackScanned(): u64 { return ctScanned; }
export function maxSetSize(): u32 { return setMax; }

// Control plane: edit the staging generation, then commit (or abort).
export function cpBegin(): void { tBegin(); }
export function cpCommit(): void { tCommit(); }
export function cpBuildStaged(slots: u32): u32 { return tBuildStaged(slots); }
export function cpAbort(): void { tAbort(); }
export function cpBackend(id: u32, family: u32, port: u32, slot: u32): u32 { return tBackend(id, family, port, slot); }
export function cpService(slot: u32, flags: u32, affinitySeconds: u32, port: u32, nodePort: u32): u32 {
  return tService(slot, flags, affinitySeconds, port, nodePort);
}
export function cpServiceSet(slot: u32, which: u32, n: u32): u32 { return tServiceSet(slot, which, n); }
/**
 * Whose Maglev to reproduce (MAGLEV_COMPAT_*) and its seeds (Cilium: its three; Katran: 0, then
 * INIT_JHASH_SEED and INIT_JHASH_SEED_V6). Call after init,
 * before the first cpBackend. 0 ok, 1 unknown mode.
 */
export function setMaglevCompat(mode: u32, seedMurmur: u32, seedJhash4: u32, seedJhash6: u32): u32 {
  return compatSet(mode, seedMurmur, seedJhash4, seedJhash6) ? 0 : 1;
}
/** Cilium mode: backend `id`'s identity string, `len` bytes at SCRATCH_IDENTITY, gives its permutation. 0 ok, 1 refused. */
export function cpBackendIdentity(id: u32, len: u32): u32 { return tBackendIdentity(id, len); }
/** Katran modes: backend `id`'s 64-bit Endpoint.hash (low, high words) gives its permutation. 0 ok, 1 refused. */
export function cpBackendHash(id: u32, lo: u32, hi: u32): u32 { return tBackendHash(id, lo, hi); }
export function cpServiceRemove(slot: u32): void { tServiceRemove(slot); }
export function cpFrontendAdd(family: u32, proto: u32, port: u32, kind: u32, slot: u32): u32 {
  return tFrontendAdd(family, proto, port, kind, slot);
}
export function cpFrontendRemove(family: u32, proto: u32, port: u32): void { tFrontendRemove(family, proto, port); }

/**
 * Allocation probe for tests: each call takes one empty heap block, so two
 * calls around a run differ by exactly one block when the run allocated
 * nothing.
 */
export function heapProbe(): usize { return heap.alloc(0); }

/**
 * Runs the pure Maglev builder over scratch (for tests and tools; layout MB_* in abi/scratch.ts):
 * the m-slot table of ids is written after the arrays (followed by its build bitmap). Returns the
 * table's offset in scratch, or 0xffffffff when it does not fit or m is not prime.
 */
export function maglevBuildScratch(m: u32, n: u32): u32 {
  // Bounds first, so the offsets below cannot wrap.
  if (m > SCRATCH_BYTES || n == 0 || n > m || n > setMax) return 0xffffffff;
  let array = <usize>n << 2;
  let tableOff = array * <usize>MB_ARRAYS;
  let usedOff = tableOff + <usize>m * 4;
  let slotsOff = (usedOff + (<usize>((m + 31) >>> 5) << 2) + 7) & ~<usize>7;
  if (!isPrime(m) || slotsOff + maglevBytes(m, n) > <usize>SCRATCH_BYTES) return 0xffffffff;
  let s = scratchRegion;
  maglevFill(s + slotsOff, m, n, s + array * <usize>MB_OFFSETS, s + array * <usize>MB_SKIPS,
    s + array * <usize>MB_WEIGHTS, s + array * <usize>MB_NEXT, s + usedOff);
  expandTable(s + tableOff, s + slotsOff, s + array * <usize>MB_IDS, n, m);
  return <u32>tableOff;
}

/**
 * MurmurHash3 x64_128 of `len` bytes at SCRATCH_IDENTITY with `seed`, for tests: the two halves
 * are written as little-endian u64 at scratch bytes IDENTITY_MAX_BYTES and +8. 0 ok, 1 too long.
 */
export function murmur3Scratch(len: u32, seed: u32): u32 {
  if (len > <u32>IDENTITY_MAX_BYTES) return 1;
  murmur3x64_128(scratchRegion + SCRATCH_IDENTITY, len, seed);
  store<u64>(scratchRegion + <usize>IDENTITY_MAX_BYTES, murmurH1);
  store<u64>(scratchRegion + <usize>IDENTITY_MAX_BYTES, murmurH2, 8);
  return 0;
}

/** Cilium's datapath hash of a flow from the client address at SCRATCH_ADDR (with setMaglevCompat's seeds), for tests. */
export function ciliumFlowHashScratch(family: u32, proto: u32, sport: u32, dport: u32): u32 {
  return ciliumFlowHash(family, proto, scratchRegion + SCRATCH_ADDR, sport, dport);
}

/** Katran's datapath hash of a flow from the client address at SCRATCH_ADDR (with setMaglevCompat's seeds), for tests. */
export function katranFlowHashScratch(family: u32, sport: u32, dport: u32): u32 {
  return katranFlowHashSeeded(family, scratchRegion + SCRATCH_ADDR, sport, dport);
}

/**
 * The active Maglev table of a service port's set as m backend ids (u32)
 * in scratch, for tests and benchmarks (the core keeps positions, not ids).
 * Returns its address, or 0 when there is none or it does not fit.
 */
export function maglevTableOf(slot: u32, which: u32): usize {
  let table = activeTable(slot, which);
  if (table == 0 || <usize>maglevM * 4 > <usize>SCRATCH_BYTES) return 0;
  expandTable(scratchRegion, table, activeList(slot, which), activeCount(slot, which), maglevM);
  return scratchRegion;
}

function expandTable(out: usize, table: usize, list: usize, n: u32, m: u32): void {
  for (let k: u32 = 0; k < m; k++) {
    store<u32>(out + (<usize>k << 2), load<u32>(list + (<usize>maglevSlot(table, n, k) << 2)));
  }
}

// Node configuration (lists of CIDRs in assembly/lb/node.ts).
export function cpNodeReset(): void { nodeReset(); }
/** Appends a CIDR (address at SCRATCH_ADDR) to a LIST_*; 0 ok, 1 full. */
export function cpListAdd(list: u32, family: u32, prefix: u32): u32 { return listAdd(list, family, prefix); }
export function cpMasquerade(all: u32, lo: u32, hi: u32): void { masquerade(all, lo, hi); }
/** loadBalancerSourceRanges of a slot in staging: n CIDR entries at SCRATCH_CIDRS (abi/scratch.ts). */
export function cpServiceSourceRanges(slot: u32, n: u32): u32 { return tSourceRanges(slot, n); }

// Conntrack after endpoint changes (between batches).
/** Rule 24: deletes `slot`'s connections whose backend is not among the n ids in scratch (SCRATCH_IDS). */
export function ctFlush(slot: u32, n: u32): u32 { return ctFlushSlot(slot, scratchRegion + (<usize>SCRATCH_IDS << 2), n); }
/** Counts `slot`'s live connections against the n ids in scratch (SCRATCH_IDS) and the slot's active cluster table. */
export function ctAuditSlot(slot: u32, n: u32): void {
  ctAudit(slot, scratchRegion + (<usize>SCRATCH_IDS << 2), n, activeTable(slot, 0), activeList(slot, 0), activeCount(slot, 0));
}
/**
 * Takes back, of the n candidate backend ids in scratch (SCRATCH_IDS, sorted by slot), those no
 * connection uses once the ones expired at capture time `now` (ns) are deleted; they are left
 * first in scratch. Returns how many.
 */
export function cpBackendsReclaim(n: u32, nowLo: u32, nowHi: u32): u32 {
  return backendsReclaim(scratchRegion + (<usize>SCRATCH_IDS << 2), n, (<u64>nowHi << 32) | <u64>nowLo);
}
export function auditResultKept(): u32 { return auditKept; }
export function auditResultOrphaned(): u32 { return auditOrphaned; }
export function auditResultWouldMove(): u32 { return auditWouldMove; }

/** Builds every Maglev table of the active generation not built yet (after a commit, only tables no packet reads); returns how many. */
export function cpBuildTables(): u32 { return buildAllTables(); }
/** The scheduler's group passes on (1) or off (0: every packet one at a time, what tests compare against). */
export function setFastPath(on: u32): void { fastPathSet(on != 0); }
/** Packets the group passes finished. */
export function fastPathPackets(): u64 { return fastPackets; }
/** What the one-packet run decided for the last packet explainPacket ran (abi/explain.ts). */
export function explainPtr(): usize { return explainWords; }
/**
 * Descriptor i through the one-packet run with its decisions noted from blank (with
 * setFastPath(0): the group passes note nothing); the words are cleared and completed here, not
 * on the packet path.
 */
export function explainPacket(i: u32): void { noteReset(); run(i, 1); noteAfter(); }

// Replay: the core walks the records of a capture chunk itself (assembly/capture/walk.ts).
export { walkInit, walkStatePtr, walkIfacesPtr, walkBufferPtr, walkRun, walkBlockDone, walkShard, walkUnitsPtr } from './capture/walk';
// --workers: the clients whose connections live on worker 0 (hairpin), given once before the first chunk.
export { shardHairpinReserve, shardHairpinAdd } from './capture/shard';
// --workers: the writer merges the workers' outputs in file order.
export { walkMerge } from './capture/merge';
