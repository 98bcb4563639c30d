// --workers: what the writer (main thread) and the workers (thread.ts) say to each other.

import type { MessagePort } from 'node:worker_threads';
import type { ChunkWalkResult } from '../chunks.js';
import { WALK_UNITS_MAX } from '../../../assembly/abi/walk.js';
import type { CoreOptions } from '../../core/core.js';
import type { NodeConfig, SlotChange } from '../../core/tables.js';
import type { ClusterState, ServicePortState } from '../../k8s/model.js';

/**
 * What a worker is started with, before the cluster is loaded: its place and the capture. It
 * builds its core when GoMessage arrives.
 */
export interface WorkerStart {
  capture: string;
  readBytes?: number;
  self: number;
  workers: number;
  /** The writer's compiled core: the workers share its code instead of compiling their own. */
  module: WebAssembly.Module;
  /** Int32Array over a SharedArrayBuffer: CTRL_* words. */
  control: SharedArrayBuffer;
  /** The dispatcher's owner tables, OWNER_SLOTS chunks in turn (ownerSlot()). */
  owners: SharedArrayBuffer;
  /** Whether the walk takes the dispatcher's owners (else it decides them itself). */
  dispatched: boolean;
  /** Where the writer gives each chunk's output buffer back once merged (reused: no new buffer per chunk). */
  returns: MessagePort;
}

/** The writer's core, once built: each worker programs the same tables into a core of the same capacities. */
export interface GoMessage {
  t: 'go';
  /** The writer's core options, capacities resolved. */
  core: Omit<CoreOptions, 'wasm'>;
  state: ClusterState;
  node: NodeConfig;
  /** The --updates events with a time, in order, as the writer's view computed them. */
  updates: PlannedUpdate[];
  /** Clients whose connections live on worker 0 (update-plan.ts backendAddresses). */
  hairpin: string[];
}

/**
 * What one timed update programs, as Dataplane.update would: a whole state (a Node or
 * ServiceCIDR change), some Services' ports (ServiceTables.applyServices), or nothing.
 */
export type UpdateProgram = { state: ClusterState } | { ports: ServicePortState[]; services: string[] } | null;

export interface PlannedUpdate {
  /** Seconds after the first packet. */
  at: number;
  program: UpdateProgram;
}

/** What one update did on one worker: its own connections, audited. */
export interface UpdateAudit {
  /** Conntrack entries just before it. */
  entries: number;
  /** Per changed service port with live connections here (ApplyStats.changes), and its slot. */
  changes: SlotChange[];
  slots: number[];
  /** Backend ids reclaimed (ApplyStats.reclaimed). */
  reclaimed: number;
}

/** Chunks the writer has merged (a worker walks at most CHUNKS_AHEAD chunks past it). */
export const CTRL_MERGED = 0;
/** Set to 1 by the writer: stop after the current chunk and report. */
export const CTRL_STOP = 1;
/** Chunks whose owner tables are published (chunk k in slot k % OWNER_SLOTS). */
export const CTRL_PUBLISHED = 2;
/** Set to 1 by the writer once the dispatcher has walked the whole capture (no chunk will follow). */
export const CTRL_DISPATCHED = 3;
export const CTRL_WORDS = 4;
export const CHUNKS_AHEAD = 2;
/**
 * Owner tables in the ring: a worker walks at most CHUNKS_AHEAD chunks past the last merged one,
 * so the writer publishes that far ahead and never overwrites a table a worker has yet to take.
 */
export const OWNER_SLOTS = CHUNKS_AHEAD + 1;
/** u32 words of one slot: the unit count, then the owner of each unit. */
export const OWNER_SLOT_WORDS = 1 + WALK_UNITS_MAX;

/** The slot of chunk `seq` in the owners ring: [count word, owners]. */
export function ownerSlot(owners: SharedArrayBuffer, seq: number): Uint32Array {
  return new Uint32Array(owners, (seq % OWNER_SLOTS) * OWNER_SLOT_WORDS * 4, OWNER_SLOT_WORDS);
}

/** One chunk of one worker: its output stream and its unit table (abi/walk.ts). */
export interface ChunkMessage {
  t: 'chunk';
  seq: number;
  stream: Uint8Array;
  units: Uint32Array;
  /** SHARD_* bits so far. */
  flags: number;
  /** Connections opened with a masqueraded source so far. */
  masqueraded: number;
  /** The updates applied in this chunk, in order. */
  updates: UpdateAudit[];
  bytesRead: number;
  fileSize: number | undefined;
}

/** The core's counters of one worker, raw, for the writer to sum. */
export interface WorkerCounters {
  verdicts: BigUint64Array;
  reasons: BigUint64Array;
  backends: BigUint64Array;
  entries: number;
  peak: number;
  evicted: number;
  fastPath: number;
  masqueraded: number;
}

/** A failure, as plain data (Error objects lose their class and fields across threads). */
export interface FailureData {
  capture?: { file: string; offset: number; reason: string };
  message: string;
  code?: string;
  syscall?: string;
  errno?: number;
  path?: string;
  /** It was the programming of an update that failed. */
  update?: boolean;
}

export interface StartMessage {
  t: 'start';
  format: 'pcap' | 'pcapng';
  header: Uint8Array | null;
  /** False when the unit table did not fit: the run needs one worker. */
  sharded: boolean;
}

export interface EndMessage {
  t: 'end';
  result: ChunkWalkResult;
  trailer: Uint8Array | null;
  counters: WorkerCounters;
  /** The walk stopped here (damage in the capture, a read error); the chunk before it was sent. */
  failure?: FailureData;
}

export type WorkerMessage = StartMessage | ChunkMessage | EndMessage | { t: 'fail'; failure: FailureData };
