// Reading a whole capture with svcplane's reader, nothing else: the one place the replay
// benchmark's "read" task calls. The reader is the replay's own: chunks read straight into
// linear memory and the core walking the records (src/replay/chunks.ts, read-only mode:
// records framed, timestamps normalised, lengths counted; no packet program, no output).

import { Core } from '../src/core/core.js';
import { ChunkWalk, runSync } from '../src/replay/chunks.js';

// One small core, reused across calls (the walk needs only its buffers).
let core: Core | undefined;

/** Reads every packet of a pcap/pcapng file; returns the packet count. */
export function readAllSvcplane(path: string): number {
  core ??= new Core({ ctMax: 1024, maxServicePorts: 16, maxBackends: 16, maxFrontends: 16 });
  const walk = new ChunkWalk(core, { capture: path, outFd: -1, readOnly: true });
  try {
    runSync(walk, -1);
  } finally {
    walk.close();
  }
  return walk.packets;
}
