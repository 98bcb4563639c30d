// The portable entry (src/index.ts, what 'svcplane' resolves to outside Node) bundles for a
// browser with no Node built-in anywhere in its import graph; the Node entry does not (so the
// check can fail), and file and cluster access stay out of the portable bundle.

import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from './helpers/browser-bundle.js';

describe('the library without Node', () => {
  it('src/index.ts bundles with platform=browser and reaches no Node built-in', async () => {
    const b = await bundleForBrowser('src/index.ts');
    expect(b.nodeImports).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(b.code).toContain('replayStream');
    // What reads files, descriptors or a cluster is not in it.
    for (const nodeOnly of ['src/core/wasm-file.ts', 'src/k8s/load-files.ts', 'src/replay/fd-io.ts', 'src/replay/replay.ts',
      'src/capture/io.ts', 'src/capture/output-file.ts', 'src/k8s/live.ts', 'src/k8s/live-http.ts']) {
      expect(b.inputs).not.toContain(nodeOnly);
    }
    // What a browser replay needs is.
    for (const part of ['src/core/core.ts', 'src/dataplane.ts', 'src/replay/chunks.ts', 'src/replay/stream.ts', 'src/replay/report.ts',
      'src/k8s/load.ts']) {
      expect(b.inputs).toContain(part);
    }
  });

  it('the Node entry does reach Node built-ins: refused, each named with its importer', async () => {
    const b = await bundleForBrowser('src/node.ts');
    expect(b.code).toBeUndefined();
    expect(b.nodeImports).toContain('src/core/wasm-file.ts → node:fs');
    expect(b.nodeImports).toContain('src/k8s/load-files.ts → node:fs');
    expect(b.errors.some((e) => e.includes('Node built-in node:fs'))).toBe(true);
  });
});
