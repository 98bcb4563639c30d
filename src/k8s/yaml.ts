// Reading YAML manifests with bounded cost. The `yaml` package lexes and
// parses iteratively, but composes documents and converts them to plain
// values recursively, checks duplicate keys in time quadratic in the size of
// a map, and resolves aliases by scanning every anchor and alias before them.
// So before a document is composed its syntax tree is checked for depth
// (MAX_NESTING), and before it is converted its node tree is checked for
// aliases: at most MAX_ALIASES of them and MAX_ANCHORS anchors, no alias
// inside its own anchor, and a node budget for the expanded document (what
// the aliases stand for may add no more nodes than the document has, or
// ALIAS_ALLOWANCE for small documents). Duplicate keys are found here, in
// linear time, and reported to the loader (which decides their severity).
// Documents are produced one at a time, so a caller can drop each one's
// syntax tree before the next is read, and a large List laid out as kubectl
// prints it is read item by item (see the end of this file).

import {
  Composer,
  Lexer,
  Parser,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type CST,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { InputLimitError, MAX_NESTING, nestingMessage, type DuplicateKey, type PathSeg } from './text.js';

/** Most aliases (`*name`) one document may hold. */
export const MAX_ALIASES = 1000;
/** Most anchors (`&name`) one document may hold. */
export const MAX_ANCHORS = 10_000;
/** Nodes aliases may add to a document however small it is (beyond that: as many as it has). */
export const ALIAS_ALLOWANCE = 100_000;

/** A YAML syntax error (or one the yaml package raised while converting), at an offset when known. */
export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
    this.name = 'YamlSyntaxError';
  }
}

/** One document's value, where its fields start, and the keys it gives twice. */
export interface YamlValue {
  value: unknown;
  /** Offset where the deepest existing part of a path starts (a field: its key). */
  locate: (path: readonly PathSeg[]) => number | undefined;
  duplicates?: DuplicateKey[];
}

type Range = [number, number, number];

function rangeStart(n: unknown): number | undefined {
  return (n as { range?: Range | null } | null | undefined)?.range?.[0];
}

