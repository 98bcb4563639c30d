// The flow key: one small value the parse stage fills and conntrack, the
// service lookup and NAT all read. It is a struct at a fixed address
// (FlowKey), so parsing allocates nothing.
//
// Addresses are copied in wire order into 16-byte slots (IPv4 in the first
// 4 bytes, the rest zero) so IPv4 and IPv6 share one key layout. Ports are
// host order. For ICMP echo the identifier stands in for both ports.

/**
 * A packet's flow key, laid over fixed memory (FLOW_KEY_BYTES) and passed
 * to the stages as a pointer. Ports are host order; src and dst are
 * 16-byte address slots after the fields.
 */
@unmanaged export class FlowKey {
  /** 4 or 6; 0 when the packet is not IP. */
  family: u32;
  /** IP protocol of the transport header (after IPv6 extension headers). */
  proto: u32;
  sport: u32;
  dport: u32;
  /** Offset of the IP header from the packet start. */
  l3: u32;
  /** Offset of the transport header, or NO_L4 (non-first fragment, unknown protocol). */
  l4: u32;
  /** Bytes of the transport header and payload that were captured. */
  l4Captured: u32;
  /** Bytes of transport header and payload per the IP header (may exceed captured). */
  l4Len: u32;
  /** TCP flags, 0 for other protocols. */
  tcpFlags: u32;
  /** SCTP first chunk type, ICMP type; 0 otherwise. */
  l4Type: u32;
  /** Fragment state: FRAG_NONE, FRAG_FIRST or FRAG_LATER. */
  frag: u32;
  /** Fragment identification (IPv4 16 bits, IPv6 32 bits). */
  fragId: u32;
  /** The transport header carries ports (TCP, UDP, SCTP, or ports learned from a first fragment). */
  hasPorts: bool;

  /** Source address slot. */
  // @ts-ignore: decorator
  @inline get src(): usize { return changetype<usize>(this) + KEY_SRC; }
  /** Destination address slot. */
  // @ts-ignore: decorator
  @inline get dst(): usize { return changetype<usize>(this) + KEY_DST; }

  /** Resets the fields a stage may read without the parser having set them (the rest are always written first). */
  // @ts-ignore: decorator
  @inline reset(): void {
    this.family = 0; this.proto = 0; this.l4 = NO_L4;
    this.hasPorts = false; this.tcpFlags = 0; this.l4Type = 0; this.frag = FRAG_NONE;
  }
  /** Family, protocol and IP header offset together: a packet dropped later in the transport header still reports its own L3 offset. */
  // @ts-ignore: decorator
  @inline setFamilyProto(family: u32, proto: u32, l3: u32): void { this.family = family; this.proto = proto; this.l3 = l3; }
  // @ts-ignore: decorator
  @inline setOffsets(l3: u32, l4: u32, l4Captured: u32, l4Len: u32): void {
    this.l3 = l3; this.l4 = l4; this.l4Captured = l4Captured; this.l4Len = l4Len;
  }
  // @ts-ignore: decorator
  @inline setPorts(sport: u32, dport: u32): void { this.sport = sport; this.dport = dport; this.hasPorts = true; }
  // @ts-ignore: decorator
  @inline setL4Info(tcpFlags: u32, l4Type: u32): void { this.tcpFlags = tcpFlags; this.l4Type = l4Type; }
  // @ts-ignore: decorator
  @inline setFrag(state: u32, id: u32): void { this.frag = state; this.fragId = id; }
}

const KEY_SRC: usize = 64;
const KEY_DST: usize = 80;
/** Bytes of a FlowKey with its address slots. */
export const FLOW_KEY_BYTES: i32 = 96;

export const NO_L4: u32 = 0xffffffff;

export const FRAG_NONE: u32 = 0;
export const FRAG_FIRST: u32 = 1;
export const FRAG_LATER: u32 = 2;

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
