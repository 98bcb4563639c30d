// The record walker: a chunk of a pcap or pcapng file in linear memory → descriptors → the
// per-packet program → output records compacted in place. The contract (state words, statuses,
// problems, buffers) is assembly/abi/walk.ts; the host side is src/replay/chunks.ts.

import {
  BATCH_MAX_PACKETS, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, D_VERDICT,
  D_EXTRA_OFF, D_EXTRA_LEN, VERDICT_DROP, VERDICT_REJECT, RECORD_MAX_BYTES,
} from '../abi/layout';
import {
  PCAP_REC_LEN, PCAP_REC_TS_SEC, PCAP_REC_TS_FRAC, PCAP_REC_CAPLEN, PCAP_REC_ORIGLEN, BLOCK_TYPE, BLOCK_LEN,
  BLOCK_OVERHEAD, BT_SHB, BT_IDB, BT_PB, BT_SPB, BT_EPB, BT_ISB, SHB_BOM, SHB_MIN_LEN, IDB_MIN_LEN, ISB_MIN_LEN,
  BYTE_ORDER_MAGIC, BYTE_ORDER_MAGIC_SWAPPED, EPB_IFACE, PB_IFACE, EPB_TS_HIGH, EPB_TS_LOW, EPB_CAPLEN, EPB_ORIGLEN,
  EPB_DATA, EPB_MIN_LEN, SPB_ORIGLEN, SPB_DATA, SPB_MIN_LEN, BLOCK_MAX_BYTES, OPT_ENDOFOPT,
} from '../abi/capture';
import {
  WALK_BUFFERS, WALK_BUFFER_BYTES, WALK_IFACES_MAX, WALK_IFACE_BYTES, IF_LINK, IF_SNAPLEN, WS_WORDS,
  WS_STATUS, WS_PROBLEM, WS_ARG0, WS_ARG1, WS_ARG2, WS_FORMAT, WS_LE, WS_PCAP_NSEC, WS_PCAP_LINK, WS_POS, WS_END,
  WS_OUT, WS_OUT_START, WS_IFACES, WS_IN_SECTION, WS_MODE, WS_STOP_LO, WS_HAVE_FIRST, WS_FIRST_SEC, WS_FIRST_NSEC,
  WS_CUR_SEC, WS_CUR_NSEC, WS_LAST_SEC, WS_LAST_NSEC, WS_SPB_SEC, WS_SPB_NSEC, WS_PACKETS, WS_BYTES_IN,
  WS_BYTES_OUT, WS_GENERATED, WS_WRITTEN, WS_EMIT_I, WS_EMIT_N, WS_PENDING, WS_SHARD, WS_SHARDS, WS_UNITS,
  WS_SHARD_FLAGS, WS_OWNERS, UNIT_FOREIGN, WALK_UNITS_MAX, SHARD_UNITS_FULL, SHARD_FRAGMENT, WALK_RECORD_BYTES,
  WALK_PCAPNG, WALK_MODE_READ, WALK_NEED_MORE, WALK_BLOCK, WALK_STOP_TIME, WALK_BAD, WALK_FLUSH,
  P_EOF_PCAP_HEADER, P_EOF_PCAP_RECORD, P_EOF_BLOCK_HEADER, P_EOF_SHB, P_EOF_BLOCK, P_PCAP_CAPLEN, P_BOM,
  P_NO_SHB, P_LEN_ALIGN, P_LEN_MIN, P_BLOCK_CAPLEN, P_BLOCK_MAX, P_TRAILER, P_SPB_NO_IDB, P_SPB_FIT, P_IFACE,
  P_EPB_FIT, P_OPTION,
} from '../abi/walk';
import { inputRegion, descRegion, extraRegion, region, reserveRoom, tryRegion } from '../config';
import { regionBytes } from '../abi/capacity';
import { processBatch } from '../datapath';
import { ldOrder16, ldOrder32, stOrder32 } from '../wire/bytes';
import { clockSec, clockNsec, clockUnits } from './clock';
import { shardOwner, shardFlags, shardInit } from './shard';
import { fragDisplaced } from '../frag';

const NS_PER_S: u64 = 1_000_000_000;
/** framePcap / framePcapng: a packet record, described in the Frame. */
const FRAME_PACKET: u32 = 0;