/** Depth of maps and lists in one CST token, walked with a stack. Throws past `limit`. */
function checkTokenDepth(token: CST.Token, limit: number): void {
  const stack: { t: CST.Token; depth: number }[] = [{ t: token, depth: 0 }];
  while (stack.length > 0) {
    const { t, depth } = stack.pop()!;
    switch (t.type) {
      case 'document':
        if (t.value) stack.push({ t: t.value, depth });
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        const d = depth + 1;
        if (d > limit) throw new InputLimitError(nestingMessage(limit), t.offset);
        for (const item of t.items) {
          if (item.key) stack.push({ t: item.key, depth: d });
          if (item.value) stack.push({ t: item.value, depth: d });
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * The CST tokens of `text`, each document checked for depth before it is
 * handed on. The parser's own stack is watched too, so absurd nesting is
 * refused while it is being read rather than after.
 */
function* checkedTokens(text: string, limit: number): Generator<CST.Token> {
  const lexer = new Lexer();
  const parser = new Parser();
  const stackLimit = 2 * limit + 16;
  // Whether the composer attaches an error token to an open document (not to directives).
  let inDocument = false;
  for (const lexeme of lexer.lex(text, false)) {
    for (const token of parser.next(lexeme)) {
      checkTokenDepth(token, limit);
      yield token;
      if (token.type === 'document') inDocument = true;
      else if (token.type === 'directive') inDocument = false;
      // The document's first error is the one reported: stop here rather than have the composer
      // build an error, with its stack, for every token after it (one per bracket of the rest).
      else if (token.type === 'error' && inDocument) return;
    }
    if (parser.stack.length > stackLimit) throw new InputLimitError(nestingMessage(limit), parser.offset);
  }
  for (const token of parser.end()) {
    checkTokenDepth(token, limit);
    yield token;
  }
}

/** The key of a map entry as the plain value will have it, for scalar keys. */
function scalarKey(pair: Pair): string | undefined {
  if (!isScalar(pair.key)) return undefined;
  const v = pair.key.value;
  return v === null || v === undefined ? '' : String(v);
}

interface WalkFrame {
  node: Node;
  /** Maps and lists this node is inside, counting itself. */
  depth: number;
  /** Path segment from its parent (null for map keys and the root). */
  seg: PathSeg | null;
  /** Next child: for a map, 2·pair + (0 key, 1 value). */
  next: number;
  /** Nodes of the expanded subtree finished so far, and its height in maps and lists. */
  size: number;
  height: number;
}

interface Expansion {
  size: number;
  height: number;
  done: boolean;
}

function describeCount(n: number): string {
  return n < 1e15 ? String(Math.round(n)) : n.toExponential(1);
}

/**
 * Walks one composed document (iteratively): duplicate keys, and the alias
 * rules of the top of this file. Throws InputLimitError when a rule is broken.
 */
function analyzeDocument(doc: Document.Parsed, limit: number, budget: AliasBudget): DuplicateKey[] | undefined {
  const root = doc.contents as Node | null;
  if (!root) return undefined;
  let duplicates: DuplicateKey[] | undefined;
  const anchors = new Map<string, Node>();
  const expansion = new Map<Node, Expansion>();
  let anchorCount = 0;
  let aliasCount = 0;
  let literal = 0;
  const aliasUses: { offset: number | undefined; size: number }[] = [];
  const stack: WalkFrame[] = [];

  /** Path of a key of the map being entered (`seg` from its parent; nothing for the root). */
  const pathOf = (seg: PathSeg | null, isRoot: boolean, key: PathSeg): PathSeg[] => {
    const path: PathSeg[] = [];
    for (let i = 1; i < stack.length; i++) path.push(stack[i].seg ?? '?');
    if (!isRoot) path.push(seg ?? '?');
    path.push(key);
    return path;
  };

  /** Sizes of a node that has no children to visit (scalar, alias); or opens a collection. */
  const enter = (node: Node, seg: PathSeg | null, parent: WalkFrame | undefined): void => {
    const depth = (parent?.depth ?? 0) + (isMap(node) || isSeq(node) ? 1 : 0);
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      if (++anchorCount > MAX_ANCHORS) {
        throw new InputLimitError(`more than ${MAX_ANCHORS} anchors in one document`, rangeStart(node));
      }
      anchors.set(anchor, node);
      expansion.set(node, { size: 0, height: 0, done: false });
    }
    if (isAlias(node)) {
      if (++aliasCount > MAX_ALIASES) {
        throw new InputLimitError(`more than ${MAX_ALIASES} aliases in one document`, rangeStart(node));
      }
      const target = anchors.get(node.source);
      let size = 1;
      let height = 0;
      if (target) {
        const e = expansion.get(target)!;
        if (!e.done) throw new InputLimitError(`alias *${node.source} refers to a node that contains it`, rangeStart(node));
        size = e.size;
        height = e.height;
        if ((parent?.depth ?? 0) + height > limit) throw new InputLimitError(nestingMessage(limit), rangeStart(node));
      }
      aliasUses.push({ offset: rangeStart(node), size });
      finish(node, size, height, parent);
      return;
    }
    literal++;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = scalarKey(item);
        if (k === undefined) continue;
        if (seen.has(k)) {
          (duplicates ??= []).push({ key: k, offset: rangeStart(item.key) ?? rangeStart(node) ?? 0, path: pathOf(seg, !parent, k) });
        } else seen.add(k);
      }
    }
    if (isMap(node) || isSeq(node)) {
      stack.push({ node, depth, seg, next: 0, size: 1, height: 1 });
      return;
    }
    finish(node, 1, 0, parent);
  };

  const finish = (node: Node, size: number, height: number, parent: WalkFrame | undefined): void => {
    const e = expansion.get(node);
    if (e) {
      e.size = size;
      e.height = height;
      e.done = true;
    }
    if (parent) {
      parent.size += size;
      if (height + 1 > parent.height) parent.height = height + 1;
    }
  };

  enter(root, null, undefined);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    const items = (f.node as YAMLMap | { items: unknown[] }).items as unknown[];
    if (isMap(f.node)) {
      const pairIndex = f.next >> 1;
      if (pairIndex < items.length) {
        const isValue = (f.next & 1) === 1;
        f.next++;
        const pair = items[pairIndex];
        if (!isPair(pair)) continue;
        const child = isValue ? pair.value : pair.key;
        if (child === null || child === undefined || typeof child !== 'object') continue;
        enter(child as Node, isValue ? (scalarKey(pair) ?? '?') : null, f);
        continue;
      }
    } else if (f.next < items.length) {
      const child = items[f.next];
      const index = f.next++;
      if (child === null || child === undefined || typeof child !== 'object') continue;
      enter(child as Node, index, f);
      continue;
    }
    stack.pop();
    finish(f.node, f.size, f.height, stack[stack.length - 1]);
  }

  // The expanded document: everything aliases stand for, counted as if copied.
  budget.literal += literal;
  const allowance = Math.max(budget.literal, ALIAS_ALLOWANCE);
  for (let i = 0; i < aliasUses.length; i++) {
    budget.added += aliasUses[i].size;
    if (budget.added > allowance) {
      let total = budget.added;
      for (let j = i + 1; j < aliasUses.length; j++) total += aliasUses[j].size;
      throw new InputLimitError(
        `aliases expand this document from ${budget.literal} to ${describeCount(budget.literal + total)} nodes ` +
          `(at most ${budget.literal + allowance}: an alias bomb?)`,
        aliasUses[i].offset,
      );
    }
  }
  return duplicates;
}

