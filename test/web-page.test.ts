// The static page (web/) in Debian's Chromium, served as plain files: a JSON report opened on it is
// shown by the same renderer as `svcplane replay --html` (the very same HTML, charts drawn, the
// report's counts) and offered for download; a file that is not a report gets one error line.
// Replaying in the browser needs the library's portable entry (replayStream, Dataplane.create):
// with it, the demo replayed on the page gives the command's report and its translated capture.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'playwright-core';
import { REPO, runCli, tempDir } from './helpers/cli.js';
import { haveChromium, launchChromium, openPage, type OpenBrowser, type PageLog } from './helpers/browser.js';
import { serveStatic, type StaticServer } from './helpers/static-server.js';
import type { ReplayReport } from '../src/replay/report.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');
const DEMO = ['pcaps/demo.pcapng', '--cluster', 'pcaps/demo-cluster.yaml', '--node', 'node-a', '--node-ip', '192.168.49.2',
  '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16'];

/** Whether the built library's entry runs without Node (checked by what it exports). */
async function reportFrame(page: Page): Promise<Frame> {
  await page.waitForSelector('#report:not([hidden])');
  const handle = await page.$('#report');
  const frame = (await handle!.contentFrame())!;
  await frame.waitForFunction(() => document.querySelectorAll('canvas').length > 0 && [...document.querySelectorAll('canvas')].every((c) => (window as any).Chart?.getChart(c)));
  return frame;
}

async function fieldsOf(frame: Frame): Promise<Record<string, number>> {
  const pairs = await frame.$$eval('[data-field]', (es) => es.map((e) => [e.getAttribute('data-field')!, Number(e.textContent)] as const));
  return Object.fromEntries(pairs);
}

const valueAt = (report: ReplayReport, field: string): unknown => field.split('.').reduce((o: any, k) => o?.[k], report);

describe.skipIf(!haveChromium)('the web page', () => {
  const dir = tempDir('svcplane-web-');
  const json = path.join(dir, 'demo-report.json');
  const translated = path.join(dir, 'demo-translated.pcapng');
  let report: ReplayReport;
  let server: StaticServer;
  let browser: OpenBrowser;
  let page: Page;
  let log: PageLog;

  beforeAll(async () => {
    const r = runCli(['replay', ...DEMO, '--report', json, '--html', path.join(dir, 'demo.html'), '-w', translated, '-q']);
    expect(r.status, r.stderr).toBe(0);
    report = JSON.parse(fs.readFileSync(json, 'utf8'));
    server = await serveStatic(REPO);
    browser = await launchChromium();
    ({ page, log } = await openPage(browser));
    await page.goto(`${server.url}/web/index.html`, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens a JSON report: the same page as --html, every chart drawn, the same counts, offered for download', async () => {
    await page.setInputFiles('#report-file', json);
    const frame = await reportFrame(page);
    const srcdoc = await page.$eval('#report', (f) => (f as HTMLIFrameElement).srcdoc);
    // Byte for byte the page --html wrote in the same run as the JSON.
    expect(srcdoc).toBe(fs.readFileSync(path.join(dir, 'demo.html'), 'utf8'));
    const fields = await fieldsOf(frame);
    expect(Object.keys(fields).length).toBeGreaterThan(12);
    for (const [field, n] of Object.entries(fields)) expect(n, field).toBe(valueAt(report, field));
    const charts = await frame.$$eval('canvas', (cs) => cs.map((c) => (window as any).Chart.getChart(c)?.data.datasets.length ?? 0));
    expect(charts.length).toBeGreaterThanOrEqual(6);
    for (const n of charts) expect(n).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#downloads a[download="report.json"]')]);
    expect(JSON.parse(fs.readFileSync((await download.path())!, 'utf8'))).toEqual(report);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web.png') });
    expect(log.errors).toEqual([]);
    expect(log.failed).toEqual([]);
    // Everything from the static server (the frame's page is inline): nothing from the network.
    for (const url of log.requests) expect(url.startsWith(server.url + '/') || url === 'about:srcdoc', url).toBe(true);
  });

  it('a file that is not a report: one error line, nothing shown', async () => {
    const bad = path.join(dir, 'cluster.json');
    fs.writeFileSync(bad, JSON.stringify({ kind: 'List', items: [] }));
    await page.setInputFiles('#report-file', bad);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('svcplane: cluster.json: not a svcplane report (no "packets")');
    expect(await page.$eval('#downloads', (d) => (d as HTMLElement).hidden)).toBe(true);
    const notJson = path.join(dir, 'notes.json');
    fs.writeFileSync(notJson, '{"packets": ');
    await page.setInputFiles('#report-file', notJson);
    await page.waitForFunction(() => document.getElementById('error')!.textContent!.includes('notes.json'));
    expect(await page.textContent('#error')).toMatch(/^svcplane: notes\.json: [^\n]+$/);
  });

  it('replays the demo in the browser: the command\'s counts, its translated capture', async () => {
    await page.click('#demo');
    const frame = await reportFrame(page);
    const fields = await fieldsOf(frame);
    for (const f of ['packets.in', 'packets.translated', 'packets.passed', 'packets.dropped', 'packets.rejected', 'conntrack.entries', 'bytes.out', 'generated']) {
      expect(fields[f], f).toBe(valueAt(report, f));
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#downloads a[download="demo-translated.pcapng"]')]);
    expect(fs.readFileSync((await download.path())!).equals(fs.readFileSync(translated))).toBe(true);
  });
});
