// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), as SCTP uses it
// (RFC 9260 appendix B). Table-driven, built once on first use.

const POLY: u32 = 0x82f63b78;
let table: usize = 0;

function buildTable(): void {
  table = heap.alloc(256 * 4);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
}

/** Called at init so the per-packet path never allocates the table. */
export function crc32cInit(): void { if (table == 0) buildTable(); }

/** CRC32c of `len` bytes at `p`, with the 4 bytes at `skip` counted as zero. */
export function crc32c(p: usize, len: usize, skip: usize): u32 {
  let c: u32 = 0xffffffff;
  for (let i: usize = 0; i < len; i++) {
    let b: u32 = (i >= skip && i < skip + 4) ? 0 : <u32>load<u8>(p + i);
    c = load<u32>(table + (<usize>((c ^ b) & 0xff) << 2)) ^ (c >>> 8);
  }
  return ~c;
}
