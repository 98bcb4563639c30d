// Reading cluster objects from files: YAML (one or many documents), JSON (one
// object, a List / ServiceList / EndpointSliceList / NodeList ...), watch
// streams (`kubectl get --watch -o json --output-watch-events` NDJSON, or the
// concatenated pretty-printed objects of plain `kubectl get -w -o json`), and
// directories of such files. Everything read is applied in order, so a watch
// stream ends as the set of objects alive at its end (DELETED removes).
//
// Problems name the file, the line (YAML and JSON alike), the field path and
// the object. A bad object is reported and skipped; `strict` turns any
// problem of error severity into a thrown ManifestError. A syntax error always
// throws. Nothing passed in is modified before a load has fully succeeded.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import {
  cloneClusterObjects,
  emptyClusterObjects,
  KNOWN_KINDS,
  mapForKind,
  objectId,
  objectKey,
  type ClusterObjects,
  type KubeKind,
  type KubeObject,
  type SourceRef,
} from './objects.js';
import { formatPath, jsonFieldOffsets, JsonSyntaxError, lineIndex, parseJsonStream, type LineColumn, type PathSeg } from './text.js';
import { describeRaw, validateObject } from './validate.js';

/** One thing wrong with the input, located as precisely as the input allows. */
export interface Problem {
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** Field path from the top of the document or JSON value: "items[3].spec.ports[0].port". */
  path?: string;
  /** "Service default/web", when the problem belongs to an object. */
  object?: string;
  message: string;
  /** Default "error". Warnings never skip an object and never fail a strict load. */
  severity?: 'error' | 'warning';
}

/** "cluster.yaml:14:7: Service default/web: spec.ports[0].port: port 70000 is out of range (1-65535)" */
export function formatProblem(p: Problem): string {
  let where = p.file;
  if (p.line !== undefined) where += `:${p.line}`;
  if (p.line !== undefined && p.column !== undefined) where += `:${p.column}`;
  const parts = [where];
  if (p.severity === 'warning') parts.push('warning');
  if (p.object) parts.push(p.object);
  if (p.path) parts.push(p.path);
  parts.push(p.message);
  return parts.join(': ');
}

