// Service tables, the packet path's side: frontends (address, port,
// protocol → service-port slot), service-port records and backends, read
// only. The control plane (control.ts) writes them: frontends and service
// records exist in two generations, it edits the staging one while packets
// read the active one, and commit flips them between batches, so no packet
// ever sees half an update. Maglev tables are built by the control side
// too, at commit (control.ts cpCommit); the packet path only reads them.

import { hashKey, hashSeed } from '../hash';
import { addrEq } from '../flow';
import { maglevM, svcMax } from '../config';
import { SET_LOCAL } from '../abi/tables';
import { blockFlag } from './pool';
import { maglevSlot } from './maglev';
import { prefixMatch } from './node';
import { FRONTEND_ENTRY_BYTES, SERVICE_RECORD_BYTES, BACKEND_RECORD_BYTES } from '../abi/capacity';
import { CIDR_ENTRY_BYTES, CIDR_FAMILY, CIDR_PREFIX, CIDR_ADDR } from '../abi/scratch';

// ---- frontends ------------------------------------------------------------
// Entry (32 bytes): tag u32 (0 = empty; 1 | family<<8 | proto<<16 | kind<<24),
// port u16 (host order), pad u16, slot u32, pad u32, address [16] wire order.
export const FE_TAG: usize = 0;
export const FE_PORT: usize = 4;
export const FE_SLOT: usize = 8;
export const FE_ADDR: usize = 16;
export const FE_SIZE: usize = FRONTEND_ENTRY_BYTES;

export let feCap: u32 = 0;
let feMask: u32 = 0;
const feTables: usize = memory.data(8, 4);  // [2] base pointers
const svcTables: usize = memory.data(8, 4); // [2] base pointers
/** Index (0/1) of the generation packets read. */
export let gen: u32 = 0;

// ---- service-port records (64 bytes per slot) -------------------------------
export const SVC_FLAGS: usize = 0;
export const SVC_AFFINITY: usize = 4;
export const SVC_CLUSTER_LIST: usize = 8;
export const SVC_CLUSTER_N: usize = 12;
export const SVC_CLUSTER_TABLE: usize = 16;
export const SVC_LOCAL_LIST: usize = 20;
export const SVC_LOCAL_N: usize = 24;
export const SVC_LOCAL_TABLE: usize = 28;
export const SVC_PORT: usize = 32;
export const SVC_NODE_PORT: usize = 36;
/** Block: count u32, then count CIDR entries of 24 bytes (family, prefix, pad, address[16]). */
export const SVC_SOURCE_RANGES: usize = 40;
export const SVC_SIZE: usize = SERVICE_RECORD_BYTES;

// ---- backends (32 bytes per id, never reused) --------------------------------
// family u8, pad u8, port u16 (host order), slot u32, Maglev offset u32 and
// skip u32 (its permutation over the M-slot tables, fixed when registered),
// address [16].
export const BE_FAMILY: usize = 0;
export const BE_PORT: usize = 2;
export const BE_SLOT: usize = 4;
export const BE_OFFSET: usize = 8;
export const BE_SKIP: usize = 12;
export const BE_ADDR: usize = 16;
export const BE_SIZE: usize = BACKEND_RECORD_BYTES;
let backends: usize = 0;


/** A Maglev table's block flag once built (pool.ts blockFlag). */
export const TABLE_BUILT: u32 = 1;

/** Sets where the tables live and how many frontend entries there are (control.ts, at init). */
export function lookupInit(fe0: usize, fe1: usize, svc0: usize, svc1: usize, backendBase: usize, feCapacity: u32): void {
  store<u32>(feTables, <u32>fe0); store<u32>(feTables, <u32>fe1, 4);
  store<u32>(svcTables, <u32>svc0); store<u32>(svcTables, <u32>svc1, 4);
  backends = backendBase;
  feCap = feCapacity; feMask = feCapacity - 1;
}

/** Publishes the staging generation (control.ts, on commit). */
export function flipGeneration(): void { gen ^= 1; }

// @ts-ignore: decorator
@inline export function feBase(g: u32): usize { return <usize>load<u32>(feTables + (<usize>g << 2)); }
// @ts-ignore: decorator
@inline export function svcBase(g: u32): usize { return <usize>load<u32>(svcTables + (<usize>g << 2)); }
/** Record of `slot` in the active generation. */
// @ts-ignore: decorator
@inline export function svcRecord(slot: u32): usize { return svcBase(gen) + <usize>slot * SVC_SIZE; }
// @ts-ignore: decorator
@inline export function backendAddr(id: u32): usize { return backends + <usize>id * BE_SIZE + BE_ADDR; }
// @ts-ignore: decorator
@inline export function backendPort(id: u32): u32 { return <u32>load<u16>(backends + <usize>id * BE_SIZE + BE_PORT); }
// @ts-ignore: decorator
@inline export function backendSlot(id: u32): u32 { return load<u32>(backends + <usize>id * BE_SIZE + BE_SLOT); }

