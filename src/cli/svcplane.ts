#!/usr/bin/env node
// The command users run (package.json "bin"). It runs the command line's bundle (svcplane.cjs
// beside it, made by scripts/bundle.mjs) compiled from the V8 code cache the build wrote next to
// it, so a run neither resolves ~150 modules nor parses and compiles ~800 KB of JavaScript again.
// A cache V8 refuses (another Node version, other V8 flags) only costs the compile; without the
// bundle (tsc alone) the modules run as they are.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** Set by the build (scripts/bundle.mjs): write the code cache of this run at exit. */
const WRITE_CACHE = 'SVCPLANE_WRITE_CODE_CACHE';

const bundle = fileURLToPath(new URL('./svcplane.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;

let source: string | undefined;
try {
  source = readFileSync(bundle, 'utf8');
} catch {
  // Not bundled: run the compiled modules.
}

if (source === undefined) {
  await import('./main.js');
} else {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache: compile.
  }
  // CommonJS's own wrapper; the hashbang line becomes a comment (same length, same line numbers).
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${body}\n})`, {
    filename: bundle,
    cachedData,
  });
  // What the bundle imports at run time (ES modules; the script itself cannot import).
  (globalThis as Record<symbol, unknown>)[Symbol.for('svcplane.import')] = (specifier: string) => import(specifier);
  if (process.env[WRITE_CACHE]) {
    const out = process.env[WRITE_CACHE]!;
    delete process.env[WRITE_CACHE];
    process.on('exit', () => writeFileSync(out, script.createCachedData()));
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)
    .call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}
