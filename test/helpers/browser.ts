// Debian's Chromium, headless, driven by playwright-core: pages and HTML are checked in a real
// browser. A fresh profile each launch; no network beyond what the page itself asks for (each
// request is recorded, so a test can say there were none).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SVCPLANE_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** What a page did while it was open: console errors, uncaught exceptions, requests made and failed. */
export interface PageLog { errors: string[]; requests: string[]; failed: string[] }

export interface OpenBrowser { context: BrowserContext; close(): Promise<void> }

export async function launchChromium(): Promise<OpenBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page whose console errors, exceptions and requests are logged. */
export async function openPage(b: OpenBrowser): Promise<{ page: Page; log: PageLog }> {
  const page = await b.context.newPage();
  const log: PageLog = { errors: [], requests: [], failed: [] };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.errors.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => log.errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('requestfailed', (r) => log.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  return { page, log };
}

/** Every canvas of the page: its id, whether Chart.js drew a chart on it, its size and the share of its pixels drawn. */
export async function canvasesDrawn(page: Page): Promise<{ id: string; chart: boolean; width: number; height: number; drawn: number }[]> {
  return page.$$eval('canvas', (cs) => cs.map((c) => {
    const chart = (window as any).Chart.getChart(c);
    const { width, height } = c as HTMLCanvasElement;
    const pixels = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, width, height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) drawn++;
    return { id: c.id, chart: chart !== undefined, width, height, drawn: drawn / (width * height) };
  }));
}
