// Messages for the record walk's problem codes (assembly/abi/walk.ts), worded as the capture
// reader words the same damage (src/capture/reader.ts).

import {
  P_EOF_PCAP_HEADER, P_EOF_PCAP_RECORD, P_EOF_BLOCK_HEADER, P_EOF_SHB, P_EOF_BLOCK, P_PCAP_CAPLEN, P_BOM, P_NO_SHB,
  P_LEN_ALIGN, P_LEN_MIN, P_BLOCK_CAPLEN, P_BLOCK_MAX, P_TRAILER, P_SPB_NO_IDB, P_SPB_FIT, P_IFACE, P_EPB_FIT, P_OPTION,
} from '../../assembly/abi/walk.js';
import { RECORD_MAX_BYTES } from '../../assembly/abi/layout.js';
import { BLOCK_MAX_BYTES, PCAP_REC_LEN, SHB_MIN_LEN, blockTypeName } from '../capture/format.js';
import { optionOverrun } from '../capture/options.js';

/** What is wrong, without the file and offset. */
export function walkProblem(code: number, a: number, b: number, c: number): string {
  switch (code) {
    case P_EOF_PCAP_HEADER: return `record header cut short at end of file (${a} of ${PCAP_REC_LEN} bytes)`;
    case P_EOF_PCAP_RECORD: return `record cut short at end of file (caplen ${a}, ${b} bytes of packet data present)`;
    case P_EOF_BLOCK_HEADER: return `block header cut short at end of file (${a} of 8 bytes)`;
    case P_EOF_SHB: return `section header block cut short at end of file (${a} of ${SHB_MIN_LEN} bytes)`;
    case P_EOF_BLOCK: return `${blockTypeName(a)} cut short at end of file (total length ${b}, ${c} bytes present)`;
    case P_PCAP_CAPLEN: return `record caplen ${a} exceeds the ${RECORD_MAX_BYTES}-byte limit`;
    case P_BOM: return `bad byte-order magic 0x${a.toString(16).padStart(8, '0')} in section header block`;
    case P_NO_SHB: return 'pcapng file does not start with a section header block';
    case P_LEN_ALIGN: return `${blockTypeName(a)}: block total length ${b} is not a multiple of 4`;
    case P_LEN_MIN: return `${blockTypeName(a)}: block total length ${b} is below the minimum of ${c}`;
    case P_BLOCK_CAPLEN: return `${blockTypeName(a)}: caplen ${b} exceeds the ${RECORD_MAX_BYTES}-byte limit`;
    case P_BLOCK_MAX: return `${blockTypeName(a)}: block total length ${b} exceeds the ${BLOCK_MAX_BYTES}-byte limit`;
    case P_TRAILER: return `${blockTypeName(a)}: block total length ${b} at the start but ${c} at the end`;
    case P_SPB_NO_IDB: return `${blockTypeName(a)} but the section has no interface description block`;
    case P_SPB_FIT: return `${blockTypeName(a)}: ${b} bytes of packet data do not fit in block total length ${c}`;
    case P_IFACE: return `${blockTypeName(a)} refers to interface ${b}, but the section defines ${c} interface description block(s)`;
    case P_EPB_FIT: return `${blockTypeName(a)}: caplen ${b} does not fit in block total length ${c}`;
    case P_OPTION: return optionOverrun(a, b, c);
    default: return `damaged record (walk problem ${code})`;
  }
}
