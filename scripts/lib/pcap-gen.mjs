// What the capture generators share: a deterministic random source, the Internet checksum and a
// classic pcap written in 4 MiB chunks. Plain JavaScript: the generators run without a build.

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

/** xorshift32: the same sequence on every platform for a seed. */
export function xorshift32(seed) {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** Dotted-quad IPv4 text as a 32-bit number. */
export const ipNum = (text) => text.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;

/** Adds the big-endian 16-bit words of buf[start, end) to `acc` (a last odd byte as the high half). */
export function sum16(buf, start, end, acc) {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if (i < end) acc += buf[i] << 8;
  return acc;
}

/** Folds a one's-complement sum to 16 bits and complements it: the checksum field's value. */
export function fold(acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

/** The sum of a 32-bit value's two 16-bit halves (an IPv4 address in a pseudo-header). */
export const hiLo = (v) => (v >>> 16) + (v & 0xffff);

export const PCAP_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 16;
const CHUNK = 4 * 1024 * 1024;

/**
 * A little-endian, microsecond, EN10MB classic pcap written to `out` ('-': standard output) in
 * chunks: callers fill `buf` from `pos` (after `room(n)` made space for n bytes) and advance `pos`.
 * A non-blocking standard output (a pipe) is waited on rather than failed.
 */
export class PcapChunks {
  constructor(out, onFlush = () => {}) {
    this.buf = Buffer.alloc(CHUNK);
    this.fd = out === '-' ? 1 : fs.openSync(out, 'w');
    this.onFlush = onFlush;
    this.sleepCell = new Int32Array(new SharedArrayBuffer(4));
    // Header: usec magic, version 2.4, zone and accuracy 0, snaplen 65535, EN10MB.
    this.buf.writeUInt32LE(0xa1b2c3d4, 0);
    this.buf.writeUInt16LE(2, 4);
    this.buf.writeUInt16LE(4, 6);
    this.buf.writeUInt32LE(65535, 16);
    this.buf.writeUInt32LE(1, 20);
    this.pos = PCAP_HEADER_BYTES;
  }

  /** Makes room for `n` more bytes at `pos`. */
  room(n) {
    if (this.pos + n > CHUNK) this.flush();
  }

  /** Writes a record header (time, captured and wire length `len`) at `pos`; returns the frame's offset. */
  record(sec, usec, len) {
    const b = this.buf;
    b.writeUInt32LE(sec, this.pos);
    b.writeUInt32LE(usec, this.pos + 4);
    b.writeUInt32LE(len, this.pos + 8);
    b.writeUInt32LE(len, this.pos + 12);
    return this.pos + RECORD_HEADER_BYTES;
  }

  flush() {
    let o = 0;
    while (o < this.pos) {
      try {
        o += fs.writeSync(this.fd, this.buf, o, this.pos - o);
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
        Atomics.wait(this.sleepCell, 0, 0, 1);
      }
    }
    this.pos = 0;
    this.onFlush();
  }

  close() {
    this.flush();
    if (this.fd !== 1) fs.closeSync(this.fd);
  }
}

/**
 * A generator's command line: `options` as node:util parseArgs takes them (numbers as strings,
 * converted by the caller), at most one positional (the output). A mistake prints one line and the
 * usage on standard error and exits 2; --help prints the usage and exits 2 as well.
 */
export function generatorArgs(name, usageLine, options) {
  const usage = (msg) => {
    if (msg) process.stderr.write(`${name}: ${msg}\n`);
    process.stderr.write(`usage: ${usageLine}\n`);
    process.exit(2);
  };
  let parsed;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    usage(e.message.split('. ')[0]);
  }
  if (parsed.values.help) usage();
  if (parsed.positionals.length > 1) usage(`unexpected argument ${parsed.positionals[1]}`);
  return { values: parsed.values, out: parsed.positionals[0], usage };
}
