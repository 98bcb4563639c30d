// The counters the core keeps, read out in the shape of the report (docs/cli.md): packets per
// verdict, drops and rejects per reason, per-service-port and per-backend traffic, conntrack.

import type { Core } from './core.js';
import type { ServiceTables } from './tables.js';
import { VERDICT_PASS, VERDICT_TRANSLATED, VERDICT_REVERSED, VERDICT_DROP, VERDICT_REJECT, reasonName } from './abi.js';

export interface BackendReport { backend: string; packets: number; bytes: number; connections: number }
export interface ServiceReport { service: string; packets: number; bytes: number; connections: number; backends: BackendReport[] }

export interface Counters {
  packets: { in: number; translated: number; reversed: number; passed: number; dropped: number; rejected: number };
  /** Packets per drop or reject reason name (only those seen). */
  drops: Record<string, number>;
  /** One entry per service port ever programmed, by name; dual-stack families of one port are summed. */
  services: ServiceReport[];
  conntrack: { entries: number; peak: number; evicted: number };
  /** Packets the fast paths handled: established flows and plain SYNs to a ClusterIP (the rest took the general path). */
  fastPath: number;
}

export function readCounters(core: Core, tables: ServiceTables): Counters {
  const v = core.verdictCounts();
  const packets = {
    in: 0, translated: v[VERDICT_TRANSLATED], reversed: v[VERDICT_REVERSED], passed: v[VERDICT_PASS],
    dropped: v[VERDICT_DROP], rejected: v[VERDICT_REJECT],
  };
  packets.in = packets.passed + packets.translated + packets.reversed + packets.dropped + packets.rejected;
  const drops: Record<string, number> = {};
  core.reasonCounts().forEach((n, r) => { if (r > 0 && n > 0) drops[reasonName(r)] = n; });
  const byName = new Map<string, ServiceReport>();
  tables.slotNames.forEach((name, slot) => {
    if (name === undefined) return;
    const [packetsN, bytes, conns] = tables.serviceCounters(slot);
    let s = byName.get(name);
    if (!s) { s = { service: name, packets: 0, bytes: 0, connections: 0, backends: [] }; byName.set(name, s); }
    s.packets += packetsN; s.bytes += bytes; s.connections += conns;
    for (const [backend, [bp, bb, bc]] of tables.backendLoads(slot)) s.backends.push({ backend, packets: bp, bytes: bb, connections: bc });
  });
  const services = [...byName.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  for (const s of services) s.backends.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
  const ct = core.conntrack();
  return { packets, drops, services, conntrack: { entries: ct.entries, peak: ct.peak, evicted: ct.evicted }, fastPath: core.fastPathPackets() };
}
