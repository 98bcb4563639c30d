// The HTML report's script: draws the charts of a ReportView with Chart.js. It runs in the page, so
// it uses nothing but its arguments (html.ts inlines its source text): no imports, no outer names.

import type { ReportView } from './view.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function drawCharts(Chart: any, view: ReportView, doc: Document): void {
  const VERDICT_COLOURS: Record<string, string> = {
    translated: '#2b7bb9', reversed: '#5aae61', passed: '#9e9e9e', dropped: '#d7301f', rejected: '#f1a340',
  };
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  Chart.defaults.maintainAspectRatio = false;

  // Vertical dashed lines at the updates' times, on charts whose x axis is capture time.
  const updateMarks = {
    id: 'updateMarks',
    afterDatasetsDraw(chart: any) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#6a3d9a';
      ctx.setLineDash([4, 3]);
      for (const m of view.marks) {
        const px = x.getPixelForValue(m.at);
        if (px < area.left || px > area.right) continue;
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };
  const timeAxis = { type: 'linear', min: 0, title: { display: true, text: 'capture time (s from the first packet)' } };
  const canvas = (id: string): HTMLCanvasElement | null => doc.getElementById(id) as HTMLCanvasElement | null;

  const rates = view.rates;
  const verdictCanvas = canvas('chart-verdicts');
  if (rates && verdictCanvas) {
    new Chart(verdictCanvas, {
      type: 'line',
      data: {
        datasets: Object.keys(rates.series).map((v, i) => ({
          label: v,
          data: rates.t.map((t, i) => ({ x: t, y: (rates.series as Record<string, number[]>)[v]![i] })),
          borderColor: VERDICT_COLOURS[v], backgroundColor: VERDICT_COLOURS[v] + '99',
          // Stacked: each area fills down to the one below it.
          fill: i === 0 ? 'origin' : '-1', stepped: 'before', pointRadius: 0, borderWidth: 1,
        })),
      },
      options: { scales: { x: timeAxis, y: { stacked: true, title: { display: true, text: 'packets / s' } } } },
      plugins: [updateMarks],
    });
  }

  const ct = view.conntrack;
  const ctCanvas = canvas('chart-conntrack');
  if (ct && ctCanvas) {
    new Chart(ctCanvas, {
      type: 'line',
      data: { datasets: [{ label: 'conntrack entries', data: ct.t.map((t, i) => ({ x: t, y: ct.entries[i] })),
                           borderColor: '#1b9e77', backgroundColor: '#1b9e7733', fill: true, pointRadius: 0, borderWidth: 1.5 }] },
      options: { scales: { x: timeAxis, y: { beginAtZero: true, title: { display: true, text: 'entries' } } } },
      plugins: [updateMarks],
    });
  }

  const dropCanvas = canvas('chart-drops');
  if (dropCanvas && view.drops.length > 0) {
    new Chart(dropCanvas, {
      type: 'bar',
      data: { labels: view.drops.map((d) => d.reason), datasets: [{ label: 'packets', data: view.drops.map((d) => d.packets), backgroundColor: '#d7301f' }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
    });
  }

  const svcCanvas = canvas('chart-services');
  if (svcCanvas && view.services.length > 0) {
    new Chart(svcCanvas, {
      type: 'bar',
      data: {
        labels: view.services.map((s) => s.service),
        datasets: [
          { label: 'packets', data: view.services.map((s) => s.packets), backgroundColor: '#2b7bb9', xAxisID: 'x' },
          { label: 'connections', data: view.services.map((s) => s.connections), backgroundColor: '#f1a340', xAxisID: 'x2' },
        ],
      },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, position: 'bottom', title: { display: true, text: 'packets' } },
                                           x2: { beginAtZero: true, position: 'top', grid: { drawOnChartArea: false }, title: { display: true, text: 'connections' } } } },
    });
  }

  view.backends.forEach((b, i) => {
    const c = canvas(`chart-backends-${i}`);
    if (!c) return;
    const conns = b.rows.reduce((n, r) => n + r.connections, 0);
    const datasets: any[] = [
      { label: 'share of connections (%)', data: b.rows.map((r) => (conns > 0 ? (100 * r.connections) / conns : 0)), backgroundColor: '#2b7bb9' },
    ];
    if (b.rows.some((r) => r.expected !== null)) {
      datasets.push({ label: 'Maglev expected share (%)', data: b.rows.map((r) => (r.expected === null ? 0 : 100 * r.expected)), backgroundColor: '#bdbdbd' });
    }
    new Chart(c, {
      type: 'bar',
      data: { labels: b.rows.map((r) => r.backend), datasets },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } },
    });
  });

  view.updates.forEach((u, i) => {
    const c = canvas(`chart-update-${i}`);
    if (!c) return;
    new Chart(c, {
      type: 'bar',
      data: {
        labels: u.rows.map((r) => r.backend),
        datasets: [
          { label: 'new connections before', data: u.rows.map((r) => r.before), backgroundColor: '#bdbdbd' },
          { label: 'new connections after', data: u.rows.map((r) => r.after), backgroundColor: '#6a3d9a' },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
  });
}
