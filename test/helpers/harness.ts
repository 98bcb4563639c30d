// Drives the core directly: a Dataplane built from a ClusterState (or manifests), packets
// pushed as one batch, and each packet's verdict and bytes as the core left them.

import type { Core, CoreOptions } from '../../src/core/core.js';
import type { ServiceTables, NodeConfig } from '../../src/core/tables.js';
import { Dataplane, writeDescriptor } from '../../src/dataplane.js';
import { parseObjectsText, computeClusterState, type NodeContext } from '../../src/k8s/index.js';
import type { ClusterState, ServicePortState, Backend } from '../../src/k8s/model.js';
import { DESC_WORDS, D_OFFSET } from '../../src/core/abi.js';

export interface In { bytes: Uint8Array; t?: number; link?: number; wirelen?: number }
export interface Out { verdict: string; reason?: string; service?: string; backend?: string; bytes: Uint8Array; extra?: Uint8Array }

export function backend(ip: string, port: number, extra: Partial<Backend> = {}): Backend {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal: false, ...extra };
}

export function servicePort(p: Partial<ServicePortState> & { key: string; port: number }): ServicePortState {
  const [ns, rest] = p.key.split('/');
  const [name, portName = ''] = rest.split(':');
  const endpoints = p.endpoints ?? p.clusterSet ?? [];
  return {
    namespace: ns, name, portName, family: 4, protocol: 'TCP', externalIPs: [], loadBalancerIPs: [], sourceRanges: [],
    internalLocal: false, externalLocal: false, affinitySeconds: 0, endpoints,
    clusterSet: endpoints, localSet: endpoints.filter((b) => b.isLocal), ...p,
  } as ServicePortState;
}

/** Small tables, so that a test's cores are quick to create. */
const CAPACITIES: CoreOptions = { ctMax: 1024, maxServicePorts: 64, maxBackends: 1024, maxFrontends: 1024 };

export class Harness {
  readonly dp: Dataplane;
  readonly core: Core;
  readonly tables: ServiceTables;
  /** A state is programmed as it is (with `node`); a Dataplane is driven as it was built. */
  constructor(state: ClusterState | Dataplane, opts: CoreOptions = {}, node?: NodeConfig) {
    this.dp = state instanceof Dataplane ? state : new Dataplane({ ...CAPACITIES, ...opts, ...node, state });
    this.core = this.dp.core;
    this.tables = this.dp.tables;
  }

  /**
   * A harness programmed from manifest text (YAML or JSON, as kubectl prints
   * it) the way the replay command does: kube-proxy's rules for `node`,
   * with the node's addresses and CIDRs.
   */
  static fromManifests(text: string, node: NodeContext & NodeConfig = {}, opts: CoreOptions = {}): Harness {
    const { objects } = parseObjectsText(text, 'test.yaml', { strict: true });
    return new Harness(new Dataplane({ ...CAPACITIES, ...opts, ...node, objects }));
  }

  /** Applies new manifests (an update) and returns what it meant for live connections. */
  update(text: string, node: NodeContext = {}) {
    const { objects } = parseObjectsText(text, 'update.yaml', { strict: true });
    return this.dp.apply(computeClusterState(objects, node));
  }

  run(packets: In[]): Out[] {
    const c = this.core;
    c.refresh();
    let off = 0;
    packets.forEach((p, i) => {
      c.input.set(p.bytes, off);
      writeDescriptor(c.desc, i, off, p.bytes.length, { time: p.t, linkType: p.link, wireLength: p.wirelen });
      off += (p.bytes.length + 7) & ~7;
    });
    this.dp.run(packets.length);
    return packets.map((p, i) => {
      // The bytes as the core left them, dropped packets' too.
      const at = c.desc[i * DESC_WORDS + D_OFFSET];
      const r = this.dp.result(i, p.bytes.length);
      const o: Out = { verdict: r.verdict, bytes: c.input.slice(at, at + p.bytes.length) };
      if (r.reason) o.reason = r.reason;
      if (r.service) o.service = r.service;
      if (r.backend) o.backend = r.backend;
      if (r.reject) o.extra = r.reject;
      return o;
    });
  }

  one(p: In): Out { return this.run([p])[0]; }
}
