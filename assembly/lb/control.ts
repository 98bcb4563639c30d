// Service tables, the control plane's side: staging, commit and abort of
// the two generations lookup.ts reads, backends, endpoint sets and their
// Maglev tables. A set's table is reserved when the set is staged and
// built when the update is committed (before the new generation is
// published), so the packet path only ever reads tables. Building writes
// only the set's own block, whose content is a pure function of the set.

import { hashAddrWord, hashSeed } from '../hash';
import { addrEq } from '../flow';
import { region, svcMax, backendMax, maglevM, lbMode, scratchRegion } from '../config';
import { poolAlloc, poolFree, setBlockFlag } from './pool';
import { maglevBuild, maglevBuildCilium, maglevBuildKatran, maglevBytes } from './maglev';
import { maglevCompat, katranMode, identityPermutation, permOffset, permSkip } from './compat';
import { katranPermutation, katranOffset, katranSkip } from './katran';
import {
  SF_ACTIVE, SF_INTERNAL_LOCAL, SF_EXTERNAL_LOCAL, LB_RANDOM, SET_LOCAL, SOURCE_RANGES_MAX, CP_OK, CP_REFUSED, CP_NO_MEMORY,
  MAGLEV_COMPAT_CILIUM, MAGLEV_COMPAT_KATRAN_V2,
} from '../abi/tables';
import { SERVICE_BLOCKS, DIRTY_MAX as DIRTY_POSITIONS, MAGLEV_SET_MAX } from '../abi/capacity';
import {
  FE_TAG, FE_PORT, FE_SLOT, FE_ADDR, FE_SIZE, SVC_FLAGS, SVC_AFFINITY, SVC_CLUSTER_LIST, SVC_LOCAL_LIST, SVC_PORT,
  SVC_NODE_PORT, SVC_SOURCE_RANGES, SVC_CLUSTER_TABLE, SVC_LOCAL_TABLE, SVC_SIZE, BE_FAMILY, BE_PORT, BE_SLOT, BE_ADDR, BE_OFFSET, BE_SKIP,
  BE_SIZE, TABLE_BUILT, feCap, gen, feBase, svcBase, svcRecord, feHash, feTag, tableBuilt, lookupInit, flipGeneration,
} from './lookup';
import {
  SCRATCH_ADDR, ADDR_SLOT_BYTES, SCRATCH_IDS, SET_WORDS_PER_BACKEND, SCRATCH_CIDRS, CIDR_ENTRY_BYTES, SCRATCH_IDENTITY, IDENTITY_MAX_BYTES,
} from '../abi/scratch';

/** Pool blocks a record owns (replaced as a whole, shared between generations until then). */
const BLOCK_FIELDS: StaticArray<u32> = [<u32>SVC_CLUSTER_LIST, <u32>SVC_CLUSTER_TABLE, <u32>SVC_LOCAL_LIST, <u32>SVC_LOCAL_TABLE, <u32>SVC_SOURCE_RANGES];
let feMask: u32 = 0;
/** Backend records (lookup.ts reads them; cpBackend writes them). */
let backends: usize = 0;

// Maglev permutation scratch: offsets, skips, weights, next, Cilium's turn counters or Katran V2's
// credits (per backend of one set).
let mgOffsets: usize = 0;
let mgSkips: usize = 0;
let mgWeights: usize = 0;
let mgNext: usize = 0;
let mgCounters: usize = 0;
let mgUsed: usize = 0;
/** Most backends in one set (a Maglev table needs at least as many slots). */
export let setMax: u32 = 0;

// Blocks replaced in the staging generation but still read by the active one.
let deferred: usize = 0;
let deferredN: u32 = 0;

