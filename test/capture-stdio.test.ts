// '-' as standard input and standard output, in a child process (pipes and redirected files).
// The child runs the capture modules transpiled from src/ into a temporary directory.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, epb, idb, payload, pcapHeader, pcapRecord, shb } from './helpers/capture-builders.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-capture-stdio-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CHILD = `
import { CaptureBatch } from './src/capture/batch.js';
import { openCaptureReader } from './src/capture/reader.js';
import { openCaptureWriter } from './src/capture/writer.js';
const format = process.argv[2] || undefined;
const r = openCaptureReader('-');
const w = openCaptureWriter('-', r, format ? { format } : undefined);
const b = new CaptureBatch(new Uint8Array(1 << 20), new Uint32Array(64 * 16));
try {
  for (let n; (n = r.readBatch(b)) > 0; ) {
    for (let i = 0; i < n; i++) w.writePacket(b, i, b.data, b.desc[i * 16], b.desc[i * 16 + 1]);
  }
} catch (e) {
  process.stderr.write(e.message + '\\n');
  process.exitCode = 2;
}
w.close();
r.close();
process.stderr.write(JSON.stringify({ fileSize: r.fileSize ?? null, packets: r.packetsRead }) + '\\n');
`;

beforeAll(() => {
  const sources = [
    ...fs.readdirSync(path.join(root, 'src/capture')).filter((f) => f.endsWith('.ts')).map((f) => `src/capture/${f}`),
    'assembly/abi/layout.ts',
    'assembly/abi/capture.ts',
  ];
  for (const rel of sources) {
    const out = ts.transpileModule(fs.readFileSync(path.join(root, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const dest = path.join(tmp, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, out.outputText);
  }
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(path.join(tmp, 'child.mjs'), CHILD);
});

function run(input: Uint8Array | { file: string }, format?: string) {
  const child = path.join(tmp, 'child.mjs');
  const r =
    input instanceof Uint8Array
      ? spawnSync(process.execPath, [child, format ?? ''], { input, maxBuffer: 1 << 28 })
      : spawnSync('sh', ['-c', `"${process.execPath}" "${child}" "${format ?? ''}" < "${input.file}"`], { maxBuffer: 1 << 28 });
  const lines = r.stderr.toString().trim().split('\n');
  return { status: r.status, stdout: r.stdout, info: JSON.parse(lines[lines.length - 1]!), stderr: r.stderr.toString() };
}

describe("'-' for standard input and output", () => {
  const records = Array.from({ length: 300 }, (_, i) => pcapRecord({ sec: 1000 + i, frac: i, data: payload(100 + (i % 900), i) }));
  const pcap = concat(pcapHeader({ snaplen: 2000 }), ...records);

  it('pcap through a pipe comes out byte-identical; no file size on a pipe', () => {
    const r = run(pcap);
    expect(r.status).toBe(0);
    expect(r.info).toEqual({ fileSize: null, packets: 300 });
    expect(Buffer.compare(r.stdout, Buffer.from(pcap))).toBe(0);
  });

  it('standard input redirected from a file has a file size', () => {
    const f = path.join(tmp, 'in.pcap');
    fs.writeFileSync(f, pcap);
    const r = run({ file: f });
    expect(r.info).toEqual({ fileSize: pcap.length, packets: 300 });
    expect(Buffer.compare(r.stdout, Buffer.from(pcap))).toBe(0);
  });

  it('pcapng on standard output keeps the input format', () => {
    const ng = concat(shb(true), idb(true), epb(true, { ts: 1n, data: payload(64) }));
    const r = run(ng);
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, Buffer.from(ng))).toBe(0);
    const conv = run(pcap, 'pcapng');
    expect(conv.stdout.readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('damage on standard input names <stdin>; earlier packets are written', () => {
    const damaged = concat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: payload(10) }), Uint8Array.of(1, 2, 3));
    const r = run(damaged);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('<stdin>: byte 50: record header cut short at end of file (3 of 16 bytes)');
    expect(Buffer.compare(r.stdout, Buffer.from(damaged.subarray(0, 50)))).toBe(0);
  });
});
