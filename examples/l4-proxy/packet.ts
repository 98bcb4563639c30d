// The synthetic packets the proxy shows the core: a bare IPv4 header and a TCP or UDP header
// (link type IPV4, no payload bytes), one per event of a connection (SYN, segment, FIN, RST) or
// per datagram. The payload is only counted: the wire length says how long the real packet was,
// so the core's byte counters see it. Checksums are left zero: the core never verifies them and
// the proxy never sends these bytes anywhere.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-------+-------+---------------+-------------------------------+
// |Version|  IHL  |      TOS      |          Total Length         |  IPv4 (RFC 791)
// |         Identification        |Flags|     Fragment Offset     |
// |      TTL      |   Protocol    |        Header Checksum        |
// |                        Source Address                         |
// |                     Destination Address                       |
// +---------------------------------------------------------------+
// |          Source Port          |        Destination Port       |  TCP (RFC 9293) / UDP (RFC 768)
// |  TCP: sequence number                 UDP: length, checksum   |
// |  TCP: acknowledgment number                                   |
// |  Offset | Rsvd |    Flags      |            Window             |
// |           Checksum            |        Urgent Pointer         |
// +---------------------------------------------------------------+

import { isIP } from 'node:net';
import { abi } from '../../src/node.js';

const IP_VER_IHL = 0;
const IP_TOTAL_LENGTH = 2;
const IP_TTL = 8;
const IP_PROTOCOL = 9;
const IP_SRC = 12;
const IP_DST = 16;
const IP_HEADER_BYTES = 20;

const L4_SRC_PORT = IP_HEADER_BYTES + 0;
const L4_DST_PORT = IP_HEADER_BYTES + 2;
const TCP_SEQ = IP_HEADER_BYTES + 4;
const TCP_ACK = IP_HEADER_BYTES + 8;
const TCP_DATA_OFFSET = IP_HEADER_BYTES + 12;
const TCP_FLAGS = IP_HEADER_BYTES + 13;
const TCP_WINDOW = IP_HEADER_BYTES + 14;
const TCP_HEADER_BYTES = 20;
const UDP_LENGTH = IP_HEADER_BYTES + 4;
const UDP_HEADER_BYTES = 8;

const VERSION_4_IHL_5 = 0x45;
const DEFAULT_TTL = 64;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** The link type of these packets (raw IPv4). */
export const LINK_TYPE = abi.LINK_IPV4;

/** One endpoint of a flow: an IPv4 address and a port. */
export interface Endpoint { ip: string; port: number }

/** The addresses a packet carries (after the core's NAT: where it goes and where it says it is from). */
export interface Tuple { src: Endpoint; dst: Endpoint }

/** True when `ip` is dotted-quad IPv4 (the only family these packets carry). */
export function isIPv4(ip: string): boolean {
  return isIP(ip) === 4;
}

function writeAddr(b: Uint8Array, at: number, ip: string): void {
  const parts = ip.split('.');
  for (let i = 0; i < 4; i++) b[at + i] = Number(parts[i]);
}

function readAddr(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function writeIPv4(b: Uint8Array, v: DataView, proto: number, t: Tuple, wireLength: number): void {
  b[IP_VER_IHL] = VERSION_4_IHL_5;
  v.setUint16(IP_TOTAL_LENGTH, wireLength);
  b[IP_TTL] = DEFAULT_TTL;
  b[IP_PROTOCOL] = proto;
  writeAddr(b, IP_SRC, t.src.ip);
  writeAddr(b, IP_DST, t.dst.ip);
  v.setUint16(L4_SRC_PORT, t.src.port);
  v.setUint16(L4_DST_PORT, t.dst.port);
}

/** A TCP segment header of `flags` carrying `payload` bytes (not included: wire length only). */
export function tcpPacket(t: Tuple, flags: number, seq: number, ack: number, payload = 0): { data: Uint8Array; wireLength: number } {
  const data = new Uint8Array(IP_HEADER_BYTES + TCP_HEADER_BYTES);
  const v = new DataView(data.buffer);
  const wireLength = data.length + payload;
  writeIPv4(data, v, PROTO_TCP, t, wireLength);
  v.setUint32(TCP_SEQ, seq >>> 0);
  v.setUint32(TCP_ACK, ack >>> 0);
  data[TCP_DATA_OFFSET] = (TCP_HEADER_BYTES / 4) << 4;
  data[TCP_FLAGS] = flags;
  v.setUint16(TCP_WINDOW, 0xffff);
  return { data, wireLength };
}

/** A UDP datagram header carrying `payload` bytes (not included: wire length only). */
export function udpPacket(t: Tuple, payload: number): { data: Uint8Array; wireLength: number } {
  const data = new Uint8Array(IP_HEADER_BYTES + UDP_HEADER_BYTES);
  const v = new DataView(data.buffer);
  const wireLength = data.length + payload;
  writeIPv4(data, v, PROTO_UDP, t, wireLength);
  v.setUint16(UDP_LENGTH, UDP_HEADER_BYTES + payload);
  return { data, wireLength };
}

/** The addresses and ports of a packet the core returned (its NAT applied). */
export function tupleOf(data: Uint8Array): Tuple {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    src: { ip: readAddr(data, IP_SRC), port: v.getUint16(L4_SRC_PORT) },
    dst: { ip: readAddr(data, IP_DST), port: v.getUint16(L4_DST_PORT) },
  };
}

/** The UDP datagram or TCP payload the IPv4 total length allows (65,535 bytes minus the headers). */
export const MAX_TCP_PAYLOAD = 0xffff - IP_HEADER_BYTES - TCP_HEADER_BYTES;
export const MAX_UDP_PAYLOAD = 0xffff - IP_HEADER_BYTES - UDP_HEADER_BYTES;
