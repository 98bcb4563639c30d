import * as fs from 'node:fs';

// Synchronous file-descriptor I/O that also works on pipes and terminals (standard input and
// output), which Node may have opened non-blocking: EAGAIN is retried after a short sleep.

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function isEagain(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'EAGAIN';
}

/** Reads into buf[off..off+len); returns the bytes read, 0 at end of file. */
export function readFd(fd: number, buf: Uint8Array, off: number, len: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, off, len, null);
    } catch (e) {
      if (isEagain(e)) {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      if ((e as NodeJS.ErrnoException).code === 'EOF') return 0; // Windows pipes
      throw e;
    }
  }
}

/** Writes all of buf[off..off+len). */
export function writeFdFully(fd: number, buf: Uint8Array, off: number, len: number): void {
  while (len > 0) {
    let n: number;
    try {
      n = fs.writeSync(fd, buf, off, len);
    } catch (e) {
      if (isEagain(e)) {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      throw e;
    }
    off += n;
    len -= n;
  }
}

/**
 * A reusable window over a file read in large chunks. `buf[start..end)` holds unconsumed bytes;
 * `base` is the file offset of buf[0]. ensure(n) makes n contiguous bytes available at `start`,
 * moving the remainder to the front and growing the buffer only for a block larger than it, so
 * memory stays flat whatever the file size.
 */
export class ChunkSource {
  buf: Buffer;
  view: DataView;
  start = 0;
  end = 0;
  base = 0;
  /** Bytes read from the descriptor so far. */
  bytesFromFd = 0;
  eof = false;

  constructor(
    readonly fd: number,
    chunkBytes: number,
  ) {
    this.buf = Buffer.allocUnsafeSlow(chunkBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** File offset of buf[start]. */
  get position(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** True when n bytes are available at `start`; false at end of file with fewer. */
  ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.eof) return false;
    if (n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < n) size *= 2;
      const grown = Buffer.allocUnsafeSlow(size);
      this.buf.copy(grown, 0, this.start, this.end);
      this.buf = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
      this.compacted();
    } else if (this.start + n > this.buf.length) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.compacted();
    }
    while (this.end - this.start < n) {
      const got = readFd(this.fd, this.buf, this.end, this.buf.length - this.end);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
      this.bytesFromFd += got;
    }
    return true;
  }

  private compacted(): void {
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
  }
}
