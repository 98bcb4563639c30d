// Node: a chunked replay's input and output over file descriptors. Regular files are read and
// written in the thread pool (overlapped with the core); pipes, terminals and standard input
// and output synchronously.

import * as fs from 'node:fs';
import { readFd, writeFdFully } from '../capture/io.js';
import type { ChunkInput, ChunkOutput } from './chunks.js';

/** A live pipe with nothing to read: asked again after this long (ms), doubling up to LIVE_POLL_MAX_MS. */
const LIVE_POLL_MS = 2;
const LIVE_POLL_MAX_MS = 50;

/** The size of a regular file; undefined for pipes, terminals and devices. */
function fileSize(fd: number): number | undefined {
  try {
    const st = fs.fstatSync(fd);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** A capture file ('-': standard input, left open). */
export class FdInput implements ChunkInput {
  readonly size: number | undefined;
  readonly readAsync?: ChunkInput['readAsync'];
  private closed = false;

  /**
   * `live`: a capture still being written (a pipe from tcpdump, with a watch changing the
   * cluster): a pipe too is read in the thread pool, each chunk being what has arrived, so the
   * event loop (and the updates it brings) runs while the next packets are awaited.
   */
  constructor(private readonly fd: number, private readonly owned: boolean, live = false) {
    this.size = fileSize(fd);
    if (this.size !== undefined || live) {
      this.readAsync = (memory, at, len) => new Promise((resolve, reject) => {
        const attempt = (wait: number): void => {
          fs.read(this.fd, memory(), at, len, null, (err, n) => {
            // A pipe opened non-blocking with nothing to read yet: ask again a little later.
            if (err?.code === 'EAGAIN') setTimeout(() => attempt(Math.min(wait * 2, LIVE_POLL_MAX_MS)), wait);
            else if (err) reject(err);
            else resolve(n);
          });
        };
        attempt(LIVE_POLL_MS);
      });
    }
  }

  static open(path: string, opts: { live?: boolean } = {}): FdInput {
    return path === '-' ? new FdInput(0, false, opts.live) : new FdInput(fs.openSync(path, 'r'), true, opts.live);
  }

  readSync(memory: Uint8Array, at: number, len: number): number {
    return readFd(this.fd, memory, at, len);
  }

  close(): void {
    if (!this.owned || this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** An output descriptor: a regular file is written in the thread pool, anything else synchronously. */
export class FdOutput implements ChunkOutput {
  readonly writeAsync?: ChunkOutput['writeAsync'];

  constructor(private readonly fd: number) {
    if (fileSize(fd) !== undefined) this.writeAsync = (bytes) => writeAll(fd, bytes());
  }

  writeSync(bytes: Uint8Array): void {
    writeFdFully(this.fd, bytes, 0, bytes.length);
  }
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (at: number, left: number): void => {
      fs.write(fd, bytes, at, left, null, (err, n) => {
        if (err) reject(err);
        else if (n < left) step(at + n, left - n);
        else resolve();
      });
    };
    step(0, bytes.length);
  });
}
