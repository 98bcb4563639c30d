#!/usr/bin/env node
// Generates the replay benchmark's capture: a deterministic classic pcap (little-endian,
// microseconds, EN10MB) of 64-byte Ethernet/IPv4/TCP frames from pod clients to 3 ClusterIP
// Services, and optionally the matching cluster manifest. Plain JavaScript: runs without a build.
//
//   node scripts/gen-replay-capture.mjs <out.pcap> --packets N --flows F [--seed S] [--cluster <out.yaml>]
//
// Defaults: 1,000,000 packets, 1024 flows, seed 1. Each packet belongs to a flow picked at random;
// a flow's first packet is a SYN (MSS option, 6 bytes of Ethernet padding), every later one a
// PSH/ACK with 10 payload bytes, so replayed through the manifest every packet is translated
// (DNAT). Every frame is exactly 64 bytes, captured and on the wire; IPv4 and TCP checksums are
// correct. Packets are 1-3 us apart from 2024-01-01T00:00:00Z. Never commit the output.

import * as fs from 'node:fs';
import { xorshift32, ipNum, sum16, fold, PcapChunks, PCAP_HEADER_BYTES, RECORD_HEADER_BYTES, generatorArgs } from './lib/pcap-gen.mjs';

const { values, out, usage } = generatorArgs('gen-replay-capture',
  'node scripts/gen-replay-capture.mjs <out.pcap> --packets N --flows F [--seed S] [--cluster <out.yaml>]', {
    packets: { type: 'string', default: '1000000' },
    flows: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '1' },
    cluster: { type: 'string' },
  });
const packets = Number(values.packets);
const flows = Number(values.flows);
const seed = Number(values.seed);
const cluster = values.cluster;
if (!out) usage('missing output path');
if (!Number.isInteger(packets) || packets < 0) usage('--packets must be a non-negative integer');
if (!Number.isInteger(flows) || flows < 1 || flows > 1_000_000) usage('--flows must be an integer from 1 to 1000000');
if (!Number.isInteger(seed)) usage('--seed must be an integer');
if (cluster === '') usage('--cluster needs a path');

// The Services: ClusterIP:port -> 3 backends each on targetPort (namespace "bench").
const SERVICES = [
  { name: 'web', vip: '10.96.0.10', port: 80, portName: 'http', target: 8080, backends: ['10.244.201.1', '10.244.201.2', '10.244.201.3'] },
  { name: 'tls', vip: '10.96.0.11', port: 443, portName: 'https', target: 8443, backends: ['10.244.202.1', '10.244.202.2', '10.244.202.3'] },
  { name: 'api', vip: '10.96.0.12', port: 8080, portName: 'api', target: 9090, backends: ['10.244.203.1', '10.244.203.2', '10.244.203.3'] },
];

/** The Services and their EndpointSlices as one YAML List (the form `svcplane -c` reads). */
function manifest() {
  const lines = ['apiVersion: v1', 'kind: List', 'items:'];
  for (const s of SERVICES) {
    lines.push(
      '- apiVersion: v1', '  kind: Service', '  metadata:', `    name: ${s.name}`, '    namespace: bench',
      '  spec:', '    type: ClusterIP', `    clusterIP: ${s.vip}`, `    clusterIPs: [${s.vip}]`, '    ipFamilies: [IPv4]',
      '    ports:', `    - name: ${s.portName}`, `      port: ${s.port}`, '      protocol: TCP', `      targetPort: ${s.target}`,
      '- apiVersion: discovery.k8s.io/v1', '  kind: EndpointSlice', '  metadata:', `    name: ${s.name}-1`, '    namespace: bench',
      '    labels:', `      kubernetes.io/service-name: ${s.name}`, '  addressType: IPv4', '  endpoints:',
    );
    for (const b of s.backends) {
      lines.push(`  - addresses: [${b}]`, '    conditions: {ready: true, serving: true, terminating: false}');
    }
    lines.push('  ports:', `  - name: ${s.portName}`, `    port: ${s.target}`, '    protocol: TCP');
  }
  return lines.join('\n') + '\n';
}

const rnd = xorshift32(seed);

const FRAME = 64;
const ETH = 14;
const IP = 20;
const SYN_TCP = 24; // 20 + MSS option
const DATA_TCP = 20;
const DATA_PAYLOAD = FRAME - ETH - IP - DATA_TCP; // 10
// Clients: 10.244.1.0 onwards (below the backends' 10.244.201+), one address per flow up to
// CLIENTS flows, then a further source port on each address.
const CLIENTS = 40_000;
const CLIENT_BASE = ipNum('10.244.1.0');

