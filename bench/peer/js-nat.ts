// The benchmark peer: the NAT core's IPv4/TCP logic written the way a
// TypeScript programmer would write it without WebAssembly. It reads the
// same descriptor layout (src/core/abi.ts) from its own buffers, so the
// benchmark can hand both implementations the same bytes and compare the
// results.
//
//   parse Ethernet / IPv4 / TCP from a Uint8Array (big-endian byte reads)
//   conntrack: one Map<string, CtEntry>, keyed "src:sport>dst:dport" (addresses
//              as decimal u32), two keys per connection (original and reply
//              tuple), so a lookup finds the connection from either direction
//   services:  Map<number, Service>, keyed vip * 65536 + port
//   Maglev:    one plain number[] of M backend indexes per service
//   NAT:       DNAT (original direction) or source rewrite back to the VIP
//              (reply), with RFC 1624 incremental IPv4 and TCP checksum updates
//
// Only what the benchmark exercises is handled: other link types, IPv6,
// fragments and other protocols pass untouched. The hashes are the core's
// (assembly/hash.ts: hashTuple for the backend choice, hashAddrWord for the
// Maglev permutations), computed on 32-bit halves, because the peer must
// pick the same backend for its output bytes to equal the core's; if the
// core's hash changes, the benchmark's equality check says so.

import {
  DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, D_VERDICT, D_REASON, D_SERVICE,
  D_BACKEND, LINK_EN10MB, VERDICT_PASS, VERDICT_TRANSLATED, VERDICT_REVERSED, VERDICT_DROP,
  REASON_LINK_TRUNCATED, REASON_IPV4_TRUNCATED, REASON_IPV4_BAD_IHL, REASON_IPV4_BAD_TOTAL_LENGTH,
  REASON_IP_VERSION_MISMATCH, REASON_L4_TRUNCATED, REASON_TCP_BAD_HEADER_LENGTH, REASON_SERVICE_NO_ENDPOINTS,
  REASON_CT_FULL,
} from '../../src/core/abi.js';

export interface PeerService {
  /** Host-order IPv4 address and port of the frontend. */
  vip: number;
  port: number;
  backends: { addr: number; port: number }[];
}

export interface PeerOptions {
  /** Maglev table size (prime). */
  maglevSize: number;
  /** The 64-bit hash seed as [low, high] 32-bit words (src/core/core.ts seedFromText). */
  seed: [number, number];
  /** Most connections tracked at once. */
  ctMax: number;
}

// ---- 64-bit hashing on u32 halves -------------------------------------------
// Results of the helpers below, to avoid allocating a pair per call.
let H = 0;
let L = 0;

const K1H = 0x9e3779b9, K1L = 0x7f4a7c15;
const K2H = 0xbf58476d, K2L = 0x1ce4e5b9;
const K3H = 0x94d049bb, K3L = 0x133111eb;

/** (ah:al) × (bh:bl) mod 2^64 → H:L. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  L = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  H = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

/** h = (h ^ v) · K1; h ^= h >> 29. */
function mix(hh: number, hl: number, vh: number, vl: number): void {
  mul64((hh ^ vh) >>> 0, (hl ^ vl) >>> 0, K1H, K1L);
  L = (L ^ ((L >>> 29) | (H << 3))) >>> 0;
  H = (H ^ (H >>> 29)) >>> 0;
}

/** splitmix64's finaliser on H:L. */
function finish(): void {
  let l = (L ^ ((L >>> 30) | (H << 2))) >>> 0, h = (H ^ (H >>> 30)) >>> 0;
  mul64(h, l, K2H, K2L);
  l = (L ^ ((L >>> 27) | (H << 5))) >>> 0; h = (H ^ (H >>> 27)) >>> 0;
  mul64(h, l, K3H, K3L);
  l = (L ^ ((L >>> 31) | (H << 1))) >>> 0; h = (H ^ (H >>> 31)) >>> 0;
  H = h; L = l;
}

// Result of rotl64.
let RH = 0, RL = 0;

