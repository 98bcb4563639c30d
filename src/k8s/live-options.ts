// Limits of a live-cluster read (--kubeconfig): their defaults, how they are written on the
// command line, and how they are shown in messages. Nothing here loads the Kubernetes client,
// so the command line can import it eagerly.

import { constants as bufferConstants } from 'node:buffer';
import { InvalidArgumentError } from 'commander';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Items per list request (the API's `limit`). */
export const DEFAULT_PAGE_SIZE = 500;
/** Time to establish a connection (TCP, and TLS for https), per request. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Time for one whole list (all its pages), like kubectl's --request-timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Largest response body accepted, per request. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * MiB;
/** Most pages one list may take. */
export const DEFAULT_MAX_PAGES = 10_000;
/**
 * The largest response size that can be allowed: a body is decoded into one string before
 * JSON.parse, and V8 strings have at most this many characters (about 512 MiB).
 */
export const MAX_RESPONSE_BYTES_LIMIT = bufferConstants.MAX_STRING_LENGTH;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "60", "2.5", "500ms", "30s", "2m", "1h" → milliseconds (a bare number is seconds, as kubectl
 * accepts); "0" → 0 (no limit). Throws a RangeError on anything else.
 */
export function parseDurationMs(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new RangeError('expected a duration: seconds, or a number with ms, s, m or h (500ms, 30s, 2m); 0: no limit');
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!);
  if (ms === 0 && Number(m[1]) !== 0) throw new RangeError('a duration under 1 ms; 0 means no limit');
  if (!Number.isSafeInteger(ms) || ms > 2 ** 31 - 1) throw new RangeError('a duration longer than 24 days');
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, k: 1000, K: 1000, M: 1000 ** 2, G: 1000 ** 3, Ki: KiB, Mi: MiB, Gi: GiB, KiB: KiB, MiB: MiB, GiB: GiB,
};

/**
 * "1048576", "64Mi", "1MiB", "500k", "1G" → bytes (Ki/Mi/Gi are powers of 1024, k/M/G of 1000,
 * as in Kubernetes quantities). Between 1 byte and MAX_RESPONSE_BYTES_LIMIT; RangeError otherwise.
 */
export function parseByteSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(k|K|M|G|Ki|Mi|Gi|KiB|MiB|GiB)?\s*$/.exec(text);
  if (!m) throw new RangeError('expected a size: bytes, or a number with Ki, Mi, Gi (1024s) or k, M, G (1000s)');
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2] ?? '']!);
  if (bytes < 1) throw new RangeError('a size of at least 1 byte');
  if (bytes > MAX_RESPONSE_BYTES_LIMIT) {
    throw new RangeError(`at most ${MAX_RESPONSE_BYTES_LIMIT} bytes (just under ${Math.ceil(MAX_RESPONSE_BYTES_LIMIT / MiB)} MiB): a response is parsed as one string`);
  }
  return bytes;
}

/** A commander argument parser for a duration option (milliseconds). */
export const durationOption = (name: string) => (v: string): number => {
  try {
    return parseDurationMs(v);
  } catch (e) {
    throw new InvalidArgumentError(`${name}: ${(e as Error).message}`);
  }
};

/** A commander argument parser for a byte-size option. */
export const byteSizeOption = (name: string) => (v: string): number => {
  try {
    return parseByteSize(v);
  } catch (e) {
    throw new InvalidArgumentError(`${name}: ${(e as Error).message}`);
  }
};

/** 60000 → "60 s", 250 → "0.25 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** 268435456 → "256 MiB", 1536 → "1.5 KiB", 1000 → "1000 bytes" (exact values only). */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (n >= size && Number.isInteger((n * 10) / size)) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}
