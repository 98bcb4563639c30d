// The terminal summary of `svcplane whatif`: one line of totals, then per service port a line of
// counts and a table of its backends' load now and in the proposed state.

import type { WhatifReport } from './whatif.js';

/** Service ports shown (the most connections first); the rest are counted in one line. */
export const SUMMARY_SERVICES = 10;
/** Backends listed per service port (by address); the rest are counted. */
export const SUMMARY_BACKENDS = 32;

/** Moves (from → to) listed per service port, most first. */
export const SUMMARY_MOVES = 5;

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function formatWhatifSummary(r: WhatifReport): string {
  const t = r.totals;
  const lines = [
    `Whatif: ${r.capture.packets} packets, ${t.connections} Service connections; lb ${r.current.lb} → ${r.next.lb}`,
    `Disrupted: ${t.disrupted} (${pct(t.disruptedShare)} of those served now): ${t.moved} move, ${t.lost} lose their backend; ` +
      `${t.kept} keep it, ${t.gained} gain one, ${t.unserved} unserved in both`,
  ];
  for (const e of r.next.replicas) {
    const what = [e.added.length ? `${e.added.length} added` : '', e.removed.length ? `${e.removed.length} removed (${e.removed.join(', ')})` : '']
      .filter(Boolean).join(', ');
    lines.push(`Replicas ${e.service} ${e.family}: ${e.from} → ${e.to}${what ? ` (${what})` : ''}`);
  }
  const shown = [...r.services].sort((a, b) => b.connections - a.connections || (a.service < b.service ? -1 : 1)).slice(0, SUMMARY_SERVICES);
  for (const s of shown) {
    lines.push('');
    lines.push(`Service ${s.service}: ${s.connections} connections, kept ${s.kept}, moved ${s.moved}, lost ${s.lost}, gained ${s.gained}; ` +
      `disrupted ${pct(s.disruptedShare)}; moved though their backend remains: ${s.remaining.moved} of ${s.remaining.connections} (${pct(s.remaining.share)})`);
    if (s.backends.length === 0) {
      lines.push('  no endpoints in either state');
      continue;
    }
    const rows = s.backends.slice(0, SUMMARY_BACKENDS).map((b) => [
      b.backend + (b.inCurrent ? (b.inNext ? '' : ' (removed)') : b.inNext ? ' (new)' : ''),
      `${b.current.connections} (${pct(b.current.share)})`,
      `${b.next.connections} (${pct(b.next.share)})`,
      String(b.kept), String(b.movedAway), String(b.lost), String(b.movedIn),
    ]);
    lines.push(...table(['  backend', 'current', 'next', 'kept', 'moved away', 'lost', 'moved in'], rows.map((r) => [`  ${r[0]}`, ...r.slice(1)])));
    if (s.backends.length > rows.length) lines.push(`  ... and ${s.backends.length - rows.length} more backends`);
    if (s.moves.length > 0) {
      const top = s.moves.slice(0, SUMMARY_MOVES).map((m) => `${m.from} → ${m.to} ${m.connections}`).join(', ');
      lines.push(`  moves: ${top}${s.moves.length > SUMMARY_MOVES ? `, ... (${s.moves.length} pairs in --json)` : ''}`);
    }
  }
  const rest = r.services.length - shown.length;
  if (rest > 0) lines.push('', `... and ${rest} more service port${rest === 1 ? '' : 's'} (in --json)`);
  return lines.join('\n');
}

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
function table(head: string[], rows: string[][]): string[] {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}
