// Node: cluster objects from files, directories and standard input (loadManifests does the rest).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extensionOf, loadManifests, ManifestError, type LoadOptions, type LoadResult, type Problem } from './load.js';
import { pushAll } from './text.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function cannotRead(file: string, e: unknown): ManifestError {
  return new ManifestError([{ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
}

function expandPaths(paths: string[], problems: Problem[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw cannotRead(p, e);
    }
    if (st.isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => MANIFEST_EXTENSIONS.has(extensionOf(n)))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const inDir = names.map((n) => join(p, n)).filter((f) => statSync(f).isFile());
      if (inDir.length === 0) {
        problems.push({ file: p, message: 'directory holds no *.yaml, *.yml or *.json files', severity: 'warning' });
      }
      pushAll(files, inDir);
    } else files.push(p);
  }
  return files;
}

/**
 * Loads Services, EndpointSlices, Endpoints, Nodes and ServiceCIDRs from
 * files and directories (a directory: its *.yaml, *.yml and *.json files,
 * sorted by name, not recursive; "-": standard input), applied in order:
 * a later version of an object replaces an earlier one, DELETED events
 * remove. Objects of other kinds are counted in `ignoredKinds` and skipped.
 *
 * Throws ManifestError on a syntax error or an unreadable path, and with
 * `strict` on any error-severity problem. Returns a new ClusterObjects.
 */
export function loadClusterObjects(paths: string[], opts: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const files = expandPaths(paths, problems);
  return loadManifests(files, (file) => {
    try {
      return file === '-' ? readFileSync(0) : readFileSync(file);
    } catch (e) {
      throw cannotRead(file, e);
    }
  }, opts, problems);
}