// How a packet was stored, which decides how it is written back.
const KIND_PCAP: u32 = 0;
const KIND_EPB: u32 = 1;
const KIND_SPB: u32 = 2;
const KIND_PB: u32 = 3;

// What the emit pass needs of each packet's record, REC_BYTES per descriptor.
const REC_START = 0;  // address of the record
const REC_LEN = 4;    // its total length
const REC_KIND = 8;   // KIND_*
const REC_TS_A = 12;  // timestamp words a reject repeats: pcap seconds / pcapng high
const REC_TS_B = 16;  //   pcap fraction / pcapng low
const REC_IFACE = 20; // pcapng interface ID
const REC_UNIT = 24;  // --workers: the packet's unit in the chunk
const REC_BYTES: usize = WALK_RECORD_BYTES;

/** One record as framed: where its packet lies and what the descriptor says of it. */
@unmanaged class Frame {
  data: usize;
  caplen: u32;
  wirelen: u32;
  link: u32;
  sec: u32;
  nsec: u32;
  len: u32;
  kind: u32;
  tsA: u32;
  tsB: u32;
  iface: u32;
}

let state: usize = 0;
let ifaces: usize = 0;
let recs: usize = 0;
let frame: Frame = changetype<Frame>(0);
let buffers: usize = 0;
/** --workers: bytes written per unit of the chunk (abi/walk.ts), allocated by walkShard. */
let units: usize = 0;

/** Allocates the walk's state, interface table and chunk buffers (once, on first use). */
export function walkInit(): void {
  if (state != 0) return;
  reserveRoom(0); // init() kept walkBytes() for these
  state = region(<usize>WS_WORDS * 4);
  ifaces = region(<usize>WALK_IFACES_MAX * WALK_IFACE_BYTES);
  recs = region(<usize>BATCH_MAX_PACKETS * REC_BYTES);
  frame = changetype<Frame>(region(offsetof<Frame>()));
  buffers = region(<usize>WALK_BUFFERS * WALK_BUFFER_BYTES);
}

/** Bytes walkInit() takes (abi/capacity.ts regionBytes of each region): init() keeps room for them. */
export function walkBytes(): f64 {
  return regionBytes(<f64>WS_WORDS * 4) + regionBytes(<f64>WALK_IFACES_MAX * WALK_IFACE_BYTES) +
    regionBytes(<f64>BATCH_MAX_PACKETS * <f64>REC_BYTES) + regionBytes(<f64>offsetof<Frame>()) +
    regionBytes(<f64>WALK_BUFFERS * WALK_BUFFER_BYTES);
}

export function walkStatePtr(): usize { return state; }
export function walkIfacesPtr(): usize { return ifaces; }
export function walkBufferPtr(b: u32): usize { return buffers + <usize>b * WALK_BUFFER_BYTES; }
export function walkUnitsPtr(): usize { return units; }

/**
 * Makes this walk worker `self` of `n` (after walkInit and the host's reset of the state):
 * it runs only the packets shard.ts gives it and records every unit; `self` = `n` makes it the
 * dispatcher, which records every unit's owner and runs nothing. Returns 0 when the unit table
 * does not fit in memory (shard.ts's tables, allocated after it, may not: their packets fall back).
 */
export function walkShard(self: u32, n: u32): u32 {
  if (n > 1 && units == 0) {
    units = tryRegion(<usize>WALK_UNITS_MAX * 4);
    if (units == 0) return 0;
    shardInit();
  }
  setWs(WS_SHARD, self);
  setWs(WS_SHARDS, n);
  setWs(WS_UNITS, 0);
  setWs(WS_OWNERS, 0);
  return 1;
}

/** The next unit's entry, or 0 when the chunk has more than WALK_UNITS_MAX (flagged). */
function nextUnit(): usize {
  let u = ws(WS_UNITS);
  if (u >= <u32>WALK_UNITS_MAX) {
    setWs(WS_SHARD_FLAGS, ws(WS_SHARD_FLAGS) | SHARD_UNITS_FULL);
    return 0;
  }
  setWs(WS_UNITS, u + 1);
  return units + (<usize>u << 2);
}