/** Nodes written out and nodes aliases add, over one document (or over the pieces of one, see below). */
interface AliasBudget {
  literal: number;
  added: number;
}

/** Field path → offset in one document; each map's keys are indexed once, on first use. */
function yamlLocator(doc: Document.Parsed): YamlValue['locate'] {
  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  return (path) => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node);
    for (const seg of path) {
      if (isMap(node)) {
        let idx = keyIndex.get(node);
        if (!idx) {
          idx = new Map();
          for (const item of node.items) {
            if (!isPair(item)) continue;
            const k = scalarKey(item);
            if (k !== undefined) idx.set(k, item); // the last one wins, as in the value
          }
          keyIndex.set(node, idx);
        }
        const pair = idx.get(String(seg));
        if (!pair) break;
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (!item) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else break;
    }
    return offset;
  };
}

/**
 * Runs `fn` with `process.env` replaced by a plain copy of itself. The yaml
 * package reads process.env.LOG_TOKENS for every token it parses, and each
 * read of the real process.env is a call into the runtime: a fifth to a
 * quarter of the time of reading a large manifest. Nothing else runs while
 * `fn` does (it is synchronous), and the real object is back when it returns
 * or throws.
 */
export function withPlainEnv<T>(fn: () => T): T {
  // Hosts without a Node-style process (browsers): nothing to swap.
  const proc = (globalThis as { process?: { env?: NodeJS.ProcessEnv } }).process;
  if (proc?.env === undefined) return fn();
  const real = proc.env;
  let swapped = false;
  try {
    proc.env = { ...real };
    swapped = true;
  } catch {
    // An environment that cannot be replaced: read it as it is.
  }
  try {
    return fn();
  } finally {
    if (swapped) proc.env = real;
  }
}

/** One composed document, checked, with its plain value. */
interface ReadDocument {
  doc: Document.Parsed;
  value: unknown;
  duplicates: DuplicateKey[] | undefined;
}

