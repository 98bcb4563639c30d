// ServiceCIDR objects reach the core the same way through the library and the command: a SYN to
// an address of the Service CIDR that no Service holds is dropped (rule 17,
// SERVICE_IP_UNALLOCATED) whether the ServiceCIDR comes with the manifests, through
// Dataplane.event, or in --updates (replay() and `svcplane replay`, either path); and deleting
// it lets such packets pass again. The node lists it changes are committed with the update.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../src/dataplane.js';
import { replay } from '../src/replay/replay.js';
import { tableNeeds } from '../src/core/tables.js';
import { CapacityError } from '../src/core/errors.js';
import { computeClusterState, parseObjectsText } from '../src/k8s/index.js';
import { REPO, tempDir, runCli, ensureBuilt, readTrace } from './helpers/cli.js';
import { backend, servicePort } from './helpers/harness.js';
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
const syn = (sport: number, dst = '10.96.0.77') => buildPacket({ proto: 'TCP', src: '10.244.1.20', dst, sport, dport: 80, flags: 0x02 });
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

  it('events change the dataplane, not the objects it was built from: two dataplanes of one object set stay apart', () => {
    const objects = withoutCIDR();
    const a = new Dataplane({ ...NODE, objects });
    const b = new Dataplane({ ...NODE, objects });
    a.event({ type: 'ADDED', object: serviceCIDR });
    expect(objects.serviceCIDRs.size).toBe(0);
    expect(a.process([{ data: syn(40004), time: 1 }])[0]!.reason).toBe('SERVICE_IP_UNALLOCATED');
    expect(b.process([{ data: syn(40004), time: 1 }])[0]!.verdict).toBe('passed');
    b.load(objects);
    b.event({ type: 'ADDED', object: serviceCIDR });
    expect(objects.serviceCIDRs.size).toBe(0);
  });

  describe('--updates: a ServiceCIDR added at 1 s and deleted at 3 s, SYNs at 0, 2 and 4 s', () => {
    // Each SYN is to an unallocated address in the ServiceCIDR; at 2 s a second one goes outside it.
    const times = [0, 2, 2, 4];
    const frames = times.map((t, i) => syn(41000 + i, i === 2 ? '10.97.0.77' : '10.96.0.77'));
    const expected = ['passed', 'dropped', 'passed', 'passed'];
    const capture = path.join(dir, 'four.pcap');
    fs.writeFileSync(capture, concat(pcapHeader(), ...frames.map((data, i) => pcapRecord({ sec: 1000 + times[i]!, frac: 0, data }))));
    const manifest = path.join(dir, 'no-cidr.yaml');
    fs.writeFileSync(manifest, text.split(/^---$/m).filter((d) => !/kind: ServiceCIDR/.test(d)).join('---'));
    const updates = path.join(dir, 'updates.jsonl');
    fs.writeFileSync(updates, [
      JSON.stringify({ at: 1, type: 'ADDED', object: serviceCIDR }),
      JSON.stringify({ at: 3, type: 'DELETED', object: serviceCIDR }),
    ].join('\n') + '\n');
    const nodeArgs = ['--node', 'node-a', '--node-ip', NODE.nodeIPs[0]!, '--cluster-cidr', NODE.podCIDRs[0]!];

    it('Dataplane.event at the events\' times', () => {
      const dp = new Dataplane({ ...NODE, objects: withoutCIDR() });
      const events = [{ at: 1, type: 'ADDED' as const }, { at: 3, type: 'DELETED' as const }];
      let next = 0;
      const verdicts: string[] = [];
      times.forEach((t, i) => {
        while (next < events.length && events[next]!.at <= t) dp.event({ type: events[next++]!.type, object: serviceCIDR });
        const [r] = dp.process([{ data: frames[i]!, time: 1000 + t }]);
        verdicts.push(r!.verdict);
        if (r!.verdict === 'dropped') expect(r!.reason).toBe('SERVICE_IP_UNALLOCATED');
      });
      expect(verdicts).toEqual(expected);
    });

    for (const [name, extra] of [['the record walk', {}], ['the per-packet path (--trace)', { trace: true }]] as const) {
      it(`replay(), ${name}`, () => {
        const trace = path.join(dir, `trace-lib-${'trace' in extra}.jsonl`);
        const report = replay({
          capture, cluster: [manifest], updates, node: 'node-a', nodeIPs: NODE.nodeIPs, podCIDRs: NODE.podCIDRs,
          ...('trace' in extra ? { trace } : {}),
        });
        expect(report.packets).toMatchObject({ in: 4, passed: 3, dropped: 1 });
        expect(report.drops).toEqual({ SERVICE_IP_UNALLOCATED: 1 });
        expect(report.updates.map((u) => `${u.at} ${u.type} ${u.object}`)).toEqual(['1 ADDED ServiceCIDR kubernetes', '3 DELETED ServiceCIDR kubernetes']);
        if ('trace' in extra) expect(readTrace(trace).map((l) => l.verdict)).toEqual(expected);
      });

      it(`svcplane replay --updates, ${name}`, () => {
        ensureBuilt();
        const reportFile = path.join(dir, `report-cli-${'trace' in extra}.json`);
        const trace = path.join(dir, `trace-cli-${'trace' in extra}.jsonl`);
        const r = runCli(['replay', capture, '--cluster', manifest, '--updates', updates, ...nodeArgs, '-q', '--report', reportFile,
          ...('trace' in extra ? ['--trace', trace] : [])]);
        expect(r.status, `${r.command}\n${r.stderr}`).toBe(0);
        const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
        expect(report.packets).toMatchObject({ in: 4, passed: 3, dropped: 1 });
        expect(report.drops).toEqual({ SERVICE_IP_UNALLOCATED: 1 });
        if ('trace' in extra) expect(readTrace(trace).map((l) => l.verdict)).toEqual(expected);
      });
    }
  });

  it('an update that fails leaves the node lists as they were', () => {
    const objects = withoutCIDR();
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    const dp = new Dataplane({ ...NODE, objects, maxBackends: tableNeeds(state).backends });
    // The ServiceCIDR and a Service whose backend does not fit, in one update: refused whole.
    const extra = servicePort({ key: 'default/extra:http', port: 80, clusterIP: '10.96.5.5', endpoints: [backend('10.244.9.9', 80)] });
    expect(() => dp.apply({ ...state, servicePorts: [...state.servicePorts, extra], serviceCIDRs: ['10.96.0.0/16'] })).toThrow(CapacityError);
    expect(dp.process([{ data: syn(42000), time: 1 }])[0]!.verdict).toBe('passed');
    // The same ServiceCIDR alone is committed.
    dp.apply({ ...state, serviceCIDRs: ['10.96.0.0/16'] });
    expect(dp.process([{ data: syn(42001), time: 2 }])[0]!.reason).toBe('SERVICE_IP_UNALLOCATED');
  });
});
