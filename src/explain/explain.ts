// `svcplane explain`: the whole capture replayed as `svcplane replay` replays it (same options,
// --updates too), every packet alone through the one-packet run, and for the packets of one
// flow what each stage decided (packet.ts).

import { replayAsync, type ReplayOptions } from '../replay/replay.js';
import type { ReplayReport } from '../replay/report.js';
import { flowTuple, type FlowTuple } from '../replay/trace.js';
import { FlowMatcher } from './flow.js';
import { EX_CT, EX_CT_REC, EXC_FOUND, EXC_RELATED } from '../core/abi.js';
import { explainPacket, type PacketExplanation } from './packet.js';

export interface ExplainOptions extends Omit<ReplayOptions, 'inspect' | 'trace' | 'write' | 'workers' | 'timeline'> {
  /** The flow (--flow); or */
  flow?: FlowTuple;
  /** the flow of this packet (--frame: tshark's frame number, from 1). */
  frame?: number;
  /** Called with the flow (--frame: once found) before its packets. */
  onFlow?: (flow: FlowTuple) => void;
  /** Called with each packet of the flow as it is explained. */
  onPacket?: (e: PacketExplanation) => void;
}

/** The capture holds no packet of the flow asked for, or no such frame (exit 3). */
export class NotInCaptureError extends Error {}

/** Thrown from the first pass of --frame once the frame is found. */
class Found {
  constructor(readonly tuple: FlowTuple | undefined) {}
}

/**
 * The flow of frame `frame`: a first replay up to it (the same decisions as the second). A packet
 * of a tracked connection (a reply, an ICMP error) stands for the connection: the tuple of the
 * packet that opened its conntrack record.
 */
async function flowOfFrame(opts: ExplainOptions, frame: number): Promise<FlowTuple> {
  const { onPacket: _, onFlow: _f, flow: __, frame: ___, ...replay } = opts;
  const opened = new Map<number, FlowTuple | undefined>();
  try {
    // The second pass says what is wrong with --updates: this one keeps quiet.
    await replayAsync({ ...replay, onProblem: undefined, inspect: (p) => {
      const rec = p.decided[EX_CT_REC]!;
      const tracked = p.decided[EX_CT] === EXC_FOUND || p.decided[EX_CT] === EXC_RELATED;
      if (p.frame === frame) throw new Found((tracked ? opened.get(rec) : undefined) ?? flowTuple(p.before, p.desc, p.i));
      if (rec !== 0 && !tracked) opened.set(rec, flowTuple(p.before, p.desc, p.i));
    } });
  } catch (e) {
    if (!(e instanceof Found)) throw e;
    if (e.tuple === undefined) throw new NotInCaptureError(`${opts.capture}: frame ${frame} is not an IP packet`);
    return e.tuple;
  }
  throw new NotInCaptureError(`${opts.capture}: no frame ${frame} (the capture has fewer packets)`);
}

/** Replays the capture and explains the flow's packets; the report is the replay's. */
export async function explainFlow(opts: ExplainOptions): Promise<{ flow: FlowTuple; packets: PacketExplanation[]; report: ReplayReport }> {
  const flow = opts.flow ?? (opts.frame !== undefined ? await flowOfFrame(opts, opts.frame) : undefined);
  if (flow === undefined) throw new TypeError('explainFlow needs flow or frame');
  opts.onFlow?.(flow);
  const matcher = new FlowMatcher(flow);
  const packets: PacketExplanation[] = [];
  const { onPacket, onFlow: _f, flow: _, frame: __, ...replay } = opts;
  const report = await replayAsync({ ...replay, inspect: (p) => {
    if (!matcher.take(flowTuple(p.before, p.desc, p.i), flowTuple(p.after, p.desc, p.i), p.decided)) return;
    const e = explainPacket(p);
    packets.push(e);
    onPacket?.(e);
  } });
  return { flow, packets, report };
}