/** The documents of `text`, each checked (depth, aliases) and converted; `budget` per document unless given. */
function* readDocuments(text: string, limit: number, shared?: AliasBudget): Generator<ReadDocument> {
  // uniqueKeys: false — the composer's own check is quadratic; analyzeDocument finds duplicates.
  const composer = new Composer({ uniqueKeys: false });
  for (const doc of composer.compose(checkedTokens(text, limit))) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new YamlSyntaxError(message, e.pos?.[0]);
    }
    const duplicates = analyzeDocument(doc, limit, shared ?? { literal: 0, added: 0 });
    let value: unknown;
    try {
      // maxAliasCount -1: analyzeDocument bounds aliases (the package's own count revisits the document per alias).
      value = doc.toJS({ maxAliasCount: -1 });
    } catch (e) {
      throw new YamlSyntaxError((e as Error).message, undefined);
    }
    yield { doc, value, duplicates };
  }
}

/**
 * The documents of a YAML stream as plain values, one at a time (empty
 * documents skipped). Throws YamlSyntaxError on a syntax error and
 * InputLimitError when a document breaks a limit of this file.
 */
export function* readYamlValues(
  text: string,
  opts: {
    maxDepth?: number;
    /** Read a kubectl-style List item by item (see below); default: when the text is large. */
    pieces?: boolean;
  } = {},
): Generator<YamlValue> {
  const limit = opts.maxDepth ?? MAX_NESTING;
  if (opts.pieces ?? text.length >= SPLIT_LIST_MIN_CHARS) {
    const list = readListInPieces(text, limit);
    if (list) {
      yield list;
      return;
    }
  }
  for (const { doc, value, duplicates } of readDocuments(text, limit)) {
    if (value === null || value === undefined) continue; // empty document ("---" alone, comments)
    const out: YamlValue = { value, locate: yamlLocator(doc) };
    if (duplicates) out.duplicates = duplicates;
    yield out;
  }
}

// ---------------------------------------------------------------------------
// A large List (`kubectl get ... -o yaml`) read item by item
//
// The yaml package holds the syntax tree of a whole document while composing
// it: about 60 bytes per byte of text, 2.9 GB for a 40 MB List. kubectl
// prints a List as one document whose items are the "- " lines at column 0
// under a top-level "items:" (other writers indent them), and such an item is
// a YAML document of its own (a one-element list). So a large text of that shape is read piece by piece:
// the rest of the document first, then each item, keeping only its plain
// value; where a field of an item is, is found by reading that item again
// (only when a problem needs it). Anything that does not fit — an alias to an
// anchor outside its item, a second document, an error — sends the whole text
// the ordinary way, which decides (and reports) as before.

/** Texts shorter than this are always read whole. */
export const SPLIT_LIST_MIN_CHARS = 1 << 20;

interface ListLayout {
  /** Offset of the first item line and of the end of the last item's lines. */
  start: number;
  end: number;
  /** Offset where each item ("- " at column 0) starts. */
  items: number[];
}

/**
 * Finds the items of a top-level "items:" whose entries are "- " lines at one
 * indentation (column 0 as kubectl prints them, or indented), or null when
 * the text is not laid out that way.
 */
