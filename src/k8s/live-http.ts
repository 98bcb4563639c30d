// One GET to the API server, with every bound a read of a live cluster needs: a connect
// timeout, a deadline for the complete answer, and a cap on the body that stops reading (and
// closes the connection) the moment it is passed. Every way it can go wrong ends in one
// LiveClusterError whose message is one line, "GET <url>: <what happened>".
//
// The Kubernetes client library's list calls offer none of these bounds (a streamed list is
// buffered whole, a silent server is waited on forever, a connection closed mid-body can leave
// its promise unsettled), so the requests are made here with node:http/https, using the
// connection options (agent, CA, client certificate, token headers) the library resolves from
// the kubeconfig.

import { request as httpRequest, STATUS_CODES, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { formatBytes, formatSeconds } from './live-options.js';

/** Thrown when the API server cannot be reached, refuses a list, or answers badly. */
export class LiveClusterError extends Error {
  readonly code = 'ELIVE';

  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'LiveClusterError';
  }
}

export interface RequestLimits {
  /** The connection (TCP, and the TLS handshake for https) within this many ms; 0: no own limit. */
  connectTimeoutMs: number;
  /** Date.now() by which the answer must be complete; Infinity: none. */
  deadline: number;
  /** The limit the deadline comes from, for messages (ms). */
  requestTimeoutMs: number;
  /** Most body bytes read from a successful (2xx) answer. */
  maxBytes: number;
  /** Date.now() by which a body must end, when not `deadline` (a watch: its window); the handler's deadline() is called then. */
  bodyDeadline?: number;
}

export interface Answer {
  status: number;
  /** The Content-Type header; '' when there is none. */
  contentType: string;
  body: Buffer;
  /** Only the first ERROR_BODY_BYTES of an error (non-2xx) answer were read. */
  truncated: boolean;
}

/** How much of an error answer (not 2xx) is read: enough for its Status message. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** "application/json", "application/json; charset=utf-8", "application/merge-patch+json". */
export function isJsonType(contentType: string): boolean {
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/** "403 Forbidden". */
export function statusText(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

/** Text from elsewhere (a server's message, an error) made into part of one line, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const s = text.replace(/[\s\x00-\x1f\x7f]+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** What a request does with an answer whose headers are in and acceptable. */
export interface BodyHandler<T> {
  /** A chunk of the body. */
  data(chunk: Buffer): void;
  /** The body is complete (the server ended it). */
  end(): void;
  /** The request timeout struck while the body was still coming. */
  deadline(): void;
}

/** How a body handler ends the exchange. */
export interface Settle<T> {
  /** Resolves with `value`; `close`: the connection is not read to its end, close it. */
  done(value: T, close: boolean): void;
  /** Rejects with a LiveClusterError "GET <url>: <message>". */
  fail(message: string, status?: number): void;
  /** Whether the exchange has ended (late chunks are ignored). */
  readonly settled: boolean;
}

/**
 * One GET of `url` (named `shown` in messages) with the connection options `base` (agent, TLS
 * material, headers): the connect timeout, the deadline, the abort signal and the checks every
 * answer gets (no content encoding; JSON when 2xx) are here; what is read of the body is the
 * handler's (`onResponse`). The connection is closed whenever the answer is not read to its end.
 */
export function exchange<T>(
  url: URL,
  shown: string,
  base: RequestOptions,
  limits: RequestLimits,
  signal: AbortSignal | undefined,
  onResponse: (res: IncomingMessage, status: number, contentType: string, settle: Settle<T>) => BodyHandler<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let phase: 'connect' | 'response' | 'body' = 'connect';
    let req: ClientRequest | undefined;
    let body: BodyHandler<T> | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;

    const settle: Settle<T> = {
      settled: false,
      done: (value, close) => finish(undefined, value, close),
      fail: (message, status) => finish(new LiveClusterError(`GET ${shown}: ${message}`, status)),
    };
    const finish = (err: LiveClusterError | undefined, value?: T, close = true): void => {
      if (settle.settled) return;
      (settle as { settled: boolean }).settled = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      if (err || close) req?.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = (): void => settle.fail('abandoned (another list failed)');

    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);

    const left = limits.deadline - Date.now();
    if (left <= 0) return settle.fail(`no time left of the ${formatSeconds(limits.requestTimeoutMs)} request timeout (--request-timeout)`);
    if (left < 2 ** 31) {
      timers.push(
        (deadlineTimer = setTimeout(() => {
          const limit = `the ${formatSeconds(limits.requestTimeoutMs)} request timeout (--request-timeout)`;
          if (phase === 'connect') settle.fail(`not connected within ${limit}`);
          else if (phase === 'response') settle.fail(`no response within ${limit}`);
          else body?.deadline();
        }, left)),
      );
    }
    if (limits.connectTimeoutMs > 0 && limits.connectTimeoutMs < left) {
      timers.push(
        setTimeout(() => {
          if (phase === 'connect') {
            const what = url.protocol === 'https:' ? 'connection (TCP and TLS)' : 'connection';
            settle.fail(`${what} not established within the ${formatSeconds(limits.connectTimeoutMs)} connect timeout (--connect-timeout)`);
          }
        }, limits.connectTimeoutMs),
      );
    }

    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return settle.fail(`unsupported scheme ${JSON.stringify(url.protocol)} (the kubeconfig's server must be https:// or http://)`);
    const headers = { ...(base.headers as Record<string, string | string[] | number> | undefined), Accept: 'application/json' };
    try {
      req = send(url, { ...base, method: 'GET', headers, timeout: undefined });
    } catch (e) {
      return settle.fail(oneLine((e as Error).message));
    }

    req.on('socket', (s: Socket) => {
      const connected = (): void => {
        if (phase === 'connect') phase = 'response';
      };
      // A TLS socket counts once its handshake is done (a proxy agent may hand one over done).
      if (s instanceof TLSSocket) {
        if ((s as TLSSocket & { _secureEstablished?: boolean })._secureEstablished) connected();
        else s.once('secureConnect', connected);
      } else if (s.connecting) s.once('connect', connected);
      else connected();
    });

    req.on('error', (e: NodeJS.ErrnoException) => {
      if (phase === 'body') return body?.end();
      const m = oneLine(e.message);
      settle.fail(m === 'socket hang up' ? 'the server closed the connection without answering' : m);
    });

    req.on('response', (res: IncomingMessage) => {
      phase = 'body';
      const status = res.statusCode ?? 0;
      const contentType = oneLine(res.headers['content-type'] ?? '', 100);
      const encoding = res.headers['content-encoding'];
      if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
        return settle.fail(`HTTP ${statusText(status)} with content encoding ${oneLine(encoding, 60)}, which was not asked for`, status);
      }
      if (status >= 200 && status < 300 && contentType !== '' && !isJsonType(contentType)) {
        return settle.fail(`HTTP ${statusText(status)} with content type ${contentType}, not JSON`, status);
      }
      const handler = onResponse(res, status, contentType, settle);
      body = handler;
      if (limits.bodyDeadline !== undefined && !settle.settled) {
        clearTimeout(deadlineTimer);
        timers.push(setTimeout(() => handler.deadline(), Math.max(0, limits.bodyDeadline - Date.now())));
      }
      res.on('data', (chunk: Buffer) => {
        if (!settle.settled) handler.data(chunk);
      });
      // An end without the whole body (a connection closed mid-answer) is the handler's to judge (res.complete).
      res.on('end', () => handler.end());
      res.on('error', () => handler.end());
      res.on('close', () => handler.end());
    });
    req.end();
  });
}

