// On-disk layouts of the two capture formats: named offsets next to their diagrams.
// Only src/capture/ and the core's record walker read or write raw capture bytes. The record and
// block layouts live in assembly/abi/capture.ts (shared with the core) and are re-exported here.
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
// Records and pcapng blocks: assembly/abi/capture.ts.
// ---------------------------------------------------------------------------------------------

import {
  BT_CB_COPY, BT_CB_NOCOPY, BT_DSB, BT_EPB, BT_IDB, BT_ISB, BT_NRB, BT_PB, BT_SHB, BT_SJE, BT_SPB,
} from '../../assembly/abi/capture.js';

export * from '../../assembly/abi/capture.js';

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

/** The link type proper: the low 16 bits of the header's LinkType field (libpcap's LT_LINKTYPE). */
export const LINKTYPE_MASK = 0xffff;
/** "FCS length present" flag of the LinkType field; the length (in 16-bit words) is in bits 28-31. */
export const LINKTYPE_FCS_PRESENT = 0x04000000;
export const LINKTYPE_FCS_SHIFT = 28;


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