function listLayout(text: string): ListLayout | null {
  // A block map at column 0 (a BOM became a space: that text goes the ordinary way).
  if (!/[A-Za-z_"']/.test(text[0] ?? '')) return null;
  let layout: ListLayout | null = null;
  let state: 'head' | 'await' | 'items' | 'after' = 'head';
  let itemIndent = -1;
  for (let p = 0; p < text.length; ) {
    let eol = text.indexOf('\n', p);
    if (eol === -1) eol = text.length;
    let q = p;
    while (text.charCodeAt(q) === 32) q++;
    const c = text.charCodeAt(q);
    const indent = q - p;
    if (c === 9) return null; // tabs: let the parser judge
    if (q >= eol || c === 13 || c === 35) {
      p = eol + 1; // a blank or comment line
      continue;
    }
    if (indent === 0 && (text.startsWith('---', p) || text.startsWith('...', p) || c === 37)) return null; // documents, directives
    const next = text.charCodeAt(q + 1);
    const dash = c === 45 && (q + 1 >= text.length || next === 32 || next === 10 || next === 13);
    if (state === 'await') {
      if (!dash) return null; // "items:" with something else than a list under it
      itemIndent = indent;
      state = 'items';
      layout!.items.push(p);
    } else if (state === 'items') {
      if (dash && indent === itemIndent) layout!.items.push(p);
      else if (indent === 0) {
        state = 'after'; // the next top-level key: read this line again as one
        layout!.end = p;
        continue;
      } else if (indent <= itemIndent) return null;
      // deeper: part of the current item
    } else if (indent === 0) {
      if (dash) return null; // a list at column 0 outside "items:"
      if (/^items:[ \t]*(#.*)?\r?$/.test(text.slice(p, eol))) {
        if (layout) return null;
        layout = { start: 0, end: text.length, items: [] };
        state = 'await';
      }
    }
    p = eol + 1;
  }
  if (!layout || layout.items.length === 0) return null;
  layout.start = layout.items[0];
  return layout;
}

/** Reads the one document of a piece of text, or null when it is not exactly one. */
function onlyDocument(text: string, limit: number, budget: AliasBudget): ReadDocument | null {
  let found: ReadDocument | null = null;
  for (const d of readDocuments(text, limit, budget)) {
    if (found) return null;
    found = d;
  }
  return found;
}

function readListInPieces(text: string, limit: number): YamlValue | null {
  const layout = listLayout(text);
  if (!layout) return null;
  try {
    return readLayout(text, layout, limit);
  } catch {
    return null; // the ordinary way reads it again and reports whatever is wrong
  }
}

function readLayout(text: string, layout: ListLayout, limit: number): YamlValue | null {
  const budget: AliasBudget = { literal: 0, added: 0 };
  const cut = layout.end - layout.start;
  const headText = text.slice(0, layout.start) + text.slice(layout.end);
  const headOffset = (o: number) => (o >= layout.start ? o + cut : o);
  const head = onlyDocument(headText, limit, budget);
  if (!head || typeof head.value !== 'object' || head.value === null || Array.isArray(head.value)) return null;
  const value = head.value as Record<string, unknown>;
  if (value.items !== null && value.items !== undefined) return null;

  const n = layout.items.length;
  const values: unknown[] = new Array(n);
  const valueStarts = new Float64Array(n);
  let duplicates: DuplicateKey[] | undefined;
  for (const d of head.duplicates ?? []) (duplicates ??= []).push({ ...d, offset: headOffset(d.offset) });
  const pieceText = (i: number) => text.slice(layout.items[i], i + 1 < n ? layout.items[i + 1] : layout.end);
  for (let i = 0; i < n; i++) {
    // An item sits one level deeper in the whole document than in its piece.
    const piece = onlyDocument(pieceText(i), limit - 1, budget);
    const seq = piece?.doc.contents;
    if (!piece || !isSeq(seq) || seq.items.length !== 1 || !Array.isArray(piece.value)) return null;
    const base = layout.items[i];
    values[i] = piece.value[0];
    valueStarts[i] = base + (rangeStart(seq.items[0]) ?? 0);
    for (const d of piece.duplicates ?? []) {
      (duplicates ??= []).push({ key: d.key, offset: base + d.offset, path: ['items', i, ...d.path.slice(1)] });
    }
  }
  value.items = values;

  const headLocate = yamlLocator(head.doc);
  let cached: { index: number; locate: YamlValue['locate'] } | undefined;
  const locate: YamlValue['locate'] = (path) => {
    if (path[0] !== 'items' || typeof path[1] !== 'number' || path[1] < 0 || path[1] >= n) {
      const o = headLocate(path);
      return o === undefined ? undefined : headOffset(o);
    }
    const i = path[1];
    if (path.length === 2) return valueStarts[i];
    if (cached?.index !== i) {
      // Read the item again for its syntax tree: only for a problem inside it.
      const piece = onlyDocument(pieceText(i), limit - 1, { literal: 0, added: 0 });
      cached = { index: i, locate: piece ? yamlLocator(piece.doc) : () => undefined };
    }
    const o = cached.locate([0, ...path.slice(2)]);
    return o === undefined ? valueStarts[i] : layout.items[i] + o;
  };
  const out: YamlValue = { value, locate };
  if (duplicates) out.duplicates = duplicates;
  return out;
}