// @ts-ignore: decorator
@inline function unitAdd(rec: usize, bytes: usize): void {
  let e = <usize>load<u32>(rec + REC_UNIT);
  if (e != 0) store<u32>(e, load<u32>(e) + <u32>bytes);
}

// @ts-ignore: decorator
@inline function ws(w: u32): u32 { return load<u32>(state + (<usize>w << 2)); }
// @ts-ignore: decorator
@inline function setWs(w: u32, v: u32): void { store<u32>(state + (<usize>w << 2), v); }
// @ts-ignore: decorator
@inline function ws64(w: u32): u64 { return load<u64>(state + (<usize>w << 2)); }
// @ts-ignore: decorator
@inline function setWs64(w: u32, v: u64): void { store<u64>(state + (<usize>w << 2), v); }
// @ts-ignore: decorator
@inline function word(d: usize, w: u32): u32 { return load<u32>(d + (<usize>w << 2)); }
// @ts-ignore: decorator
@inline function setWord(d: usize, w: u32, v: u32): void { store<u32>(d + (<usize>w << 2), v); }
// @ts-ignore: decorator
@inline function pad4(n: u32): u32 { return (n + 3) & ~3; }
// @ts-ignore: decorator
@inline function iface(id: u32): usize { return ifaces + <usize>id * WALK_IFACE_BYTES; }

function stopWith(status: u32, problem: u32, a: u32, b: u32, c: u32): u32 {
  setWs(WS_PROBLEM, problem);
  setWs(WS_ARG0, a);
  setWs(WS_ARG1, b);
  setWs(WS_ARG2, c);
  return status;
}

/** A pcap record at r (avail bytes of the chunk from r). */
function framePcap(r: usize, avail: u32, f: Frame): u32 {
  if (avail < <u32>PCAP_REC_LEN) return stopWith(WALK_NEED_MORE, P_EOF_PCAP_HEADER, avail, 0, 0);
  let le = ws(WS_LE) != 0;
  let caplen = ldOrder32(r + PCAP_REC_CAPLEN, le);
  if (caplen > <u32>RECORD_MAX_BYTES) return stopWith(WALK_BAD, P_PCAP_CAPLEN, caplen, 0, 0);
  if (avail - PCAP_REC_LEN < caplen) return stopWith(WALK_NEED_MORE, P_EOF_PCAP_RECORD, caplen, avail - PCAP_REC_LEN, 0);
  let sec = ldOrder32(r + PCAP_REC_TS_SEC, le);
  let frac = ldOrder32(r + PCAP_REC_TS_FRAC, le);
  let nano = ws(WS_PCAP_NSEC) != 0;
  let fracMax: u32 = nano ? 1_000_000_000 : 1_000_000;
  f.tsA = sec;
  f.tsB = frac;
  if (frac >= fracMax) {
    // An out-of-range fraction carries whole seconds, as the time it denotes.
    let carry = frac / fracMax;
    sec += carry;
    frac -= carry * fracMax;
  }
  f.data = r + PCAP_REC_LEN;
  f.caplen = caplen;
  f.wirelen = ldOrder32(r + PCAP_REC_ORIGLEN, le);
  f.link = ws(WS_PCAP_LINK);
  f.sec = sec;
  f.nsec = nano ? frac : frac * 1000;
  f.len = PCAP_REC_LEN + caplen;
  f.kind = KIND_PCAP;
  f.iface = 0;
  return FRAME_PACKET;
}

function minBlockLength(type: u32): u32 {
  if (type == BT_SHB) return SHB_MIN_LEN;
  if (type == BT_IDB) return IDB_MIN_LEN;
  if (type == BT_EPB || type == BT_PB) return EPB_MIN_LEN;
  if (type == BT_SPB) return SPB_MIN_LEN;
  if (type == BT_ISB) return ISB_MIN_LEN;
  return BLOCK_OVERHEAD;
}

