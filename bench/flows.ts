// Flows and packet streams for the NAT benchmarks.
//
// A stream is a run of frames laid out batch by batch exactly as they are
// copied into the core's input region: batch k is one contiguous byte range,
// and slot i of every batch sits at the same offset with the same length, so
// one descriptor table (written once) serves every batch. Frame lengths run
// 64..128 bytes by slot position.

import { BATCH_MAX_PACKETS } from '../src/core/abi.js';
import type { BenchCluster } from './cluster.js';
import { rng, shuffle } from './cluster.js';
import { writeTcp, writeTcp6, writeUdp, type TcpSpec } from './packets.js';

export const BATCH = BATCH_MAX_PACKETS;

/** Frame length of each batch slot (64..128 bytes; IPv6 frames 20 more). */
export const SLOT_LEN = new Uint32Array(BATCH);
/** Byte offset of each batch slot in the input region (8-byte aligned). */
export const SLOT_OFF = new Uint32Array(BATCH);
/** Bytes of one full batch. */
export let BATCH_BYTES = 0;
/** Address family of the frames streams are built of. */
export let FAMILY: 4 | 6 = 4;

function layout(): void {
  let o = 0;
  for (let i = 0; i < BATCH; i++) {
    SLOT_LEN[i] = 64 + ((i * 37) % 65) + (FAMILY === 6 ? 20 : 0);
    SLOT_OFF[i] = o;
    o += (SLOT_LEN[i] + 7) & ~7;
  }
  BATCH_BYTES = o;
}
layout();

/** Builds IPv6 frames from now on (before any stream or rig is made). */
export function useIpv6(): void { FAMILY = 6; layout(); }
/** Transport of the frames streams are built of. */
export let UDP = false;
/** Builds UDP frames (IPv4) from now on. */
export function useUdp(): void { UDP = true; }

/** N client connections, each to one Service; backends are learned from the core's first pass. */
export interface Flows {
  n: number;
  /** Client address (host-order u32) and port. */
  client: Uint32Array;
  cport: Uint16Array;
  /** Service index into cluster.services. */
  svc: Uint16Array;
  /** Backend address and port, once known. */
  beAddr: Uint32Array;
  bePort: Uint16Array;
}

/** Clients of the measured flows. */
export const CLIENTS = 0x64400000; // 100.64.0.0
/** Clients of flows used only to warm a table up (disjoint from CLIENTS for up to 4M flows). */
export const WARM_CLIENTS = 0x647f0000; // 100.127.0.0

/**
 * N distinct flows: client `clients` + f/16, port 32768 + (f%16)·1024 + a
 * random 10-bit part (so the 5-tuples are distinct by construction), to a
 * random Service.
 */
export function makeFlows(n: number, cluster: BenchCluster, seed = 1, clients = CLIENTS): Flows {
  const next = rng(seed);
  const f: Flows = {
    n, client: new Uint32Array(n), cport: new Uint16Array(n), svc: new Uint16Array(n),
    beAddr: new Uint32Array(n), bePort: new Uint16Array(n),
  };
  for (let i = 0; i < n; i++) {
    f.client[i] = (clients + (i >>> 4)) >>> 0;
    f.cport[i] = 32768 + ((i & 15) << 10) + (next() & 1023);
    f.svc[i] = next() % cluster.services.length;
  }
  return f;
}

export class Stream {
  readonly bytes: Uint8Array;
  /** One view per batch, ending after its last frame: what one Uint8Array.set copies. */
  readonly views: Uint8Array[] = [];
  /** Packets in each batch. */
  readonly counts: number[] = [];

  constructor(readonly packets: number) {
    const batches = Math.ceil(packets / BATCH);
    this.bytes = new Uint8Array(batches * BATCH_BYTES);
    for (let k = 0; k < batches; k++) {
      const n = Math.min(BATCH, packets - k * BATCH);
      this.counts.push(n);
      this.views.push(this.bytes.subarray(k * BATCH_BYTES, k * BATCH_BYTES + SLOT_OFF[n - 1] + SLOT_LEN[n - 1]));
    }
  }

  frameOff(p: number): number { return Math.floor(p / BATCH) * BATCH_BYTES + SLOT_OFF[p % BATCH]; }
  frameLen(p: number): number { return SLOT_LEN[p % BATCH]; }
}

/** A stream of `packets` frames; `spec(p, out)` fills the fields of frame p. */
export function buildStream(packets: number, spec: (p: number, out: TcpSpec) => void): Stream {
  const s = new Stream(packets);
  const t: TcpSpec = { src: 0, dst: 0, sport: 0, dport: 0, flags: 0 };
  for (let p = 0; p < packets; p++) {
    spec(p, t);
    (FAMILY === 6 ? writeTcp6 : UDP ? writeUdp : writeTcp)(s.bytes, s.frameOff(p), s.frameLen(p), t);
  }
  return s;
}

/** Flow indexes for `packets` packets: each round a fresh shuffle of all N flows. */
export function visitOrder(n: number, packets: number, seed: number): Uint32Array {
  const next = rng(seed);
  const order = new Uint32Array(packets);
  const round = new Uint32Array(n);
  for (let p = 0; p < packets; p += n) {
    for (let i = 0; i < n; i++) round[i] = i;
    shuffle(round, next);
    order.set(round.subarray(0, Math.min(n, packets - p)), p);
  }
  return order;
}
