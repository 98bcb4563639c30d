// Every test runs in Node: Cores created without `wasm` are built from build/core.wasm, as
// through the package's Node entry (src/node.ts).
import '../../src/core/wasm-file.js';