/**
 * GETs `url` (named `shown` in messages) with the connection options `base` (agent, TLS
 * material, headers). Resolves with the complete answer; rejects with a LiveClusterError on a
 * connection that fails or is not made within the connect timeout, an answer not complete by
 * the deadline, a 2xx answer that is not JSON or is larger than `maxBytes`, or a body cut
 * short; also when `signal` aborts. An error answer (not 2xx) resolves, with at most
 * ERROR_BODY_BYTES of its body. The connection is closed whenever the answer is not read to
 * its end.
 */
export function boundedGet(
  url: URL,
  shown: string,
  base: RequestOptions,
  limits: RequestLimits,
  signal?: AbortSignal,
): Promise<Answer> {
  return exchange<Answer>(url, shown, base, limits, signal, (res, status, contentType, settle) => {
    const ok = status >= 200 && status < 300;
    const cap = ok ? limits.maxBytes : Math.min(limits.maxBytes, ERROR_BODY_BYTES);
    const length = res.headers['content-length'];
    const expected = length !== undefined && /^[0-9]+$/.test(length) ? Number(length) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const tooLarge = (n: string): string =>
      `HTTP ${statusText(status)}: the answer is larger than the ${formatBytes(cap)} limit (--max-response-size): ${n}`;
    const of = expected !== undefined ? ` of the ${expected} announced` : '';
    if (ok && expected !== undefined && expected > cap) settle.fail(tooLarge(`Content-Length ${expected}`), status);
    return {
      data(chunk) {
        if (received + chunk.length > cap) {
          if (ok) return settle.fail(tooLarge(`stopped reading after ${received + chunk.length} bytes`), status);
          chunks.push(chunk.subarray(0, cap - received));
          received = cap;
          return settle.done({ status, contentType, body: Buffer.concat(chunks, received), truncated: true }, true);
        }
        received += chunk.length;
        chunks.push(chunk);
      },
      end() {
        if (!res.complete) return settle.fail(`the connection closed after ${received}${of} bytes of the body: the answer is cut short`);
        settle.done({ status, contentType, body: Buffer.concat(chunks, received), truncated: false }, false);
      },
      deadline() {
        const of = expected !== undefined ? ` of ${expected}` : '';
        settle.fail(`body incomplete at the ${formatSeconds(limits.requestTimeoutMs)} request timeout (--request-timeout): ${received}${of} bytes received`);
      },
    };
  });
}