/** Rotates h:l left by r (0 < r < 32) into RH:RL. */
function rotl64(h: number, l: number, r: number): void {
  RH = ((h << r) | (l >>> (32 - r))) >>> 0;
  RL = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/**
 * The core's 5-tuple hash (assembly/hash.ts hashTuple) of an IPv4 TCP tuple
 * into H:L: three independent products, then one finishing round. IPv4
 * addresses fill only the low 64 bits of their 16-byte slots, so the terms
 * of the high halves are zero here.
 */
function flowHash(sh: number, sl: number, src: number, dst: number, sport: number, dport: number): void {
  mul64(sh, (wireLE(src) ^ sl) >>> 0, K1H, K1L);
  const ah = H, al = L;
  mul64(0, wireLE(dst), K2H, K2L);
  rotl64(H, L, 21);
  const bh = RH, bl = RL;
  mul64(sport, ((dport << 16) | (4 << 8) | 6) >>> 0, K3H, K3L);
  rotl64(L, H, 10); // rotl 42 = swap halves, then rotl 10
  let h = (ah ^ bh ^ RH) >>> 0, l = (al ^ bl ^ RL) >>> 0;
  l = (l ^ ((l >>> 31) | (h << 1))) >>> 0; h = (h ^ (h >>> 31)) >>> 0;
  mul64(h, l, K1H, K1L);
  L = (L ^ ((L >>> 29) | (H << 3))) >>> 0;
  H = (H ^ (H >>> 29)) >>> 0;
}

/** An IPv4 address as the core loads it from its 16-byte slot: wire bytes read little-endian. */
function wireLE(addr: number): number {
  return (((addr & 0xff) << 24) | ((addr & 0xff00) << 8) | ((addr >>> 8) & 0xff00) | (addr >>> 24)) >>> 0;
}

/** H:L mod m (m < 2^21 keeps every product exact). */
function mod64(m: number, twoTo32ModM: number): number {
  return ((H % m) * twoTo32ModM + (L % m)) % m;
}

// ---- Maglev (Eisenbud et al., NSDI 2016, §3.4) --------------------------------

/** Fills an m-slot table: backend i walks offset_i + j·skip_i (mod m); backends take turns claiming their next free slot. */
export function maglevTable(m: number, offsets: number[], skips: number[]): number[] {
  const n = offsets.length;
  const table: number[] = new Array(m).fill(-1);
  const next = offsets.slice();
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      let c = next[i];
      while (table[c] !== -1) { c += skips[i]; if (c >= m) c -= m; }
      table[c] = i;
      c += skips[i]; if (c >= m) c -= m;
      next[i] = c;
      if (++filled === m) return table;
    }
  }
}

// ---- TCP connection states (netfilter-like, as the core tracks them) ----------
const SYN_SENT = 1, SYN_RECV = 2, ESTABLISHED = 3, FIN_WAIT = 4, CLOSE_WAIT = 5, LAST_ACK = 6, TIME_WAIT = 7, CLOSE = 8;
const NS = 1e9;
const TIMEOUT_NS = [0, 120 * NS, 60 * NS, 86400 * NS, 120 * NS, 3600 * NS, 30 * NS, 120 * NS, 10 * NS];
const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;
const FIN_ORIG = 1, FIN_REPLY = 2;

interface Service { slot: number; firstBackend: number; backends: { addr: number; port: number }[]; table: number[] }

interface Conn {
  client: number; clientPort: number; vip: number; vport: number;
  backendAddr: number; backendPort: number;
  slot: number; backend: number;
  state: number; fins: number; expires: number;
  origKey: string; replyKey: string;
}
interface CtEntry { conn: Conn; dir: 0 | 1 }

export class JsNat {
  private readonly services = new Map<number, Service>();
  private ct = new Map<string, CtEntry>();
  private live = 0;
  private readonly m: number;
  private readonly m32: number;
  private readonly seedH: number;
  private readonly seedL: number;
  readonly verdicts = new Float64Array(8);
  /** Per service slot and per backend id: packets, bytes, connections. */
  readonly svcCounters: Float64Array;
  readonly backendCounters: Float64Array;

  constructor(services: PeerService[], private readonly opts: PeerOptions) {
    this.m = opts.maglevSize;
    this.m32 = 4294967296 % this.m;
    [this.seedL, this.seedH] = [opts.seed[0] >>> 0, opts.seed[1] >>> 0];
    let id = 0;
    services.forEach((s, slot) => {
      const offsets: number[] = [], skips: number[] = [];
      for (const b of s.backends) {
        offsets.push(this.backendHash(b.addr, b.port, this.seedH, this.seedL, this.m));
        skips.push(this.backendHash(b.addr, b.port, (this.seedH ^ 0xa5a5a5a5) >>> 0, (this.seedL ^ 0xa5a5a5a5) >>> 0, this.m - 1) + 1);
      }
      const table = s.backends.length ? maglevTable(this.m, offsets, skips) : [];
      this.services.set(s.vip * 65536 + s.port, { slot, firstBackend: id, backends: s.backends, table });
      id += s.backends.length;
    });
    this.svcCounters = new Float64Array(services.length * 3);
    this.backendCounters = new Float64Array(id * 3);
  }

  /** Forgets every connection (a fresh conntrack table). */
  reset(): void {
    this.ct = new Map();
    this.live = 0;
  }

  get connections(): number { return this.live; }

  /** The Maglev table of a service slot (for checks against the core's). */
  tableOf(vip: number, port: number): number[] | undefined { return this.services.get(vip * 65536 + port)?.table; }

