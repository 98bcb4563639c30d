// Node: the core's module read from this package's build/ folder, compiled once per process and
// registered as the module of every Core created without `wasm` (imported by the Node entry).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setDefaultCoreModule } from './core.js';

/** build/core.wasm (or core.debug.wasm) of this package. */
export function coreWasmPath(debug = false): string {
  const name = debug ? 'core.debug.wasm' : 'core.wasm';
  // dist/src/core/wasm-file.js and src/core/wasm-file.ts both sit three levels below the package root.
  return fileURLToPath(new URL(`../../${import.meta.url.includes('/dist/') ? '../' : ''}build/${name}`, import.meta.url));
}

const compiled = new Map<boolean, WebAssembly.Module>();

/** The compiled module of build/core.wasm (debug: core.debug.wasm), compiled on first use. */
export function coreModuleFromFile(debug = false): WebAssembly.Module {
  let mod = compiled.get(debug);
  if (!mod) {
    mod = new WebAssembly.Module(readFileSync(coreWasmPath(debug)));
    compiled.set(debug, mod);
  }
  return mod;
}

setDefaultCoreModule(coreModuleFromFile);
