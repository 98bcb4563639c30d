// Incremental checksum updates against a full recompute, on thousands of
// random packets (IPv4 and IPv6; TCP, UDP, SCTP; both directions).

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { rng } from './helpers/rng.js';
import { buildPacket, checksumErrors, type Proto } from './helpers/packets.js';
import type { ServicePortState } from '../src/k8s/model.js';


describe('incremental checksums equal a full recompute', () => {
  const r = rng(1624);
  const int = (n: number) => Math.floor(r() * n);
  const v4 = () => `${1 + int(223)}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const v6 = () => `fd${int(256).toString(16).padStart(2, '0')}:${Array.from({ length: 7 }, () => int(65536).toString(16)).join(':')}`;
  const protos: Proto[] = ['TCP', 'UDP', 'SCTP'];
  const ports: ServicePortState[] = [];
  for (let i = 0; i < 60; i++) {
    const fam = i % 2 === 0 ? 4 : 6;
    const proto = protos[i % 3];
    const addr = fam === 4 ? v4 : v6;
    ports.push(servicePort({
      key: `ns/svc${i}:p`, family: fam, protocol: proto, clusterIP: addr(), port: 1 + int(65535),
      clusterSet: Array.from({ length: 1 + int(5) }, () => backend(addr(), 1 + int(65535))),
    }));
  }
  const h = new Harness({ servicePorts: ports, allocatedClusterIPs: [] }, { ctMax: 8192 });

  it('3000 first packets and their replies', () => {
    let checked = 0;
    for (let round = 0; round < 3000; round++) {
      const sp = ports[int(ports.length)];
      const client = sp.family === 4 ? v4() : v6();
      const sport = 1 + int(65535);
      const payload = int(300);
      const fwd = buildPacket({ proto: sp.protocol, src: client, dst: sp.clusterIP!, sport, dport: sp.port, flags: 0x02, payload, noUdpChecksum: sp.protocol === 'UDP' && int(10) === 0 });
      const o = h.one({ bytes: fwd, t: round });
      expect(o.verdict).toBe('translated');
      expect(checksumErrors(o.bytes)).toEqual([]);
      const [bip, bport] = splitHostPort(o.backend!);
      const rep = buildPacket({ proto: sp.protocol, src: bip, dst: client, sport: bport, dport: sport, flags: 0x12, payload: int(300) });
      const ro = h.one({ bytes: rep, t: round + 0.5 });
      expect(ro.verdict).toBe('reversed');
      expect(checksumErrors(ro.bytes)).toEqual([]);
      checked += 2;
    }
    expect(checked).toBe(6000);
  });

  it('an offloaded (wrong) TCP checksum stays exactly as wrong after NAT, never "fixed"', () => {
    const sp = ports.find((p) => p.protocol === 'TCP' && p.family === 4)!;
    for (let k = 0; k < 200; k++) {
      const good = buildPacket({ proto: 'TCP', src: v4(), dst: sp.clusterIP!, sport: 1 + int(65535), dport: sp.port, payload: int(100) });
      const bad = good.slice();
      const err = 1 + int(0xfffe);
      const csum = (bad[50] << 8) | bad[51];
      const wrong = (csum + err) % 0xffff;
      bad[50] = wrong >> 8; bad[51] = wrong & 0xff;
      const og = new Harness({ servicePorts: [sp], allocatedClusterIPs: [] }).one({ bytes: good });
      const ob = new Harness({ servicePorts: [sp], allocatedClusterIPs: [] }).one({ bytes: bad });
      const a = (og.bytes[50] << 8) | og.bytes[51], b = (ob.bytes[50] << 8) | ob.bytes[51];
      expect(b).not.toBe(a);
      expect(((b - a + 0xffff) % 0xffff)).toBe(err % 0xffff);
      if (k > 20) break; // each iteration builds two cores; 20 cases are plenty
    }
  });
});

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}
