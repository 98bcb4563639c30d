// `svcplane explain`'s text: one block of lines per packet, in the order of the core's stages.

import type { PacketExplanation } from './packet.js';

export function formatExplanation(e: PacketExplanation): string {
  const lines = [`frame ${e.frame} (packet ${e.index}) at ${e.time}: ${e.in ?? 'not IP'}`];
  const ct = e.conntrack;
  const found = {
    none: 'no connection',
    followed: `${ct.direction === 'reply' ? 'a reply' : 'an original-direction packet'} of a connection in ${ct.before}`,
    stale: `a connection in ${ct.before} that had expired or is reopened: deleted, the packet goes on as new`,
    related: `an ICMP error about a connection in ${ct.before} (${ct.direction} direction)`,
  }[ct.found];
  lines.push(`  conntrack before: ${found}`);
  if (e.frontend) lines.push(`  frontend: ${e.frontend.kind} ${e.frontend.address} of ${e.frontend.service}`);
  const ep = e.endpoints;
  if (ep) {
    lines.push(`  endpoint set: ${ep.set}, ${ep.size} endpoint${ep.size === 1 ? '' : 's'}: ${ep.policy}`);
    lines.push(`    ${ep.rule}`);
    for (const c of ep.considered) {
      const where = [c.node && `node ${c.node}`, c.zone && `zone ${c.zone}`].filter(Boolean).join(', ');
      const state = c.ready ? 'ready' : !c.terminating ? 'not ready' : c.serving ? 'serving, terminating' : 'terminating, not serving';
      const part = c.excluded ? `excluded: ${c.excluded}` : c.chosen ? 'in the set, chosen' : 'in the set';
      lines.push(`    ${c.endpoint} (${[state, where].filter(Boolean).join(', ')}): ${part}`);
    }
  }
  const b = e.backend;
  if (b) {
    const how = b.by === 'maglev' ? `Maglev slot ${b.maglevSlot} of ${b.maglevSize}` : b.by === 'conntrack' ? 'the connection\'s' : b.by === 'affinity'
      ? 'ClientIP affinity (rule 22)' : 'random choice';
    lines.push(`  backend: ${b.address} (${how})`);
  }
  const s = e.source;
  if (s) {
    if (s.nat === 'kept') lines.push(`  source: kept, ${s.why}`);
    else if (s.nat === 'port-only') lines.push(`  source: port ${s.port} chosen, ${s.why}`);
    else lines.push(`  source: ${s.nat === 'hairpin' ? 'hairpin, masqueraded' : 'masqueraded'} to ${s.address}, port ${s.port} chosen: ${s.why}`);
  }
  lines.push(`  conntrack after: ${ct.after === 'none' ? 'no connection' : `${ct.after}, expires at ${ct.expires}`}`);
  lines.push(`  verdict: ${e.verdict}${e.reason ? ` (${e.reason})` : ''}${e.out && e.out !== e.in ? `: ${e.out}` : ''}`);
  if (e.rule) lines.push(`    ${e.rule}`);
  return lines.join('\n');
}
