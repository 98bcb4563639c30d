// The record-walk ABI shared by the core (assembly/capture/walk.ts) and the host
// (src/replay/chunks.ts). Compiled by both: plain numeric constants only.
//
// The host reads a capture in large chunks into one of WALK_BUFFERS buffers in linear memory;
// walkRun() walks the records of the chunk, runs the packets through the per-packet program in
// batches, and compacts the output (kept records rewritten in place, dropped ones left out,
// rejects right after the packet that caused them) towards the chunk's start. The host writes
// [WS_OUT_START, WS_OUT) with one write. Everything the core cannot decide alone (a pcapng
// block that is not a packet, the end of the chunk, an update falling due, damage) stops the
// walk with a status, with WS_POS at the record concerned.

/** Chunk buffers (one being walked, one being read ahead, one being written behind). */
export const WALK_BUFFERS = 3;
/** Room before a chunk's first record: a reject written there after a flush always fits. */
export const WALK_HEADROOM = 4096;
/** Room for the incomplete record carried over from the previous chunk (larger ones are moved). */
export const WALK_TAILROOM = 65536;
/** Bytes asked for per read. */
export const WALK_READ_BYTES = 4 * 1024 * 1024;
/** One buffer: headroom, carried tail, a read, and room for the largest block a read may cut. */
export const WALK_BUFFER_BYTES = 4096 + 65536 + 4 * 1024 * 1024 + 16 * 1024 * 1024 + 65536;
/** Bytes the walk keeps per descriptor of what its record needs at emit (capture/walk.ts REC_*). */
export const WALK_RECORD_BYTES = 28;
/** Interfaces a pcapng section may define. */
export const WALK_IFACES_MAX = 4096;

// Walk state: u32 words at walkStatePtr() (u64 values as low word, high word).
/** Why walkRun returned (WALK_*). */
export const WS_STATUS = 0;
/** P_* detail of WALK_BAD, or of WALK_NEED_MORE should the file end here. */
export const WS_PROBLEM = 1;
/** Up to three numbers for the problem's message. */
export const WS_ARG0 = 2;
export const WS_ARG1 = 3;
export const WS_ARG2 = 4;
/** WALK_PCAP or WALK_PCAPNG. */
export const WS_FORMAT = 5;
/** 1: the file (pcap) or current section (pcapng) is little-endian. */
export const WS_LE = 6;
/** pcap: 1 for nanosecond timestamps. */
export const WS_PCAP_NSEC = 7;
/** pcap: the file's link type (flag bits cleared). */
export const WS_PCAP_LINK = 8;
/** Address of the next record to walk. */
export const WS_POS = 9;
/** Address just past the chunk's valid bytes. */
export const WS_END = 10;
/** Address where the next output byte goes. */
export const WS_OUT = 11;
/** Address of the first output byte not yet written by the host. */
export const WS_OUT_START = 12;
/** pcapng: interfaces defined in the current section. */
export const WS_IFACES = 13;
/** pcapng: 1 once a section header block has been seen. */
export const WS_IN_SECTION = 14;
/** WALK_MODE_PROCESS (the packet program and output) or WALK_MODE_READ (count records only). */
export const WS_MODE = 15;
/** Stop (WALK_STOP_TIME) before the first packet at or after this time (ns, u64); all ones: never. */
export const WS_STOP_LO = 16;
export const WS_STOP_HI = 17;
/** The first packet's time, once WS_HAVE_FIRST is 1. */
export const WS_HAVE_FIRST = 18;
export const WS_FIRST_SEC = 19;
export const WS_FIRST_NSEC = 20;
/** Time of the record the walk stopped at (WALK_STOP_TIME). */
export const WS_CUR_SEC = 21;
export const WS_CUR_NSEC = 22;
/** Time of the last packet walked. */
export const WS_LAST_SEC = 23;
export const WS_LAST_NSEC = 24;
/** pcapng: the latest timestamped packet's time, given to simple packet blocks. */
export const WS_SPB_SEC = 25;
export const WS_SPB_NSEC = 26;
/** Packets walked (u64). */
export const WS_PACKETS = 27;
/** Original lengths of the packets walked (u64). */
export const WS_BYTES_IN = 29;
/** Original lengths of the packets and rejects written (u64). */
export const WS_BYTES_OUT = 31;
/** Rejects written (u64). */
export const WS_GENERATED = 33;
/** Packets written, rejects included (u64). */
export const WS_WRITTEN = 35;
/** Emit resume state: next descriptor, descriptors in the batch, a reject still to write. */
export const WS_EMIT_I = 37;
export const WS_EMIT_N = 38;
export const WS_PENDING = 39;
/** --workers: this walk's worker (0..WS_SHARDS-1) and the number of workers (0 or 1: one, no units). */
export const WS_SHARD = 40;
export const WS_SHARDS = 41;
/** --workers: units recorded since the host last set it to 0 (at each new chunk). */
export const WS_UNITS = 42;
/** --workers: SHARD_* bits, what this walk saw that one worker must replay instead. */
export const WS_SHARD_FLAGS = 43;
/** --workers: 1 when the host filled the unit table with each unit's owner (the dispatcher's) before the chunk. */
export const WS_OWNERS = 44;
export const WS_WORDS = 48;

