// Packets for the core fuzzer: well-formed seeds of every shape the parser knows (TCP, UDP,
// SCTP, ICMP echo and errors, IPv4 options and fragments, IPv6 extension headers and
// fragments; Ethernet with VLAN/QinQ tags, SLL, SLL2, RAW, IPv4/IPv6, NULL and LOOP links),
// aimed at the fuzz cluster's frontends and backends and at replies to what the core
// translated earlier; then mutated (bit flips, byte sets, truncation, length-field edits,
// splices) or replaced by random bytes.

import { Rng } from './rng.js';
import { BACKENDS, CLIENTS4, CLIENTS6, FRONTENDS, NODE_IP4, NODE_IP6, type Endpoint } from './cluster.js';
import {
  LINK_EN10MB, LINK_IPV4, LINK_IPV6, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_LOOP, LINK_NULL, LINK_RAW,
} from '../../src/core/abi.js';

export interface FuzzPacket {
  bytes: Uint8Array;
  link: number;
  /** Original length (>= bytes.length). */
  wirelen: number;
}

const PROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;
const ICMP4 = 1;
const ICMP6 = 58;

// ---------------------------------------------------------------------------
// Addresses and checksums

const addrCache = new Map<string, Uint8Array>();
export function addrBytes(text: string): Uint8Array {
  let b = addrCache.get(text);
  if (b) return b;
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail ? tail.split(':') : [];
    const groups = tail !== undefined ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    b = new Uint8Array(16);
    groups.forEach((g, i) => { const v = parseInt(g, 16); b![i * 2] = v >> 8; b![i * 2 + 1] = v & 0xff; });
  } else b = Uint8Array.from(text.split('.').map(Number));
  addrCache.set(text, b);
  return b;
}

function put16(b: Uint8Array, o: number, v: number): void { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; }
function put32(b: Uint8Array, o: number, v: number): void { put16(b, o, v >>> 16); put16(b, o + 2, v & 0xffff); }
export function get16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

