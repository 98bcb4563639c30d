// The one-packet run's account of its decisions (abi/explain.ts), for `svcplane explain`: the
// stages of datapath.ts note what they decided here as they decide it; nothing reads it back.

import { EXPLAIN_WORDS, EX_CT_REC, EX_CT_STATE_AFTER, EX_CT_EXPIRES } from './abi/explain';
import { CT_STATE, CT_EXPIRES } from './conntrack/table';
import { stateOf } from './conntrack/states';

/** The words, at a fixed address (explainPtr()). */
export const explainWords: usize = memory.data(EXPLAIN_WORDS * 4, 16);

// @ts-ignore: decorator
@inline export function note(word: i32, value: u32): void { store<u32>(explainWords + (<usize>word << 2), value); }

// @ts-ignore: decorator
@inline export function noteReset(): void { memory.fill(explainWords, 0, EXPLAIN_WORDS * 4); }

/** The state and expiry of the record the packet left (EX_CT_REC), once its stages are done. */
// @ts-ignore: decorator
@inline export function noteAfter(): void {
  let rec = <usize>load<u32>(explainWords + (<usize>EX_CT_REC << 2));
  if (rec == 0) return;
  note(EX_CT_STATE_AFTER, stateOf(<u32>load<u16>(rec + CT_STATE)));
  note(EX_CT_EXPIRES, <u32>(load<u64>(rec + CT_EXPIRES) / 1_000_000_000));
}
