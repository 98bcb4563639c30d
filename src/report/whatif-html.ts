// The whatif --html page: per service port the connections kept, moved, lost and gained, and each
// backend's load now beside its load in the proposed state. The page frame is the replay report's.

import type { WhatifReport } from '../whatif/whatif.js';
import { htmlPage, esc, fmt, barsHeight } from './html.js';
import { whatifView } from './whatif-view.js';
import { drawWhatifCharts } from './whatif-client.js';

const pct = (x: number): string => `${fmt(100 * x, 1)} %`;

/** The page for `report`; `chartJs` is Chart.js's UMD bundle (chartBundle()). Counts carry `data-field` attributes. */
export function renderWhatifHtml(r: WhatifReport, chartJs: string): string {
  const view = whatifView(r);
  const t = r.totals;
  const title = `svcplane whatif: ${r.capture.file}`;
  const replicas = r.next.replicas.map((e) => `<li>${esc(e.service)} ${e.family}: ${e.from} → ${e.to} ready endpoints` +
    `${e.added.length ? `, added ${esc(e.added.join(', '))}` : ''}${e.removed.length ? `, removed ${esc(e.removed.join(', '))}` : ''}</li>`).join('');
  const summary = `<p class="facts">${r.capture.packets} packets; backend choice ${r.current.lb} now, ${r.next.lb} proposed.
 Of <span data-field="totals.connections">${t.connections}</span> Service connections, <span data-field="totals.disrupted">${t.disrupted}</span>
 (${pct(t.disruptedShare)} of those served now) would be disrupted: <span data-field="totals.moved">${t.moved}</span> move to another backend,
 <span data-field="totals.lost">${t.lost}</span> lose theirs; <span data-field="totals.kept">${t.kept}</span> keep it,
 <span data-field="totals.gained">${t.gained}</span> gain one.</p>${replicas ? `<ul>${replicas}</ul>` : ''}`;
  const rows = r.services.map((s) => `<tr><td>${esc(s.service)}</td><td class="n">${s.connections}</td><td class="n" data-kept="${esc(s.service)}">${s.kept}</td>` +
    `<td class="n" data-moved="${esc(s.service)}">${s.moved}</td><td class="n">${s.lost}</td><td class="n">${s.gained}</td><td class="n">${s.unserved}</td><td class="n">${pct(s.disruptedShare)}</td>` +
    `<td class="n">${s.remaining.moved} of ${s.remaining.connections} (${pct(s.remaining.share)})</td></tr>`).join('');
  const outcomes = view.outcomes.length === 0 ? '<p class="note">No connection reached a Service.</p>'
    : `<div class="chart" style="height:${barsHeight(view.outcomes.length) + 40}px"><canvas id="chart-outcomes" aria-label="connections kept, moved, lost, gained and unserved per service port"></canvas></div>`;
  const loads = view.loads.map((l, i) => `<div><h3>${esc(l.service)}</h3><div class="chart"><canvas id="chart-load-${i}" aria-label="backend load of ${esc(l.service)}, current and proposed"></canvas></div>` +
    `${l.others > 0 ? `<p class="note">... and ${l.others} more backends.</p>` : ''}</div>`).join('\n');
  const body = [
    `<h1>${esc(title)}</h1>`,
    summary,
    `<section><h2>Connections per service port</h2>${outcomes}
<table><tr><th>service port</th><th class="n">connections</th><th class="n">kept</th><th class="n">moved</th><th class="n">lost</th><th class="n">gained</th><th class="n">unserved</th>` +
      `<th class="n">disrupted</th><th class="n">moved though their backend remains</th></tr>${rows}</table></section>`,
    loads ? `<section><h2>Load per backend, current and proposed</h2><p class="note">Each backend's share of its service port's connections.</p><div class="grid">${loads}</div></section>` : '',
    r.problems.length ? `<section><h2>Problems</h2><ul>${r.problems.slice(0, 200).map((p) => `<li>${esc(p)}</li>`).join('')}</ul></section>` : '',
  ].join('\n');
  return htmlPage(title, body, chartJs, view, drawWhatifCharts);
}
