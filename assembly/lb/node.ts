// What the dataplane knows about the node it runs on: its addresses (the
// masquerade source and NodePort destinations), the pod CIDRs (who counts as
// a pod), the Service CIDRs (where unallocated addresses are dropped), and
// masquerade settings. Small fixed lists set by the control plane.
//
// A list entry is a CIDR entry of abi/scratch.ts's layout.

import { NODE_LIST_MAX, LIST_NODE_IPS, LIST_NODEPORT_CIDRS, LIST_COUNT } from '../abi/tables';
import { scratchRegion } from '../config';
import { SCRATCH_ADDR, ADDR_SLOT_BYTES, CIDR_ENTRY_BYTES, CIDR_FAMILY, CIDR_PREFIX, CIDR_ADDR } from '../abi/scratch';

const E_FAMILY: usize = CIDR_FAMILY;
const E_PREFIX: usize = CIDR_PREFIX;
const E_ADDR: usize = CIDR_ADDR;
const E_SIZE: usize = CIDR_ENTRY_BYTES;

const LISTS_BYTES: i32 = LIST_COUNT * NODE_LIST_MAX * CIDR_ENTRY_BYTES;
const lists: usize = memory.data(LISTS_BYTES, 16);
const counts: usize = memory.data(LIST_COUNT * 4, 4);

/** Masquerade every Service connection (--masquerade-all). */
export let masqueradeAll: bool = false;
/** Source ports a masqueraded connection may take when its own is in use. */
export let masqLo: u32 = 32768;
export let masqHi: u32 = 60999;

/** The node's address of each family (slot in 16 bytes), valid when the flag is set. */
export const nodeAddr4: usize = memory.data(16, 16);
export const nodeAddr6: usize = memory.data(16, 16);
export let hasNodeAddr4: bool = false;
export let hasNodeAddr6: bool = false;

// @ts-ignore: decorator
@inline function entry(list: u32, i: u32): usize { return lists + (<usize>(list * NODE_LIST_MAX + i)) * E_SIZE; }
// @ts-ignore: decorator
@inline export function listCount(list: u32): u32 { return load<u32>(counts + (<usize>list << 2)); }

/** Whether `addr` (a 16-byte slot of `family`) is inside any CIDR of `list`. */
export function listContains(list: u32, family: u32, addr: usize): bool {
  let n = listCount(list);
  for (let i: u32 = 0; i < n; i++) {
    let e = entry(list, i);
    if (<u32>load<u8>(e + E_FAMILY) != family) continue;
    if (prefixMatch(e + E_ADDR, addr, <u32>load<u8>(e + E_PREFIX))) return true;
  }
  return false;
}

/** The all-zero address NodePort frontends are keyed with. */
export const anyAddr: usize = memory.data(16, 16);

/** Whether `addr` accepts NodePort traffic: --nodeport-addresses, or else the node IPs. */
export function acceptsNodePort(family: u32, addr: usize): bool {
  // kube-proxy never serves NodePorts on loopback, whatever --nodeport-addresses says.
  if (family == 4 ? load<u8>(addr) == 127 : isLoopback6(addr)) return false;
  let list = listCount(LIST_NODEPORT_CIDRS) > 0 ? LIST_NODEPORT_CIDRS : LIST_NODE_IPS;
  return listContains(list, family, addr);
}

/** ::1 */
function isLoopback6(a: usize): bool {
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0x0100000000000000;
}

/** The first `bits` bits of two 16-byte slots are equal. */
export function prefixMatch(a: usize, b: usize, bits: u32): bool {
  let i: usize = 0;
  while (bits >= 8) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++; bits -= 8;
  }
  if (bits == 0) return true;
  let mask = <u32>(0xff00 >> bits) & 0xff;
  return ((<u32>load<u8>(a + i) ^ <u32>load<u8>(b + i)) & mask) == 0;
}

/** Node address of a family for masquerade, or 0 when the node has none. */
export function nodeAddr(family: u32): usize {
  if (family == 4) return hasNodeAddr4 ? nodeAddr4 : 0;
  return hasNodeAddr6 ? nodeAddr6 : 0;
}

// ---- control plane ---------------------------------------------------------

/** Empties a list. */
export function cpListClear(list: u32): void {
  if (list < <u32>LIST_COUNT) store<u32>(counts + (<usize>list << 2), 0);
}

/** Appends a CIDR (address in scratch[0..16]); returns 1 when the list is full. */
export function cpListAdd(list: u32, family: u32, prefix: u32): u32 {
  if (list >= <u32>LIST_COUNT) return 1;
  let n = listCount(list);
  if (n >= <u32>NODE_LIST_MAX) return 1;
  let e = entry(list, n);
  store<u8>(e + E_FAMILY, <u8>family);
  store<u8>(e + E_PREFIX, <u8>prefix);
  memory.copy(e + E_ADDR, scratchRegion + SCRATCH_ADDR, ADDR_SLOT_BYTES);
  store<u32>(counts + (<usize>list << 2), n + 1);
  if (list == LIST_NODE_IPS) {
    // The first node IP of each family is the masquerade source.
    if (family == 4 && !hasNodeAddr4) { memory.copy(nodeAddr4, scratchRegion + SCRATCH_ADDR, ADDR_SLOT_BYTES); hasNodeAddr4 = true; }
    if (family == 6 && !hasNodeAddr6) { memory.copy(nodeAddr6, scratchRegion + SCRATCH_ADDR, ADDR_SLOT_BYTES); hasNodeAddr6 = true; }
  }
  return 0;
}

export function cpNodeReset(): void {
  for (let l: u32 = 0; l < <u32>LIST_COUNT; l++) cpListClear(l);
  hasNodeAddr4 = false; hasNodeAddr6 = false;
}

export function cpMasquerade(all: u32, lo: u32, hi: u32): void {
  masqueradeAll = all != 0;
  if (lo >= 1 && lo <= hi && hi <= 65535) { masqLo = lo; masqHi = hi; }
}

