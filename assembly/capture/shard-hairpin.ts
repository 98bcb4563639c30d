// --workers: hairpin clients. A pod that reaches a Service it backs may get itself as the backend;
// the connection is then masqueraded (service.ts sourceNat) and must live on worker 0 with every
// other masqueraded one, but that is known only once the backend is chosen. So a connection whose
// client is, or during the run will be, a backend address of any Service lives on worker 0 from
// its first packet (shard.ts clientOwner). The host gives every walk the same addresses once,
// before the first chunk (src/replay/workers/update-plan.ts backendAddresses); the set never changes.
//
// Every packet's client is looked up, and almost none is in the set: a filter of 16 bits per
// address, one set by each, answers most lookups from a few cache lines (at most one client in 16
// that backs nothing gets past it), and the table, open addressing over linear probing at most
// half full, answers the rest.

import { tryRegion } from '../config';
import { addrEq } from '../flow';

// Entry (24 bytes): family u32 (0: empty) | zero u32 | address slot [16]
const H_FAMILY: usize = 0;
const H_ADDR: usize = 8;
const H_SIZE: usize = 24;
/** The most addresses the set takes (their entries and bits: 200 MiB, if memory has room). */
const HAIRPIN_MAX: u32 = 1 << 22;
/** Table entries per address, and filter bits per address (both rounded up to a power of two). */
const ENTRIES_PER_ADDR: u64 = 2;
const BITS_PER_ADDR: u64 = 16;

/** The table, and the filter: bit (h >> 32) & bitMask set for every address in the table. */
let table: usize = 0;
let bits: usize = 0;
/** Entries - 1 and bits - 1 (powers of two minus one). */
let mask: u32 = 0;
let bitMask: u32 = 0;
/** Addresses the set was given room for. */
let room: u32 = 0;
/** Addresses in the set: 0 skips every lookup. */
export let hairpinCount: u32 = 0;

/** An empty set with room for `count` addresses; false when it does not fit in memory. */
export function hairpinReserve(count: u32): bool {
  hairpinCount = 0;
  room = 0;
  if (count == 0) return true;
  if (count > HAIRPIN_MAX) return false;
  let entries = pow2AtLeast(<u64>count * ENTRIES_PER_ADDR);
  let nbits = pow2AtLeast(<u64>count * BITS_PER_ADDR);
  if (table != 0 && entries <= <u64>mask + 1 && nbits <= <u64>bitMask + 1) {
    memory.fill(table, 0, (<usize>mask + 1) * H_SIZE);
    memory.fill(bits, 0, (<usize>bitMask + 1) >> 3);
  } else {
    let t = tryRegion(<usize>entries * H_SIZE);
    let b = t != 0 ? tryRegion(<usize>(nbits >> 3)) : 0;
    if (b == 0) return false;
    table = t; mask = <u32>entries - 1;
    bits = b; bitMask = <u32>nbits - 1;
  }
  room = count;
  return true;
}

/** Adds the address slot `addr` of `family` (4 or 6), hashed `h`; false when the set has no room or the family is neither. */
export function hairpinAdd(family: u32, addr: usize, h: u64): bool {
  if (room == 0 || (family != 4 && family != 6)) return false;
  let e = find(family, addr, h);
  if (load<u32>(e + H_FAMILY) != 0) return true;
  if (hairpinCount >= room) return false;
  store<u32>(e + H_FAMILY, family);
  memory.copy(e + H_ADDR, addr, 16);
  let w = bitWord(h);
  store<u32>(w, load<u32>(w) | bitOf(h));
  hairpinCount++;
  return true;
}

/**
 * Whether the address slot `addr` of `family`, hashed `h` (hashAddrWord with the run's seed,
 * fixed at init), is in the set. Only with hairpinCount > 0.
 */
// @ts-ignore: decorator
@inline export function hairpinHas(family: u32, addr: usize, h: u64): bool {
  if ((load<u32>(bitWord(h)) & bitOf(h)) == 0) return false;
  return load<u32>(find(family, addr, h) + H_FAMILY) != 0;
}

// @ts-ignore: decorator
@inline function bitWord(h: u64): usize { return bits + ((<usize>(<u32>(h >> 32) & bitMask) >> 5) << 2); }
// @ts-ignore: decorator
@inline function bitOf(h: u64): u32 { return <u32>1 << (<u32>(h >> 32) & 31); }

/** The address's entry, or the empty one that ends its probe (one exists: the table is at most half full). */
// @ts-ignore: decorator
@inline function find(family: u32, addr: usize, h: u64): usize {
  let i = <u32>h & mask;
  let e = table + <usize>i * H_SIZE;
  let f = load<u32>(e + H_FAMILY);
  while (f != 0 && !(f == family && addrEq(e + H_ADDR, addr))) {
    i = (i + 1) & mask;
    e = table + <usize>i * H_SIZE;
    f = load<u32>(e + H_FAMILY);
  }
  return e;
}

/** The least power of two at least `n` and at least 64 (a filter of two words or more). */
function pow2AtLeast(n: u64): u64 {
  let p: u64 = 64;
  while (p < n) p <<= 1;
  return p;
}
