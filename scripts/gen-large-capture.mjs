#!/usr/bin/env node
// Generates a large, deterministic classic pcap (little-endian, microseconds, EN10MB) of
// Ethernet / IPv4 / TCP and UDP packets for benchmarks. Plain JavaScript: runs without a build.
//
//   node scripts/gen-large-capture.mjs <out.pcap> [--packets N] [--seed S]
//
// Defaults: 1,000,000 packets, seed 1. Sizes (whole frames): 45% 100-200 bytes, 20% 200-1000,
// 35% 1400-1500 (about 700 bytes on average, ~0.7 GB per million packets). 1024 client flows
// to 16 service addresses (TCP :80, :443, UDP :53), packets 1-20 us apart starting at
// 2024-01-01T00:00:00Z. IPv4 header, TCP and UDP checksums are correct. Never commit the output.

import { xorshift32, sum16, fold, PcapChunks, RECORD_HEADER_BYTES, generatorArgs } from './lib/pcap-gen.mjs';

const { values, out, usage } = generatorArgs('gen-large-capture', 'node scripts/gen-large-capture.mjs <out.pcap> [--packets N] [--seed S]', {
  packets: { type: 'string', default: '1000000' },
  seed: { type: 'string', default: '1' },
});
const packets = Number(values.packets);
const seed = Number(values.seed);
if (!out) usage('missing output path');
if (!Number.isInteger(packets) || packets < 0) usage('--packets must be a non-negative integer');
if (!Number.isInteger(seed)) usage('--seed must be an integer');

const rnd = xorshift32(seed);

const ETH = 14;
const IP = 20;
const TCP = 20;
const UDP = 8;
const FLOWS = 1024;
const SERVICES = 16;

// Flow table: client 10.244.<f/256>.<f%256+1>:<port> -> 10.96.0.<s+10>:<80|443|53>
const flowClient = new Uint32Array(FLOWS);
const flowSport = new Uint16Array(FLOWS);
const flowService = new Uint32Array(FLOWS);
const flowDport = new Uint16Array(FLOWS);
const flowUdp = new Uint8Array(FLOWS);
const flowSeq = new Uint32Array(FLOWS);
for (let f = 0; f < FLOWS; f++) {
  flowClient[f] = ((10 << 24) | (244 << 16) | ((f >> 8) << 8) | ((f & 0xff) + 1)) >>> 0;
  flowSport[f] = 32768 + (rnd() % 28000);
  const s = rnd() % SERVICES;
  flowService[f] = ((10 << 24) | (96 << 16) | (s + 10)) >>> 0;
  const kind = rnd() % 10;
  flowUdp[f] = kind < 2 ? 1 : 0;
  flowDport[f] = kind < 2 ? 53 : kind < 6 ? 80 : 443;
  flowSeq[f] = rnd();
}

// Payload bytes come from a fixed random block.
const filler = new Uint8Array(4096);
for (let i = 0; i < filler.length; i++) filler[i] = rnd() & 0xff;

function frameSize() {
  const r = rnd() % 100;
  if (r < 45) return 100 + (rnd() % 101);
  if (r < 65) return 200 + (rnd() % 801);
  return 1400 + (rnd() % 101);
}

const pcap = new PcapChunks(out);
const buf = pcap.buf;

let sec = 1704067200;
let usec = 0;
let ipId = 1;
let total = pcap.pos;
for (let n = 0; n < packets; n++) {
  const f = rnd() % FLOWS;
  const udp = flowUdp[f] === 1;
  const reply = (rnd() & 3) === 0;
  let len = frameSize();
  const l4 = udp ? UDP : TCP;
  if (len < ETH + IP + l4) len = ETH + IP + l4;
  pcap.room(RECORD_HEADER_BYTES + len);

  usec += 1 + (rnd() % 20);
  if (usec >= 1_000_000) {
    sec += 1;
    usec -= 1_000_000;
  }
  const p = pcap.record(sec, usec, len);

  const src = reply ? flowService[f] : flowClient[f];
  const dst = reply ? flowClient[f] : flowService[f];
  const sport = reply ? flowDport[f] : flowSport[f];
  const dport = reply ? flowSport[f] : flowDport[f];

  // Ethernet: 02:00:00:00:00:01 <-> 02:00:00:00:00:02, IPv4.
  buf.fill(0, p, p + 12);
  buf[p] = 2;
  buf[p + 5] = reply ? 1 : 2;
  buf[p + 6] = 2;
  buf[p + 11] = reply ? 2 : 1;
  buf.writeUInt16BE(0x0800, p + 12);

  // IPv4
  const ip = p + ETH;
  const ipLen = len - ETH;
  buf[ip] = 0x45;
  buf[ip + 1] = 0;
  buf.writeUInt16BE(ipLen, ip + 2);
  buf.writeUInt16BE(ipId, ip + 4);
  ipId = (ipId + 1) & 0xffff;
  buf.writeUInt16BE(0x4000, ip + 6);
  buf[ip + 8] = 64;
  buf[ip + 9] = udp ? 17 : 6;
  buf.writeUInt16BE(0, ip + 10);
  buf.writeUInt32BE(src, ip + 12);
  buf.writeUInt32BE(dst, ip + 16);
  buf.writeUInt16BE(fold(sum16(buf, ip, ip + IP, 0)), ip + 10);

  // L4 header and payload
  const t = ip + IP;
  const l4Len = ipLen - IP;
  buf.writeUInt16BE(sport, t);
  buf.writeUInt16BE(dport, t + 2);
  if (udp) {
    buf.writeUInt16BE(l4Len, t + 4);
    buf.writeUInt16BE(0, t + 6);
  } else {
    flowSeq[f] = (flowSeq[f] + l4Len) >>> 0;
    buf.writeUInt32BE(flowSeq[f], t + 4);
    buf.writeUInt32BE(rnd(), t + 8);
    buf[t + 12] = 0x50;
    buf[t + 13] = 0x18; // PSH ACK
    buf.writeUInt16BE(65535, t + 14);
    buf.writeUInt16BE(0, t + 16);
    buf.writeUInt16BE(0, t + 18);
  }
  const payloadAt = t + l4;
  const payloadLen = len - (payloadAt - p);
  const from = (n * 61) & 2047;
  buf.set(filler.subarray(from, from + payloadLen), payloadAt);

  // Pseudo-header checksum
  let acc = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (udp ? 17 : 6) + l4Len;
  acc = sum16(buf, t, t + l4Len, acc);
  let ck = fold(acc);
  if (udp && ck === 0) ck = 0xffff;
  buf.writeUInt16BE(ck, t + (udp ? 6 : 16));

  pcap.pos += RECORD_HEADER_BYTES + len;
  total += RECORD_HEADER_BYTES + len;
}
pcap.close();
process.stderr.write(`gen-large-capture: wrote ${packets} packets, ${total} bytes to ${out}\n`);
