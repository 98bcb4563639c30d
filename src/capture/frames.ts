// tshark's frame numbers. tshark numbers every record it shows: the packets, and also pcapng
// custom blocks and systemd journal export blocks, which svcplane passes through as non-packet
// blocks. Counting those among the blocks before each packet gives the packet's frame number, so
// a --trace line can be found in Wireshark.

import { BLOCK_LEN, BT_CB_COPY, BT_CB_NOCOPY, BT_SHB, BT_SJE, BYTE_ORDER_MAGIC, SHB_BOM } from './format.js';
import type { CaptureBatch } from './batch.js';

export class TsharkFrames {
  private frame = 0;
  private littleEndian = true;

  /** The frame number (from 1) of packet i of the batch; call it for every packet, in file order. */
  next(batch: CaptureBatch, i: number): number {
    const start = batch.preOff[i];
    const end = start + batch.preLen[i];
    if (end > start) {
      const dv = new DataView(batch.meta.buffer, batch.meta.byteOffset, batch.meta.byteLength);
      for (let q = start; q + 12 <= end;) {
        let type = dv.getUint32(q, this.littleEndian);
        if (dv.getUint32(q, true) === BT_SHB) {
          // A section header is the same either way round; its byte-order magic sets the section's order.
          this.littleEndian = dv.getUint32(q + SHB_BOM, false) !== BYTE_ORDER_MAGIC;
          type = BT_SHB;
        }
        const len = dv.getUint32(q + BLOCK_LEN, this.littleEndian);
        if (len < 12) break;
        if (type === BT_CB_COPY || type === BT_CB_NOCOPY || type === BT_SJE) this.frame++;
        q += len;
      }
    }
    return ++this.frame;
  }
}
