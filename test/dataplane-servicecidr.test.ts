// ServiceCIDR objects reach the core the same way through the library and the command: a SYN to
// an address of the Service CIDR that no Service holds is dropped (rule 17,
// SERVICE_IP_UNALLOCATED) whether the ServiceCIDR comes with the manifests, through
// Dataplane.event, or in --updates; and deleting it lets such packets pass again.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../src/dataplane.js';
import { replay } from '../src/replay/replay.js';
import { parseObjectsText } from '../src/k8s/index.js';
import { REPO, tempDir } from './helpers/cli.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';

const CLUSTER = path.join(REPO, 'test', 'fixtures', 'k8s', 'cluster.yaml');
const text = fs.readFileSync(CLUSTER, 'utf8');
const all = parseObjectsText(text, CLUSTER).objects;
const serviceCIDR = all.serviceCIDRs.get('kubernetes') ?? [...all.serviceCIDRs.values()][0]!;
const withoutCIDR = () => {
  const o = parseObjectsText(text, CLUSTER).objects;
  o.serviceCIDRs.clear();
  return o;
};
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };
// 10.96.0.77 is inside 10.96.0.0/16; no Service of the fixture holds it.
const syn = (sport: number) => buildPacket({ proto: 'TCP', src: '10.244.1.20', dst: '10.96.0.77', sport, dport: 80, flags: 0x02 });
const dir = tempDir('svcplane-servicecidr-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ServiceCIDR objects, library and command alike', () => {
  it('the fixture has a ServiceCIDR holding 10.96.0.0/16', () => {
    expect(serviceCIDR).toBeDefined();
    expect(JSON.stringify(serviceCIDR)).toContain('10.96.0.0/16');
  });

  it('Dataplane.load(): an unallocated Service address is dropped, as replay drops it', () => {
    const dp = new Dataplane(NODE);
    dp.load(all);
    const [r] = dp.process([{ data: syn(40000), time: 1 }]);
    expect(r!.verdict).toBe('dropped');
    expect(r!.reason).toBe('SERVICE_IP_UNALLOCATED');

    const capture = path.join(dir, 'one.pcap');
    fs.writeFileSync(capture, concat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: syn(40000) })));
    const report = replay({ capture, cluster: [CLUSTER], node: 'node-a', nodeIPs: NODE.nodeIPs, podCIDRs: NODE.podCIDRs });
    expect(report.drops).toEqual({ SERVICE_IP_UNALLOCATED: 1 });
  });

  it('without a ServiceCIDR the same packet passes', () => {
    const dp = new Dataplane(NODE);
    dp.load(withoutCIDR());
    expect(dp.process([{ data: syn(40001), time: 1 }])[0]!.verdict).toBe('passed');
  });

  it('Dataplane.event(): a ServiceCIDR added, then deleted', () => {
    const dp = new Dataplane(NODE);
    dp.load(withoutCIDR());
    dp.event({ type: 'ADDED', object: serviceCIDR });
    expect(dp.process([{ data: syn(40002), time: 1 }])[0]!.reason).toBe('SERVICE_IP_UNALLOCATED');
    dp.event({ type: 'DELETED', object: serviceCIDR });
    expect(dp.process([{ data: syn(40003), time: 2 }])[0]!.verdict).toBe('passed');
  });

  it('--updates: a ServiceCIDR added at 1 s and deleted at 3 s', () => {
    const capture = path.join(dir, 'four.pcap');
    fs.writeFileSync(capture, concat(pcapHeader(), ...[0, 2, 4].map((t, i) => pcapRecord({ sec: 1000 + t, frac: 0, data: syn(41000 + i) }))));
    const manifest = path.join(dir, 'no-cidr.yaml');
    fs.writeFileSync(manifest, text.split(/^---$/m).filter((d) => !/kind: ServiceCIDR/.test(d)).join('---'));
    const updates = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updates, [
      JSON.stringify({ at: 1, type: 'ADDED', object: serviceCIDR }),
      JSON.stringify({ at: 3, type: 'DELETED', object: serviceCIDR }),
    ].join('\n') + '\n');
    const trace = path.join(dir, 'trace.jsonl');
    for (const opts of [{}, { trace }]) {
      const report = replay({ capture, cluster: [manifest], updates, node: 'node-a', nodeIPs: NODE.nodeIPs, podCIDRs: NODE.podCIDRs, ...opts });
      expect(report.packets).toMatchObject({ in: 3, passed: 2, dropped: 1 });
      expect(report.drops).toEqual({ SERVICE_IP_UNALLOCATED: 1 });
    }
    const lines = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.verdict)).toEqual(['passed', 'dropped', 'passed']);
  });
});
