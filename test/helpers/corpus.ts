// The public corpus of real captures the reader, writer and replay are checked against. It is not
// part of the repository: it lives next to it, at ../shared/corpus/public (SVCPLANE_CORPUS names
// another place). Without it the corpus tests are skipped, except in CI (process.env.CI set),
// where requireCorpus() registers a test that fails and says where the corpus was looked for.
//
//   import { CORPUS, haveCorpus, requireCorpus } from './helpers/corpus.js';
//   requireCorpus();
//   describe.skipIf(!haveCorpus)('... on the public corpus', () => { ... });

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The corpus directory (holds MANIFEST.tsv and the captures). */
export const CORPUS = process.env.SVCPLANE_CORPUS ?? path.resolve(REPO, '..', 'shared', 'corpus', 'public');
export const haveCorpus = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

/** In CI, a failing test when the corpus is missing (elsewhere its tests are skipped). */
export function requireCorpus(): void {
  it.runIf(!haveCorpus && Boolean(process.env.CI))('the public corpus is present (CI)', () => {
    throw new Error(
      `the public corpus is missing: no ${path.join(CORPUS, 'MANIFEST.tsv')}; ` +
        'put it at ../shared/corpus/public next to the repository or set SVCPLANE_CORPUS',
    );
  });
}
