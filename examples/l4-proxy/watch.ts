// --watch: a stream of watch events, one JSON object a line, as the API server answers a watch
// (`kubectl get --raw '/apis/discovery.k8s.io/v1/endpointslices?watch=1'`) or as an --updates
// file holds them (`at` is ignored: each event is applied when its line arrives). An event whose
// object is invalid is reported and skipped (as replay --updates does); a line that is not a
// watch event, or an ERROR event (the watch ended: this example does not relist), ends the
// stream with a WatchStreamError.

import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { formatProblem, type EventResult, type WatchEvent } from '../../src/node.js';

export class WatchStreamError extends Error {}

export interface WatchLine {
  line: number;
  event: WatchEvent;
  result: EventResult;
}

/** Reads `input` to its end, applying each event with `apply`; `each` hears what every line did. */
export async function followWatch(input: Readable, name: string, apply: (ev: WatchEvent) => EventResult,
                                  each: (w: WatchLine, problems: string[]) => void): Promise<number> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0, applied = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    const event = eventOf(text, `${name}:${n}`);
    const result = apply(event);
    const problems = result.problems.map((p) => formatProblem({ ...p, file: name, line: n, column: undefined }));
    each({ line: n, event, result }, problems);
    applied++;
  }
  return applied;
}

function eventOf(text: string, where: string): WatchEvent {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new WatchStreamError(`${where}: not JSON: ${(e as Error).message}`);
  }
  const ev = v as { type?: unknown; object?: unknown };
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof ev.type !== 'string' || typeof ev.object !== 'object') {
    throw new WatchStreamError(`${where}: not a watch event ({"type": ..., "object": {...}})`);
  }
  if (ev.type === 'ERROR') {
    const status = ev.object as { code?: number; message?: string } | null;
    throw new WatchStreamError(`${where}: the watch ended: ${status?.code ?? ''} ${status?.message ?? ''}`.trimEnd());
  }
  return v as WatchEvent;
}
