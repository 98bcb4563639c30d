// kube-proxy's packet rules (spec docs/kube-proxy-semantics.md
// sections D, E, F, G, H, K), each checked on packets: manifests as kubectl
// prints them (fixtures/k8s/builders.ts), a node (node-a, 192.168.49.2 /
// fd00:49::2, pods 10.244.0.0/16 / fd00:10:244::/56, Services 10.96.0.0/16 /
// fd00:10:96::/112), packets built from fields, and the core's verdicts and
// output bytes. Flow checks (translation, masquerade, reply path, reject
// frame, checksums) are fixtures/conformance/flow.ts.
//
// Where svcplane does not do what kube-proxy does the test is kept and marked
// `it.fails`, with the difference next to it.

import { describe, it, expect } from 'vitest';
import { Harness, type Out } from './helpers/harness.js';
import { buildPacket, checksumErrors, hex } from './helpers/packets.js';
import { endpointSlice, list, service, type EndpointSpec, type ServiceSpec, type SliceSpec } from './fixtures/k8s/builders.js';
import { checkFlow, checkReject, decode, hostPort, opening, answer, type Flow, type L4 } from './fixtures/conformance/flow.js';
import type { NodeConfig } from '../src/core/tables.js';
import { parseObjectsText, computeClusterState } from '../src/k8s/index.js';
import type { CoreOptions } from '../src/core/core.js';

const NODE = 'node-a';
const NODE_IP = '192.168.49.2';
const NODE_IP6 = 'fd00:49::2';
const OTHER_NODE_IP = '192.168.49.3';
const POD = '10.244.1.20';
const POD6 = 'fd00:10:244:1::20';
const EXTERNAL = '203.0.113.2';
const EXTERNAL6 = '2001:db8:77::2';
const ENV = { masqV4: NODE_IP, masqV6: NODE_IP6 };

type NodeSetup = { nodeName: string } & NodeConfig;
const NODE_SETUP: NodeSetup = {
  nodeName: NODE,
  nodeIPs: [NODE_IP, NODE_IP6],
  podCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'],
  serviceCIDRs: ['10.96.0.0/16', 'fd00:10:96::/112'],
};

const manifests = (...objects: unknown[]): string => JSON.stringify(list(objects), null, 2);
const harness = (objects: unknown[], over: Partial<NodeSetup> = {}, core: CoreOptions = {}): Harness =>
  Harness.fromManifests(manifests(...objects), { ...NODE_SETUP, ...over }, core);


const svc = (name: string, s: ServiceSpec) => service(name, s);
const slice = (svcName: string, s: SliceSpec, n = 1) => endpointSlice(`${svcName}-${n}`, svcName, s);
const eps = (...ips: string[]): EndpointSpec[] => ips.map((ip) => ({ ip, node: 'node-b' }));

/** First packet of a new connection; returns the core's output. */
function connect(h: Harness, proto: L4, src: string, dst: string, sport: number, dport: number, t: number): Out {
  return h.one({ bytes: opening(proto, src, dst, sport, dport), t });
}
/** A later packet of the same connection (TCP: an ACK with data). */
function again(h: Harness, proto: L4, src: string, dst: string, sport: number, dport: number, t: number): Out {
  return h.one({ bytes: buildPacket({ proto, src, dst, sport, dport, flags: 0x18, payload: 40 }), t });
}

