// pcapng options (and Name Resolution records) must lie within their block: svcplane copies
// section headers, interface descriptions, packet blocks' options, statistics, name resolution
// and decryption secrets blocks to its output as they are, so one whose option runs past the
// block would make the output unreadable (tshark: "Not enough data to handle option of
// length ..."). Both readers reject such a block, at its file offset, with the same words: the
// JavaScript reader (reader.ts) and the chunked replay (src/replay/chunks.ts for the blocks the
// host handles; the core's record walker for packet blocks, assembly/capture/walk.ts, reporting
// P_OPTION, worded by src/replay/walk-problems.ts through optionOverrun below).
//
// Options are walked as Wireshark does: each option's value, padded to 32 bits, must fit in what
// is left of the block; opt_endofopt ends the walk (what follows it is not read). Option values
// are not checked otherwise.

import {
  BT_DSB, BT_EPB, BT_IDB, BT_ISB, BT_NRB, BT_PB, BT_SHB, DSB_DATA, DSB_LENGTH, DSB_MIN_LEN, EPB_CAPLEN, EPB_DATA,
  IDB_OPTIONS, ISB_OPTIONS, NRB_END, NRB_IPV4, NRB_IPV6, NRB_RECORDS, OPT_ENDOFOPT, OPT_IF_TSOFFSET, OPT_IF_TSRESOL,
  SHB_OPTIONS, TSRESOL_DEFAULT, blockTypeName, pad4,
} from './format.js';

const COMMON: Record<number, string> = { 0: 'opt_endofopt', 1: 'opt_comment', 2988: 'opt_custom', 2989: 'opt_custom', 19372: 'opt_custom', 19373: 'opt_custom' };
const NAMES: Record<number, Record<number, string>> = {
  [BT_SHB]: { 2: 'shb_hardware', 3: 'shb_os', 4: 'shb_userappl' },
  [BT_IDB]: {
    2: 'if_name', 3: 'if_description', 4: 'if_IPv4addr', 5: 'if_IPv6addr', 6: 'if_MACaddr', 7: 'if_EUIaddr', 8: 'if_speed',
    9: 'if_tsresol', 10: 'if_tzone', 11: 'if_filter', 12: 'if_os', 13: 'if_fcslen', 14: 'if_tsoffset', 15: 'if_hardware',
    16: 'if_txspeed', 17: 'if_rxspeed', 18: 'if_iana_tzname',
  },
  [BT_EPB]: { 2: 'epb_flags', 3: 'epb_hash', 4: 'epb_dropcount', 5: 'epb_packetid', 6: 'epb_queue', 7: 'epb_verdict', 8: 'epb_processid_threadid' },
  [BT_PB]: { 2: 'pack_flags', 3: 'pack_hash' },
  [BT_ISB]: {
    2: 'isb_starttime', 3: 'isb_endtime', 4: 'isb_ifrecv', 5: 'isb_ifdrop', 6: 'isb_filteraccept', 7: 'isb_osdrop', 8: 'isb_usrdeliv',
  },
  [BT_NRB]: { 2: 'ns_dnsname', 3: 'ns_dnsIP4addr', 4: 'ns_dnsIP6addr' },
};

/** "option if_name (code 2)", or "option code 300" for a code without a name in that block type. */
function optionName(type: number, code: number): string {
  const name = NAMES[type >>> 0]?.[code] ?? COMMON[code];
  return name ? `option ${name} (code ${code})` : `option code ${code}`;
}

/** The message for an option of a block of `type` whose length overruns the block. */
export function optionOverrun(type: number, code: number, length: number): string {
  return `${blockTypeName(type)}: ${optionName(type, code)} length ${length} overruns the block`;
}

/**
 * Why the options from `q` to `end` (the block's trailer) of a block of `type` do not fit, or
 * null. `dv` reads the bytes, in the section's byte order `le`.
 */
export function optionsProblem(dv: DataView, q: number, end: number, type: number, le: boolean): string | null {
  // Lengths are multiples of 4 from the block's start: what is left is 0 or room for a header.
  while (end - q >= 4) {
    const code = dv.getUint16(q, le);
    const olen = dv.getUint16(q + 2, le);
    if (pad4(olen) > end - q - 4) return optionOverrun(type, code, olen);
    if (code === OPT_ENDOFOPT) break;
    q += 4 + pad4(olen);
  }
  return null;
}