const flowClient = new Uint32Array(flows);
const flowSport = new Uint16Array(flows);
const flowService = new Uint8Array(flows);
const flowSeq = new Uint32Array(flows); // next sequence number
const flowAck = new Uint32Array(flows);
const flowOpen = new Uint8Array(flows);
const clientPortBase = new Uint16Array(Math.min(flows, CLIENTS));
for (let c = 0; c < clientPortBase.length; c++) clientPortBase[c] = rnd() % 28_000;
for (let f = 0; f < flows; f++) {
  const c = f % CLIENTS;
  flowClient[f] = CLIENT_BASE + c;
  // Distinct per address: the k-th flow of an address takes the k-th port after its base.
  flowSport[f] = 32768 + ((clientPortBase[c] + Math.floor(f / CLIENTS)) % 28_000);
  flowService[f] = rnd() % SERVICES.length;
  flowSeq[f] = rnd();
  flowAck[f] = rnd();
}
const svcAddr = SERVICES.map((s) => ipNum(s.vip));

// Payload bytes come from a fixed random block.
const filler = new Uint8Array(1024);
for (let i = 0; i < filler.length; i++) filler[i] = rnd() & 0xff;

const pcap = new PcapChunks(out);
const buf = pcap.buf;

let sec = 1704067200;
let usec = 0;
let ipId = 1;
let syns = 0;
for (let n = 0; n < packets; n++) {
  const f = rnd() % flows;
  const syn = flowOpen[f] === 0;
  flowOpen[f] = 1;
  pcap.room(RECORD_HEADER_BYTES + FRAME);

  usec += 1 + (rnd() % 3);
  if (usec >= 1_000_000) {
    sec += 1;
    usec -= 1_000_000;
  }
  const p = pcap.record(sec, usec, FRAME);
  buf.fill(0, p, p + FRAME); // also the SYN's Ethernet padding

  // Ethernet: 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4.
  buf[p] = 2;
  buf[p + 5] = 2;
  buf[p + 6] = 2;
  buf[p + 11] = 1;
  buf.writeUInt16BE(0x0800, p + 12);

  const src = flowClient[f];
  const dst = svcAddr[flowService[f]];
  const tcpLen = syn ? SYN_TCP : DATA_TCP + DATA_PAYLOAD;

  // IPv4
  const ip = p + ETH;
  buf[ip] = 0x45;
  buf.writeUInt16BE(IP + tcpLen, ip + 2);
  buf.writeUInt16BE(ipId, ip + 4);
  ipId = (ipId + 1) & 0xffff;
  buf.writeUInt16BE(0x4000, ip + 6);
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  buf.writeUInt32BE(src, ip + 12);
  buf.writeUInt32BE(dst, ip + 16);
  buf.writeUInt16BE(fold(sum16(buf, ip, ip + IP, 0)), ip + 10);

  // TCP: SYN with MSS 1460, or PSH/ACK with 10 payload bytes.
  const t = ip + IP;
  buf.writeUInt16BE(flowSport[f], t);
  buf.writeUInt16BE(SERVICES[flowService[f]].port, t + 2);
  buf.writeUInt32BE(flowSeq[f], t + 4);
  if (syn) {
    flowSeq[f] = (flowSeq[f] + 1) >>> 0;
    buf[t + 12] = 0x60;
    buf[t + 13] = 0x02;
    buf.writeUInt16BE(64240, t + 14);
    buf.writeUInt32BE(0x020405b4, t + 20);
    syns++;
  } else {
    flowSeq[f] = (flowSeq[f] + DATA_PAYLOAD) >>> 0;
    buf.writeUInt32BE(flowAck[f], t + 8);
    buf[t + 12] = 0x50;
    buf[t + 13] = 0x18;
    buf.writeUInt16BE(502, t + 14);
    const from = (n * 61) & 1023 & ~15;
    buf.set(filler.subarray(from, from + DATA_PAYLOAD), t + DATA_TCP);
  }
  const acc = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLen;
  buf.writeUInt16BE(fold(sum16(buf, t, t + tcpLen, acc)), t + 16);

  pcap.pos += RECORD_HEADER_BYTES + FRAME;
}
pcap.close();
if (cluster) fs.writeFileSync(cluster, manifest());
process.stderr.write(
  `gen-replay-capture: wrote ${packets} packets (${syns} SYNs, ${flows} flows), ${PCAP_HEADER_BYTES + packets * (RECORD_HEADER_BYTES + FRAME)} bytes to ${out}` +
    (cluster ? `; cluster manifest ${cluster}` : '') + '\n',
);
