// The two NAT implementations the benchmarks drive, behind one shape: a
// buffer a batch is copied into, a descriptor table in the core's layout,
// and one call per batch.

import { seedFromText, type Core } from '../src/core/core.js';
import type { NodeConfig } from '../src/core/tables.js';
import { Dataplane, writeDescriptor } from '../src/dataplane.js';
import { DESC_WORDS } from '../src/core/abi.js';
import type { BenchCluster } from './cluster.js';
import { BATCH, BATCH_BYTES, SLOT_LEN, SLOT_OFF } from './flows.js';
import { JsNat } from './peer/js-nat.js';
import '../src/core/wasm-file.js'; // Cores from build/core.wasm

/** Maglev table size of every endpoint set (the core's default). */
export const MAGLEV_M = 16381;
export const HASH_SEED = 'svcplane';
/** Capture clock of every packet (seconds): far from any timeout. */
export const TS_SEC = 1000;

export interface Rig {
  /** Where a batch is copied before processing. */
  input: Uint8Array;
  desc: Uint32Array;
  process(n: number): void;
  /** Descriptors first..first+n-1 only. */
  processRange(first: number, n: number): void;
}

/** Descriptor IN words for every batch slot; the core only writes OUT words, so this is done once. */
export function writeDescriptors(desc: Uint32Array): void {
  for (let i = 0; i < BATCH; i++) writeDescriptor(desc, i, SLOT_OFF[i], SLOT_LEN[i], { time: TS_SEC });
}

export interface CoreRig extends Rig { dp: Dataplane; core: Core }

/** A dataplane with conntrack capacity `ctMax`, programmed with the cluster (and a node's addresses and CIDRs). */
export function coreRig(cluster: BenchCluster, ctMax: number, node?: NodeConfig): CoreRig {
  const dp = new Dataplane({
    ctMax, maxServicePorts: 128, maxBackends: 2048, maxFrontends: 1024, maglevSize: MAGLEV_M, hashSeed: HASH_SEED, ...node, state: cluster.state,
  });
  const core = dp.core;
  core.refresh();
  writeDescriptors(core.desc);
  return { dp, core, input: core.input, desc: core.desc, process: (n) => dp.run(n), processRange: (f, n) => dp.runRange(f, n) };
}

export interface PeerRig extends Rig { peer: JsNat }

/** The TypeScript peer with the same cluster and capacity, over its own buffers. */
export function peerRig(cluster: BenchCluster, ctMax: number): PeerRig {
  const peer = new JsNat(cluster.services, { maglevSize: MAGLEV_M, seed: seedFromText(HASH_SEED), ctMax });
  const input = new Uint8Array(BATCH_BYTES);
  const desc = new Uint32Array(BATCH * DESC_WORDS);
  writeDescriptors(desc);
  return { peer, input, desc, process: (n) => peer.process(input, desc, n), processRange: (f, n) => peer.process(input, desc, n, f) };
}
