// --listen: where the proxy accepts clients and which Service frontend they reach.
//   <ip>:<port>=<namespace>/<name>:<port name or number>   a Service's ClusterIP and port (protocol from its spec)
//   <ip>:<port>=<vip>:<port>/<tcp|udp>                      any frontend the core knows (ClusterIP, externalIP, LB IP)

import type { ClusterObjects } from '../../src/node.js';
import { isIPv4, type Endpoint } from './packet.js';

export interface ListenSpec {
  protocol: 'TCP' | 'UDP';
  /** Where the proxy listens (port 0: one the system picks). */
  listen: Endpoint;
  /** The frontend the core is shown: the connection's destination. */
  frontend: Endpoint;
  /** The option as given, for messages. */
  text: string;
}

/** A bad option value (exit 2). */
export class UsageError extends Error {}

function port(text: string, what: string, allowZero: boolean): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n <= 65535 && (n > 0 || (allowZero && n === 0)))) throw new Error(`${what} ${JSON.stringify(text)} is not a port number`);
  return n;
}

function endpoint(text: string, what: string, allowZero: boolean): Endpoint {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new Error(`${what} ${JSON.stringify(text)} is not <ip>:<port>`);
  const ip = text.slice(0, colon);
  if (!isIPv4(ip)) throw new Error(`${what} address ${JSON.stringify(ip)} is not an IPv4 address (the proxy carries IPv4)`);
  return { ip, port: port(text.slice(colon + 1), what, allowZero) };
}

/** Parses one --listen value, resolving a Service name against `objects`. Throws UsageError. */
export function parseListen(text: string, objects: ClusterObjects): ListenSpec {
  try {
    const eq = text.indexOf('=');
    if (eq < 0) throw new Error('expected <ip>:<port>=<namespace>/<service>:<port> or <ip>:<port>=<vip>:<port>/<tcp|udp>');
    const listen = endpoint(text.slice(0, eq), 'listen', true);
    const target = text.slice(eq + 1);
    const byVip = /^(.*)\/(tcp|udp)$/i.exec(target);
    if (byVip) {
      return { protocol: byVip[2]!.toUpperCase() as 'TCP' | 'UDP', listen, frontend: endpoint(byVip[1]!, 'frontend', false), text };
    }
    return { ...serviceFrontend(target, objects), listen, text };
  } catch (e) {
    throw new UsageError(`--listen ${text}: ${(e as Error).message}`);
  }
}

/** The ClusterIP and port of `namespace/name:port` in the cluster's objects. */
function serviceFrontend(target: string, objects: ClusterObjects): { protocol: 'TCP' | 'UDP'; frontend: Endpoint } {
  const m = /^(?:([^/:]+)\/)?([^/:]+):([^/:]+)$/.exec(target);
  if (!m) throw new Error(`${JSON.stringify(target)} is neither <namespace>/<service>:<port> nor <vip>:<port>/<tcp|udp>`);
  const key = `${m[1] ?? 'default'}/${m[2]}`;
  const svc = objects.services.get(key);
  if (!svc) throw new Error(`no Service ${key} in the cluster files`);
  const p = svc.spec.ports.find((sp) => sp.name === m[3] || String(sp.port) === m[3]);
  if (!p) throw new Error(`Service ${key} has no port ${m[3]}`);
  if (p.protocol === 'SCTP') throw new Error(`Service ${key} port ${m[3]} is SCTP (the proxy carries TCP and UDP)`);
  const ip = svc.spec.clusterIP;
  if (!ip || !isIPv4(ip)) throw new Error(`Service ${key} has no IPv4 ClusterIP`);
  return { protocol: p.protocol, frontend: { ip, port: p.port } };
}
