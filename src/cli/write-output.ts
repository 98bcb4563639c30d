// Whole outputs of a subcommand (a JSON report, an HTML page): to a file, complete or not at all,
// or to standard output; a failed write names the file ('-' for standard output).

import { OutputFile } from '../capture/output-file.js';
import { writeFdFully } from '../capture/io.js';

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
