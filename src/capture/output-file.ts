// Output files written under a temporary name next to the target and renamed into place when
// complete: a failed or interrupted run never leaves a partial file under the user's name, and a
// file already there survives it untouched. Targets that exist and are not regular files
// (/dev/null, FIFOs, terminals) are written directly. Standard output ('-') is the caller's.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Outputs neither committed nor aborted yet: abortOpenOutputs() discards them. */
const openOutputs = new Set<OutputFile>();
let tempCount = 0;

export class OutputFile {
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(
    /** The name as given, for messages. */
    readonly path: string,
    /** Where the bytes go: the temporary file, or the target itself when written directly. */
    readonly fd: number,
    /** The final name (symlinks followed) and the temporary one; undefined when written directly. */
    private readonly target: string,
    private readonly temp: string | undefined,
  ) {
    openOutputs.add(this);
  }

  /** Opens `file` for writing. Errors name `file`, never the temporary name. */
  static open(file: string): OutputFile {
    const target = followLinks(file);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw openError(file, path.dirname(target), e as NodeJS.ErrnoException, 'it cannot be looked up');
    }
    if (st !== undefined && !st.isFile()) return new OutputFile(file, fs.openSync(file, 'w'), target, undefined);
    // Replacing a file the user may not write would bypass its permissions.
    if (st !== undefined) {
      try {
        fs.accessSync(target, fs.constants.W_OK);
      } catch (e) {
        throw openError(file, path.dirname(target), e as NodeJS.ErrnoException, 'the file is not writable');
      }
    }
    const dir = path.dirname(target);
    // The base name is shortened so that the temporary name stays within NAME_MAX.
    const temp = path.join(dir, `.${path.basename(target).slice(0, 200)}.svcplane-${process.pid}-${tempCount++}.tmp`);
    let fd: number;
    try {
      fd = fs.openSync(temp, 'wx', 0o666);
    } catch (e) {
      throw openError(file, dir, e as NodeJS.ErrnoException);
    }
    if (st !== undefined) fs.fchmodSync(fd, st.mode & 0o7777); // a replaced file keeps its mode
    return new OutputFile(file, fd, target, temp);
  }

  /** Closes the file and renames it into place. Throws (and removes the temporary file) on failure. */
  commit(): void {
    if (this.state === 'committed') return;
    if (this.state === 'aborted') throw new Error(`${this.path}: output was discarded`);
    this.state = 'committed';
    openOutputs.delete(this);
    try {
      fs.closeSync(this.fd);
      if (this.temp !== undefined) fs.renameSync(this.temp, this.target);
    } catch (e) {
      if (this.temp !== undefined) fs.rmSync(this.temp, { force: true });
      throw e;
    }
  }

  /** Closes the file and removes the temporary one. Does nothing once committed or aborted. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    openOutputs.delete(this);
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already unusable; the temporary file is removed all the same.
    }
    if (this.temp !== undefined) fs.rmSync(this.temp, { force: true });
  }
}

/** Discards every output still open: for exit and signal handlers. */
export function abortOpenOutputs(): void {
  for (const f of [...openOutputs]) f.abort();
}

/** The name a symlink chain ends at, so that the rename replaces the target and keeps the link. */
function followLinks(file: string): string {
  let p = path.resolve(file);
  for (let i = 0; i < 40; i++) {
    let link: string;
    try {
      link = fs.readlinkSync(p);
    } catch {
      break; // not a symlink, or missing
    }
    p = path.resolve(path.dirname(p), link);
  }
  return p;
}

/** `dir` exists and is a directory (a file system such as /proc may still refuse new files in it). */
function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** An error about opening an output, worded about the name given (never the temporary one). */
function openError(file: string, dir: string, e: NodeJS.ErrnoException, denied = `directory ${dir} is not writable`): NodeJS.ErrnoException {
  const why =
    e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? `${denied} (${e.code})`
    : (e.code === 'ENOENT' || e.code === 'ENOTDIR') && isDirectory(dir) ? `no file can be created in directory ${dir} (${e.code})`
    : e.code === 'ENOENT' || e.code === 'ENOTDIR' ? `no such directory ${dir} (${e.code})`
    : `${e.code ?? e.message}`;
  const err: NodeJS.ErrnoException = new Error(`${file}: cannot write: ${why}`);
  err.code = e.code;
  return err;
}