// Positions the last update wrote (frontend entries, service slots). After a
// commit the new staging generation differs from the active one exactly
// there, so the next cpBegin copies those instead of both whole tables.
const DIRTY_MAX: u32 = DIRTY_POSITIONS;
let dirtyFe: usize = 0;
let dirtyFeN: u32 = 0;
let dirtySvc: usize = 0;
let dirtySvcN: u32 = 0;
/** Too many positions to list: the next cpBegin copies everything. */
let dirtyAll: bool = true;
/** Positions written by the update in progress. */
let stagedFe: usize = 0;
let stagedFeN: u32 = 0;
let stagedSvc: usize = 0;
let stagedSvcN: u32 = 0;
let stagedAll: bool = false;

function markFe(i: u32): void {
  if (stagedFeN < DIRTY_MAX) store<u32>(stagedFe + (<usize>stagedFeN << 2), i);
  else stagedAll = true;
  stagedFeN++;
}
function markSvc(slot: u32): void {
  if (stagedSvcN < DIRTY_MAX) store<u32>(stagedSvc + (<usize>stagedSvcN << 2), slot);
  else stagedAll = true;
  stagedSvcN++;
}

export function tablesInit(feCapacity: u32): void {
  feMask = feCapacity - 1;
  let fe0 = region(<usize>feCapacity * FE_SIZE), svc0 = region(<usize>svcMax * SVC_SIZE);
  let fe1 = region(<usize>feCapacity * FE_SIZE), svc1 = region(<usize>svcMax * SVC_SIZE);
  backends = region(<usize>backendMax * BE_SIZE);
  lookupInit(fe0, fe1, svc0, svc1, backends, feCapacity);
  setMax = min(maglevM, <u32>MAGLEV_SET_MAX);
  mgOffsets = region(<usize>setMax * 4);
  mgSkips = region(<usize>setMax * 4);
  mgWeights = region(<usize>setMax * 4);
  mgNext = region(<usize>setMax * 4);
  mgCounters = region(<usize>setMax * 8);
  mgUsed = region(<usize>((maglevM + 31) >>> 5) << 2);
  deferred = region(<usize>svcMax * SERVICE_BLOCKS * 4);
  dirtyFe = region(<usize>DIRTY_MAX * 4);
  dirtySvc = region(<usize>DIRTY_MAX * 4);
  stagedFe = region(<usize>DIRTY_MAX * 4);
  stagedSvc = region(<usize>DIRTY_MAX * 4);
}

// @ts-ignore: decorator
@inline function stagingRecord(slot: u32): usize { return svcBase(gen ^ 1) + <usize>slot * SVC_SIZE; }

/** The active Maglev table of a set (built if needed), or 0. */
export function activeTable(slot: u32, which: u32): usize {
  if (slot >= svcMax) return 0;
  let r = svcRecord(slot);
  let f = which == SET_LOCAL ? SVC_LOCAL_LIST : SVC_CLUSTER_LIST;
  let n = load<u32>(r + f + 4);
  let t = <usize>load<u32>(r + f + 8);
  if (n == 0 || t == 0) return 0;
  return ensureTable(<usize>load<u32>(r + f), n, t);
}

// ---- control plane (staging generation) -------------------------------------

/** Starts an update: the staging generation becomes a copy of the active one. */
export function cpBegin(): void {
  let st = gen ^ 1;
  if (dirtyAll) {
    memory.copy(feBase(st), feBase(gen), <usize>feCap * FE_SIZE);
    memory.copy(svcBase(st), svcBase(gen), <usize>svcMax * SVC_SIZE);
  } else {
    for (let k: u32 = 0; k < dirtyFeN; k++) {
      let i = load<u32>(dirtyFe + (<usize>k << 2));
      memory.copy(feBase(st) + <usize>i * FE_SIZE, feBase(gen) + <usize>i * FE_SIZE, FE_SIZE);
    }
    for (let k: u32 = 0; k < dirtySvcN; k++) {
      let i = load<u32>(dirtySvc + (<usize>k << 2));
      memory.copy(svcBase(st) + <usize>i * SVC_SIZE, svcBase(gen) + <usize>i * SVC_SIZE, SVC_SIZE);
    }
  }
  deferredN = 0;
  stagedFeN = 0; stagedSvcN = 0; stagedAll = false;
  buildCursor = 0;
}

