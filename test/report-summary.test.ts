// The terminal summary stays short on a big cluster: the 10 busiest service ports by packets, then
// one line counting the rest. A 48-service-port cluster, service port i getting i + 1 connections.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/cli.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';

const PORTS = 48;
const dir = tempDir('svcplane-summary-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cluster(): string {
  const docs: string[] = [];
  for (let i = 0; i < PORTS; i++) {
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: svc-${i}, namespace: default }
spec: { clusterIP: 10.96.1.${i + 1}, ports: [{ name: http, port: 80, protocol: TCP, targetPort: 8080 }] }`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: svc-${i}-a, namespace: default, labels: { kubernetes.io/service-name: svc-${i} } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints: [{ addresses: [10.244.1.${i + 1}], conditions: { ready: true } }]`);
  }
  return docs.join('\n---\n') + '\n';
}

function capture(): Uint8Array {
  const records: Uint8Array[] = [];
  let sport = 20000;
  for (let i = 0; i < PORTS; i++) {
    for (let c = 0; c <= i; c++) {
      const data = buildPacket({ proto: 'TCP', src: '10.244.2.20', dst: `10.96.1.${i + 1}`, sport: sport++, dport: 80, flags: 0x02 });
      records.push(pcapRecord({ sec: 1000 + records.length, frac: 0, data }));
    }
  }
  return concat(pcapHeader(), ...records);
}

describe('the summary of a 48-service-port replay', () => {
  it('names the 10 busiest, then counts the other 38 in one line', () => {
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), cluster());
    fs.writeFileSync(path.join(dir, 'in.pcap'), capture());
    const report = path.join(dir, 'report.json');
    const r = runCli(['replay', path.join(dir, 'in.pcap'), '-c', path.join(dir, 'cluster.yaml'), '--report', report]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json.services.filter((s: any) => s.packets > 0)).toHaveLength(PORTS);
    const lines = r.stdout.trimEnd().split('\n');
    const services = lines.filter((l) => l.startsWith('Service '));
    // svc-47 has 48 SYNs, svc-46 47, ... svc-38 39.
    expect(services).toEqual(Array.from({ length: 10 }, (_, k) => {
      const i = PORTS - 1 - k;
      return `Service default/svc-${i}:http: ${i + 1} packets, ${i + 1} connections (10.244.1.${i + 1}:8080 ${i + 1})`;
    }));
    // The other 38: 1 + 2 + ... + 38 packets and connections.
    const rest = (38 * 39) / 2;
    expect(lines.at(-1)).toBe(`... and 38 more service ports (${rest} packets, ${rest} connections)`);
    expect(lines.length).toBeLessThan(20);
  });
});