// ---------------------------------------------------------------------------
describe('D. dispatch and DNAT', () => {
  const web = () => [
    svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', externalIPs: ['192.0.2.10'], ingress: [{ ip: '198.51.100.10' }],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
    slice('web', { endpoints: eps('10.244.2.5'), ports: [{ name: 'http', port: 8080 }] }),
  ];

  it('rule 12: another protocol on the same port does not match', () => {
    const h = harness(web());
    // TCP reaches the service port on every frontend...
    checkFlow(h, { name: 'TCP to ClusterIP', src: POD, dst: '10.96.0.10', dport: 80, output: '10.244.2.5:8080', masq: false }, { ...ENV, sport: 1000 });
    checkFlow(h, { name: 'TCP to external IP', src: EXTERNAL, dst: '192.0.2.10', dport: 80, output: '10.244.2.5:8080', masq: true }, { ...ENV, sport: 2000 });
    checkFlow(h, { name: 'TCP to LB IP', src: EXTERNAL, dst: '198.51.100.10', dport: 80, output: '10.244.2.5:8080', masq: true }, { ...ENV, sport: 3000 });
    checkFlow(h, { name: 'TCP to NodePort', src: EXTERNAL, dst: NODE_IP, dport: 30080, output: '10.244.2.5:8080', masq: true }, { ...ENV, sport: 4000 });
    // ... UDP and SCTP on the same numbers do not: on the ClusterIP it is an unknown port (rule 17),
    // elsewhere no Service rule at all.
    for (const proto of ['UDP', 'SCTP'] as const) {
      checkFlow(h, { name: `${proto} to ClusterIP`, proto, src: POD, dst: '10.96.0.10', dport: 80, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' }, { ...ENV, sport: 5000 });
      checkFlow(h, { name: `${proto} to external IP`, proto, src: EXTERNAL, dst: '192.0.2.10', dport: 80, output: '' }, { ...ENV, sport: 5100 });
      checkFlow(h, { name: `${proto} to LB IP`, proto, src: EXTERNAL, dst: '198.51.100.10', dport: 80, output: '' }, { ...ENV, sport: 5200 });
      checkFlow(h, { name: `${proto} to NodePort`, proto, src: EXTERNAL, dst: NODE_IP, dport: 30080, output: '' }, { ...ENV, sport: 5300 });
    }
  });

  const threeProtocols = [
    svc('dns', { type: 'NodePort', clusterIP: '10.96.0.53', ports: [
      { name: 'dns-tcp', port: 53, protocol: 'TCP', nodePort: 30053 },
      { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
      { name: 'dns-sctp', port: 53, protocol: 'SCTP', nodePort: 30053 }] }),
    slice('dns', { endpoints: eps('10.244.2.53', '10.244.3.53'), ports: [
      { name: 'dns-tcp', port: 5301, protocol: 'TCP' }, { name: 'dns', port: 5302, protocol: 'UDP' }, { name: 'dns-sctp', port: 5303, protocol: 'SCTP' }] }),
  ];
  it('rule 12: TCP, UDP and SCTP on one port number are three service ports', () => {
    const h = harness(threeProtocols);
    const target = { TCP: 5301, UDP: 5302, SCTP: 5303 };
    for (const proto of ['TCP', 'UDP', 'SCTP'] as const) {
      const output = `10.244.2.53:${target[proto]}, 10.244.3.53:${target[proto]}`;
      checkFlow(h, { name: `${proto} ClusterIP`, proto, src: POD, dst: '10.96.0.53', dport: 53, output, masq: false }, { ...ENV, sport: 10000 });
      checkFlow(h, { name: `${proto} NodePort`, proto, src: EXTERNAL, dst: NODE_IP, dport: 30053, output, masq: true }, { ...ENV, sport: 20000 });
    }
  });

  const dualNodePort = [
    svc('dual', { type: 'NodePort', clusterIPs: ['10.96.0.20', 'fd00:10:96::20'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
    slice('dual', { endpoints: eps('10.244.2.20'), ports: [{ name: 'http', port: 8080 }] }),
    slice('dual', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::20'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 12: NodePort matches on the NodePort addresses only (default: the node IPs), both families', () => {
    const objects = dualNodePort;
    const byDefault = harness(objects);
    checkFlow(byDefault, { name: 'node IP', src: EXTERNAL, dst: NODE_IP, dport: 30080, output: '10.244.2.20:8080', masq: true }, ENV);
    checkFlow(byDefault, { name: 'node IPv6', src: EXTERNAL6, dst: NODE_IP6, dport: 30080, output: '[fd00:10:244:2::20]:8080', masq: true }, ENV);
    checkFlow(byDefault, { name: 'another address of the subnet', src: EXTERNAL, dst: '192.168.49.77', dport: 30080, output: '' }, ENV);
    checkFlow(byDefault, { name: 'another node', src: EXTERNAL, dst: OTHER_NODE_IP, dport: 30080, output: '' }, ENV);

    const ranges = harness(objects, { nodePortCIDRs: ['192.168.49.0/24', 'fd00:49::/64'] });
    checkFlow(ranges, { name: 'inside --nodeport-addresses', src: EXTERNAL, dst: '192.168.49.77', dport: 30080, output: '10.244.2.20:8080', masq: true }, ENV);
    checkFlow(ranges, { name: 'inside --nodeport-addresses (IPv6)', src: EXTERNAL6, dst: 'fd00:49::77', dport: 30080, output: '[fd00:10:244:2::20]:8080', masq: true }, ENV);
    checkFlow(ranges, { name: 'outside --nodeport-addresses', src: EXTERNAL, dst: '192.168.50.1', dport: 30080, output: '' }, ENV);
  });

  // kube-proxy (nftables) never puts a loopback address into nodeport-ips, even when
  // --nodeport-addresses covers it ("localhost NodePorts are not supported").
  it('rule 12: NodePorts are never served on loopback, even inside --nodeport-addresses', () => {
    const h = harness(web(), { nodePortCIDRs: ['127.0.0.0/8', '192.168.49.0/24'] });
    checkFlow(h, { name: 'node IP', src: EXTERNAL, dst: NODE_IP, dport: 30080, output: '10.244.2.5:8080', masq: true }, ENV);
    checkFlow(h, { name: 'loopback', src: '127.0.0.1', dst: '127.0.0.1', dport: 30080, output: '' }, { ...ENV, sport: 50000 });
  });

  // Two connections from one client address and port to two VIPs of one Service, both DNATed
  // unmasqueraded to the same endpoint, would have the same reply tuple. Linux conntrack (under
  // kube-proxy) never lets two entries share a reply tuple: the second connection gets another source
  // port (implicit source NAT on clash), so the endpoint answers each on its own tuple and each answer
  // goes back from the VIP it belongs to.
  const twoVIPs = [
    svc('two', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.140', ingress: [{ ip: '198.51.100.140' }],
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30140 }, { name: 'http', port: 80, protocol: 'TCP', nodePort: 30141 }] }),
    slice('two', { endpoints: [{ ip: '10.244.1.140', node: NODE }], ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'http', port: 8080, protocol: 'TCP' }] }),
  ];
  it('rule 13: connections from one client port to two VIPs of a Service stay distinct at their endpoint', () => {
    const h = harness(twoVIPs);
    for (const [proto, port] of [['UDP', 53], ['TCP', 80]] as const) {
      // A pod: not masqueraded on the ClusterIP, short-circuited unmasqueraded on the LB IP (eTP Local).
      const viaClusterIP = connect(h, proto, POD, '10.96.0.140', 5000, port, 1);
      const viaLB = connect(h, proto, POD, '198.51.100.140', 5000, port, 1.5);
      expect([viaClusterIP.verdict, viaLB.verdict]).toEqual(['translated', 'translated']);
      const [a, b] = [decode(viaClusterIP.bytes), decode(viaLB.bytes)];
      expect(hostPort(a.src, a.sport) + ' ' + hostPort(a.dst, a.dport), `${proto}: the endpoint can tell the two connections apart`)
        .not.toBe(hostPort(b.src, b.sport) + ' ' + hostPort(b.dst, b.dport));
      for (const [o, vip] of [[viaClusterIP, '10.96.0.140'], [viaLB, '198.51.100.140']] as const) {
        const r = h.one({ bytes: answer(o.bytes), t: 2 });
        expect(r.verdict).toBe('reversed');
        const d = decode(r.bytes);
        expect(hostPort(d.src, d.sport), `${proto}: reply from the VIP the connection targeted`).toBe(hostPort(vip, port));
        expect(hostPort(d.dst, d.dport)).toBe(hostPort(POD, 5000));
      }
    }
  });

  describe('rule 13: backend choice', () => {
    const three = () => [
      svc('api', { clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80 }] }),
      slice('api', { endpoints: [
        ...eps('10.244.2.1', '10.244.2.2', '10.244.2.3'),
        { ip: '10.244.2.4', ready: false, serving: false, node: 'node-b' }, // never used
        { ip: '10.244.2.5', ready: false, serving: true, terminating: true, node: 'node-b' }, // not while ready ones exist
      ], ports: [{ name: 'http', port: 8080 }] }),
    ];
    const all = '10.244.2.1:8080, 10.244.2.2:8080, 10.244.2.3:8080';

    it('rule 13: --lb random picks only from the chosen set, and reaches all of it', () => {
      const h = harness(three(), {}, { lb: 'random' });
      checkFlow(h, { name: 'random', src: POD, dst: '10.96.0.30', dport: 80, output: all, masq: false }, { ...ENV, connections: 150 });
    });

    const localLB = [
      svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.31', ingress: [{ ip: '198.51.100.31' }], ports: [{ name: 'http', port: 80, nodePort: 30031 }] }),
      slice('lb', { endpoints: [{ ip: '10.244.1.1', node: NODE }, { ip: '10.244.1.2', node: NODE }, ...eps('10.244.2.1', '10.244.2.2')], ports: [{ name: 'http', port: 8080 }] }),
    ];
    it('rule 13: --lb random picks only local endpoints for externalTrafficPolicy Local', () => {
      const h = harness(localLB, {}, { lb: 'random' });
      checkFlow(h, { name: 'external', src: EXTERNAL, dst: '198.51.100.31', dport: 80, output: '10.244.1.1:8080, 10.244.1.2:8080', masq: false }, { ...ENV, connections: 80 });
    });

    it('rule 13: --lb random is deterministic for the same seed and capture, and depends on the seed', () => {
      const run = (seed: string) => {
        const h = harness(three(), {}, { lb: 'random', hashSeed: seed });
        return Array.from({ length: 64 }, (_, i) => connect(h, 'TCP', POD, '10.96.0.30', 30000 + i, 80, 1 + i * 0.5).backend);
      };
      const a = run('seed-a');
      expect(run('seed-a')).toEqual(a);
      expect(run('seed-b')).not.toEqual(a);
    });

    it('rule 13: the choice is made for the first packet only; later packets follow the connection', () => {
      for (const lb of ['random', 'maglev'] as const) {
        const h = harness(three(), {}, { lb });
        for (let c = 0; c < 20; c++) {
          const first = connect(h, 'TCP', POD, '10.96.0.30', 31000 + c, 80, 1 + c);
          for (let k = 1; k <= 5; k++) {
            const o = again(h, 'TCP', POD, '10.96.0.30', 31000 + c, 80, 1 + c + k * 0.1);
            expect(o.verdict).toBe('translated');
            expect(o.backend, `${lb}: connection ${c} packet ${k}`).toBe(first.backend);
            expect(checksumErrors(o.bytes)).toEqual([]);
          }
        }
      }
    });

    it('rule 13: the default (Maglev) also picks only from the set, and the same seed gives the same choices', () => {
      const h = harness(three(), {}, { hashSeed: 'x' });
      checkFlow(h, { name: 'maglev', src: POD, dst: '10.96.0.30', dport: 80, output: all, masq: false }, { ...ENV, connections: 60 });
      const choices = (hh: Harness) => Array.from({ length: 40 }, (_, i) => connect(hh, 'TCP', POD, '10.96.0.30', 33000 + i, 80, 1).backend);
      expect(choices(harness(three(), {}, { hashSeed: 'x' }))).toEqual(choices(harness(three(), {}, { hashSeed: 'x' })));
    });
  });
});