/** A pcapng block at r: the reader's checks in the reader's order (src/capture/reader.ts). */
function framePcapng(r: usize, avail: u32, f: Frame): u32 {
  if (avail < 8) return stopWith(WALK_NEED_MORE, P_EOF_BLOCK_HEADER, avail, 0, 0);
  let le = ws(WS_LE) != 0;
  let type = ldOrder32(r + BLOCK_TYPE, le);
  if (type == BT_SHB) {
    if (avail < <u32>SHB_BOM + 4) return stopWith(WALK_NEED_MORE, P_EOF_SHB, avail, 0, 0);
    let bom = ldOrder32(r + SHB_BOM, false);
    if (bom == BYTE_ORDER_MAGIC) le = false;
    else if (bom == BYTE_ORDER_MAGIC_SWAPPED) le = true;
    else return stopWith(WALK_BAD, P_BOM, bom, 0, 0);
  } else if (ws(WS_IN_SECTION) == 0) {
    return stopWith(WALK_BAD, P_NO_SHB, 0, 0, 0);
  }
  let len = ldOrder32(r + BLOCK_LEN, le);
  let minLen = minBlockLength(type);
  if (len % 4 != 0) return stopWith(WALK_BAD, P_LEN_ALIGN, type, len, 0);
  if (len < minLen) return stopWith(WALK_BAD, P_LEN_MIN, type, len, minLen);
  let packet = type == BT_EPB || type == BT_PB;
  if (packet) {
    if (avail < <u32>EPB_DATA) return stopWith(WALK_NEED_MORE, P_EOF_BLOCK, type, len, avail);
    let caplen = ldOrder32(r + EPB_CAPLEN, le);
    if (caplen > <u32>RECORD_MAX_BYTES) return stopWith(WALK_BAD, P_BLOCK_CAPLEN, type, caplen, 0);
  }
  if (len > <u32>BLOCK_MAX_BYTES) return stopWith(WALK_BAD, P_BLOCK_MAX, type, len, 0);
  if (avail < len) return stopWith(WALK_NEED_MORE, P_EOF_BLOCK, type, len, avail);
  let trailer = ldOrder32(r + len - 4, le);
  if (trailer != len) return stopWith(WALK_BAD, P_TRAILER, type, len, trailer);

  if (type == BT_SPB) {
    if (ws(WS_IFACES) == 0) return stopWith(WALK_BAD, P_SPB_NO_IDB, type, 0, 0);
    let e = iface(0);
    let wirelen = ldOrder32(r + SPB_ORIGLEN, le);
    let snap = load<u32>(e + IF_SNAPLEN);
    let caplen = snap != 0 && wirelen > snap ? snap : wirelen;
    if (caplen > len - SPB_MIN_LEN) return stopWith(WALK_BAD, P_SPB_FIT, type, caplen, len);
    if (caplen > <u32>RECORD_MAX_BYTES) return stopWith(WALK_BAD, P_BLOCK_CAPLEN, type, caplen, 0);
    f.data = r + SPB_DATA;
    f.caplen = caplen;
    f.wirelen = wirelen;
    f.link = load<u32>(e + IF_LINK);
    f.sec = ws(WS_SPB_SEC);
    f.nsec = ws(WS_SPB_NSEC);
    let units = clockUnits(e, f.sec, f.nsec);
    f.tsA = <u32>(units >> 32);
    f.tsB = <u32>units;
    f.len = len;
    f.kind = KIND_SPB;
    f.iface = 0;
    return FRAME_PACKET;
  }
  if (!packet) {
    // The host handles sections, interfaces and every other block.
    return stopWith(WALK_BLOCK, 0, type, len, le ? 1 : 0);
  }
  let id = type == BT_EPB ? ldOrder32(r + EPB_IFACE, le) : ldOrder16(r + PB_IFACE, le);
  let count = ws(WS_IFACES);
  if (id >= count) return stopWith(WALK_BAD, P_IFACE, type, id, count);
  let caplen = ldOrder32(r + EPB_CAPLEN, le);
  if (<u32>EPB_MIN_LEN + pad4(caplen) > len) return stopWith(WALK_BAD, P_EPB_FIT, type, caplen, len);
  // Its options are copied as they are: each must fit in the block (src/capture/options.ts).
  let q = r + EPB_DATA + pad4(caplen), end = r + len - 4;
  while (end - q >= 4) {
    let code = ldOrder16(q, le), olen = ldOrder16(q + 2, le);
    if (pad4(olen) > <u32>(end - q - 4)) return stopWith(WALK_BAD, P_OPTION, type, code, olen);
    if (code == OPT_ENDOFOPT) break;
    q += 4 + pad4(olen);
  }
  let e = iface(id);
  let hi = ldOrder32(r + EPB_TS_HIGH, le);
  let lo = ldOrder32(r + EPB_TS_LOW, le);
  let units = (<u64>hi << 32) | <u64>lo;
  f.sec = clockSec(e, units);
  f.nsec = clockNsec(e, units);
  setWs(WS_SPB_SEC, f.sec);
  setWs(WS_SPB_NSEC, f.nsec);
  f.data = r + EPB_DATA;
  f.caplen = caplen;
  f.wirelen = ldOrder32(r + EPB_ORIGLEN, le);
  f.link = load<u32>(e + IF_LINK);
  f.len = len;
  f.kind = type == BT_EPB ? KIND_EPB : KIND_PB;
  f.tsA = hi;
  f.tsB = lo;
  f.iface = id;
  return FRAME_PACKET;
}