/** Thrown when input cannot be used: a syntax error, an unreadable file, or any problem in a strict load. */
export class ManifestError extends Error {
  readonly code = 'EMANIFEST';

  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((p) => p.severity !== 'warning');
    const shown = errors.length > 0 ? errors : problems;
    super(
      shown.length === 1
        ? formatProblem(shown[0])
        : `${shown.length} problems in cluster objects:\n${shown.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'ManifestError';
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
const WATCH_TYPES: readonly string[] = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'];

/** A watch event as kubectl prints it (`object` not yet validated); `at` is used by --updates files. */
export interface WatchEvent {
  type: WatchEventType | string;
  object: unknown;
  at?: number;
}

/** A validated change to the object set. Plain objects in a manifest become ADDED. */
export interface ClusterEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** Seconds after the first packet, from an --updates file. */
  at?: number;
  source: SourceRef;
}

/** One object (or event) found in a file, before validation. */
interface Entry {
  type: 'APPLY' | WatchEventType;
  object: unknown;
  at?: number;
  file: string;
  /** Path of the object from the top of its document/value: [], ["items", 3], ["object"]. */
  base: PathSeg[];
  locate: (path: PathSeg[]) => LineColumn | undefined;
}

export interface LoadOptions {
  /** Fail (throw ManifestError) when any object has an error, instead of skipping it. */
  strict?: boolean;
}

export interface LoadResult {
  objects: ClusterObjects;
  /** Everything reported, errors (object skipped) and warnings, in input order. */
  problems: Problem[];
  /** Objects of kinds svcplane does not read (Pods, Deployments, ...), counted by kind and skipped. */
  ignoredKinds: Record<string, number>;
  /** The files read, in order. */
  files: string[];
}

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Syntax: text → entries

function firstContentChar(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t' && c !== '\ufeff') return c;
  }
  return '';
}

function looksLikeJson(text: string, fileName: string): 'json' | 'yaml' | 'either' {
  const ext = extname(fileName).toLowerCase();
  const c = firstContentChar(text);
  const jsonish = c === '{' || c === '[';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'json';
  if (ext === '.yaml' || ext === '.yml') return jsonish ? 'either' : 'yaml';
  return jsonish ? 'either' : 'yaml';
}

function syntaxError(file: string, at: LineColumn | undefined, message: string): ManifestError {
  return new ManifestError([{ file, line: at?.line, column: at?.column, message: `syntax error: ${message}` }]);
}

function readJson(text: string, file: string): { value: unknown; locate: Entry['locate'] }[] {
  const where = lineIndex(text);
  let spans;
  try {
    spans = parseJsonStream(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw syntaxError(file, where(e.offset), e.message);
    throw e;
  }
  return spans.map((span) => {
    let offsets: Map<string, number> | null = null;
    const locate = (path: PathSeg[]): LineColumn | undefined => {
      offsets ??= jsonFieldOffsets(text, span.start);
      for (let n = path.length; n >= 0; n--) {
        const off = offsets.get(formatPath(path.slice(0, n)));
        if (off !== undefined) return where(off);
      }
      return undefined;
    };
    return { value: span.value, locate };
  });
}

function yamlLocator(doc: Document.Parsed, lc: LineCounter): Entry['locate'] {
  return (path: PathSeg[]) => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (node as { range?: [number, number, number] } | null)?.range?.[0];
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) break;
        offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as { range?: [number, number, number] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    if (offset === undefined) return undefined;
    const lp = lc.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
}

function readYaml(text: string, file: string): { value: unknown; locate: Entry['locate'] }[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: { value: unknown; locate: Entry['locate'] }[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const lp = e.linePos?.[0];
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw syntaxError(file, lp ? { line: lp.line, column: lp.col } : undefined, message);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw syntaxError(file, undefined, (e as Error).message);
    }
    if (value === null || value === undefined) continue; // empty document ("---" alone, comments)
    out.push({ value, locate: yamlLocator(doc, lc) });
  }
  return out;
}

/** Splits one top-level value into entries: an object, the items of a List, or a watch event. */
function entriesOf(
  value: unknown,
  file: string,
  locate: Entry['locate'],
  problems: Problem[],
): Entry[] {
  const problemAt = (path: PathSeg[], message: string, object?: string) => {
    const at = locate(path);
    problems.push({ file, line: at?.line, column: at?.column, path: formatPath(path) || undefined, object, message });
  };
  if (!isRecord(value)) {
    problemAt([], `expected a Kubernetes object, a List or a watch event, not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
    return [];
  }
  // A watch event: {"type": "...", "object": {...}} (and "at" in --updates files).
  if (value.kind === undefined && typeof value.type === 'string' && 'object' in value) {
    if (!WATCH_TYPES.includes(value.type)) {
      problemAt(['type'], `unknown watch event type ${JSON.stringify(value.type)} (expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR)`);
      return [];
    }
    let at: number | undefined;
    if (value.at !== undefined) {
      if (typeof value.at !== 'number' || !Number.isFinite(value.at) || value.at < 0) {
        problemAt(['at'], `"at" must be a number of seconds >= 0, not ${JSON.stringify(value.at)}`, describeRaw(value.object));
        return [];
      }
      at = value.at;
    }
    return [{ type: value.type as WatchEventType, object: value.object, at, file, base: ['object'], locate }];
  }
  // A list: kind List (items carry their kind) or FooList (items may omit it, as the API serves them).
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value) {
    const items = value.items ?? [];
    if (!Array.isArray(items)) {
      problemAt(['items'], 'items must be a list');
      return [];
    }
    const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
    return items.map((item: unknown, i: number) => {
      let object = item;
      if (isRecord(item) && itemKind && item.kind === undefined) {
        object = { apiVersion: value.apiVersion, kind: itemKind, ...item };
      }
      return { type: 'APPLY' as const, object, file, base: ['items', i], locate };
    });
  }
  return [{ type: 'APPLY', object: value, file, base: [], locate }];
}

function readEntries(text: string, file: string, problems: Problem[]): Entry[] {
  const mode = looksLikeJson(text, file);
  let values: { value: unknown; locate: Entry['locate'] }[];
  if (mode === 'json') values = readJson(text, file);
  else if (mode === 'yaml') values = readYaml(text, file);
  else {
    try {
      values = readJson(text, file);
    } catch (e) {
      // Flow-style YAML that is not JSON: let the YAML reader decide (and report).
      if (!(e instanceof ManifestError)) throw e;
      try {
        values = readYaml(text, file);
      } catch {
        throw e;
      }
    }
  }
  const out: Entry[] = [];
  for (const v of values) out.push(...entriesOf(v.value, file, v.locate, problems));
  return out;
}

// ---------------------------------------------------------------------------
// Validation: entries → events

