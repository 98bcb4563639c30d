// The fast shape: the frames the group passes (fastpath.ts, openers.ts)
// handle, and what such a packet leaves when it is done. Ethernet II
// without a tag (the one-packet run also takes VLAN tags), IPv4
// without options or IPv6 without extension headers, TCP or UDP.

import { REASON_NONE } from './abi/reasons';
import { ETH_HLEN } from './wire/link';
import { IPV4_MIN_HLEN } from './wire/ipv4';
import { IPV6_HLEN } from './wire/ipv6';
import { packetDone, noExtra, countBackend } from './outcome';

/** Where the IP header of a fast-shape frame starts. */
export const FAST_L3: usize = ETH_HLEN;
/** Where the transport header of an IPv4 frame of the fast shape starts. */
export const FAST_L4: u32 = ETH_HLEN + IPV4_MIN_HLEN;
/** Where the transport header of an IPv6 frame of the fast shape starts. */
export const FAST_L4_6: u32 = ETH_HLEN + IPV6_HLEN;

/** Packets per group: the scheduler's read-ahead passes cover this many before the stages run. */
export const GROUP: u32 = 8;
/** Bytes of each position's parked reads (GroupState.park). */
const PARK_BYTES: usize = 16;
/** Bytes of each position's opener record (GroupState.opener, laid out in openers.ts). */
export const OPENER_BYTES: usize = 64;

// Where GroupState's per-position arrays start.
const G_HASH: usize = 16;
const G_SHAPE: usize = G_HASH + <usize>GROUP * 4;
const G_PARK: usize = 64;
const G_OPENER: usize = G_PARK + <usize>GROUP * PARK_BYTES;

/**
 * What the scheduler's passes over one group hand each other, at a fixed
 * address the scheduler passes to them: bit k of each mask is group
 * position k (GROUP fits the 32 bits), and each position has its flow
 * hash, its shape (fastpath.ts SHAPE_*), a place for reads parked to warm
 * the cache, and an opener record (openers.ts).
 */
@unmanaged export class GroupState {
  /** UDP packets of the fast shape (pass one). */
  udp: u32;
  /** Openers noted: SYNs of the fast shape, and UDP packets of no connection... */
  syn: u32;
  /** ...those of them that are IPv6... */
  syn6: u32;
  /** ...and those the prepare pass found a connection for. */
  open: u32;

  // @ts-ignore: decorator
  @inline reset(): void { this.udp = 0; this.syn = 0; this.syn6 = 0; this.open = 0; }
  /** Position k's flow hash (low 32 bits), set by pass one for a packet of the fast shape. */
  // @ts-ignore: decorator
  @inline hash(k: u32): u32 { return load<u32>(changetype<usize>(this) + G_HASH + (<usize>k << 2)); }
  // @ts-ignore: decorator
  @inline setHash(k: u32, h: u32): void { store<u32>(changetype<usize>(this) + G_HASH + (<usize>k << 2), h); }
  /** What pass one found position k to be. */
  // @ts-ignore: decorator
  @inline shape(k: u32): u8 { return load<u8>(changetype<usize>(this) + G_SHAPE + <usize>k); }
  // @ts-ignore: decorator
  @inline setShape(k: u32, s: u8): void { store<u8>(changetype<usize>(this) + G_SHAPE + <usize>k, s); }
  /** Where position k's warming reads are parked (PARK_BYTES). */
  // @ts-ignore: decorator
  @inline park(k: u32): usize { return changetype<usize>(this) + G_PARK + <usize>k * PARK_BYTES; }
  /** Position k's opener record (OPENER_BYTES). */
  // @ts-ignore: decorator
  @inline opener(k: u32): usize { return changetype<usize>(this) + G_OPENER + <usize>k * OPENER_BYTES; }
}
export const GROUP_STATE_BYTES: i32 = <i32>(G_OPENER + <usize>GROUP * OPENER_BYTES);

/** Packets handled by the group passes (the report shows the share). */
export let fastPackets: u64 = 0;

/**
 * What the one-packet run leaves for a translated packet (datapath.ts
 * translated() and generalPath()), for a packet of the fast shape: the
 * backend's counters, the descriptor's OUT words and the verdict counter.
 */
// @ts-ignore: decorator
@inline export function fastDone(d: usize, verdict: u32, slot: u32, backend: u32, proto: u32, wirelen: u32,
                                 family: u32, l4: u32): void {
  countBackend(backend, wirelen);
  fastPackets++;
  noExtra(d);
  packetDone(d, verdict, REASON_NONE, slot + 1, backend + 1, <u32>FAST_L3, l4, (family << 8) | proto);
}
