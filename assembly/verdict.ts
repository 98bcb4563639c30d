// What a stage returns when it has not decided the packet's fate: the next
// stage runs. Every other value a stage returns is a VERDICT_* of abi/layout.ts.

export const CONTINUE: u32 = 0xffffffff;

/**
 * What the one-packet run returns when the backend stage needs a Maglev
 * table not built yet: the scheduler builds it (lb/control.ts) and runs
 * the packet again. Never a packet's verdict.
 */
export const NEEDS_TABLE: u32 = 0xfffffffe;
