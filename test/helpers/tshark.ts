// tshark / capinfos as an independent oracle for captures, for unit and end-to-end tests.
//
//   if (!hasTshark()) skip;
//   const recs = tsharkRecords('out.pcapng');          // one entry per packet
//   const rows = tsharkFields('x.pcap', ['ip.src', 'tcp.dstport']).rows;
//
// tshark runs with name resolution off, a throw-away configuration directory (it writes no
// profile of the user's) and no preferences beyond the defaults.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let configDir: string | undefined;
let available: boolean | undefined;

function env(): NodeJS.ProcessEnv {
  configDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'svcplane-wireshark-'));
  return { ...process.env, WIRESHARK_CONFIG_DIR: configDir, HOME: configDir, LC_ALL: 'C', TZ: 'UTC' };
}

/** True when tshark (and so capinfos, from the same package) can be run. */
export function hasTshark(): boolean {
  if (available === undefined) {
    const r = spawnSync('tshark', ['--version'], { env: env(), encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

export interface TsharkFieldsOptions {
  /** Display filter (-Y). */
  filter?: string;
  /** More tshark arguments, placed before -T fields. */
  extraArgs?: string[];
  /** Accept a non-zero exit status (a file tshark reads only in part); default false. */
  allowFailure?: boolean;
}

export interface TsharkFieldsResult {
  /** One row per record, one string per requested field ('' when absent). */
  rows: string[][];
  status: number;
  stderr: string;
}

/** Runs `tshark -r file -T fields -e f1 -e f2 ...` and splits its output. */
export function tsharkFields(file: string, fields: readonly string[], opts: TsharkFieldsOptions = {}): TsharkFieldsResult {
  const args = ['-n', '-r', file, ...(opts.filter ? ['-Y', opts.filter] : []), ...(opts.extraArgs ?? [])];
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', '-E', 'quote=n');
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { env: env(), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return fieldsResult(file, fields, r.status ?? -1, r.stdout, r.stderr, opts.allowFailure ?? false);
}

/** Splits `tshark -T fields` output into rows (padded to the fields asked for); throws on failure unless allowed. */
export function fieldsResult(file: string, fields: readonly string[], status: number, stdout: string, rawStderr: string,
                             allowFailure: boolean): TsharkFieldsResult {
  const stderr = stripNoise(rawStderr);
  if (status !== 0 && !allowFailure) {
    throw new Error(`tshark -r ${file} exited with ${status}: ${stderr.trim()}`);
  }
  const rows: string[][] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    while (cols.length < fields.length) cols.push('');
    rows.push(cols);
  }
  return { rows, status, stderr };
}

/** One packet as tshark sees it. */
export interface TsharkRecord {
  /** 1-based frame number among all records tshark lists (pcapng custom blocks included). */
  frame: number;
  /** Captured length (frame.cap_len). */
  caplen: number;
  /** Length on the wire (frame.len). */
  len: number;
  /** Time since the epoch in ns; undefined for records without a time (pcapng SPB). */
  epochNs: bigint | undefined;
  /** pcapng interface ID within its section (pcap: 0). */
  iface: number | undefined;
  /** pcapng section number, 1-based (pcap: 1). */
  section: number | undefined;
  /** Wireshark's encapsulation number (WTAP_ENCAP_*), not the link type. */
  encap: number | undefined;
  /** The LINKTYPE_* number for `encap`, when known (see WTAP_ENCAP_TO_LINKTYPE). */
  linkType: number | undefined;
}

export interface TsharkRecordsResult {
  records: TsharkRecord[];
  status: number;
  stderr: string;
}

export const RECORD_FIELDS = [
  'frame.number',
  'frame.cap_len',
  'frame.len',
  'frame.time_epoch',
  'frame.interface_id',
  'frame.section_number',
  'frame.encap_type',
  'frame.cb_pen',
] as const;

/**
 * The packets of a capture, in order, as tshark reads them. Records that are not packets
 * (pcapng custom blocks, which tshark also lists) are left out. Throws when tshark fails
 * unless `allowFailure`: then see tsharkRecordsPartial.
 */
export function tsharkRecords(file: string, opts: { allowFailure?: boolean } = {}): TsharkRecord[] {
  return tsharkRecordsPartial(file, opts).records;
}

/** tsharkRecords, plus tshark's exit status and error output (for files it reads only in part). */
export function tsharkRecordsPartial(file: string, opts: { allowFailure?: boolean } = {}): TsharkRecordsResult {
  const r = tsharkFields(file, RECORD_FIELDS, { allowFailure: opts.allowFailure ?? false });
  return { records: recordsFromRows(r.rows), status: r.status, stderr: r.stderr };
}

/** Packet records from the rows of a RECORD_FIELDS query (custom blocks left out). */
export function recordsFromRows(rows: readonly string[][]): TsharkRecord[] {
  const records: TsharkRecord[] = [];
  for (const c of rows) {
    const [num, caplen, len, time, iface, section, encap, pen] = c as [string, string, string, string, string, string, string, string];
    if (pen !== '' || encap === '') continue; // a custom block, not a packet
    const e = Number(encap);
    records.push({
      frame: Number(num),
      caplen: Number(caplen),
      len: Number(len),
      epochNs: time === '' ? undefined : parseEpochNs(time),
      iface: iface === '' ? undefined : Number(iface),
      section: section === '' ? undefined : Number(section),
      encap: e,
      linkType: WTAP_ENCAP_TO_LINKTYPE.get(e),
    });
  }
  return records;
}

/**
 * Parses tshark's frame.time_epoch ("1418145370.052027262") to ns. tshark prints the
 * nanoseconds with %09d, so a fraction of more than 9 digits (a pcap record whose microseconds
 * are >= 1,000,000 gives "…370.1000000000") is a nanosecond count that carries into seconds.
 */
export function parseEpochNs(s: string): bigint {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const secs = BigInt(dot < 0 ? body : body.slice(0, dot));
  let frac = 0n;
  if (dot >= 0) {
    const f = body.slice(dot + 1);
    frac = f.length >= 9 ? BigInt(f) : BigInt(f.padEnd(9, '0'));
  }
  const v = secs * 1_000_000_000n + frac;
  return neg ? -v : v;
}

/** Wireshark encapsulation numbers (WTAP_ENCAP_*) of the link types svcplane cares about. */
export const WTAP_ENCAP_TO_LINKTYPE: ReadonlyMap<number, number> = new Map([
  [1, 1], // ETHERNET -> EN10MB
  [4, 9], // PPP -> PPP
  [7, 101], // RAW_IP -> RAW
  [15, 0], // NULL -> NULL
  [25, 113], // SLL -> LINUX_SLL
  [129, 228], // RAW_IP4 -> IPV4
  [130, 229], // RAW_IP6 -> IPV6
  [210, 276], // SLL2 -> LINUX_SLL2
  [174, 108], // LOOP -> LOOP
]);

/** What capinfos says about a capture (the fields tests need). */
export interface CapinfosInfo {
  /** 'pcap', 'pcapng', ... as capinfos names it ("File type"). */
  fileType: string;
  packets: number;
  /** "File encapsulation" ('ether', 'per-packet', ...). */
  encapsulation: string;
  /** "File timestamp precision" ('microseconds (6)', ...). */
  precision: string;
  /** Number of interfaces (pcapng). */
  interfaces: number;
  /** Every "Key: value" line, for anything else. */
  raw: Map<string, string>;
}

/** Runs `capinfos` on a file. Throws when capinfos fails. */
export function capinfos(file: string): CapinfosInfo {
  const r = spawnSync('capinfos', ['-M', file], { env: env(), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`capinfos ${file} exited with ${r.status}: ${stripNoise(r.stderr).trim()}`);
  const raw = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Za-z][^:]*?):\s+(.*)$/.exec(line);
    if (m && !raw.has(m[1]!)) raw.set(m[1]!, m[2]!.trim());
  }
  const numberOf = (k: string): number => Number((raw.get(k) ?? '0').replace(/[^0-9]/g, '') || 0);
  return {
    fileType: raw.get('File type') ?? '',
    packets: numberOf('Number of packets'),
    encapsulation: raw.get('File encapsulation') ?? '',
    precision: raw.get('File timestamp precision') ?? '',
    interfaces: numberOf('Number of interfaces in file'),
    raw,
  };
}

function stripNoise(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !l.startsWith('Running as user "root"'))
    .join('\n');
}
