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

/** ensure(): the bytes are there. */
export const HAVE = 1;
/** ensure(): end of file came first. */
export const AT_EOF = 0;
/** ensure(): the bytes do not fit in the batch data window above its floor. */
export const NO_ROOM = -1;

/**
 * A window over a file read in large chunks: `buf[start..end)` holds the unconsumed bytes and
 * `base` is the file offset of buf[0].
 *
 * Outside a fill the window is the reader's own buffer. During a fill it is the batch's data
 * array itself (attach/detach): records are read straight into it and each packet is moved down
 * to its aligned place with copyWithin, which needs no view object and is much cheaper per
 * packet than copying between two arrays. Packets never overtake unread bytes: a record's
 * header and padding are at least as long as the alignment a packet gains, so a packet's place
 * is always at or below its bytes, and `floor` (the next packet's place) bounds compaction.
 *
 * ensure(n) makes n contiguous bytes available at `start`. Memory stays flat: the own buffer
 * grows only for a block larger than it.
 */
export class ChunkSource {
  buf: Uint8Array;
  view: DataView;
  start = 0;
  end = 0;
  base = 0;
  /** Usable end of the window. */
  limit: number;
  /** Compaction moves bytes no lower than this (data window only). */
  floor = 0;
  /** The window is a batch's data array. */
  inData = false;
  eof = false;
  /** Bytes read from the descriptor so far. */
  bytesFromFd = 0;
  private own: Buffer;
  private ownView: DataView;
  private dataView: DataView | undefined;

  constructor(
    readonly fd: number,
    ownBytes: number,
    /** Bytes per read (unless a block needs more): bounds what is carried between batches. */
    private readonly readBytes: number,
  ) {
    this.own = Buffer.allocUnsafeSlow(ownBytes);
    this.ownView = new DataView(this.own.buffer, this.own.byteOffset, this.own.length);
    this.buf = this.own;
    this.view = this.ownView;
    this.limit = this.own.length;
  }

  /** File offset of buf[start]. */
  get position(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** HAVE, AT_EOF (fewer than n bytes left in the file) or NO_ROOM (data window too small). */
  ensure(n: number): number {
    if (this.end - this.start >= n) return HAVE;
    if (this.eof) return AT_EOF;
    if (this.start + n > this.limit) {
      if (this.inData) {
        if (this.floor < this.start) this.moveTo(this.floor);
        if (this.start + n > this.limit) return NO_ROOM;
      } else if (n > this.own.length) {
        let size = this.own.length * 2;
        while (size < n) size *= 2;
        const grown = Buffer.allocUnsafeSlow(size);
        grown.set(this.own.subarray(this.start, this.end), 0);
        this.base += this.start;
        this.end -= this.start;
        this.start = 0;
        this.own = grown;
        this.ownView = new DataView(grown.buffer, grown.byteOffset, grown.length);
        this.buf = grown;
        this.view = this.ownView;
        this.limit = grown.length;
      } else {
        this.moveTo(0);
      }
    }
    while (this.end - this.start < n) {
      const want = Math.min(this.limit - this.end, Math.max(this.readBytes, n - (this.end - this.start)));
      const got = readFd(this.fd, this.buf, this.end, want);
      if (got === 0) {
        this.eof = true;
        return AT_EOF;
      }
      this.end += got;
      this.bytesFromFd += got;
    }
    return HAVE;
  }

  /**
   * Makes `data[0..limit)` the window, moving the unconsumed bytes to its start; stays in the
   * own buffer when they would take more than half of it (tiny test batches, huge blocks).
   */
  attach(data: Uint8Array, limit: number): void {
    const pending = this.end - this.start;
    if (this.inData || pending > limit / 2) return;
    data.set(this.own.subarray(this.start, this.end), 0);
    this.base += this.start;
    this.start = 0;
    this.end = pending;
    let v = this.dataView;
    if (v === undefined || v.buffer !== data.buffer || v.byteOffset !== data.byteOffset || v.byteLength !== data.byteLength) {
      v = new DataView(data.buffer, data.byteOffset, data.byteLength);
      this.dataView = v;
    }
    this.buf = data;
    this.view = v;
    this.limit = limit;
    this.floor = 0;
    this.inData = true;
  }

  /** Back to the own buffer, carrying the unconsumed bytes (the data is the core's now). */
  detach(): void {
    if (!this.inData) return;
    const pending = this.end - this.start;
    if (pending > this.own.length) {
      this.own = Buffer.allocUnsafeSlow(pending);
      this.ownView = new DataView(this.own.buffer, this.own.byteOffset, this.own.length);
    }
    this.own.set(this.buf.subarray(this.start, this.end), 0);
    this.base += this.start;
    this.start = 0;
    this.end = pending;
    this.buf = this.own;
    this.view = this.ownView;
    this.limit = this.own.length;
    this.floor = 0;
    this.inData = false;
  }

  /** Copies len bytes at window offset `from` to data[to]. */
  copyOut(data: Uint8Array, to: number, from: number, len: number): void {
    if (this.inData) data.copyWithin(to, from, from + len);
    else this.own.copy(data, to, from, from + len);
  }

  private moveTo(to: number): void {
    this.buf.copyWithin(to, this.start, this.end);
    this.base += this.start - to;
    this.end -= this.start - to;
    this.start = to;
  }
}
