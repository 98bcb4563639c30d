// The wire/ views compiled on their own (test/wire/entry.ts) for the byte-vector tests: the
// module, its memory, and helpers to put bytes in and read them back.

import asc from 'assemblyscript/asc';

export type WireExports = Record<string, any> & { memory: WebAssembly.Memory };

export interface Wire {
  x: WireExports;
  /** Address of the scratch buffer the tests write into. */
  base: number;
  /** Writes `bytes` at base + `at`, after filling `fill` bytes there with 0xa5 (smoltcp's construct test). */
  put(at: number, bytes: ArrayLike<number>, fill?: number): number;
  /** The `len` bytes at base + `at`. */
  get(at: number, len: number): Uint8Array;
}

let compiled: Promise<WebAssembly.Module> | undefined;

async function compile(): Promise<WebAssembly.Module> {
  let wasm: Uint8Array | undefined;
  let err = '';
  const { error } = await asc.main([
    'test/wire/entry.ts', '--outFile', 'wire.wasm', '--runtime', 'stub', '--optimizeLevel', '0',
    '--config', 'test/wire/asconfig.json',
  ], {
    writeFile(name: string, contents: Uint8Array | string) { if (name.endsWith('.wasm')) wasm = contents as Uint8Array; },
    stderr: { write(s: string) { err += s; return true; } } as any,
    stdout: { write() { return true; } } as any,
  });
  if (error || !wasm) throw new Error(`asc failed: ${error?.message ?? ''}\n${err}`);
  return WebAssembly.compile(wasm);
}

/** A fresh instance of the wire module (compiled once per test file). */
export async function wire(): Promise<Wire> {
  compiled ??= compile();
  const inst = await WebAssembly.instantiate(await compiled, { env: { abort() { throw new Error('abort'); } } });
  const x = inst.exports as WireExports;
  x.init();
  const base = x.buffer() as number;
  const mem = () => new Uint8Array(x.memory.buffer);
  return {
    x, base,
    put(at, bytes, fill = 0) {
      mem().fill(0xa5, base + at, base + at + Math.max(fill, bytes.length));
      mem().set(bytes as ArrayLike<number>, base + at);
      return base + at;
    },
    get(at, len) { return mem().slice(base + at, base + at + len); },
  };
}

/** Hex string → bytes ("45 00 00 3c ..."; spaces ignored). */
export function hex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  return Uint8Array.from(t.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** RFC 1071 checksum of `bytes` with an initial 32-bit sum (full recompute, the reference). */
export function inet(bytes: ArrayLike<number>, sum = 0): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Sum of 16-bit words of `bytes` (for pseudo-headers). */
export function words(bytes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  return s;
}

export const be16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
/** An address's raw u32 as a little-endian load of its wire bytes gives it ("10.0.0.1" → 0x0100000a). */
export function raw4(ip: string): number {
  const p = ip.split('.').map(Number);
  return (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
}
