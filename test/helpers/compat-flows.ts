// The cluster and the capture the --maglev-compat end-to-end tests replay (test/maglev-compat.test.ts,
// test/maglev-katran.test.ts): four Services (TCP, UDP, ClientIP affinity, IPv6) and 240 new flows,
// one first packet each, so every packet is a Maglev choice the reference can predict.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { buildPacket } from './packets.js';
import { concat, pcapHeader, pcapRecord } from './capture-builders.js';
import { runCli } from './cli.js';

export const SERVICES = [
  { name: 'web', vip: '10.96.0.10', port: 80, target: 8080, proto: 'TCP' as const, family: 4, affinity: false,
    backends: ['10.244.1.5', '10.244.2.6', '10.244.2.7', '10.244.3.1', '10.244.9.40', '10.244.10.2', '10.244.4.4'] },
  { name: 'dns', vip: '10.96.0.53', port: 53, target: 5353, proto: 'UDP' as const, family: 4, affinity: false,
    backends: ['10.244.5.1', '10.244.5.2', '10.244.6.3'] },
  { name: 'sticky', vip: '10.96.0.20', port: 443, target: 8443, proto: 'TCP' as const, family: 4, affinity: true,
    backends: ['10.244.7.1', '10.244.7.2', '10.244.7.3', '10.244.8.1'] },
  { name: 'web6', vip: 'fd00:96::10', port: 80, target: 8080, proto: 'TCP' as const, family: 6, affinity: false,
    backends: ['fd00:244::5', 'fd00:244::1:6', 'fd00:244::a:7', 'fd00:244::2'] },
];

export type CompatService = (typeof SERVICES)[number];
export interface Flow { src: string; sport: number; svc: CompatService }

/** The Services and one EndpointSlice each (namespace compat, port name p), as a List. */
export function manifest(): string {
  const items = SERVICES.flatMap((s) => [
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: 'compat' },
      spec: {
        type: 'ClusterIP', clusterIP: s.vip, clusterIPs: [s.vip], ipFamilies: [s.family === 6 ? 'IPv6' : 'IPv4'],
        ports: [{ name: 'p', port: s.port, protocol: s.proto, targetPort: s.target }],
        ...(s.affinity ? { sessionAffinity: 'ClientIP' } : {}),
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: s.family === 6 ? 'IPv6' : 'IPv4',
      metadata: { name: `${s.name}-1`, namespace: 'compat', labels: { 'kubernetes.io/service-name': s.name } },
      endpoints: s.backends.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'p', port: s.target, protocol: s.proto }],
    },
  ]);
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** New flows: many clients to each Service, one first packet each (a SYN, or a UDP datagram). */
export function flows(): Flow[] {
  return Array.from({ length: 60 }, (_, i) => [
    { src: `198.18.${i >> 4}.${(i * 7) & 255}`, sport: 30000 + i * 131, svc: SERVICES[0] },
    { src: `198.19.0.${i + 1}`, sport: 40000 + i, svc: SERVICES[1] },
    // Affinity: one client per address, so every first SYN is a Maglev choice (with port 0).
    { src: `198.20.${i}.1`, sport: 50000 + i * 7, svc: SERVICES[2] },
    { src: `2001:db8::${(i * 13).toString(16)}:1`, sport: 20000 + i * 3, svc: SERVICES[3] },
  ]).flat();
}

/** Writes cluster.json and flows.pcap (the flows, in order) into `dir`. */
export function writeCompatInputs(dir: string, all: Flow[]): { capture: string; cluster: string } {
  const capture = path.join(dir, 'flows.pcap');
  const cluster = path.join(dir, 'cluster.json');
  fs.writeFileSync(cluster, manifest());
  const records = all.map((f, i) => pcapRecord({ sec: 1_700_000_000, frac: i, data: buildPacket({
    src: f.src, dst: f.svc.vip, sport: f.sport, dport: f.svc.port, proto: f.svc.proto, flags: 0x02, payload: f.svc.proto === 'UDP' ? 12 : 0,
  }) }));
  fs.writeFileSync(capture, concat(pcapHeader(), ...records));
  return { capture, cluster };
}

/** `svcplane replay --trace -` of the inputs with `args`: each packet's verdict and backend. */
export function traceOf(capture: string, cluster: string, args: string[]): { backend?: string; verdict: string }[] {
  const r = runCli(['replay', capture, '-c', cluster, '--trace', '-', '-q', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { backend?: string; verdict: string });
}

/** The `address:port` text --trace gives a backend. */
export const backendText = (svc: CompatService, ip: string): string => (svc.family === 6 ? `[${ip}]:${svc.target}` : `${ip}:${svc.target}`);