  /** The core's hashAddrWord of a backend (address, family 4, port) with seed sh:sl, reduced mod `m`. */
  private backendHash(addr: number, port: number, sh: number, sl: number, m: number): number {
    mix(sh, sl, 0, wireLE(addr));
    mix(H, L, 0, 0);
    mix(H, L, 0, ((4 << 16) | port) >>> 0);
    finish();
    return mod64(m, 4294967296 % m);
  }

  /** Processes descriptors first..first+n-1 over `buf`, like the core's processRange (processBatch: first 0). */
  process(buf: Uint8Array, desc: Uint32Array, n: number, first = 0): void {
    for (let i = first; i < first + n; i++) {
      const d = i * DESC_WORDS;
      desc[d + D_REASON] = 0;
      desc[d + D_SERVICE] = 0;
      desc[d + D_BACKEND] = 0;
      const v = this.packet(buf, desc, d);
      desc[d + D_VERDICT] = v;
      this.verdicts[v]++;
    }
  }

  private drop(desc: Uint32Array, d: number, reason: number): number {
    desc[d + D_REASON] = reason;
    return VERDICT_DROP;
  }

  private packet(b: Uint8Array, desc: Uint32Array, d: number): number {
    const off = desc[d + D_OFFSET];
    const caplen = desc[d + D_CAPLEN];
    const wirelen = desc[d + D_WIRELEN];
    if (desc[d + D_LINKTYPE] !== LINK_EN10MB) return VERDICT_PASS;
    const now = desc[d + D_TS_SEC] * NS + desc[d + D_TS_NSEC];

    // Ethernet II, IPv4 only.
    if (caplen < 14) return this.drop(desc, d, REASON_LINK_TRUNCATED);
    if (((b[off + 12] << 8) | b[off + 13]) !== 0x0800) return VERDICT_PASS;
    const ip = off + 14;
    if (caplen < 34) return this.drop(desc, d, REASON_IPV4_TRUNCATED);
    if (b[ip] >> 4 !== 4) return this.drop(desc, d, REASON_IP_VERSION_MISMATCH);
    const hl = (b[ip] & 0xf) << 2;
    if (hl < 20) return this.drop(desc, d, REASON_IPV4_BAD_IHL);
    if (14 + hl > caplen) return this.drop(desc, d, REASON_IPV4_TRUNCATED);
    const total = (b[ip + 2] << 8) | b[ip + 3];
    if (total < hl || 14 + total > Math.max(caplen, wirelen)) return this.drop(desc, d, REASON_IPV4_BAD_TOTAL_LENGTH);
    if ((((b[ip + 6] & 0x3f) << 8) | b[ip + 7]) !== 0) return VERDICT_PASS; // fragments: not handled here
    if (b[ip + 9] !== 6) return VERDICT_PASS;
    const l4 = ip + hl;
    const captured = Math.min(14 + total, caplen) - 14 - hl;
    if (captured < 20) return this.drop(desc, d, REASON_L4_TRUNCATED);
    const doff = (b[l4 + 12] >> 4) << 2;
    if (doff < 20 || doff > total - hl) return this.drop(desc, d, REASON_TCP_BAD_HEADER_LENGTH);
    const src = ((b[ip + 12] << 24) | (b[ip + 13] << 16) | (b[ip + 14] << 8) | b[ip + 15]) >>> 0;
    const dst = ((b[ip + 16] << 24) | (b[ip + 17] << 16) | (b[ip + 18] << 8) | b[ip + 19]) >>> 0;
    const sport = (b[l4] << 8) | b[l4 + 1];
    const dport = (b[l4 + 2] << 8) | b[l4 + 3];
    const flags = b[l4 + 13];
    const bytes = wirelen;

    // Conntrack: either direction of a known connection.
    const key = `${src}:${sport}>${dst}:${dport}`;
    const e = this.ct.get(key);
    if (e !== undefined) {
      const c = e.conn;
      if (c.expires <= now || (e.dir === 0 && (c.state === TIME_WAIT || c.state === CLOSE) && (flags & (SYN | ACK)) === SYN)) {
        this.forget(c);
      } else {
        c.state = nextState(c, e.dir, flags);
        c.expires = now + TIMEOUT_NS[c.state];
        this.count(desc, d, c.slot, c.backend, bytes);
        if (e.dir === 0) {
          rewrite(b, ip, l4, 16, 2, c.backendAddr, c.backendPort);
          return VERDICT_TRANSLATED;
        }
        rewrite(b, ip, l4, 12, 0, c.vip, c.vport);
        return VERDICT_REVERSED;
      }
    }

    // Service lookup and backend choice.
    const svc = this.services.get(dst * 65536 + dport);
    if (svc === undefined) return VERDICT_PASS;
    desc[d + D_SERVICE] = svc.slot + 1;
    if (svc.backends.length === 0) return this.drop(desc, d, REASON_SERVICE_NO_ENDPOINTS);
    flowHash(this.seedH, this.seedL, src, dst, sport, dport);
    const j = svc.table[mod64(this.m, this.m32)];
    if (this.live >= this.opts.ctMax) return this.drop(desc, d, REASON_CT_FULL);

    // New connection: index both tuples.
    const be = svc.backends[j];
    const c: Conn = {
      client: src, clientPort: sport, vip: dst, vport: dport, backendAddr: be.addr, backendPort: be.port,
      slot: svc.slot, backend: svc.firstBackend + j,
      state: flags & RST ? CLOSE : (flags & (SYN | ACK)) === SYN ? SYN_SENT : ESTABLISHED, fins: 0, expires: 0,
      origKey: key, replyKey: `${be.addr}:${be.port}>${src}:${sport}`,
    };
    c.expires = now + TIMEOUT_NS[c.state];
    this.ct.set(c.origKey, { conn: c, dir: 0 });
    this.ct.set(c.replyKey, { conn: c, dir: 1 });
    this.live++;
    this.svcCounters[c.slot * 3 + 2]++;
    this.backendCounters[c.backend * 3 + 2]++;
    this.count(desc, d, c.slot, c.backend, bytes);
    rewrite(b, ip, l4, 16, 2, be.addr, be.port);
    return VERDICT_TRANSLATED;
  }

