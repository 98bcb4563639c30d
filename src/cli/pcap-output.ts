// Whether a pcapng file can be written as classic pcap: a pcap file has one link type and one
// timestamp resolution, so every packet must come from interfaces that agree on both. The
// capture writer finds out at the first packet that differs, mid-run; this finds out before any
// work, from block headers, interface description blocks and the interface number of each
// packet block (positioned reads of 256 KiB windows; packet data is never looked at). A 3M-packet,
// 288 MB pcapng takes about 0.16 s, against about 3 s for the conversion itself.
//
// Damage (a bad block length, a cut block) ends the scan without a verdict: the replay reports
// it as it does for any capture.

import * as fs from 'node:fs';
import {
  BLOCK_LEN, BLOCK_OVERHEAD, BT_EPB, BT_IDB, BT_PB, BT_SHB, BT_SPB, BYTE_ORDER_MAGIC, EPB_IFACE, IDB_LINKTYPE,
  PB_IFACE, SHB_BOM, TSRESOL_POW2,
} from '../capture/format.js';
import { interfaceClockOptions } from '../capture/options.js';
import { linkTypeName } from '../capture/linktypes.js';

/** Bytes per positioned read: many small blocks per read, few wasted bytes around a large one. */
const WINDOW = 256 * 1024;
/** Longest interface description block read whole (its options hold if_tsresol). */
const IDB_MAX = 64 * 1024;

interface Iface {
  linkType: number;
  /** if_tsresol: 10^-n s, or 2^-n s with the top bit set. */
  tsresol: number;
  /** Timestamp units per second (what makes two resolutions the same). */
  units: bigint;
}

/**
 * Why `capture` (a pcapng file) cannot be written as pcap, or undefined when it can (or when the
 * file is not a readable pcapng file: the replay says what is wrong with it).
 */
export function pcapOutputProblem(capture: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(capture, 'r');
  } catch {
    return undefined;
  }
  try {
    return scan(fd, capture);
  } finally {
    fs.closeSync(fd);
  }
}

function scan(fd: number, name: string): string | undefined {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(WINDOW);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  /** The window holds file bytes [winStart, winEnd) at buf[0..). */
  let winStart = 0;
  let winEnd = 0;
  let pos = 0;
  let le = true;
  let ifaces: Iface[] = [];
  let packet = 0;
  let first: { iface: Iface; id: number; packet: number } | undefined;
  for (;;) {
    // The block header (type, length, and the first body word: an EPB's interface) in the window.
    let at = pos - winStart;
    if (at < 0 || pos + 12 > winEnd) {
      if (pos + 12 > size) return undefined;
      winStart = pos;
      winEnd = pos + fill(fd, buf, pos, 12);
      if (winEnd < pos + 12) return undefined;
      at = 0;
    }
    const type = dv.getUint32(at, true); // an SHB's type reads the same both ways
    if (type === BT_SHB) {
      const bom = dv.getUint32(at + SHB_BOM, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(at + SHB_BOM, false) === BYTE_ORDER_MAGIC) le = false;
      else return undefined;
      ifaces = [];
    } else if (pos === 0) {
      return undefined; // not pcapng
    }
    const len = dv.getUint32(at + BLOCK_LEN, le);
    if (len < BLOCK_OVERHEAD || len % 4 !== 0 || pos + len > size) return undefined;
    const t = type === BT_SHB ? BT_SHB : le ? type : dv.getUint32(at, false);
    if (t === BT_IDB) {
      if (len > IDB_MAX) return undefined;
      if (pos + len > winEnd) {
        winStart = pos;
        winEnd = pos + fill(fd, buf, pos, len);
        if (winEnd < pos + len) return undefined;
        at = 0;
      }
      const { tsresol } = interfaceClockOptions(dv, at, len, le);
      ifaces.push({ linkType: dv.getUint16(at + IDB_LINKTYPE, le), tsresol, units: unitsPerSecond(tsresol) });
    } else if (t === BT_EPB || t === BT_PB || t === BT_SPB) {
      packet++;
      const id = t === BT_EPB ? dv.getUint32(at + EPB_IFACE, le) : t === BT_PB ? dv.getUint16(at + PB_IFACE, le) : 0;
      const iface = ifaces[id];
      if (iface === undefined) return undefined; // damage: the replay names it
      if (first === undefined) first = { iface, id, packet };
      else if (iface === first.iface) {
        // the common case: the same interface
      } else if (iface.linkType !== first.iface.linkType) {
        return `packet ${packet} of ${name} has link type ${linkName(iface.linkType)} on interface ${id}, ` +
          `packet ${first.packet} ${linkName(first.iface.linkType)} on interface ${first.id}: a pcap file has one link type; write pcapng instead`;
      } else if (iface.units !== first.iface.units) {
        return `packet ${packet} of ${name} has timestamp resolution ${resolutionName(iface.tsresol)} on interface ${id}, ` +
          `packet ${first.packet} ${resolutionName(first.iface.tsresol)} on interface ${first.id}: a pcap file has one resolution; write pcapng instead`;
      }
    }
    pos += len;
  }
}

/** Reads from file offset `at` into buf (a whole window, at least `need` bytes unless the file ends); returns the bytes read. */
function fill(fd: number, buf: Buffer, at: number, need: number): number {
  let got = 0;
  while (got < need) {
    const n = fs.readSync(fd, buf, got, buf.length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function linkName(linkType: number): string {
  return `${linkTypeName(linkType)} (${linkType})`;
}

function unitsPerSecond(tsresol: number): bigint {
  const exp = BigInt(tsresol & 0x7f);
  return (tsresol & TSRESOL_POW2) !== 0 ? 1n << exp : 10n ** exp;
}

function resolutionName(tsresol: number): string {
  return (tsresol & TSRESOL_POW2) !== 0 ? `2^-${tsresol & 0x7f} s` : `10^-${tsresol} s`;
}