/**
 * Walks the chunk from WS_POS: frames records into descriptors, runs each batch through the
 * per-packet program and emits it, until the chunk ends or something needs the host.
 * Returns (and leaves in WS_STATUS) one of WALK_*.
 */
export function walkRun(): u32 {
  let status: u32 = 0;
  if (ws(WS_EMIT_I) < ws(WS_EMIT_N)) status = emit();
  let pcapng = ws(WS_FORMAT) == WALK_PCAPNG;
  let readOnly = ws(WS_MODE) == WALK_MODE_READ;
  let stop = ws64(WS_STOP_LO);
  let shards = readOnly ? 0 : ws(WS_SHARDS);
  let self = ws(WS_SHARD);
  let given = ws(WS_OWNERS) != 0;
  let f = frame;
  while (status == 0) {
    let n: u32 = 0;
    while (n < <u32>BATCH_MAX_PACKETS) {
      let r = <usize>ws(WS_POS);
      let avail = ws(WS_END) - <u32>r;
      status = pcapng ? framePcapng(r, avail, f) : framePcap(r, avail, f);
      if (status != FRAME_PACKET) break;
      if (ws(WS_HAVE_FIRST) == 0) {
        setWs(WS_HAVE_FIRST, 1);
        setWs(WS_FIRST_SEC, f.sec);
        setWs(WS_FIRST_NSEC, f.nsec);
      }
      if (<u64>f.sec * NS_PER_S + <u64>f.nsec >= stop) {
        setWs(WS_CUR_SEC, f.sec);
        setWs(WS_CUR_NSEC, f.nsec);
        status = WALK_STOP_TIME;
        break;
      }
      if (readOnly) {
        setWs64(WS_PACKETS, ws64(WS_PACKETS) + 1);
        setWs64(WS_BYTES_IN, ws64(WS_BYTES_IN) + <u64>f.wirelen);
        setWs(WS_LAST_SEC, f.sec);
        setWs(WS_LAST_NSEC, f.nsec);
      } else if (shards > 1) {
        // Every worker keeps the time of the last packet walked, whoever owns it.
        setWs(WS_LAST_SEC, f.sec);
        setWs(WS_LAST_NSEC, f.nsec);
        let unit = nextUnit();
        setWs(WS_POS, <u32>(r + f.len));
        // Decided once: by the dispatcher, whose decision this walk was given, or here.
        let owner = given && unit != 0 ? load<u32>(unit)
          : shardOwner(f.data, f.caplen, f.wirelen, f.link, shards, <u64>f.sec * NS_PER_S + <u64>f.nsec);
        if (self == shards) {
          if (unit != 0) store<u32>(unit, owner);
          continue;
        }
        if (owner != self) {
          if (unit != 0) store<u32>(unit, UNIT_FOREIGN);
          continue;
        }
        if (unit != 0) store<u32>(unit, 0);
        fill(n, r, f);
        store<u32>(recs + <usize>n * REC_BYTES + REC_UNIT, <u32>unit);
        n++;
        continue;
      } else {
        fill(n, r, f);
      }
      n++;
      setWs(WS_POS, <u32>(r + f.len));
    }
    if (n > 0 && !readOnly) {
      processBatch(0, n);
      setWs(WS_EMIT_I, 0);
      setWs(WS_EMIT_N, n);
      let emitted = emit();
      if (emitted != 0) status = emitted;
    }
  }
  if (shards > 1) {
    // A worker's own fragment table must never have given a live entry's place (capture/shard-frag.ts).
    setWs(WS_SHARD_FLAGS, ws(WS_SHARD_FLAGS) | shardFlags | (fragDisplaced != 0 ? SHARD_FRAGMENT : 0));
  }
  setWs(WS_STATUS, status);
  return status;
}

