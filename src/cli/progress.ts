// The progress bar on standard error while a capture is replayed: percent, rate and ETA when the
// size is known (a file), bytes read and rate otherwise (a pipe). It is drawn when standard error
// is a terminal; SVCPLANE_PROGRESS=1 draws it anyway (as if on a terminal, escape sequences
// included: tests use it), SVCPLANE_PROGRESS=0 never.

import cliProgress from 'cli-progress';

export interface Progress {
  /** Bytes read so far, the file size (undefined for a pipe), packets replayed so far. */
  update(bytesRead: number, fileSize: number | undefined, packets: number): void;
  /** Takes the bar off the screen so that a message can be printed; the next update draws it again. */
  clearLine(): void;
  /** Erases the bar and shows the cursor again; safe to call more than once. */
  stop(): void;
}

/** Whether to draw a progress bar. */
export function progressWanted(quiet: boolean): boolean {
  if (quiet) return false;
  const forced = process.env.SVCPLANE_PROGRESS;
  if (forced === '1') return true;
  if (forced === '0') return false;
  return process.stderr.isTTY === true;
}

const BAR_WIDTH = 24;

export function startProgress(): Progress {
  // On a terminal cli-progress writes to it directly; forced elsewhere, through a stand-in that
  // says it is a terminal so that the bar looks and behaves the same.
  const stream = process.stderr.isTTY
    ? process.stderr
    : ({
        isTTY: true,
        columns: 100,
        write: (s: string, cb?: () => void) => process.stderr.write(s, cb),
      } as unknown as NodeJS.WriteStream);
  let line = '';
  const bar = new cliProgress.SingleBar({
    format: () => line,
    stream,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: true,
    gracefulExit: false,
  });
  /** The bar is on screen. */
  let shown = false;
  let stopped = false;
  /** Rates count from the first update (the replay's setup is not reading). */
  let t0: number | undefined;
  let read0 = 0;
  let packets0 = 0;
  return {
    update(read, size, packets) {
      if (stopped) return;
      const now = performance.now();
      if (t0 === undefined) {
        t0 = now;
        read0 = read;
        packets0 = packets;
      }
      line = progressLine(read, size, packets, (now - t0) / 1000, read0, packets0);
      if (!shown) {
        bar.start(1, 0);
        shown = true;
      } else {
        bar.update(0);
      }
    },
    clearLine() {
      // Taken off the screen (cursor shown, line cleared) and drawn again below the message at
      // the next update: the bar remembers the cursor position it started at.
      if (!shown) return;
      bar.stop();
      shown = false;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (shown) bar.stop();
      shown = false;
    },
  };
}

/**
 * One line of progress: `replaying [bar] 45% | 120.5 MB/s | 1.88M packets/s | ETA 0:04`, or for a
 * pipe `replaying | 1.21 GB read | 9.43M packets | 120.5 MB/s | 1.88M packets/s`. Rates are over
 * the `seconds` since `read0` bytes and `packets0` packets.
 */
export function progressLine(read: number, size: number | undefined, packets: number, seconds: number, read0 = 0, packets0 = 0): string {
  const rate = seconds > 0 ? (read - read0) / seconds : 0;
  const pps = seconds > 0 ? (packets - packets0) / seconds : 0;
  const rates = `${(rate / 1e6).toFixed(1)} MB/s | ${count(pps)} packets/s`;
  if (size === undefined || size <= 0) {
    return `replaying | ${bytes(read)} read | ${count(packets)} packets | ${rates}`;
  }
  const frac = Math.min(1, read / size);
  const filled = Math.round(frac * BAR_WIDTH);
  const bar = '\u2588'.repeat(filled) + '\u2591'.repeat(BAR_WIDTH - filled);
  const eta = rate > 0 && seconds >= 0.2 ? clock((size - read) / rate) : '--:--';
  return `replaying [${bar}] ${Math.floor(frac * 100)}% | ${rates} | ETA ${eta}`;
}

function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return `${Math.round(n)}`;
}

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function clock(s: number): string {
  const t = Math.max(0, Math.ceil(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
