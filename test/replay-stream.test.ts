// replayStream: a capture from a web ReadableStream, a Node Readable or bytes, through a
// Dataplane, to a WritableStream or a Node Writable. Checked against the file replay (same
// report, same output bytes, same update effects), and for what only it does: the event loop
// keeps turning during a large replay, progress, abort with a partial report, damage.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../src/dataplane.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { parseEventsText } from '../src/k8s/load.js';
import { CaptureFormatError } from '../src/capture/errors.js';
import { replay, type ReplayOptions } from '../src/replay/replay.js';
import { partialReport, type ReplayReport } from '../src/replay/report.js';
import { DEFAULT_SLICE_BYTES, replayStream, type StreamReplayOptions } from '../src/replay/stream.js';
import { REPO, tempDir } from './helpers/cli.js';

const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
const CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'] };
const dir = tempDir('svcplane-stream-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The file replay of `capture` through the demo cluster, cut in the stream's slices. */
function fileReplay(capture: string, extra: Partial<ReplayOptions> = {}): { report: ReplayReport; out: Buffer } {
  const write = path.join(dir, `file-${path.basename(capture)}`);
  const report = replay({ capture, write, cluster: [CLUSTER], node: NODE.nodeName, nodeIPs: NODE.nodeIPs, podCIDRs: NODE.podCIDRs,
    serviceCIDRs: NODE.serviceCIDRs, readBytes: DEFAULT_SLICE_BYTES, ...extra });
  return { report, out: fs.readFileSync(write) };
}

function demoDataplane(roomForUpdates = false): Dataplane {
  return new Dataplane({ ...NODE, objects: loadClusterObjects([CLUSTER]).objects, roomForUpdates });
}

/** A web ReadableStream of `bytes` in chunks of uneven sizes (1 byte to 100 kB). */
function unevenStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (at >= bytes.length) return ctl.close();
      const n = [1, 7, 100_000, 4096, 24, 65_536, 3][i++ % 7]!;
      ctl.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

function collector(): { stream: WritableStream<Uint8Array>; bytes: () => Buffer; state: { closed: boolean; aborted: unknown } } {
  const chunks: Uint8Array[] = [];
  const state = { closed: false, aborted: undefined as unknown };
  const stream = new WritableStream<Uint8Array>({
    write: (c) => void chunks.push(c),
    close: () => void (state.closed = true),
    abort: (reason) => void (state.aborted = reason ?? 'aborted'),
  });
  return { stream, bytes: () => Buffer.concat(chunks), state };
}

/** Report fields that do not depend on timing or on the capture's name. */
function counts(r: ReplayReport) {
  const { seconds: _s, packetsPerSecond: _p, capture, ...rest } = r;
  return { ...rest, capture: { ...capture, file: undefined } };
}

describe('replayStream', () => {
  it('a web ReadableStream of uneven chunks to a WritableStream: the file replay\'s report and bytes', async () => {
    const expected = fileReplay(DEMO);
    const out = collector();
    const progress: number[] = [];
    const { report, yields } = await replayStream({
      dataplane: demoDataplane(), input: unevenStream(fs.readFileSync(DEMO)), output: out.stream, name: 'demo.pcapng',
      onProgress: (p) => progress.push(p.bytesRead),
    });
    expect(counts(report)).toEqual(counts(expected.report));
    expect(report.capture.file).toBe('demo.pcapng');
    expect(out.bytes().equals(expected.out)).toBe(true);
    expect(out.state.closed).toBe(true);
    expect(yields).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(fs.statSync(DEMO).size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('a Node Readable to a Node Writable, and bytes in with a size: the same', async () => {
    const expected = fileReplay(DEMO);
    const outFile = path.join(dir, 'node-streams.pcapng');
    const r1 = await replayStream({ dataplane: demoDataplane(), input: fs.createReadStream(DEMO), output: fs.createWriteStream(outFile) });
    expect(counts(r1.report)).toEqual(counts(expected.report));
    expect(fs.readFileSync(outFile).equals(expected.out)).toBe(true);

    const sizes: (number | undefined)[] = [];
    const r2 = await replayStream({ dataplane: demoDataplane(), input: new Uint8Array(fs.readFileSync(DEMO)), onProgress: (p) => sizes.push(p.size) });
    expect(counts(r2.report)).toEqual({ ...counts(expected.report), bytes: { ...expected.report.bytes } });
    expect(new Set(sizes)).toEqual(new Set([fs.statSync(DEMO).size]));
  });

  it('watch events applied at their capture time: the effects --updates reports', async () => {
    const web = loadClusterObjects([CLUSTER]).objects.endpointSlices;
    const slice = structuredClone([...web.values()].find((s) => s.metadata.name?.startsWith('web'))!);
    slice.endpoints = slice.endpoints.slice(1);
    const updatesFile = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updatesFile, `${JSON.stringify({ at: 1.5, type: 'MODIFIED', object: slice })}\n`);
    const expected = fileReplay(DEMO, { updates: updatesFile });
    expect(expected.report.updates).toHaveLength(1);
    expect(expected.report.updates[0]!.kept + expected.report.updates[0]!.orphaned).toBeGreaterThan(0);
    const events = parseEventsText(fs.readFileSync(updatesFile), updatesFile).events;
    const out = collector();
    const { report } = await replayStream({ dataplane: demoDataplane(true), input: fs.createReadStream(DEMO), output: out.stream, updates: events });
    expect(counts(report)).toEqual(counts(expected.report));
    expect(out.bytes().equals(expected.out)).toBe(true);
  });

  describe('a large capture', () => {
    const large = path.join(dir, 'large.pcap');
    beforeAll(() => {
      execFileSync(process.execPath, [path.join(REPO, 'scripts', 'gen-large-capture.mjs'), large, '--packets', '60000']);
    });

    it('keeps the event loop turning: a yield before every slice, a 5 ms timer never held long', async () => {
      // The measure itself: during the synchronous replay the timer cannot run at all.
      const blocked = await longestTimerGap(async () => void replay({ capture: large, cluster: [CLUSTER], node: NODE.nodeName }));
      const size = fs.statSync(large).size;
      const dataplane = demoDataplane();
      const { result, gap, ticks } = await measured(() => replayStream({ dataplane, input: fs.createReadStream(large) }));
      expect(result.report.packets.in).toBe(60_000);
      expect(result.yields).toBeGreaterThanOrEqual(Math.floor(size / DEFAULT_SLICE_BYTES));
      expect(ticks).toBeGreaterThan(0);
      // A slice is about a millisecond of work; the bound leaves room for a loaded machine.
      expect(gap).toBeLessThan(Math.max(250, blocked.gap / 4));
      expect(blocked.ticks).toBe(0);
    });

    it('stops on an abort: rejects with the reason, carries the report so far, aborts the output', async () => {
      const ac = new AbortController();
      const out = collector();
      let seen = 0;
      const err = await replayStream({
        dataplane: demoDataplane(), input: fs.createReadStream(large), output: out.stream, signal: ac.signal,
        onProgress: (p) => { seen = p.packets; if (p.packets > 5000) ac.abort(new Error('enough')); },
      }).catch((e: unknown) => e);
      expect(err).toBe(ac.signal.reason);
      const partial = partialReport(err)!;
      expect(partial.packets.in).toBeGreaterThanOrEqual(seen);
      expect(partial.packets.in).toBeLessThan(60_000);
      expect(out.state.aborted).toBe(err);
      expect(out.state.closed).toBe(false);
    });
  });

  it('damage: CaptureFormatError naming the stream and the offset; the packets before it written and the output closed', async () => {
    const demo = fs.readFileSync(DEMO);
    const cut = demo.subarray(0, 200_000);
    const cutFile = path.join(dir, 'cut.pcapng');
    fs.writeFileSync(cutFile, cut);
    let fileErr: unknown;
    const written = path.join(dir, 'cut-out.pcapng');
    try {
      replay({ capture: cutFile, write: written, cluster: [CLUSTER], node: NODE.nodeName, ...NODE, readBytes: DEFAULT_SLICE_BYTES });
    } catch (e) {
      fileErr = e;
    }
    expect(fileErr).toBeInstanceOf(CaptureFormatError);
    const out = collector();
    const err = await replayStream({ dataplane: demoDataplane(), input: unevenStream(cut), output: out.stream, name: 'cut.pcapng' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as Error).message).toBe((fileErr as Error).message.replace(cutFile, 'cut.pcapng'));
    expect(out.state.closed).toBe(true);
    expect(out.bytes().equals(fs.readFileSync(written))).toBe(true);
  });

  it('refuses chunks that are not bytes', async () => {
    const input = (async function* () { yield 'text' as unknown as Uint8Array; })();
    await expect(replayStream({ dataplane: demoDataplane(), input } as StreamReplayOptions)).rejects.toThrow(/must give bytes/);
  });
});

/** Runs `fn` with a 5 ms interval timer: the longest gap between its ticks (or since the start), and how many ran. */
async function measured<T>(fn: () => Promise<T>): Promise<{ result: T; gap: number; ticks: number }> {
  let last = performance.now();
  let gap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    ticks++;
  }, 5);
  try {
    const result = await fn();
    gap = Math.max(gap, performance.now() - last);
    return { result, gap, ticks };
  } finally {
    clearInterval(timer);
  }
}

function longestTimerGap(fn: () => Promise<void>): Promise<{ gap: number; ticks: number }> {
  return measured(fn);
}