// @ts-ignore: decorator
@inline export function feTag(family: u32, proto: u32, kind: u32): u32 { return 1 | (family << 8) | (proto << 16) | (kind << 24); }
// @ts-ignore: decorator
@inline export function feHash(addr: usize, family: u32, proto: u32, port: u32): u32 {
  return <u32>hashKey(addr, (<u64>family << 24) | (<u64>proto << 16) | <u64>port, hashSeed);
}

/**
 * Finds the frontend for (family, proto, port, addr) in the active
 * generation; returns the entry pointer or 0. Kind is not part of the key:
 * one address:port:protocol belongs to one frontend.
 */
export function feLookup(addr: usize, family: u32, proto: u32, port: u32): usize {
  let base = feBase(gen);
  let i = feHash(addr, family, proto, port) & feMask;
  let want = 1 | (family << 8) | (proto << 16);
  while (true) {
    let e = base + <usize>i * FE_SIZE;
    let tag = load<u32>(e + FE_TAG);
    if (tag == 0) return 0;
    if ((tag & 0xffffff) == want && <u32>load<u16>(e + FE_PORT) == port && addrEq(e + FE_ADDR, addr)) return e;
    i = (i + 1) & feMask;
  }
}
// @ts-ignore: decorator
@inline export function feKind(e: usize): u32 { return load<u32>(e + FE_TAG) >> 24; }
// @ts-ignore: decorator
@inline export function feSlot(e: usize): u32 { return load<u32>(e + FE_SLOT); }

/** The active id list of a service port's set (0 when none). */
export function activeList(slot: u32, which: u32): usize {
  if (slot >= svcMax) return 0;
  return <usize>load<u32>(svcRecord(slot) + (which == SET_LOCAL ? SVC_LOCAL_LIST : SVC_CLUSTER_LIST));
}
/** How many ids that list holds. */
export function activeCount(slot: u32, which: u32): u32 {
  if (slot >= svcMax) return 0;
  return load<u32>(svcRecord(slot) + (which == SET_LOCAL ? SVC_LOCAL_LIST : SVC_CLUSTER_LIST) + 4);
}

/** Whether a set's Maglev table (its reserved block) has been built. */
// @ts-ignore: decorator
@inline export function tableBuilt(table: usize): bool { return blockFlag(table) == TABLE_BUILT; }

/**
 * The built Maglev table of frontend `fe`'s cluster set, or 0 (no
 * endpoints, or random choice, which builds none): for reads that only
 * warm the cache.
 */
export function builtClusterTable(fe: usize): usize {
  let r = svcRecord(feSlot(fe));
  let table = <usize>load<u32>(r + SVC_CLUSTER_TABLE);
  if (load<u32>(r + SVC_CLUSTER_N) == 0 || !tableBuilt(table)) return 0;
  return table;
}

/**
 * Starts reading the Maglev slot a new connection to frontend `fe` with
 * flow hash `h` will read, and parks the value at `out` (a u32 nobody
 * reads): WebAssembly has no prefetch, and a load whose value is only
 * stored lets the CPU go on while the line arrives. A hint: the cluster
 * set only, and only a built table.
 */
export function warmMaglev(fe: usize, h: u64, out: usize): void {
  let table = builtClusterTable(fe);
  if (table == 0) return;
  let n = load<u32>(svcRecord(feSlot(fe)) + SVC_CLUSTER_N);
  store<u32>(out, maglevSlot(table, n, <u32>(h % <u64>maglevM)));
}

/** Whether the client address is inside the slot's source ranges (active generation). */
export function sourceAllowed(slot: u32, family: u32, addr: usize): bool {
  let block = <usize>load<u32>(svcRecord(slot) + SVC_SOURCE_RANGES);
  if (block == 0) return true;
  let n = load<u32>(block);
  for (let i: u32 = 0; i < n; i++) {
    let e = block + 8 + <usize>i * CIDR_ENTRY_BYTES;
    if (<u32>load<u8>(e + CIDR_FAMILY) == family && prefixMatch(e + CIDR_ADDR, addr, <u32>load<u8>(e + CIDR_PREFIX))) return true;
  }
  return false;
}
