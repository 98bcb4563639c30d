// Conformance with kube-proxy's own packet-flow tests.
//
// kubernetes/kubernetes pkg/proxy/nftables/proxier_test.go describes, per
// test function, a cluster (Services, EndpointSlices) seen from one node
// ("test-node", addresses 192.168.0.2 192.168.1.2 192.168.99.11 2001:db8::1
// 2001:db8:1::2, pod CIDR 10.0.0.0/8 / fd00:10::/64, Service CIDR
// 172.30.0.0/16, NodePort addresses 192.168.0.2/32 and 2001:db8::1/128) and
// a list of packets with what nftables does to them: the endpoints the
// connection may reach and whether it is masqueraded, or DROP / REJECT, or
// no match. Here each such list is data: the clusters are the YAML files
// in fixtures/conformance/, each packet a `Flow`, one `it` per upstream
// case, named as upstream names it (a few upstream names repeat; they are
// kept). checkFlow (fixtures/conformance/flow.ts) runs the connection through
// the core and checks the translation, the masquerade, the reply path, the
// reject frame and every checksum.
//
// Cases where svcplane does not do what kube-proxy does are kept, marked
// `it.fails`, with the difference explained next to them.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Harness } from './helpers/harness.js';
import { checkFlow, type Flow } from './fixtures/conformance/flow.js';
import type { NodeConfig } from '../src/core/tables.js';

const fixture = (path: string): string => readFileSync(new URL(`./fixtures/conformance/${path}`, import.meta.url), 'utf8');
/** The same manifests with every EndpointSlice deleted. */
const withoutSlices = (yaml: string): string => yaml.split(/^---$/m).filter((d) => !/^kind: EndpointSlice$/m.test(d)).join('---\n');

// The fake proxier's node (NewFakeProxier).
const TEST_NODE = 'test-node';
const NODE_IP = '192.168.0.2';
const NODE_IP_ALT = '192.168.1.2';
const NODE_IP6 = '2001:db8::1';
const NODE_IP6_ALT = '2001:db8:1::2';
const TEST_NODE_IPS = [NODE_IP, NODE_IP_ALT, '192.168.99.11', NODE_IP6, NODE_IP6_ALT];
const EXTERNAL = '203.0.113.2';
const EXTERNAL_BLOCKED = '203.0.113.130';
const POD = '10.0.0.2';

type NodeSetup = { nodeName: string } & NodeConfig;
const upstreamNode = (over: Partial<NodeSetup> = {}): NodeSetup => ({
  nodeName: TEST_NODE,
  nodeIPs: TEST_NODE_IPS,
  podCIDRs: ['10.0.0.0/8', 'fd00:10::/64'],
  serviceCIDRs: ['172.30.0.0/16', 'fd00:10:96::/112'],
  nodePortCIDRs: [`${NODE_IP}/32`, `${NODE_IP6}/128`],
  ...over,
});
const ENV = { masqV4: NODE_IP, masqV6: NODE_IP6 };

/** Known differences from kube-proxy: case name → why. */
type Known = Record<string, string>;

/** One `it` per flow, each on a fresh Harness programmed from `yaml`. */
function flowTable(yaml: string, node: NodeSetup, flows: Flow[], known: Known = {}, after?: { update: string }): void {
  for (const f of flows) {
    const run = () => {
      const h = Harness.fromManifests(yaml, node);
      if (after) h.update(after.update, { nodeName: node.nodeName });
      checkFlow(h, f, ENV);
    };
    if (known[f.name]) it.fails(f.name, run);
    else it(f.name, run);
  }
}

