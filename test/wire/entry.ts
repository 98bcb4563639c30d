// AssemblyScript, not TypeScript: the wire/ views exported one by one for the
// byte-vector tests (test/wire-*.test.ts), compiled by test/helpers/wire.ts.
// Each export calls the view it names, so the tests exercise the inlined code
// the core is built from. Pointers are offsets into this module's memory; the
// tests write their bytes at buffer().

import { ipv4Version, ipv4HeaderLen, ipv4TotalLen, ipv4Id, ipv4Proto, ipv4FragOffset, ipv4MoreFragments, ipv4IsFragment,
  ipv4NoOptions, ipv4CheckLen, ipv4Build, ipv4SetAddr, ipv4SetAddrFolded, ipv4AddrDelta, ipv4FillChecksum } from '../../assembly/wire/ipv4';
import { ipv6Version, ipv6PayloadLen, ipv6Next, ipv6CheckLen, ipv6Build, ipv6SetAddr, ipv6PseudoSum, extLen, fragOffset,
  fragMore, fragId } from '../../assembly/wire/ipv6';
import { srcPort, dstPort, tcpHeaderLen, tcpFlags, udpLen, sctpChunkType, icmpType, icmpCode, tcpCheckLen, udpCheckLen,
  sctpCheckLen, icmpCheckLen, l4SetPort, l4SetPortFolded, sctpSetPort, icmp6FoldAddr, portDelta } from '../../assembly/wire/l4';
import { parseLink, linkReason, linkL3, linkEtherType, ethTypeIs } from '../../assembly/wire/link';
import { quoteSetAddr, quoteSetPort, quoteChecksums } from '../../assembly/wire/quote';
import { fold, fold32, sumBytes } from '../../assembly/wire/checksum';
import { crc32cInit, crc32c } from '../../assembly/wire/crc32c';

const BUF: usize = memory.data(8192, 16);
export function buffer(): usize { return BUF; }
export function init(): void { crc32cInit(); }

// checksum.ts
export function checksum(p: usize, len: usize): u32 { return ~fold(sumBytes(p, len, 0)) & 0xffff; }
export function crc(p: usize, len: usize, skip: usize): u32 { return crc32c(p, len, skip); }

// ipv4.ts
export function v4Version(p: usize): u32 { return ipv4Version(p); }
export function v4HeaderLen(p: usize): u32 { return ipv4HeaderLen(p); }
export function v4TotalLen(p: usize): u32 { return ipv4TotalLen(p); }
export function v4Id(p: usize): u32 { return ipv4Id(p); }
export function v4Proto(p: usize): u32 { return ipv4Proto(p); }
export function v4FragOffset(p: usize): u32 { return ipv4FragOffset(p); }
export function v4MoreFragments(p: usize): bool { return ipv4MoreFragments(p); }
export function v4IsFragment(p: usize): bool { return ipv4IsFragment(p); }
export function v4NoOptions(p: usize): bool { return ipv4NoOptions(p); }
export function v4CheckLen(p: usize, captured: u32): bool { return ipv4CheckLen(p, captured); }
export function v4Build(p: usize, totalLen: u32, id: u32, ttl: u32, proto: u32, src: usize, dst: usize): void {
  ipv4Build(p, totalLen, id, ttl, proto, src, dst);
}
export function v4FillChecksum(p: usize, hlen: u32): void { ipv4FillChecksum(p, hlen); }
export function v4SetAddr(p: usize, off: usize, n: u32): u64 { return ipv4SetAddr(p, off, n); }
export function v4AddrDeltaFolded(o: u32, n: u32): u32 { return fold32(<u32>ipv4AddrDelta(o, n)); }
export function v4SetAddrFolded(p: usize, off: usize, o: u32, n: u32, folded: u32): bool { return ipv4SetAddrFolded(p, off, o, n, folded); }

