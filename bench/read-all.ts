// Reading a whole capture with svcplane's reader, nothing else: the one place the replay
// benchmark's "read" task calls. The reader is the replay's own: chunks read straight into
// linear memory and the core walking the records (src/replay/chunks.ts, read-only mode:
// records framed, timestamps normalised, lengths counted; no packet program, no output).

import { Core } from '../src/core/core.js';
import { ChunkWalk, runSync } from '../src/replay/chunks.js';
import { FdInput } from '../src/replay/fd-io.js';
import '../src/core/wasm-file.js'; // Cores from build/core.wasm

// One small core, reused across calls (the walk needs only its buffers).
let core: Core | undefined;

/** Reads every packet of a pcap/pcapng file; returns the packet count. */
export function readAllSvcplane(path: string): number {
  core ??= new Core({ ctMax: 1024, maxServicePorts: 16, maxBackends: 16, maxFrontends: 16 });
  const walk = new ChunkWalk(core, { capture: path, input: FdInput.open(path), readOnly: true });
  try {
    runSync(walk, null);
  } finally {
    walk.close();
  }
  return walk.packets;
}
