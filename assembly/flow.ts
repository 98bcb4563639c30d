// The flow key: one small value the parse stage fills and conntrack, the
// service lookup and NAT all read. It lives in module globals plus two
// 16-byte address slots in static memory, so parsing allocates nothing.
//
// Addresses are copied in wire order into 16-byte slots (IPv4 in the first
// 4 bytes, the rest zero) so IPv4 and IPv6 share one key layout. Ports are
// host order. For ICMP echo the identifier stands in for both ports.

/** Source and destination address slots (16 bytes each). */
export const keySrc: usize = memory.data(16, 16);
export const keyDst: usize = memory.data(16, 16);

/** 4 or 6; 0 when the packet is not IP. */
export let keyFamily: u32 = 0;
/** IP protocol of the transport header (after IPv6 extension headers). */
export let keyProto: u32 = 0;
export let keySport: u32 = 0;
export let keyDport: u32 = 0;
/** Offset of the IP header from the packet start. */
export let keyL3: u32 = 0;
/** Offset of the transport header, or NO_L4 (non-first fragment, unknown protocol). */
export let keyL4: u32 = 0;
/** Bytes of the transport header and payload that were captured. */
export let keyL4Captured: u32 = 0;
/** Bytes of transport header and payload per the IP header (may exceed captured). */
export let keyL4Len: u32 = 0;
/** The transport header carries ports (TCP, UDP, SCTP, or ports learned from a first fragment). */
export let keyHasPorts: bool = false;
/** TCP flags, 0 for other protocols. */
export let keyTcpFlags: u32 = 0;
/** SCTP first chunk type, ICMP type; 0 otherwise. */
export let keyL4Type: u32 = 0;
/** Fragment state: 0 none, 1 first fragment, 2 later fragment. */
export let keyFrag: u32 = 0;
/** Fragment identification (IPv4 16 bits, IPv6 32 bits). */
export let keyFragId: u32 = 0;

export const NO_L4: u32 = 0xffffffff;

export const FRAG_NONE: u32 = 0;
export const FRAG_FIRST: u32 = 1;
export const FRAG_LATER: u32 = 2;

/**
 * Resets the key before parsing a packet: only the fields a stage may read
 * without the parser having set them (the rest are always written first).
 */
// @ts-ignore: decorator
@inline export function keyReset(): void {
  keyFamily = 0; keyProto = 0; keyL4 = NO_L4;
  keyHasPorts = false; keyTcpFlags = 0; keyL4Type = 0; keyFrag = FRAG_NONE;
}

// Setters for the parse stage (module globals are read-only to importers).
/** Family, protocol and IP header offset together: a packet dropped later in the transport header still reports its own L3 offset. */
export function setFamilyProto(family: u32, proto: u32, l3: u32): void { keyFamily = family; keyProto = proto; keyL3 = l3; }
export function setOffsets(l3: u32, l4: u32, l4Captured: u32, l4Len: u32): void {
  keyL3 = l3; keyL4 = l4; keyL4Captured = l4Captured; keyL4Len = l4Len;
}
export function setPorts(sport: u32, dport: u32): void { keySport = sport; keyDport = dport; keyHasPorts = true; }
export function setL4Info(tcpFlags: u32, l4Type: u32): void { keyTcpFlags = tcpFlags; keyL4Type = l4Type; }
export function setFrag(state: u32, id: u32): void { keyFrag = state; keyFragId = id; }

/** Copies an address of the key's family from the packet into a 16-byte slot. */
// @ts-ignore: decorator
@inline export function copyAddr(slot: usize, src: usize, family: u32): void {
  if (family == 4) {
    store<u32>(slot, load<u32>(src));
    store<u32>(slot, 0, 4);
    store<u64>(slot, 0, 8);
  } else {
    store<u64>(slot, load<u64>(src));
    store<u64>(slot, load<u64>(src, 8), 8);
  }
}

/** Equality of two 16-byte address slots. */
// @ts-ignore: decorator
@inline export function addrEq(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** Copies a 16-byte address slot. */
// @ts-ignore: decorator
@inline export function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}
