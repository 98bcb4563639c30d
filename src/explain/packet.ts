// One packet's explanation: what the core's stages decided (the EX_* words it noted as it
// decided, assembly/abi/explain.ts), named, with the endpoint sets as kube-proxy's rules in
// src/k8s/rules.ts computed them for the service port at that moment. Nothing is decided here.

import {
  DESC_WORDS, D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_TS_SEC, D_TS_NSEC, VERDICT_NAMES, reasonName,
  EX_CT, EX_CT_DIR, EX_CT_STATE_BEFORE, EX_CT_STATE_AFTER, EX_CT_EXPIRES, EX_FRONTEND, EX_SOURCE, EX_SET, EX_SET_N,
  EX_CHOICE, EX_MAGLEV_SLOT, EX_MAGLEV_SIZE, EX_NAT, EX_NAT_PORT, EXC_FOUND, EXC_STALE, EXC_RELATED, EXS_LOCAL,
  EXS_NONE, EXB_MAGLEV, EXB_RANDOM, EXB_AFFINITY, EXN_MASQUERADE, EXN_HAIRPIN, EXN_PORT_ONLY, EXSRC_POD, EXSRC_NODE,
  CT_STATE_NAMES, FE_CLUSTER_IP, FE_EXTERNAL_IP, FE_LOAD_BALANCER, FE_NODE_PORT, FE_CLUSTER_ADDR,
} from '../core/abi.js';
import { endpointSets } from '../k8s/rules.js';
import { joinHostPort } from '../k8s/ip.js';
import type { ServicePortState } from '../k8s/model.js';
import type { InspectedPacket } from '../replay/replay.js';
import { epochText, flowTuple, formatTuple, type FlowTuple } from '../replay/trace.js';

/** One packet of the flow, as `svcplane explain --json` prints it (docs/cli.md). */
export interface PacketExplanation {
  frame: number;
  index: number;
  time: string;
  in?: string;
  out?: string;
  conntrack: {
    /** What the conntrack stage found (EXC_*): nothing, a live connection, an expired or reopened one, or an ICMP error's. */
    found: 'none' | 'followed' | 'stale' | 'related';
    direction?: 'original' | 'reply';
    before: string;
    after: string;
    /** Capture time (seconds) the entry expires at, after this packet. */
    expires?: number;
  };
  frontend?: { kind: string; address: string; service: string };
  endpoints?: {
    set: 'cluster' | 'local';
    /** Why this set serves the packet (rules 10, 20). */
    policy: string;
    /** Which endpoints the set holds (rules 8, 9, 11, 14-16). */
    rule: string;
    size: number;
    considered: { endpoint: string; node?: string; zone?: string; ready: boolean; serving: boolean; terminating: boolean;
                  chosen: boolean; excluded?: string }[];
  };
  backend?: { address: string; by: 'conntrack' | 'maglev' | 'random' | 'affinity'; maglevSlot?: number; maglevSize?: number };
  source?: { nat: 'kept' | 'masquerade' | 'hairpin' | 'port-only'; why: string; address?: string; port?: number };
  verdict: string;
  reason?: string;
  /** The kube-proxy rule (docs/kube-proxy-semantics.md) behind a drop or reject, when one is. */
  rule?: string;
}

/** The rule behind each drop and reject reason that one decides (docs/kube-proxy-semantics.md). */
const REASON_RULES: Record<string, string> = {
  SERVICE_PORT_UNKNOWN: 'an allocated ClusterIP, no such service port: REJECT (rule 17)',
  SERVICE_IP_UNALLOCATED: 'an address in the Service CIDR that no Service holds: DROP (rule 17)',
  SERVICE_NO_ENDPOINTS: 'no ready or serving terminating endpoint anywhere: REJECT (rule 14)',
  NO_LOCAL_ENDPOINTS: 'a Local traffic policy and no endpoint on this node: DROP (rules 15, 16)',
  SOURCE_RANGE_DENIED: 'the client is outside loadBalancerSourceRanges: DROP (rule 21)',
};

