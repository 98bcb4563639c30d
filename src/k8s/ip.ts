// IP addresses and CIDR prefixes for IPv4 and IPv6: parse, format in the
// canonical text form, compare, test containment. Pure functions over plain
// values; no dependency on the rest of svcplane.
//
// Canonical text: IPv4 dotted decimal without leading zeros; IPv6 as
// RFC 5952 section 4 (lower case, leading zeros of each group dropped, the
// longest run of two or more zero groups — the first one on a tie — written
// as "::"). This is what Go's net.IP.String() prints for non-mapped addresses,
// so it matches the strings kube-proxy builds its endpoint keys from.

export type IPFamily = 4 | 6;

/** An address: its family and its bytes in network order (4 or 16 of them). */
export interface IPAddress {
  family: IPFamily;
  bytes: Uint8Array;
}

/** A prefix: the masked network address and the prefix length in bits. */
export interface CIDR {
  family: IPFamily;
  /** Network address with every host bit cleared. */
  bytes: Uint8Array;
  prefixLength: number;
}

export interface ParseIPOptions {
  /**
   * Accept IPv4 parts with leading zeros, read as decimal ("010.001.002.003"
   * is 10.1.2.3), as Kubernetes' ParseIPSloppy does for objects stored before
   * validation became strict. Default false: such text is rejected.
   */
  sloppy?: boolean;
}

const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIPv4Into(text: string, out: Uint8Array, offset: number, sloppy: boolean): boolean {
  // A character loop: this runs for every endpoint of every Service loaded.
  let part = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits === 0) leadingZero = c === 48;
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
      continue;
    }
    if (c !== 46 || digits === 0 || part === 4) return false;
    if (!sloppy && leadingZero && digits > 1) return false;
    if (value > 255) return false;
    out[offset + part++] = value;
    value = 0;
    digits = 0;
  }
  return part === 4;
}

function parseIPv6(text: string, sloppy: boolean): Uint8Array | null {
  const bytes = new Uint8Array(16);
  const doubleColon = text.indexOf('::');
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return null;

  // Split into the groups before and after "::" (all of them when there is none).
  const head = doubleColon === -1 ? text : text.slice(0, doubleColon);
  const tail = doubleColon === -1 ? '' : text.slice(doubleColon + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');

  // An embedded IPv4 address may only be the very last group.
  // ("1.2.3.4::" is not an address: after "::" there must be something.)
  const all = doubleColon === -1 ? headGroups : tailGroups;
  let v4: Uint8Array | null = null;
  if (all.length > 0 && all[all.length - 1].includes('.')) {
    v4 = new Uint8Array(4);
    if (!parseIPv4Into(all[all.length - 1], v4, 0, sloppy)) return null;
    all.pop();
  }
  const groupsWanted = v4 ? 6 : 8;
  const given = headGroups.length + tailGroups.length;
  if (doubleColon === -1 ? given !== groupsWanted : given > groupsWanted - 1) return null;

  const words: number[] = [];
  for (const g of headGroups) {
    if (!IPV6_GROUP.test(g)) return null;
    words.push(parseInt(g, 16));
  }
  const fill = groupsWanted - given;
  for (let i = 0; i < fill; i++) words.push(0);
  for (const g of tailGroups) {
    if (!IPV6_GROUP.test(g)) return null;
    words.push(parseInt(g, 16));
  }
  for (let i = 0; i < words.length; i++) {
    bytes[i * 2] = words[i] >> 8;
    bytes[i * 2 + 1] = words[i] & 0xff;
  }
  if (v4) bytes.set(v4, 12);
  return bytes;
}

/**
 * Parses IPv4 or IPv6 address text. Returns null for anything that is not an
 * address (including zone suffixes like "%eth0", brackets, prefixes).
 */
export function parseIP(text: string, opts: ParseIPOptions = {}): IPAddress | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return null;
  const sloppy = opts.sloppy === true;
  if (text.includes(':')) {
    const bytes = parseIPv6(text, sloppy);
    return bytes ? { family: 6, bytes } : null;
  }
  const bytes = new Uint8Array(4);
  return parseIPv4Into(text, bytes, 0, sloppy) ? { family: 4, bytes } : null;
}

