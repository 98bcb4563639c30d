// Dataplane.update when the tables refuse a change (a capacity runs out): nothing changes, the
// dataplane's picture of the cluster included, so later updates are computed from what the
// tables hold and not from the refused objects.

import { describe, expect, it } from 'vitest';
import { Dataplane } from '../src/dataplane.js';
import { CapacityError } from '../src/core/errors.js';
import { parseObjectsText } from '../src/k8s/index.js';
import { buildPacket } from './helpers/packets.js';

const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] };

const service = (label: string) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: { rev: label } },
  spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
});
const slice = (n: number) => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  endpoints: Array.from({ length: n }, (_, i) => ({ addresses: [`10.244.1.${i + 1}`], conditions: { ready: true } })),
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});
const syn = (sport: number) => buildPacket({ proto: 'TCP', src: '10.244.9.9', dst: '10.96.0.10', sport, dport: 80, flags: 0x02 });

describe('Dataplane.update refused by the tables', () => {
  it('leaves the tables and the dataplane\'s objects as they were', () => {
    const objects = parseObjectsText(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service('a'), slice(2)] }), 'cluster.json').objects;
    const dp = new Dataplane({ ...NODE, objects, maxBackends: 4, roomForUpdates: false });
    expect(() => dp.update({ type: 'MODIFIED', object: slice(10) })).toThrow(CapacityError);
    // Packets still go to the two endpoints the tables hold.
    const backends = new Set(dp.process(Array.from({ length: 64 }, (_, i) => ({ data: syn(40000 + i), time: 1 }))).map((r) => r.backend));
    expect([...backends].sort()).toEqual(['10.244.1.1:8080', '10.244.1.2:8080']);
    // A change to the Service recomputes it from the slice the tables hold, not the refused one.
    const { stats } = dp.update({ type: 'MODIFIED', object: service('b') });
    expect(stats).not.toBeNull();
    expect(stats!.changedSets).toBe(0);
    // And a slice within the capacity is taken.
    expect(dp.update({ type: 'MODIFIED', object: slice(3) }).stats!.changedSets).toBe(1);
  });
});
