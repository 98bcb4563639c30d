// The command line's side of cluster files (-c): refuse what is not text before parsing it, load
// the objects, and say what is wrong with them before the replay starts, in short lines.

import * as fs from 'node:fs';
import { extname, join } from 'node:path';
import { formatProblem, type ClusterObjects, type LoadResult, type Problem } from '../k8s/index.js';
import { loadClusterObjects } from '../k8s/load-files.js';
import type { ListedCluster } from '../k8s/watch.js';
import { mergeObjects } from '../replay/replay.js';

/** A -c file that is not text (exit 2). */
export class NotTextError extends Error {
  readonly code = 'ENOTTEXT';
}

/** Bytes looked at to tell text from binary data (as grep and git do: the beginning). */
const SNIFF_BYTES = 64 * 1024;
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Throws NotTextError when a cluster file (or a manifest in a cluster directory) is not text. */
export function checkClusterFilesAreText(paths: readonly string[]): void {
  for (const p of paths) {
    if (p === '-') continue; // standard input cannot be looked at twice
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      continue; // the loader says why it cannot be read
    }
    const files = st.isDirectory()
      ? fs.readdirSync(p).filter((n) => MANIFEST_EXTENSIONS.has(extname(n).toLowerCase())).sort().map((n) => join(p, n))
      : [p];
    for (const f of files) {
      const why = notText(f);
      if (why !== undefined) throw new NotTextError(`${f}: not a text file (${why}); --cluster reads YAML or JSON`);
    }
  }
}

/** Why the start of `file` is not YAML/JSON text, or undefined. */
function notText(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.allocUnsafe(SNIFF_BYTES);
  let n = 0;
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    n = fs.readSync(fd, buf, 0, SNIFF_BYTES, 0);
  } finally {
    fs.closeSync(fd);
  }
  const bytes = buf.subarray(0, n);
  // Characters YAML does not allow anywhere and JSON only escaped: C0 controls but tab, line
  // feed and carriage return; DEL.
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) {
      return `byte ${i} is 0x${b.toString(16).padStart(2, '0')}`;
    }
  }
  // Invalid UTF-8 in text is the loader's to report, with its line and byte offset.
  return undefined;
}

/** What --kubeconfig and -c gave: the objects (the files' win), their problems in full, the live list (for --watch). */
export interface ClusterInput {
  objects: ClusterObjects | undefined;
  problems: string[];
  listed: ListedCluster | undefined;
}

/**
 * Reads the cluster a command's options name (--kubeconfig with its limits, then -c paths) and
 * prints each problem as a warning before any work.
 */
export async function loadClusterInput(o: Record<string, unknown>, strict: boolean): Promise<ClusterInput> {
  let objects: ClusterObjects | undefined;
  let problems: string[] = [];
  let listed: ListedCluster | undefined;
  if (o.kubeconfig) {
    // Loaded lazily: the Kubernetes client is large and only this path needs it.
    const { listCluster } = await import('../k8s/watch.js');
    listed = await listCluster(o.kubeconfig as string, o.context as string | undefined, { strict,
      requestTimeoutMs: o.requestTimeout as number | undefined, connectTimeoutMs: o.connectTimeout as number | undefined,
      maxResponseBytes: o.maxResponseSize as number | undefined });
    objects = listed.result.objects;
    problems = listed.result.problems.map(formatProblem);
    for (const p of problems) warn(p);
  }
  const cluster = o.cluster as string[] | undefined;
  if (cluster?.length) {
    const loaded = loadClusterFiles(cluster, strict);
    problems = [...problems, ...loaded.problems];
    objects = objects ? mergeObjects(objects, loaded.objects) : loaded.objects;
  }
  return { objects, problems, listed };
}

/** -c style paths (files, directories, '-'): checked to be text, loaded, their warnings printed. */
export function loadClusterFiles(paths: string[], strict: boolean): { objects: ClusterObjects; problems: string[] } {
  checkClusterFilesAreText(paths);
  const loaded = loadCluster(paths, strict);
  for (const w of loaded.warnings) warn(w);
  return { objects: loaded.result.objects, problems: loaded.result.problems.map(formatProblem) };
}

/** Prints a problem on standard error as one short warning line. */
export function warn(problem: string): void {
  // Problems of --updates come formatted with their severity: say "warning" once.
  process.stderr.write(`svcplane: warning: ${shortenProblem(problem.replace(/^([^ ]*): warning: /, '$1: '))}\n`);
}

/** Objects loaded from -c paths, and the warnings to print before the replay (shortenProblem them). */
export interface LoadedCluster {
  result: LoadResult;
  warnings: string[];
}

/** Loads -c paths (ManifestError on a syntax error, or on any problem with `strict`). */
export function loadCluster(paths: string[], strict: boolean): LoadedCluster {
  const result = loadClusterObjects(paths, { strict });
  const warnings = result.problems.map(problemLine);
  // A file that gave no object at all: say so, or the replay would silently pass everything.
  const fromFile = new Set<string>();
  for (const src of result.objects.sources.values()) fromFile.add(src.file);
  for (const f of result.files) {
    const shown = f === '-' ? '<stdin>' : f;
    if (fromFile.has(shown)) continue;
    if (f !== '-' && isBlank(f)) warnings.push(`${shown}: empty file: no Kubernetes objects`);
    else {
      const ignored = result.files.length === 1 ? ignoredKinds(result) : '';
      warnings.push(`${shown}: no Service, EndpointSlice, Endpoints, Node or ServiceCIDR objects${ignored}`);
    }
  }
  return { result, warnings };
}

/** A problem as a warning line (without the "svcplane: warning: " prefix; not shortened yet). */
function problemLine(p: Problem): string {
  return formatProblem({ ...p, severity: undefined });
}

function ignoredKinds(r: LoadResult): string {
  const kinds = Object.entries(r.ignoredKinds);
  if (kinds.length === 0) return '';
  return ` (skipped: ${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})`;
}

/** Whether a file holds nothing but white space, comments and YAML document markers. */
function isBlank(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return text.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l) || /^(---|\.\.\.)\s*(#.*)?$/.test(l));
}

/** Longest quoted text kept in a warning (characters inside the quotes). */
const QUOTE_MAX = 100;
/** Longest warning. */
const LINE_MAX = 300;

/**
 * Cuts the quoted text of a problem (a JSON string: `not "xxxx…"`) to QUOTE_MAX characters and
 * the whole line to LINE_MAX, saying how long the original was.
 */
export function shortenProblem(line: string): string {
  let s = line.replace(/"(?:[^"\\]|\\.)*"/g, (q) => {
    const inner = q.slice(1, -1);
    if (inner.length <= QUOTE_MAX) return q;
    return `"${inner.slice(0, escapeBoundary(inner, QUOTE_MAX))}…" (${inner.length} characters)`;
  });
  if (s.length > LINE_MAX) s = `${s.slice(0, LINE_MAX)}… (${line.length} characters)`;
  return s;
}

/** The largest cut point <= max that does not fall inside an escape sequence (\n, \u00e9). */
function escapeBoundary(s: string, max: number): number {
  let i = 0;
  while (i < max) {
    const step = s[i] !== '\\' ? 1 : s[i + 1] === 'u' ? 6 : 2;
    if (i + step > max) break;
    i += step;
  }
  return i;
}