/**
 * Parses address text straight into `out` at `offset` (4 or 16 bytes),
 * allocating nothing for IPv4: for loops over many endpoints. Returns the
 * family, or 0 when the text is not an address.
 */
export function parseIPInto(text: string, out: Uint8Array, offset = 0): 0 | IPFamily {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return 0;
  if (!text.includes(':')) return parseIPv4Into(text, out, offset, false) ? 4 : 0;
  const bytes = parseIPv6(text, false);
  if (!bytes) return 0;
  out.set(bytes, offset);
  return 6;
}

/** The family of address text, or null when it is not an address. */
export function ipFamilyOf(text: string, opts: ParseIPOptions = {}): IPFamily | null {
  const ip = parseIP(text, opts);
  return ip ? ip.family : null;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Canonical text of an address (see the top of this file). */
export function formatIP(ip: IPAddress | Uint8Array): string {
  const bytes = ip instanceof Uint8Array ? ip : ip.bytes;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  if (isV4Mapped(bytes)) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;

  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // Longest run of zero words (length >= 2); the first one wins a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return words.map((w) => w.toString(16)).join(':');
  const left = words.slice(0, bestStart).map((w) => w.toString(16)).join(':');
  const right = words.slice(bestStart + bestLen).map((w) => w.toString(16)).join(':');
  return `${left}::${right}`;
}

/** Canonical text of address text, or null when it is not an address. */
export function canonicalIP(text: string, opts: ParseIPOptions = {}): string | null {
  const ip = parseIP(text, opts);
  return ip ? formatIP(ip) : null;
}

/** "ip:port", with IPv6 addresses in brackets ("[fd00::1]:80"), as Go's JoinHostPort. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Parses "address/prefix". Host bits may be set in the text (as Go's
 * net.ParseCIDR accepts); the result holds the masked network address.
 */
export function parseCIDR(text: string, opts: ParseIPOptions = {}): CIDR | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  if (slash === -1) return null;
  const ip = parseIP(text.slice(0, slash), opts);
  const lenText = text.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(lenText)) return null;
  if (lenText.length > 1 && lenText[0] === '0') return null;
  const prefixLength = Number(lenText);
  const bits = ip.bytes.length * 8;
  if (prefixLength > bits) return null;
  return { family: ip.family, bytes: maskBytes(ip.bytes, prefixLength), prefixLength };
}

function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefixLength - i * 8));
    const mask = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    out[i] = bytes[i] & mask;
  }
  return out;
}

/** Canonical text of a prefix: "10.96.0.0/12", "fd00:10:96::/112". */
export function formatCIDR(cidr: CIDR): string {
  return `${formatIP(cidr.bytes)}/${cidr.prefixLength}`;
}

/** Canonical text of prefix text, or null when it is not a prefix. */
export function canonicalCIDR(text: string, opts: ParseIPOptions = {}): string | null {
  const c = parseCIDR(text, opts);
  return c ? formatCIDR(c) : null;
}

/** True when the address lies inside the prefix (families must match). */
export function cidrContains(cidr: CIDR, ip: IPAddress | Uint8Array): boolean {
  const bytes = ip instanceof Uint8Array ? ip : ip.bytes;
  if (bytes.length !== cidr.bytes.length) return false;
  let remaining = cidr.prefixLength;
  for (let i = 0; i < bytes.length && remaining > 0; i++) {
    const bitsHere = Math.min(8, remaining);
    const mask = (0xff << (8 - bitsHere)) & 0xff;
    if ((bytes[i] & mask) !== cidr.bytes[i]) return false;
    remaining -= bitsHere;
  }
  return true;
}

/** Orders addresses: IPv4 before IPv6, then by bytes. */
export function compareIP(a: IPAddress, b: IPAddress): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i] - b.bytes[i];
  }
  return 0;
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(ip: IPAddress): boolean {
  if (ip.family === 4) return ip.bytes[0] === 127;
  for (let i = 0; i < 15; i++) if (ip.bytes[i] !== 0) return false;
  return ip.bytes[15] === 1;
}