describe('TestOverallNFTablesRules', () => {
  // No packet-flow list upstream: the cases below follow the rules the test
  // expects for each Service (comments name the upstream rule they exercise).
  const yaml = fixture('TestOverallNFTablesRules.yaml');
  flowTable(yaml, upstreamNode(), [
    // svc1: "ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade"
    { name: 'svc1: pod to ClusterIP', src: POD, dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: false },
    { name: 'svc1: external to ClusterIP is masqueraded', src: EXTERNAL, dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: true },
    // endpoint chain: "ip saddr 10.180.0.1 jump mark-for-masquerade"
    { name: 'svc1: hairpin from its own endpoint is masqueraded', src: '10.180.0.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: true },
    // svc2: eTP Local, its only endpoint is not local: no-endpoint-* maps say drop for external destinations
    { name: 'svc2: pod to ClusterIP', src: POD, dst: '172.30.0.42', dport: 80, output: '10.180.0.2:80', masq: false },
    { name: 'svc2: external to LB IP, no local endpoints', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' },
    { name: 'svc2: external to external IP, no local endpoints', src: EXTERNAL, dst: '192.168.99.22', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' },
    { name: 'svc2: external to NodePort, no local endpoints', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' },
    // external chain: "ip saddr 10.0.0.0/8 goto service-..." (short-circuit pod traffic)
    { name: 'svc2: pod to LB IP is short-circuited to all endpoints', src: POD, dst: '1.2.3.4', dport: 80, output: '10.180.0.2:80', masq: false },
    // external chain: "fib saddr type local jump mark-for-masquerade" + "goto service-..."
    { name: 'svc2: node to LB IP is masqueraded to all endpoints', src: NODE_IP, dst: '1.2.3.4', dport: 80, output: '10.180.0.2:80', masq: true },
    { name: 'svc2: node to external IP is masqueraded to all endpoints', src: NODE_IP, dst: '192.168.99.22', dport: 80, output: '10.180.0.2:80', masq: true },
    // svc3: NodePort, eTP Cluster: external chain always masquerades
    { name: 'svc3: external to NodePort', src: EXTERNAL, dst: NODE_IP, dport: 3003, output: '10.180.0.3:80', masq: true },
    { name: 'svc3: NodePort on an address outside nodeport-ips', src: EXTERNAL, dst: NODE_IP_ALT, dport: 3003, output: '' },
    // svc4: externalIP without a NodePort
    { name: 'svc4: external to external IP', src: EXTERNAL, dst: '192.168.99.33', dport: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
    { name: 'svc4: pod to external IP', src: POD, dst: '192.168.99.33', dport: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
    // svc5: firewall chain "ip saddr != { 203.0.113.0/25 } drop" on the LB IP only
    { name: 'svc5: allowed external to LB IP', src: EXTERNAL, dst: '5.6.7.8', dport: 80, output: '10.180.0.3:80', masq: true },
    { name: 'svc5: blocked external to LB IP', src: EXTERNAL_BLOCKED, dst: '5.6.7.8', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' },
    { name: 'svc5: blocked external to NodePort is not filtered', src: EXTERNAL_BLOCKED, dst: NODE_IP, dport: 3002, output: '10.180.0.3:80', masq: true },
    { name: 'svc5: pod to ClusterIP is not filtered', src: POD, dst: '172.30.0.45', dport: 80, output: '10.180.0.3:80', masq: false },
    // svc6: no-endpoint-services "goto reject-chain"
    { name: 'svc6: pod to ClusterIP with no endpoints', src: POD, dst: '172.30.0.46', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    // cluster-ips-check
    { name: 'cluster-ips-check: invalid port of an active ClusterIP', src: POD, dst: '172.30.0.41', dport: 443, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
    { name: 'cluster-ips-check: invalid protocol of an active ClusterIP', proto: 'UDP', src: POD, dst: '172.30.0.41', dport: 80, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
    { name: 'cluster-ips-check: unallocated ClusterIP', src: POD, dst: '172.30.0.50', dport: 80, output: 'DROP', reason: 'SERVICE_IP_UNALLOCATED' },
  ]);

  it('svc5: ClientIP affinity: every new connection of a client reuses its endpoint, on every VIP', () => {
    // "ip saddr @affinity-... goto endpoint-..." + "update @affinity-... { ip saddr }"
    const h = Harness.fromManifests(yaml, upstreamNode());
    const first = checkFlow(h, { name: 'first', src: EXTERNAL, dst: '5.6.7.8', dport: 80, output: '10.180.0.3:80', masq: true }, { ...ENV, sport: 41000 });
    const again = checkFlow(h, { name: 'NodePort', src: EXTERNAL, dst: NODE_IP, dport: 3002, output: '10.180.0.3:80', masq: true }, { ...ENV, sport: 42000, t: 5 });
    expect(again.backends).toEqual(first.backends);
  });
});

describe('TestNoEndpointsReject', () => {
  const flows: Flow[] = [
    { name: 'pod to cluster IP with no endpoints', src: POD, dst: '172.30.0.41', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    { name: 'external to external IP with no endpoints', src: EXTERNAL, dst: '192.168.99.11', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    { name: 'pod to NodePort with no endpoints', src: POD, dst: NODE_IP, dport: 3001, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    { name: 'external to NodePort with no endpoints', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    { name: 'pod to LoadBalancer IP with no endpoints', src: POD, dst: '1.2.3.4', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    { name: 'external to LoadBalancer IP with no endpoints', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
  ];
  flowTable(fixture('TestNoEndpointsReject.yaml'), upstreamNode(), flows);
});

describe('TestClusterIPGeneral', () => {
  const src = '10.180.0.2';
  flowTable(fixture('TestClusterIPGeneral.yaml'), upstreamNode(), [
    { name: 'simple clusterIP', src, dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: false },
    { name: 'hairpin to cluster IP', src: '10.180.0.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: true },
    { name: 'clusterIP with multiple endpoints', src, dst: '172.30.0.42', dport: 80, output: '10.180.0.1:80, 10.180.2.1:80', masq: false },
    { name: 'clusterIP with TargetPort', src, dst: '172.30.0.42', dport: 443, output: '10.180.0.1:8443, 10.180.2.1:8443', masq: false },
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (TCP)', proto: 'TCP', src, dst: '172.30.0.42', dport: 53, output: '10.180.0.1:5353, 10.180.2.1:5353', masq: false },
    // (upstream names this UDP case "(TCP)" too)
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (TCP)', proto: 'UDP', src, dst: '172.30.0.42', dport: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (SCTP)', proto: 'SCTP', src, dst: '172.30.0.42', dport: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
    { name: 'TCP-only port does not match UDP traffic', proto: 'UDP', src, dst: '172.30.0.42', dport: 80, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
    { name: "svc1 does not accept svc2's ports", src, dst: '172.30.0.41', dport: 443, output: 'REJECT', reason: 'SERVICE_PORT_UNKNOWN' },
    { name: 'packet to unallocated cluster ip', src, dst: '172.30.0.50', dport: 80, output: 'DROP', reason: 'SERVICE_IP_UNALLOCATED' },
  ]);
});

describe('TestLoadBalancer', () => {
  const ep = '10.180.0.1:80';
  flowTable(fixture('TestLoadBalancer.yaml'), upstreamNode(), [
    { name: 'pod to cluster IP', src: POD, dst: '172.30.0.41', dport: 80, output: ep, masq: false },
    { name: 'external to nodePort', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: ep, masq: true },
    { name: 'nodePort bypasses LoadBalancerSourceRanges', src: EXTERNAL_BLOCKED, dst: NODE_IP, dport: 3001, output: ep, masq: true },
    { name: 'accepted external to LB1', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: ep, masq: true },
    { name: 'accepted external to LB2', src: EXTERNAL, dst: '5.6.7.8', dport: 80, output: ep, masq: true },
    { name: 'blocked external to LB1', src: EXTERNAL_BLOCKED, dst: '1.2.3.4', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' },
    { name: 'blocked external to LB2', src: EXTERNAL_BLOCKED, dst: '5.6.7.8', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' },
    { name: 'pod to LB1 (blocked by LoadBalancerSourceRanges)', src: POD, dst: '1.2.3.4', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' },
    { name: 'pod to LB2 (blocked by LoadBalancerSourceRanges)', src: POD, dst: '5.6.7.8', dport: 80, output: 'DROP', reason: 'SOURCE_RANGE_DENIED' },
    { name: 'node to LB1 (allowed by LoadBalancerSourceRanges)', src: NODE_IP, dst: '1.2.3.4', dport: 80, output: ep, masq: true },
    { name: 'node to LB2 (allowed by LoadBalancerSourceRanges)', src: NODE_IP, dst: '5.6.7.8', dport: 80, output: ep, masq: true },
    // A range holding a node IP also admits the LB IPs as sources (the node's
    // own connection, SNATted to the LB IP by something else).
    { name: 'same node to LB1, SNATted to LB1 (implicitly allowed)', src: '1.2.3.4', dst: '1.2.3.4', dport: 80, output: ep, masq: true },
    { name: 'same node to LB2, SNATted to LB2 (implicitly allowed)', src: '5.6.7.8', dst: '5.6.7.8', dport: 80, output: ep, masq: true },
  ]);
});

describe('TestNodePorts', () => {
  const cases = [
    { name: 'ipv4', v6: false, nodePortAddresses: null, allowAltNodeIP: false },
    { name: 'ipv4, multiple nodeport-addresses', v6: false, nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'], allowAltNodeIP: true },
    { name: 'ipv6', v6: true, nodePortAddresses: null, allowAltNodeIP: false },
    { name: 'ipv6, multiple nodeport-addresses', v6: true, nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64', '2001:db8:1::2/128'], allowAltNodeIP: true },
  ];
  for (const tc of cases) {
    describe(tc.name, () => {
      const svcIP = tc.v6 ? 'fd00:172:30::41' : '172.30.0.41';
      const output = tc.v6 ? '[fd00:10:180::1]:80, [fd00:10:180::2:1]:80' : '10.180.0.1:80, 10.180.2.1:80';
      const podIP = tc.v6 ? 'fd00:10::2' : POD;
      const externalClientIP = tc.v6 ? '2600:5200::1' : EXTERNAL;
      const nodeIP = tc.v6 ? NODE_IP6 : NODE_IP;
      const altNodeIP = tc.v6 ? NODE_IP6_ALT : NODE_IP_ALT;
      const node = upstreamNode(tc.nodePortAddresses ? { nodePortCIDRs: tc.nodePortAddresses } : {});
      const flows: Flow[] = [
        { name: 'pod to cluster IP', src: podIP, dst: svcIP, dport: 80, output, masq: false },
        { name: 'external to nodePort', src: externalClientIP, dst: nodeIP, dport: 3001, output, masq: true },
        { name: 'node to nodePort', src: nodeIP, dst: nodeIP, dport: 3001, output, masq: true },
        tc.allowAltNodeIP
          ? { name: 'external to nodePort on secondary IP', src: externalClientIP, dst: altNodeIP, dport: 3001, output, masq: true }
          : { name: 'secondary nodeIP ignores NodePorts', src: externalClientIP, dst: altNodeIP, dport: 3001, output: '' },
      ];
      flowTable(fixture(`TestNodePorts-${tc.v6 ? 'ipv6' : 'ipv4'}.yaml`), node, flows);
    });
  }
});

describe('TestExternalTrafficPolicyLocal', () => {
  const both = '10.180.0.1:80, 10.180.2.1:80';
  const local = '10.180.2.1:80';
  flowTable(fixture('TestExternalTrafficPolicyLocal.yaml'), upstreamNode(), [
    { name: 'pod to cluster IP hits both endpoints, unmasqueraded', src: POD, dst: '172.30.0.41', dport: 80, output: both, masq: false },
    { name: 'pod to external IP hits both endpoints, unmasqueraded', src: POD, dst: '192.168.99.11', dport: 80, output: both, masq: false },
    { name: 'external to external IP hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: '192.168.99.11', dport: 80, output: local, masq: false },
    { name: 'pod to LB IP hits only both endpoints, unmasqueraded', src: POD, dst: '1.2.3.4', dport: 80, output: both, masq: false },
    { name: 'external to LB IP hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: local, masq: false },
    { name: 'pod to NodePort hits both endpoints, unmasqueraded', src: POD, dst: NODE_IP, dport: 3001, output: both, masq: false },
    { name: 'external to NodePort hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: local, masq: false },
  ]);
});

describe('TestExternalTrafficPolicyCluster', () => {
  const both = '10.180.0.1:80, 10.180.2.1:80';
  flowTable(fixture('TestExternalTrafficPolicyCluster.yaml'), upstreamNode(), [
    { name: 'pod to cluster IP hits both endpoints, unmasqueraded', src: POD, dst: '172.30.0.41', dport: 80, output: both, masq: false },
    { name: 'pod to external IP hits both endpoints, masqueraded', src: POD, dst: '192.168.99.11', dport: 80, output: both, masq: true },
    { name: 'external to external IP hits both endpoints, masqueraded', src: EXTERNAL, dst: '192.168.99.11', dport: 80, output: both, masq: true },
    { name: 'pod to LB IP hits both endpoints, masqueraded', src: POD, dst: '1.2.3.4', dport: 80, output: both, masq: true },
    { name: 'external to LB IP hits both endpoints, masqueraded', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: both, masq: true },
    { name: 'pod to NodePort hits both endpoints, masqueraded', src: POD, dst: NODE_IP, dport: 3001, output: both, masq: true },
    { name: 'external to NodePort hits both endpoints, masqueraded', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: both, masq: true },
  ]);
});

describe('TestInternalTrafficPolicy', () => {
  const cases: { name: string; file: string; flow: Flow }[] = [
    { name: 'internalTrafficPolicy is cluster', file: 'internalTrafficPolicy-is-cluster',
      flow: { name: 'pod to ClusterIP hits all endpoints', src: POD, dst: '172.30.1.1', dport: 80, output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80', masq: false } },
    { name: 'internalTrafficPolicy is local and there is one local endpoint', file: 'internalTrafficPolicy-is-local-and-there-is-one-local-endpoint',
      flow: { name: 'pod to ClusterIP hits only local endpoint', src: POD, dst: '172.30.1.1', dport: 80, output: '10.0.1.1:80', masq: false } },
    { name: 'internalTrafficPolicy is local and there are multiple local endpoints', file: 'internalTrafficPolicy-is-local-and-there-are-multiple-local-endpoints',
      flow: { name: 'pod to ClusterIP hits all local endpoints', src: POD, dst: '172.30.1.1', dport: 80, output: '10.0.1.1:80, 10.0.1.2:80', masq: false } },
    { name: 'internalTrafficPolicy is local and there are no local endpoints', file: 'internalTrafficPolicy-is-local-and-there-are-no-local-endpoints',
      flow: { name: 'no endpoints', src: POD, dst: '172.30.1.1', dport: 80, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' } },
  ];
  for (const tc of cases) {
    describe(tc.name, () => {
      const yaml = fixture(`TestInternalTrafficPolicy/${tc.file}.yaml`);
      flowTable(yaml, upstreamNode(), [tc.flow]);
      flowTable(yaml, upstreamNode(), [
        { name: 'endpoints deleted', src: POD, dst: '172.30.1.1', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
      ], {}, { update: withoutSlices(yaml) });
    });
  }
});

function terminatingTable(policy: 'Local' | 'Cluster', cases: { name: string; flows: Flow[] }[]): void {
  for (const tc of cases) {
    describe(tc.name, () => {
      const yaml = fixture(`TestTerminatingEndpointsTrafficPolicy${policy}/${tc.name.replace(/ /g, '-')}.yaml`);
      flowTable(yaml, upstreamNode(), tc.flows);
      flowTable(yaml, upstreamNode(), [
        { name: 'pod to clusterIP after endpoints deleted', src: POD, dst: '172.30.1.1', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
        { name: 'external to LB after endpoints deleted', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
      ], {}, { update: withoutSlices(yaml) });
    });
  }
}

describe('TestTerminatingEndpointsTrafficPolicyLocal', () => {
  const c = { src: POD, dst: '172.30.1.1', dport: 80 };
  const lb = { src: EXTERNAL, dst: '1.2.3.4', dport: 80 };
  terminatingTable('Local', [
    { name: 'ready endpoints exist', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', masq: false },
      { name: 'external to LB', ...lb, output: '10.0.1.1:80, 10.0.1.2:80', masq: false },
    ] },
    { name: 'only terminating endpoints exist', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.5:80', masq: false },
      { name: 'external to LB', ...lb, output: '10.0.1.2:80, 10.0.1.3:80', masq: false },
    ] },
    { name: 'terminating endpoints on remote node', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.5:80', masq: false },
      { name: 'external to LB, no locally-usable endpoints', ...lb, output: 'DROP', reason: 'NO_LOCAL_ENDPOINTS' },
    ] },
    { name: 'no usable endpoints on any node', flows: [
      { name: 'pod to clusterIP, no usable endpoints', ...c, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
      { name: 'external to LB, no usable endpoints', ...lb, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    ] },
  ]);
});

describe('TestTerminatingEndpointsTrafficPolicyCluster', () => {
  const c = { src: POD, dst: '172.30.1.1', dport: 80 };
  const lb = { src: EXTERNAL, dst: '1.2.3.4', dport: 80 };
  terminatingTable('Cluster', [
    { name: 'ready endpoints exist', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', masq: false },
      { name: 'external to LB', ...lb, output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', masq: true },
    ] },
    { name: 'only terminating endpoints exist', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', masq: false },
      { name: 'external to LB', ...lb, output: '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', masq: true },
    ] },
    { name: 'terminating endpoints on remote node', flows: [
      { name: 'pod to clusterIP', ...c, output: '10.0.1.5:80', masq: false },
      { name: 'external to LB', ...lb, output: '10.0.1.5:80', masq: true },
    ] },
    { name: 'no usable endpoints on any node', flows: [
      { name: 'pod to clusterIP', ...c, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
      { name: 'external to LB', ...lb, output: 'REJECT', reason: 'SERVICE_NO_ENDPOINTS' },
    ] },
  ]);
});

describe('TestInternalExternalMasquerade', () => {
  const yaml = fixture('TestInternalExternalMasquerade.yaml');
  const svc1 = '10.180.0.1:80, 10.180.1.1:80';
  const svc2 = '10.180.0.2:80, 10.180.1.2:80';
  const svc3 = '10.180.0.3:80, 10.180.1.3:80';
  // The normal case: a working local-traffic detector, no masquerade-all.
  const base: Flow[] = [
    { name: 'pod to ClusterIP', src: POD, dst: '172.30.0.41', dport: 80, output: svc1, masq: false },
    { name: 'pod to NodePort', src: POD, dst: NODE_IP, dport: 3001, output: svc1, masq: true },
    { name: 'pod to LB', src: POD, dst: '1.2.3.4', dport: 80, output: svc1, masq: true },
    { name: 'node to ClusterIP', src: NODE_IP, dst: '172.30.0.41', dport: 80, output: svc1, masq: true },
    { name: 'node to NodePort', src: NODE_IP, dst: NODE_IP, dport: 3001, output: svc1, masq: true },
    { name: 'node to LB', src: NODE_IP, dst: '1.2.3.4', dport: 80, output: svc1, masq: true },
    { name: 'external to ClusterIP', src: EXTERNAL, dst: '172.30.0.41', dport: 80, output: svc1, masq: true },
    { name: 'external to NodePort', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: svc1, masq: true },
    { name: 'external to LB', src: EXTERNAL, dst: '1.2.3.4', dport: 80, output: svc1, masq: true },
    { name: 'pod to ClusterIP with eTP:Local', src: POD, dst: '172.30.0.42', dport: 80, output: svc2, masq: false },
    { name: 'pod to NodePort with eTP:Local', src: POD, dst: NODE_IP, dport: 3002, output: svc2, masq: false },
    { name: 'pod to LB with eTP:Local', src: POD, dst: '5.6.7.8', dport: 80, output: svc2, masq: false },
    { name: 'node to ClusterIP with eTP:Local', src: NODE_IP, dst: '172.30.0.42', dport: 80, output: svc2, masq: true },
    // (upstream sends this one to port 3001, svc1's NodePort, and expects svc1's endpoints)
    { name: 'node to NodePort with eTP:Local', src: NODE_IP, dst: NODE_IP, dport: 3001, output: svc1, masq: true },
    { name: 'node to LB with eTP:Local', src: NODE_IP, dst: '5.6.7.8', dport: 80, output: svc2, masq: true },
    { name: 'external to ClusterIP with eTP:Local', src: EXTERNAL, dst: '172.30.0.42', dport: 80, output: svc2, masq: true },
    { name: 'external to NodePort with eTP:Local', src: EXTERNAL, dst: NODE_IP, dport: 3002, output: '10.180.0.2:80', masq: false },
    { name: 'external to LB with eTP:Local', src: EXTERNAL, dst: '5.6.7.8', dport: 80, output: '10.180.0.2:80', masq: false },
    { name: 'pod to ClusterIP with iTP:Local', src: POD, dst: '172.30.0.43', dport: 80, output: '10.180.0.3:80', masq: false },
    { name: 'pod to NodePort with iTP:Local', src: POD, dst: NODE_IP, dport: 3003, output: svc3, masq: true },
    { name: 'pod to LB with iTP:Local', src: POD, dst: '9.10.11.12', dport: 80, output: svc3, masq: true },
    { name: 'node to ClusterIP with iTP:Local', src: NODE_IP, dst: '172.30.0.43', dport: 80, output: '10.180.0.3:80', masq: true },
    { name: 'node to NodePort with iTP:Local', src: NODE_IP, dst: NODE_IP, dport: 3003, output: svc3, masq: true },
    { name: 'node to LB with iTP:Local', src: NODE_IP, dst: '9.10.11.12', dport: 80, output: svc3, masq: true },
    { name: 'external to ClusterIP with iTP:Local', src: EXTERNAL, dst: '172.30.0.43', dport: 80, output: '10.180.0.3:80', masq: true },
    { name: 'external to NodePort with iTP:Local', src: EXTERNAL, dst: NODE_IP, dport: 3003, output: svc3, masq: true },
    { name: 'external to LB with iTP:Local', src: EXTERNAL, dst: '9.10.11.12', dport: 80, output: svc3, masq: true },
  ];
  type Override = { output?: string; masq?: boolean };
  const noDetector: Record<string, Override> = {
    // Without a local-traffic detector all ClusterIP traffic is taken for pod traffic: not masqueraded.
    'node to ClusterIP': { masq: false },
    'node to ClusterIP with eTP:Local': { masq: false },
    'node to ClusterIP with iTP:Local': { masq: false },
    'external to ClusterIP': { masq: false },
    'external to ClusterIP with eTP:Local': { masq: false },
    'external to ClusterIP with iTP:Local': { masq: false },
    // ... and there is no eTP:Local short-circuit for pods: they get only the local endpoint.
    'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
    'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
  };
  const masqueradeAll: Record<string, Override> = {
    'pod to ClusterIP': { masq: true },
    'pod to ClusterIP with eTP:Local': { masq: true },
    'pod to ClusterIP with iTP:Local': { masq: true },
  };
  // kube-proxy's --masquerade-all only adds "ip daddr <ClusterIP> jump mark-for-masquerade" to the
  // service chain: it masquerades ClusterIP traffic only. External traffic of an eTP:Local Service
  // that is not short-circuited as node traffic (external clients to the local endpoints, and pod
  // clients short-circuited to the service chain while the destination is still the LB IP / node
  // IP) stays unmasqueraded; svcplane does the same.
  const masqAllKnown: Known = {};
  const cases: { name: string; masqueradeAll: boolean; localDetector: boolean; overrides: Record<string, Override>; known: Known }[] = [
    { name: 'base', masqueradeAll: false, localDetector: true, overrides: {}, known: {} },
    { name: 'no LocalTrafficDetector', masqueradeAll: false, localDetector: false, overrides: noDetector, known: {} },
    { name: 'masqueradeAll', masqueradeAll: true, localDetector: true, overrides: masqueradeAll, known: masqAllKnown },
    { name: 'masqueradeAll, no LocalTrafficDetector', masqueradeAll: true, localDetector: false,
      overrides: { ...masqueradeAll, 'pod to NodePort with eTP:Local': noDetector['pod to NodePort with eTP:Local'], 'pod to LB with eTP:Local': noDetector['pod to LB with eTP:Local'] },
      known: masqAllKnown },
  ];
  for (const tc of cases) {
    describe(tc.name, () => {
      const flows = base.map((f) => ({ ...f, ...tc.overrides[f.name] }));
      it('every override names a base case', () => {
        for (const name of Object.keys(tc.overrides)) expect(base.map((f) => f.name)).toContain(name);
      });
      // Without a detector svcplane has no pod CIDR (no --cluster-cidr).
      flowTable(yaml, upstreamNode({ masqueradeAll: tc.masqueradeAll, podCIDRs: tc.localDetector ? ['10.0.0.0/8', 'fd00:10::/64'] : [] }), flows, tc.known);
    });
  }
});
