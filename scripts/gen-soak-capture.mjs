#!/usr/bin/env node
// Generates the soak benchmark's inputs (bench/soak.ts): a deterministic classic pcap (little-endian,
// microseconds, EN10MB) of 64-byte Ethernet/IPv4 frames at a fixed rate of capture time, the
// cluster manifest its traffic goes to, and an --updates file with one EndpointSlice change every
// second of capture time. Plain JavaScript: runs without a build.
//
//   node scripts/gen-soak-capture.mjs [<out.pcap>|-] --packets N [--pps P] [--flows F] [--services S]
//        [--backends B] [--seed X] [--cluster <out.yaml>] [--updates <out.jsonl>] [--progress]
//
// '-' streams the capture to standard output (in 4 MiB writes); without an output only the
// --cluster and --updates files are written. --progress prints "packets <n>" on standard error
// after each write. Defaults: 1,000,000 packets, 100,000 per second of capture time, 20,000 flows,
// 8 Services of 4 backends, seed 1.
//
// Traffic, per packet: 80% TCP to a ClusterIP Service :80 on one of F flow slots (a slot opens a
// connection with a SYN, sends about 60 PSH/ACK data packets, ends it with a FIN (3 in 4) or a
// RST, and the next pick of the slot opens a new connection from a new port), 10% UDP :53 queries
// from a pool of F/8 client sockets (a socket takes a new port 1 time in 16), 7% pod-to-pod TCP that
// no Service matches (passed), 3% to ClusterIPs in 10.96.0.0/16 that no Service holds (dropped with
// --service-cidr 10.96.0.0/16). Only clients send: conntrack entries stay in SYN_SENT (120 s),
// FIN_WAIT (120 s), CLOSE (10 s) or UNREPLIED (30 s) and expire behind the traffic.
//
// Updates: at k + 0.5 s for every k whose time is within the capture, Service k % S has its
// EndpointSlice MODIFIED: on even rounds (k / S) one endpoint leaves (a different one each
// round), on odd rounds the full set is back. Packet n is at n / P s from 2024-01-01T00:00:00Z.
// IPv4, TCP and UDP checksums are correct. Never commit the output.

import * as fs from 'node:fs';
import { xorshift32, ipNum, fold, hiLo, PcapChunks, PCAP_HEADER_BYTES, RECORD_HEADER_BYTES, generatorArgs } from './lib/pcap-gen.mjs';

const { values, out, usage } = generatorArgs('gen-soak-capture',
  'node scripts/gen-soak-capture.mjs [<out.pcap>|-] --packets N [--pps P] [--flows F] [--services S] ' +
    '[--backends B] [--seed X] [--cluster <out.yaml>] [--updates <out.jsonl>] [--progress]', {
    packets: { type: 'string', default: '1000000' },
    pps: { type: 'string', default: '100000' },
    flows: { type: 'string', default: '20000' },
    services: { type: 'string', default: '8' },
    backends: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    cluster: { type: 'string' },
    updates: { type: 'string' },
    progress: { type: 'boolean', default: false },
  });
const [packets, pps, flows, services, backends, seed] =
  [values.packets, values.pps, values.flows, values.services, values.backends, values.seed].map(Number);
const { cluster, updates, progress } = values;
const int = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;
if (out === undefined && cluster === undefined && updates === undefined) usage('nothing to write');
if (!int(packets, 0, Number.MAX_SAFE_INTEGER / 1e6)) usage('--packets must be a non-negative integer');
if (!int(pps, 1, 1e9)) usage('--pps must be a positive integer');
if (!int(flows, 1, 1_000_000)) usage('--flows must be an integer from 1 to 1000000');
if (!int(services, 1, 50)) usage('--services must be an integer from 1 to 50');
if (!int(backends, 2, 250)) usage('--backends must be an integer from 2 to 250');
if (!Number.isInteger(seed)) usage('--seed must be an integer');
if (cluster === '' || updates === '') usage('--cluster and --updates need a path');

