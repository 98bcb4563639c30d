// The portable entry in a real browser: Debian's Chromium, headless, loads the browser bundle,
// builds a Dataplane from the demo cluster's YAML and core.wasm fetched over HTTP, replays
// pcaps/demo.pcapng from a fetch stream into a WritableStream, and gets what the command gets:
// the same report counts as `svcplane replay --report`, the same output bytes as -w.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, openPage } from './helpers/browser.js';
import { bundleForBrowser } from './helpers/browser-bundle.js';
import { ensureBuilt, REPO, runCli, tempDir } from './helpers/cli.js';
import { replay } from '../src/replay/replay.js';
import { DEFAULT_SLICE_BYTES } from '../src/replay/stream.js';

// localhost: a secure context (crypto.subtle); every request is answered by page.route, no server listens.
const ORIGIN = 'http://localhost:8123';
const dir = tempDir('svcplane-browser-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The node of `npm start`.
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'] };

// The page's own script: only the bundle's exports and the web platform.
const PAGE_SCRIPT = `
import { Dataplane, parseObjectsText, replayStream } from '/svcplane.js';
window.replayDemo = async (node) => {
  const yaml = new Uint8Array(await (await fetch('/demo-cluster.yaml')).arrayBuffer());
  const loaded = parseObjectsText(yaml, 'demo-cluster.yaml');
  const dataplane = await Dataplane.create({ wasm: fetch('/core.wasm'), objects: loaded.objects, ...node });
  const chunks = [];
  let progressCalls = 0;
  const res = await fetch('/demo.pcapng');
  const { report, yields } = await replayStream({
    dataplane, input: res.body, name: 'demo.pcapng', size: Number(res.headers.get('content-length')),
    output: new WritableStream({ write(c) { chunks.push(c); } }),
    onProgress: () => { progressCalls++; },
  });
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { report, sha256, outBytes: all.length, progressCalls, yields };
};
`;

interface PageResult {
  report: Record<string, unknown> & { packets: unknown; drops: unknown; services: unknown; conntrack: unknown };
  sha256: string;
  outBytes: number;
  progressCalls: number;
  yields: number;
}

describe.skipIf(!haveChromium && !process.env.CI)('replay in headless Chromium', () => {
  it('the demo capture through the demo cluster: the CLI report counts and output bytes', async () => {
    ensureBuilt();
    const out = path.join(dir, 'demo-out.pcapng');
    const reportFile = path.join(dir, 'demo-report.json');
    const cli = runCli(['replay', 'pcaps/demo.pcapng', '--cluster', 'pcaps/demo-cluster.yaml', '--node', NODE.nodeName,
      '--node-ip', NODE.nodeIPs[0]!, '--cluster-cidr', NODE.podCIDRs[0]!, '--service-cidr', NODE.serviceCIDRs[0]!,
      '-w', out, '--report', reportFile, '-q']);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const expected = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    const expectedSha = crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex');

    const bundle = await bundleForBrowser('src/index.ts');
    expect(bundle.errors).toEqual([]);
    const files: Record<string, { body: Buffer | string; type: string }> = {
      '/index.html': { body: '<!doctype html><title>svcplane</title><script type="module" src="/main.js"></script>', type: 'text/html' },
      '/main.js': { body: PAGE_SCRIPT, type: 'text/javascript' },
      '/svcplane.js': { body: bundle.code!, type: 'text/javascript' },
      '/core.wasm': { body: fs.readFileSync(path.join(REPO, 'build', 'core.wasm')), type: 'application/wasm' },
      '/demo.pcapng': { body: fs.readFileSync(path.join(REPO, 'pcaps', 'demo.pcapng')), type: 'application/octet-stream' },
      '/demo-cluster.yaml': { body: fs.readFileSync(path.join(REPO, 'pcaps', 'demo-cluster.yaml')), type: 'application/yaml' },
    };
    const browser = await launchChromium();
    try {
      const { page, log } = await openPage(browser);
      await page.route(`${ORIGIN}/**`, (route) => {
        const f = files[new URL(route.request().url()).pathname];
        return f ? route.fulfill({ status: 200, body: f.body, contentType: f.type }) : route.fulfill({ status: 404, body: 'not found' });
      });
      await page.goto(`${ORIGIN}/index.html`);
      // In the page: no Node, only the bundle's exports and the web platform.
      await page.waitForFunction(() => 'replayDemo' in window);
      const got = (await page.evaluate((node) => (window as unknown as { replayDemo(n: unknown): unknown }).replayDemo(node), NODE)) as PageResult;
      expect(log.errors).toEqual([]);
      expect(log.failed).toEqual([]);
      for (const field of ['packets', 'drops', 'services', 'conntrack', 'bytes', 'generated', 'updates']) {
        expect({ field, value: got.report[field] }).toEqual({ field, value: expected[field] });
      }
      // How many packets took the fast paths depends on where the capture is cut into chunks
      // (the page walks it in slices of DEFAULT_SLICE_BYTES): the same as a file replay cut there.
      const sameCuts = replay({ capture: path.join(REPO, 'pcaps', 'demo.pcapng'), cluster: [path.join(REPO, 'pcaps', 'demo-cluster.yaml')],
        node: NODE.nodeName, nodeIPs: NODE.nodeIPs, podCIDRs: NODE.podCIDRs, serviceCIDRs: NODE.serviceCIDRs, readBytes: DEFAULT_SLICE_BYTES });
      expect(got.report.fastPath).toBe(sameCuts.fastPath);
      expect(sameCuts.packets).toEqual(expected.packets);
      expect(got.report.capture).toMatchObject({ ...expected.capture, file: 'demo.pcapng' });
      expect(got.sha256).toBe(expectedSha);
      expect(got.outBytes).toBe(fs.statSync(out).size);
      expect(got.progressCalls).toBeGreaterThan(0);
      expect(got.yields).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  });
});
