// One side of a what-if: the capture replayed packet by packet through a dataplane built for one
// state, and what became of each connection. A connection is known by the original-direction
// tuple of its first packet (TCP, UDP or SCTP; the text of --trace's `in`), and its fate is what
// that first packet got: a backend, or a drop or reject. Later packets of the tuple follow
// conntrack, so they change nothing; packets of no Service leave no fate.

// Files are replayed in Node: its Cores are built from build/core.wasm.
import '../core/wasm-file.js';
import { Dataplane, type DataplaneOptions } from '../dataplane.js';
import {
  BATCH_MAX_PACKETS, DESC_WORDS, D_BACKEND, D_L4_OFF, D_META, D_REASON, D_SERVICE, D_VERDICT, NO_OFFSET,
  VERDICT_DROP, VERDICT_REJECT, VERDICT_TRANSLATED, reasonName,
} from '../core/abi.js';
import { CaptureBatch } from '../capture/batch.js';
import { openCaptureReader } from '../capture/reader.js';
import { describeFlow } from '../replay/trace.js';
import { joinHostPort } from '../k8s/ip.js';

/** What a connection's first packet got from one state. */
export interface Fate {
  /** "namespace/name:port" of the service port. */
  service: string;
  /** "ip:port" of the backend; absent when the packet was dropped or rejected. */
  backend?: string;
  /** The drop or reject reason, when it was. */
  reason?: string;
}

export interface SideResult {
  /** Connection (the --trace `in` text of its first packet) → its fate. */
  fates: Map<string, Fate>;
  /** Service port → the backends of its endpoint sets (cluster and node-local, both families), sorted. */
  sets: Map<string, string[]>;
  /** Packets replayed. */
  packets: number;
}

/** IP protocols whose flows are connections here: those with ports. */
const PORT_PROTOCOLS = new Set([6, 17, 132]);

/** Called after every batch with the bytes read, the file's size (if known) and the packets so far. */
export type OnBatch = (bytesRead: number, fileSize: number | undefined, packets: number) => void;

/**
 * Replays `capture` through a dataplane built from `opts` and returns every Service connection's
 * fate. The event loop runs between batches (a progress bar, a signal).
 */
export async function connectionFates(capture: string, opts: DataplaneOptions, onBatch?: OnBatch): Promise<SideResult> {
  // Built a slice at a time: a signal during a long build ends the command.
  const dp = await Dataplane.create({ ...opts, roomForUpdates: false });
  const { core, tables } = dp;
  const fates = new Map<string, Fate>();
  const reader = openCaptureReader(capture);
  const batch = new CaptureBatch(core.input, core.desc, BATCH_MAX_PACKETS);
  let packets = 0;
  try {
    for (;;) {
      const n = reader.readBatch(batch);
      if (n === 0) break;
      // The tuples are read from the bytes as they came in: the core rewrites them in place.
      const before = core.input.slice(0, batch.bytesUsed);
      dp.run(n);
      const desc = core.desc;
      for (let i = 0; i < n; i++) {
        const d = i * DESC_WORDS;
        const verdict = desc[d + D_VERDICT];
        const slot = desc[d + D_SERVICE];
        if (slot === 0 || (verdict !== VERDICT_TRANSLATED && verdict !== VERDICT_DROP && verdict !== VERDICT_REJECT)) continue;
        if (!PORT_PROTOCOLS.has(desc[d + D_META] & 0xff) || desc[d + D_L4_OFF] === NO_OFFSET) continue;
        const key = describeFlow(before, desc, i);
        if (key === undefined || fates.has(key)) continue;
        const fate: Fate = { service: tables.slotNames[slot - 1] };
        const backend = desc[d + D_BACKEND];
        if (verdict === VERDICT_TRANSLATED && backend > 0) fate.backend = tables.backendNames[backend - 1];
        else fate.reason = reasonName(desc[d + D_REASON]);
        fates.set(key, fate);
      }
      packets += n;
      onBatch?.(reader.bytesRead, reader.fileSize, packets);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    reader.close();
  }
  return { fates, sets: endpointSets(dp), packets };
}

/** Each programmed service port's backends: what a connection can be sent to in this state. */
function endpointSets(dp: Dataplane): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (let slot = 0; slot < dp.tables.slotNames.length; slot++) {
    const sp = dp.tables.servicePort(slot);
    if (sp === undefined) continue;
    let set = sets.get(sp.key);
    if (!set) sets.set(sp.key, (set = new Set()));
    for (const b of [...sp.clusterSet, ...sp.localSet]) set.add(joinHostPort(b.ip, b.port));
  }
  return new Map([...sets].map(([k, s]) => [k, [...s].sort()]));
}
