/**
 * Damage in the capture file itself (not inside a packet): bad magic, unsupported version, a
 * block or record cut short, inconsistent block lengths, an oversized record, a reference to an
 * undefined interface. The CLI maps it to exit status 2.
 *
 * The message reads `<file>: byte <offset>: <what is wrong>`.
 */
export class CaptureFormatError extends Error {
  /** The file as named to the user ('<stdin>' for standard input). */
  readonly file: string;
  /** Byte offset in the file of the damaged block or record (or field, when stated). */
  readonly offset: number;
  /** What is wrong, without the file and offset. */
  readonly reason: string;
  /** Stable code for programs. */
  readonly code = 'ECAPTUREFORMAT';
  /** Exit status the CLI uses for bad input. */
  readonly exitCode = 2;

  constructor(file: string, offset: number, reason: string) {
    super(`${file}: byte ${offset}: ${reason}`);
    this.name = 'CaptureFormatError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** How a path is named in messages. */
export function displayName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}
