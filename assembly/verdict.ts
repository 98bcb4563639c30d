// What a stage returns when it has not decided the packet's fate: the next
// stage runs. Every other value a stage returns is a VERDICT_* of abi/layout.ts.

export const CONTINUE: u32 = 0xffffffff;

