// `svcplane whatif`: the same capture replayed through the current and a proposed state, and what
// the change would do to each connection (compare.ts). The report's shape is in docs/cli.md.

import type { DataplaneOptions } from '../dataplane.js';
import type { ClusterObjects } from '../k8s/objects.js';
import { connectionFates } from './fates.js';
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
export function whatif(o: WhatifOptions): WhatifReport {
  const { capture, current, next, lb, nextLb, replicas, problems, ...node } = o;
  const now = connectionFates(capture, { ...node, objects: current, lb });
  const proposed = connectionFates(capture, { ...node, objects: next, lb: nextLb });
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