/** Descriptor n's IN words and record facts from the frame. */
function fill(n: u32, r: usize, f: Frame): void {
  let d = descRegion + <usize>n * DESC_WORDS * 4;
  setWord(d, D_OFFSET, <u32>(f.data - inputRegion));
  setWord(d, D_CAPLEN, f.caplen);
  setWord(d, D_WIRELEN, f.wirelen);
  setWord(d, D_LINKTYPE, f.link);
  setWord(d, D_TS_SEC, f.sec);
  setWord(d, D_TS_NSEC, f.nsec);
  let rec = recs + <usize>n * REC_BYTES;
  store<u32>(rec + REC_START, <u32>r);
  store<u32>(rec + REC_LEN, f.len);
  store<u32>(rec + REC_KIND, f.kind);
  store<u32>(rec + REC_TS_A, f.tsA);
  store<u32>(rec + REC_TS_B, f.tsB);
  store<u32>(rec + REC_IFACE, f.iface);
}

/**
 * Writes the processed batch's output from WS_EMIT_I on: each kept record moved down to WS_OUT,
 * each reject right after its packet. Returns 0, or WALK_FLUSH when a reject would overrun the
 * next record (the host writes what is there and calls again).
 */
function emit(): u32 {
  let i = ws(WS_EMIT_I);
  let n = ws(WS_EMIT_N);
  let out = <usize>ws(WS_OUT);
  let le = ws(WS_LE) != 0;
  let pending = ws(WS_PENDING) != 0;
  let packets = ws64(WS_PACKETS);
  let bytesIn = ws64(WS_BYTES_IN);
  let bytesOut = ws64(WS_BYTES_OUT);
  let generated = ws64(WS_GENERATED);
  let written = ws64(WS_WRITTEN);
  let sharded = ws(WS_SHARDS) > 1;
  let status: u32 = 0;
  for (; i < n; i++) {
    let d = descRegion + <usize>i * DESC_WORDS * 4;
    let rec = recs + <usize>i * REC_BYTES;
    if (!pending) {
      let wire = word(d, D_WIRELEN);
      packets++;
      bytesIn += wire;
      let verdict = word(d, D_VERDICT);
      if (verdict != VERDICT_DROP && verdict != VERDICT_REJECT) {
        let from = out;
        out = emitRecord(out, rec, word(d, D_CAPLEN), le);
        if (sharded) unitAdd(rec, out - from);
        bytesOut += wire;
        written++;
      }
      if (word(d, D_EXTRA_LEN) == 0) continue;
      pending = true;
    }
    let xlen = word(d, D_EXTRA_LEN);
    let kind = load<u32>(rec + REC_KIND);
    let size = kind == KIND_PCAP ? PCAP_REC_LEN + xlen : EPB_MIN_LEN + pad4(xlen);
    if (out + size > <usize>(load<u32>(rec + REC_START) + load<u32>(rec + REC_LEN))) {
      status = WALK_FLUSH;
      break;
    }
    let from = out;
    out = emitReject(out, rec, extraRegion + <usize>word(d, D_EXTRA_OFF), xlen, le);
    if (sharded) unitAdd(rec, out - from);
    bytesOut += xlen;
    generated++;
    written++;
    pending = false;
  }
  if (n > 0 && !sharded) {
    let last = descRegion + <usize>(i < n ? i : n - 1) * DESC_WORDS * 4;
    setWs(WS_LAST_SEC, word(last, D_TS_SEC));
    setWs(WS_LAST_NSEC, word(last, D_TS_NSEC));
  }
  setWs(WS_EMIT_I, i);
  setWs(WS_PENDING, pending ? 1 : 0);
  setWs(WS_OUT, <u32>out);
  setWs64(WS_PACKETS, packets);
  setWs64(WS_BYTES_IN, bytesIn);
  setWs64(WS_BYTES_OUT, bytesOut);
  setWs64(WS_GENERATED, generated);
  setWs64(WS_WRITTEN, written);
  return status;
}

