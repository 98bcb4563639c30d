// `svcplane whatif --html` in a real browser (Debian's Chromium, headless): the demo replayed
// against itself with web scaled from 3 to 5 replicas. Every canvas holds a drawn chart, there is
// no console error and no request beyond the file, the counts shown are those of --json of the same
// run, and the charts hold its numbers. A screenshot is kept in test-artifacts/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO, ensureBuilt, runCli, tempDir } from './helpers/cli.js';
import { haveChromium, launchChromium, openPage, type OpenBrowser, type PageLog, canvasesDrawn } from './helpers/browser.js';
import type { WhatifReport } from '../src/whatif/whatif.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');

describe.skipIf(!haveChromium)('the whatif --html page in Chromium', () => {
  const dir = tempDir('svcplane-whatif-html-');
  const html = path.join(dir, 'whatif.html');
  let report: WhatifReport;
  let browser: OpenBrowser;
  let page: Page;
  let log: PageLog;

  beforeAll(async () => {
    ensureBuilt();
    const r = runCli(['whatif', 'pcaps/demo.pcapng', '-c', 'pcaps/demo-cluster.yaml', '--node', 'node-a', '--node-ip', '192.168.49.2',
      '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '--next-replicas', 'web=5', '--html', html, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    report = JSON.parse(r.stdout);
    browser = await launchChromium();
    ({ page, log } = await openPage(browser));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws a chart on every canvas, with no console error and no request but the page', async () => {
    const canvases = await canvasesDrawn(page);
    // The outcomes chart, and a load chart per service port with backends (all of the demo's: fewer than 12).
    const withBackends = report.services.filter((s) => s.backends.length > 0);
    expect(withBackends.length).toBeLessThan(report.services.length);
    expect(canvases.map((c) => c.id)).toEqual(['chart-outcomes', ...withBackends.map((_, i) => `chart-load-${i}`)]);
    for (const c of canvases) {
      expect(c, c.id).toMatchObject({ chart: true });
      expect(c.drawn, c.id).toBeGreaterThan(0.01);
    }
    expect(log.errors).toEqual([]);
    expect(log.failed).toEqual([]);
    expect(log.requests).toEqual([pathToFileURL(html).href]);
  });

  it('shows the totals and per service port counts of --json', async () => {
    const fields = await page.$$eval('[data-field]', (es) => es.map((e) => [e.getAttribute('data-field')!, e.textContent!.trim()]));
    expect(fields.map(([f]) => f)).toEqual(['totals.connections', 'totals.disrupted', 'totals.moved', 'totals.lost', 'totals.kept', 'totals.gained']);
    for (const [field, text] of fields) expect(Number(text), field).toBe(field.split('.').reduce((o: any, k) => o[k], report));
    const moved = await page.$$eval('[data-moved]', (es) => es.map((e) => [e.getAttribute('data-moved')!, Number(e.textContent)]));
    expect(Object.fromEntries(moved)).toEqual(Object.fromEntries(report.services.map((s) => [s.service, s.moved])));
    expect(report.totals.moved).toBeGreaterThan(0);
  });

  it("the charts hold the report's numbers: outcomes per service port (kept to unserved), each backend's share now and proposed", async () => {
    const data = await page.evaluate(() => {
      const chart = (id: string) => (window as any).Chart.getChart(document.getElementById(id)).data;
      return { outcomes: chart('chart-outcomes'), loads: [...document.querySelectorAll('canvas[id^="chart-load-"]')].map((c) => chart(c.id)) };
    });
    const busiest = [...report.services].sort((a, b) => b.connections - a.connections || (a.service < b.service ? -1 : 1));
    expect(data.outcomes.labels).toEqual(busiest.map((s) => s.service));
    for (const [i, k] of (['kept', 'moved', 'lost', 'gained', 'unserved'] as const).entries()) {
      expect(data.outcomes.datasets[i].label).toBe(k);
      expect(data.outcomes.datasets[i].data).toEqual(busiest.map((s) => s[k]));
    }
    busiest.filter((s) => s.backends.length > 0).forEach((s, i) => {
      expect(data.loads[i].labels).toEqual(s.backends.map((b) => b.backend));
      expect(data.loads[i].datasets[0].data).toEqual(s.backends.map((b) => 100 * b.current.share));
      expect(data.loads[i].datasets[1].data).toEqual(s.backends.map((b) => 100 * b.next.share));
    });
    // web: the two synthetic backends have no load now and some in the proposed state.
    const web = busiest.filter((s) => s.backends.length > 0).findIndex((s) => s.service === 'default/web:http');
    const synthetic = data.loads[web].labels.flatMap((l: string, j: number) => (l.startsWith('198.18.') ? [j] : []));
    expect(synthetic).toHaveLength(2);
    for (const j of synthetic) {
      expect(data.loads[web].datasets[0].data[j]).toBe(0);
      expect(data.loads[web].datasets[1].data[j]).toBeGreaterThan(0);
    }
  });

  it('keeps a screenshot (test-artifacts/whatif.png)', async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'whatif.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = fs.readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
