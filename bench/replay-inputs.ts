// The replay benchmark's inputs on tmpfs: the generated captures and their cluster manifests
// (reused when the same generator made them with the same parameters), the manifest for
// scripts/gen-large-capture.mjs's traffic, the tcprewrite maps that stand for a manifest's
// Services, and a pcap record counter to check other tools' output.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'svcplane') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('replay bench: cannot find the svcplane repository root');
    dir = up;
  }
}

/** One generated capture and the manifest its packets are translated by. */
export interface ReplayInput {
  name: string;
  capture: string;
  cluster: string;
}

/** The three captures: 64-byte frames over 1k and 50k flows, and gen-large-capture's mixed sizes. */
export type InputName = '64b-1k' | '64b-50k' | 'mixed';

/**
 * Makes (or reuses) one input in `dir`. A sidecar `<name>.inputs.json` records the generator's
 * arguments and its sha256; the files are reused only when both match.
 */
export function ensureInput(dir: string, name: InputName, packets: number): ReplayInput {
  fs.mkdirSync(dir, { recursive: true });
  const capture = path.join(dir, `${name}.pcap`);
  const cluster = path.join(dir, `${name}.yaml`);
  const script = path.join(repoRoot(), 'scripts', name === 'mixed' ? 'gen-large-capture.mjs' : 'gen-replay-capture.mjs');
  const args = name === 'mixed'
    ? ['--packets', String(packets), '--seed', '1']
    : ['--packets', String(packets), '--flows', name === '64b-1k' ? '1000' : '50000', '--seed', '1', '--cluster', cluster];
  const key = JSON.stringify({ script: path.basename(script), args, sha256: sha256(script) });
  const sidecar = path.join(dir, `${name}.inputs.json`);
  const fresh = fs.existsSync(capture) && fs.existsSync(cluster) && fs.existsSync(sidecar) && fs.readFileSync(sidecar, 'utf8') === key;
  if (!fresh) {
    fs.rmSync(sidecar, { force: true });
    process.stderr.write(`replay bench: generating ${capture}\n`);
    const r = spawnSync(process.execPath, [script, capture, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`replay bench: ${script} ${args.join(' ')} failed`);
    if (name === 'mixed') fs.writeFileSync(cluster, mixedManifest());
    fs.writeFileSync(sidecar, key);
  }
  return { name, capture, cluster };
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The Services gen-large-capture.mjs sends to: 10.96.0.10 .. 10.96.0.25, each with TCP :80,
 * TCP :443 and UDP :53, 3 backends each in 10.244.100+s.0/24 (clear of its clients in
 * 10.244.0-4.x, so nothing is hairpin-masqueraded).
 */
export function mixedManifest(): string {
  const lines = ['apiVersion: v1', 'kind: List', 'items:'];
  const ports = [
    { name: 'http', port: 80, protocol: 'TCP', target: 8080 },
    { name: 'https', port: 443, protocol: 'TCP', target: 8443 },
    { name: 'dns', port: 53, protocol: 'UDP', target: 5353 },
  ];
  for (let s = 0; s < 16; s++) {
    const name = `svc-${s}`;
    const vip = `10.96.0.${10 + s}`;
    lines.push('- apiVersion: v1', '  kind: Service', '  metadata:', `    name: ${name}`, '    namespace: bench', '  spec:',
      '    type: ClusterIP', `    clusterIP: ${vip}`, `    clusterIPs: [${vip}]`, '    ipFamilies: [IPv4]', '    ports:');
    for (const p of ports) lines.push(`    - name: ${p.name}`, `      port: ${p.port}`, `      protocol: ${p.protocol}`, `      targetPort: ${p.target}`);
    lines.push('- apiVersion: discovery.k8s.io/v1', '  kind: EndpointSlice', '  metadata:', `    name: ${name}-1`, '    namespace: bench',
      '    labels:', `      kubernetes.io/service-name: ${name}`, '  addressType: IPv4', '  endpoints:');
    for (let b = 1; b <= 3; b++) {
      lines.push(`  - addresses: [10.244.${100 + s}.${b}]`, '    conditions: {ready: true, serving: true, terminating: false}');
    }
    lines.push('  ports:');
    for (const p of ports) lines.push(`  - name: ${p.name}`, `    port: ${p.target}`, `    protocol: ${p.protocol}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * tcprewrite's stateless stand-in for a manifest's Services: each ClusterIP to its first
 * backend (--dstipmap) and each Service port to its EndpointSlice port (--portmap).
 */
export function tcprewriteMaps(clusterYaml: string): string[] {
  const items: any[] = [];
  for (const doc of parseAllDocuments(fs.readFileSync(clusterYaml, 'utf8'))) {
    const o = doc.toJS();
    if (o?.kind === 'List') items.push(...o.items);
    else if (o) items.push(o);
  }
  const ipMap: string[] = [];
  const portMap = new Map<number, number>();
  for (const svc of items.filter((o) => o.kind === 'Service')) {
    const slice = items.find((o) => o.kind === 'EndpointSlice' && o.metadata.namespace === svc.metadata.namespace &&
      o.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
    if (!slice) continue;
    ipMap.push(`${svc.spec.clusterIP}/32:${slice.endpoints[0].addresses[0]}/32`);
    for (const p of svc.spec.ports) {
      const target = slice.ports.find((sp: any) => sp.name === p.name && sp.protocol === p.protocol);
      if (target && !portMap.has(p.port)) portMap.set(p.port, target.port);
    }
  }
  return [`--dstipmap=${ipMap.join(',')}`, `--portmap=${[...portMap].map(([a, b]) => `${a}:${b}`).join(',')}`];
}

/** Packet records in a classic pcap (either byte order), walking the record headers only. */
export function countPcapRecords(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(24);
    if (fs.readSync(fd, head, 0, 24, 0) !== 24) throw new Error(`${file}: no pcap header`);
    const magic = head.readUInt32LE(0);
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    if (!le && head.readUInt32BE(0) !== 0xa1b2c3d4 && head.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap`);
    // Read in 1 MiB chunks; `at` is the next record header's file offset.
    const size = fs.fstatSync(fd).size;
    const chunk = Buffer.alloc(1 << 20);
    let chunkAt = 0;
    let chunkLen = 0;
    let at = 24;
    let n = 0;
    while (at + 16 <= size) {
      if (at + 16 > chunkAt + chunkLen) {
        chunkAt = at;
        chunkLen = fs.readSync(fd, chunk, 0, chunk.length, at);
      }
      const o = at - chunkAt;
      at += 16 + (le ? chunk.readUInt32LE(o + 8) : chunk.readUInt32BE(o + 8));
      n++;
    }
    if (at !== size) throw new Error(`${file}: last record cut short`);
    return n;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Splits a classic little-endian pcap of Ethernet/IPv4 frames (the 64b inputs) into `n` captures,
 * a client's packets in share (last byte of the source address) mod n. Reused while the input is
 * unchanged. Returns the shares' paths.
 */
export function splitByClient(capture: string, n: number): string[] {
  const shares = Array.from({ length: n }, (_, k) => capture.replace(/\.pcap$/, `.share-${k}-of-${n}.pcap`));
  const st = fs.statSync(capture);
  const key = JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, n });
  const sidecar = capture.replace(/\.pcap$/, `.shares-of-${n}.json`);
  if (shares.every((f) => fs.existsSync(f)) && fs.existsSync(sidecar) && fs.readFileSync(sidecar, 'utf8') === key) return shares;
  fs.rmSync(sidecar, { force: true });
  const b = fs.readFileSync(capture);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) throw new Error(`${capture}: not a little-endian Ethernet pcap`);
  // Source address's last byte: Ethernet header 14, IPv4 source at 12.
  const SRC_LAST = 16 + 14 + 15;
  const shareOf = (at: number): number => b[at + SRC_LAST]! % n;
  const sizes = new Array<number>(n).fill(24);
  for (let at = 24; at + 16 <= b.length; at += 16 + b.readUInt32LE(at + 8)) sizes[shareOf(at)]! += 16 + b.readUInt32LE(at + 8);
  const outs = sizes.map((s) => Buffer.allocUnsafe(s));
  const fill = new Array<number>(n).fill(24);
  for (const o of outs) b.copy(o, 0, 0, 24);
  for (let at = 24; at + 16 <= b.length;) {
    const len = 16 + b.readUInt32LE(at + 8);
    const k = shareOf(at);
    b.copy(outs[k]!, fill[k]!, at, at + len);
    fill[k]! += len;
    at += len;
  }
  outs.forEach((o, k) => fs.writeFileSync(shares[k]!, o));
  fs.writeFileSync(sidecar, key);
  return shares;
}