/**
 * Publishes the staging generation (between batches) and frees what only
 * the old one used. The Maglev tables of the sets this update staged are
 * built first, so no packet finds a table missing.
 */
export function cpCommit(): void {
  buildStagedTables();
  flipGeneration();
  for (let i: u32 = 0; i < deferredN; i++) poolFree(<usize>load<u32>(deferred + (<usize>i << 2)));
  deferredN = 0;
  // What this update wrote is where the old generation is now behind.
  dirtyAll = stagedAll;
  memory.copy(dirtyFe, stagedFe, <usize>min(stagedFeN, DIRTY_MAX) << 2);
  memory.copy(dirtySvc, stagedSvc, <usize>min(stagedSvcN, DIRTY_MAX) << 2);
  dirtyFeN = stagedFeN; dirtySvcN = stagedSvcN;
}

/**
 * Builds the tables a packet may read of the service ports this update
 * wrote (every port when too many were written to list): the cluster set's,
 * and the node-local set's under a Local traffic policy (service.ts
 * endpointSet reads no other). Random choice reads no table.
 */
function buildStagedTables(): void {
  if (lbMode == LB_RANDOM) return;
  if (stagedAll) {
    for (let s: u32 = 0; s < svcMax; s++) buildSlotTables(s);
    return;
  }
  for (let k: u32 = 0; k < stagedSvcN; k++) buildSlotTables(load<u32>(stagedSvc + (<usize>k << 2)));
}

/** Position in the staged service ports of the next one cpBuildStaged looks at (cpBegin resets it). */
let buildCursor: u32 = 0;

/**
 * Builds ahead the tables cpCommit would build, until about `slots` table slots are built, so
 * that a host can let its event loop run (a signal) between calls. Returns 1 while some remain.
 */
export function cpBuildStaged(slots: u32): u32 {
  if (lbMode == LB_RANDOM) return 0;
  let end = stagedAll ? svcMax : stagedSvcN;
  let built: u64 = 0;
  while (buildCursor < end && built < <u64>slots) {
    let slot = stagedAll ? buildCursor : load<u32>(stagedSvc + (<usize>buildCursor << 2));
    built += <u64>buildSlotTables(slot) * <u64>maglevM;
    buildCursor++;
  }
  return buildCursor < end ? 1 : 0;
}

/** Builds a staged service port's tables a packet may read; returns how many were built. */
function buildSlotTables(slot: u32): u32 {
  let r = stagingRecord(slot);
  let built = buildSetTable(r + SVC_CLUSTER_LIST);
  if ((load<u32>(r + SVC_FLAGS) & (SF_INTERNAL_LOCAL | SF_EXTERNAL_LOCAL)) != 0) built += buildSetTable(r + SVC_LOCAL_LIST);
  return built;
}

/** The table of the set at `set` (list, n, table words of a record), unless empty or built; 1 when built here. */
function buildSetTable(set: usize): u32 {
  let n = load<u32>(set + 4);
  let t = <usize>load<u32>(set + 8);
  if (n == 0 || t == 0 || tableBuilt(t)) return 0;
  ensureTable(<usize>load<u32>(set), n, t);
  return 1;
}

/** Drops the staging generation; the active one is untouched. */
export function cpAbort(): void {
  for (let s: u32 = 0; s < svcMax; s++) {
    let st = stagingRecord(s), ac = svcRecord(s);
    for (let k = 0; k < BLOCK_FIELDS.length; k++) {
      let f = <usize>unchecked(BLOCK_FIELDS[k]);
      let p = load<u32>(st + f);
      if (p != load<u32>(ac + f)) poolFree(<usize>p);
    }
  }
  deferredN = 0;
  // Staging now differs from the active generation where this update wrote, and
  // where the previous one did: make the next begin copy everything.
  dirtyAll = true;
}

