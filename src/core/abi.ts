// The host's view of the shared ABI: the same constants the core compiles
// (assembly/abi/), plus names for verdicts and drop reasons.
export * from '../../assembly/abi/layout.js';
export * from '../../assembly/abi/reasons.js';
export * from '../../assembly/abi/tables.js';
export * from '../../assembly/abi/scratch.js';
export * from '../../assembly/abi/explain.js';
import { REASON_NAMES } from '../../assembly/abi/reasons.js';

/** Verdict names as --trace and --report print them, indexed by VERDICT_*. */
export const VERDICT_NAMES = ['passed', 'translated', 'reversed', 'dropped', 'rejected'] as const;
export type VerdictName = (typeof VERDICT_NAMES)[number];

export function reasonName(reason: number): string {
  return REASON_NAMES[reason] ?? `REASON_${reason}`;
}
