// Reading a whole capture with svcplane's reader, nothing else: the one place the replay
// benchmark's "read" task calls, so it can be switched to a faster reader here alone.

import { BATCH_MAX_BYTES, BATCH_MAX_PACKETS, DESC_WORDS } from '../assembly/abi/layout.js';
import { CaptureBatch } from '../src/capture/batch.js';
import { openCaptureReader } from '../src/capture/reader.js';

// One batch shaped like the WASM regions the replay pipeline reads into, reused across calls.
let batch: CaptureBatch | undefined;

/** Reads every packet of a pcap/pcapng file in batches; returns the packet count. */
export function readAllSvcplane(path: string): number {
  batch ??= new CaptureBatch(new Uint8Array(BATCH_MAX_BYTES), new Uint32Array(BATCH_MAX_PACKETS * DESC_WORDS));
  const reader = openCaptureReader(path);
  let packets = 0;
  try {
    for (let n; (n = reader.readBatch(batch)) > 0; ) packets += n;
  } finally {
    reader.close();
  }
  return packets;
}