// --workers (assembly/capture/shard.ts, merge.ts). Every worker walks every record of the same
// chunks; a unit is a packet record or a pcapng block, in file order. The dispatcher (the walk
// of worker number n of n, in the writer's thread) runs no packet: it records each unit's owner
// in the unit table, which the host copies into every worker's before the chunk (WS_OWNERS), so
// that a packet's owner is decided once. For each unit a worker then records the bytes it wrote
// for it (its output stream holds them in unit order), or UNIT_FOREIGN when another worker owns
// it. The writer merges the streams unit by unit.
/** The unit is another worker's. */
export const UNIT_FOREIGN = 0xffffffff;
/** Units one chunk may hold (a buffer's bytes over the smallest record, a 12-byte block). */
export const WALK_UNITS_MAX = 1835008;
/** A fragment table that could find what the one-worker one does not: an entry displaced, time going back (capture/shard-frag.ts). */
export const SHARD_FRAGMENT = 1;
/** An affinity table that could decide unlike the one-worker one: a window that may be full, a client on two workers (capture/shard-affinity.ts). */
export const SHARD_AFFINITY = 2;
/** A frontend on the node's masquerade address kept the client's source (its port may be a masqueraded reply's). */
export const SHARD_NODE_FRONTEND = 4;
/** More units in a chunk than WALK_UNITS_MAX. */
export const SHARD_UNITS_FULL = 8;
/** The hairpin clients did not fit in memory (capture/shard-hairpin.ts). */
export const SHARD_HAIRPIN = 16;

// Interface table (pcapng), WALK_IFACE_BYTES per interface ID of the current section.
export const WALK_IFACE_BYTES = 32;
/** u32: link type (flag bits cleared). */
export const IF_LINK = 0;
/** u32: snapshot length (0: none). */
export const IF_SNAPLEN = 4;
/** u64: timestamp units per second (10^k or 2^k). */
export const IF_UNITS = 8;
/** i64: if_tsoffset, seconds added to every timestamp. */
export const IF_OFFSET = 16;

export const WALK_PCAP = 0;
export const WALK_PCAPNG = 1;
export const WALK_MODE_PROCESS = 0;
export const WALK_MODE_READ = 1;

// walkRun results (WS_STATUS).
/** The chunk ends inside a record (or exactly at its end): read more, or the file ended. */
export const WALK_NEED_MORE = 1;
/** pcapng: a block that is not a packet at WS_POS (type WS_ARG0, length WS_ARG1, little-endian WS_ARG2). */
export const WALK_BLOCK = 2;
/** The packet at WS_POS is at or after the stop time. */
export const WALK_STOP_TIME = 3;
/** Damage at WS_POS (WS_PROBLEM). */
export const WALK_BAD = 4;
/** A reject does not fit before the next record: write the output, set WS_OUT and WS_OUT_START, call again. */
export const WALK_FLUSH = 5;

// Problems. At the end of the file (WALK_NEED_MORE):
export const P_NONE = 0;
/** pcap record header cut short: ARG0 bytes present. */
export const P_EOF_PCAP_HEADER = 1;
/** pcap record cut short: caplen ARG0, ARG1 bytes present. */
export const P_EOF_PCAP_RECORD = 2;
/** pcapng block header cut short: ARG0 bytes present. */
export const P_EOF_BLOCK_HEADER = 3;
/** pcapng section header block cut short: ARG0 bytes present. */
export const P_EOF_SHB = 4;
/** pcapng block of type ARG0 and total length ARG1 cut short: ARG2 bytes present. */
export const P_EOF_BLOCK = 5;
// Damage (WALK_BAD):
/** pcap record caplen ARG0 above RECORD_MAX_BYTES. */
export const P_PCAP_CAPLEN = 10;
/** Byte-order magic ARG0 (read big-endian) is neither order. */
export const P_BOM = 11;
/** A block before the first section header block. */
export const P_NO_SHB = 12;
/** Block of type ARG0: total length ARG1 not a multiple of 4. */
export const P_LEN_ALIGN = 13;
/** Block of type ARG0: total length ARG1 below the minimum ARG2. */
export const P_LEN_MIN = 14;
/** Packet block of type ARG0: caplen ARG1 above RECORD_MAX_BYTES. */
export const P_BLOCK_CAPLEN = 15;
/** Block of type ARG0: total length ARG1 above BLOCK_MAX_BYTES. */
export const P_BLOCK_MAX = 16;
/** Block of type ARG0: total length ARG1 at the start, ARG2 at the end. */
export const P_TRAILER = 17;
/** Simple packet block in a section without interfaces. */
export const P_SPB_NO_IDB = 18;
/** Simple packet block: ARG1 bytes of data do not fit in total length ARG2. */
export const P_SPB_FIT = 19;
/** Packet block of type ARG0 refers to interface ARG1 of ARG2. */
export const P_IFACE = 20;
/** Packet block of type ARG0: caplen ARG1 does not fit in total length ARG2. */
export const P_EPB_FIT = 21;
/** Packet block of type ARG0: an option of code ARG1 and length ARG2 runs past the block. */
export const P_OPTION = 22;
