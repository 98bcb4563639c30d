// Text helpers shared by the manifest readers: field paths as people write
// them ("items[3].spec.ports[0].port"), line/column lookup, and a JSON reader
// that handles a stream of values (one object, NDJSON, or the concatenated
// pretty-printed objects of `kubectl get -w -o json`) and can say where each
// field starts, so JSON problems get a line as well as a path.

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

/** One top-level JSON value in a stream and where it sits in the text. */
export interface JsonValueSpan {
  value: unknown;
  start: number;
  end: number;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class JsonReader {
  pos: number;

  constructor(
    readonly text: string,
    start: number,
    /** When set, receives path → offset of every field (its key) and array item. */
    readonly positions: Map<string, number> | null,
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
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    return `'${this.text[this.pos]}'`;
  }

  value(path: string): unknown {
    this.skipSpace();
    const t = this.text;
    const c = t[this.pos];
    switch (c) {
      case '{':
        return this.object(path);
      case '[':
        return this.array(path);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default: {
        NUMBER.lastIndex = this.pos;
        const m = NUMBER.exec(t);
        if (!m) this.fail(`expected a JSON value, found ${this.describeHere()}`);
        this.pos += m[0].length;
        this.checkEndOfWord();
        return Number(m[0]);
      }
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected a JSON value, found ${this.describeHere()}`);
    this.pos += word.length;
    this.checkEndOfWord();
    return v;
  }

  /** "01", "truex", "1.5.2": a number or literal must not run into more word characters. */
  checkEndOfWord(): void {
    if (/[0-9A-Za-z_.+-]/.test(this.text[this.pos] ?? '')) this.fail(`unexpected character ${this.describeHere()} after a value`);
  }

  object(path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++; // '{'
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail(`expected a property name in double quotes, found ${this.describeHere()}`);
      const keyAt = this.pos;
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after property name, found ${this.describeHere()}`);
      this.pos++;
      const childPath = this.positions ? appendPath(path, key) : '';
      if (this.positions) this.positions.set(childPath, keyAt);
      const v = this.value(childPath);
      // A key named __proto__ must become a plain own property, as JSON.parse makes it.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or '}' after a property value, found ${this.describeHere()}`);
    }
  }

  array(path: string): unknown[] {
    const out: unknown[] = [];
    this.pos++; // '['
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const childPath = this.positions ? appendPath(path, out.length) : '';
      if (this.positions) this.positions.set(childPath, this.pos);
      out.push(this.value(childPath));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or ']' after an array element, found ${this.describeHere()}`);
    }
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
      if (c === 34) {
        out += t.slice(chunkStart, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail('control character inside a string (write it as an escape)', p);
      if (c !== 92) {
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

/**
 * Reads every JSON value in `text`, separated by optional whitespace: one
 * object, newline-delimited JSON, or pretty-printed objects one after another.
 * Throws JsonSyntaxError (with the offset) on the first syntax error.
 */
export function parseJsonStream(text: string): JsonValueSpan[] {
  const out: JsonValueSpan[] = [];
  const r = new JsonReader(text, 0, null);
  for (;;) {
    r.skipSpace();
    if (r.pos >= text.length) return out;
    const start = r.pos;
    const value = r.value('');
    out.push({ value, start, end: r.pos });
  }
}

/**
 * Re-reads the value starting at `start` and returns, for every field and
 * array element inside it, the offset where it starts (a field: its key),
 * keyed by formatted path relative to that value ("spec.ports[0].port").
 */
export function jsonFieldOffsets(text: string, start: number): Map<string, number> {
  const positions = new Map<string, number>();
  const r = new JsonReader(text, start, positions);
  r.skipSpace();
  positions.set('', r.pos);
  r.value('');
  return positions;
}
