// `svcplane whatif`: the same capture replayed through the current and a proposed state, and what
// the change would do to each connection (compare.ts). The report's shape is in docs/cli.md.

import type { DataplaneOptions } from '../dataplane.js';
import type { ClusterObjects } from '../k8s/objects.js';
import { connectionFates, type OnBatch } from './fates.js';
import { compareSides, totalsOf, type ServiceComparison, type Totals } from './compare.js';
import type { ReplicaEffect } from './replicas.js';

export type Lb = 'maglev' | 'random';

export interface WhatifOptions extends Omit<DataplaneOptions, 'objects' | 'state' | 'lb'> {
  capture: string;
  current: ClusterObjects;
  /** The proposed state (--next-replicas already applied: replicas.ts). */
  next: ClusterObjects;
  lb: Lb;
  nextLb: Lb;
  /** What --next-replicas did, for the report. */
  replicas?: ReplicaEffect[];
  problems?: string[];
  /** Progress over both replays: bytes of the two passes read, twice the file's size, packets. */
  progress?: OnBatch;
}

export interface WhatifReport {
  capture: { file: string; packets: number };
  current: { lb: Lb };
  next: { lb: Lb; replicas: ReplicaEffect[] };
  totals: Totals;
  services: ServiceComparison[];
  problems: string[];
}

/** Replays the capture through both states (one after the other: one core at a time) and compares. */
export async function whatif(o: WhatifOptions): Promise<WhatifReport> {
  const { capture, current, next, lb, nextLb, replicas, problems, progress, ...node } = o;
  const twice = (size: number | undefined) => (size === undefined ? undefined : 2 * size);
  const now = await connectionFates(capture, { ...node, objects: current, lb },
    progress && ((read, size, packets) => progress(read, twice(size), packets)));
  const proposed = await connectionFates(capture, { ...node, objects: next, lb: nextLb },
    progress && ((read, size, packets) => progress((size ?? 0) + read, twice(size), now.packets + packets)));
  const services = compareSides(now, proposed);
  return {
    capture: { file: capture, packets: now.packets },
    current: { lb },
    next: { lb: nextLb, replicas: replicas ?? [] },
    totals: totalsOf(services),
    services,
    problems: problems ?? [],
  };
}
