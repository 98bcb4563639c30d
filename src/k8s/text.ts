// Text helpers shared by the manifest readers: field paths as people write
// them ("items[3].spec.ports[0].port"), line/column lookup, and a JSON reader
// that handles a stream of values (one object, NDJSON, or the concatenated
// pretty-printed objects of `kubectl get -w -o json`) and can say where each
// field starts, so JSON problems get a line as well as a path.
//
// Everything here is safe on hostile input: the reader keeps its own stack
// (no recursion), refuses nesting deeper than MAX_NESTING, reports keys given
// twice, and locating a field scans each map or list on its path once; values
// quoted in messages go through preview(), which is cut short.

export type PathSeg = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends one segment to a formatted path. */
export function appendPath(base: string, seg: PathSeg): string {
  if (typeof seg === 'number') return `${base}[${seg}]`;
  if (PLAIN_KEY.test(seg)) return base === '' ? seg : `${base}.${seg}`;
  return `${base}[${JSON.stringify(seg)}]`;
}

/** `["items", 3, "metadata", "labels", "kubernetes.io/service-name"]` → `items[3].metadata.labels["kubernetes.io/service-name"]`. */
export function formatPath(segs: readonly PathSeg[]): string {
  let out = '';
  for (const s of segs) out = appendPath(out, s);
  return out;
}

export interface LineColumn {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

/** Returns a function from a character offset to its 1-based line and column. */
export function lineIndex(text: string): (offset: number) => LineColumn {
  let starts: number[] | null = null;
  return (offset: number) => {
    if (!starts) {
      starts = [0];
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  };
}

/**
 * Deepest nesting of maps and lists accepted in a manifest or --updates file.
 * Kubernetes objects are rarely more than 10 deep and never near 30; a value
 * nested deeper than this is refused before anything walks it.
 */
export const MAX_NESTING = 100;

/** Input refused for its shape rather than its syntax: nesting too deep, an alias bomb. */
export class InputLimitError extends Error {
  constructor(
    message: string,
    /** Character offset where the limit was crossed, when known. */
    readonly offset: number | undefined,
  ) {
    super(message);
    this.name = 'InputLimitError';
  }
}

export function nestingMessage(limit = MAX_NESTING): string {
  return `nesting deeper than ${limit} levels of maps and lists (Kubernetes objects are never this deep)`;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    /** Character offset of the problem in the whole text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** A key given twice in one map; the value read is the last one. */
export interface DuplicateKey {
  key: string;
  /** Character offset of the second (or later) occurrence of the key. */
  offset: number;
  /** Path of the field from the top of its value: ["items", 3, "spec", "ports", 0, "port"]. */
  path: PathSeg[];
}

/** One top-level JSON value in a stream and where it sits in the text. */
export interface JsonValueSpan {
  value: unknown;
  start: number;
  end: number;
  /** Keys given twice inside this value, in text order (absent when there are none). */
  duplicates?: DuplicateKey[];
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const DIGIT0 = 48;
const DIGIT9 = 57;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

function isDigit(c: number): boolean {
  return c >= DIGIT0 && c <= DIGIT9;
}

/** A character that may not directly follow a number or literal ("01", "truex", "1.5.2"). */
function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === DOT || c === PLUS || c === MINUS;
}

/** An open map or list while reading (the reader keeps its own stack: no recursion). */
interface Frame {
  obj: Record<string, unknown> | null;
  arr: unknown[] | null;
  /** Map: the key whose value is being read, and where that key starts. */
  key: string;
  keyAt: number;
  /** Formatted path of this container (only with positions). */
  path: string;
}

class JsonReader {
  pos: number;
  duplicates: DuplicateKey[] | undefined;
  /** Formatted path of the value about to be read (only with positions). */
  private valuePath = '';

  constructor(
    readonly text: string,
    start: number,
    /** When set, receives path → offset of every field (its key) and array item. */
    readonly positions: Map<string, number> | null,
    readonly maxDepth: number,
  ) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    throw new JsonSyntaxError(message, at);
  }

  skipSpace(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === SPACE || c === LF || c === CR || c === TAB) p++;
      else break;
    }
    this.pos = p;
  }

  describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    return `'${this.text[this.pos]}'`;
  }

  /** Reads one complete value with an explicit stack: depth costs heap, not call stack. */
  value(): unknown {
    const t = this.text;
    const stack: Frame[] = [];
    let value: unknown;
    for (;;) {
      // Read a value (or open a container and go read its first member).
      this.skipSpace();
      const c = t.charCodeAt(this.pos);
      if (c === LBRACE || c === LBRACKET) {
        if (stack.length >= this.maxDepth) throw new InputLimitError(nestingMessage(this.maxDepth), this.pos);
        const isArr = c === LBRACKET;
        this.pos++;
        this.skipSpace();
        if (t.charCodeAt(this.pos) === (isArr ? RBRACKET : RBRACE)) {
          this.pos++;
          value = isArr ? [] : {};
        } else {
          const f: Frame = isArr
            ? { obj: null, arr: [], key: '', keyAt: 0, path: this.valuePath }
            : { obj: {}, arr: null, key: '', keyAt: 0, path: this.valuePath };
          stack.push(f);
          if (isArr) this.beginElement(f);
          else this.readKey(f);
          continue;
        }
      } else value = this.scalar(c);
      // Hand the value to its container; close containers that end here.
      for (;;) {
        const f = stack[stack.length - 1];
        if (f === undefined) return value;
        if (f.arr) {
          f.arr.push(value);
          this.skipSpace();
          const s = t.charCodeAt(this.pos);
          if (s === COMMA) {
            this.pos++;
            this.beginElement(f);
            break;
          }
          if (s !== RBRACKET) this.fail(`expected ',' or ']' after an array element, found ${this.describeHere()}`);
          this.pos++;
          stack.pop();
          value = f.arr;
        } else {
          const o = f.obj!;
          if (Object.prototype.hasOwnProperty.call(o, f.key)) this.duplicate(stack);
          // A key named __proto__ must become a plain own property, as JSON.parse makes it.
          if (f.key === '__proto__') Object.defineProperty(o, f.key, { value, enumerable: true, writable: true, configurable: true });
          else o[f.key] = value;
          this.skipSpace();
          const s = t.charCodeAt(this.pos);
          if (s === COMMA) {
            this.pos++;
            this.readKey(f);
            break;
          }
          if (s !== RBRACE) this.fail(`expected ',' or '}' after a property value, found ${this.describeHere()}`);
          this.pos++;
          stack.pop();
          value = o;
        }
      }
    }
  }

  private beginElement(f: Frame): void {
    this.skipSpace();
    if (this.positions) {
      this.valuePath = appendPath(f.path, f.arr!.length);
      this.positions.set(this.valuePath, this.pos);
    }
  }

  private readKey(f: Frame): void {
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail(`expected a property name in double quotes, found ${this.describeHere()}`);
    const keyAt = this.pos;
    f.keyAt = keyAt;
    f.key = this.string();
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== COLON) this.fail(`expected ':' after property name, found ${this.describeHere()}`);
    this.pos++;
    if (this.positions) {
      this.valuePath = appendPath(f.path, f.key);
      this.positions.set(this.valuePath, keyAt);
    }
  }

  /** Records the key just read in the innermost map as given twice. */
  private duplicate(stack: Frame[]): void {
    const path: PathSeg[] = stack.map((f) => (f.arr ? f.arr.length : f.key));
    const f = stack[stack.length - 1];
    (this.duplicates ??= []).push({ key: f.key, offset: f.keyAt, path });
  }

  scalar(c: number): unknown {
    const t = this.text;
    if (c === QUOTE) return this.string();
    if (c === 116 /* t */) return this.literal('true', true);
    if (c === 102 /* f */) return this.literal('false', false);
    if (c === 110 /* n */) return this.literal('null', null);
    // A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === MINUS) p++;
    const first = t.charCodeAt(p);
    if (first === DIGIT0) p++;
    else if (isDigit(first)) while (isDigit(t.charCodeAt(p))) p++;
    else this.fail(`expected a JSON value, found ${this.describeHere()}`);
    if (t.charCodeAt(p) === DOT && isDigit(t.charCodeAt(p + 1))) {
      p += 2;
      while (isDigit(t.charCodeAt(p))) p++;
    }
    const e = t.charCodeAt(p);
    if (e === 101 || e === 69) {
      let q = p + 1;
      const sign = t.charCodeAt(q);
      if (sign === PLUS || sign === MINUS) q++;
      if (isDigit(t.charCodeAt(q))) {
        p = q + 1;
        while (isDigit(t.charCodeAt(p))) p++;
      }
    }
    this.pos = p;
    this.checkEndOfWord();
    return Number(t.slice(start, p));
  }

  literal<T>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected a JSON value, found ${this.describeHere()}`);
    this.pos += word.length;
    this.checkEndOfWord();
    return v;
  }

  /** "01", "truex", "1.5.2": a number or literal must not run into more word characters. */
  checkEndOfWord(): void {
    if (isWordChar(this.text.charCodeAt(this.pos))) this.fail(`unexpected character ${this.describeHere()} after a value`);
  }

  string(): string {
    const t = this.text;
    const open = this.pos;
    let p = open + 1;
    let out = '';
    let chunkStart = p;
    for (;;) {
      if (p >= t.length) this.fail('unterminated string', open);
      const c = t.charCodeAt(p);
      if (c === QUOTE) {
        out += t.slice(chunkStart, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail('control character inside a string (write it as an escape)', p);
      if (c !== BACKSLASH) {
        p++;
        continue;
      }
      out += t.slice(chunkStart, p);
      const e = t[p + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          p += 2;
          break;
        case 'b':
          out += '\b';
          p += 2;
          break;
        case 'f':
          out += '\f';
          p += 2;
          break;
        case 'n':
          out += '\n';
          p += 2;
          break;
        case 'r':
          out += '\r';
          p += 2;
          break;
        case 't':
          out += '\t';
          p += 2;
          break;
        case 'u': {
          const hex = t.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape (needs four hex digits)', p);
          out += String.fromCharCode(parseInt(hex, 16));
          p += 6;
          break;
        }
        default:
          this.fail(`bad escape '\\${e ?? ''}' in string`, p);
      }
      chunkStart = p;
    }
  }
}

export interface JsonReadOptions {
  /** Deepest nesting accepted (default MAX_NESTING); deeper input throws InputLimitError. */
  maxDepth?: number;
}

/**
 * Reads the JSON values of a text one at a time, separated by optional
 * whitespace: one object, newline-delimited JSON, or pretty-printed objects
 * one after another. `next()` throws JsonSyntaxError (with the offset) on a
 * syntax error and InputLimitError on nesting deeper than the limit.
 */
export class JsonStream {
  private readonly reader: JsonReader;

  constructor(readonly text: string, opts: JsonReadOptions = {}) {
    this.reader = new JsonReader(text, 0, null, opts.maxDepth ?? MAX_NESTING);
  }

  /** The next value, or null at the end of the text. */
  next(): JsonValueSpan | null {
    const r = this.reader;
    r.skipSpace();
    if (r.pos >= this.text.length) return null;
    const start = r.pos;
    r.duplicates = undefined;
    const value = r.value();
    const span: JsonValueSpan = { value, start, end: r.pos };
    if (r.duplicates) span.duplicates = r.duplicates;
    return span;
  }
}

/**
 * Reads every JSON value in `text` (see JsonStream). Throws JsonSyntaxError
 * (with the offset) on the first syntax error.
 */
export function parseJsonStream(text: string, opts: JsonReadOptions = {}): JsonValueSpan[] {
  const out: JsonValueSpan[] = [];
  const s = new JsonStream(text, opts);
  for (let span = s.next(); span; span = s.next()) out.push(span);
  return out;
}

/**
 * Re-reads the value starting at `start` and returns, for every field and
 * array element inside it, the offset where it starts (a field: its key),
 * keyed by formatted path relative to that value ("spec.ports[0].port").
 * Memory grows with the number of fields: loaders use jsonLocator instead.
 */
export function jsonFieldOffsets(text: string, start: number, opts: JsonReadOptions = {}): Map<string, number> {
  const positions = new Map<string, number>();
  const r = new JsonReader(text, start, positions, opts.maxDepth ?? MAX_NESTING);
  r.skipSpace();
  positions.set('', r.pos);
  r.value();
  return positions;
}

/** Where the members of one map or list start, found by scanning its text once. */
interface ContainerIndex {
  /** Map: key → offset of the key and of its value (the last occurrence, as the reader keeps). */
  keys?: Map<string, { keyAt: number; valueAt: number }>;
  /** List: offset of each element. */
  items?: number[];
}

function skipSpaceAt(t: string, p: number): number {
  for (;;) {
    const c = t.charCodeAt(p);
    if (c === SPACE || c === LF || c === CR || c === TAB) p++;
    else return p;
  }
}

/** Offset just past the string literal starting at `p` (a '"'). */
function skipStringAt(t: string, p: number): number {
  p++;
  while (p < t.length) {
    const c = t.charCodeAt(p);
    if (c === BACKSLASH) p += 2;
    else if (c === QUOTE) return p + 1;
    else p++;
  }
  return p;
}

/** Offset just past the value starting at `p`: text already read once by JsonReader, so it is valid. */
function skipValueAt(t: string, p: number): number {
  const c = t.charCodeAt(p);
  if (c === QUOTE) return skipStringAt(t, p);
  if (c !== LBRACE && c !== LBRACKET) {
    while (p < t.length) {
      const d = t.charCodeAt(p);
      if (d === COMMA || d === RBRACE || d === RBRACKET || d === SPACE || d === LF || d === CR || d === TAB) break;
      p++;
    }
    return p;
  }
  let depth = 0;
  while (p < t.length) {
    const d = t.charCodeAt(p);
    if (d === QUOTE) {
      p = skipStringAt(t, p);
      continue;
    }
    if (d === LBRACE || d === LBRACKET) depth++;
    else if (d === RBRACE || d === RBRACKET) {
      depth--;
      if (depth === 0) return p + 1;
    }
    p++;
  }
  return p;
}

function indexContainer(t: string, at: number): ContainerIndex {
  const isObj = t.charCodeAt(at) === LBRACE;
  const close = isObj ? RBRACE : RBRACKET;
  const keys = isObj ? new Map<string, { keyAt: number; valueAt: number }>() : undefined;
  const items: number[] | undefined = isObj ? undefined : [];
  let p = skipSpaceAt(t, at + 1);
  while (p < t.length && t.charCodeAt(p) !== close) {
    if (keys) {
      const keyAt = p;
      const keyEnd = skipStringAt(t, p);
      const raw = t.slice(keyAt + 1, keyEnd - 1);
      const key = raw.includes('\\') ? (JSON.parse(t.slice(keyAt, keyEnd)) as string) : raw;
      p = skipSpaceAt(t, keyEnd) + 1; // ':'
      p = skipSpaceAt(t, p);
      keys.set(key, { keyAt, valueAt: p });
    } else items!.push(p);
    p = skipSpaceAt(t, skipValueAt(t, p));
    if (t.charCodeAt(p) === COMMA) p = skipSpaceAt(t, p + 1);
  }
  return { keys, items };
}

/**
 * For the JSON value starting at `start` (text already read by JsonStream),
 * returns a function from a field path to the offset where the deepest
 * existing part of that path starts (a field: its key; an element: its
 * value). Each map or list on a path is scanned once and remembered, so
 * locating costs time in proportion to the text walked, never to the number
 * of lookups times the size of the value.
 */
export function jsonLocator(text: string, start: number): (path: readonly PathSeg[]) => number {
  const root = skipSpaceAt(text, start);
  const cache = new Map<number, ContainerIndex>();
  return (path) => {
    let at = root;
    let found = root;
    for (const seg of path) {
      const c = text.charCodeAt(at);
      if (c !== LBRACE && c !== LBRACKET) break;
      let idx = cache.get(at);
      if (!idx) cache.set(at, (idx = indexContainer(text, at)));
      if (idx.keys) {
        const m = idx.keys.get(String(seg));
        if (!m) break;
        found = m.keyAt;
        at = m.valueAt;
      } else {
        if (typeof seg !== 'number') break;
        const v = idx.items![seg];
        if (v === undefined) break;
        found = v;
        at = v;
      }
    }
    return found;
  };
}

// ---------------------------------------------------------------------------
// Helpers that stay linear on hostile input

/** Appends every element of `src` to `dst` (push(...src) fails past ~100k elements). */
export function pushAll<T>(dst: T[], src: readonly T[]): T[] {
  for (let i = 0; i < src.length; i++) dst.push(src[i]);
  return dst;
}

/**
 * JSON text of a value for a message, cut after about `limit` characters
 * ("…" marks the cut): a 50 MB value in a manifest costs a bounded message.
 * Iterative, so any depth is fine; shared values are fine too.
 */
export function preview(v: unknown, limit = 160): string {
  const parts: string[] = [];
  let len = 0;
  const emit = (s: string): boolean => {
    if (len + s.length > limit) {
      parts.push(s.slice(0, Math.max(0, limit - len)), '…');
      len = limit + 1;
      return false;
    }
    parts.push(s);
    len += s.length;
    return true;
  };
  type Open = { arr: unknown[]; i: number } | { obj: Record<string, unknown>; keys: string[]; i: number; n: number };
  const stack: Open[] = [];
  const scalarText = (x: unknown): string | null => {
    if (typeof x === 'string') return JSON.stringify(x.length > limit ? x.slice(0, limit + 1) : x);
    if (x === null || typeof x === 'number' || typeof x === 'boolean') return JSON.stringify(x);
    if (typeof x === 'bigint') return String(x);
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') return 'null';
    return null;
  };
  /** Emits a value, or opens it; false when the limit is reached. */
  const put = (x: unknown): boolean => {
    const s = scalarText(x);
    if (s !== null) return emit(s);
    if (stack.length >= MAX_NESTING) return emit('…');
    if (Array.isArray(x)) {
      stack.push({ arr: x, i: 0 });
      return emit('[');
    }
    const obj = x as Record<string, unknown>;
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return emit(JSON.stringify(String(obj)));
    stack.push({ obj, keys: Object.keys(obj), i: 0, n: 0 });
    return emit('{');
  };
  if (!put(v)) return parts.join('');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if ('arr' in top) {
      if (top.i >= top.arr.length) {
        stack.pop();
        if (!emit(']')) break;
        continue;
      }
      if (top.i > 0 && !emit(',')) break;
      if (!put(top.arr[top.i++])) break;
    } else {
      if (top.i >= top.keys.length) {
        stack.pop();
        if (!emit('}')) break;
        continue;
      }
      const k = top.keys[top.i++];
      const val = top.obj[k];
      if (val === undefined || typeof val === 'function' || typeof val === 'symbol') continue;
      if (top.n++ > 0 && !emit(',')) break;
      if (!emit(`${JSON.stringify(k)}:`)) break;
      if (!put(val)) break;
    }
  }
  return parts.join('');
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8
 * sequence (overlong forms, surrogates and code points past U+10FFFF are
 * ill-formed, as for TextDecoder's fatal mode), or -1 when all of it is UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    const c1 = bytes[i + 1];
    if (c1 === undefined || c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
