// What the whatif page's charts draw, from a whatif report: bounded whatever the cluster (the
// service ports with the most connections, their busiest backends). Pure and free of Node.

import type { WhatifReport } from '../whatif/whatif.js';

/** Service ports charted (most connections first). */
export const WHATIF_CHART_SERVICES = 12;
/** Backends per chart (most connections in either state; the rest counted). */
export const WHATIF_CHART_BACKENDS = 32;

export interface WhatifView {
  /** Per service port: its connections kept, moved, lost, gained, unserved (the stacked bar chart). */
  outcomes: { service: string; kept: number; moved: number; lost: number; gained: number; unserved: number }[];
  /** Per charted service port with backends: each backend's share of connections now and in the proposed state. */
  loads: { service: string; rows: { backend: string; current: number; next: number }[]; others: number }[];
}

export function whatifView(r: WhatifReport): WhatifView {
  const top = [...r.services].sort((a, b) => b.connections - a.connections || (a.service < b.service ? -1 : 1)).slice(0, WHATIF_CHART_SERVICES);
  return {
    outcomes: top.map((s) => ({ service: s.service, kept: s.kept, moved: s.moved, lost: s.lost, gained: s.gained, unserved: s.unserved })),
    loads: top.filter((s) => s.backends.length > 0).map((s) => {
      const busiest = [...s.backends].sort((a, b) => Math.max(b.current.connections, b.next.connections) - Math.max(a.current.connections, a.next.connections))
        .slice(0, WHATIF_CHART_BACKENDS);
      const shown = new Set(busiest.map((b) => b.backend));
      const rows = s.backends.filter((b) => shown.has(b.backend))
        .map((b) => ({ backend: b.backend, current: 100 * b.current.share, next: 100 * b.next.share }));
      return { service: s.service, rows, others: s.backends.length - rows.length };
    }),
  };
}