/** Registers backend `id` (address of `family` at SCRATCH_ADDR) for service-port `slot`. */
export function cpBackend(id: u32, family: u32, port: u32, slot: u32): u32 {
  if (id >= backendMax) return 1;
  let b = backends + <usize>id * BE_SIZE;
  store<u8>(b + BE_FAMILY, <u8>family);
  store<u16>(b + BE_PORT, <u16>port);
  store<u32>(b + BE_SLOT, slot);
  memory.copy(b + BE_ADDR, scratchRegion + SCRATCH_ADDR, ADDR_SLOT_BYTES);
  // An IPv4 address slot is the address and then zeros (conntrack compares IPv4 as one u32).
  if (family == 4) { store<u32>(b + BE_ADDR, 0, 4); store<u64>(b + BE_ADDR, 0, 8); }
  // svcplane's permutation: two seeded hashes of the address, family and port.
  let word = (<u64>load<u8>(b + BE_FAMILY) << 16) | <u64>load<u16>(b + BE_PORT);
  store<u32>(b + BE_OFFSET, <u32>(hashAddrWord(b + BE_ADDR, word, hashSeed) % <u64>maglevM));
  store<u32>(b + BE_SKIP, <u32>(hashAddrWord(b + BE_ADDR, word, hashSeed ^ 0xa5a5a5a5a5a5a5a5) % <u64>(maglevM - 1)) + 1);
  return 0;
}

/**
 * Gives backend `id` Cilium's permutation, from its identity string (`len`
 * bytes at SCRATCH_IDENTITY, formed by the host: docs/maglev-compat.md).
 * Cilium mode only; call right after cpBackend. 0 ok, 1 refused.
 */
export function cpBackendIdentity(id: u32, len: u32): u32 {
  if (id >= backendMax || len > <u32>IDENTITY_MAX_BYTES || maglevCompat != MAGLEV_COMPAT_CILIUM) return 1;
  identityPermutation(scratchRegion + SCRATCH_IDENTITY, len, maglevM);
  let b = backends + <usize>id * BE_SIZE;
  store<u32>(b + BE_OFFSET, permOffset);
  store<u32>(b + BE_SKIP, permSkip);
  return 0;
}

/**
 * Gives backend `id` Katran's permutation, from its 64-bit Endpoint.hash
 * (`lo`, `hi`; formed by the host from its address: docs/maglev-compat.md).
 * Katran modes only; call right after cpBackend. 0 ok, 1 refused.
 */
export function cpBackendHash(id: u32, lo: u32, hi: u32): u32 {
  if (id >= backendMax || !katranMode()) return 1;
  katranPermutation((<u64>hi << 32) | <u64>lo, maglevM);
  let b = backends + <usize>id * BE_SIZE;
  store<u32>(b + BE_OFFSET, katranOffset);
  store<u32>(b + BE_SKIP, katranSkip);
  return 0;
}

/** Sets the fixed fields of a service-port record in staging. */
export function cpService(slot: u32, flags: u32, affinitySeconds: u32, port: u32, nodePort: u32): u32 {
  if (slot >= svcMax) return 1;
  let r = stagingRecord(slot);
  markSvc(slot);
  store<u32>(r + SVC_FLAGS, flags | SF_ACTIVE);
  store<u32>(r + SVC_AFFINITY, affinitySeconds);
  store<u32>(r + SVC_PORT, port);
  store<u32>(r + SVC_NODE_PORT, nodePort);
  return 0;
}

function replaceBlock(slot: u32, field: usize, p: usize): void {
  let st = stagingRecord(slot);
  markSvc(slot);
  let old = <usize>load<u32>(st + field);
  if (old != 0) {
    if (old == <usize>load<u32>(svcRecord(slot) + field)) {
      store<u32>(deferred + (<usize>deferredN << 2), <u32>old);
      deferredN++;
    } else {
      poolFree(old);
    }
  }
  store<u32>(st + field, <u32>p);
}

