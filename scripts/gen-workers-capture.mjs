#!/usr/bin/env node
// Generates the --workers test capture: a deterministic classic pcap (little-endian, microseconds,
// EN10MB) of TCP flows that exercise every way packets of one connection must meet on one worker,
// and the matching cluster manifest. Plain JavaScript: runs without a build.
//
//   node scripts/gen-workers-capture.mjs <out.pcap> <out-cluster.yaml> [--flows F] [--seed S]
//
// Defaults: 100,000 flows, seed 1. Flows, in random interleaving, each a SYN, a reply from one of
// its Service's backends (SYN/ACK) and an ACK with 10 bytes:
//   60%  pod clients (10.244.1.0/16 upwards) → ClusterIP web 10.96.0.10:80 (kept source; replies to the client)
//   25%  outside clients (198.51.0.0/16) → NodePort 192.168.49.2:30080 of web (masqueraded; replies
//        to the node's port), source ports from a small range so masquerade ports clash
//   15%  outside clients, a few flows each → NodePort 30443 of sticky (ClientIP affinity, masqueraded)
// The reply's backend is a guess (flow number mod 3): when Maglev chose another, the reply passes
// untranslated, which the workers must agree on too. Replay with:
//   --node-ip 192.168.49.2 --cluster-cidr 10.244.0.0/16 --service-cidr 10.96.0.0/16
// Never commit the output.

