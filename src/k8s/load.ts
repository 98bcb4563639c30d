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
//
// Hostile input costs time and memory in proportion to its size: values are
// read and validated one document (or JSON value) at a time, nothing recurses
// over the input, nesting deeper than MAX_NESTING and YAML alias bombs are
// refused with the place they start (see text.ts and yaml.ts), and messages
// quote at most a short preview of a value. Invalid UTF-8 and duplicate keys
// are reported (errors with `strict`, warnings otherwise).

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
import {
  firstInvalidUtf8,
  formatPath,
  InputLimitError,
  jsonLocator,
  JsonStream,
  JsonSyntaxError,
  lineIndex,
  preview,
  pushAll,
  type DuplicateKey,
  type LineColumn,
  type PathSeg,
} from './text.js';
import { describeRaw, validateObject } from './validate.js';
import { readYamlValues, withPlainEnv, YamlSyntaxError } from './yaml.js';

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

/** Largest "at" accepted in an --updates file: 1e9 seconds (about 31 years) after the first packet. */
export const MAX_AT_SECONDS = 1e9;

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
  /** A watch event ({"type", "object"}), not a plain object or a List item. */
  event?: boolean;
  /** Keys given twice inside this object (and where), reported when it is validated. */
  duplicates?: { key: string; path: PathSeg[]; at: LineColumn | undefined }[];
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

/** '.yaml' of 'dir/x.YAML' (lower case); '' without one. */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function looksLikeJson(text: string, fileName: string): 'json' | 'yaml' | 'either' {
  const ext = extensionOf(fileName);
  const c = firstContentChar(text);
  const jsonish = c === '{' || c === '[';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'json';
  if (ext === '.yaml' || ext === '.yml') return jsonish ? 'either' : 'yaml';
  return jsonish ? 'either' : 'yaml';
}

function syntaxError(file: string, at: LineColumn | undefined, message: string): ManifestError {
  return new ManifestError([{ file, line: at?.line, column: at?.column, message: `syntax error: ${message}` }]);
}

function limitError(file: string, at: LineColumn | undefined, message: string): ManifestError {
  return new ManifestError([{ file, line: at?.line, column: at?.column, message }]);
}

/** One top-level value (a YAML document, a JSON value) and how to place paths inside it. */
interface ReadValue {
  value: unknown;
  locate: Entry['locate'];
  duplicates?: DuplicateKey[];
  /** Line and column of an offset in the text. */
  where: (offset: number) => LineColumn;
}

function* jsonValues(text: string, where: (offset: number) => LineColumn): Generator<ReadValue> {
  const stream = new JsonStream(text);
  for (let span = stream.next(); span; span = stream.next()) {
    const offsetOf = jsonLocator(text, span.start);
    yield { value: span.value, locate: (path) => where(offsetOf(path)), duplicates: span.duplicates, where };
  }
}

function* yamlValues(text: string, where: (offset: number) => LineColumn): Generator<ReadValue> {
  for (const doc of readYamlValues(text)) {
    yield {
      value: doc.value,
      locate: (path) => {
        const offset = doc.locate(path);
        return offset === undefined ? undefined : where(offset);
      },
      duplicates: doc.duplicates,
      where,
    };
  }
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
    problemAt([], `expected a Kubernetes object, a List or a watch event, not ${Array.isArray(value) ? 'a list' : preview(value)}`);
    return [];
  }
  // A watch event: {"type": "...", "object": {...}} (and "at" in --updates files).
  if (value.kind === undefined && typeof value.type === 'string' && 'object' in value) {
    if (!WATCH_TYPES.includes(value.type)) {
      problemAt(['type'], `unknown watch event type ${preview(value.type)} (expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR)`);
      return [];
    }
    let at: number | undefined;
    if (value.at !== undefined) {
      if (typeof value.at !== 'number' || Number.isNaN(value.at) || value.at < 0) {
        problemAt(['at'], `"at" must be a number of seconds >= 0, not ${preview(value.at)}`, describeRaw(value.object));
        return [];
      }
      if (value.at > MAX_AT_SECONDS) {
        problemAt(['at'], `"at" ${value.at} is too large (at most ${MAX_AT_SECONDS} seconds after the first packet)`, describeRaw(value.object));
        return [];
      }
      at = value.at;
    }
    return [{ type: value.type as WatchEventType, object: value.object, at, file, base: ['object'], locate, event: true }];
  }
  // A list: kind List (items carry their kind) or FooList (items may omit it, as the API serves them).
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value) {
    const items = value.items ?? [];
    if (!Array.isArray(items)) {
      problemAt(['items'], 'items must be a list');
      return [];
    }
    const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
    const out: Entry[] = [];
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      let object = item;
      if (isRecord(item) && itemKind && item.kind === undefined) {
        object = { apiVersion: value.apiVersion, kind: itemKind, ...item };
      }
      out.push({ type: 'APPLY', object, file, base: ['items', i], locate });
    }
    return out;
  }
  return [{ type: 'APPLY', object: value, file, base: [], locate }];
}

