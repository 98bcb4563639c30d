// Capture I/O benchmark: our streaming reader against pcap-parser on the same file in the same
// run, and our writer (pcap and pcapng), in packets/s and bytes/s.
//
//   node dist/bench/capture-io.bench.js [--iterations K] [file.pcap]
//
// Without a file it uses $CAPTURE_BENCH_FILE, else <tmpdir>/svcplane-bench-1m.pcap, generating
// it (1,000,000 packets, scripts/gen-large-capture.mjs) when missing. --iterations (or
// CAPTURE_BENCH_ITERATIONS) sets the measured runs per task, each over the whole file, after one
// warm-up run (default 5). Figures are the median, p10 and min–max over all runs. Output goes to
// the null device, so that the writer is measured rather than the disk; CAPTURE_BENCH_OUT=<dir>
// writes real files there.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventEmitter } from 'node:events';
import { Bench } from 'tinybench';
import { BATCH_MAX_BYTES, BATCH_MAX_PACKETS, D_CAPLEN, D_OFFSET, DESC_WORDS } from '../assembly/abi/layout.js';
import { CaptureBatch } from '../src/capture/batch.js';
import { openCaptureReader } from '../src/capture/reader.js';
import { openCaptureWriter } from '../src/capture/writer.js';
import { parseArgs } from './args.js';
import { summarize } from './stats.js';

const USAGE = `usage: node dist/bench/capture-io.bench.js [--iterations K] [file.pcap]   (or: npm run bench -- capture-io [...])
  file.pcap        the capture to read; default $CAPTURE_BENCH_FILE, else <tmpdir>/svcplane-bench-1m.pcap (generated when missing)
  --iterations K   measured runs per task, after one warm-up; default $CAPTURE_BENCH_ITERATIONS or 5
Writers write to the null device unless CAPTURE_BENCH_OUT=<dir> names a directory.`;
const args = parseArgs(process.argv.slice(2), { '--iterations': 'value' }, USAGE, 1);

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): EventEmitter };

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'svcplane') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('capture-io bench: cannot find the svcplane repository root');
    dir = up;
  }
}

function benchFile(): string {
  const file = args.positional[0] ?? process.env.CAPTURE_BENCH_FILE ?? path.join(os.tmpdir(), 'svcplane-bench-1m.pcap');
  if (!fs.existsSync(file)) {
    const gen = path.join(repoRoot(), 'scripts', 'gen-large-capture.mjs');
    process.stderr.write(`capture-io bench: generating ${file}\n`);
    const r = spawnSync(process.execPath, [gen, file, '--packets', '1000000'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`capture-io bench: ${gen} failed`);
  }
  return file;
}

/** The batch as the replay pipeline builds it: views the size of the WASM regions. */
function wasmLikeBatch(): CaptureBatch {
  return new CaptureBatch(new Uint8Array(BATCH_MAX_BYTES), new Uint32Array(BATCH_MAX_PACKETS * DESC_WORDS));
}

interface Counts {
  packets: number;
  bytes: number;
}

function readOurs(file: string, batch: CaptureBatch): Counts {
  const reader = openCaptureReader(file);
  let packets = 0;
  let bytes = 0;
  const desc = batch.desc;
  for (let n; (n = reader.readBatch(batch)) > 0; ) {
    packets += n;
    for (let i = 0; i < n; i++) bytes += desc[i * DESC_WORDS + D_CAPLEN]!;
  }
  reader.close();
  return { packets, bytes };
}

function readPcapParser(file: string): Promise<Counts> {
  return new Promise((resolve, reject) => {
    let packets = 0;
    let bytes = 0;
    const p = pcapParser.parse(file);
    p.on('packet', (pkt: { data: Buffer }) => {
      packets++;
      bytes += pkt.data.length;
    });
    p.on('error', reject);
    p.on('end', () => resolve({ packets, bytes }));
  });
}

/** The floor: the file read in the same 1 MiB chunks, nothing parsed. */
function readRaw(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafeSlow(1 << 20);
  let total = 0;
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) total += n;
  fs.closeSync(fd);
  return total;
}

function copyOurs(file: string, out: string, format: 'pcap' | 'pcapng', batch: CaptureBatch): number {
  const reader = openCaptureReader(file);
  const writer = openCaptureWriter(out, reader, { format });
  let packets = 0;
  for (let n; (n = reader.readBatch(batch)) > 0; ) {
    const desc = batch.desc;
    for (let i = 0; i < n; i++) {
      const b = i * DESC_WORDS;
      writer.writePacket(batch, i, batch.data, desc[b + D_OFFSET]!, desc[b + D_CAPLEN]!);
    }
    packets += n;
  }
  writer.close();
  reader.close();
  return writer.bytesWritten;
}

