// Output files (-w, --trace, --report) never destroy data:
//   - an output that is the same file as an input (also through a hard link or a symlink), or as
//     another output: exit 2 before any work, one line on stderr, nothing written;
//   - outputs are written under a temporary name and renamed into place when complete: a run that
//     fails mid-way leaves no file under the output name and no temporary file, and a file already
//     there keeps its bytes; a successful run leaves exactly the outputs;
//   - pcapng -> pcap with two link types or timestamp resolutions: from a file, exit 2 before any
//     work (the interface blocks are scanned); from standard input, exit 2 at the packet that
//     differs, one line, outputs discarded;
//   - damage in the input capture still writes the packets before it (README), in place;
//   - targets that are not regular files (/dev/null) are written directly;
//   - OutputFile itself: commit, abort, abort after commit, abortOpenOutputs, symlinks, mode,
//     a directory that is not writable.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt, runCli, tempDir } from './helpers/cli.js';
import { concat, epb, idb, makeBatch, payload, readAll, shb } from './helpers/capture-builders.js';
import { OutputFile, abortOpenOutputs } from '../src/capture/output-file.js';
import { openCaptureReader } from '../src/capture/reader.js';
import { openCaptureWriter } from '../src/capture/writer.js';
import { pcapOutputProblem } from '../src/cli/pcap-output.js';
import { CORPUS, haveCorpus } from './helpers/corpus.js';
import { D_CAPLEN, D_OFFSET, DESC_WORDS } from '../assembly/abi/layout.js';

