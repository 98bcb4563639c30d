// One watch request: GET ...?watch=1&resourceVersion=..., read as a stream of JSON lines, one
// event each, within the bounds of live-http.ts (connect timeout, answer checks) plus a window
// (the request's own end: the server is asked to close at timeoutSeconds, and the connection
// is closed a little after if it does not) and a bound on the size of one event.
//
// The client library's Watch reads lines with no size bound and skips lines that are not JSON
// without a word, so the stream is read here (see live.ts for the connection options).

import type { RequestOptions } from 'node:http';
import { ERROR_BODY_BYTES, exchange, isJsonType, oneLine, statusText, type BodyHandler, type RequestLimits, type Settle } from './live-http.js';
import { formatBytes } from './live-options.js';

/** A watch event as the API server sends it. */
export interface RawWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

const EVENT_TYPES: readonly string[] = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'];

/** How a watch request ended without failing. */
export type WatchEnd =
  /** The server ended the stream, or the window closed: resume from the last resourceVersion. */
  | { kind: 'closed'; events: number }
  /** The server refused the watch (not 2xx), with its Status message when it sent one. */
  | { kind: 'refused'; status: number; message: string }
  /** onEvent asked to stop (an ERROR event, e.g. 410 Gone). */
  | { kind: 'stopped'; events: number };

export interface WatchLimits extends RequestLimits {
  /** Largest event (one line), in bytes. */
  maxEventBytes: number;
}

/**
 * Reads one watch stream, calling `onEvent` with each event in order (it returns true to end
 * the stream). Rejects with a LiveClusterError ("GET <url>: ...") on a connection that fails,
 * an answer that is not JSON, a line that is not a watch event or is larger than the bound,
 * or a stream cut mid-event; the events before it have been delivered.
 */
export function watchRequest(
  url: URL,
  shown: string,
  base: RequestOptions,
  limits: WatchLimits,
  onEvent: (ev: RawWatchEvent) => boolean,
  signal?: AbortSignal,
): Promise<WatchEnd> {
  return exchange<WatchEnd>(url, shown, base, limits, signal, (res, status, contentType, settle) => {
    if (status < 200 || status >= 300) return refusal(status, contentType, settle);
    let line: Buffer[] = [];
    let lineBytes = 0;
    let events = 0;
    const takeLine = (): void => {
      const text = Buffer.concat(line, lineBytes).toString('utf8');
      line = [];
      lineBytes = 0;
      if (text.trim() === '') return;
      const ev = eventOf(text);
      if (typeof ev === 'string') return settle.fail(`event ${events + 1}: ${ev}`, status);
      events++;
      if (onEvent(ev)) settle.done({ kind: 'stopped', events }, true);
    };
    return {
      data(chunk) {
        let from = 0;
        while (from < chunk.length && !settle.settled) {
          const nl = chunk.indexOf(10, from);
          const end = nl < 0 ? chunk.length : nl;
          if (lineBytes + end - from > limits.maxEventBytes) {
            return settle.fail(`event ${events + 1} is larger than the ${formatBytes(limits.maxEventBytes)} limit of one event`, status);
          }
          line.push(chunk.subarray(from, end));
          lineBytes += end - from;
          if (nl < 0) return;
          takeLine();
          from = nl + 1;
        }
      },
      end() {
        if (!res.complete) {
          const mid = lineBytes > 0 ? `, ${lineBytes} bytes into event ${events + 1}` : '';
          return settle.fail(`the connection closed after ${events} events${mid}: the watch was dropped`, status);
        }
        if (lineBytes > 0) takeLine();
        settle.done({ kind: 'closed', events }, false);
      },
      deadline() {
        settle.done({ kind: 'closed', events }, true);
      },
    };
  });
}

/** A refused watch: its Status message (at most ERROR_BODY_BYTES read). */
function refusal(status: number, contentType: string, settle: Settle<WatchEnd>): BodyHandler<WatchEnd> {
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (): void => {
    let message = `HTTP ${statusText(status)}`;
    if (isJsonType(contentType)) {
      try {
        const s = JSON.parse(Buffer.concat(chunks, received).toString('utf8')) as { message?: unknown };
        if (typeof s?.message === 'string' && s.message !== '') message += `: ${oneLine(s.message)}`;
      } catch {
        /* not a Status: the status line says enough */
      }
    }
    settle.done({ kind: 'refused', status, message }, true);
  };
  return {
    data(chunk) {
      const take = Math.min(chunk.length, ERROR_BODY_BYTES - received);
      chunks.push(chunk.subarray(0, take));
      received += take;
      if (received >= ERROR_BODY_BYTES) finish();
    },
    end: finish,
    deadline: finish,
  };
}

/** The event on one line, or why it is not one. */
function eventOf(text: string): RawWatchEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${oneLine((e as Error).message, 120)}`;
  }
  const ev = v as { type?: unknown; object?: unknown } | null;
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return 'not a watch event (not a JSON object)';
  if (typeof ev.type !== 'string' || !EVENT_TYPES.includes(ev.type)) {
    return `not a watch event (type ${typeof ev.type === 'string' ? JSON.stringify(oneLine(ev.type, 40)) : 'missing'})`;
  }
  if (typeof ev.object !== 'object' || ev.object === null || Array.isArray(ev.object)) return `a ${ev.type} event without an object`;
  return ev as RawWatchEvent;
}