/**
 * Why the block at `p` (type `type`, total length `len`, whole and with a matching trailer,
 * section byte order `le`) has options or records that do not fit in it, or null. Packet blocks
 * must have passed their caplen check. Block types whose layout svcplane does not know (custom
 * blocks, systemd journal exports, others) are not looked into.
 */
export function blockOptionsProblem(dv: DataView, p: number, type: number, len: number, le: boolean): string | null {
  const end = p + len - 4;
  switch (type >>> 0) {
    case BT_SHB: return optionsProblem(dv, p + SHB_OPTIONS, end, type, le);
    case BT_IDB: return optionsProblem(dv, p + IDB_OPTIONS, end, type, le);
    case BT_EPB:
    case BT_PB: return optionsProblem(dv, p + EPB_DATA + pad4(dv.getUint32(p + EPB_CAPLEN, le)), end, type, le);
    case BT_ISB: return optionsProblem(dv, p + ISB_OPTIONS, end, type, le);
    case BT_NRB: {
      // Records, ended by an end-of-records record (at least that one), then options.
      let q = p + NRB_RECORDS;
      if (end - q < 4) return `${blockTypeName(type)}: block total length ${len} is below the minimum of ${NRB_RECORDS + 8}`;
      while (end - q >= 4) {
        const rtype = dv.getUint16(q, le);
        const rlen = dv.getUint16(q + 2, le);
        if (pad4(rlen) > end - q - 4) return `${blockTypeName(type)}: record (type ${rtype}) length ${rlen} overruns the block`;
        if (rtype === NRB_IPV4 && rlen < 4) return `${blockTypeName(type)}: IPv4 record length ${rlen} is below 4`;
        if (rtype === NRB_IPV6 && rlen < 16) return `${blockTypeName(type)}: IPv6 record length ${rlen} is below 16`;
        // Options follow the end record's header (Wireshark reads them from there).
        if (rtype === NRB_END) return optionsProblem(dv, q + 4, end, type, le);
        q += 4 + pad4(rlen);
      }
      return null;
    }
    case BT_DSB: {
      if (len < DSB_MIN_LEN) return `${blockTypeName(type)}: block total length ${len} is below the minimum of ${DSB_MIN_LEN}`;
      const slen = dv.getUint32(p + DSB_LENGTH, le);
      // (What is left is a multiple of 4: a length within it fits with its padding.)
      if (slen > end - (p + DSB_DATA)) return `${blockTypeName(type)}: secrets length ${slen} overruns the block`;
      return optionsProblem(dv, p + DSB_DATA + pad4(slen), end, type, le);
    }
    default: return null;
  }
}

/** An interface's clock options: if_tsresol (the raw byte) and if_tsoffset (seconds). */
export interface InterfaceClockOptions {
  tsresol: number;
  tsoffset: number;
}

/**
 * The clock options of the IDB at `p` (`len` bytes): defaults when absent; unknown options are
 * ignored, like tshark. Walks as blockOptionsProblem does (an overrunning option ends the walk).
 */
export function interfaceClockOptions(dv: DataView, p: number, len: number, le: boolean): InterfaceClockOptions {
  const out = { tsresol: TSRESOL_DEFAULT, tsoffset: 0 };
  const end = p + len - 4;
  let q = p + IDB_OPTIONS;
  while (q + 4 <= end) {
    const code = dv.getUint16(q, le);
    const olen = dv.getUint16(q + 2, le);
    if (code === OPT_ENDOFOPT || q + 4 + olen > end) break;
    if (code === OPT_IF_TSRESOL && olen >= 1) out.tsresol = dv.getUint8(q + 4);
    else if (code === OPT_IF_TSOFFSET && olen >= 8) {
      out.tsoffset = le
        ? dv.getInt32(q + 8, true) * 4294967296 + dv.getUint32(q + 4, true)
        : dv.getInt32(q + 4, false) * 4294967296 + dv.getUint32(q + 8, false);
    }
    q += 4 + pad4(olen);
  }
  return out;
}