const CRC32C = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC32C[n] = c >>> 0;
}
function crc32c(b: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32C[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (~c) >>> 0;
}

/** Fills the transport checksum of the L4 segment at `l4` of an IP packet (pseudo-header from `ip`). */
function fillL4Checksum(p: Uint8Array, ip: number, v6: boolean, proto: number, l4: number, end: number): void {
  if (proto === PROTO.SCTP) {
    put32(p, l4 + 8, 0);
    const c = crc32c(p, l4, end);
    p[l4 + 8] = c & 0xff; p[l4 + 9] = (c >>> 8) & 0xff; p[l4 + 10] = (c >>> 16) & 0xff; p[l4 + 11] = c >>> 24;
    return;
  }
  const off = proto === PROTO.TCP ? 16 : proto === PROTO.UDP ? 6 : 2;
  if (l4 + off + 2 > end) return;
  put16(p, l4 + off, 0);
  const len = end - l4;
  const pseudo = proto === ICMP4 ? 0 : v6 ? sum16(p, ip + 8, ip + 40) + len + proto : sum16(p, ip + 12, ip + 20) + len + proto;
  let c = ~fold(sum16(p, l4, end, pseudo)) & 0xffff;
  if (proto === PROTO.UDP && c === 0) c = 0xffff;
  put16(p, l4 + off, c);
}

// ---------------------------------------------------------------------------
// IP packets

export interface IpSpec {
  src: string; dst: string; proto: number;
  sport?: number; dport?: number;
  /** TCP flags byte. */
  flags?: number;
  payload?: number;
  /** ICMP / ICMPv6 type, code, and the quoted packet of an error. */
  icmpType?: number; icmpCode?: number; icmpId?: number; quoted?: Uint8Array;
  /** IPv4 option bytes (a multiple of 4, at most 40). */
  ipv4Options?: number;
  /** IPv6 extension headers before the transport (0 hop-by-hop, 43 routing, 60 destination options, 51 AH). */
  ext?: number[];
  udpZeroChecksum?: boolean;
  seq?: number; ack?: number; ipId?: number; ttl?: number;
}

/** The transport segment (header and payload pattern) of a spec. */
function transport(s: IpSpec, r: Rng): Uint8Array {
  const pay = s.payload ?? 0;
  let l4: Uint8Array;
  if (s.proto === PROTO.TCP) {
    const opt = r.chance(0.2) ? 4 : 0;
    l4 = new Uint8Array(20 + opt + pay);
    put16(l4, 0, s.sport ?? 0); put16(l4, 2, s.dport ?? 0);
    put32(l4, 4, s.seq ?? 1000); put32(l4, 8, s.ack ?? 0);
    l4[12] = ((20 + opt) / 4) << 4; l4[13] = s.flags ?? 0x02; put16(l4, 14, 65535);
    if (opt) { l4[20] = 2; l4[21] = 4; put16(l4, 22, 1460); }
  } else if (s.proto === PROTO.UDP) {
    l4 = new Uint8Array(8 + pay);
    put16(l4, 0, s.sport ?? 0); put16(l4, 2, s.dport ?? 0); put16(l4, 4, l4.length);
  } else if (s.proto === PROTO.SCTP) {
    // Common header and one chunk: INIT (type 1, tag 0 in the header) or DATA (type 0).
    const init = s.flags === 0x02;
    l4 = new Uint8Array(12 + 20 + pay);
    put16(l4, 0, s.sport ?? 0); put16(l4, 2, s.dport ?? 0); put32(l4, 4, init ? 0 : 0x01020304);
    l4[12] = init ? 1 : 0; put16(l4, 14, 20 + pay); put32(l4, 16, 0x0a0b0c0d);
  } else {
    const q = s.quoted ?? new Uint8Array(0);
    l4 = new Uint8Array(8 + q.length + (s.quoted ? 0 : pay));
    l4[0] = s.icmpType ?? (s.proto === ICMP4 ? 8 : 128); l4[1] = s.icmpCode ?? 0;
    if (s.quoted) { l4.set(q, 8); if (l4[0] === 3 && l4[1] === 4) put16(l4, 6, 1400); if (l4[0] === 2) put32(l4, 4, 1280); }
    else { put16(l4, 4, s.icmpId ?? 1); put16(l4, 6, 1); }
  }
  for (let i = l4.length - pay; i < l4.length; i++) l4[i] = (i * 7 + 3) & 0xff;
  return l4;
}

/** An IP packet (no link header) with valid checksums. */
export function buildIp(s: IpSpec, r: Rng): Uint8Array {
  const v6 = s.src.includes(':');
  const l4 = transport(s, r);
  if (!v6) {
    const opt = s.ipv4Options ?? 0;
    const hl = 20 + opt;
    const p = new Uint8Array(hl + l4.length);
    p[0] = 0x40 | (hl >> 2); put16(p, 2, p.length); put16(p, 4, s.ipId ?? 1); put16(p, 6, 0x4000);
    p[8] = s.ttl ?? 64; p[9] = s.proto; p.set(addrBytes(s.src), 12); p.set(addrBytes(s.dst), 16);
    for (let i = 20; i < hl; i++) p[i] = 1; // NOP options
    if (opt >= 4) p[hl - 1] = 0; // end of options list
    p.set(l4, hl);
    if (!(s.proto === PROTO.UDP && s.udpZeroChecksum)) fillL4Checksum(p, 0, false, s.proto, hl, p.length);
    put16(p, 10, ~fold(sum16(p, 0, hl)) & 0xffff);
    return p;
  }
  const ext = s.ext ?? [];
  let extLen = 0;
  for (const e of ext) extLen += e === 51 ? 16 : 8;
  const p = new Uint8Array(40 + extLen + l4.length);
  p[0] = 0x60; put16(p, 4, extLen + l4.length); p[7] = s.ttl ?? 64;
  p.set(addrBytes(s.src), 8); p.set(addrBytes(s.dst), 24);
  let nextAt = 6;
  let o = 40;
  for (const e of ext) {
    p[nextAt] = e;
    nextAt = o;
    if (e === 51) { p[o + 1] = 2; o += 16; } // AH: length in 4-byte units minus 2
    else {
      if (e === 43) { p[o + 2] = 0; p[o + 3] = 0; } // routing type 0, no segments left
      else { p[o + 2] = 1; p[o + 3] = 4; } // PadN option filling the header
      o += 8;
    }
  }
  p[nextAt] = s.proto;
  p.set(l4, o);
  if (!(s.proto === PROTO.UDP && s.udpZeroChecksum)) fillL4Checksum(p, 0, true, s.proto, o, p.length);
  return p;
}

/** Splits an IP packet into fragments of about `size` bytes of payload (IPv4 flags/offset, or an IPv6 fragment header). */
export function fragment(ip: Uint8Array, size: number, id: number): Uint8Array[] {
  const v6 = ip[0] >> 4 === 6;
  const hl = v6 ? 40 : (ip[0] & 0xf) * 4;
  const payload = ip.subarray(hl);
  const step = Math.max(8, size & ~7);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += step) {
    const part = payload.subarray(off, Math.min(payload.length, off + step));
    const more = off + step < payload.length ? 1 : 0;
    if (!v6) {
      const f = new Uint8Array(hl + part.length);
      f.set(ip.subarray(0, hl)); f.set(part, hl);
      put16(f, 2, f.length); put16(f, 4, id); put16(f, 6, (more << 13) | (off >> 3));
      put16(f, 10, 0); put16(f, 10, ~fold(sum16(f, 0, hl)) & 0xffff);
      out.push(f);
    } else {
      const f = new Uint8Array(48 + part.length);
      f.set(ip.subarray(0, 40));
      f[6] = 44; put16(f, 4, 8 + part.length);
      f[40] = ip[6]; put16(f, 42, off | more); put32(f, 44, id);
      f.set(part, 48);
      out.push(f);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Links

/** Wraps an IP packet (or any payload, with `etherType`) in a link header of `link`. */
export function wrap(ip: Uint8Array, link: number, r: Rng, etherType?: number): Uint8Array {
  const v6 = ip.length > 0 && ip[0] >> 4 === 6;
  const et = etherType ?? (v6 ? 0x86dd : 0x0800);
  let head: Uint8Array;
  switch (link) {
    case LINK_EN10MB: {
      const tags = r.chance(0.8) ? 0 : r.chance(0.6) ? 1 : 2;
      head = new Uint8Array(14 + tags * 4);
      head.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
      let o = 12;
      for (let t = 0; t < tags; t++) {
        put16(head, o, tags === 2 && t === 0 ? (r.chance(0.8) ? 0x88a8 : 0x9100) : 0x8100);
        put16(head, o + 2, r.int(4096));
        o += 4;
      }
      put16(head, o, et);
      break;
    }
    case LINK_LINUX_SLL:
      head = new Uint8Array(16);
      put16(head, 0, r.pick([0, 4])); put16(head, 2, 1); put16(head, 4, 6); head.set([2, 0, 0, 0, 0, 9], 6);
      put16(head, 14, et);
      break;
    case LINK_LINUX_SLL2:
      head = new Uint8Array(20);
      put16(head, 0, et); put32(head, 4, 3); put16(head, 8, 1); head[10] = r.pick([0, 4]); head[11] = 6;
      head.set([2, 0, 0, 0, 0, 9], 12);
      break;
    case LINK_NULL:
    case LINK_LOOP: {
      const af = v6 ? r.pick([24, 28, 30, 10]) : 2;
      head = new Uint8Array(4);
      if (link === LINK_LOOP || r.chance(0.3)) put32(head, 0, af);
      else head[0] = af;
      break;
    }
    default:
      return ip;
  }
  const out = new Uint8Array(head.length + ip.length);
  out.set(head); out.set(ip, head.length);
  return out;
}

const LINKS = [LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_EN10MB, LINK_RAW, LINK_IPV4, LINK_IPV6, LINK_LINUX_SLL,
  LINK_LINUX_SLL2, LINK_NULL, LINK_LOOP];
const ODD_LINKS = [2, 9, 105, 127, 147, 0xffff, 0x7fffffff];

/** Where the IP header starts in a frame built by wrap (for length-field edits). */
function l3Offset(b: Uint8Array, link: number): number {
  switch (link) {
    case LINK_EN10MB: {
      let o = 12;
      while (o + 2 <= b.length && [0x8100, 0x88a8, 0x9100].includes(get16(b, o))) o += 4;
      return o + 2;
    }
    case LINK_LINUX_SLL: return 16;
    case LINK_LINUX_SLL2: return 20;
    case LINK_NULL: case LINK_LOOP: return 4;
    default: return 0;
  }
}

// ---------------------------------------------------------------------------
// The generator

const TCP_FLAGS = [0x02, 0x02, 0x10, 0x18, 0x12, 0x11, 0x04, 0x14, 0x01, 0x00, 0x3f, 0xc2];

/** A translated packet the core emitted, reduced to what a reply needs. */
interface Seen { ip: Uint8Array }

export interface GeneratorStats { structured: number; random: number; mutated: number; replies: number; icmpErrors: number; fragments: number }

export class PacketGenerator {
  private queue: FuzzPacket[] = [];
  /** IP packets the core translated lately (newest last), to answer and to quote in ICMP errors. */
  private seen: Seen[] = [];
  /** Well-formed frames made so far (a ring), spliced into mutants. */
  private recent: Uint8Array[] = [];
  readonly stats: GeneratorStats = { structured: 0, random: 0, mutated: 0, replies: 0, icmpErrors: 0, fragments: 0 };

  constructor(private readonly r: Rng) {}

  /** Records a packet the core translated (its IP header onwards), for replies and ICMP errors. */
  observe(ip: Uint8Array): void {
    if (this.seen.length >= 512) this.seen[this.r.int(512)] = { ip: ip.slice() };
    else this.seen.push({ ip: ip.slice() });
  }

  next(): FuzzPacket {
    const q = this.queue.shift();
    if (q) return q;
    const r = this.r;
    const roll = r.next();
    if (roll < 0.06) {
      this.stats.random++;
      const n = r.chance(0.5) ? r.int(80) : r.int(1600);
      const b = r.bytes(n);
      if (r.chance(0.5) && n > 20) { b[0] = r.pick([0x45, 0x46, 0x4f, 0x60, 0x40]); }
      return { bytes: b, link: r.chance(0.9) ? r.pick(LINKS) : r.pick(ODD_LINKS), wirelen: n + (r.chance(0.1) ? r.int(3000) : 0) };
    }
    this.scenario();
    const p = this.queue.shift()!;
    if (roll < 0.45) {
      this.stats.mutated++;
      return this.mutate(p);
    }
    return p;
  }

  private push(ip: Uint8Array, link?: number, etherType?: number): void {
    const r = this.r;
    const lk = link ?? r.pick(LINKS);
    const v6 = ip.length > 0 && ip[0] >> 4 === 6;
    // The IPv4/IPv6 link types carry only their own family.
    const ok = lk === LINK_IPV4 ? (v6 ? LINK_IPV6 : lk) : lk === LINK_IPV6 ? (v6 ? lk : LINK_IPV4) : lk;
    const bytes = wrap(ip, ok, r, etherType);
    this.stats.structured++;
    if (this.recent.length < 64) this.recent.push(bytes);
    else this.recent[r.int(64)] = bytes;
    this.queue.push({ bytes, link: ok, wirelen: bytes.length });
  }

  private clientFlow(): { ep: Endpoint; src: string; sport: number } {
    const r = this.r;
    const ep = r.pick(FRONTENDS);
    const v6 = ep.addr.includes(':');
    const src = v6 ? r.pick(CLIENTS6) : r.pick(CLIENTS4);
    // Few source ports, so flows repeat and conntrack sees established traffic.
    const sport = r.chance(0.8) ? 1000 + r.int(24) : r.range(1, 65535);
    return { ep, src, sport };
  }

  private scenario(): void {
    const r = this.r;
    const roll = r.next();
    if (roll < 0.35) {
      // A client to a frontend: a connection's packets in order, or one packet.
      const { ep, src, sport } = this.clientFlow();
      const proto = PROTO[ep.proto];
      const steps = r.chance(0.4) ? [0x02, 0x10, 0x18, 0x11] : [r.pick(TCP_FLAGS)];
      for (const flags of steps) {
        this.push(buildIp({ src, dst: ep.addr, proto, sport, dport: ep.port, flags, payload: r.int(3) === 0 ? 0 : r.int(200),
          udpZeroChecksum: r.chance(0.1), ipv4Options: r.chance(0.05) ? 4 * r.range(1, 10) : 0,
          ext: ep.addr.includes(':') && r.chance(0.2) ? this.extHeaders() : undefined, seq: r.int(1 << 30), ipId: r.int(65536) }, r));
      }
    } else if (roll < 0.55 && this.seen.length) {
      // A reply to something the core translated: addresses and ports swapped (checksums stay valid).
      this.stats.replies++;
      const ip = r.pick(this.seen).ip.slice();
      this.reply(ip);
      if (r.chance(0.8)) this.push(ip);
      else this.push(buildIcmpAbout(ip, r));
    } else if (roll < 0.65) {
      // A backend answering a client directly, or the node's masquerade ports.
      const b = r.pick(BACKENDS);
      const v6 = b.addr.includes(':');
      const dst = r.chance(0.5) ? (v6 ? NODE_IP6 : NODE_IP4) : v6 ? r.pick(CLIENTS6) : r.pick(CLIENTS4);
      const dport = dst === NODE_IP4 || dst === NODE_IP6 ? r.range(40000, 40520) : 1000 + r.int(24);
      this.push(buildIp({ src: b.addr, dst, proto: PROTO[b.proto], sport: b.port, dport, flags: r.pick([0x12, 0x10, 0x11, 0x04]), payload: r.int(100) }, r));
    } else if (roll < 0.75) {
      // An ICMP error quoting a packet toward a Service or from a backend.
      this.stats.icmpErrors++;
      const seen = this.seen.length && r.chance(0.6) ? r.pick(this.seen).ip : undefined;
      const { ep, src, sport } = this.clientFlow();
      const inner = seen ?? buildIp({ src, dst: ep.addr, proto: PROTO[ep.proto], sport, dport: ep.port, payload: 8 }, r);
      this.push(buildIcmpAbout(inner, r, r.chance(0.5)));
    } else if (roll < 0.85) {
      // Fragments, in order or not, sometimes with one missing.
      this.stats.fragments++;
      const { ep, src, sport } = this.clientFlow();
      const ip = buildIp({ src, dst: ep.addr, proto: PROTO[ep.proto], sport, dport: ep.port, flags: 0x18, payload: 100 + r.int(1200),
        ext: ep.addr.includes(':') && r.chance(0.3) ? this.extHeaders() : undefined }, r);
      const frags = fragment(ip, r.pick([8, 16, 64, 256, 512, 1024]), r.int(65536));
      if (r.chance(0.3)) frags.reverse();
      if (r.chance(0.2) && frags.length > 1) frags.splice(r.int(frags.length), 1);
      const link = r.pick(LINKS);
      for (const f of frags.slice(0, 12)) this.push(f, link);
    } else if (roll < 0.9) {
      // ICMP echo to and from Services and the node.
      const v6 = r.chance(0.3);
      const dst = v6 ? r.pick(['fd00:96::10', NODE_IP6, 'fd00:244:1::8']) : r.pick(['10.96.0.10', '10.96.0.30', NODE_IP4, '10.244.1.5']);
      const src = v6 ? r.pick(CLIENTS6) : r.pick(CLIENTS4);
      this.push(buildIp({ src, dst, proto: v6 ? ICMP6 : ICMP4, icmpType: r.pick(v6 ? [128, 129, 135, 136] : [8, 0, 13]), icmpId: r.int(65536), payload: r.int(64) }, r));
    } else if (roll < 0.95) {
      // Other network and transport protocols.
      const p = buildIp({ src: r.pick(CLIENTS4), dst: r.pick(['10.96.0.10', NODE_IP4]), proto: r.pick([2, 47, 50, 89, 255]), payload: r.int(64) }, r);
      p[9] = r.pick([2, 47, 50, 89, 255, 0, 4, 41]);
      if (r.chance(0.5)) this.push(p);
      else this.push(r.bytes(r.range(28, 60)), LINK_EN10MB, r.pick([0x0806, 0x88cc, 0x8847, 0x0842]));
    } else {
      // IPv6 with a chain of extension headers in front of the transport.
      const { ep, src, sport } = this.clientFlow();
      const v6 = ep.addr.includes(':');
      this.push(buildIp({ src: v6 ? src : r.pick(CLIENTS6), dst: v6 ? ep.addr : 'fd00:96::10', proto: PROTO[ep.proto], sport, dport: v6 ? ep.port : 443,
        flags: 0x02, payload: r.int(50), ext: this.extHeaders(r.range(1, 10)) }, r));
    }
  }

  private extHeaders(n = this.r.range(1, 3)): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.r.pick([0, 43, 60, 60, 51]));
    return out;
  }

  /** Swaps source and destination addresses and ports of an IP packet in place. */
  private reply(ip: Uint8Array): void {
    const v6 = ip[0] >> 4 === 6;
    const [a, n] = v6 ? [8, 16] : [12, 4];
    for (let i = 0; i < n; i++) { const t = ip[a + i]; ip[a + i] = ip[a + n + i]; ip[a + n + i] = t; }
    const hl = v6 ? 40 : (ip[0] & 0xf) * 4;
    const proto = v6 ? ip[6] : ip[9];
    if ((proto === 6 || proto === 17 || proto === 132) && ip.length >= hl + 4) {
      for (let i = 0; i < 2; i++) { const t = ip[hl + i]; ip[hl + i] = ip[hl + 2 + i]; ip[hl + 2 + i] = t; }
      if (proto === 6 && ip.length >= hl + 14) ip[hl + 13] = this.r.pick([0x12, 0x10, 0x11, 0x04, 0x18]);
      if (proto === 132 && ip.length >= hl + 12) fillL4Checksum(ip, 0, v6, proto, hl, ip.length);
    }
  }

  /** One of: bit flips, byte sets, a truncation, a length-field edit, a splice; sometimes several. */
  private mutate(p: FuzzPacket): FuzzPacket {
    const r = this.r;
    let b = p.bytes.slice();
    let wirelen = p.wirelen;
    let link = p.link;
    const rounds = r.chance(0.7) ? 1 : r.range(2, 5);
    for (let k = 0; k < rounds; k++) {
      const m = r.int(8);
      if (m === 0 && b.length) { for (let f = r.range(1, 4); f > 0; f--) { const i = r.int(b.length); b[i] ^= 1 << r.int(8); } }
      else if (m === 1 && b.length) { for (let f = r.range(1, 4); f > 0; f--) b[r.int(b.length)] = r.pick([0, 0xff, 0x7f, 0x80, r.byte()]); }
      else if (m === 2) { b = b.slice(0, r.int(b.length + 1)); if (r.chance(0.5)) wirelen = Math.max(wirelen, b.length); }
      else if (m === 3 || m === 4) this.editLength(b, link);
      else if (m === 5 && this.recent.length) {
        // Splice: this frame's head and another's tail.
        const o = r.pick(this.recent);
        const cut = r.int(b.length + 1);
        const from = r.int(o.length + 1);
        const s = new Uint8Array(cut + o.length - from);
        s.set(b.subarray(0, cut)); s.set(o.subarray(from), cut);
        b = s;
      } else if (m === 6 && b.length) {
        // Bytes set around the headers, where the parser decides most.
        const l3 = l3Offset(b, link);
        const i = Math.min(b.length - 1, l3 + r.int(64));
        b[i] = r.byte();
      } else if (m === 7) link = r.chance(0.8) ? r.pick(LINKS) : r.pick(ODD_LINKS);
    }
    if (r.chance(0.1)) wirelen = b.length + r.int(2000);
    return { bytes: b, link, wirelen: Math.max(wirelen, b.length) };
  }

  /** Sets one length field (IPv4 IHL or total length, IPv6 payload length or next header, UDP length, TCP data offset) to an edge value. */
  private editLength(b: Uint8Array, link: number): void {
    const r = this.r;
    const l3 = l3Offset(b, link);
    if (l3 >= b.length) return;
    const v6 = b[l3] >> 4 === 6;
    const edge = () => r.pick([0, 1, 7, 8, 19, 20, 21, 39, 40, 41, 0xffff, b.length - l3, b.length - l3 + 1, b.length - l3 - 1, r.int(65536)]) & 0xffff;
    if (v6) {
      const f = r.int(3);
      if (f === 0 && l3 + 6 <= b.length) put16(b, l3 + 4, edge());
      else if (f === 1 && l3 + 7 <= b.length) b[l3 + 6] = r.pick([0, 43, 44, 60, 51, 59, 6, 17, 58, 132, 50]);
      else this.editL4(b, l3 + 40, b[l3 + 6]);
    } else {
      const f = r.int(3);
      if (f === 0) b[l3] = 0x40 | r.int(16);
      else if (f === 1 && l3 + 4 <= b.length) put16(b, l3 + 2, edge());
      else if (l3 + 10 <= b.length) this.editL4(b, l3 + (b[l3] & 0xf) * 4, b[l3 + 9]);
    }
  }

  private editL4(b: Uint8Array, l4: number, proto: number): void {
    const r = this.r;
    if (proto === 17 && l4 + 6 <= b.length) put16(b, l4 + 4, r.pick([0, 1, 7, 8, 9, b.length - l4, b.length - l4 + 1, 0xffff]) & 0xffff);
    else if (proto === 6 && l4 + 13 <= b.length) b[l4 + 12] = (r.int(16) << 4) | (b[l4 + 12] & 0xf);
    else if (l4 + 2 <= b.length) b[l4 + r.int(2)] = r.byte();
  }
}

/** An ICMP (IPv4) or ICMPv6 error about `inner`, sent back to its source by a router or the node. */
function buildIcmpAbout(inner: Uint8Array, r: Rng, cut = false): Uint8Array {
  const v6 = inner[0] >> 4 === 6;
  const src = v6 ? inner.subarray(8, 24) : inner.subarray(12, 16);
  const srcText = v6 ? ip6Text(src) : Array.from(src).join('.');
  const from = r.chance(0.3) ? (v6 ? NODE_IP6 : NODE_IP4) : v6 ? '2001:db8::1' : '10.1.1.1';
  const quoted = cut ? inner.slice(0, Math.min(inner.length, r.pick([8, 20, 28, 40, 48, 64]))) : inner.slice(0, Math.min(inner.length, v6 ? 1232 : 548));
  const [type, code] = v6 ? r.pick([[1, 4], [1, 0], [2, 0], [3, 0], [4, 1]]) : r.pick([[3, 3], [3, 4], [3, 1], [11, 0], [12, 0], [5, 1]]);
  return buildIp({ src: from, dst: srcText, proto: v6 ? ICMP6 : ICMP4, icmpType: type, icmpCode: code, quoted }, r);
}

function ip6Text(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  return g.join(':');
}