const FRONTEND_KINDS: Record<number, string> = {
  [FE_CLUSTER_IP]: 'ClusterIP', [FE_EXTERNAL_IP]: 'externalIP', [FE_LOAD_BALANCER]: 'LoadBalancer',
  [FE_NODE_PORT]: 'NodePort', [FE_CLUSTER_ADDR]: 'ClusterIP address',
};
const FOUND: Record<number, PacketExplanation['conntrack']['found']> = {
  [EXC_FOUND]: 'followed', [EXC_STALE]: 'stale', [EXC_RELATED]: 'related',
};

/** The explanation of an inspected packet (replay's inspect hook, right after it ran). */
export function explainPacket(p: InspectedPacket): PacketExplanation {
  const { desc, i, decided: ex, dataplane } = p;
  const d = i * DESC_WORDS;
  const tin = flowTuple(p.before, desc, i);
  const tout = flowTuple(p.after, desc, i);
  const verdict = desc[d + D_VERDICT]!;
  const out: PacketExplanation = {
    frame: p.frame, index: p.index, time: epochText(desc[d + D_TS_SEC]!, desc[d + D_TS_NSEC]!),
    in: tin && formatTuple(tin), out: tout && formatTuple(tout),
    conntrack: { found: FOUND[ex[EX_CT]!] ?? 'none', before: stateName(ex[EX_CT]! === 0 ? 0 : ex[EX_CT_STATE_BEFORE]!),
                 after: stateName(ex[EX_CT_STATE_AFTER]!) },
    verdict: VERDICT_NAMES[verdict] ?? String(verdict),
  };
  if (ex[EX_CT]) out.conntrack.direction = ex[EX_CT_DIR] ? 'reply' : 'original';
  if (ex[EX_CT_STATE_AFTER]) out.conntrack.expires = ex[EX_CT_EXPIRES];
  if (desc[d + D_REASON]) {
    out.reason = reasonName(desc[d + D_REASON]!);
    if (REASON_RULES[out.reason]) out.rule = REASON_RULES[out.reason];
  }
  const slot = desc[d + D_SERVICE]! - 1;
  const sp = slot >= 0 ? dataplane.tables.servicePort(slot) : undefined;
  const kind = ex[EX_FRONTEND]!;
  if (kind && tin) {
    out.frontend = { kind: FRONTEND_KINDS[kind] ?? String(kind), address: tin.sport === undefined ? tin.dst : joinHostPort(tin.dst, tin.dport!),
                     service: dataplane.tables.slotNames[slot] ?? '' };
  }
  if (sp && kind && kind !== FE_CLUSTER_ADDR && (ex[EX_SET] !== EXS_NONE || out.reason === 'SERVICE_NO_ENDPOINTS')) {
    out.endpoints = endpointsOf(sp, ex, kind !== FE_CLUSTER_IP, desc[d + D_BACKEND]! - 1, dataplane);
  }
  const backend = desc[d + D_BACKEND]!;
  if (backend) {
    const by = ex[EX_CT] === EXC_FOUND || ex[EX_CT] === EXC_RELATED ? 'conntrack'
      : ex[EX_CHOICE] === EXB_AFFINITY ? 'affinity' : ex[EX_CHOICE] === EXB_RANDOM ? 'random' : 'maglev';
    out.backend = { address: dataplane.tables.backendNames[backend - 1]!, by };
    if (ex[EX_CHOICE] === EXB_MAGLEV && by === 'maglev') {
      out.backend.maglevSlot = ex[EX_MAGLEV_SLOT];
      out.backend.maglevSize = ex[EX_MAGLEV_SIZE];
    }
  }
  if (ex[EX_SET] !== EXS_NONE && out.backend && out.backend.by !== 'conntrack') out.source = sourceOf(ex, kind !== FE_CLUSTER_IP, sp, tout);
  // The outcome last, as the text prints it.
  const { verdict: v, reason, rule, ...stages } = out;
  return { ...stages, verdict: v, ...(reason !== undefined ? { reason } : {}), ...(rule !== undefined ? { rule } : {}) };
}

function stateName(st: number): string {
  return st === 0 ? 'none' : (CT_STATE_NAMES[st] ?? `state ${st}`);
}

