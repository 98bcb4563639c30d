// Which packets belong to the flow `svcplane explain` was asked about: `--flow` parsed into a
// tuple, and the packets of its connection in both directions, before and after translation.

import { canonicalIP, parseIP } from '../k8s/ip.js';
import { EX_CT, EX_CT_REC, EXC_RELATED } from '../core/abi.js';
import type { FlowTuple } from '../replay/trace.js';

/** A --flow that cannot be read: the message says what is wrong. */
export class FlowSpecError extends Error {}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };
const WITH_PORTS = new Set([6, 17, 132]);

/**
 * `tcp 10.0.0.1:40000 > 10.96.0.10:80`, `udp [fd00::1]:5353 > [fd00::a]:53`, `icmp 10.0.0.1 > 10.0.0.2`:
 * the protocol (tcp, udp, sctp with ports; icmp, icmpv6 without), then source > destination.
 */
export function parseFlowSpec(text: string): FlowTuple {
  const m = /^\s*(\S+)\s+(\S+)\s*>\s*(\S+)\s*$/.exec(text);
  if (!m) throw new FlowSpecError(`expected '<proto> <src> > <dst>', e.g. 'tcp 10.0.0.1:40000 > 10.96.0.10:80'`);
  const proto = PROTOCOLS[m[1]!.toLowerCase()];
  if (proto === undefined) throw new FlowSpecError(`unknown protocol '${m[1]}' (tcp, udp, sctp, icmp, icmpv6)`);
  const ports = WITH_PORTS.has(proto);
  const src = endpoint(m[2]!, ports, text);
  const dst = endpoint(m[3]!, ports, text);
  if (src.family !== dst.family) throw new FlowSpecError(`source and destination are of different IP families`);
  if ((proto === 1 && src.family !== 4) || (proto === 58 && src.family !== 6)) {
    throw new FlowSpecError(`${m[1]} needs IPv${proto === 1 ? 4 : 6} addresses`);
  }
  return { family: src.family, proto, src: src.ip, dst: dst.ip, sport: src.port, dport: dst.port };
}

function endpoint(text: string, ports: boolean, spec: string): { ip: string; family: 4 | 6; port?: number } {
  let host = text;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) [host, port] = [v6[1]!, v6[2]];
  else if (text.split(':').length === 2) [host, port] = text.split(':') as [string, string];
  const ip = parseIP(host);
  if (!ip) throw new FlowSpecError(`'${host}' is not an IP address (IPv6 is written [addr]:port)`);
  if (!ports) {
    if (port !== undefined) throw new FlowSpecError(`this protocol has no ports`);
    return { ip: canonicalIP(host)!, family: ip.family };
  }
  if (port === undefined || !/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) {
    throw new FlowSpecError(`'${text}' needs a port from 0 to 65535`);
  }
  return { ip: canonicalIP(host)!, family: ip.family, port: Number(port) };
}

/** A tuple as a lookup key (the protocol by number, ports when it has them). */
export function tupleKey(t: FlowTuple): string {
  return t.sport === undefined ? `${t.proto} ${t.src} ${t.dst}` : `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
}

export function reverseTuple(t: FlowTuple): FlowTuple {
  return { family: t.family, proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/**
 * The packets of one connection: its tuple either way round; once a packet of it has been
 * translated, the translated tuple either way round (a backend's reply, or the capture's own
 * translated copy); and ICMP errors the core relates to its conntrack record (they carry neither
 * tuple). Only ICMP errors go by the record: a record is reused once its connection is gone.
 */
export class FlowMatcher {
  private readonly keys = new Set<string>();
  private readonly records = new Set<number>();

  constructor(flow: FlowTuple) {
    this.add(flow);
  }

  /** Whether the packet, read as `in` and decided as `decided` (EX_* words), is the flow's; if so, learns its translation. */
  take(tin: FlowTuple | undefined, tout: FlowTuple | undefined, decided: Uint32Array): boolean {
    const onRecord = decided[EX_CT] === EXC_RELATED && this.records.has(decided[EX_CT_REC]!);
    if (!onRecord && (tin === undefined || !this.keys.has(tupleKey(tin)))) return false;
    if (tout !== undefined) this.add(tout);
    if (decided[EX_CT_REC]) this.records.add(decided[EX_CT_REC]!);
    return true;
  }

  private add(t: FlowTuple): void {
    this.keys.add(tupleKey(t));
    this.keys.add(tupleKey(reverseTuple(t)));
  }
}
