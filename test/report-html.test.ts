// The --html report in a real browser (Debian's Chromium, headless): the demo replay with two
// EndpointSlice changes renders every chart (a Chart.js chart on each canvas, pixels drawn) with no
// console error and no request beyond the file itself, shows the counts of the --report JSON of the
// same run, and its charts hold the report's numbers. A screenshot is kept in test-artifacts/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO, runCli, tempDir } from './helpers/cli.js';
import { haveChromium, launchChromium, openPage, type OpenBrowser, type PageLog, canvasesDrawn } from './helpers/browser.js';
import { demoUpdates } from './helpers/replay-cases.js';
import type { ReplayReport } from '../src/replay/report.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');

describe.skipIf(!haveChromium)('the --html report in Chromium', () => {
  const dir = tempDir('svcplane-html-');
  const html = path.join(dir, 'report.html');
  const json = path.join(dir, 'report.json');
  let report: ReplayReport;
  let browser: OpenBrowser;
  let page: Page;
  let log: PageLog;

  beforeAll(async () => {
    const updates = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updates, demoUpdates());
    const r = runCli(['replay', 'pcaps/demo.pcapng', '--cluster', 'pcaps/demo-cluster.yaml', '--node', 'node-a', '--node-ip', '192.168.49.2',
      '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16', '--updates', updates, '--report', json, '--html', html, '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    report = JSON.parse(fs.readFileSync(json, 'utf8'));
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
    const ids = canvases.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['chart-verdicts', 'chart-drops', 'chart-conntrack', 'chart-services', 'chart-backends-0', 'chart-update-0']));
    // One chart per busy service port (up to 6) and per update's changed service port.
    expect(ids.filter((id) => id.startsWith('chart-backends-'))).toHaveLength(Math.min(6, report.services.filter((s) => s.packets > 0).length));
    expect(ids.filter((id) => id.startsWith('chart-update-'))).toHaveLength(report.updates.reduce((n, u) => n + (u.load?.length ?? 0), 0));
    for (const c of canvases) {
      expect(c, c.id).toMatchObject({ chart: true });
      expect(c.width * c.height, c.id).toBeGreaterThan(10_000);
      // Axes, labels and data: a blank canvas has none of its pixels drawn.
      expect(c.drawn, c.id).toBeGreaterThan(0.01);
    }
    expect(log.errors).toEqual([]);
    expect(log.failed).toEqual([]);
    expect(log.requests).toEqual([pathToFileURL(html).href]);
  });

  it('shows the counts of the --report JSON of the same run', async () => {
    const fields = await page.$$eval('[data-field]', (es) => es.map((e) => [e.getAttribute('data-field')!, e.textContent!.trim()]));
    const names = fields.map(([f]) => f);
    expect(names).toEqual(expect.arrayContaining([
      'packets.in', 'packets.translated', 'packets.reversed', 'packets.passed', 'packets.dropped', 'packets.rejected',
      'conntrack.entries', 'conntrack.peak', 'conntrack.evicted', 'bytes.in', 'bytes.out', 'generated',
      ...Object.keys(report.drops).map((r) => `drops.${r}`),
    ]));
    for (const [field, text] of fields) {
      const value = field.split('.').reduce((o: any, k) => o?.[k], report);
      expect(Number(text), field).toBe(value);
    }
    const servicePackets = await page.$$eval('[data-service-packets]', (es) => es.map((e) => [e.getAttribute('data-service-packets')!, Number(e.textContent)]));
    expect(servicePackets.length).toBe(report.services.filter((s) => s.packets > 0).length);
    for (const [service, packets] of servicePackets) expect(packets, service as string).toBe(report.services.find((s) => s.service === service)!.packets);
  });

  it("the charts hold the report's numbers: verdict rates add up to the counts, drops, services, Maglev shares", async () => {
    const data = await page.evaluate(() => {
      const chart = (id: string) => (window as any).Chart.getChart(document.getElementById(id)).data;
      const v = chart('chart-verdicts');
      return {
        verdicts: v.datasets.map((d: any) => ({ label: d.label, points: d.data })),
        drops: chart('chart-drops'),
        services: chart('chart-services'),
        backends: chart('chart-backends-0'),
      };
    });
    for (const d of data.verdicts) {
      // Packets a second over each interval, times the interval: the verdict's count.
      let prev = 0, total = 0;
      for (const p of d.points as { x: number; y: number }[]) { total += p.y * (p.x - prev); prev = p.x; }
      expect(Math.round(total), d.label).toBe(report.packets[d.label as keyof ReplayReport['packets']]);
    }
    expect(Object.fromEntries(data.drops.labels.map((l: string, i: number) => [l, data.drops.datasets[0].data[i]]))).toEqual(report.drops);
    const busiest = [...report.services].filter((s) => s.packets > 0).sort((a, b) => b.packets - a.packets);
    expect(data.services.labels).toEqual(busiest.map((s) => s.service));
    expect(data.services.datasets[0].data).toEqual(busiest.map((s) => s.packets));
    // The busiest service port's backends: the Maglev share is its slots over the table size.
    const table = report.maglev!.find((m) => m.service === busiest[0]!.service)!;
    const expected = data.backends.datasets.find((d: any) => d.label.startsWith('Maglev'));
    expect(expected.data).toEqual(data.backends.labels.map((b: string) => 100 * ((table.backends.find((x) => x.backend === b)?.slots ?? 0) / table.slots)));
    expect(expected.data.filter((x: number) => x > 0)).toHaveLength(table.backends.length);
  });

  it('keeps screenshots (test-artifacts/report.png, report-top.png)', async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: file, fullPage: true });
    // The top of the page (docs/report.png is a copy of it).
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-top.png'), clip: { x: 0, y: 0, width: 1200, height: 1100 } });
    const png = fs.readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