const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
/** package.json's "start" options, without the outputs. */
const DEMO_ARGS = ['--cluster', DEMO_CLUSTER, '--node', 'node-a', '--node-ip', '192.168.49.2', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16'];

/** One temporary root for the whole file (tempDir adds an exit listener per call). */
const ROOT = tempDir('svcplane-cli-outputs-');
let dirs = 0;
/** A fresh empty directory. */
const freshDir = (): string => fs.mkdirSync(path.join(ROOT, String(dirs++)), { recursive: true })!;

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const listing = (dir: string): string[] => fs.readdirSync(dir).sort();

/** A fresh directory holding a copy of the demo capture as in.pcapng. */
function dirWithInput(): { dir: string; input: string } {
  const dir = freshDir();
  const input = path.join(dir, 'in.pcapng');
  fs.copyFileSync(DEMO, input);
  return { dir, input };
}

/**
 * A pcapng whose 4th packet has another link type than the first three (user link types, passed
 * unchanged): written as pcap, the writer fails at that packet, after three were written.
 */
function mixedLinkTypes(file: string, le = true): Uint8Array {
  const packets = [0, 0, 0, 1].map((iface, i) => epb(le, { iface, ts: BigInt(1_000_000 + i), data: payload(60, i) }));
  const bytes = concat(shb(le), idb(le, { linkType: 147 }), idb(le, { linkType: 148 }), ...packets);
  fs.writeFileSync(file, bytes);
  return bytes;
}

beforeAll(() => ensureBuilt());

describe('an output that is an input, or another output: exit 2, nothing written', () => {
  function expectRefused(args: string[], dir: string, protect: string[], message: string): void {
    const before = listing(dir);
    const sums = protect.map(sha256);
    const r = runCli(['replay', ...args, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${message}\n`);
    expect(r.stdout).toBe('');
    expect(protect.map(sha256)).toEqual(sums);
    expect(listing(dir)).toEqual(before);
  }

  it('-w is the input capture', () => {
    const { dir, input } = dirWithInput();
    expectRefused([input, '-w', input], dir, [input], `${input}: is the same file as the input capture ${input}; refusing to overwrite it`);
  });

  it('-w is a hard link to the input capture', () => {
    const { dir, input } = dirWithInput();
    const hard = path.join(dir, 'hard.pcapng');
    fs.linkSync(input, hard);
    expectRefused([input, '-w', hard], dir, [input], `${hard}: is the same file as the input capture ${input}; refusing to overwrite it`);
  });

  it('-w is a symlink to the input capture (and the input a symlink to it)', () => {
    const { dir, input } = dirWithInput();
    const link = path.join(dir, 'link.pcapng');
    fs.symlinkSync('in.pcapng', link);
    expectRefused([input, '-w', link, ...DEMO_ARGS], dir, [input], `${link}: is the same file as the input capture ${input}; refusing to overwrite it`);
    expectRefused([link, '-w', input], dir, [input], `${input}: is the same file as the input capture ${link}; refusing to overwrite it`);
  });

  it.each(['--trace', '--report', '--html'])('%s is the input capture', (option) => {
    const { dir, input } = dirWithInput();
    const out = path.join(dir, 'out.pcapng');
    expectRefused([input, '-w', out, option, input], dir, [input], `${input}: is the same file as the input capture ${input}; refusing to overwrite it`);
  });

  it('an output is the cluster file, the --updates file or the kubeconfig', () => {
    const { dir, input } = dirWithInput();
    const cluster = path.join(dir, 'cluster.yaml');
    const updates = path.join(dir, 'updates.jsonl');
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.copyFileSync(DEMO_CLUSTER, cluster);
    fs.writeFileSync(updates, '');
    fs.writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const all = [input, cluster, updates, kubeconfig];
    expectRefused([input, '-c', cluster, '-w', cluster], dir, all, `${cluster}: is the same file as the cluster file ${cluster}; refusing to overwrite it`);
    expectRefused([input, '--updates', updates, '--trace', updates], dir, all, `${updates}: is the same file as the --updates file ${updates}; refusing to overwrite it`);
    // Refused before the kubeconfig is read (this one names no cluster).
    expectRefused([input, '--kubeconfig', kubeconfig, '--report', kubeconfig], dir, all, `${kubeconfig}: is the same file as the kubeconfig ${kubeconfig}; refusing to overwrite it`);
  });

  it('two outputs name the same file (new or existing)', () => {
    const { dir, input } = dirWithInput();
    const a = path.join(dir, 'a');
    expectRefused([input, '-w', a, '--report', a], dir, [input], `${a}: is the same file as the -w output ${a}; refusing to write it twice`);
    expectRefused([input, '--trace', a, '--report', path.join(dir, '.', 'a')], dir, [input], `${path.join(dir, '.', 'a')}: is the same file as the --trace output ${a}; refusing to write it twice`);
    expectRefused([input, '--report', a, '--html', a], dir, [input], `${a}: is the same file as the --report output ${a}; refusing to write it twice`);
    fs.writeFileSync(a, 'old');
    const b = path.join(dir, 'b');
    fs.linkSync(a, b);
    expectRefused([input, '-w', a, '--trace', b], dir, [input, a], `${b}: is the same file as the -w output ${a}; refusing to write it twice`);
  });
});

describe('outputs are put in place only when complete', () => {
  // From standard input the second link type is only found at its packet, after three packets
  // were written and traced: the run fails mid-way.
  it('a run that fails mid-way leaves no output and no temporary file', () => {
    const dir = freshDir();
    const input = path.join(dir, 'mixed.pcapng');
    const bytes = mixedLinkTypes(input);
    const r = runCli(['replay', '-', '-w', path.join(dir, 'out.pcap'), '--trace', path.join(dir, 'trace.jsonl'), '--report', path.join(dir, 'r.json'), '-q'],
      { input: bytes });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${path.join(dir, 'out.pcap')}: cannot write pcap: packet 4 has link type 148 but earlier packets have link type 147; write pcapng instead\n`);
    expect(listing(dir)).toEqual(['mixed.pcapng']);
  });

  it.runIf(fs.existsSync('/proc/version'))('a directory that refuses new files (/proc) is not called missing; with workers too', () => {
    for (const workers of ['1', '2']) {
      const r = runCli(['replay', DEMO, ...DEMO_ARGS, '--workers', workers, '-w', '/proc/version', '-q']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toBe('svcplane: /proc/version: cannot write: no file can be created in directory /proc (ENOENT)\n');
    }
  });

  it('a file already under the output name keeps its bytes when the run fails', () => {
    const dir = freshDir();
    const input = path.join(dir, 'mixed.pcapng');
    const bytes = mixedLinkTypes(input);
    const out = path.join(dir, 'out.pcap');
    const trace = path.join(dir, 'trace.jsonl');
    fs.writeFileSync(out, 'previous capture');
    fs.writeFileSync(trace, 'previous trace\n');
    const html = path.join(dir, 'report.html');
    fs.writeFileSync(html, 'previous page');
    const r = runCli(['replay', '-', '-w', out, '--trace', trace, '--html', html, '-q'], { input: bytes });
    expect(r.status, r.stderr).toBe(2);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous capture');
    expect(fs.readFileSync(trace, 'utf8')).toBe('previous trace\n');
    expect(fs.readFileSync(html, 'utf8')).toBe('previous page');
    expect(listing(dir)).toEqual(['mixed.pcapng', 'out.pcap', 'report.html', 'trace.jsonl']);
  });

  it('damage in the capture: exit 2, the packets before it written in place, no temporary file', () => {
    const dir = freshDir();
    const cut = path.join(dir, 'cut.pcapng');
    const demo = fs.readFileSync(DEMO);
    fs.writeFileSync(cut, demo.subarray(0, (demo.length >> 1) | 1)); // odd: inside a block
    const before = readAll(cut);
    expect(before.error).toBeDefined();
    expect(before.packets.length).toBeGreaterThan(0);
    const out = path.join(dir, 'out.pcapng');
    fs.writeFileSync(out, 'previous capture');
    const r = runCli(['replay', cut, '-w', out, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^svcplane: .*cut\.pcapng: byte \d+: /);
    const written = readAll(out);
    expect(written.error).toBeUndefined();
    expect(written.packets.length).toBe(before.packets.length);
    expect(listing(dir)).toEqual(['cut.pcapng', 'out.pcapng']);
  });

  it('a successful run leaves exactly its outputs; an existing output is replaced', () => {
    const { dir, input } = dirWithInput();
    const out = path.join(dir, 'out.pcapng');
    fs.writeFileSync(out, 'previous capture');
    const r = runCli(['replay', input, ...DEMO_ARGS, '-w', out, '--trace', path.join(dir, 'trace.jsonl'), '--report', path.join(dir, 'report.json'),
      '--html', path.join(dir, 'report.html'), '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(listing(dir)).toEqual(['in.pcapng', 'out.pcapng', 'report.html', 'report.json', 'trace.jsonl']);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
    expect(readAll(out).packets.length).toBeGreaterThan(2000);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).packets.in).toBe(2223);
    expect(fs.readFileSync(path.join(dir, 'trace.jsonl'), 'utf8').split('\n').length).toBe(2224);
  });

  it('-w, --trace and --report /dev/null are written directly (and may share it)', () => {
    const { dir, input } = dirWithInput();
    const r = runCli(['replay', input, ...DEMO_ARGS, '-w', '/dev/null', '--trace', '/dev/null', '--report', '/dev/null', '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(listing(dir)).toEqual(['in.pcapng']);
  });
});

describe('pcapng -> pcap with two link types or resolutions: exit 2 before any work', () => {
  it('two link types (both byte orders): the packet, the interfaces, what to do', () => {
    for (const le of [true, false]) {
      const dir = freshDir();
      const input = path.join(dir, 'mixed.pcapng');
      mixedLinkTypes(input, le);
      const out = path.join(dir, 'out.pcap');
      const r = runCli(['replay', input, '-w', out, '--trace', path.join(dir, 't'), '--report', path.join(dir, 'r'), '-q']);
      expect(r.status, r.stderr).toBe(2);
      // The scan's words (the writer's would be "packet 4 has link type 148 but earlier ...").
      expect(r.stderr).toBe(`svcplane: ${out}: cannot write pcap: packet 4 of ${input} has link type USER1 (148) on interface 1, ` +
        'packet 1 USER0 (147) on interface 0: a pcap file has one link type; write pcapng instead\n');
      expect(listing(dir)).toEqual(['mixed.pcapng']);
    }
  });

  it('two timestamp resolutions; a later section with its own interfaces counts too', () => {
    const dir = freshDir();
    const input = path.join(dir, 'two.pcapng');
    const le = true;
    fs.writeFileSync(input, concat(
      shb(le), idb(le, { linkType: 1 }), epb(le, { ts: 1n, data: payload(60, 0) }),
      shb(le), idb(le, { linkType: 1, tsresol: 9 }), epb(le, { ts: 2n, data: payload(60, 1) }),
    ));
    const out = path.join(dir, 'out.pcap');
    const r = runCli(['replay', input, '-w', out, '-q']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`svcplane: ${out}: cannot write pcap: packet 2 of ${input} has timestamp resolution 10^-9 s on interface 0, ` +
      'packet 1 10^-6 s on interface 0: a pcap file has one resolution; write pcapng instead\n');
    expect(listing(dir)).toEqual(['two.pcapng']);
  });

  it('an interface of another link type that carries no packet is no obstacle', () => {
    const dir = freshDir();
    const input = path.join(dir, 'unused.pcapng');
    const le = true;
    fs.writeFileSync(input, concat(shb(le), idb(le, { linkType: 147 }), idb(le, { linkType: 148 }),
      ...[0, 1, 2].map((i) => epb(le, { iface: 0, ts: BigInt(i), data: payload(60, i) }))));
    const out = path.join(dir, 'out.pcap');
    const r = runCli(['replay', input, '-w', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(readAll(out).packets.length).toBe(3);
  });

  it('-w with another name (pcapng) or -w - is not concerned', () => {
    const dir = freshDir();
    const input = path.join(dir, 'mixed.pcapng');
    mixedLinkTypes(input);
    expect(runCli(['replay', input, '-w', path.join(dir, 'out.pcapng'), '-q']).status).toBe(0);
    const r = runCli(['replay', input, '-w', '-', '-q']);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe.skipIf(!haveCorpus)('the scan agrees with the capture writer on the corpus', () => {
  const pcapngs = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.pcapng')).sort() : [];
  for (const file of pcapngs) {
    it(file, () => {
      const input = path.join(CORPUS, file);
      const out = path.join(freshDir(), 'out.pcap');
      let writerSays: string | undefined;
      const reader = openCaptureReader(input);
      const writer = openCaptureWriter(out, reader);
      const batch = makeBatch();
      try {
        for (let n; (n = reader.readBatch(batch)) > 0;) {
          for (let i = 0; i < n; i++) writer.writePacket(batch, i, batch.data, batch.desc[i * DESC_WORDS + D_OFFSET]!, batch.desc[i * DESC_WORDS + D_CAPLEN]!);
        }
      } catch (e) {
        if (/cannot write pcap/.test((e as Error).message)) writerSays = (e as Error).message;
      } finally {
        writer.abort();
        reader.close();
      }
      const scan = pcapOutputProblem(input);
      expect(scan === undefined, `scan: ${scan}; writer: ${writerSays}`).toBe(writerSays === undefined);
      if (writerSays !== undefined) expect(scan).toMatch(new RegExp(`^packet ${/packet (\d+)/.exec(writerSays)![1]} of `));
    });
  }
});

describe('OutputFile', () => {
  const write = (f: OutputFile, text: string): void => void fs.writeSync(f.fd, text);
  const temps = (dir: string): string[] => listing(dir).filter((n) => n.endsWith('.tmp'));

  it('commit: nothing under the name until then, a temporary file in the same directory meanwhile', () => {
    const dir = freshDir();
    const file = path.join(dir, 'out.bin');
    const f = OutputFile.open(file);
    write(f, 'new');
    expect(fs.existsSync(file)).toBe(false);
    expect(temps(dir)).toEqual([expect.stringMatching(/^\.out\.bin\.svcplane-\d+-\d+\.tmp$/)]);
    f.commit();
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(listing(dir)).toEqual(['out.bin']);
    f.commit(); // again: nothing
    f.abort(); // after commit: nothing
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
  });

  it('commit over an existing file replaces it and keeps its mode', () => {
    const dir = freshDir();
    const file = path.join(dir, 'out.bin');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    const f = OutputFile.open(file);
    write(f, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    f.commit();
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  });

  it('abort: no file, no temporary file, an existing file untouched; twice is fine; commit after it throws', () => {
    const dir = freshDir();
    const fresh = OutputFile.open(path.join(dir, 'fresh.bin'));
    write(fresh, 'x');
    fresh.abort();
    fresh.abort();
    expect(() => fresh.commit()).toThrow(/fresh\.bin: output was discarded/);
    const old = path.join(dir, 'old.bin');
    fs.writeFileSync(old, 'old');
    const f = OutputFile.open(old);
    write(f, 'new');
    f.abort();
    expect(listing(dir)).toEqual(['old.bin']);
    expect(fs.readFileSync(old, 'utf8')).toBe('old');
  });

  it('abortOpenOutputs discards every open output, and only those', () => {
    const dir = freshDir();
    const done = OutputFile.open(path.join(dir, 'done.bin'));
    done.commit();
    for (const name of ['a.bin', 'b.bin']) write(OutputFile.open(path.join(dir, name)), name);
    expect(temps(dir)).toHaveLength(2);
    abortOpenOutputs();
    expect(listing(dir)).toEqual(['done.bin']);
  });

  it('a symlink is written through: the target is replaced, the link stays', () => {
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, 'real'));
    const target = path.join(dir, 'real', 'out.bin');
    fs.writeFileSync(target, 'old');
    const link = path.join(dir, 'link.bin');
    fs.symlinkSync(path.join('real', 'out.bin'), link);
    const f = OutputFile.open(link);
    write(f, 'new');
    f.commit();
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
    expect(listing(path.join(dir, 'real'))).toEqual(['out.bin']);
  });

  it('/dev/null is written directly', () => {
    const f = OutputFile.open('/dev/null');
    write(f, 'x');
    f.commit();
    const g = OutputFile.open('/dev/null');
    g.abort();
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a directory that is not writable: an error naming the output and the directory', () => {
    const parent = freshDir();
    fs.chmodSync(ROOT, 0o755); // nobody (below) must reach it
    const dir = path.join(parent, 'ro');
    fs.mkdirSync(dir, 0o555);
    fs.chmodSync(dir, 0o555);
    const file = path.join(dir, 'out.bin');
    expect(openFails(file)).toEqual({ code: 'EACCES', message: `${file}: cannot write: directory ${dir} is not writable (EACCES)` });
    expect(listing(dir)).toEqual([]);
  });
});

describe('CaptureWriter.abort', () => {
  it('discards the capture; close() puts it in place', () => {
    const dir = freshDir();
    for (const end of ['abort', 'close'] as const) {
      const out = path.join(dir, `${end}.pcapng`);
      const reader = openCaptureReader(DEMO);
      const writer = openCaptureWriter(out, reader);
      const batch = makeBatch();
      const n = reader.readBatch(batch);
      for (let i = 0; i < n; i++) writer.writePacket(batch, i, batch.data, batch.desc[i * DESC_WORDS + D_OFFSET]!, batch.desc[i * DESC_WORDS + D_CAPLEN]!);
      writer[end]();
      reader.close();
    }
    expect(listing(dir)).toEqual(['close.pcapng']);
    expect(readAll(path.join(dir, 'close.pcapng')).packets.length).toBe(64);
  });
});

/**
 * OutputFile.open(file)'s error, from an unprivileged process: root writes anywhere, so as root
 * the open runs in a child as nobody (the compiled module).
 */
function openFails(file: string): { code?: string; message: string } | undefined {
  if (process.getuid?.() !== 0) {
    try {
      OutputFile.open(file).abort();
      return undefined;
    } catch (e) {
      return { code: (e as NodeJS.ErrnoException).code, message: (e as Error).message };
    }
  }
  const mod = pathToFileURL(path.join(REPO, 'dist', 'src', 'capture', 'output-file.js')).href;
  const script = `
    const { OutputFile } = await import(${JSON.stringify(mod)});
    try { OutputFile.open(${JSON.stringify(file)}).abort(); console.log('null'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { code?: string; message: string } | null) ?? undefined;
}
