// Bundles the compiled command line (dist/src/cli/main.js) into dist/src/cli/svcplane.cjs, and its
// worker thread into dist/src/cli/thread.js; then runs the demo once to write V8's code cache of
// the bundle (svcplane.cjs.cache), which the command's launcher (src/cli/svcplane.ts) compiles
// from. One file from a cache instead of ~150 modules to resolve, parse and compile: most of what
// the command spent before its first packet (README "How it is built").
//
// The outputs sit beside main.js so the paths they compute from import.meta.url (build/core.wasm,
// package.json, the worker script ./thread.js) are the ones the unbundled modules compute.
// The Kubernetes client (ES modules only, and only --kubeconfig needs it) is imported at run time.
//
// Usage: node scripts/bundle.mjs   (after `tsc -p tsconfig.json`; `npm run build` runs both)

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli');
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node'],
  logLevel: 'warning',
};

// The bundle runs as a script (src/cli/svcplane.ts), which cannot import() an ES module: the
// Kubernetes client is imported by the launcher instead.
const importThroughLauncher = {
  name: 'import-through-launcher',
  setup(b) {
    b.onLoad({ filter: /dist[\\/]src[\\/]k8s[\\/]client-node\.js$/ }, () => ({
      contents: "export const loadClientNode = () => globalThis[Symbol.for('svcplane.import')]('@kubernetes/client-node');",
      loader: 'js',
    }));
  },
};

// The HTML pages embed the text of their drawing functions (src/report/*client.ts). esbuild
// reformats that text; the bundle keeps tsc's, so the command writes the page the web page
// (which runs the compiled modules) writes, byte for byte.
const keepPageScripts = {
  name: 'keep-page-scripts',
  setup(b) {
    b.onLoad({ filter: /dist[\\/]src[\\/]report[\\/][^\\/]*client\.js$/ }, async (args) => {
      const mod = await import(pathToFileURL(args.path).href);
      const keep = Object.entries(mod).filter(([, f]) => typeof f === 'function')
        .map(([name, f]) => `${name}.toString = () => ${JSON.stringify(f.toString())};`);
      return { contents: `${readFileSync(args.path, 'utf8')}\n${keep.join('\n')}\n`, loader: 'js' };
    });
  },
};

await build({
  ...common,
  plugins: [importThroughLauncher, keepPageScripts],
  entryPoints: ['dist/src/cli/main.js'],
  outfile: join(cli, 'svcplane.cjs'),
  format: 'cjs',
  // The modules ask where they are through import.meta.url: the bundle's own file.
  define: { 'import.meta.url': '__svcplaneUrl' },
  banner: { js: "var __svcplaneUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({
  ...common,
  entryPoints: ['dist/src/replay/workers/thread.js'],
  outfile: join(cli, 'thread.js'),
  format: 'esm',
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __svcplaneRequire } from 'node:module'; const require = __svcplaneRequire(import.meta.url);" },
});

// The launcher tsc wrote is the package's "bin".
chmodSync(join(cli, 'svcplane.js'), 0o755);

// The code cache: written by the launcher at the end of a demo replay, so it holds the functions
// a replay compiles, not only the top level.
const cache = join(cli, 'svcplane.cjs.cache');
rmSync(cache, { force: true });
const out = mkdtempSync(join(tmpdir(), 'svcplane-bundle-'));
try {
  const r = spawnSync(process.execPath, [join(cli, 'svcplane.js'), 'replay', 'pcaps/demo.pcapng', '-c', 'pcaps/demo-cluster.yaml',
    '--node', 'node-a', '--node-ip', '192.168.49.2', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/16',
    '-w', join(out, 'demo.pcapng'), '--report', join(out, 'report.json')], {
    cwd: root, encoding: 'utf8', env: { ...process.env, SVCPLANE_WRITE_CODE_CACHE: cache },
  });
  if (r.status !== 0) throw new Error(`the demo replay that writes the code cache failed (${r.status ?? r.signal}):\n${r.stderr}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