/** The set the core used, why it is that one, and each endpoint's part in it (rules of src/k8s/rules.ts). */
function endpointsOf(sp: ServicePortState, ex: Uint32Array, external: boolean, backend: number,
                     dataplane: InspectedPacket['dataplane']): NonNullable<PacketExplanation['endpoints']> {
  const ctx = dataplane.nodeContext();
  const sets = endpointSets(sp.endpoints, ctx.nodeName, ctx.zone);
  const local = ex[EX_SET] === EXS_LOCAL;
  const cls = ex[EX_SOURCE]!;
  const policyName = external ? 'externalTrafficPolicy' : 'internalTrafficPolicy';
  const policyLocal = external ? sp.externalLocal : sp.internalLocal;
  let policy = `${policyName} ${policyLocal ? 'Local' : 'Cluster'}: the ${local ? 'local' : 'cluster'} set (rule 10)`;
  if (external && policyLocal && !local) {
    policy = `externalTrafficPolicy Local, but the source is ${cls & EXSRC_POD ? 'a pod' : 'this node'}: the cluster set (rule 20)`;
  }
  let rule: string;
  if (ex[EX_SET] === EXS_NONE) rule = 'no ready or serving terminating endpoint anywhere: REJECT (rule 14)';
  else if (local) {
    rule = sets.localFallback ? 'local serving terminating endpoints, none is ready (rule 9)' : `ready endpoints on ${ctx.nodeName || 'this node'} (rule 9)`;
    if (ex[EX_SET_N] === 0) rule = `no endpoint on ${ctx.nodeName || 'this node'}: DROP (rule ${external ? 16 : 15})`;
  } else if (sets.clusterFallback) rule = 'serving terminating endpoints, none is ready (rule 8)';
  else if (sets.topology === 'PreferSameZone') rule = `ready endpoints hinted for zone ${ctx.zone} (rules 8, 11: PreferSameZone)`;
  else if (sets.topology === 'PreferSameNode') rule = `ready endpoints hinted for node ${ctx.nodeName} (rules 8, 11: PreferSameNode)`;
  else rule = 'ready endpoints (rule 8)';
  const chosen = backend >= 0 ? dataplane.tables.backendNames[backend] : undefined;
  const considered = sets.why.map(({ endpoint: e, notCluster, notLocal }) => {
    const name = joinHostPort(e.ip, e.port);
    const zone = e.zone ?? e.zoneHints?.join(',');
    const c: NonNullable<PacketExplanation['endpoints']>['considered'][number] = {
      endpoint: name, ...(e.nodeName !== undefined ? { node: e.nodeName } : {}), ...(zone !== undefined ? { zone } : {}),
      ready: e.ready, serving: e.serving, terminating: e.terminating, chosen: name === chosen,
    };
    const why = local ? notLocal : notCluster;
    if (why !== undefined) c.excluded = why === 'hinted for another zone' && e.zoneHints ? `other zone (hinted for ${e.zoneHints.join(', ')})` : why;
    return c;
  });
  return { set: local ? 'local' : 'cluster', policy, rule, size: ex[EX_SET_N]!, considered };
}

/** What happened to the source address of a new connection, and the rule for it (rules 18-20). */
function sourceOf(ex: Uint32Array, external: boolean, sp: ServicePortState | undefined,
                  tout: FlowTuple | undefined): NonNullable<PacketExplanation['source']> {
  const cls = ex[EX_SOURCE]!;
  const nat = ex[EX_NAT]!;
  const port = ex[EX_NAT_PORT]!;
  if (nat === EXN_HAIRPIN) return { nat: 'hairpin', why: 'the client is the backend it got (rule 18)', address: tout?.src, port };
  if (nat === EXN_PORT_ONLY) {
    return { nat: 'port-only', why: 'another connection has this reply tuple: another source port, as conntrack does on a clash', port };
  }
  if (nat === EXN_MASQUERADE) {
    let why: string;
    if (external) why = cls & EXSRC_NODE ? 'the source is this node (rule 20)' : 'externalTrafficPolicy Cluster (rule 20)';
    else why = cls & EXSRC_POD ? '--masquerade-all' : 'the source is outside the pod CIDR (rule 19)';
    return { nat: 'masquerade', why, address: tout?.src, port };
  }
  let why: string;
  if (external) why = sp?.externalLocal && cls & EXSRC_POD ? 'a pod source (rule 20)' : 'externalTrafficPolicy Local keeps the client address (rule 20)';
  else why = cls & EXSRC_POD ? 'a pod source (rule 19)' : 'no --cluster-cidr: only hairpin traffic is masqueraded (rule 19)';
  return { nat: 'kept', why };
}
