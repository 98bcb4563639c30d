// Bundles the compiled command line (dist/src/cli/main.js) and its worker thread into
// dist/src/cli/svcplane.js, thread.js and shared chunks: one file to parse instead of ~150 ES and
// CommonJS modules, which is most of the command's start (docs: README "How it is built").
//
// The outputs sit beside main.js so the paths they compute from import.meta.url (build/core.wasm,
// package.json, the worker script ./thread.js) are the ones the unbundled modules compute.
// The Kubernetes client stays a separate, lazily loaded chunk (only --kubeconfig needs it).
//
// Usage: node scripts/bundle.mjs   (after `tsc -p tsconfig.json`; `npm run build` runs both)

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readdirSync, rmSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src', 'cli');

// Chunks are named by content hash: drop the previous build's.
for (const f of readdirSync(outdir)) if (/^svcplane-[A-Z0-9]+\.js$/.test(f)) rmSync(join(outdir, f));

await build({
  absWorkingDir: root,
  entryPoints: {
    svcplane: 'dist/src/cli/main.js',
    thread: 'dist/src/replay/workers/thread.js',
  },
  outdir,
  chunkNames: 'svcplane-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node'],
  // Bundled CommonJS dependencies (yaml, commander) call require() for Node built-ins.
  banner: { js: "import { createRequire as __svcplaneRequire } from 'node:module'; const require = __svcplaneRequire(import.meta.url);" },
  logLevel: 'warning',
});