import * as fs from 'node:fs';
import { xorshift32, ipNum, sum16, fold, PcapChunks, RECORD_HEADER_BYTES } from './lib/pcap-gen.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`gen-workers-capture: ${msg}\n`);
  process.stderr.write('usage: node scripts/gen-workers-capture.mjs <out.pcap> <out-cluster.yaml> [--flows F] [--seed S]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const files = [];
let flows = 100_000;
let seed = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--flows') flows = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length !== 2) usage('need the capture and the manifest paths');
if (!Number.isInteger(flows) || flows < 1 || flows > 1_000_000) usage('--flows must be an integer from 1 to 1000000');
const [out, clusterOut] = files;

const NODE_IP = '192.168.49.2';
const SERVICES = [
  { name: 'web', vip: '10.96.0.10', port: 80, nodePort: 30080, target: 8080, affinity: false, backends: ['10.244.201.1', '10.244.201.2', '10.244.201.3'] },
  { name: 'sticky', vip: '10.96.0.11', port: 443, nodePort: 30443, target: 8443, affinity: true, backends: ['10.244.202.1', '10.244.202.2', '10.244.202.3'] },
];

function manifest() {
  const l = ['apiVersion: v1', 'kind: List', 'items:',
    '- apiVersion: v1', '  kind: Node', '  metadata:', '    name: node-a', '  status:', '    addresses:', `    - {type: InternalIP, address: ${NODE_IP}}`];
  for (const s of SERVICES) {
    l.push('- apiVersion: v1', '  kind: Service', '  metadata:', `    name: ${s.name}`, '    namespace: wk', '  spec:', '    type: NodePort',
      `    clusterIP: ${s.vip}`, `    clusterIPs: [${s.vip}]`, '    ipFamilies: [IPv4]', '    externalTrafficPolicy: Cluster');
    if (s.affinity) l.push('    sessionAffinity: ClientIP', '    sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}');
    l.push('    ports:', '    - name: p', `      port: ${s.port}`, `      nodePort: ${s.nodePort}`, '      protocol: TCP', `      targetPort: ${s.target}`,
      '- apiVersion: discovery.k8s.io/v1', '  kind: EndpointSlice', '  metadata:', `    name: ${s.name}-1`, '    namespace: wk',
      '    labels:', `      kubernetes.io/service-name: ${s.name}`, '  addressType: IPv4', '  endpoints:');
    for (const b of s.backends) l.push(`  - addresses: [${b}]`, '    nodeName: node-a', '    conditions: {ready: true, serving: true, terminating: false}');
    l.push('  ports:', '  - name: p', `    port: ${s.target}`, '    protocol: TCP');
  }
  return l.join('\n') + '\n';
}

const rnd = xorshift32(seed);
const NODE = ipNum(NODE_IP);

// Each flow: client, source port, Service, whether it goes to the NodePort, its next step.
const client = new Uint32Array(flows);
const sport = new Uint16Array(flows);
const svc = new Uint8Array(flows);
const viaNode = new Uint8Array(flows);
const step = new Uint8Array(flows);
for (let f = 0; f < flows; f++) {
  const kind = rnd() % 100;
  if (kind < 60) {
    client[f] = ipNum('10.244.1.0') + (f % 50_000);
    sport[f] = 10_000 + (rnd() % 50_000);
  } else if (kind < 85) {
    client[f] = ipNum('198.51.0.0') + (rnd() % 20_000);
    sport[f] = 40_000 + (rnd() % 100);
    viaNode[f] = 1;
  } else {
    client[f] = ipNum('198.52.0.0') + (rnd() % 2_000);
    sport[f] = 20_000 + (rnd() % 40_000);
    svc[f] = 1;
    viaNode[f] = 1;
  }
}

const FRAME = 64;
const pcap = new PcapChunks(out);
const buf = pcap.buf;

let usec = 0;
let ipId = 1;
/** One 64-byte TCP frame src:sp → dst:dp with `flags` (10 payload bytes unless a SYN). */
function frame(src, dst, sp, dp, flags) {
  pcap.room(RECORD_HEADER_BYTES + FRAME);
  usec += 1 + (rnd() % 3);
  const p = pcap.record(1704067200 + Math.floor(usec / 1e6), usec % 1e6, FRAME);
  buf.fill(0, p, p + FRAME);
  buf[p] = 2; buf[p + 5] = 2; buf[p + 6] = 2; buf[p + 11] = 1;
  buf.writeUInt16BE(0x0800, p + 12);
  const tcpLen = 30;
  const ip = p + 14;
  buf[ip] = 0x45;
  buf.writeUInt16BE(20 + tcpLen, ip + 2);
  buf.writeUInt16BE(ipId, ip + 4);
  ipId = (ipId + 1) & 0xffff;
  buf[ip + 8] = 64; buf[ip + 9] = 6;
  buf.writeUInt32BE(src, ip + 12);
  buf.writeUInt32BE(dst, ip + 16);
  buf.writeUInt16BE(fold(sum16(buf, ip, ip + 20, 0)), ip + 10);
  const t = ip + 20;
  buf.writeUInt16BE(sp, t); buf.writeUInt16BE(dp, t + 2);
  buf.writeUInt32BE(rnd(), t + 4);
  buf[t + 12] = 0x50; buf[t + 13] = flags;
  buf.writeUInt16BE(502, t + 14);
  for (let i = 20; i < tcpLen; i++) buf[t + i] = rnd() & 0xff;
  const acc = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLen;
  buf.writeUInt16BE(fold(sum16(buf, t, t + tcpLen, acc)), t + 16);
  pcap.pos += RECORD_HEADER_BYTES + FRAME;
}

// Flows start in order and advance at random: a window of open flows, each step picked from it.
const WINDOW = 2048;
const open = [];
let next = 0;
let packets = 0;
while (next < flows || open.length > 0) {
  while (open.length < WINDOW && next < flows) open.push(next++);
  const k = rnd() % open.length;
  const f = open[k];
  const s = SERVICES[svc[f]];
  const backend = ipNum(s.backends[f % 3]);
  const [dst, dport] = viaNode[f] ? [NODE, s.nodePort] : [ipNum(s.vip), s.port];
  if (step[f] === 0) frame(client[f], dst, sport[f], dport, 0x02);
  else if (step[f] === 1) frame(backend, viaNode[f] ? NODE : client[f], s.target, sport[f], 0x12);
  else frame(client[f], dst, sport[f], dport, 0x18);
  packets++;
  if (++step[f] === 3) { open[k] = open[open.length - 1]; open.pop(); }
}
pcap.close();
fs.writeFileSync(clusterOut, manifest());
process.stderr.write(`gen-workers-capture: wrote ${packets} packets of ${flows} flows to ${out}; cluster manifest ${clusterOut}\n`);