interface Validated {
  events: ClusterEvent[];
  problems: Problem[];
  ignoredKinds: Record<string, number>;
}

function validateEntries(entries: Entry[], problems: Problem[], ignoredKinds: Record<string, number>): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  for (const e of entries) {
    const ev = validateEntry(e, problems, ignoredKinds);
    if (ev) events.push(ev);
  }
  return events;
}

function validateEntry(e: Entry, problems: Problem[], ignoredKinds: Record<string, number>): ClusterEvent | null {
  if (e.type === 'BOOKMARK') return null;
  if (e.type === 'ERROR') {
    const status = isRecord(e.object) ? e.object : {};
    const msg = typeof status.message === 'string' ? status.message : JSON.stringify(e.object);
    const at = e.locate(e.base.slice(0, -1));
    problems.push({
      file: e.file,
      line: at?.line,
      column: at?.column,
      message: `the watch stream reported an error: ${msg} (events after this point may be missing)`,
    });
    return null;
  }
  const raw = e.object;
  if (isRecord(raw) && typeof raw.kind === 'string' && !KNOWN_KINDS.has(raw.kind)) {
    ignoredKinds[raw.kind] = (ignoredKinds[raw.kind] ?? 0) + 1;
    return null;
  }
  const result = validateObject(raw, { identityOnly: e.type === 'DELETED' });
  for (const issue of result.issues) {
    const full = [...e.base, ...issue.path];
    const at = e.locate(full);
    problems.push({
      file: e.file,
      line: at?.line,
      column: at?.column,
      path: formatPath(full) || undefined,
      object: result.label,
      message: issue.message,
      severity: issue.severity === 'warning' ? 'warning' : undefined,
    });
  }
  if (!result.object) return null;
  const at = e.locate(e.base);
  const source: SourceRef = { file: e.file };
  if (at) source.line = at.line;
  const basePath = formatPath(e.base);
  if (basePath) source.path = basePath;
  const type = e.type === 'DELETED' ? 'DELETED' : e.type === 'MODIFIED' ? 'MODIFIED' : 'ADDED';
  const ev: ClusterEvent = { type, object: result.object, source };
  if (e.at !== undefined) ev.at = e.at;
  return ev;
}

function parseText(text: string, fileName: string): Validated {
  const problems: Problem[] = [];
  const ignoredKinds: Record<string, number> = {};
  const entries = readEntries(stripBom(text), fileName, problems);
  const events = validateEntries(entries, problems, ignoredKinds);
  return { events, problems, ignoredKinds };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
}

// ---------------------------------------------------------------------------
// Applying events

/** Applies a validated event to `objects` in place; returns whether the set changed. */
function applyValidated(objects: ClusterObjects, ev: ClusterEvent): boolean {
  const o = ev.object;
  const kind = o.kind as KubeKind;
  const key = objectKey(kind, o.metadata.namespace, o.metadata.name);
  const id = objectId(kind, o.metadata.namespace, o.metadata.name);
  const map = mapForKind(objects, kind);
  if (ev.type === 'DELETED') {
    objects.sources.delete(id);
    return map.delete(key);
  }
  map.set(key, o);
  objects.sources.set(id, ev.source);
  return true;
}

export interface ApplyResult {
  /** The object set changed (something added, replaced or removed). */
  changed: boolean;
  problems: Problem[];
}

/**
 * Applies one watch event (as kubectl prints it, or a ClusterEvent from
 * parseEventsText) to `objects`, in place — used for --updates during a
 * replay. The object is validated first; when it is bad, `objects` is left
 * untouched and the problems are returned (or thrown as ManifestError with
 * `strict`). BOOKMARK events and kinds svcplane does not read change nothing.
 */
export function applyEvent(
  objects: ClusterObjects,
  event: WatchEvent | ClusterEvent,
  opts: LoadOptions & { file?: string } = {},
): ApplyResult {
  const problems: Problem[] = [];
  const file = ('source' in event && event.source?.file) || opts.file || '<event>';
  if (!WATCH_TYPES.includes(event.type)) {
    problems.push({ file, path: 'type', message: `unknown watch event type ${JSON.stringify(event.type)}` });
  }
  let ev: ClusterEvent | null = null;
  if (problems.length === 0) {
    const entry: Entry = {
      type: event.type as WatchEventType,
      object: event.object,
      at: event.at,
      file,
      base: ['object'],
      locate: () => undefined,
    };
    ev = validateEntry(entry, problems, {});
    if (ev && 'source' in event && event.source) ev.source = event.source;
  }
  if (opts.strict && problems.some((p) => p.severity !== 'warning')) throw new ManifestError(problems);
  return { changed: ev ? applyValidated(objects, ev) : false, problems };
}