/**
 * Sets one endpoint set of `slot` in staging from scratch (SCRATCH_IDS): n backend ids
 * (u32), then n weights (u32). The set's Maglev table is reserved here and
 * built at commit. Returns CP_OK,
 * CP_REFUSED when n is too large, or CP_NO_MEMORY when linear memory is full
 * (nothing changed).
 */
export function cpServiceSet(slot: u32, which: u32, n: u32): u32 {
  if (slot >= svcMax || n > setMax) return CP_REFUSED;
  let listField = which == SET_LOCAL ? SVC_LOCAL_LIST : SVC_CLUSTER_LIST;
  let list: usize = 0, table: usize = 0;
  if (n > 0) {
    // The list block holds n ids, then n weights.
    list = poolAlloc(n * 2);
    if (list == 0) return CP_NO_MEMORY;
    table = poolAlloc(<u32>((maglevBytes(maglevM, n) + 3) >> 2));
    if (table == 0) { poolFree(list); return CP_NO_MEMORY; }
    memory.copy(list, scratchRegion + (<usize>SCRATCH_IDS << 2), <usize>n * SET_WORDS_PER_BACKEND * 4);
  }
  replaceBlock(slot, listField, list);
  replaceBlock(slot, listField + 8, table);
  store<u32>(stagingRecord(slot) + listField + 4, n);
  return CP_OK;
}

/**
 * Builds the Maglev table of a set (`list` of n ids, `table` its reserved
 * block) unless it is built; returns it. Called at commit, and by the
 * host's reads of a table no packet reads (random choice, a local set
 * under no Local policy).
 */
export function ensureTable(list: usize, n: u32, table: usize): usize {
  if (tableBuilt(table)) return table;
  let weights = list + (<usize>n << 2);
  for (let i: u32 = 0; i < n; i++) {
    let b = backends + <usize>load<u32>(list + (<usize>i << 2)) * BE_SIZE;
    store<u32>(mgOffsets + (<usize>i << 2), load<u32>(b + BE_OFFSET));
    store<u32>(mgSkips + (<usize>i << 2), load<u32>(b + BE_SKIP));
    let w = load<u32>(weights + (<usize>i << 2));
    store<u32>(mgWeights + (<usize>i << 2), w == 0 ? 1 : w);
  }
  maglevFill(table, maglevM, n, mgOffsets, mgSkips, mgWeights, mgNext, mgUsed);
  setBlockFlag(table, TABLE_BUILT);
  return table;
}

/**
 * Fills a table by the turn rule of the Maglev being reproduced (compat.ts):
 * maglevBuild's, Cilium's or Katran's. Arguments as maglevBuild's; n at most setMax.
 */
export function maglevFill(table: usize, m: u32, n: u32, offsets: usize, skips: usize, weights: usize, next: usize, used: usize): void {
  if (maglevCompat == MAGLEV_COMPAT_CILIUM) maglevBuildCilium(table, m, n, offsets, skips, weights, next, used, mgCounters);
  else if (katranMode()) maglevBuildKatran(table, m, n, offsets, skips, weights, next, used, mgCounters, maglevCompat == MAGLEV_COMPAT_KATRAN_V2);
  else maglevBuild(table, m, n, offsets, skips, weights, next, used);
}

/**
 * Builds every table of the active generation not built yet; returns how
 * many. After a commit in Maglev mode those are only tables no packet
 * reads (see buildStagedTables).
 */
export function buildAllTables(): u32 {
  let built: u32 = 0;
  for (let s: u32 = 0; s < svcMax; s++) {
    let r = svcRecord(s);
    for (let f: usize = SVC_CLUSTER_LIST; f <= SVC_LOCAL_LIST; f += SVC_LOCAL_LIST - SVC_CLUSTER_LIST) {
      let n = load<u32>(r + f + 4);
      let t = <usize>load<u32>(r + f + 8);
      if (n == 0 || t == 0 || tableBuilt(t)) continue;
      ensureTable(<usize>load<u32>(r + f), n, t);
      built++;
    }
  }
  return built;
}

