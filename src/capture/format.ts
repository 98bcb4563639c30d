// On-disk layouts of the two capture formats: named offsets next to their diagrams.
// Only src/capture/ reads or writes raw capture bytes; everything else goes through the batch.
//
// Byte order: a pcap file is in the byte order of its magic number; a pcapng section is in the
// byte order of its Section Header Block's byte-order magic. Every multi-byte field below is read
// and written in that order, through a DataView with an explicit `littleEndian` flag.

// ---------------------------------------------------------------------------------------------
// pcap (libpcap savefile)
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  0 |                          Magic Number                         |
//  4 |          Major Version        |         Minor Version         |
//  8 |                        Reserved1 (thiszone)                   |
// 12 |                        Reserved2 (sigfigs)                    |
// 16 |                            SnapLen                            |
// 20 | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Record header, followed by caplen bytes of packet data:
//  0 | Timestamp (seconds) | 4 | Timestamp (micro- or nanoseconds) |
//  8 | Captured length     | 12 | Original length                  |
// ---------------------------------------------------------------------------------------------

/** Microsecond pcap magic, as read in the file's own byte order. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Nanosecond pcap magic. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Byte-swapped forms (as read big-endian from a little-endian file, and vice versa). */
export const PCAP_MAGIC_USEC_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NSEC_SWAPPED = 0x4d3cb2a1;

export const PCAP_HDR_LEN = 24;
export const PCAP_HDR_MAGIC = 0;
export const PCAP_HDR_VERSION_MAJOR = 4;
export const PCAP_HDR_VERSION_MINOR = 6;
export const PCAP_HDR_SNAPLEN = 16;
export const PCAP_HDR_LINKTYPE = 20;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

export const PCAP_REC_LEN = 16;
export const PCAP_REC_TS_SEC = 0;
export const PCAP_REC_TS_FRAC = 4;
export const PCAP_REC_CAPLEN = 8;
export const PCAP_REC_ORIGLEN = 12;

/** The link type proper: the low 16 bits of the header's LinkType field (libpcap's LT_LINKTYPE). */
export const LINKTYPE_MASK = 0xffff;
/** "FCS length present" flag of the LinkType field; the length (in 16-bit words) is in bits 28-31. */
export const LINKTYPE_FCS_PRESENT = 0x04000000;
export const LINKTYPE_FCS_SHIFT = 28;

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
export const ISB_IFACE = 8;
export const ISB_MIN_LEN = 24;

// Options: | code (16) | length (16) | value, padded to 32 bits |
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_FCSLEN = 13;
export const OPT_IF_TSOFFSET = 14;

/** Largest non-packet block accepted (packet blocks are limited by RECORD_MAX_BYTES). */
export const BLOCK_MAX_BYTES = 16 * 1024 * 1024;

/** Default if_tsresol: 10^-6. */
export const TSRESOL_DEFAULT = 6;
/** if_tsresol flag: the exponent is a power of 2. */
export const TSRESOL_POW2 = 0x80;

/** Largest snaplen libpcap writes for "no limit"; used when a pcap header needs one. */
export const MAX_SNAPLEN = 262144;

/** Round up to a multiple of 4 (pcapng padding). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Short human name of a pcapng block type, for messages. */
export function blockTypeName(t: number): string {
  switch (t >>> 0) {
    case BT_SHB: return 'section header block';
    case BT_IDB: return 'interface description block';
    case BT_PB: return 'packet block';
    case BT_SPB: return 'simple packet block';
    case BT_NRB: return 'name resolution block';
    case BT_ISB: return 'interface statistics block';
    case BT_EPB: return 'enhanced packet block';
    case BT_SJE: return 'systemd journal export block';
    case BT_DSB: return 'decryption secrets block';
    case BT_CB_COPY:
    case BT_CB_NOCOPY: return 'custom block';
    default: return `block of type 0x${(t >>> 0).toString(16).padStart(8, '0')}`;
  }
}