/** The writer alone: one batch read once, written again and again. */
function writeOnly(file: string, out: string, format: 'pcap' | 'pcapng', batch: CaptureBatch, totalPackets: number): number {
  const reader = openCaptureReader(file);
  const n = reader.readBatch(batch);
  const writer = openCaptureWriter(out, reader, { format });
  const desc = batch.desc;
  let written = 0;
  while (written < totalPackets) {
    for (let i = 0; i < n && written < totalPackets; i++, written++) {
      const b = i * DESC_WORDS;
      writer.writePacket(batch, i, batch.data, desc[b + D_OFFSET]!, desc[b + D_CAPLEN]!);
    }
  }
  writer.close();
  reader.close();
  return writer.bytesWritten;
}

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  const file = benchFile();
  const fileBytes = fs.statSync(file).size;
  const batch = wasmLikeBatch();
  const reference = readOurs(file, batch);
  const check = await readPcapParser(file);
  if (check.packets !== reference.packets || check.bytes !== reference.bytes) {
    throw new Error(`readers disagree: ours ${JSON.stringify(reference)}, pcap-parser ${JSON.stringify(check)}`);
  }
  const outDir = process.env.CAPTURE_BENCH_OUT;
  const outPcap = outDir ? path.join(outDir, 'capture-io-bench.pcap') : os.devNull;
  const outNg = outDir ? path.join(outDir, 'capture-io-bench.pcapng') : os.devNull;
  const iterations = Number(args.value('--iterations') ?? process.env.CAPTURE_BENCH_ITERATIONS ?? 5);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations ${iterations}: a positive integer`);

  // Bytes per task run: the input file for reading, the output file for writing.
  const taskBytes = new Map<string, number>();
  const bench = new Bench({ name: 'capture-io', iterations, time: 0, warmupIterations: 1, warmupTime: 0, throws: true, retainSamples: true });
  bench
    .add('read: fs.readSync only (floor)', () => {
      readRaw(file);
    })
    .add('read: svcplane reader', () => {
      readOurs(file, batch);
    })
    .add('read: pcap-parser', async () => {
      await readPcapParser(file);
    })
    .add('read+write: pcap -> pcap', () => {
      taskBytes.set('read+write: pcap -> pcap', copyOurs(file, outPcap, 'pcap', batch));
    })
    .add('read+write: pcap -> pcapng', () => {
      taskBytes.set('read+write: pcap -> pcapng', copyOurs(file, outNg, 'pcapng', batch));
    })
    .add('write only: pcap', () => {
      taskBytes.set('write only: pcap', writeOnly(file, outPcap, 'pcap', batch, reference.packets));
    })
    .add('write only: pcapng', () => {
      taskBytes.set('write only: pcapng', writeOnly(file, outNg, 'pcapng', batch, reference.packets));
    });
  await bench.run();

  const rows = bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
    const x = summarize((r.latency.samples ?? []).map((ms) => ms / 1000));
    return { task: t.name, x, bytes: taskBytes.get(t.name) ?? fileBytes };
  });

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`capture-io: ${file}: ${reference.packets} packets, ${fileBytes} bytes (${(fileBytes / reference.packets).toFixed(0)} bytes/packet on average)`);
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`${cpu}, ${os.cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString()}; load ${load(loadStart)} at start, ${load(os.loadavg())} at end`);
  console.log(`${iterations} runs per task after 1 warm-up; writer output: ${outDir ?? os.devNull}`);
  console.log('');
  console.log('| task | median s | p10 s | min–max s | packets/s (median) | bytes/s (median) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const { task, x, bytes } of rows) {
    console.log(`| ${task} | ${x.median.toFixed(3)} | ${x.p10.toFixed(3)} | ${x.min.toFixed(3)}–${x.max.toFixed(3)} ` +
      `| ${(reference.packets / x.median / 1e6).toFixed(2)} M | ${(bytes / x.median / 1e9).toFixed(2)} GB/s |`);
  }
  const ours = rows.find((r) => r.task === 'read: svcplane reader')!.x;
  const theirs = rows.find((r) => r.task === 'read: pcap-parser')!.x;
  console.log('');
  console.log(`reader: pcap-parser / svcplane = ${(theirs.median / ours.median).toFixed(1)}× (medians)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