/** Removes a service port from staging. */
export function cpServiceRemove(slot: u32): void {
  if (slot >= svcMax) return;
  for (let k = 0; k < BLOCK_FIELDS.length; k++) replaceBlock(slot, <usize>unchecked(BLOCK_FIELDS[k]), 0);
  memory.fill(stagingRecord(slot), 0, SVC_SIZE);
  markSvc(slot);
}

/** Sets loadBalancerSourceRanges of `slot` in staging: n CIDR entries at SCRATCH_CIDRS, kept in that layout. */
export function cpServiceSourceRanges(slot: u32, n: u32): u32 {
  if (slot >= svcMax || n > <u32>SOURCE_RANGES_MAX) return CP_REFUSED;
  let block: usize = 0;
  if (n > 0) {
    block = poolAlloc(2 + n * 6);
    if (block == 0) return CP_NO_MEMORY;
    store<u32>(block, n);
    memory.copy(block + 8, scratchRegion + SCRATCH_CIDRS, <usize>n * CIDR_ENTRY_BYTES);
  }
  replaceBlock(slot, SVC_SOURCE_RANGES, block);
  return CP_OK;
}

/** Adds (or re-points) a frontend in staging; address at SCRATCH_ADDR. 0 ok, 1 table full. */
export function cpFrontendAdd(family: u32, proto: u32, port: u32, kind: u32, slot: u32): u32 {
  let base = feBase(gen ^ 1);
  let addr = scratchRegion + SCRATCH_ADDR;
  let i = feHash(addr, family, proto, port) & feMask;
  let want = 1 | (family << 8) | (proto << 16);
  for (let probes: u32 = 0; probes < feCap; probes++) {
    let e = base + <usize>i * FE_SIZE;
    let tag = load<u32>(e + FE_TAG);
    if (tag == 0 || ((tag & 0xffffff) == want && <u32>load<u16>(e + FE_PORT) == port && addrEq(e + FE_ADDR, addr))) {
      markFe(i);
      store<u32>(e + FE_TAG, feTag(family, proto, kind));
      store<u16>(e + FE_PORT, <u16>port);
      store<u32>(e + FE_SLOT, slot);
      memory.copy(e + FE_ADDR, addr, 16);
      return 0;
    }
    i = (i + 1) & feMask;
  }
  return 1;
}

/** Removes a frontend from staging (backward-shift deletion keeps probe chains whole). */
export function cpFrontendRemove(family: u32, proto: u32, port: u32): void {
  let base = feBase(gen ^ 1);
  let addr = scratchRegion + SCRATCH_ADDR;
  let i = feHash(addr, family, proto, port) & feMask;
  let want = 1 | (family << 8) | (proto << 16);
  while (true) {
    let e = base + <usize>i * FE_SIZE;
    let tag = load<u32>(e + FE_TAG);
    if (tag == 0) return;
    if ((tag & 0xffffff) == want && <u32>load<u16>(e + FE_PORT) == port && addrEq(e + FE_ADDR, addr)) break;
    i = (i + 1) & feMask;
  }
  // Shift later entries of the cluster back into the hole.
  let hole = i;
  let j = i;
  while (true) {
    j = (j + 1) & feMask;
    let e = base + <usize>j * FE_SIZE;
    if (load<u32>(e + FE_TAG) == 0) break;
    let t = load<u32>(e + FE_TAG);
    let home = feHash(e + FE_ADDR, (t >> 8) & 0xff, (t >> 16) & 0xff, <u32>load<u16>(e + FE_PORT)) & feMask;
    // Move e into the hole if its home is not cyclically in (hole, j].
    let inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!inRange) {
      memory.copy(base + <usize>hole * FE_SIZE, e, FE_SIZE);
      markFe(hole);
      hole = j;
    }
  }
  memory.fill(base + <usize>hole * FE_SIZE, 0, FE_SIZE);
  markFe(hole);
}
