// A subcommand's outputs: refused when one is an input or another output; whole outputs (a JSON
// report, an HTML page) written to a file, complete or not at all, or to standard output; a failed
// write names the file ('-' for standard output).

import { realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OutputFile } from '../capture/output-file.js';
import { writeFdFully } from '../capture/io.js';
import { UsageError } from './usage-error.js';

/**
 * Refuses an output ([option, path]; '-' and absent ones skipped) that is the same file as an input
 * ([what it is, path]), or as another output: opening it would destroy the input, or two writers
 * would share one file. Throws UsageError.
 */
export function checkOutputs(inputs: readonly [string, string][], outputs: readonly [string, unknown][]): void {
  const seen: [string, string, string][] = [];
  for (const [option, out] of outputs) {
    if (typeof out !== 'string' || out === '-') continue;
    const st = statOrUndefined(out);
    if (st !== undefined && !st.isFile()) continue; // /dev/null and the like: written directly, may be shared
    if (st !== undefined) {
      for (const [kind, input] of inputs) {
        const ist = statOrUndefined(input);
        if (ist?.isFile() && ist.dev === st.dev && ist.ino === st.ino) {
          throw new UsageError(`${out}: is the same file as ${kind} ${input}; refusing to overwrite it`);
        }
      }
    }
    // Existing files by device and inode; new ones by their directory's real path and name.
    const key = st !== undefined ? `${st.dev}:${st.ino}` : join(realOrSelf(dirname(out)), basename(out));
    const twin = seen.find(([k]) => k === key);
    if (twin) throw new UsageError(`${out}: is the same file as the ${twin[1]} output ${twin[2]}; refusing to write it twice`);
    seen.push([key, option, out]);
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function realOrSelf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Writes all of `text` to standard output (errors name it '-'). */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  try {
    writeFdFully(1, bytes, 0, bytes.length);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.path === undefined) err.path = '-';
    throw e;
  }
}

/** Writes a whole output file through OutputFile (in place only when complete). */
export function writeOutput(file: string, text: string): void {
  const out = OutputFile.open(file);
  try {
    const bytes = Buffer.from(text);
    writeFdFully(out.fd, bytes, 0, bytes.length);
  } catch (e) {
    out.abort();
    const err = e as NodeJS.ErrnoException;
    if (err.path === undefined) err.path = file;
    throw e;
  }
  out.commit();
}
