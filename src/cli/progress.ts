// A progress bar on standard error while a capture is read (only on a terminal).

import cliProgress from 'cli-progress';

export function startProgress(): { update: (read: number, size: number | undefined, packets: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({
    format: 'replaying [{bar}] {percentage}% | {packets} packets',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(read, size, packets) {
      const total = size ?? Math.max(read, 1);
      if (!started) { bar.start(total, 0, { packets: 0 }); started = true; }
      bar.setTotal(total);
      bar.update(read, { packets });
    },
    stop() { if (started) bar.stop(); },
  };
}