/**
 * Reads watch events (an --updates file: JSON lines of {"at", "type",
 * "object"}, or any input loadClusterObjects accepts; plain objects become
 * ADDED) and validates them, without applying anything. Events keep their
 * order; BOOKMARKs are dropped.
 */
export function parseEventsText(
  text: string,
  fileName: string,
  opts: LoadOptions = {},
): { events: ClusterEvent[]; problems: Problem[]; ignoredKinds: Record<string, number> } {
  const v = parseText(text, fileName);
  if (opts.strict && v.problems.some((p) => p.severity !== 'warning')) throw new ManifestError(v.problems);
  return v;
}

/**
 * Like parseObjectsText, for values already decoded (API responses, objects
 * built in code): each value may be an object, a List or a watch event.
 * Problems carry `sourceName` and the path (no line numbers).
 */
export function objectsFromValues(values: unknown[], sourceName: string, opts: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const ignoredKinds: Record<string, number> = {};
  const entries: Entry[] = [];
  for (const value of values) entries.push(...entriesOf(value, sourceName, () => undefined, problems));
  const events = validateEntries(entries, problems, ignoredKinds);
  if (opts.strict && problems.some((p) => p.severity !== 'warning')) throw new ManifestError(problems);
  const objects = emptyClusterObjects();
  for (const ev of events) applyValidated(objects, ev);
  return { objects, problems, ignoredKinds, files: [sourceName] };
}

/** Like loadClusterObjects, for text already in memory (tests, library users, stdin). */
export function parseObjectsText(text: string, fileName: string, opts: LoadOptions = {}): LoadResult {
  const v = parseText(text, fileName);
  const objects = emptyClusterObjects();
  for (const ev of v.events) applyValidated(objects, ev);
  if (opts.strict && v.problems.some((p) => p.severity !== 'warning')) throw new ManifestError(v.problems);
  return { objects, problems: v.problems, ignoredKinds: v.ignoredKinds, files: [fileName] };
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function expandPaths(paths: string[], problems: Problem[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new ManifestError([{ file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
    }
    if (st.isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => MANIFEST_EXTENSIONS.has(extname(n).toLowerCase()))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const inDir = names.map((n) => join(p, n)).filter((f) => statSync(f).isFile());
      if (inDir.length === 0) {
        problems.push({ file: p, message: 'directory holds no *.yaml, *.yml or *.json files', severity: 'warning' });
      }
      files.push(...inDir);
    } else files.push(p);
  }
  return files;
}

/**
 * Loads Services, EndpointSlices, Endpoints, Nodes and ServiceCIDRs from
 * files and directories (a directory: its *.yaml, *.yml and *.json files,
 * sorted by name, not recursive; "-": standard input), applied in order:
 * a later version of an object replaces an earlier one, DELETED events
 * remove. Objects of other kinds are counted in `ignoredKinds` and skipped.
 *
 * Throws ManifestError on a syntax error or an unreadable path, and with
 * `strict` on any error-severity problem. Returns a new ClusterObjects.
 */
export function loadClusterObjects(paths: string[], opts: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const ignoredKinds: Record<string, number> = {};
  const files = expandPaths(paths, problems);
  const events: ClusterEvent[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    } catch (e) {
      throw new ManifestError([{ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
    }
    const v = parseText(text, file === '-' ? '<stdin>' : file);
    events.push(...v.events);
    problems.push(...v.problems);
    for (const [k, n] of Object.entries(v.ignoredKinds)) ignoredKinds[k] = (ignoredKinds[k] ?? 0) + n;
  }
  if (opts.strict && problems.some((p) => p.severity !== 'warning')) throw new ManifestError(problems);
  const objects = emptyClusterObjects();
  for (const ev of events) applyValidated(objects, ev);
  return { objects, problems, ignoredKinds, files };
}

/**
 * Applies events to a copy of `objects` and returns the copy; `objects`
 * itself is never touched. With `strict`, the first bad event throws.
 */
export function withEvents(
  objects: ClusterObjects,
  events: (WatchEvent | ClusterEvent)[],
  opts: LoadOptions = {},
): { objects: ClusterObjects; problems: Problem[] } {
  const copy = cloneClusterObjects(objects);
  const problems: Problem[] = [];
  for (const ev of events) problems.push(...applyEvent(copy, ev, opts).problems);
  return { objects: copy, problems };
}
