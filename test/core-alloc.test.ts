// The per-packet path allocates nothing: a million packets through the
// core (new connections, established flows, replies, rejects, drops) and
// the heap has grown by exactly the one probe block between two probes.

import { it, expect } from 'vitest';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { buildPacket } from './helpers/packets.js';
import { BATCH_MAX_PACKETS, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, LINK_EN10MB } from '../src/core/abi.js';

it('1,000,000 packets allocate nothing', () => {
  const h = new Harness({
    allocatedClusterIPs: ['10.96.0.10', '10.96.0.99'],
    servicePorts: [
      servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: [backend('10.244.1.5', 8080), backend('10.244.2.6', 8080)] }),
      servicePort({ key: 'default/v6:http', family: 6, clusterIP: 'fd00::10', port: 80, clusterSet: [backend('fd00:244::5', 8080)] }),
      servicePort({ key: 'default/empty', clusterIP: '10.96.0.99', port: 80, clusterSet: [] }),
    ],
  }, { ctMax: 8192 });
  const c = h.core;
  const pkts: Uint8Array[] = [];
  for (let i = 0; i < BATCH_MAX_PACKETS; i++) {
    const kind = i % 8;
    if (kind === 7) pkts.push(buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.96.0.99', sport: i, dport: 80 })); // reject
    else if (kind === 6) pkts.push(buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.96.0.10', sport: i, dport: 80 }).slice(0, 20)); // drop
    else if (kind === 5) pkts.push(buildPacket({ proto: 'TCP', src: 'fd00:1::1', dst: 'fd00::10', sport: 1000 + i, dport: 80 }));
    else pkts.push(buildPacket({ proto: 'TCP', src: `10.1.${i >> 8}.${i & 255}`, dst: '10.96.0.10', sport: 1000 + i, dport: 80, flags: 0x10 }));
  }
  const pristine = new Uint8Array(BATCH_MAX_PACKETS * 128);
  let off = 0;
  pkts.forEach((p, i) => {
    pristine.set(p, off);
    const d = i * DESC_WORDS;
    c.desc[d + D_OFFSET] = off; c.desc[d + D_CAPLEN] = p.length; c.desc[d + D_WIRELEN] = p.length;
    c.desc[d + D_LINKTYPE] = LINK_EN10MB; c.desc[d + D_TS_NSEC] = 0;
    off += 128;
  });
  const before = c.exports.heapProbe();
  const memBefore = c.exports.memory.buffer.byteLength;
  const batches = Math.ceil(1_000_000 / BATCH_MAX_PACKETS);
  for (let b = 0; b < batches; b++) {
    c.input.set(pristine);
    for (let i = 0; i < BATCH_MAX_PACKETS; i++) c.desc[i * DESC_WORDS + D_TS_SEC] = b;
    c.process(BATCH_MAX_PACKETS);
  }
  const after = c.exports.heapProbe();
  expect(batches * BATCH_MAX_PACKETS).toBeGreaterThanOrEqual(1_000_000);
  expect(after - before).toBe(16); // exactly one empty block: the second probe's predecessor
  expect(c.exports.memory.buffer.byteLength).toBe(memBefore);
  const v = c.verdictCounts();
  expect(v[1]).toBeGreaterThan(0); // translated
  expect(v[3]).toBeGreaterThan(0); // dropped
  expect(v[4]).toBeGreaterThan(0); // rejected
});