// ---------------------------------------------------------------------------
describe('E. no usable endpoints', () => {
  const notServing: EndpointSpec[] = [{ ip: '10.244.2.9', ready: false, serving: false, terminating: true, node: NODE }];
  const notServing6: EndpointSpec[] = [{ ip: 'fd00:10:244:2::9', ready: false, serving: false, terminating: true, node: NODE }];
  const ports = [{ name: 'http', port: 80, protocol: 'TCP' as const, nodePort: 30080 }, { name: 'dns', port: 53, protocol: 'UDP' as const, nodePort: 30053 },
    { name: 'echo', port: 7, protocol: 'SCTP' as const, nodePort: 30007 }];
  const slicePorts = ports.map((p) => ({ name: p.name, port: 9000 + p.port, protocol: p.protocol }));
  const gone = [
    svc('gone', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIPs: ['10.96.0.40', 'fd00:10:96::40'], ipFamilies: ['IPv4', 'IPv6'],
      externalIPs: ['192.0.2.40', '2001:db8:40::40'], ingress: [{ ip: '198.51.100.40' }, { ip: '2001:db8:41::40' }], ports }),
    slice('gone', { endpoints: notServing, ports: slicePorts }),
    slice('gone', { addressType: 'IPv6', endpoints: notServing6, ports: slicePorts }, 2),
  ];
  it('rule 14: no usable endpoint anywhere: REJECT on ClusterIP, externalIPs, LB and NodePort, TCP/UDP/SCTP, IPv4 and IPv6', () => {
    const h = harness(gone);
    let sport = 1000;
    for (const p of ports) {
      for (const [client, dst, dport] of [
        [POD, '10.96.0.40', p.port], [EXTERNAL, '192.0.2.40', p.port], [EXTERNAL, '198.51.100.40', p.port], [EXTERNAL, NODE_IP, p.nodePort],
        [POD6, 'fd00:10:96::40', p.port], [EXTERNAL6, '2001:db8:40::40', p.port], [EXTERNAL6, '2001:db8:41::40', p.port], [EXTERNAL6, NODE_IP6, p.nodePort],
      ] as const) {
        checkFlow(h, { name: `${p.protocol} ${client} > ${dst}:${dport}`, proto: p.protocol, src: client, dst, dport, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' }, { ...ENV, sport: (sport += 10) });
      }
    }
  });

  const emptyDual = [svc('empty', { clusterIPs: ['10.96.0.41', 'fd00:10:96::41'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80 }] })];
  it('rule 14: the reject quotes at most what fits in 576 (IPv4) / 1280 (IPv6) bytes', () => {
    const h = harness(emptyDual);
    for (const [src, dst, limit] of [[POD, '10.96.0.41', 576], [POD6, 'fd00:10:96::41', 1280]] as const) {
      const input = buildPacket({ proto: 'TCP', src, dst, sport: 4444, dport: 80, flags: 0x18, payload: 1400 });
      const o = h.one({ bytes: input, t: 1 });
      expect(o.verdict).toBe('rejected');
      expect(o.reason).toBe('SERVICE_NO_ENDPOINTS');
      checkReject(input, o.extra, { src, dst });
      expect(o.extra!.length - 14).toBe(limit);
    }
  });

  const itpLocal = [
    svc('itp', { type: 'LoadBalancer', internalTrafficPolicy: 'Local', clusterIPs: ['10.96.0.50', 'fd00:10:96::50'], ipFamilies: ['IPv4', 'IPv6'],
      ingress: [{ ip: '198.51.100.50' }], ports: [{ name: 'http', port: 80, nodePort: 30050 }] }),
    slice('itp', { endpoints: eps('10.244.2.50', '10.244.3.50'), ports: [{ name: 'http', port: 8080 }] }),
    slice('itp', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::50'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 15: internalTrafficPolicy Local with no local endpoint: ClusterIP traffic DROPped, external traffic still served', () => {
    const h = harness(itpLocal);
    checkFlow(h, { name: 'pod to ClusterIP', src: POD, dst: '10.96.0.50', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    checkFlow(h, { name: 'node to ClusterIP', src: NODE_IP, dst: '10.96.0.50', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    checkFlow(h, { name: 'pod to ClusterIP (IPv6)', src: POD6, dst: 'fd00:10:96::50', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    checkFlow(h, { name: 'external to NodePort', src: EXTERNAL, dst: NODE_IP, dport: 30050, output: '10.244.2.50:8080, 10.244.3.50:8080', masq: true }, ENV);
    checkFlow(h, { name: 'pod to LB IP', src: POD, dst: '198.51.100.50', dport: 80, output: '10.244.2.50:8080, 10.244.3.50:8080', masq: true }, { ...ENV, sport: 45000 });
  });

  const etpNoLocal = [
    svc('etp', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIPs: ['10.96.0.60', 'fd00:10:96::60'], ipFamilies: ['IPv4', 'IPv6'],
      externalIPs: ['192.0.2.60'], ingress: [{ ip: '198.51.100.60' }, { ip: '2001:db8:41::60' }], ports: [{ name: 'http', port: 80, nodePort: 30060 }] }),
    slice('etp', { endpoints: eps('10.244.2.60'), ports: [{ name: 'http', port: 8080 }] }),
    slice('etp', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::60'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 16: externalTrafficPolicy Local with no local endpoint: external traffic DROPped on NodePort, externalIPs and LB IPs', () => {
    const h = harness(etpNoLocal);
    for (const [dst, dport] of [['198.51.100.60', 80], ['192.0.2.60', 80], [NODE_IP, 30060]] as const) {
      checkFlow(h, { name: `external to ${dst}`, src: EXTERNAL, dst, dport, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    }
    checkFlow(h, { name: 'external to LB IPv6', src: EXTERNAL6, dst: '2001:db8:41::60', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    checkFlow(h, { name: 'external to NodePort IPv6', src: EXTERNAL6, dst: NODE_IP6, dport: 30060, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' }, ENV);
    // ClusterIP traffic is not external traffic.
    checkFlow(h, { name: 'external to ClusterIP', src: EXTERNAL, dst: '10.96.0.60', dport: 80, output: '10.244.2.60:8080', masq: true }, ENV);
  });

  const etpTerminating = [
    svc('etp', { type: 'NodePort', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.61', ports: [{ name: 'http', port: 80, nodePort: 30061 }] }),
    slice('etp', { endpoints: [{ ip: '10.244.1.61', ready: false, serving: true, terminating: true, node: NODE }, ...eps('10.244.2.61')], ports: [{ name: 'http', port: 8080 }] }),
  ];
  it('rule 16: externalTrafficPolicy Local uses a local serving-terminating endpoint when no local one is ready', () => {
    const h = harness(etpTerminating);
    checkFlow(h, { name: 'external to NodePort', src: EXTERNAL, dst: NODE_IP, dport: 30061, output: '10.244.1.61:8080', masq: false }, ENV);
    checkFlow(h, { name: 'pod to ClusterIP', src: POD, dst: '10.96.0.61', dport: 80, output: '10.244.2.61:8080', masq: false }, ENV);
  });

  const oneDual = [
    svc('one', { clusterIPs: ['10.96.0.70', 'fd00:10:96::70'], ipFamilies: ['IPv4', 'IPv6'], externalIPs: ['192.0.2.70'], ports: [{ name: 'http', port: 80 }] }),
    slice('one', { endpoints: eps('10.244.2.70'), ports: [{ name: 'http', port: 8080 }] }),
    slice('one', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::70'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 17: unknown port of an allocated ClusterIP: REJECT; unallocated address in the service CIDR: DROP; elsewhere: untouched', () => {
    const h = harness(oneDual);
    const flows: Flow[] = [
      { name: 'unknown TCP port', src: POD, dst: '10.96.0.70', dport: 81, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
      { name: 'unknown UDP port', proto: 'UDP', src: EXTERNAL, dst: '10.96.0.70', dport: 53, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
      { name: 'unknown SCTP port', proto: 'SCTP', src: POD, dst: '10.96.0.70', dport: 80, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
      { name: 'unknown port (IPv6)', src: POD6, dst: 'fd00:10:96::70', dport: 81, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
      { name: 'unallocated', src: POD, dst: '10.96.0.71', dport: 80, output: 'DROP', reason: 'SERVICE_IP_UNALLOCATED' },
      { name: 'unallocated UDP', proto: 'UDP', src: POD, dst: '10.96.200.1', dport: 53, output: 'DROP', reason: 'SERVICE_IP_UNALLOCATED' },
      { name: 'unallocated (IPv6)', src: POD6, dst: 'fd00:10:96::71', dport: 80, output: 'DROP', reason: 'SERVICE_IP_UNALLOCATED' },
      // Only ClusterIPs: an external IP on another port, and addresses outside the CIDR, are not Services.
      { name: 'external IP, other port', src: EXTERNAL, dst: '192.0.2.70', dport: 81, output: '' },
      { name: 'outside the service CIDR', src: POD, dst: '10.97.0.70', dport: 80, output: '' },
      { name: 'outside the service CIDR (IPv6)', src: POD6, dst: 'fd00:10:97::70', dport: 80, output: '' },
    ];
    flows.forEach((f, i) => checkFlow(h, f, { ...ENV, sport: 2000 + i * 10 }));
  });
});

// ---------------------------------------------------------------------------
describe('F. masquerade', () => {
  const selfDual = [
    svc('self', { clusterIPs: ['10.96.0.80', 'fd00:10:96::80'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80 }] }),
    slice('self', { endpoints: [{ ip: '10.244.1.80', node: NODE }], ports: [{ name: 'http', port: 8080 }] }),
    slice('self', { addressType: 'IPv6', endpoints: [{ ip: 'fd00:10:244:1::80', node: NODE }], ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 18: hairpin: a connection from the chosen endpoint itself is masqueraded, IPv4 and IPv6, with or without a pod CIDR', () => {
    const objects = selfDual;
    for (const podCIDRs of [NODE_SETUP.podCIDRs!, []]) {
      const h = harness(objects, { podCIDRs });
      checkFlow(h, { name: 'hairpin', src: '10.244.1.80', dst: '10.96.0.80', dport: 80, output: '10.244.1.80:8080', masq: true }, ENV);
      checkFlow(h, { name: 'hairpin (IPv6)', src: 'fd00:10:244:1::80', dst: 'fd00:10:96::80', dport: 80, output: '[fd00:10:244:1::80]:8080', masq: true }, ENV);
      checkFlow(h, { name: 'another pod', src: '10.244.1.81', dst: '10.96.0.80', dport: 80, output: '10.244.1.80:8080', masq: false }, ENV);
    }
  });

  const selfLB = [
    svc('self', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.81', ingress: [{ ip: '198.51.100.81' }], ports: [{ name: 'http', port: 80, nodePort: 30081 }] }),
    slice('self', { endpoints: [{ ip: '10.244.1.81', node: NODE }], ports: [{ name: 'http', port: 8080 }] }),
  ];
  it('rule 18: hairpin through an externalTrafficPolicy Local LoadBalancer is masqueraded too', () => {
    const h = harness(selfLB);
    checkFlow(h, { name: 'endpoint to its LB IP', src: '10.244.1.81', dst: '198.51.100.81', dport: 80, output: '10.244.1.81:8080', masq: true }, ENV);
    checkFlow(h, { name: 'endpoint to its NodePort', src: '10.244.1.81', dst: NODE_IP, dport: 30081, output: '10.244.1.81:8080', masq: true }, ENV);
    checkFlow(h, { name: 'other pod to the LB IP', src: POD, dst: '198.51.100.81', dport: 80, output: '10.244.1.81:8080', masq: false }, ENV);
  });

  const clusterIPDual = [
    svc('c', { clusterIPs: ['10.96.0.90', 'fd00:10:96::90'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80 }] }),
    slice('c', { endpoints: eps('10.244.2.90', '10.244.3.90'), ports: [{ name: 'http', port: 8080 }] }),
    slice('c', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::90'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  it('rule 19: ClusterIP traffic is masqueraded exactly when its source is outside the pod CIDR', () => {
    const objects = clusterIPDual;
    const out = '10.244.2.90:8080, 10.244.3.90:8080';
    const h = harness(objects);
    checkFlow(h, { name: 'pod', src: POD, dst: '10.96.0.90', dport: 80, output: out, masq: false }, ENV);
    checkFlow(h, { name: 'pod of another node', src: '10.244.7.7', dst: '10.96.0.90', dport: 80, output: out, masq: false }, ENV);
    checkFlow(h, { name: 'this node', src: NODE_IP, dst: '10.96.0.90', dport: 80, output: out, masq: true }, ENV);
    checkFlow(h, { name: 'another node', src: OTHER_NODE_IP, dst: '10.96.0.90', dport: 80, output: out, masq: true }, ENV);
    checkFlow(h, { name: 'external', src: EXTERNAL, dst: '10.96.0.90', dport: 80, output: out, masq: true }, ENV);
    checkFlow(h, { name: 'UDP from outside', proto: 'UDP', src: EXTERNAL, dst: '10.96.0.90', dport: 80, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' }, ENV);
    checkFlow(h, { name: 'pod (IPv6)', src: POD6, dst: 'fd00:10:96::90', dport: 80, output: '[fd00:10:244:2::90]:8080', masq: false }, ENV);
    checkFlow(h, { name: 'external (IPv6)', src: EXTERNAL6, dst: 'fd00:10:96::90', dport: 80, output: '[fd00:10:244:2::90]:8080', masq: true }, ENV);

    const all = harness(objects, { masqueradeAll: true });
    checkFlow(all, { name: 'pod, --masquerade-all', src: POD, dst: '10.96.0.90', dport: 80, output: out, masq: true }, ENV);
    checkFlow(all, { name: 'pod, --masquerade-all (IPv6)', src: POD6, dst: 'fd00:10:96::90', dport: 80, output: '[fd00:10:244:2::90]:8080', masq: true }, ENV);

    const noDetector = harness(objects, { podCIDRs: [] });
    checkFlow(noDetector, { name: 'node, no pod CIDR', src: NODE_IP, dst: '10.96.0.90', dport: 80, output: out, masq: false }, ENV);
    checkFlow(noDetector, { name: 'external, no pod CIDR', src: EXTERNAL, dst: '10.96.0.90', dport: 80, output: out, masq: false }, ENV);
  });

  const oneBackend = [
    svc('c', { clusterIP: '10.96.0.91', ports: [{ name: 'http', port: 80 }] }),
    slice('c', { endpoints: eps('10.244.2.91'), ports: [{ name: 'http', port: 8080 }] }),
  ];
  it('rule 19: a masqueraded connection whose source port is taken by another gets a free port, and both replies find their client', () => {
    const h = harness(oneBackend);
    const a = connect(h, 'TCP', EXTERNAL, '10.96.0.91', 40000, 80, 1);
    const b = connect(h, 'TCP', '198.51.100.200', '10.96.0.91', 40000, 80, 2);
    const [da, db] = [decode(a.bytes), decode(b.bytes)];
    expect([da.src, db.src]).toEqual([NODE_IP, NODE_IP]);
    expect(da.sport).toBe(40000);
    expect(db.sport).not.toBe(40000);
    expect(db.sport).toBeGreaterThanOrEqual(32768);
    expect(db.sport).toBeLessThanOrEqual(60999);
    for (const [o, client] of [[a, EXTERNAL], [b, '198.51.100.200']] as const) {
      const r = h.one({ bytes: answer(o.bytes), t: 3 });
      expect(r.verdict).toBe('reversed');
      const d = decode(r.bytes);
      expect(hostPort(d.dst, d.dport)).toBe(hostPort(client, 40000));
      expect(hostPort(d.src, d.sport)).toBe('10.96.0.91:80');
      expect(checksumErrors(r.bytes)).toEqual([]);
    }
  });

  describe('rule 20: external destinations', () => {
    const objects = (policy: 'Cluster' | 'Local', local: boolean) => [
      svc('ext', { type: 'LoadBalancer', externalTrafficPolicy: policy, clusterIPs: ['10.96.0.100', 'fd00:10:96::100'], ipFamilies: ['IPv4', 'IPv6'],
        externalIPs: ['192.0.2.100'], ingress: [{ ip: '198.51.100.100' }, { ip: '2001:db8:41::100' }], ports: [{ name: 'http', port: 80, nodePort: 30100 }] }),
      slice('ext', { endpoints: [...(local ? [{ ip: '10.244.1.100', node: NODE }] : []), ...eps('10.244.2.100')], ports: [{ name: 'http', port: 8080 }] }),
      slice('ext', { addressType: 'IPv6', endpoints: [...(local ? [{ ip: 'fd00:10:244:1::100', node: NODE }] : []), ...eps('fd00:10:244:2::100')], ports: [{ name: 'http', port: 8080 }] }, 2),
    ];
    const externals = [['198.51.100.100', 80], ['192.0.2.100', 80], [NODE_IP, 30100]] as const;

    it('rule 20: externalTrafficPolicy Cluster masquerades every external connection, pods and nodes included', () => {
      const h = harness(objects('Cluster', true));
      const both = '10.244.1.100:8080, 10.244.2.100:8080';
      let sport = 1000;
      for (const [dst, dport] of externals) {
        for (const src of [EXTERNAL, POD, NODE_IP, '10.244.1.100']) {
          checkFlow(h, { name: `${src} > ${dst}`, src, dst, dport, output: both, masq: true }, { ...ENV, sport: (sport += 100) });
        }
      }
      checkFlow(h, { name: 'IPv6 external to LB', src: EXTERNAL6, dst: '2001:db8:41::100', dport: 80, output: '[fd00:10:244:1::100]:8080, [fd00:10:244:2::100]:8080', masq: true }, ENV);
      checkFlow(h, { name: 'IPv6 pod to NodePort', src: POD6, dst: NODE_IP6, dport: 30100, output: '[fd00:10:244:1::100]:8080, [fd00:10:244:2::100]:8080', masq: true }, ENV);
    });

    it('rule 20: externalTrafficPolicy Local: external clients keep their address and reach only local endpoints', () => {
      const h = harness(objects('Local', true));
      externals.forEach(([dst, dport], i) => {
        checkFlow(h, { name: `external > ${dst}`, src: EXTERNAL, dst, dport, output: '10.244.1.100:8080', masq: false }, { ...ENV, sport: 1000 + i * 100 });
      });
      checkFlow(h, { name: 'IPv6 external to LB', src: EXTERNAL6, dst: '2001:db8:41::100', dport: 80, output: '[fd00:10:244:1::100]:8080', masq: false }, { ...ENV, sport: 2000 });
      checkFlow(h, { name: 'IPv6 external to NodePort', src: EXTERNAL6, dst: NODE_IP6, dport: 30100, output: '[fd00:10:244:1::100]:8080', masq: false }, { ...ENV, sport: 2100 });
    });

    it('rule 20: externalTrafficPolicy Local: pod clients short-circuit to the cluster set unmasqueraded, even with no local endpoint', () => {
      for (const local of [true, false]) {
        const h = harness(objects('Local', local));
        const set = local ? '10.244.1.100:8080, 10.244.2.100:8080' : '10.244.2.100:8080';
        externals.forEach(([dst, dport], i) => {
          checkFlow(h, { name: `pod > ${dst} (local endpoint: ${local})`, src: POD, dst, dport, output: set, masq: false }, { ...ENV, sport: 1000 + i * 100 });
        });
        const set6 = local ? '[fd00:10:244:1::100]:8080, [fd00:10:244:2::100]:8080' : '[fd00:10:244:2::100]:8080';
        checkFlow(h, { name: `IPv6 pod > LB (local endpoint: ${local})`, src: POD6, dst: '2001:db8:41::100', dport: 80, output: set6, masq: false }, ENV);
      }
    });

    it('rule 20: externalTrafficPolicy Local: node-sourced traffic is masqueraded to the cluster set, even with no local endpoint', () => {
      for (const local of [true, false]) {
        // Two IPv4 node addresses: both are this node; the first is the masquerade source.
        const h = harness(objects('Local', local), { nodeIPs: [NODE_IP, '172.16.0.2', NODE_IP6] });
        const set = local ? '10.244.1.100:8080, 10.244.2.100:8080' : '10.244.2.100:8080';
        externals.forEach(([dst, dport], i) => {
          for (const src of [NODE_IP, '172.16.0.2']) {
            checkFlow(h, { name: `node ${src} > ${dst} (local endpoint: ${local})`, src, dst, dport, output: set, masq: true }, { ...ENV, sport: 1000 + i * 100 });
          }
        });
        const set6 = local ? '[fd00:10:244:1::100]:8080, [fd00:10:244:2::100]:8080' : '[fd00:10:244:2::100]:8080';
        checkFlow(h, { name: `IPv6 node > LB (local endpoint: ${local})`, src: NODE_IP6, dst: '2001:db8:41::100', dport: 80, output: set6, masq: true }, ENV);
        // Another node is an external client.
        checkFlow(h, { name: `other node > LB (local endpoint: ${local})`, src: OTHER_NODE_IP, dst: '198.51.100.100', dport: 80,
          output: local ? '10.244.1.100:8080' : 'DROP', reason: local ? undefined : 'NO_LOCAL_ENDPOINTS', masq: false }, ENV);
      }
    });
  });
});

// ---------------------------------------------------------------------------
describe('G. loadBalancerSourceRanges', () => {
  const objects = (ranges: string[], endpoints = true) => [
    svc('fw', { type: 'LoadBalancer', clusterIPs: ['10.96.0.110', 'fd00:10:96::110'], ipFamilies: ['IPv4', 'IPv6'], externalIPs: ['192.0.2.110'],
      ingress: [{ ip: '198.51.100.110' }, { ip: '198.51.100.111' }, { ip: '2001:db8:41::110' }], loadBalancerSourceRanges: ranges,
      ports: [{ name: 'http', port: 80, nodePort: 30110 }] }),
    ...(endpoints ? [
      slice('fw', { endpoints: eps('10.244.2.110'), ports: [{ name: 'http', port: 8080 }] }),
      slice('fw', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::110'), ports: [{ name: 'http', port: 8080 }] }, 2),
    ] : []),
  ];
  const ep = '10.244.2.110:8080';
  const ep6 = '[fd00:10:244:2::110]:8080';
  const BLOCKED = '203.0.113.200';

  it('rule 21: ranges filter the LB IPs only: not NodePort, externalIPs or ClusterIP', () => {
    const h = harness(objects([' 203.0.113.0/25 ', '2001:db8:77::/48']));
    checkFlow(h, { name: 'allowed to LB 1', src: EXTERNAL, dst: '198.51.100.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(h, { name: 'allowed to LB 2', src: EXTERNAL, dst: '198.51.100.111', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(h, { name: 'blocked to LB 1', src: BLOCKED, dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'blocked to LB 2', src: BLOCKED, dst: '198.51.100.111', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'pod to LB', src: POD, dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'blocked to NodePort', src: BLOCKED, dst: NODE_IP, dport: 30110, output: ep, masq: true }, ENV);
    checkFlow(h, { name: 'blocked to external IP', src: BLOCKED, dst: '192.0.2.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(h, { name: 'blocked to ClusterIP', src: BLOCKED, dst: '10.96.0.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(h, { name: 'IPv6 allowed to LB', src: EXTERNAL6, dst: '2001:db8:41::110', dport: 80, output: ep6, masq: true }, ENV);
    checkFlow(h, { name: 'IPv6 blocked to LB', src: '2001:db8:99::1', dst: '2001:db8:41::110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'IPv6 blocked to NodePort', src: '2001:db8:99::1', dst: NODE_IP6, dport: 30110, output: ep6, masq: true }, ENV);
  });

  it('rule 21: a range containing a node IP also admits the LB IPs as sources; one without does not', () => {
    const withNode = harness(objects(['192.168.49.0/24', '203.0.113.0/25', '2001:db8:77::/48']));
    checkFlow(withNode, { name: 'node', src: NODE_IP, dst: '198.51.100.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(withNode, { name: 'LB IP 1 as source', src: '198.51.100.110', dst: '198.51.100.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(withNode, { name: 'LB IP 2 as source to LB 1', src: '198.51.100.111', dst: '198.51.100.110', dport: 80, output: ep, masq: true }, ENV);
    checkFlow(withNode, { name: 'IPv6 node', src: NODE_IP6, dst: '2001:db8:41::110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(withNode, { name: 'IPv6 LB IP as source (no IPv6 range holds a node IP)', src: '2001:db8:41::110', dst: '2001:db8:41::110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);

    const withoutNode = harness(objects(['203.0.113.0/25']));
    checkFlow(withoutNode, { name: 'node', src: NODE_IP, dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(withoutNode, { name: 'LB IP as source', src: '198.51.100.110', dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
  });

  it('rule 21: traffic from outside the ranges is DROPped even when the Service has no endpoints; allowed traffic is REJECTed', () => {
    const h = harness(objects(['203.0.113.0/25'], false));
    checkFlow(h, { name: 'blocked', src: BLOCKED, dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'allowed', src: EXTERNAL, dst: '198.51.100.110', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' }, ENV);
    checkFlow(h, { name: 'blocked to NodePort', src: BLOCKED, dst: NODE_IP, dport: 30110, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' }, ENV);
  });

  it('rule 21: the filter applies to new connections only: an admitted connection is not re-checked', () => {
    const h = harness(objects(['203.0.113.0/25']));
    const first = connect(h, 'TCP', EXTERNAL, '198.51.100.110', 40000, 80, 1);
    expect(first.verdict).toBe('translated');
    // The ranges shrink; the live connection keeps flowing, a new one from the same client is dropped.
    h.update(manifests(...objects(['203.0.113.200/32'])), { nodeName: NODE });
    expect(again(h, 'TCP', EXTERNAL, '198.51.100.110', 40000, 80, 2).verdict).toBe('translated');
    const fresh = connect(h, 'TCP', EXTERNAL, '198.51.100.110', 40001, 80, 3);
    expect([fresh.verdict, fresh.reason]).toEqual(['dropped', 'SOURCE_RANGE_DENIED']);
  });

  // kube-proxy filters the ranges to the port's family (MapCIDRsByIPFamily) and creates the firewall
  // only when that filtered list is non-empty: ranges of the other family alone leave this family's LB IPs open.
  it('rule 21: ranges of the other family only: this family is not filtered', () => {
    const h = harness(objects(['203.0.113.0/25']));
    checkFlow(h, { name: 'IPv4 blocked', src: BLOCKED, dst: '198.51.100.110', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' }, ENV);
    checkFlow(h, { name: 'IPv6 client, only IPv4 ranges', src: EXTERNAL6, dst: '2001:db8:41::110', dport: 80, output: ep6, masq: true }, ENV);
  });
});

// ---------------------------------------------------------------------------
describe('H. session affinity (ClientIP)', () => {
  const objects = (affinity: boolean, timeoutSeconds?: number, ips = ['10.244.2.1', '10.244.2.2', '10.244.2.3', '10.244.2.4']) => [
    svc('sticky', { type: 'LoadBalancer', clusterIPs: ['10.96.0.120', 'fd00:10:96::120'], ipFamilies: ['IPv4', 'IPv6'], externalIPs: ['192.0.2.120'],
      ingress: [{ ip: '198.51.100.120' }], ports: [{ name: 'http', port: 80, nodePort: 30120 }],
      sessionAffinity: affinity ? 'ClientIP' : 'None', timeoutSeconds }),
    slice('sticky', { endpoints: eps(...ips), ports: [{ name: 'http', port: 8080 }] }),
    slice('sticky', { addressType: 'IPv6', endpoints: eps('fd00:10:244:2::1', 'fd00:10:244:2::2', 'fd00:10:244:2::3'), ports: [{ name: 'http', port: 8080 }] }, 2),
  ];
  const VIP = '10.96.0.120';
  const backendOf = (h: Harness, src: string, sport: number, t: number, dst = VIP, dport = 80, proto: L4 = 'TCP'): string => {
    const o = connect(h, proto, src, dst, sport, dport, t);
    expect(o.verdict, `${src}:${sport} > ${dst}:${dport} at ${t}`).toBe('translated');
    return o.backend!;
  };
  /**
   * Source ports whose connection from `client` a Service without affinity (same endpoints, same
   * seed) sends elsewhere than `pinned`: a connection on one of them reaching `pinned` can only be
   * affinity, and one reaching elsewhere shows the affinity is gone.
   */
  const portsAwayFrom = (client: string, pinned: string, n: number, ips?: string[], from = 20000): number[] => {
    const plain = harness(objects(false, undefined, ips));
    const out: number[] = [];
    for (let sport = from; out.length < n; sport++) if (backendOf(plain, client, sport, 1) !== pinned) out.push(sport);
    return out;
  };

  it('rule 22: the same client keeps its endpoint across new connections; other clients spread', () => {
    const h = harness(objects(true));
    const pinned = backendOf(h, POD, 10000, 1);
    for (let i = 1; i <= 30; i++) expect(backendOf(h, POD, 10000 + i, 1 + i)).toBe(pinned);
    checkFlow(h, { name: 'pinned flows round-trip', src: POD, dst: VIP, dport: 80, output: pinned, masq: false }, { ...ENV, sport: 11000, t: 40 });
    const others = new Set(Array.from({ length: 30 }, (_, i) => backendOf(h, `10.244.9.${i + 1}`, 12000, 50)));
    expect(others.size).toBeGreaterThan(1);
  });

  it("rule 22: the affinity is shared by all of the service port's VIPs (ClusterIP, LB IP, external IP, NodePort)", () => {
    const h = harness(objects(true));
    const pinned = backendOf(h, EXTERNAL, 10000, 1);
    const away = portsAwayFrom(EXTERNAL, pinned, 4);
    expect(backendOf(h, EXTERNAL, away[0], 2, '198.51.100.120', 80)).toBe(pinned);
    expect(backendOf(h, EXTERNAL, away[1], 3, '192.0.2.120', 80)).toBe(pinned);
    expect(backendOf(h, EXTERNAL, away[2], 4, NODE_IP, 30120)).toBe(pinned);
    expect(backendOf(h, EXTERNAL, away[3], 5, VIP, 80)).toBe(pinned);
  });

  it('rule 22: an entry expires timeoutSeconds of capture time after the last new connection that used it', () => {
    const h = harness(objects(true, 10));
    const pinned = backendOf(h, POD, 10000, 100);
    const [a, b, c] = portsAwayFrom(POD, pinned, 3);
    expect(backendOf(h, POD, a, 109)).toBe(pinned); // within 10 s: pinned, refreshed until 119
    expect(backendOf(h, POD, b, 118.5)).toBe(pinned); // refreshed until 128.5
    const after = backendOf(h, POD, c, 129); // expired: the plain choice
    expect(after).not.toBe(pinned);
    // ... and the new choice is what the client is now pinned to.
    const [d] = portsAwayFrom(POD, after, 1, undefined, 30000);
    expect(backendOf(h, POD, d, 130)).toBe(after);
  });

  it('rule 22: packets of an established connection do not refresh the entry; only new connections do', () => {
    const h = harness(objects(true, 10));
    const pinned = backendOf(h, POD, 10000, 100);
    for (const t of [103, 106, 109, 110.5]) expect(again(h, 'TCP', POD, VIP, 10000, 80, t).backend).toBe(pinned);
    const [a] = portsAwayFrom(POD, pinned, 1);
    expect(backendOf(h, POD, a, 111)).not.toBe(pinned);
  });

  it('rule 22: the default timeout is 10800 s', () => {
    const h = harness(objects(true));
    const pinned = backendOf(h, POD, 10000, 1000);
    const [a, b] = portsAwayFrom(POD, pinned, 2);
    expect(backendOf(h, POD, a, 1000 + 10799)).toBe(pinned);
    expect(backendOf(h, POD, b, 1000 + 10799 + 10800.5)).not.toBe(pinned);
  });

  it('rule 22: an entry whose endpoint left the set is discarded; the client is pinned to its new endpoint', () => {
    const ips = ['10.244.2.1', '10.244.2.2', '10.244.2.3', '10.244.2.4'];
    const h = harness(objects(true, 600, ips));
    const pinned = backendOf(h, POD, 10000, 1);
    const rest = ips.filter((ip) => `${ip}:8080` !== pinned);
    h.update(manifests(...objects(true, 600, rest)), { nodeName: NODE });
    const moved = backendOf(h, POD, 10001, 2);
    expect(moved).not.toBe(pinned);
    expect(rest.map((ip) => `${ip}:8080`)).toContain(moved);
    // The old endpoint comes back: the client stays on its new one.
    h.update(manifests(...objects(true, 600, ips)), { nodeName: NODE });
    const [a, b] = portsAwayFrom(POD, moved, 2, ips);
    expect(backendOf(h, POD, a, 3)).toBe(moved);
    expect(backendOf(h, POD, b, 4)).toBe(moved);
  });

  it('rule 22: IPv6 clients and UDP are pinned the same way', () => {
    const h = harness(objects(true));
    const pinned6 = backendOf(h, POD6, 10000, 1, 'fd00:10:96::120');
    for (let i = 1; i <= 15; i++) expect(backendOf(h, POD6, 10000 + i, 1 + i, 'fd00:10:96::120')).toBe(pinned6);
    const h2 = harness([
      svc('dns', { clusterIP: '10.96.0.121', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], sessionAffinity: 'ClientIP', timeoutSeconds: 60 }),
      slice('dns', { endpoints: eps('10.244.2.1', '10.244.2.2', '10.244.2.3'), ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ]);
    const pinned = backendOf(h2, POD, 5000, 1, '10.96.0.121', 53, 'UDP');
    for (let i = 1; i <= 15; i++) expect(backendOf(h2, POD, 5000 + i, 1 + i, '10.96.0.121', 53, 'UDP')).toBe(pinned);
  });
});

// ---------------------------------------------------------------------------
describe('K. conntrack on endpoint changes', () => {
  const dns = (ips: EndpointSpec[]) => [
    svc('dns', { type: 'NodePort', clusterIP: '10.96.0.130', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30130 }] }),
    slice('dns', { endpoints: ips, ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] }),
  ];
  const KEY = 'default/dns:dns';
  const A = '10.244.2.1', B = '10.244.2.2', C = '10.244.2.3';
  const udp = (h: Harness, src: string, sport: number, t: number, dst = '10.96.0.130', dport = 53) =>
    h.one({ bytes: buildPacket({ proto: 'UDP', src, dst, sport, dport, payload: 30 }), t });
  const change = (stats: ReturnType<Harness['update']>, key: string) => {
    const c = stats.changes.find((x) => x.service === key);
    expect(c, `a change for ${key}`).toBeDefined();
    return c!;
  };
  /** UDP flows (client address, port, destination) and the backend each took. */
  const openFlows = (h: Harness) => {
    const flows: { src: string; sport: number; dst: string; dport: number; backend: string; out: Out }[] = [];
    for (let i = 0; i < 24; i++) {
      const viaNodePort = i % 3 === 2;
      const f = { src: `10.244.9.${i + 1}`, sport: 7000 + i, dst: viaNodePort ? NODE_IP : '10.96.0.130', dport: viaNodePort ? 30130 : 53 };
      const o = udp(h, f.src, f.sport, 1, f.dst, f.dport);
      expect(o.verdict).toBe('translated');
      flows.push({ ...f, backend: o.backend!, out: o });
    }
    return flows;
  };

  it('rule 24: UDP flows to a removed endpoint are flushed and their next packet re-balanced to a remaining one; others kept', () => {
    const h = harness(dns(eps(A, B, C)));
    const flows = openFlows(h);
    const onA = flows.filter((f) => f.backend === `${A}:5353`);
    expect(onA.length).toBeGreaterThan(0);
    expect(onA.length).toBeLessThan(flows.length);
    const stats = h.update(manifests(...dns(eps(B, C))), { nodeName: NODE });
    expect(change(stats, KEY).flushed).toBe(onA.length);
    for (const f of flows) {
      const o = udp(h, f.src, f.sport, 2, f.dst, f.dport);
      expect(o.verdict).toBe('translated');
      expect(checksumErrors(o.bytes)).toEqual([]);
      if (f.backend === `${A}:5353`) expect([`${B}:5353`, `${C}:5353`]).toContain(o.backend);
      else expect(o.backend, 'flows to remaining endpoints keep theirs').toBe(f.backend);
      // The reply of the new translation still comes back from the address the client targeted.
      const r = h.one({ bytes: answer(o.bytes), t: 2.1 });
      expect(r.verdict).toBe('reversed');
      expect(hostPort(decode(r.bytes).src, decode(r.bytes).sport)).toBe(hostPort(f.dst, f.dport));
    }
  });

  it('rule 24: a late reply from a flushed flow is no longer translated', () => {
    const h = harness(dns(eps(A, B)));
    const flows = openFlows(h);
    const f = flows.find((x) => x.backend === `${A}:5353` && x.dst !== NODE_IP)!;
    h.update(manifests(...dns(eps(B))), { nodeName: NODE });
    const late = h.one({ bytes: answer(f.out.bytes), t: 3 });
    expect(late.verdict).toBe('passed');
  });

  it('rule 24: no flush while the endpoint is still serving (terminating); new flows avoid it', () => {
    const h = harness(dns(eps(A, B)));
    const flows = openFlows(h);
    const onA = flows.filter((f) => f.backend === `${A}:5353`);
    expect(onA.length).toBeGreaterThan(0);
    const stats = h.update(manifests(...dns([{ ip: A, ready: false, serving: true, terminating: true, node: 'node-b' }, ...eps(B)])), { nodeName: NODE });
    expect(change(stats, KEY).flushed).toBe(0);
    for (const f of onA) expect(udp(h, f.src, f.sport, 2, f.dst, f.dport).backend).toBe(`${A}:5353`);
    for (let i = 0; i < 10; i++) expect(udp(h, POD, 9000 + i, 3).backend).toBe(`${B}:5353`);
  });

  it('rule 24: no flush when no serving endpoint is left', () => {
    const h = harness(dns(eps(A, B)));
    const flows = openFlows(h);
    const stats = h.update(manifests(...dns([])), { nodeName: NODE });
    expect(stats.changes.find((x) => x.service === KEY)?.flushed ?? 0).toBe(0);
    for (const f of flows) {
      const o = udp(h, f.src, f.sport, 2, f.dst, f.dport);
      expect(o.verdict, 'the live entry still translates').toBe('translated');
      expect(o.backend).toBe(f.backend);
    }
    const fresh = udp(h, POD, 9999, 3);
    expect([fresh.verdict, fresh.reason]).toEqual(['rejected', 'SERVICE_NO_ENDPOINTS']);
  });

  // kube-proxy (pkg/proxy/conntrack/cleanup.go) keeps a UDP entry when its reply source IP is
  // the IP of a serving endpoint: it compares IPs, not IP:port. When the endpoint's port changes
  // (the slice's port renumbered, same pod IP) the flows are not flushed and keep their old DNAT.
  it('rule 24: a renumbered port on the same endpoint IP is not flushed', () => {
    const h = harness(dns(eps(A)));
    const flows = openFlows(h);
    const renumbered = [
      svc('dns', { type: 'NodePort', clusterIP: '10.96.0.130', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30130 }] }),
      slice('dns', { endpoints: eps(A), ports: [{ name: 'dns', port: 5354, protocol: 'UDP' }] }),
    ];
    const stats = h.update(manifests(...renumbered), { nodeName: NODE });
    expect(change(stats, KEY).flushed).toBe(0);
    for (const f of flows) expect(udp(h, f.src, f.sport, 2, f.dst, f.dport).backend).toBe(`${A}:5353`);
  });

  const tcpOrSctp = (proto: 'TCP' | 'SCTP', ips: string[]) => [
    svc('t', { clusterIP: '10.96.0.131', ports: [{ name: 'p', port: 80, protocol: proto }] }),
    slice('t', { endpoints: eps(...ips), ports: [{ name: 'p', port: 8080, protocol: proto }] }),
  ];
  it('rule 24: TCP and SCTP connections keep their backend after their endpoint is removed', () => {
    for (const proto of ['TCP', 'SCTP'] as const) {
      const objects = (ips: string[]) => tcpOrSctp(proto, ips);
      const h = harness(objects([A, B]));
      const conns = Array.from({ length: 16 }, (_, i) => {
        const o = connect(h, proto, `10.244.9.${i + 1}`, '10.96.0.131', 6000 + i, 80, 1);
        expect(h.one({ bytes: answer(o.bytes), t: 1.1 }).verdict).toBe('reversed');
        return { src: `10.244.9.${i + 1}`, sport: 6000 + i, backend: o.backend! };
      });
      const onA = conns.filter((c) => c.backend === `${A}:8080`);
      expect(onA.length).toBeGreaterThan(0);
      // The update with the connection audit (kept / orphaned counts) turned on.
      const next = computeClusterState(parseObjectsText(manifests(...objects([B])), 'update.json', { strict: true }).objects, { nodeName: NODE });
      const stats = h.tables.apply(next, { audit: true });
      const ch = change(stats, `default/t:p`);
      expect(ch.flushed).toBe(0);
      expect(ch.orphaned).toBe(onA.length);
      for (const c of conns) {
        const o = again(h, proto, c.src, '10.96.0.131', c.sport, 80, 2);
        expect(o.verdict).toBe('translated');
        expect(o.backend, `${proto} ${c.src}`).toBe(c.backend);
        expect(checksumErrors(o.bytes)).toEqual([]);
        const r = h.one({ bytes: answer(o.bytes), t: 2.1 });
        expect(r.verdict).toBe('reversed');
        expect(hex(r.bytes.subarray(26, 30))).toBe(hex(Uint8Array.from([10, 96, 0, 131])));
      }
      // New connections go to the remaining endpoint only.
      for (let i = 0; i < 8; i++) expect(connect(h, proto, POD, '10.96.0.131', 8000 + i, 80, 3).backend).toBe(`${B}:8080`);
    }
  });
});
