// --next-replicas on objects (src/whatif/replicas.ts): which endpoints are removed, which
// synthetic ones are added and where, legacy Endpoints, IPv6, and what the rules then program.

import { describe, expect, it } from 'vitest';
import { parseObjectsText } from '../src/k8s/load.js';
import { computeClusterState } from '../src/k8s/rules.js';
import { parseReplicaChange, withReplicas, ReplicasError } from '../src/whatif/replicas.js';
import type { ClusterObjects } from '../src/k8s/objects.js';

const SERVICE = (name: string, ip: string, family = 'IPv4') => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec: {clusterIP: "${ip}", ipFamilies: [${family}], ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}
---
`;

function objects(text: string): ClusterObjects {
  const r = parseObjectsText(text, 'test.yaml');
  expect(r.problems).toEqual([]);
  return r.objects;
}

/** The cluster set of a service port, as "ip:port". */
function backends(o: ClusterObjects, key: string, family = 4): string[] {
  const sp = computeClusterState(o).servicePorts.find((p) => p.key === key && p.family === family)!;
  return sp.clusterSet.map((b) => (family === 6 ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`));
}

const WEB = SERVICE('web', '10.96.0.10') + `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-a, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: ["10.244.1.9"]
- addresses: ["10.244.1.10"]
- addresses: ["10.244.1.2"]
- addresses: ["10.244.1.3"]
  conditions: {ready: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-b, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: ["198.18.0.1"]
`;

describe('--next-replicas', () => {
  it('parses name=N and namespace/name=N, and refuses the rest with the reason', () => {
    expect(parseReplicaChange('web=12')).toEqual({ service: 'default/web', replicas: 12 });
    expect(parseReplicaChange('shop/web=0')).toEqual({ service: 'shop/web', replicas: 0 });
    for (const bad of ['web', 'web=', '=3', 'web=-1', 'web=1.5', 'Web=3', 'a/b/c=1', 'web=65537']) {
      expect(() => parseReplicaChange(bad), bad).toThrow(ReplicasError);
    }
  });

  it('scaling in removes the ready endpoints with the highest addresses (numerically), across slices', () => {
    const o = objects(WEB);
    const { objects: next, effects } = withReplicas(o, [{ service: 'default/web', replicas: 2 }]);
    expect(effects).toEqual([{ service: 'default/web', family: 'IPv4', from: 4, to: 2, added: [], removed: ['10.244.1.10', '198.18.0.1'] }]);
    expect(backends(next, 'default/web:http')).toEqual(['10.244.1.2:8080', '10.244.1.9:8080']);
    // The endpoint that is not ready stays (it was not counted).
    expect(next.endpointSlices.get('default/web-a')!.endpoints.map((e) => e.addresses[0])).toEqual(['10.244.1.9', '10.244.1.2', '10.244.1.3']);
    // The objects given are left as they were.
    expect(backends(o, 'default/web:http')).toHaveLength(4);
  });

  it('scaling out adds ready endpoints from 198.18.0.1 up, skipping addresses in use, with the slices\' ports', () => {
    const { objects: next, effects } = withReplicas(objects(WEB), [{ service: 'default/web', replicas: 6 }]);
    expect(effects[0]).toMatchObject({ from: 4, to: 6, added: ['198.18.0.2', '198.18.0.3'], removed: [] });
    const slice = next.endpointSlices.get('default/web-whatif-ipv4')!;
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('web');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(backends(next, 'default/web:http')).toEqual(
      ['10.244.1.10:8080', '10.244.1.2:8080', '10.244.1.9:8080', '198.18.0.1:8080', '198.18.0.2:8080', '198.18.0.3:8080']);
  });

  it('numbers synthetic addresses across the changes of a run; a Service without slices takes its ports from the Service', () => {
    const o = objects(WEB + '---\n' + SERVICE('api', '10.96.0.11'));
    const { objects: next, effects } = withReplicas(o, [{ service: 'default/web', replicas: 5 }, { service: 'default/api', replicas: 2 }]);
    expect(effects.map((e) => e.added)).toEqual([['198.18.0.2'], ['198.18.0.3', '198.18.0.4']]);
    expect(backends(next, 'default/api:http')).toEqual(['198.18.0.3:8080', '198.18.0.4:8080']);
  });

  it('IPv6 Services get addresses from 2001:2::1 up', () => {
    const o = objects(SERVICE('v6', 'fd00::10', 'IPv6'));
    const { objects: next, effects } = withReplicas(o, [{ service: 'default/v6', replicas: 2 }]);
    expect(effects).toEqual([{ service: 'default/v6', family: 'IPv6', from: 0, to: 2, added: ['2001:2::1', '2001:2::2'], removed: [] }]);
    expect(backends(next, 'default/v6:http', 6)).toEqual(['[2001:2::1]:8080', '[2001:2::2]:8080']);
  });

  it('legacy Endpoints are scaled as the slices they stand for', () => {
    const o = objects(SERVICE('old', '10.96.0.12') + `apiVersion: v1
kind: Endpoints
metadata: {name: old, namespace: default}
subsets:
- addresses: [{ip: 10.244.2.1}, {ip: 10.244.2.2}, {ip: 10.244.2.3}]
  ports: [{name: http, port: 8080, protocol: TCP}]
`);
    expect(backends(o, 'default/old:http')).toHaveLength(3);
    const { objects: next } = withReplicas(o, [{ service: 'default/old', replicas: 1 }]);
    expect(next.endpoints.has('default/old')).toBe(false);
    expect(backends(next, 'default/old:http')).toEqual(['10.244.2.1:8080']);
  });

  it('refuses an unknown Service and a Service given twice', () => {
    const o = objects(WEB);
    expect(() => withReplicas(o, [{ service: 'default/nope', replicas: 1 }])).toThrow(/no Service default\/nope in the proposed state/);
    expect(() => withReplicas(o, [{ service: 'default/web', replicas: 1 }, { service: 'default/web', replicas: 2 }])).toThrow(/given twice/);
  });
});
