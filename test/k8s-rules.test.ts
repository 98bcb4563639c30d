// kube-proxy's rules (spec sections A, B, C, H, I), one describe per rule.
// Endpoint cases are kube-proxy's own: pkg/proxy/topology_test.go
// (TestCategorizeEndpoints) and pkg/proxy/endpointslicecache_test.go
// (TestEndpointsMapFromESC), each expressed as manifests and expected sets.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseObjectsText } from '../src/k8s/load.js';
import type { ClusterState, ServicePortState } from '../src/k8s/model.js';
import type { ClusterObjects } from '../src/k8s/objects.js';
import {
  computeClusterState,
  endpointSets,
  endpointsToSlices,
  healthCheckNodePorts,
  healthCheckResponse,
  type NodeContext,
} from '../src/k8s/rules.js';
import { endpointSlice, node, objectsOf, service, type EndpointSpec, type ServiceSpec } from './fixtures/k8s/builders.js';

const FIXTURES = new URL('./fixtures/k8s/', import.meta.url);

function fixture(name: string): ClusterObjects {
  const path = new URL(name, FIXTURES);
  return parseObjectsText(readFileSync(path, 'utf8'), name, { strict: true }).objects;
}

function keys(set: { ip: string; port: number }[]): string[] {
  return set.map((b) => (b.ip.includes(':') ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`));
}

function only(state: ClusterState, key: string, family: 4 | 6 = 4): ServicePortState {
  const found = state.servicePorts.filter((sp) => sp.key === key && sp.family === family);
  expect(found, `service port ${key} (IPv${family})`).toHaveLength(1);
  return found[0];
}

describe('the fixture cluster (test/fixtures/k8s/cluster.yaml) on node-a', () => {
  const state = computeClusterState(fixture('cluster.yaml'), { nodeName: 'node-a' });

  it('programs every service port of every proxied Service, in order', () => {
    expect(state.servicePorts.map((sp) => `${sp.key} ${sp.protocol} IPv${sp.family}`)).toEqual([
      'default/dual:api TCP IPv4',
      'default/dual:api TCP IPv6',
      'default/shop:http TCP IPv4',
      'default/web:http TCP IPv4',
      'default/web:https TCP IPv4',
      'kube-system/kube-dns:dns UDP IPv4',
      'kube-system/kube-dns:dns-tcp TCP IPv4',
    ]);
  });

  it('gives the full state of one LoadBalancer service port', () => {
    expect(only(state, 'default/shop:http')).toEqual({
      key: 'default/shop:http',
      namespace: 'default',
      name: 'shop',
      portName: 'http',
      family: 4,
      protocol: 'TCP',
      clusterIP: '10.96.30.30',
      port: 80,
      nodePort: 30080,
      externalIPs: [],
      loadBalancerIPs: ['198.51.100.10'],
      sourceRanges: ['203.0.113.0/24'],
      internalLocal: false,
      externalLocal: true,
      affinitySeconds: 600,
      healthCheckNodePort: 32000,
      endpoints: [
        { ip: '10.244.2.20', port: 8080, nodeName: 'node-b', zone: 'zone-b', ready: true, serving: true, terminating: false, isLocal: false },
      ],
      clusterSet: [
        { ip: '10.244.2.20', port: 8080, nodeName: 'node-b', zone: 'zone-b', ready: true, serving: true, terminating: false, isLocal: false },
      ],
      localSet: [],
    });
  });

  it('lists allocated ClusterIPs and the ServiceCIDRs', () => {
    expect(state.allocatedClusterIPs).toEqual(['10.96.0.10', '10.96.10.10', '10.96.20.20', '10.96.30.30', 'fd00:10:96::a']);
    expect(state.serviceCIDRs).toEqual(['10.96.0.0/16', 'fd00:10:96::/112']);
  });

  it('is deterministic', () => {
    expect(computeClusterState(fixture('cluster.yaml'), { nodeName: 'node-a' })).toEqual(state);
  });
});

describe('rule 1: headless and ExternalName Services get no rules', () => {
  it('skips clusterIP None, an empty clusterIP and type ExternalName', () => {
    const objects = objectsOf(
      service('headless', { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'] }),
      service('pending', { clusterIP: '', clusterIPs: [], ipFamilies: ['IPv4'] }),
      service('alias', { type: 'ExternalName', ports: [] }),
      service('alias-with-ip', { type: 'ExternalName', clusterIP: '10.96.0.77' }),
      service('web', { clusterIP: '10.96.0.80' }),
      endpointSlice('headless-abc', 'headless', { endpoints: [{ ip: '10.244.1.1' }] }),
    );
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    expect(state.servicePorts.map((sp) => sp.key)).toEqual(['default/web:http']);
    expect(state.allocatedClusterIPs).toEqual(['10.96.0.80']);
  });

  it('skips the headless and ExternalName Services of the fixture cluster', () => {
    const state = computeClusterState(fixture('cluster.yaml'), {});
    expect(state.servicePorts.some((sp) => sp.name === 'db' || sp.name === 'upstream')).toBe(false);
  });
});

describe('rule 2: each IP family is handled on its own', () => {
  const state = computeClusterState(fixture('cluster.yaml'), { nodeName: 'node-a' });

  it('uses the ClusterIP of each family and filters externalIPs to it (canonical IPv6)', () => {
    const v4 = only(state, 'default/dual:api', 4);
    const v6 = only(state, 'default/dual:api', 6);
    expect([v4.clusterIP, v4.externalIPs]).toEqual(['10.96.20.20', ['192.0.2.50']]);
    expect([v6.clusterIP, v6.externalIPs]).toEqual(['fd00:10:96::a', ['2001:db8::50']]);
    expect(keys(v6.endpoints)).toEqual(['[fd00:10:244:1::1e]:9443']);
    expect(keys(v4.endpoints)).toEqual(['10.244.1.30:9443']);
  });

  it('drops LB ingress entries with an empty IP or ipMode Proxy and filters the rest by family', () => {
    const objects = objectsOf(
      service('lb', {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.0.50', 'fd00::50'],
        ports: [{ name: 'http', port: 80, nodePort: 30001 }],
        ingress: [
          { ip: '198.51.100.1' },
          { ip: '198.51.100.2', ipMode: 'VIP' },
          { ip: '198.51.100.3', ipMode: 'Proxy' },
          { hostname: 'lb.example.com' },
          { ip: '', hostname: 'lb2.example.com' },
          { ip: '2001:0db8::0001' },
        ],
        loadBalancerSourceRanges: [' 203.0.113.0/24', '2001:db8:1::/48 ', '10.0.0.1/8'],
      }),
    );
    const state = computeClusterState(objects, {});
    const v4 = only(state, 'default/lb:http', 4);
    const v6 = only(state, 'default/lb:http', 6);
    expect(v4.loadBalancerIPs).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(v6.loadBalancerIPs).toEqual(['2001:db8::1']);
    expect(v4.sourceRanges).toEqual(['203.0.113.0/24', '10.0.0.0/8']);
    expect(v6.sourceRanges).toEqual(['2001:db8:1::/48']);
  });

  it('reads a pre-dual-stack Service (no ipFamilies) by its clusterIP family', () => {
    const svc = service('old', { clusterIP: 'fd00::10' });
    const spec = svc.spec as Record<string, unknown>;
    delete spec.ipFamilies;
    delete spec.clusterIPs;
    delete spec.ipFamilyPolicy;
    const state = computeClusterState(objectsOf(svc), {});
    expect(state.servicePorts.map((sp) => [sp.family, sp.clusterIP])).toEqual([[6, 'fd00::10']]);
  });

  it('programs nothing for a family the Service has no ClusterIP in', () => {
    const objects = objectsOf(
      service('v4only', { clusterIP: '10.96.0.60' }),
      endpointSlice('v4only-v6', 'v4only', { addressType: 'IPv6', endpoints: [{ ip: 'fd00::1' }] }),
    );
    expect(computeClusterState(objects, {}).servicePorts.map((sp) => sp.family)).toEqual([4]);
  });
});

describe('rule 3: the unit is a service port; the DNAT port comes from the slice port of the same name and protocol', () => {
  it('matches kube-dns "dns"/UDP and "dns-tcp"/TCP to their own slice ports whatever their order', () => {
    const state = computeClusterState(fixture('cluster.yaml'), {});
    const dns = only(state, 'kube-system/kube-dns:dns');
    const dnsTcp = only(state, 'kube-system/kube-dns:dns-tcp');
    expect([dns.protocol, dns.port, keys(dns.endpoints)]).toEqual(['UDP', 53, ['10.244.1.2:53', '10.244.2.2:53']]);
    expect([dnsTcp.protocol, keys(dnsTcp.endpoints)]).toEqual(['TCP', ['10.244.1.2:53', '10.244.2.2:53']]);
  });

  it('never reads the Service targetPort', () => {
    const objects = objectsOf(
      service('web', { ports: [{ name: 'http', port: 80, targetPort: 9999 }] }),
      endpointSlice('web-abc', 'web', { endpoints: [{ ip: '10.244.1.5' }], ports: [{ name: 'http', port: 8080 }] }),
    );
    expect(keys(only(computeClusterState(objects, {}), 'default/web:http').endpoints)).toEqual(['10.244.1.5:8080']);
  });

  it('does not use a slice port with the same name but another protocol', () => {
    const objects = objectsOf(
      service('sip', { ports: [{ name: 'sip', port: 5060, protocol: 'UDP' }] }),
      endpointSlice('sip-abc', 'sip', {
        endpoints: [{ ip: '10.244.1.5' }],
        ports: [{ name: 'sip', port: 5060, protocol: 'TCP' }],
      }),
    );
    const sp = only(computeClusterState(objects, {}), 'default/sip:sip');
    expect([sp.protocol, sp.endpoints]).toEqual(['UDP', []]);
  });

  it('keys a service port without a name as namespace/name', () => {
    const objects = objectsOf(
      service('plain', { ports: [{ port: 80 }] }),
      endpointSlice('plain-abc', 'plain', { endpoints: [{ ip: '10.244.1.5' }], ports: [{ name: '', port: 80 }] }),
    );
    const sp = only(computeClusterState(objects, {}), 'default/plain');
    expect([sp.portName, keys(sp.endpoints)]).toEqual(['', ['10.244.1.5:80']]);
  });
});

describe('rule 4: slices of the family, owned through kubernetes.io/service-name in the same namespace', () => {
  it('ignores slices of the other family, FQDN slices, other namespaces and other services', () => {
    const objects = objectsOf(
      service('web'),
      endpointSlice('web-v4', 'web', { endpoints: [{ ip: '10.244.1.5' }] }),
      endpointSlice('web-v6', 'web', { addressType: 'IPv6', endpoints: [{ ip: 'fd00::5' }] }),
      endpointSlice('web-fqdn', 'web', { addressType: 'FQDN', endpoints: [{ ip: 'web-0.example.com' }] }),
      endpointSlice('web-elsewhere', 'web', { namespace: 'other', endpoints: [{ ip: '10.244.9.9' }] }),
      endpointSlice('api-abc', 'api', { endpoints: [{ ip: '10.244.8.8' }] }),
    );
    expect(keys(only(computeClusterState(objects, {}), 'default/web:http').endpoints)).toEqual(['10.244.1.5:8080']);
  });
});

describe('rule 5: slice ports without a name field or with port 0/missing are ignored; "" matches an unnamed port', () => {
  it('skips those ports (and warns about the missing name)', () => {
    const svc = service('plain', { ports: [{ port: 80 }] });
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        svc,
        endpointSlice('plain-noname', 'plain', { endpoints: [{ ip: '10.244.1.1' }], ports: [{ port: 80 }] }),
        endpointSlice('plain-zero', 'plain', { endpoints: [{ ip: '10.244.1.2' }], ports: [{ name: '', port: 0 }] }),
        endpointSlice('plain-nil', 'plain', { endpoints: [{ ip: '10.244.1.3' }], ports: [{ name: '', port: null }] }),
        endpointSlice('plain-ok', 'plain', { endpoints: [{ ip: '10.244.1.4' }], ports: [{ name: '', port: 8080 }] }),
      ],
    });
    const { objects, problems } = parseObjectsText(text, 'plain.json');
    expect(problems.map((p) => [p.severity, p.object, p.path])).toEqual([
      ['warning', 'EndpointSlice default/plain-noname', 'items[1].ports[0]'],
    ]);
    expect(keys(only(computeClusterState(objects, {}), 'default/plain').endpoints)).toEqual(['10.244.1.4:8080']);
  });

  it('"Nil port should not break anything" (endpointslicecache_test)', () => {
    const objects = objectsOf(
      service('svc1', { namespace: 'ns1', ports: [{ name: 'port-0', port: 80 }] }),
      endpointSlice('svc1-1', 'svc1', {
        namespace: 'ns1',
        endpoints: [{ ip: '10.0.1.1', node: 'host2' }, { ip: '10.0.1.2', node: 'host1' }],
        ports: [{ name: 'port-0', port: null }],
      }),
    );
    expect(only(computeClusterState(objects, { nodeName: 'host1' }), 'ns1/svc1:port-0').endpoints).toEqual([]);
  });
});

describe('rule 6: addresses[0] only; ready/serving default true, terminating default false; isLocal by nodeName', () => {
  it('reads conditions as kube-proxy does', () => {
    const slice = endpointSlice('web-abc', 'web', {
      endpoints: [
        { ip: ['10.244.1.1', '10.244.1.101'], node: 'node-a' },
        { ip: '10.244.1.2', node: 'node-b' },
        { ip: '10.244.1.3' },
        { ip: '10.244.1.4', ready: false, serving: true, terminating: true, node: 'node-a' },
      ],
    });
    const eps = slice.endpoints as Record<string, unknown>[];
    delete eps[1].conditions; // all missing: ready, serving; not terminating
    eps[2].conditions = { ready: null, serving: null, terminating: null };
    const state = computeClusterState(objectsOf(service('web'), slice), { nodeName: 'node-a' });
    const got = only(state, 'default/web:http').endpoints.map((b) => [b.ip, b.ready, b.serving, b.terminating, b.isLocal]);
    expect(got).toEqual([
      ['10.244.1.1', true, true, false, true],
      ['10.244.1.2', true, true, false, false],
      ['10.244.1.3', true, true, false, false],
      ['10.244.1.4', false, true, true, true],
    ]);
  });

  it('has no local endpoints without a node name', () => {
    const objects = objectsOf(service('web'), endpointSlice('web-abc', 'web', { endpoints: [{ ip: '10.244.1.1' }] }));
    expect(only(computeClusterState(objects, {}), 'default/web:http').endpoints[0].isLocal).toBe(false);
  });

  it('writes IPv6 endpoint addresses in canonical form', () => {
    const objects = objectsOf(
      service('v6', { clusterIP: 'FD00:0:0:0:0:0:0:60' }),
      endpointSlice('v6-abc', 'v6', { addressType: 'IPv6', endpoints: [{ ip: 'FD00:10:244:0001:0000:0000:0000:0005' }] }),
    );
    const sp = only(computeClusterState(objects, {}), 'default/v6:http', 6);
    expect([sp.clusterIP, sp.endpoints[0].ip]).toEqual(['fd00::60', 'fd00:10:244:1::5']);
  });
});

// generateEndpointSlice from endpointslicecache_test.go: endpoints 10.0.<offset>.1..n,
// every unreadyMod-th not ready, every terminatingMod-th terminating, nodes round-robin.
function generatedSlice(
  svc: string,
  ns: string,
  sliceNum: number,
  offset: number,
  n: number,
  unreadyMod: number,
  terminatingMod: number,
  hosts: string[],
  ports: (number | null)[],
) {
  const endpoints: EndpointSpec[] = [];
  for (let i = 1; i <= n; i++) {
    const readyCond = i % unreadyMod !== 0;
    const term = i % terminatingMod === 0;
    const e: EndpointSpec = { ip: `10.0.${offset}.${i}`, ready: readyCond && !term, serving: readyCond, terminating: term };
    if (hosts.length > 0) e.node = hosts[i % hosts.length];
    endpoints.push(e);
  }
  return endpointSlice(`${svc}-${sliceNum}`, svc, {
    namespace: ns,
    endpoints,
    ports: ports.map((p, i) => ({ name: `port-${i}`, port: p })),
  });
}

describe('rule 7: all slices merged, de-duplicated by IP:port (non-terminating wins), sorted', () => {
  const svc1 = (ports = [{ name: 'port-0', port: 80 }]) => service('svc1', { namespace: 'ns1', ports });
  const endpointsOf = (objects: ClusterObjects, nodeName = '') =>
    only(computeClusterState(objects, { nodeName }), 'ns1/svc1:port-0').endpoints.map(
      (b) => `${b.ip}:${b.port} ready=${b.ready} serving=${b.serving} term=${b.terminating} local=${b.isLocal}`,
    );

  it('"1 slice, 2 hosts, ports 80,443"', () => {
    const objects = objectsOf(
      svc1([{ name: 'port-0', port: 80 }, { name: 'port-1', port: 443 }]),
      generatedSlice('svc1', 'ns1', 1, 1, 3, 999, 999, ['host1', 'host2'], [80, 443]),
    );
    const state = computeClusterState(objects, { nodeName: 'host1' });
    expect(only(state, 'ns1/svc1:port-0').endpoints.map((b) => [`${b.ip}:${b.port}`, b.isLocal])).toEqual([
      ['10.0.1.1:80', false],
      ['10.0.1.2:80', true],
      ['10.0.1.3:80', false],
    ]);
    expect(keys(only(state, 'ns1/svc1:port-1').endpoints)).toEqual(['10.0.1.1:443', '10.0.1.2:443', '10.0.1.3:443']);
  });

  it('"2 slices, same port": the union', () => {
    const objects = objectsOf(
      svc1(),
      generatedSlice('svc1', 'ns1', 1, 1, 3, 999, 999, [], [80]),
      generatedSlice('svc1', 'ns1', 2, 2, 3, 999, 999, [], [80]),
    );
    expect(keys(only(computeClusterState(objects, {}), 'ns1/svc1:port-0').endpoints)).toEqual([
      '10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80', '10.0.2.1:80', '10.0.2.2:80', '10.0.2.3:80',
    ]);
  });

  it('"2 overlapping slices, same port": each IP:port once', () => {
    const objects = objectsOf(
      svc1(),
      generatedSlice('svc1', 'ns1', 1, 1, 3, 999, 999, [], [80]),
      generatedSlice('svc1', 'ns1', 2, 1, 4, 999, 999, [], [80]),
    );
    expect(keys(only(computeClusterState(objects, {}), 'ns1/svc1:port-0').endpoints)).toEqual([
      '10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80', '10.0.1.4:80',
    ]);
  });

  it('"2 slices, overlapping endpoints, some endpoints unready and some endpoints terminating": sorted as strings', () => {
    // Same slice name twice: the second version replaces the first (as in the upstream cache).
    const objects = objectsOf(
      svc1(),
      generatedSlice('svc1', 'ns1', 1, 1, 10, 3, 5, [], [80]),
      generatedSlice('svc1', 'ns1', 1, 1, 10, 6, 5, [], [80]),
    );
    expect(endpointsOf(objects)).toEqual([
      '10.0.1.10:80 ready=false serving=true term=true local=false',
      '10.0.1.1:80 ready=true serving=true term=false local=false',
      '10.0.1.2:80 ready=true serving=true term=false local=false',
      '10.0.1.3:80 ready=true serving=true term=false local=false',
      '10.0.1.4:80 ready=true serving=true term=false local=false',
      '10.0.1.5:80 ready=false serving=true term=true local=false',
      '10.0.1.6:80 ready=false serving=false term=false local=false',
      '10.0.1.7:80 ready=true serving=true term=false local=false',
      '10.0.1.8:80 ready=true serving=true term=false local=false',
      '10.0.1.9:80 ready=true serving=true term=false local=false',
    ]);
  });

  it('"3 slices with different services and namespaces": only the service\'s own', () => {
    const objects = objectsOf(
      svc1(),
      generatedSlice('svc1', 'ns1', 1, 1, 3, 999, 999, [], [80]),
      generatedSlice('svc2', 'ns1', 2, 2, 3, 999, 999, [], [80]),
      generatedSlice('svc1', 'ns2', 3, 3, 3, 999, 999, [], [80]),
    );
    expect(keys(only(computeClusterState(objects, {}), 'ns1/svc1:port-0').endpoints)).toEqual([
      '10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80',
    ]);
  });

  it('"Different endpoints with duplicate IPs should not be filtered": same IP, two ports', () => {
    const objects = objectsOf(
      svc1(),
      generatedSlice('svc1', 'ns1', 1, 1, 2, 999, 999, ['host1', 'host2'], [80]),
      generatedSlice('svc1', 'ns1', 2, 1, 2, 999, 999, ['host1', 'host2'], [8080]),
    );
    expect(endpointsOf(objects, 'host1')).toEqual([
      '10.0.1.1:80 ready=true serving=true term=false local=false',
      '10.0.1.1:8080 ready=true serving=true term=false local=false',
      '10.0.1.2:80 ready=true serving=true term=false local=true',
      '10.0.1.2:8080 ready=true serving=true term=false local=true',
    ]);
  });

  it('keeps the non-terminating copy of an IP reused by a new pod, whichever slice comes first', () => {
    for (const [first, second] of [
      ['a-old', 'b-new'],
      ['b-old', 'a-new'],
    ]) {
      const objects = objectsOf(
        svc1(),
        endpointSlice(`svc1-${first}`, 'svc1', {
          namespace: 'ns1',
          endpoints: [{ ip: '10.0.1.1', ready: false, serving: true, terminating: true, node: 'host2' }],
          ports: [{ name: 'port-0', port: 80 }],
        }),
        endpointSlice(`svc1-${second}`, 'svc1', {
          namespace: 'ns1',
          endpoints: [{ ip: '10.0.1.1', node: 'host1' }],
          ports: [{ name: 'port-0', port: 80 }],
        }),
      );
      expect(endpointsOf(objects, 'host1')).toEqual(['10.0.1.1:80 ready=true serving=true term=false local=true']);
    }
  });
});

// TestCategorizeEndpoints (pkg/proxy/topology_test.go). Each endpoint is
// "ip:port"; `local` endpoints run on node-a (this node), others on node-b.
// `cluster`/`local` are the expected sets; omitted where kube-proxy would not
// compute that set for the service (nil upstream), though svcplane always does.
interface CategorizeCase {
  name: string;
  zone?: string | null;
  svc: { itpLocal?: boolean; etpLocal?: boolean; nodePort?: number };
  endpoints: { ep: string; zoneHints?: string[]; ready?: boolean; serving?: boolean; terminating?: boolean; local?: boolean }[];
  cluster?: string[];
  local?: string[];
}

function categorize(c: CategorizeCase, nodeCtx: Partial<NodeContext> = {}): ServicePortState {
  const zone = c.zone === undefined ? 'zone-a' : c.zone;
  const svcSpec: ServiceSpec = {
    type: c.svc.nodePort ? 'NodePort' : 'ClusterIP',
    ports: [{ name: 'http', port: 80, ...(c.svc.nodePort ? { nodePort: c.svc.nodePort } : {}) }],
    internalTrafficPolicy: c.svc.itpLocal ? 'Local' : 'Cluster',
  };
  if (c.svc.etpLocal) svcSpec.externalTrafficPolicy = 'Local';
  const objects = objectsOf(
    node('node-a', zone === null ? undefined : zone),
    node('node-b', 'zone-b'),
    service('svc', svcSpec),
    endpointSlice('svc-abc12', 'svc', {
      endpoints: c.endpoints.map((e) => {
        const [ip] = e.ep.split(':');
        const ready = e.ready ?? false;
        const spec: EndpointSpec = {
          ip,
          ready,
          serving: e.serving ?? ready,
          terminating: e.terminating ?? false,
          node: e.local ? 'node-a' : 'node-b',
        };
        if (e.zoneHints) spec.zoneHints = e.zoneHints;
        return spec;
      }),
      ports: [{ name: 'http', port: 80 }],
    }),
  );
  return only(computeClusterState(objects, { nodeName: 'node-a', ...nodeCtx }), 'default/svc:http');
}

function checkSets(c: CategorizeCase, sp: ServicePortState): void {
  if (c.cluster) expect(keys(sp.clusterSet).sort(), 'cluster set').toEqual([...c.cluster].sort());
  if (c.local) expect(keys(sp.localSet).sort(), 'local set').toEqual([...c.local].sort());
}

const hinted = (ready = true) => [
  { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready },
  { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready },
  { ep: '10.1.2.5:80', zoneHints: ['zone-c'], ready },
  { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready },
];
const ALL4 = ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.5:80', '10.1.2.6:80'];

describe('rule 8: the cluster set is the Ready endpoints, else serving+terminating; never not-serving', () => {
  const cases: CategorizeCase[] = [
    {
      name: 'Cluster traffic policy, endpoints not Ready',
      svc: {},
      endpoints: [{ ep: '10.0.0.0:80', ready: false }, { ep: '10.0.0.1:80', ready: false }],
      cluster: [],
    },
    {
      name: 'Cluster traffic policy, some endpoints are Ready',
      svc: {},
      endpoints: [{ ep: '10.0.0.0:80', ready: false }, { ep: '10.0.0.1:80', ready: true }],
      cluster: ['10.0.0.1:80'],
    },
    {
      name: 'Cluster traffic policy, PTE enabled, all endpoints are terminating',
      svc: {},
      endpoints: [
        { ep: '10.0.0.0:80', ready: false, serving: true, terminating: true, local: true },
        { ep: '10.0.0.1:80', ready: false, serving: true, terminating: true },
      ],
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
    },
    {
      name: 'iTP: Cluster, eTP: Local, PTE enabled, with terminating endpoints',
      svc: { etpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.0.0.0:80', ready: true },
        { ep: '10.0.0.1:80', ready: false, serving: false, local: true },
        { ep: '10.0.0.2:80', ready: false, serving: true, terminating: true, local: true },
        { ep: '10.0.0.3:80', ready: false, serving: true, terminating: true },
      ],
      cluster: ['10.0.0.0:80'],
      local: ['10.0.0.2:80'],
    },
  ];
  it.each(cases)('rule 8: $name', (c) => checkSets(c, categorize(c)));

  it('rule 8: not-serving endpoints are never used, terminating or not', () => {
    const c: CategorizeCase = {
      name: 'not serving',
      svc: {},
      endpoints: [
        { ep: '10.0.0.0:80', ready: false, serving: false, terminating: true },
        { ep: '10.0.0.1:80', ready: false, serving: false, terminating: false },
      ],
      cluster: [],
      local: [],
    };
    checkSets(c, categorize(c));
  });
});

describe('rule 9: the local set is local Ready endpoints, else local serving+terminating; no topology', () => {
  const cases: CategorizeCase[] = [
    {
      name: 'externalTrafficPolicy: Local, topology ignored for Local endpoints',
      svc: { etpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true, local: true },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready: true, local: true },
        { ep: '10.1.2.5:80', zoneHints: ['zone-c'], ready: true },
        { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready: true },
      ],
      cluster: ['10.1.2.3:80', '10.1.2.6:80'],
      local: ['10.1.2.3:80', '10.1.2.4:80'],
    },
    {
      name: 'internalTrafficPolicy: Local, topology ignored for Local endpoints',
      svc: { itpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true, local: true },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready: true, local: true },
        { ep: '10.1.2.5:80', zoneHints: ['zone-c'], ready: true },
        { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready: true },
      ],
      cluster: ['10.1.2.3:80', '10.1.2.6:80'],
      local: ['10.1.2.3:80', '10.1.2.4:80'],
    },
    {
      name: 'conflicting topology and localness require merging allEndpoints',
      svc: { etpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.0.0.0:80', zoneHints: ['zone-a'], ready: true, local: true },
        { ep: '10.0.0.1:80', zoneHints: ['zone-b'], ready: true, local: true },
        { ep: '10.0.0.2:80', zoneHints: ['zone-a'], ready: true },
        { ep: '10.0.0.3:80', zoneHints: ['zone-b'], ready: true },
      ],
      cluster: ['10.0.0.0:80', '10.0.0.2:80'],
      local: ['10.0.0.0:80', '10.0.0.1:80'],
    },
    { name: 'internalTrafficPolicy: Local, with empty endpoints', svc: { itpLocal: true }, endpoints: [], local: [], cluster: [] },
    {
      name: 'internalTrafficPolicy: Local, but all endpoints are remote',
      svc: { itpLocal: true },
      endpoints: [{ ep: '10.0.0.0:80', ready: true }, { ep: '10.0.0.1:80', ready: true }],
      local: [],
      // onlyRemoteEndpoints upstream: endpoints exist, so ClusterIP traffic is dropped, not rejected (rule 15).
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
    },
    {
      name: 'internalTrafficPolicy: Local, all endpoints are local',
      svc: { itpLocal: true },
      endpoints: [{ ep: '10.0.0.0:80', ready: true, local: true }, { ep: '10.0.0.1:80', ready: true, local: true }],
      local: ['10.0.0.0:80', '10.0.0.1:80'],
    },
    {
      name: 'internalTrafficPolicy: Local, some endpoints are local',
      svc: { itpLocal: true },
      endpoints: [{ ep: '10.0.0.0:80', ready: true, local: true }, { ep: '10.0.0.1:80', ready: true }],
      local: ['10.0.0.0:80'],
    },
    {
      name: 'iTP: Local, eTP: Local, PTE enabled, all endpoints remote and terminating',
      svc: { itpLocal: true, etpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.0.0.0:80', ready: false, serving: true, terminating: true },
        { ep: '10.0.0.1:80', ready: false, serving: true, terminating: true },
      ],
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      local: [],
    },
    {
      name: 'local Ready endpoints hide local terminating ones',
      svc: { etpLocal: true, nodePort: 8080 },
      endpoints: [
        { ep: '10.0.0.0:80', ready: true, local: true },
        { ep: '10.0.0.1:80', ready: false, serving: true, terminating: true, local: true },
      ],
      local: ['10.0.0.0:80'],
    },
  ];
  it.each(cases)('rule 9: $name', (c) => checkSets(c, categorize(c)));
});

describe('rule 10: which set each frontend uses (internal/external policy flags)', () => {
  const twoEndpoints = [
    { ep: '10.0.0.0:80', ready: true, local: true },
    { ep: '10.0.0.1:80', ready: true },
  ];
  const cases: (CategorizeCase & { internalLocal: boolean; externalLocal: boolean })[] = [
    {
      name: 'iTP: Local, eTP: Cluster, some endpoints local',
      svc: { itpLocal: true, nodePort: 8080 },
      endpoints: twoEndpoints,
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      local: ['10.0.0.0:80'],
      internalLocal: true,
      externalLocal: false,
    },
    {
      name: 'iTP: Cluster, eTP: Local, some endpoints local',
      svc: { etpLocal: true, nodePort: 8080 },
      endpoints: twoEndpoints,
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      local: ['10.0.0.0:80'],
      internalLocal: false,
      externalLocal: true,
    },
    {
      name: 'iTP: Local, eTP: Local, some endpoints local',
      svc: { itpLocal: true, etpLocal: true, nodePort: 8080 },
      endpoints: twoEndpoints,
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      local: ['10.0.0.0:80'],
      internalLocal: true,
      externalLocal: true,
    },
    {
      name: 'iTP: Local, eTP: Local, all endpoints remote',
      svc: { itpLocal: true, etpLocal: true, nodePort: 8080 },
      endpoints: [{ ep: '10.0.0.0:80', ready: true }, { ep: '10.0.0.1:80', ready: true }],
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      local: [],
      internalLocal: true,
      externalLocal: true,
    },
    {
      name: 'externalTrafficPolicy ignored if not externally accessible',
      svc: { etpLocal: true },
      endpoints: [{ ep: '10.0.0.0:80', ready: true }, { ep: '10.0.0.1:80', ready: true, local: true }],
      cluster: ['10.0.0.0:80', '10.0.0.1:80'],
      internalLocal: false,
      externalLocal: false,
    },
    {
      name: 'no cluster endpoints for iTP:Local internal-only service',
      svc: { itpLocal: true },
      endpoints: [{ ep: '10.0.0.0:80', ready: true }, { ep: '10.0.0.1:80', ready: true, local: true }],
      local: ['10.0.0.1:80'],
      internalLocal: true,
      externalLocal: false,
    },
  ];
  it.each(cases)('rule 10: $name', (c) => {
    const sp = categorize(c);
    checkSets(c, sp);
    expect([sp.internalLocal, sp.externalLocal]).toEqual([c.internalLocal, c.externalLocal]);
  });

  it('rule 10: a ClusterIP Service with externalIPs is externally accessible; a LoadBalancer too', () => {
    const objects = objectsOf(
      service('eip', { clusterIP: '10.96.0.91', externalIPs: ['192.0.2.9'], externalTrafficPolicy: 'Local' }),
      service('lb', {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.92',
        ports: [{ name: 'http', port: 80, nodePort: 30092 }],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 31092,
        ingress: [{ ip: '198.51.100.92' }],
      }),
      service('np-cluster', {
        type: 'NodePort',
        clusterIP: '10.96.0.93',
        ports: [{ name: 'http', port: 80, nodePort: 30093 }],
      }),
    );
    const state = computeClusterState(objects, {});
    expect(state.servicePorts.map((sp) => [sp.name, sp.externalLocal])).toEqual([
      ['eip', true],
      ['lb', true],
      ['np-cluster', false],
    ]);
  });
});

describe('rule 11: topology hints filter the cluster set only (PreferSameZone)', () => {
  const cases: CategorizeCase[] = [
    { name: 'hints enabled, hints annotation == auto', svc: {}, endpoints: hinted(), cluster: ['10.1.2.3:80', '10.1.2.6:80'] },
    { name: 'normal endpoint filtering, auto annotation', svc: {}, endpoints: hinted(), cluster: ['10.1.2.3:80', '10.1.2.6:80'] },
    {
      name: 'empty node labels',
      zone: null,
      svc: {},
      endpoints: [{ ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true }],
      cluster: ['10.1.2.3:80'],
    },
    {
      name: 'empty zone label',
      zone: '',
      svc: {},
      endpoints: [{ ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true }],
      cluster: ['10.1.2.3:80'],
    },
    {
      name: 'node in different zone, no endpoint filtering',
      zone: 'zone-b',
      svc: {},
      endpoints: [{ ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true }],
      cluster: ['10.1.2.3:80'],
    },
    {
      name: 'unready endpoint',
      svc: {},
      endpoints: [...hinted().slice(0, 3), { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready: false }],
      cluster: ['10.1.2.3:80'],
    },
    {
      name: 'only unready endpoints in same zone (should not filter)',
      svc: {},
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: false },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready: true },
        { ep: '10.1.2.5:80', zoneHints: ['zone-c'], ready: true },
        { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready: false },
      ],
      cluster: ['10.1.2.4:80', '10.1.2.5:80'],
    },
    {
      name: 'missing hints, no filtering applied',
      svc: {},
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: true },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready: true },
        { ep: '10.1.2.5:80', ready: true },
        { ep: '10.1.2.6:80', zoneHints: ['zone-a'], ready: true },
      ],
      cluster: ALL4,
    },
    {
      name: 'multiple hints per endpoint, filtering includes any endpoint with zone included',
      zone: 'zone-c',
      svc: {},
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a', 'zone-b', 'zone-c'], ready: true },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b', 'zone-c'], ready: true },
        { ep: '10.1.2.5:80', zoneHints: ['zone-b', 'zone-d'], ready: true },
        { ep: '10.1.2.6:80', zoneHints: ['zone-c'], ready: true },
      ],
      cluster: ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.6:80'],
    },
    {
      name: 'hinted endpoints all terminating: fallback ignores topology',
      svc: {},
      endpoints: [
        { ep: '10.1.2.3:80', zoneHints: ['zone-a'], ready: false, serving: true, terminating: true },
        { ep: '10.1.2.4:80', zoneHints: ['zone-b'], ready: false, serving: true, terminating: true },
      ],
      cluster: ['10.1.2.3:80', '10.1.2.4:80'],
    },
  ];
  it.each(cases)('rule 11: $name', (c) => checkSets(c, categorize(c)));

  it('rule 11: an explicit zone overrides the Node label', () => {
    const c: CategorizeCase = { name: 'zone option', svc: {}, endpoints: hinted(), cluster: ['10.1.2.4:80'] };
    checkSets(c, categorize(c, { zone: 'zone-b' }));
  });

  it('rule 11: forNodes hints (PreferSameNode) take precedence when every ready endpoint has one', () => {
    const objects = objectsOf(
      node('node-a', 'zone-a'),
      service('svc'),
      endpointSlice('svc-abc12', 'svc', {
        endpoints: [
          { ip: '10.1.2.3', zoneHints: ['zone-a'], nodeHints: ['node-b'], node: 'node-b' },
          { ip: '10.1.2.4', zoneHints: ['zone-a'], nodeHints: ['node-a'], node: 'node-a' },
          { ip: '10.1.2.5', zoneHints: ['zone-b'], nodeHints: ['node-c'], node: 'node-c' },
        ],
      }),
    );
    const byNode = only(computeClusterState(objects, { nodeName: 'node-a' }), 'default/svc:http');
    expect(keys(byNode.clusterSet)).toEqual(['10.1.2.4:8080']);
    const gateOff = only(computeClusterState(objects, { nodeName: 'node-a', preferSameNodeHints: false }), 'default/svc:http');
    expect(keys(gateOff.clusterSet)).toEqual(['10.1.2.3:8080', '10.1.2.4:8080']);
    const otherNode = only(computeClusterState(objects, { nodeName: 'node-z', zone: 'zone-b' }), 'default/svc:http');
    expect(keys(otherNode.clusterSet)).toEqual(['10.1.2.5:8080']);
  });
});

describe('rule 22: ClientIP affinity timeout', () => {
  it('defaults to 10800 seconds, reads timeoutSeconds, and is 0 without affinity', () => {
    const objects = objectsOf(
      service('a', { clusterIP: '10.96.0.1', sessionAffinity: 'ClientIP' }),
      service('b', { clusterIP: '10.96.0.2', sessionAffinity: 'ClientIP', timeoutSeconds: 86400 }),
      service('c', { clusterIP: '10.96.0.3', sessionAffinity: 'ClientIP', timeoutSeconds: 30 }),
      service('d', { clusterIP: '10.96.0.4' }),
    );
    expect(computeClusterState(objects, {}).servicePorts.map((sp) => [sp.name, sp.affinitySeconds])).toEqual([
      ['a', 10800],
      ['b', 86400],
      ['c', 30],
      ['d', 0],
    ]);
  });

  it('rejects a timeout above 86400 seconds', () => {
    const text = JSON.stringify(service('e', { sessionAffinity: 'ClientIP', timeoutSeconds: 86401 }));
    const { problems, objects } = parseObjectsText(text, 'e.json');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: timeoutSeconds 86401 is out of range (1-86400)',
    ]);
    expect(objects.services.size).toBe(0);
  });
});

describe('rule 23: healthCheckNodePort answers', () => {
  const lb = (name: string, hc: number) =>
    service(name, {
      type: 'LoadBalancer',
      clusterIP: `10.96.1.${hc % 100}`,
      ports: [
        { name: 'http', port: 80, nodePort: hc - 1000 },
        { name: 'https', port: 443, nodePort: hc - 999 },
      ],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: hc,
      ingress: [{ ip: `198.51.100.${hc % 100}` }],
    });
  const objects = objectsOf(
    lb('shop', 32001),
    endpointSlice('shop-1', 'shop', {
      endpoints: [
        { ip: '10.244.1.5', node: 'node-a' },
        { ip: '10.244.1.6', node: 'node-a', ready: false, serving: true, terminating: true },
        { ip: '10.244.2.5', node: 'node-b' },
      ],
      ports: [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }],
    }),
    lb('empty', 32002),
    service('cluster-lb', { type: 'LoadBalancer', clusterIP: '10.96.1.9', ports: [{ name: 'http', port: 80, nodePort: 30009 }] }),
  );

  it('answers 200 with the count of distinct local Ready endpoint IPs (terminating ones do not count)', () => {
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    expect(healthCheckResponse(state, 'default/shop')).toEqual({
      status: 200,
      body: { service: { namespace: 'default', name: 'shop' }, localEndpoints: 1, serviceProxyHealthy: true },
    });
    expect(healthCheckResponse(state, only(state, 'default/shop:https'))?.body.localEndpoints).toBe(1);
  });

  it('answers 503 on a node without local Ready endpoints, and when the proxy is unhealthy', () => {
    const other = computeClusterState(objects, { nodeName: 'node-c' });
    expect(healthCheckResponse(other, 'default/shop:http')).toEqual({
      status: 503,
      body: { service: { namespace: 'default', name: 'shop' }, localEndpoints: 0, serviceProxyHealthy: true },
    });
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    expect(healthCheckResponse(state, 'default/empty')?.status).toBe(503);
    expect(healthCheckResponse(state, 'default/shop', { proxyHealthy: false })).toMatchObject({
      status: 503,
      body: { localEndpoints: 1, serviceProxyHealthy: false },
    });
  });

  it('exists only for LoadBalancer Services with externalTrafficPolicy Local', () => {
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    expect(healthCheckResponse(state, 'default/cluster-lb')).toBeNull();
    expect(healthCheckNodePorts(state)).toEqual([
      { port: 32001, namespace: 'default', name: 'shop' },
      { port: 32002, namespace: 'default', name: 'empty' },
    ]);
  });
});

describe('rule 17 data: allocated ClusterIPs and service CIDRs', () => {
  it('collects ClusterIPs of proxied Services (both families, canonical) and canonical ServiceCIDRs', () => {
    const objects = objectsOf(
      service('b', { clusterIPs: ['10.96.0.20', 'FD00::0020'] }),
      service('a', { clusterIP: '10.96.0.3' }),
      service('h', { clusterIP: 'None', clusterIPs: ['None'] }),
      {
        apiVersion: 'networking.k8s.io/v1beta1',
        kind: 'ServiceCIDR',
        metadata: { name: 'extra', uid: 'u1', resourceVersion: '9' },
        spec: { cidrs: ['10.97.0.5/16'] },
      },
    );
    const state = computeClusterState(objects, {});
    expect(state.allocatedClusterIPs).toEqual(['10.96.0.3', '10.96.0.20', 'fd00::20']);
    expect(state.serviceCIDRs).toEqual(['10.97.0.0/16']);
  });
});

describe('legacy Endpoints (converted like the EndpointSlice mirroring controller)', () => {
  it('converts subsets per family, ready and not-ready addresses, and keeps port names', () => {
    const objects = fixture('endpoints-legacy.yaml');
    const ep = objects.endpoints.get('default/legacy')!;
    const slices = endpointsToSlices(ep);
    expect(slices.map((s) => [s.metadata.name, s.addressType, s.endpoints.length, s.ports.map((p) => `${p.name}:${p.port}`)])).toEqual([
      ['legacy-mirror-0-ipv4', 'IPv4', 3, ['http:9376', 'metrics:9100']],
      ['legacy-mirror-1-ipv6', 'IPv6', 1, ['http:9376', 'metrics:9100']],
    ]);
    const state = computeClusterState(objects, { nodeName: 'node-a' });
    const http = only(state, 'default/legacy:http');
    expect(http.endpoints.map((b) => [b.ip, b.ready, b.isLocal])).toEqual([
      ['192.168.10.11', true, true],
      ['192.168.10.12', true, false],
      ['192.168.10.13', false, false],
    ]);
    expect(keys(http.clusterSet)).toEqual(['192.168.10.11:9376', '192.168.10.12:9376']);
  });

  it('is not used when the Service has EndpointSlices', () => {
    const objects = fixture('endpoints-legacy.yaml');
    const withSlice = parseObjectsText(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          ...objects.services.values(),
          ...objects.endpoints.values(),
          endpointSlice('legacy-x1', 'legacy', { endpoints: [{ ip: '192.168.10.99' }], ports: [{ name: 'http', port: 9376 }] }),
        ],
      }),
      'mixed.json',
      { strict: true },
    ).objects;
    expect(keys(only(computeClusterState(withSlice, {}), 'default/legacy:http').endpoints)).toEqual(['192.168.10.99:9376']);
  });
});

describe('endpointSets: why each endpoint is not in each set (what `svcplane explain` prints)', () => {
  const sets = (eps: EndpointSpec[], nodeName = 'node-a', zone = 'z1') =>
    endpointSets(only(computeClusterState(objectsOf(service('web'), endpointSlice('web-1', 'web', { endpoints: eps })),
      { nodeName, zone }), 'default/web:http').endpoints, nodeName, zone);
  const why = (s: ReturnType<typeof sets>) => s.why.map((w) => [w.endpoint.ip, w.notCluster ?? 'in', w.notLocal ?? 'in']);

  it('ready endpoints: the not-ready and the terminating ones are left out, each with its reason (rules 8, 9)', () => {
    const s = sets([
      { ip: '10.0.0.1', node: 'node-a' },
      { ip: '10.0.0.2', node: 'node-b', ready: false },
      { ip: '10.0.0.3', node: 'node-a', ready: false, serving: true, terminating: true },
    ]);
    expect([s.clusterFallback, s.localFallback, s.topology]).toEqual([false, false, '']);
    expect(why(s)).toEqual([
      ['10.0.0.1', 'in', 'in'],
      ['10.0.0.2', 'not ready', 'not local'],
      ['10.0.0.3', 'terminating (ready endpoints exist)', 'terminating (ready endpoints exist)'],
    ]);
  });

  it('no ready endpoint: the serving terminating ones, and the not-serving ones left out (rules 8, 9)', () => {
    const s = sets([
      { ip: '10.0.0.1', node: 'node-a', ready: false, serving: true, terminating: true },
      { ip: '10.0.0.2', node: 'node-a', ready: false, serving: false, terminating: true },
    ]);
    expect([s.clusterFallback, s.localFallback]).toEqual([true, true]);
    expect(why(s)).toEqual([['10.0.0.1', 'in', 'in'], ['10.0.0.2', 'not serving', 'not serving']]);
  });

  it('topology hints: other zone, other node (rule 11); the reasons agree with the sets', () => {
    const zones = sets([{ ip: '10.0.0.1', zoneHints: ['z1'] }, { ip: '10.0.0.2', zoneHints: ['z2'] }]);
    expect(zones.topology).toBe('PreferSameZone');
    expect(why(zones).map(([ip, c]) => [ip, c])).toEqual([['10.0.0.1', 'in'], ['10.0.0.2', 'hinted for another zone']]);
    const nodes = sets([{ ip: '10.0.0.1', nodeHints: ['node-b'] }, { ip: '10.0.0.2', nodeHints: ['node-a'] }]);
    expect(nodes.topology).toBe('PreferSameNode');
    expect(why(nodes).map(([ip, c]) => [ip, c])).toEqual([['10.0.0.1', 'hinted for another node'], ['10.0.0.2', 'in']]);
    for (const s of [zones, nodes]) {
      expect(s.why.filter((w) => !w.notCluster).map((w) => w.endpoint)).toEqual(s.clusterSet);
      expect(s.why.filter((w) => !w.notLocal).map((w) => w.endpoint)).toEqual(s.localSet);
    }
  });
});