// Addresses (all in 10.244.0.0/16 but the Services): TCP clients 10.244.1.0 + slot (40,000 at
// most, then a further port per address), UDP clients 10.244.160.0 + socket, pod-to-pod
// destinations 10.244.199.1-250, backends 10.244.(200 + s).(1 + b), ClusterIPs 10.96.0.(10 + s),
// unassigned ClusterIPs 10.96.255.1-250.
const TCP_CLIENT_BASE = ipNum('10.244.1.0');
const TCP_CLIENTS = 40_000;
const UDP_CLIENT_BASE = ipNum('10.244.160.0');
const UDP_CLIENTS = 8192;
const POD_BASE = ipNum('10.244.199.0');
const VIP_BASE = ipNum('10.96.0.10');
const UNASSIGNED_BASE = ipNum('10.96.255.0');
const NS = 'soak';
const svcName = (s) => `svc-${s}`;
const backendAddr = (s, b) => `10.244.${200 + s}.${1 + b}`;

function endpointSlice(s, without, version) {
  const endpoints = [];
  for (let b = 0; b < backends; b++) {
    if (b !== without) endpoints.push({ addresses: [backendAddr(s, b)], conditions: { ready: true, serving: true, terminating: false } });
  }
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${svcName(s)}-1`, namespace: NS, resourceVersion: String(version), labels: { 'kubernetes.io/service-name': svcName(s) } },
    addressType: 'IPv4', endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }],
  };
}

if (cluster) {
  const items = [];
  for (let s = 0; s < services; s++) {
    const vip = `10.96.0.${10 + s}`;
    items.push({
      apiVersion: 'v1', kind: 'Service', metadata: { name: svcName(s), namespace: NS, resourceVersion: '1' },
      spec: {
        type: 'ClusterIP', clusterIP: vip, clusterIPs: [vip], ipFamilies: ['IPv4'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }],
      },
    });
    items.push(endpointSlice(s, -1, 1));
  }
  fs.writeFileSync(cluster, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1) + '\n');
}

/** Updates within the capture: k + 0.5 s must not be after the last packet's time. */
const lastUs = packets === 0 ? -1 : Math.floor(((packets - 1) * 1e6) / pps);
const updateCount = lastUs < 500_000 ? 0 : Math.floor((lastUs - 500_000) / 1e6) + 1;
if (updates) {
  const lines = [];
  for (let k = 0; k < updateCount; k++) {
    const s = k % services;
    const round = Math.floor(k / services);
    const leaving = round % 2 === 0 ? (Math.floor(round / 2) + s) % backends : -1;
    lines.push(JSON.stringify({ at: k + 0.5, type: 'MODIFIED', object: endpointSlice(s, leaving, 2 + round) }));
  }
  fs.writeFileSync(updates, lines.join('\n') + (lines.length ? '\n' : ''));
}
if (out === undefined) {
  process.stderr.write(`gen-soak-capture: ${updateCount} updates` + (cluster ? `, cluster manifest ${cluster}` : '') + (updates ? `, updates ${updates}` : '') + '\n');
  process.exit(0);
}

const rnd = xorshift32(seed);

const FRAME = 64;
const REC = RECORD_HEADER_BYTES + FRAME;
const ETH = 14;
const IP = 20;
const L4 = ETH + IP;
const MEAN_LIFE = 60;
const PORTS = 28_000;

// TCP flow slots: left = data packets still to send, -1 = idle (the next pick opens a connection).
const tcpLeft = new Int32Array(flows).fill(-1);
const tcpSvc = new Uint8Array(flows);
const tcpPortBase = new Uint16Array(flows);
const tcpConns = new Uint32Array(flows);
const tcpSport = new Uint16Array(flows);
const tcpSeq = new Uint32Array(flows);
const tcpAck = new Uint32Array(flows);
for (let f = 0; f < flows; f++) tcpPortBase[f] = rnd() % PORTS;
const sockets = Math.max(1, Math.floor(flows / 8));
const udpSport = new Uint16Array(sockets);
for (let u = 0; u < sockets; u++) udpSport[u] = 32768 + (rnd() % PORTS);

// Fixed payloads and the one's-complement sums of their 16-bit words.
const TCP_PAYLOAD = [0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x0d, 0x0a]; // 10 bytes
const UDP_PAYLOAD = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 3, 0x63, 0x6f, 0x6d, 0, 0]; // 22 bytes
const wordSum = (bytes) => bytes.reduce((acc, b, i) => acc + (i % 2 === 0 ? b << 8 : b), 0);
const TCP_PAYLOAD_SUM = wordSum(TCP_PAYLOAD);
const UDP_PAYLOAD_SUM = wordSum(UDP_PAYLOAD);

let written = 0;
const pcap = new PcapChunks(out, () => {
  if (progress) fs.writeSync(2, `packets ${written}\n`);
});
const buf = pcap.buf;

const put16 = (p, v) => {
  buf[p] = v >>> 8;
  buf[p + 1] = v & 0xff;
};
const put32 = (p, v) => {
  buf[p] = v >>> 24;
  buf[p + 1] = (v >>> 16) & 0xff;
  buf[p + 2] = (v >>> 8) & 0xff;
  buf[p + 3] = v & 0xff;
};

let ipId = 1;
/** Record header, Ethernet and IPv4 of one frame at `pcap.pos`; returns the IPv4 header's offset. */
function frameHead(n, proto, l4Len, src, dst) {
  const us = Math.floor((n * 1e6) / pps);
  const sec = 1704067200 + Math.floor(us / 1e6);
  const p = pcap.record(sec, us % 1e6, FRAME);
  // Ethernet: 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4; then zero padding up to 64 bytes.
  buf.fill(0, p, p + FRAME);
  buf[p] = 2;
  buf[p + 5] = 2;
  buf[p + 6] = 2;
  buf[p + 11] = 1;
  buf[p + 12] = 0x08;
  const ip = p + ETH;
  const total = IP + l4Len;
  buf[ip] = 0x45;
  put16(ip + 2, total);
  put16(ip + 4, ipId);
  buf[ip + 6] = 0x40;
  buf[ip + 8] = 64;
  buf[ip + 9] = proto;
  put32(ip + 12, src);
  put32(ip + 16, dst);
  put16(ip + 10, fold(0x4500 + total + ipId + 0x4000 + ((64 << 8) | proto) + hiLo(src) + hiLo(dst)));
  ipId = (ipId + 1) & 0xffff;
  return ip;
}

const SYN = 0x02;
const DATA = 0x18; // PSH ACK
const FIN = 0x11; // FIN ACK
const RST = 0x14; // RST ACK

function tcp(n, src, dst, sport, dport, seq, ack, flags) {
  const hdr = flags === SYN ? 24 : 20;
  const len = hdr + (flags === DATA ? TCP_PAYLOAD.length : 0);
  const t = frameHead(n, 6, len, src, dst) + IP;
  put16(t, sport);
  put16(t + 2, dport);
  put32(t + 4, seq);
  let acc = hiLo(src) + hiLo(dst) + 6 + len + sport + dport + hiLo(seq);
  if (flags !== SYN) {
    put32(t + 8, ack);
    acc += hiLo(ack);
  }
  buf[t + 12] = (hdr / 4) << 4;
  buf[t + 13] = flags;
  const window = flags === SYN ? 64240 : 502;
  put16(t + 14, window);
  acc += (((hdr / 4) << 12) | flags) + window;
  if (flags === SYN) {
    put32(t + 20, 0x020405b4); // MSS 1460
    acc += 0x0204 + 0x05b4;
  } else if (flags === DATA) {
    for (let i = 0; i < TCP_PAYLOAD.length; i++) buf[t + 20 + i] = TCP_PAYLOAD[i];
    acc += TCP_PAYLOAD_SUM;
  }
  put16(t + 16, fold(acc));
}

function udp(n, src, dst, sport, dport) {
  const len = 8 + UDP_PAYLOAD.length;
  const u = frameHead(n, 17, len, src, dst) + IP;
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, len);
  for (let i = 0; i < UDP_PAYLOAD.length; i++) buf[u + 8 + i] = UDP_PAYLOAD[i];
  const ck = fold(hiLo(src) + hiLo(dst) + 17 + len + sport + dport + len + UDP_PAYLOAD_SUM);
  put16(u + 6, ck === 0 ? 0xffff : ck);
}

const tcpClient = (f) => (TCP_CLIENT_BASE + (f % TCP_CLIENTS)) >>> 0;

const counts = { syn: 0, data: 0, fin: 0, rst: 0, udp: 0, pod: 0, unassigned: 0 };
for (let n = 0; n < packets; n++) {
  pcap.room(REC);
  const r = rnd() % 100;
  if (r < 80) {
    const f = rnd() % flows;
    const src = tcpClient(f);
    if (tcpLeft[f] < 0) {
      // A new connection: the next port of this slot's sequence, a Service, a lifetime.
      tcpSport[f] = 32768 + ((tcpPortBase[f] + tcpConns[f] * 7919 + Math.floor(f / TCP_CLIENTS)) % PORTS);
      tcpConns[f]++;
      tcpSvc[f] = rnd() % services;
      tcpSeq[f] = rnd();
      tcpAck[f] = rnd();
      tcpLeft[f] = 1 + (rnd() % (2 * MEAN_LIFE - 1));
      tcp(n, src, VIP_BASE + tcpSvc[f], tcpSport[f], 80, tcpSeq[f], 0, SYN);
      tcpSeq[f] = (tcpSeq[f] + 1) >>> 0;
      counts.syn++;
    } else if (tcpLeft[f] > 0) {
      tcp(n, src, VIP_BASE + tcpSvc[f], tcpSport[f], 80, tcpSeq[f], tcpAck[f], DATA);
      tcpSeq[f] = (tcpSeq[f] + TCP_PAYLOAD.length) >>> 0;
      tcpLeft[f]--;
      counts.data++;
    } else {
      const end = (rnd() & 3) === 0 ? RST : FIN;
      tcp(n, src, VIP_BASE + tcpSvc[f], tcpSport[f], 80, tcpSeq[f], tcpAck[f], end);
      tcpLeft[f] = -1;
      if (end === RST) counts.rst++;
      else counts.fin++;
    }
  } else if (r < 90) {
    const u = rnd() % sockets;
    if ((rnd() & 15) === 0) udpSport[u] = 32768 + (rnd() % PORTS);
    udp(n, (UDP_CLIENT_BASE + (u % UDP_CLIENTS)) >>> 0, VIP_BASE + (u % services), udpSport[u], 53);
    counts.udp++;
  } else if (r < 97) {
    const f = rnd() % flows;
    const dst = POD_BASE + 1 + (f % 250);
    tcp(n, tcpClient(f), dst, 40000 + (f % 20000), 8080, rnd(), rnd(), DATA);
    counts.pod++;
  } else {
    const f = rnd() % flows;
    tcp(n, tcpClient(f), UNASSIGNED_BASE + 1 + (f % 250), 32768 + (f % PORTS), 80, rnd(), 0, SYN);
    counts.unassigned++;
  }
  pcap.pos += REC;
  written++;
}
pcap.close();
process.stderr.write(
  `gen-soak-capture: wrote ${packets} packets (${counts.syn} SYNs, ${counts.data} data, ${counts.fin} FINs, ${counts.rst} RSTs, ` +
    `${counts.udp} UDP, ${counts.pod} pod-to-pod, ${counts.unassigned} to unassigned ClusterIPs), ${PCAP_HEADER_BYTES + packets * REC} bytes, ` +
    `${updateCount} updates` + (cluster ? `; cluster manifest ${cluster}` : '') + (updates ? `; updates ${updates}` : '') + '\n',
);
