// What the JavaScript reader and writer and the chunk walk share about file headers: why a file's
// magic is refused, and the section header block svcplane writes.

import {
  BLOCK_LEN, BT_SHB, BYTE_ORDER_MAGIC, OPT_SHB_USERAPPL, pad4, SHB_BOM, SHB_OPTIONS, SHB_SECTION_LEN, SHB_VERSION_MAJOR,
  SHB_VERSION_MINOR,
} from './format.js';

/** shb_userappl of the sections svcplane writes. */
const USERAPPL = 'svcplane';

/** Why a file's first four bytes are not a capture magic we read. */
export function badMagicReason(magic: number): string {
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (magic >>> 16 === 0x1f8b) return `not a pcap or pcapng file (magic ${hex}: gzip-compressed; decompress it first)`;
  if (magic === 0xa1b2cd34 || magic === 0x34cdb2a1) return `unsupported modified-pcap (Kuznetzov) format (magic ${hex})`;
  return `not a pcap or pcapng file (magic ${hex})`;
}

/** A little-endian SHB, version 1.0, section length unknown, shb_userappl "svcplane". */
export function sectionHeaderBlock(): Uint8Array {
  const appl = new TextEncoder().encode(USERAPPL);
  const total = SHB_OPTIONS + 4 + pad4(appl.length) + 4 + 4;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, BT_SHB, true);
  v.setUint32(BLOCK_LEN, total, true);
  v.setUint32(SHB_BOM, BYTE_ORDER_MAGIC, true);
  v.setUint16(SHB_VERSION_MAJOR, 1, true);
  v.setUint16(SHB_VERSION_MINOR, 0, true);
  v.setInt32(SHB_SECTION_LEN, -1, true);
  v.setInt32(SHB_SECTION_LEN + 4, -1, true);
  let q = SHB_OPTIONS;
  v.setUint16(q, OPT_SHB_USERAPPL, true);
  v.setUint16(q + 2, appl.length, true);
  b.set(appl, q + 4);
  q += 4 + pad4(appl.length);
  v.setUint32(q, 0, true); // opt_endofopt
  v.setUint32(q + 4, total, true);
  return b;
}