// ipv6.ts
export function v6Version(p: usize): u32 { return ipv6Version(p); }
export function v6PayloadLen(p: usize): u32 { return ipv6PayloadLen(p); }
export function v6Next(p: usize): u32 { return ipv6Next(p); }
export function v6CheckLen(p: usize, captured: u32): bool { return ipv6CheckLen(p, captured); }
export function v6Build(p: usize, payloadLen: u32, next: u32, hopLimit: u32, src: usize, dst: usize): void {
  ipv6Build(p, payloadLen, next, hopLimit, src, dst);
}
export function v6SetAddr(p: usize, off: usize, src: usize): u64 { return ipv6SetAddr(p, off, src); }
/** The full checksum of `len` upper-layer bytes at `l4` under the pseudo-header of `ip`. */
export function v6L4Checksum(ip: usize, l4: usize, len: u32, next: u32): u32 {
  return ~fold(sumBytes(l4, len, ipv6PseudoSum(ip, len, next))) & 0xffff;
}
export function v6ExtLen(p: usize, next: u32): u32 { return extLen(p, next); }
export function v6FragOffset(p: usize): u32 { return fragOffset(p); }
export function v6FragMore(p: usize): bool { return fragMore(p); }
export function v6FragId(p: usize): u32 { return fragId(p); }

// l4.ts
export function l4SrcPort(p: usize): u32 { return srcPort(p); }
export function l4DstPort(p: usize): u32 { return dstPort(p); }
export function l4TcpHeaderLen(p: usize): u32 { return tcpHeaderLen(p); }
export function l4TcpFlags(p: usize): u32 { return tcpFlags(p); }
export function l4UdpLen(p: usize): u32 { return udpLen(p); }
export function l4SctpChunkType(p: usize): u32 { return sctpChunkType(p); }
export function l4IcmpType(p: usize): u32 { return icmpType(p); }
export function l4IcmpCode(p: usize): u32 { return icmpCode(p); }
export function l4TcpCheckLen(p: usize, captured: u32, len: u32): bool { return tcpCheckLen(p, captured, len); }
export function l4UdpCheckLen(p: usize, captured: u32): bool { return udpCheckLen(p, captured); }
export function l4SctpCheckLen(captured: u32): bool { return sctpCheckLen(captured); }
export function l4IcmpCheckLen(captured: u32): bool { return icmpCheckLen(captured); }
export function l4SetPortWith(l4: usize, proto: u32, off: usize, port: u32, d: u64): bool { return l4SetPort(l4, proto, off, port, d); }
export function l4PortDeltaFolded(o: u32, n: u32): u32 { return fold32(<u32>portDelta(o, n)); }
export function l4FoldedSum(a: u32, b: u32): u32 { return fold32(a + b); }
export function l4SetPortFoldedWith(l4: usize, proto: u32, off: usize, port: u32, folded: u32, addrChanged: bool): void {
  l4SetPortFolded(l4, proto, off, port, folded, addrChanged);
}
export function l4SctpSetPort(l4: usize, off: usize, port: u32, captured: u32, len: u32): bool {
  return sctpSetPort(l4, off, port, captured, len);
}
export function l4Icmp6FoldAddr(l4: usize, d: u64): void { icmp6FoldAddr(l4, d); }

// link.ts
export function linkParse(p: usize, caplen: u32, linkType: u32): u64 { return parseLink(p, caplen, linkType); }
export function linkResultReason(r: u64): u32 { return linkReason(r); }
export function linkResultL3(r: u64): u32 { return linkL3(r); }
export function linkResultType(r: u64): u32 { return linkEtherType(r); }
export function linkEthTypeIs(p: usize, type: u32): bool { return ethTypeIs(p, type); }

// quote.ts
export function qSetAddr(at: usize, src: usize, len: u32): u64 { return quoteSetAddr(at, src, len); }
export function qSetPort(at: usize, port: u32): u64 { return quoteSetPort(at, port); }
export function qChecksums(icmp: usize, inner: usize, family: u32, il4: usize, proto: u32, l4avail: u32, dIp: u64, dL4: u64): void {
  quoteChecksums(icmp, inner, family, il4, proto, l4avail, dIp, dL4);
}
