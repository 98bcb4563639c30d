// The portable entry bundled for a browser (esbuild, platform=browser, format=esm): every import
// of a Node built-in is refused and recorded, with the file that made it.

import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { build, type Metafile, type Plugin } from 'esbuild';
import { REPO } from './cli.js';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export interface Bundle {
  /** The ES module, when nothing refused it. */
  code: string | undefined;
  /** Node built-ins the entry's import graph reached, as "importer → module". */
  nodeImports: string[];
  /** Source files in the bundle, relative to the repository. */
  inputs: string[];
  errors: string[];
}

/** Bundles `entry` (relative to the repository) for a browser. */
export async function bundleForBrowser(entry: string): Promise<Bundle> {
  const nodeImports: string[] = [];
  const refuseNode: Plugin = {
    name: 'refuse-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!NODE_BUILTINS.has(args.path)) return undefined;
        nodeImports.push(`${path.relative(REPO, args.importer)} → ${args.path}`);
        return { errors: [{ text: `Node built-in ${args.path} in a browser bundle` }] };
      });
    },
  };
  try {
    const r = await build({
      entryPoints: [path.join(REPO, entry)], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
      write: false, metafile: true, logLevel: 'silent', plugins: [refuseNode],
    });
    return { code: r.outputFiles[0]!.text, nodeImports, inputs: inputsOf(r.metafile), errors: [] };
  } catch (e) {
    const errors = ((e as { errors?: { text: string }[] }).errors ?? [{ text: String(e) }]).map((x) => x.text);
    return { code: undefined, nodeImports, inputs: [], errors };
  }
}

function inputsOf(meta: Metafile): string[] {
  return Object.keys(meta.inputs).map((f) => path.relative(REPO, path.resolve(process.cwd(), f))).sort();
}
