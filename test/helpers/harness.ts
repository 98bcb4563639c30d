// Drives the core directly: programs a ClusterState, pushes packets as one
// batch, and returns each packet's verdict and bytes as the core left them.

import { Core, type CoreOptions } from '../../src/core/core.js';
import { ServiceTables, type NodeConfig } from '../../src/core/tables.js';
import { parseObjectsText, computeClusterState, type NodeContext } from '../../src/k8s/index.js';
import type { ClusterState, ServicePortState, Backend } from '../../src/k8s/model.js';
import {
  DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC, D_VERDICT, D_REASON, D_SERVICE,
  D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, LINK_EN10MB, VERDICT_NAMES, reasonName,
} from '../../src/core/abi.js';

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

export class Harness {
  readonly core: Core;
  readonly tables: ServiceTables;
  constructor(state: ClusterState, opts: CoreOptions = {}, node?: NodeConfig) {
    this.core = new Core({ ctMax: 1024, maxServicePorts: 64, maxBackends: 1024, maxFrontends: 1024, ...opts });
    this.tables = new ServiceTables(this.core);
    if (node) this.tables.setNode(node);
    this.tables.apply(state);
  }

  /**
   * A harness programmed from manifest text (YAML or JSON, as kubectl prints
   * it) the way the replay command does: kube-proxy's rules for `node`,
   * then the node's addresses and CIDRs.
   */
  static fromManifests(text: string, node: NodeContext & NodeConfig = {}, opts: CoreOptions = {}): Harness {
    const { objects, problems } = parseObjectsText(text, 'test.yaml', { strict: true });
    void problems;
    const state = computeClusterState(objects, node);
    return new Harness(state, opts, { ...node, serviceCIDRs: [...(node.serviceCIDRs ?? []), ...state.serviceCIDRs] });
  }

  /** Applies new manifests (an update) and returns what it meant for live connections. */
  update(text: string, node: NodeContext = {}) {
    const { objects } = parseObjectsText(text, 'update.yaml', { strict: true });
    return this.tables.apply(computeClusterState(objects, node));
  }

  run(packets: In[]): Out[] {
    const c = this.core;
    c.refresh();
    let off = 0;
    packets.forEach((p, i) => {
      const d = i * DESC_WORDS;
      c.input.set(p.bytes, off);
      const t = p.t ?? 0;
      c.desc[d + D_OFFSET] = off;
      c.desc[d + D_CAPLEN] = p.bytes.length;
      c.desc[d + D_WIRELEN] = p.wirelen ?? p.bytes.length;
      c.desc[d + D_LINKTYPE] = p.link ?? LINK_EN10MB;
      c.desc[d + D_TS_SEC] = Math.floor(t);
      c.desc[d + D_TS_NSEC] = Math.round((t - Math.floor(t)) * 1e9);
      off += (p.bytes.length + 7) & ~7;
    });
    c.process(packets.length);
    return packets.map((p, i) => {
      const d = i * DESC_WORDS;
      const o: Out = { verdict: VERDICT_NAMES[c.desc[d + D_VERDICT]], bytes: c.input.slice(c.desc[d + D_OFFSET], c.desc[d + D_OFFSET] + p.bytes.length) };
      if (c.desc[d + D_REASON]) o.reason = reasonName(c.desc[d + D_REASON]);
      if (c.desc[d + D_SERVICE]) o.service = this.tables.slotNames[c.desc[d + D_SERVICE] - 1];
      if (c.desc[d + D_BACKEND]) o.backend = this.tables.backendNames[c.desc[d + D_BACKEND] - 1];
      if (c.desc[d + D_EXTRA_LEN]) o.extra = c.extra.slice(c.desc[d + D_EXTRA_OFF], c.desc[d + D_EXTRA_OFF] + c.desc[d + D_EXTRA_LEN]);
      return o;
    });
  }

  one(p: In): Out { return this.run([p])[0]; }
}
