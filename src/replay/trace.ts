// --trace lines: one JSON object per input packet. The `in` side is read
// from a copy of the batch's bytes taken before the core ran; the `out`
// side from the rewritten bytes. The core reports where the IP and
// transport headers are, so no parsing is repeated here.

import {
  D_L3_OFF, D_L4_OFF, D_META, D_OFFSET, NO_OFFSET, DESC_WORDS, D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF,
  D_EXTRA_LEN, D_TS_SEC, D_TS_NSEC, VERDICT_DROP, VERDICT_REJECT, VERDICT_NAMES, reasonName,
} from '../core/abi.js';
import type { ServiceTables } from '../core/tables.js';
import { formatIP } from '../k8s/ip.js';

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
const HAS_PORTS = new Set([6, 17, 132]);

/** The addresses, protocol and ports of a packet (ports undefined for protocols without them). */
export interface FlowTuple {
  family: 4 | 6;
  proto: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

/** The tuple of the packet described by descriptor i, read from `bytes`; undefined when it is not IP. */
export function flowTuple(bytes: Uint8Array, desc: Uint32Array, i: number): FlowTuple | undefined {
  const d = i * DESC_WORDS;
  const l3 = desc[d + D_L3_OFF];
  if (l3 === NO_OFFSET) return undefined;
  const base = desc[d + D_OFFSET] + l3;
  const meta = desc[d + D_META];
  const family = (meta >>> 8) as 4 | 6;
  const proto = meta & 0xff;
  const [srcOff, dstOff, len] = family === 4 ? [12, 16, 4] : [8, 24, 16];
  const src = formatIP(bytes.subarray(base + srcOff, base + srcOff + len));
  const dst = formatIP(bytes.subarray(base + dstOff, base + dstOff + len));
  const l4 = desc[d + D_L4_OFF];
  if (l4 === NO_OFFSET || !HAS_PORTS.has(proto)) return { family, proto, src, dst };
  const p = desc[d + D_OFFSET] + l4;
  return { family, proto, src, dst, sport: (bytes[p] << 8) | bytes[p + 1], dport: (bytes[p + 2] << 8) | bytes[p + 3] };
}

/** "TCP 10.0.0.5:40000 > 10.96.0.10:80" (IPv6 in brackets; no ports for protocols without them). */
export function formatTuple(t: FlowTuple): string {
  const name = PROTO_NAMES[t.proto] ?? `IP-PROTO-${t.proto}`;
  if (t.sport === undefined) return `${name} ${t.src} > ${t.dst}`;
  return `${name} ${hostPort(t.src, t.family, t.sport)} > ${hostPort(t.dst, t.family, t.dport!)}`;
}

/** "TCP 10.0.0.5:40000 > 10.96.0.10:80" for the packet described by descriptor i, read from `bytes`. */
export function describeFlow(bytes: Uint8Array, desc: Uint32Array, i: number): string | undefined {
  const t = flowTuple(bytes, desc, i);
  return t && formatTuple(t);
}

export function hostPort(ip: string, family: number, port: number): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The --trace line of descriptor i (packet `index` of the capture, from 0; tshark's frame number
 * `frame`): `before` holds the batch's bytes as read, `after` as the core left them, `extra` the
 * packets it generated.
 */
export function traceLine(index: number, frame: number, before: Uint8Array, after: Uint8Array, extra: Uint8Array, desc: Uint32Array, i: number,
                          tables: ServiceTables): string {
  const d = i * DESC_WORDS;
  const verdict = desc[d + D_VERDICT];
  // time: as tshark's frame.time_epoch (seconds, 9 decimals).
  const o: Record<string, unknown> = { index, frame, time: epochText(desc[d + D_TS_SEC], desc[d + D_TS_NSEC]), verdict: VERDICT_NAMES[verdict] };
  if (verdict === VERDICT_DROP || verdict === VERDICT_REJECT) o.reason = reasonName(desc[d + D_REASON]);
  const svc = desc[d + D_SERVICE];
  if (svc > 0) o.service = tables.slotNames[svc - 1];
  const be = desc[d + D_BACKEND];
  if (be > 0) o.backend = tables.backendNames[be - 1];
  const fin = describeFlow(before, desc, i);
  if (fin !== undefined) {
    o.in = fin;
    o.out = describeFlow(after, desc, i);
  }
  const extraLen = desc[d + D_EXTRA_LEN];
  if (extraLen > 0) o.generated = describeReject(extra, desc[d + D_EXTRA_OFF], extraLen, desc[d + D_L3_OFF]);
  return JSON.stringify(o);
}

export function epochText(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

const ICMP_UNREACHABLE: Record<string, string> = { '4:3:3': 'port unreachable', '6:1:4': 'port unreachable' };

/**
 * What the core wrote for a rejected packet: an ICMP or ICMPv6 error behind the rejected frame's
 * own link header (`l3` bytes, assembly/reject.ts), e.g. "ICMP 10.96.0.10 > 10.244.1.5 port unreachable, 70 bytes".
 */
function describeReject(bytes: Uint8Array, off: number, len: number, l3: number): string {
  const ip = off + l3;
  if (l3 === NO_OFFSET || l3 + 20 > len) return `${len} bytes`;
  const family = bytes[ip] >>> 4;
  const [srcOff, dstOff, addrLen, hlen, proto, name] = family === 4
    ? [12, 16, 4, (bytes[ip] & 0xf) * 4, bytes[ip + 9], 'ICMP'] as const
    : [8, 24, 16, 40, bytes[ip + 6], 'ICMPv6'] as const;
  if (l3 + hlen + 2 > len) return `${len} bytes`;
  const src = formatIP(bytes.subarray(ip + srcOff, ip + srcOff + addrLen));
  const dst = formatIP(bytes.subarray(ip + dstOff, ip + dstOff + addrLen));
  const type = bytes[ip + hlen];
  const code = bytes[ip + hlen + 1];
  const what = ICMP_UNREACHABLE[`${family}:${type}:${code}`] ?? `type ${type} code ${code}`;
  return `${PROTO_NAMES[proto] ?? name} ${src} > ${dst} ${what}, ${len} bytes`;
}
