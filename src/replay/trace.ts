// --trace lines: one JSON object per input packet. The `in` side is read
// from a copy of the batch's bytes taken before the core ran; the `out`
// side from the rewritten bytes. The core reports where the IP and
// transport headers are, so no parsing is repeated here.

import { D_L3_OFF, D_L4_OFF, D_META, D_OFFSET, NO_OFFSET, DESC_WORDS } from '../core/abi.js';
import { formatIP } from '../k8s/ip.js';

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
const HAS_PORTS = new Set([6, 17, 132]);

/** "TCP 10.0.0.5:40000 > 10.96.0.10:80" for the packet described by descriptor i, read from `bytes`. */
export function describeFlow(bytes: Uint8Array, desc: Uint32Array, i: number): string | undefined {
  const d = i * DESC_WORDS;
  const l3 = desc[d + D_L3_OFF];
  if (l3 === NO_OFFSET) return undefined;
  const base = desc[d + D_OFFSET] + l3;
  const meta = desc[d + D_META];
  const family = meta >>> 8;
  const proto = meta & 0xff;
  const [srcOff, dstOff, len] = family === 4 ? [12, 16, 4] : [8, 24, 16];
  const src = formatIP(bytes.subarray(base + srcOff, base + srcOff + len));
  const dst = formatIP(bytes.subarray(base + dstOff, base + dstOff + len));
  const name = PROTO_NAMES[proto] ?? `IP-PROTO-${proto}`;
  const l4 = desc[d + D_L4_OFF];
  if (l4 === NO_OFFSET || !HAS_PORTS.has(proto)) return `${name} ${src} > ${dst}`;
  const p = desc[d + D_OFFSET] + l4;
  const sport = (bytes[p] << 8) | bytes[p + 1];
  const dport = (bytes[p + 2] << 8) | bytes[p + 3];
  return `${name} ${hostPort(src, family, sport)} > ${hostPort(dst, family, dport)}`;
}

function hostPort(ip: string, family: number, port: number): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
