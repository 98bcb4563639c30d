// Packets from every socket go to the core in batches: what the sockets produced in one turn of
// the event loop is one Dataplane.process() call, and each packet's answer goes back to whoever
// sent it, in order (so the packets of one connection reach the core in the order they happened).

import type { Dataplane, PacketOut } from '../../src/node.js';
import { LINK_TYPE } from './packet.js';

export type Answer = (r: PacketOut) => void;

export class PacketBatcher {
  private packets: { data: Uint8Array; wireLength: number; linkType: number; time: number }[] = [];
  private answers: Answer[] = [];
  private scheduled = false;
  /** Packets and batches sent to the core so far. */
  packetCount = 0;
  batchCount = 0;

  /** `clock`: seconds, the time the core's conntrack and affinity timeouts follow. */
  constructor(private readonly dp: Dataplane, private readonly clock: () => number) {}

  /** Queues one packet; `answer` runs with the core's verdict when the batch has run. */
  send(p: { data: Uint8Array; wireLength: number }, answer: Answer): void {
    this.packets.push({ data: p.data, wireLength: p.wireLength, linkType: LINK_TYPE, time: this.clock() });
    this.answers.push(answer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Runs what is queued now (also called before a watch event is applied, so it falls between batches). */
  flush(): void {
    this.scheduled = false;
    if (this.packets.length === 0) return;
    const packets = this.packets, answers = this.answers;
    this.packets = [];
    this.answers = [];
    const out = this.dp.process(packets);
    this.packetCount += packets.length;
    this.batchCount++;
    for (let i = 0; i < out.length; i++) answers[i]!(out[i]!);
  }
}
