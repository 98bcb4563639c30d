// The whatif page's script: draws a WhatifView with Chart.js. It runs in the page (whatif-html.ts
// inlines its source text), so it uses nothing but its arguments.

import type { WhatifView } from './whatif-view.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function drawWhatifCharts(Chart: any, view: WhatifView, doc: Document): void {
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  Chart.defaults.maintainAspectRatio = false;
  const outcomes = doc.getElementById('chart-outcomes') as HTMLCanvasElement | null;
  if (outcomes && view.outcomes.length > 0) {
    const series = [['kept', '#5aae61'], ['moved', '#f1a340'], ['lost', '#d7301f'], ['gained', '#2b7bb9'], ['unserved', '#9e9e9e']] as const;
    new Chart(outcomes, {
      type: 'bar',
      data: {
        labels: view.outcomes.map((o) => o.service),
        datasets: series.map(([k, colour]) => ({ label: k, data: view.outcomes.map((o) => o[k]), backgroundColor: colour })),
      },
      options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: 'connections' } }, y: { stacked: true } } },
    });
  }
  view.loads.forEach((l, i) => {
    const c = doc.getElementById(`chart-load-${i}`) as HTMLCanvasElement | null;
    if (!c) return;
    new Chart(c, {
      type: 'bar',
      data: {
        labels: l.rows.map((r) => r.backend),
        datasets: [
          { label: 'current (% of connections)', data: l.rows.map((r) => r.current), backgroundColor: '#bdbdbd' },
          { label: 'proposed (% of connections)', data: l.rows.map((r) => r.next), backgroundColor: '#6a3d9a' },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } },
    });
  });
}