  private forget(c: Conn): void {
    this.ct.delete(c.origKey);
    this.ct.delete(c.replyKey);
    this.live--;
  }

  private count(desc: Uint32Array, d: number, slot: number, backend: number, bytes: number): void {
    desc[d + D_SERVICE] = slot + 1;
    desc[d + D_BACKEND] = backend + 1;
    this.svcCounters[slot * 3]++;
    this.svcCounters[slot * 3 + 1] += bytes;
    this.backendCounters[backend * 3]++;
    this.backendCounters[backend * 3 + 1] += bytes;
  }
}

/** The state after a packet with TCP `flags` in direction `dir` (0 original, 1 reply); updates c.fins. */
function nextState(c: Conn, dir: 0 | 1, flags: number): number {
  const s = c.state;
  if (flags & RST) return CLOSE;
  if (flags & FIN) {
    c.fins |= dir === 0 ? FIN_ORIG : FIN_REPLY;
    return c.fins === (FIN_ORIG | FIN_REPLY) ? LAST_ACK : FIN_WAIT;
  }
  if (s === SYN_SENT) return dir === 1 && (flags & SYN) && (flags & ACK) ? SYN_RECV : s;
  if (s === SYN_RECV) return dir === 0 && (flags & ACK) ? ESTABLISHED : s;
  if (s === FIN_WAIT && (flags & ACK)) return dir !== (c.fins & FIN_ORIG ? 0 : 1) ? CLOSE_WAIT : s;
  if (s === LAST_ACK && (flags & ACK)) return TIME_WAIT;
  return s;
}

function fold(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/** RFC 1624 eqn. 3 on the 16-bit checksum at `o`: HC' = ~(~HC + d), d = Σ(~m) + Σ(m'). */
function adjust(b: Uint8Array, o: number, d: number): void {
  const hc = (b[o] << 8) | b[o + 1];
  const v = ~fold((~hc & 0xffff) + d) & 0xffff;
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

/**
 * Rewrites the IPv4 address at ip+addrOff and the TCP port at l4+portOff,
 * folding the change into the IPv4 header checksum (address) and the TCP
 * checksum (address through the pseudo-header, and port). Nothing is
 * written for a field that already holds the new value.
 */
function rewrite(b: Uint8Array, ip: number, l4: number, addrOff: number, portOff: number, addr: number, port: number): void {
  const a = ip + addrOff;
  const oh = (b[a] << 8) | b[a + 1], ol = (b[a + 2] << 8) | b[a + 3];
  const nh = addr >>> 16, nl = addr & 0xffff;
  let d = 0;
  let changed = false;
  if (oh !== nh || ol !== nl) {
    d = (~oh & 0xffff) + (~ol & 0xffff) + nh + nl;
    adjust(b, ip + 10, d);
    b[a] = nh >>> 8; b[a + 1] = nh & 0xff; b[a + 2] = nl >>> 8; b[a + 3] = nl & 0xff;
    changed = true;
  }
  const p = l4 + portOff;
  const op = (b[p] << 8) | b[p + 1];
  if (op !== port) {
    d += (~op & 0xffff) + port;
    b[p] = port >>> 8; b[p + 1] = port & 0xff;
    changed = true;
  }
  if (changed) adjust(b, l4 + 16, d);
}
