// On-disk layouts of the capture records and blocks the core walks (assembly/capture/walk.ts)
// and the host reads and writes (src/capture/): named offsets next to their diagrams. Compiled
// by both sides: plain numeric constants only.
//
// Byte order: a pcap file is in the byte order of its magic number; a pcapng section is in the
// byte order of its Section Header Block's byte-order magic; every multi-byte field is read and
// written in that order.

// pcap record header, followed by caplen bytes of packet data:
//  0 | Timestamp (seconds) | 4 | Timestamp (micro- or nanoseconds) |
//  8 | Captured length     | 12 | Original length                  |

export const PCAP_REC_LEN = 16;
export const PCAP_REC_TS_SEC = 0;
export const PCAP_REC_TS_FRAC = 4;
export const PCAP_REC_CAPLEN = 8;
export const PCAP_REC_ORIGLEN = 12;

// ---------------------------------------------------------------------------------------------
// pcapng: every block is
//
//  0 |                          Block Type                           |
//  4 |                      Block Total Length                       |
//  8 /                          Block Body                           /
//    |                      Block Total Length                       |
//
// with Block Total Length a multiple of 4 covering the whole block.
// ---------------------------------------------------------------------------------------------

export const BLOCK_TYPE = 0;
export const BLOCK_LEN = 4;
export const BLOCK_BODY = 8;
/** Header (type + length) plus trailing length. */
export const BLOCK_OVERHEAD = 12;

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002; // obsolete Packet Block
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_SJE = 0x00000009; // systemd Journal Export Block
export const BT_DSB = 0x0000000a;
export const BT_CB_COPY = 0x00000bad; // Custom Block that may be copied to a new file
export const BT_CB_NOCOPY = 0x40000bad; // Custom Block that must not be copied

// Section Header Block
//  8 |                      Byte-Order Magic                         |
// 12 |          Major Version        |         Minor Version         |
// 16 |                 Section Length (64 bits, -1 = unknown)        |
// 24 /                      Options (variable)                       /
export const SHB_BOM = 8;
export const SHB_VERSION_MAJOR = 12;
export const SHB_VERSION_MINOR = 14;
export const SHB_SECTION_LEN = 16;
export const SHB_OPTIONS = 24;
export const SHB_MIN_LEN = 28;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** The byte-order magic of a little-endian section, read big-endian. */
export const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

// Interface Description Block
//  8 |           LinkType            |           Reserved            |
// 12 |                            SnapLen                            |
// 16 /                      Options (variable)                       /
export const IDB_LINKTYPE = 8;
export const IDB_SNAPLEN = 12;
export const IDB_OPTIONS = 16;
export const IDB_MIN_LEN = 20;

// Enhanced Packet Block (and the obsolete Packet Block, whose Interface ID is 16 bits followed by
// a 16-bit drops count)
//  8 |                         Interface ID                          |
// 12 |                        Timestamp (High)                       |
// 16 |                        Timestamp (Low)                        |
// 20 |                    Captured Packet Length                     |
// 24 |                    Original Packet Length                     |
// 28 /            Packet Data, padded to 32 bits; then Options       /
export const EPB_IFACE = 8;
export const PB_IFACE = 8; // u16
export const PB_DROPS = 10; // u16
export const EPB_TS_HIGH = 12;
export const EPB_TS_LOW = 16;
export const EPB_CAPLEN = 20;
export const EPB_ORIGLEN = 24;
export const EPB_DATA = 28;
export const EPB_MIN_LEN = 32;

// Simple Packet Block
//  8 |                    Original Packet Length                     |
// 12 /            Packet Data, padded to 32 bits (no options)        /
export const SPB_ORIGLEN = 8;
export const SPB_DATA = 12;
export const SPB_MIN_LEN = 16;

// Interface Statistics Block
//  8 |                         Interface ID                          |
// 12 |                        Timestamp (High)                       |
// 16 |                        Timestamp (Low)                        |
// 20 /                      Options (variable)                       /
export const ISB_IFACE = 8;
export const ISB_OPTIONS = 20;
export const ISB_MIN_LEN = 24;

// Name Resolution Block
//  8 /  Records: | type (16) | length (16) | value, padded to 32 bits |, ended by type 0 /
//    /                      Options (variable)                       /
export const NRB_RECORDS = 8;
export const NRB_END = 0;
export const NRB_IPV4 = 1;
export const NRB_IPV6 = 2;

// Decryption Secrets Block
//  8 |                         Secrets Type                          |
// 12 |                        Secrets Length                         |
// 16 /       Secrets Data, padded to 32 bits; then Options           /
export const DSB_LENGTH = 12;
export const DSB_DATA = 16;
export const DSB_MIN_LEN = 20;

// Options: | code (16) | length (16) | value, padded to 32 bits |, each within its block; after
// opt_endofopt (code 0), if present, nothing more is read.
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_FCSLEN = 13;
export const OPT_IF_TSOFFSET = 14;

/** Largest non-packet block accepted (packet blocks are limited by RECORD_MAX_BYTES). */
export const BLOCK_MAX_BYTES = 16 * 1024 * 1024;
