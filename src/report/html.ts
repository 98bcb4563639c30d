// The --html report: a replay report → one self-contained HTML page (Chart.js and the data inlined,
// nothing fetched). A pure function of its arguments, free of Node: the static page (web/) renders
// the same page from a report made in the browser.

import type { ReplayReport } from '../replay/report.js';
import { reportView, updateLabel, UPDATE_ROWS, VERDICTS, type ReportView } from './view.js';
import { drawCharts } from './client.js';

export interface HtmlReportOptions {
  /** The page title; default: "svcplane replay: <capture file>". */
  title?: string;
}

/**
 * The page for `report`; `chartJs` is Chart.js's UMD bundle (chart.umd.min.js: chartBundle() in
 * Node, fetched by the static page). The counts shown are the report's, with `data-field`
 * attributes naming the report field each comes from.
 */
export function renderHtmlReport(report: ReplayReport, chartJs: string, opts: HtmlReportOptions = {}): string {
  const view = reportView(report);
  const title = opts.title ?? `svcplane replay: ${report.capture.file}`;
  const c = report.capture;
  const span = c.firstTimestamp !== null && c.lastTimestamp !== null ? c.lastTimestamp - c.firstTimestamp : 0;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="facts">${esc(c.format)} (${esc(c.linkTypes.join(', ') || 'no packets')}), ${fmt(span, 3)} s of capture time,
     <span data-field="bytes.in">${report.bytes.in}</span> bytes in, <span data-field="bytes.out">${report.bytes.out}</span> bytes out,
     <span data-field="generated">${report.generated}</span> packets generated; replayed in ${fmt(report.seconds, 2)} s</p>`,
    verdictSection(report, view),
    dropSection(report, view),
    conntrackSection(report, view),
    serviceSection(view),
    backendSection(view),
    updateSection(report, view),
    problemSection(report),
  ].join('\n');
  return htmlPage(title, body, chartJs, view, drawCharts);
}

/**
 * One self-contained page: the report style, `body`, Chart.js and `data` inlined, and `draw`
 * (a function that uses nothing but its arguments) called with Chart, the data and the document.
 */
export function htmlPage(title: string, body: string, chartJs: string, data: unknown,
                         draw: (Chart: never, data: never, doc: Document) => void): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script>${inlineScript(stripSourceMap(chartJs))}</script>
<script type="application/json" id="report-view">${jsonForScript(data)}</script>
<script>(${draw.toString()})(window.Chart, JSON.parse(document.getElementById('report-view').textContent), document);</script>
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; word-break: break-all; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.chart { position: relative; height: 280px; } .chart.tall { height: 380px; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: 2px 10px; text-align: left; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f6f6f6; } .facts, .note { color: #555; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1em; }
`;

function verdictSection(r: ReplayReport, view: ReportView): string {
  const rows = [['in', r.packets.in], ...VERDICTS.map((v) => [v, r.packets[v]] as const)]
    .map(([v, n]) => `<tr><td>${v}</td><td class="n" data-field="packets.${v}">${n}</td></tr>`).join('');
  const chart = view.rates
    ? `<div class="chart tall"><canvas id="chart-verdicts" aria-label="packets per second by verdict over capture time"></canvas></div>`
    : '<p class="note">No timeline in this report.</p>';
  return `<section><h2>Packets and verdicts over capture time</h2>${chart}<table><tr><th>verdict</th><th class="n">packets</th></tr>${rows}</table></section>`;
}

function dropSection(r: ReplayReport, view: ReportView): string {
  if (view.drops.length === 0) return '<section><h2>Drops and rejects</h2><p class="note">None.</p></section>';
  const rows = view.drops.map((d) => `<tr><td>${esc(d.reason)}</td><td class="n" data-field="drops.${esc(d.reason)}">${d.packets}</td></tr>`).join('');
  return `<section><h2>Drops and rejects by reason</h2><div class="chart" style="height:${barsHeight(view.drops.length)}px"><canvas id="chart-drops" aria-label="drops and rejects by reason"></canvas></div>
<table><tr><th>reason</th><th class="n">packets</th></tr>${rows}</table>
<p class="note">${r.packets.dropped} dropped and ${r.packets.rejected} rejected (an ICMP unreachable sent back).</p></section>`;
}

function conntrackSection(r: ReplayReport, view: ReportView): string {
  const ct = r.conntrack;
  const chart = view.conntrack ? `<div class="chart"><canvas id="chart-conntrack" aria-label="conntrack entries over capture time"></canvas></div>` : '';
  return `<section><h2>Conntrack occupancy</h2>${chart}<p><span data-field="conntrack.entries">${ct.entries}</span> entries at the end,
 peak <span data-field="conntrack.peak">${ct.peak}</span>, evicted <span data-field="conntrack.evicted">${ct.evicted}</span>.</p></section>`;
}

function serviceSection(view: ReportView): string {
  if (view.services.length === 0) return '<section><h2>Services</h2><p class="note">No traffic reached a Service.</p></section>';
  const rows = view.services.map((s) => `<tr><td>${esc(s.service)}</td><td class="n" data-service-packets="${esc(s.service)}">${s.packets}</td>` +
    `<td class="n" data-service-connections="${esc(s.service)}">${s.connections}</td></tr>`).join('');
  const o = view.otherServices;
  const more = o.count > 0 ? `<p class="note" id="other-services">... and ${o.count} more service port${o.count === 1 ? '' : 's'} (${o.packets} packets, ${o.connections} connections).</p>` : '';
  return `<section><h2>Load per service port</h2><div class="chart" style="height:${barsHeight(view.services.length) + 40}px"><canvas id="chart-services" aria-label="packets and connections per service port"></canvas></div>
<table><tr><th>service port</th><th class="n">packets</th><th class="n">connections</th></tr>${rows}</table>${more}</section>`;
}

function backendSection(view: ReportView): string {
  if (view.backends.length === 0) return '';
  const charts = view.backends.map((b, i) => {
    const rows = b.rows.map((r) => `<tr><td>${esc(r.backend)}</td><td class="n">${r.connections}</td><td class="n">${r.packets}</td>` +
      `<td class="n">${r.expected === null ? '–' : fmt(100 * r.expected, 1) + ' %'}</td></tr>`).join('');
    const more = b.others > 0 ? `<p class="note">... and ${b.others} more backends.</p>` : '';
    return `<div><h3>${esc(b.service)}</h3><div class="chart"><canvas id="chart-backends-${i}" aria-label="backend load of ${esc(b.service)}"></canvas></div>
<table><tr><th>backend</th><th class="n">connections</th><th class="n">packets</th><th class="n">Maglev share</th></tr>${rows}</table>${more}</div>`;
  }).join('\n');
  return `<section><h2>Load per backend</h2><p class="note">Each backend's share of the connections it was given, next to its share of the
 Maglev table's slots (what Maglev hashing sends it on average; no figure when the table was never built).</p><div class="grid">${charts}</div></section>`;
}

function updateSection(r: ReplayReport, view: ReportView): string {
  if (r.updates.length === 0) return '';
  const rows = r.updates.slice(0, UPDATE_ROWS).map((u) => `<tr><td>${esc(updateLabel(u))}</td><td class="n">${u.kept}</td><td class="n">${u.orphaned}</td>` +
    `<td class="n">${u.wouldMove}</td><td class="n">${u.flushed}</td></tr>`).join('');
  const more = r.updates.length > UPDATE_ROWS ? `<p class="note">... and ${r.updates.length - UPDATE_ROWS} more updates.</p>` : '';
  const charts = view.updates.map((u, i) => `<div><h3>${esc(u.label)}: ${esc(u.service)}</h3>
<div class="chart"><canvas id="chart-update-${i}" aria-label="connections per backend before and after the update"></canvas></div></div>`).join('\n');
  return `<section><h2>Updates</h2><p class="note">Dashed lines on the time charts mark the updates. Connections: live connections of the
 changed service ports that kept their backend, keep a removed one, would now go elsewhere; UDP entries flushed. Charts: new connections per
 backend since the previous change of the service port, and until the next.</p>
<table><tr><th>update</th><th class="n">kept</th><th class="n">orphaned</th><th class="n">would move</th><th class="n">flushed</th></tr>${rows}</table>${more}
<div class="grid">${charts}</div></section>`;
}

/** Pixels for a horizontal bar chart of n bars. */
export function barsHeight(n: number): number {
  return Math.max(140, 50 + 34 * n);
}

function problemSection(r: ReplayReport): string {
  if (r.problems.length === 0) return '';
  const items = r.problems.slice(0, UPDATE_ROWS).map((p) => `<li>${esc(p)}</li>`).join('');
  const more = r.problems.length > UPDATE_ROWS ? `<p class="note">... and ${r.problems.length - UPDATE_ROWS} more (all in the JSON report).</p>` : '';
  return `<section><h2>Problems</h2><ul>${items}</ul>${more}</section>`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function fmt(n: number, digits: number): string {
  return n.toFixed(digits);
}

/** JSON that cannot end its <script> element or open a comment in it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot end its <script> element. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** A source map comment would make developer tools fetch a file that is not there. */
function stripSourceMap(js: string): string {
  return js.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}
