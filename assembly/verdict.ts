// What a stage returns when it has not decided the packet's fate: the next
// stage runs. Every other value a stage returns is a VERDICT_* of abi/layout.ts.

export const CONTINUE: u32 = 0xffffffff;

/**
 * The one-packet run's state besides the flow key and the conntrack result:
 * the packet's time, and what its stages decided besides the verdict (the
 * descriptor's OUT words). A struct at a fixed address the run passes on.
 */
@unmanaged export class PacketState {
  /** Capture time, ns. */
  now: u64;
  /** Service-port slot + 1 (0: none). */
  service: u32;
  /** Backend id + 1 (0: none). */
  backend: u32;
  /** Drop reason (REASON_NONE unless dropped or rejected). */
  reason: u32;

  // @ts-ignore: decorator
  @inline reset(): void { this.service = 0; this.backend = 0; this.reason = 0; }
}
export const PACKET_STATE_BYTES: i32 = 24;