/** Zeroes a block's packet padding, as the writer pads (the input's padding bytes may be anything). */
// @ts-ignore: decorator
@inline function zeroPad(at: usize, caplen: u32): void {
  memory.fill(at + caplen, 0, pad4(caplen) - caplen);
}

/** Moves a kept record to `out` in its output form; returns the address after it. */
function emitRecord(out: usize, rec: usize, caplen: u32, le: bool): usize {
  let start = <usize>load<u32>(rec + REC_START);
  let kind = load<u32>(rec + REC_KIND);
  if (kind == KIND_SPB) {
    // Rewritten to the length its captured bytes need.
    let total = SPB_MIN_LEN + pad4(caplen);
    if (out != start) memory.copy(out, start, SPB_DATA + caplen);
    stOrder32(out + BLOCK_LEN, total, le);
    zeroPad(out + SPB_DATA, caplen);
    stOrder32(out + total - 4, total, le);
    return out + total;
  }
  let len = <usize>load<u32>(rec + REC_LEN);
  if (out != start) memory.copy(out, start, len);
  if (kind != KIND_PCAP) {
    zeroPad(out + EPB_DATA, caplen);
    if (kind == KIND_PB) {
      // The obsolete Packet Block is written as an Enhanced Packet Block (same header size).
      stOrder32(out + BLOCK_TYPE, BT_EPB, le);
      stOrder32(out + EPB_IFACE, load<u32>(rec + REC_IFACE), le);
    }
  }
  return out + len;
}

/** Writes a reject (xlen bytes at src) as a record after its packet; returns the address after it. */
function emitReject(out: usize, rec: usize, src: usize, xlen: u32, le: bool): usize {
  let a = load<u32>(rec + REC_TS_A);
  let b = load<u32>(rec + REC_TS_B);
  if (load<u32>(rec + REC_KIND) == KIND_PCAP) {
    stOrder32(out + PCAP_REC_TS_SEC, a, le);
    stOrder32(out + PCAP_REC_TS_FRAC, b, le);
    stOrder32(out + PCAP_REC_CAPLEN, xlen, le);
    stOrder32(out + PCAP_REC_ORIGLEN, xlen, le);
    memory.copy(out + PCAP_REC_LEN, src, xlen);
    return out + PCAP_REC_LEN + xlen;
  }
  let total = EPB_MIN_LEN + pad4(xlen);
  stOrder32(out + BLOCK_TYPE, BT_EPB, le);
  stOrder32(out + BLOCK_LEN, total, le);
  stOrder32(out + EPB_IFACE, load<u32>(rec + REC_IFACE), le);
  stOrder32(out + EPB_TS_HIGH, a, le);
  stOrder32(out + EPB_TS_LOW, b, le);
  stOrder32(out + EPB_CAPLEN, xlen, le);
  stOrder32(out + EPB_ORIGLEN, xlen, le);
  memory.copy(out + EPB_DATA, src, xlen);
  zeroPad(out + EPB_DATA, xlen);
  stOrder32(out + total - 4, total, le);
  return out + total;
}

/** After WALK_BLOCK: keeps (1) or leaves out (0) the block at WS_POS and moves past it. */
export function walkBlockDone(keep: u32): void {
  let r = <usize>ws(WS_POS);
  let len = ws(WS_ARG1);
  if (ws(WS_SHARDS) > 1) {
    // Blocks are worker 0's to write.
    let unit = nextUnit();
    if (ws(WS_SHARD) != 0) keep = 0;
    if (unit != 0) store<u32>(unit, ws(WS_SHARD) != 0 ? UNIT_FOREIGN : (keep != 0 ? len : 0));
  }
  if (keep != 0) {
    let out = <usize>ws(WS_OUT);
    if (out != r) memory.copy(out, r, len);
    setWs(WS_OUT, <u32>(out + len));
  }
  setWs(WS_POS, <u32>(r + len));
}
