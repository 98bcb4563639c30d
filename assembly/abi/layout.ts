// The batch ABI shared by the core (AssemblyScript) and the host (TypeScript).
// This file is compiled by both: keep it to plain numeric constants.
//
// A batch is N packets laid out in the input region, and one descriptor of
// DESC_WORDS little-endian u32 words per packet in the descriptor region.
// The host fills the IN words, calls processBatch(N) once, and reads the OUT
// words. Packet bytes are rewritten in place (NAT never changes a length);
// packets the core generates (rejects) go to the extra region.

/** Most packets in one batch. */
export const BATCH_MAX_PACKETS = 4096;
/** Bytes of packet data in one batch; also the largest record accepted. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
/** Largest single captured record the host will load (bytes). */
export const RECORD_MAX_BYTES = 1024 * 1024;
/** Room for one generated packet (a reject: L2 + at most 1280 bytes of IPv6). */
export const EXTRA_SLOT_BYTES = 1536;

/** u32 words per descriptor. */
export const DESC_WORDS = 16;

// IN words (written by the host)
/** Byte offset of the packet in the input region. */
export const D_OFFSET = 0;
/** Captured length (bytes present). */
export const D_CAPLEN = 1;
/** Original length on the wire (>= caplen when snaplen cut the record). */
export const D_WIRELEN = 2;
/** LINKTYPE_* of the packet (see LINK_* below), upper FCS bits cleared. */
export const D_LINKTYPE = 3;
/** Timestamp: whole seconds (unsigned, capture clock). */
export const D_TS_SEC = 4;
/** Timestamp: nanoseconds within the second (0..999999999). */
export const D_TS_NSEC = 5;

// OUT words (written by the core)
/** One of VERDICT_*. */
export const D_VERDICT = 6;
/** One of the drop reasons for DROP and REJECT, else 0. */
export const D_REASON = 7;
/** Service port slot + 1, or 0 when no Service was involved. */
export const D_SERVICE = 8;
/** Backend id + 1, or 0. */
export const D_BACKEND = 9;
/** Offset of a generated packet (reject) in the extra region, when D_EXTRA_LEN > 0. */
export const D_EXTRA_OFF = 10;
/** Length of the generated packet, 0 when none. */
export const D_EXTRA_LEN = 11;
/** Offset of the IP header from the packet start, or 0xffffffff when not IP. */
export const D_L3_OFF = 12;
/** Offset of the L4 header from the packet start, or 0xffffffff when absent (fragment, unknown). */
export const D_L4_OFF = 13;
/** (ip version << 8) | IP protocol number of the (innermost parsed) transport; 0 when not IP. */
export const D_META = 14;
/** Reserved, written 0. */
export const D_RESERVED = 15;

/** Marker for "no offset". */
export const NO_OFFSET = 0xffffffff;

// Verdicts
export const VERDICT_PASS = 0;
export const VERDICT_TRANSLATED = 1;
export const VERDICT_REVERSED = 2;
export const VERDICT_DROP = 3;
export const VERDICT_REJECT = 4;

// Link types the core parses (LINKTYPE_* numbers from the pcap registry).
export const LINK_NULL = 0;
export const LINK_EN10MB = 1;
export const LINK_RAW = 101;
export const LINK_LOOP = 108;
export const LINK_LINUX_SLL = 113;
export const LINK_IPV4 = 228;
export const LINK_IPV6 = 229;
export const LINK_LINUX_SLL2 = 276;