// ---------------------------------------------------------------------------
// Validation: entries → events

interface Validated {
  events: ClusterEvent[];
  problems: Problem[];
  ignoredKinds: Record<string, number>;
}

interface ParseOptions {
  /** Problems that are warnings in a lenient load (duplicate keys, invalid UTF-8, a missing "at") become errors. */
  strict?: boolean;
  /** An --updates file: every object must come as a watch event with "at". */
  requireAt?: boolean;
}

/** Severity of a problem that only a strict load treats as an error. */
function strictSeverity(opts: ParseOptions): Problem['severity'] {
  return opts.strict ? undefined : 'warning';
}

function validateEntry(
  e: Entry,
  problems: Problem[],
  ignoredKinds: Record<string, number>,
  opts: ParseOptions = {},
): ClusterEvent | null {
  if (e.duplicates) {
    const label = describeRaw(e.object);
    for (const d of e.duplicates) {
      const at = d.at;
      problems.push({
        file: e.file,
        line: at?.line,
        column: at?.column,
        path: formatPath(d.path) || undefined,
        object: label,
        message: duplicateMessage(d),
        severity: strictSeverity(opts),
      });
    }
  }
  if (e.type === 'BOOKMARK') return null;
  if (e.type === 'ERROR') {
    const status = isRecord(e.object) ? e.object : {};
    const msg = typeof status.message === 'string' ? clip(status.message, 300) : preview(e.object);
    const at = e.locate(e.base.slice(0, -1));
    problems.push({
      file: e.file,
      line: at?.line,
      column: at?.column,
      message: `the watch stream reported an error: ${msg} (events after this point may be missing)`,
    });
    return null;
  }
  if (opts.requireAt && e.at === undefined) {
    // An --updates file without a time for this change: it cannot be applied, and must not vanish unsaid.
    const at = e.locate(e.event ? e.base.slice(0, -1) : e.base);
    problems.push({
      file: e.file,
      line: at?.line,
      column: at?.column,
      path: e.event ? undefined : formatPath(e.base) || undefined,
      object: describeRaw(e.object),
      message: e.event
        ? 'missing "at" (the time of the event, in seconds after the first packet); the event is not applied'
        : 'not a watch event with "at" ({"at": seconds, "type": "MODIFIED", "object": {...}}); the object is not applied',
      severity: strictSeverity(opts),
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
    const full = e.base.concat(issue.path);
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

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function duplicateMessage(d: { key: string }): string {
  return `duplicate key ${preview(d.key)} (the API server refuses it; the last value is used)`;
}

/** The entry a duplicate key at `path` belongs to: the one whose path it lies under. */
function entryFor(entries: Entry[], path: PathSeg[]): Entry | undefined {
  const i = entries.length === 1 ? 0 : typeof path[1] === 'number' ? path[1] : -1;
  const e = entries[i];
  if (!e || e.base.length > path.length) return undefined;
  for (let k = 0; k < e.base.length; k++) if (e.base[k] !== path[k]) return undefined;
  return e;
}

/** Splits, validates and collects one top-level value. */
function takeValue(v: ReadValue, file: string, out: Validated, opts: ParseOptions): void {
  const entries = entriesOf(v.value, file, v.locate, out.problems);
  if (v.duplicates) {
    for (const d of v.duplicates) {
      const e = entryFor(entries, d.path);
      const at = v.where(d.offset);
      if (e) (e.duplicates ??= []).push({ key: d.key, path: d.path, at });
      else {
        // Outside any object (the "kind" of a List, the "type" of an event): reported on its own.
        out.problems.push({
          file,
          line: at?.line,
          column: at?.column,
          path: formatPath(d.path) || undefined,
          message: duplicateMessage(d),
          severity: strictSeverity(opts),
        });
      }
    }
  }
  for (const e of entries) {
    const ev = validateEntry(e, out.problems, out.ignoredKinds, opts);
    if (ev) out.events.push(ev);
  }
}

/**
 * Reads, splits and validates the values of one text, one value at a time:
 * each value's syntax tree and raw form can be dropped as soon as it is done.
 * Throws ManifestError on a syntax error or a refused shape (nesting, aliases).
 */
function readText(text: string, file: string, opts: ParseOptions, into: Validated): void {
  const where = lineIndex(text);
  const attempt = (values: Generator<ReadValue>): Validated =>
    withPlainEnv(() => {
      const out: Validated = { events: [], problems: [], ignoredKinds: {} };
      for (const v of values) takeValue(v, file, out, opts);
      return out;
    });
  const mode = looksLikeJson(text, file);
  let got: Validated;
  try {
    if (mode === 'yaml') got = attempt(yamlValues(text, where));
    else {
      try {
        got = attempt(jsonValues(text, where));
      } catch (e) {
        // Flow-style YAML that is not JSON: let the YAML reader decide (and report).
        if (!(e instanceof JsonSyntaxError) || mode === 'json') throw e;
        try {
          got = attempt(yamlValues(text, where));
        } catch (e2) {
          throw e2 instanceof InputLimitError ? e2 : e;
        }
      }
    }
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw syntaxError(file, where(e.offset), e.message);
    if (e instanceof YamlSyntaxError) throw syntaxError(file, e.offset === undefined ? undefined : where(e.offset), e.message);
    if (e instanceof InputLimitError) throw limitError(file, e.offset === undefined ? undefined : where(e.offset), e.message);
    throw e;
  }
  pushAll(into.events, got.events);
  pushAll(into.problems, got.problems);
  for (const k of Object.keys(got.ignoredKinds)) into.ignoredKinds[k] = (into.ignoredKinds[k] ?? 0) + got.ignoredKinds[k];
}

/**
 * Text of a manifest read as bytes. Invalid UTF-8 is an error naming the
 * file, line, column and byte offset with `strict` (thrown at once), else a
 * warning, the bad bytes read as U+FFFD.
 */
function decodeManifest(input: string | Uint8Array, file: string, problems: Problem[], opts: ParseOptions): string {
  if (typeof input === 'string') return input;
  const bytes = input;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // located below
  }
  const offset = firstInvalidUtf8(bytes);
  let lineStart = 0;
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const column = lenientUtf8.decode(bytes.subarray(lineStart, offset)).length + 1;
  const message = `invalid UTF-8 at byte offset ${offset} (0x${bytes[offset].toString(16).padStart(2, '0')})`;
  if (opts.strict) throw new ManifestError([{ file, line, column, message: `${message}; manifests must be UTF-8` }]);
  problems.push({ file, line, column, message: `${message}; read as U+FFFD`, severity: 'warning' });
  return lenientUtf8.decode(bytes);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function parseText(input: string | Uint8Array, fileName: string, opts: ParseOptions = {}): Validated {
  const out: Validated = { events: [], problems: [], ignoredKinds: {} };
  const text = decodeManifest(input, fileName, out.problems, opts);
  readText(stripBom(text), fileName, opts, out);
  return out;
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
    problems.push({ file, path: 'type', message: `unknown watch event type ${preview(event.type)}` });
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
 * "object"}, or any input loadClusterObjects accepts) and validates them,
 * without applying anything. Events keep their order; BOOKMARKs are dropped.
 * Every change needs an "at" (a number of seconds after the first packet,
 * 0 to MAX_AT_SECONDS): one without it, or a plain object, is reported (an
 * error with `strict`, a warning otherwise) and left out. Pass the file's
 * bytes rather than a string to have invalid UTF-8 reported.
 */
export function parseEventsText(
  text: string | Uint8Array,
  fileName: string,
  opts: LoadOptions = {},
): { events: ClusterEvent[]; problems: Problem[]; ignoredKinds: Record<string, number> } {
  const v = parseText(text, fileName, { strict: opts.strict, requireAt: true });
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
  const events: ClusterEvent[] = [];
  for (const value of values) {
    for (const e of entriesOf(value, sourceName, () => undefined, problems)) {
      const ev = validateEntry(e, problems, ignoredKinds, opts);
      if (ev) events.push(ev);
    }
  }
  if (opts.strict && problems.some((p) => p.severity !== 'warning')) throw new ManifestError(problems);
  const objects = emptyClusterObjects();
  for (const ev of events) applyValidated(objects, ev);
  return { objects, problems, ignoredKinds, files: [sourceName] };
}

/**
 * Like loadClusterObjects, for text already in memory (tests, library users,
 * stdin). Pass bytes rather than a string to have invalid UTF-8 reported.
 */
export function parseObjectsText(text: string | Uint8Array, fileName: string, opts: LoadOptions = {}): LoadResult {
  const v = parseText(text, fileName, { strict: opts.strict });
  const objects = emptyClusterObjects();
  for (const ev of v.events) applyValidated(objects, ev);
  if (opts.strict && v.problems.some((p) => p.severity !== 'warning')) throw new ManifestError(v.problems);
  return { objects, problems: v.problems, ignoredKinds: v.ignoredKinds, files: [fileName] };
}

/**
 * Loads manifests named `files` in order, their bytes from `read` (loadClusterObjects reads
 * files; a browser passes what the user dropped): a later version of an object replaces an
 * earlier one, DELETED events remove; objects of other kinds are counted in `ignoredKinds`.
 * Throws ManifestError on a syntax error, and with `strict` on any error-severity problem.
 */
export function loadManifests(files: string[], read: (file: string) => Uint8Array | string, opts: LoadOptions = {},
                              problems: Problem[] = []): LoadResult {
  const ignoredKinds: Record<string, number> = {};
  const events: ClusterEvent[] = [];
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    // Only the text is kept from here on.
    const text = decodeManifest(read(file), name, problems, { strict: opts.strict });
    const v = parseText(text, name, { strict: opts.strict });
    pushAll(events, v.events);
    pushAll(problems, v.problems);
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
  for (const ev of events) pushAll(problems, applyEvent(copy, ev, opts).problems);
  return { objects: copy, problems };
}
