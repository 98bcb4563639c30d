// Desired state (src/k8s/model.ts) → the core's tables. Slots and backend
// ids are stable across updates, so counters and conntrack entries keep
// their meaning. An update edits the core's staging generation and commits
// it in one call; if anything fails the staging generation is dropped and
// neither the core nor this object changes.

import type { Core } from './core.js';
import type { ClusterState, ServicePortState, Backend } from '../k8s/model.js';
import { parseIP, parseCIDR, cidrContains, joinHostPort, type CIDR } from '../k8s/ip.js';
import {
  FE_CLUSTER_IP, FE_EXTERNAL_IP, FE_LOAD_BALANCER, FE_NODE_PORT, FE_CLUSTER_ADDR, SF_INTERNAL_LOCAL, SF_EXTERNAL_LOCAL,
  SF_AFFINITY, SF_SOURCE_RANGES, SF_UDP, SET_CLUSTER, SET_LOCAL, LIST_NODE_IPS, LIST_POD_CIDRS, LIST_SERVICE_CIDRS,
  LIST_NODEPORT_CIDRS, NODE_LIST_MAX, SOURCE_RANGES_MAX,
} from './abi.js';

/** The node this dataplane runs on, as the CLI's --node-ip, --cluster-cidr, ... give it. */
export interface NodeConfig {
  /** This node's addresses: NodePort destinations (by default), masquerade source (first of each family), node-sourced traffic. */
  nodeIPs?: string[];
  /** Pod CIDRs: pod-sourced traffic; ClusterIP traffic from outside them is masqueraded. */
  podCIDRs?: string[];
  /** Service CIDRs: a packet to an address inside them that no Service holds is dropped. */
  serviceCIDRs?: string[];
  /** Destinations accepting NodePort traffic; default: exactly nodeIPs. */
  nodePortCIDRs?: string[];
  masqueradeAll?: boolean;
  /** Source ports a masqueraded connection may take when its own is taken; default 32768-60999. */
  masqueradePorts?: [number, number];
}

/** What one apply meant for the live connections of a service port whose endpoints changed. */
export interface SlotChange { service: string; kept: number; orphaned: number; wouldMove: number; flushed: number }

export const PROTOCOL_NUMBERS = { TCP: 6, UDP: 17, SCTP: 132 } as const;

export class TableError extends Error {}

interface Frontend { family: number; proto: number; port: number; addr: string; kind: number; slot: number }
interface SlotState { signature: string; sets: [string, string]; ranges: string; port: ServicePortState }

/** What the tables hold, as plain maps (copied, then swapped in on commit). */
interface Snapshot {
  slotOf: Map<string, number>;
  slots: Map<number, SlotState>;
  frontends: Map<string, Frontend>;
  backendOf: Map<string, number>;
}

/** Result of one apply: what changed, for reports and benchmarks. */
export interface ApplyStats { servicePorts: number; changedSets: number; frontendsAdded: number; frontendsRemoved: number; changes: SlotChange[] }

export class ServiceTables {
  private snap: Snapshot = { slotOf: new Map(), slots: new Map(), frontends: new Map(), backendOf: new Map() };
  private freeSlots: number[] = [];
  private nextSlot = 0;
  private nextBackend = 0;
  /** Display names for reports: slot → "ns/name:port", backend id → "ip:port". */
  readonly slotNames: string[] = [];
  readonly backendNames: string[] = [];
  readonly backendSlot: number[] = [];

  constructor(private readonly core: Core) {}

  /** Slot of a service port key (family-qualified), if programmed. */
  slotFor(key: string, family: 4 | 6 = 4): number | undefined {
    return this.snap.slotOf.get(`${key}|${family}`);
  }

  /** Programs the core with `state`, atomically. */
  apply(state: ClusterState): ApplyStats {
    const core = this.core;
    const e = core.exports;
    const next: Snapshot = {
      slotOf: new Map(this.snap.slotOf),
      slots: new Map(this.snap.slots),
      frontends: new Map(),
      backendOf: this.snap.backendOf,
    };
    const freeSlots = [...this.freeSlots];
    let nextSlot = this.nextSlot;
    const newBackends = new Map<string, number>();
    let nextBackend = this.nextBackend;
    const stats: ApplyStats = { servicePorts: state.servicePorts.length, changedSets: 0, frontendsAdded: 0, frontendsRemoved: 0, changes: [] };
    const changedSlots: { slot: number; sp: ServicePortState; existed: boolean }[] = [];

    e.cpBegin();
    try {
      const seen = new Set<string>();
      for (const sp of state.servicePorts) {
        const unit = `${sp.key}|${sp.family}`;
        if (seen.has(unit)) continue;
        seen.add(unit);
        let slot = next.slotOf.get(unit);
        if (slot === undefined) {
          slot = freeSlots.length ? freeSlots.pop()! : nextSlot++;
          if (slot >= core.options.maxServicePorts) throw new TableError(`more than ${core.options.maxServicePorts} service ports (raise the capacity)`);
          next.slotOf.set(unit, slot);
        }
        const proto = PROTOCOL_NUMBERS[sp.protocol];
        const flags = (sp.internalLocal ? SF_INTERNAL_LOCAL : 0) | (sp.externalLocal ? SF_EXTERNAL_LOCAL : 0) |
          (sp.affinitySeconds > 0 ? SF_AFFINITY : 0) | (sp.sourceRanges.length ? SF_SOURCE_RANGES : 0) |
          (sp.protocol === 'UDP' ? SF_UDP : 0);
        const signature = `${flags}|${sp.affinitySeconds}|${sp.port}|${sp.nodePort ?? 0}`;
        const prev = next.slots.get(slot);
        if (!prev || prev.signature !== signature) check(e.cpService(slot, flags, sp.affinitySeconds, sp.port, sp.nodePort ?? 0), 'service');

        const ids = (set: Backend[]): number[] => set.map((b) => {
          const bkey = `${slot}|${b.ip}|${b.port}`;
          let id = next.backendOf.get(bkey) ?? newBackends.get(bkey);
          if (id === undefined) {
            id = nextBackend++;
            if (id >= core.options.maxBackends) throw new TableError(`more than ${core.options.maxBackends} backends (raise the capacity)`);
            this.writeAddr(b.ip);
            check(e.cpBackend(id, sp.family, b.port, slot), 'backend');
            newBackends.set(bkey, id);
          }
          return id;
        });
        const sets: [string, string] = ['', ''];
        let setsChanged = false;
        for (const [which, set] of [[SET_CLUSTER, sp.clusterSet], [SET_LOCAL, sp.localSet]] as const) {
          const list = ids(set);
          sets[which] = list.join(',');
          if (prev && prev.sets[which] === sets[which]) continue;
          setsChanged = true;
          if (list.length * 2 * 4 > core.scratch.byteLength) throw new TableError(`${sp.key}: too many endpoints`);
          if (list.length > e.maxSetSize()) throw new TableError(`${sp.key}: ${list.length} endpoints exceed the Maglev table size`);
          core.refresh();
          core.scratch32.set(list, 0);
          core.scratch32.fill(1, list.length, list.length * 2);
          check(e.cpServiceSet(slot, which, list.length), 'endpoint set');
          stats.changedSets++;
        }
        if (setsChanged) changedSlots.push({ slot, sp, existed: prev !== undefined });
        const ranges = sp.loadBalancerIPs.length ? this.sourceRanges(sp) : '';
        if (!prev || prev.ranges !== ranges) this.writeSourceRanges(slot, ranges);
        next.slots.set(slot, { signature, sets, ranges, port: sp });

        for (const [addrs, kind, port] of [
          [sp.clusterIP ? [sp.clusterIP] : [], FE_CLUSTER_IP, sp.port],
          [sp.externalIPs, FE_EXTERNAL_IP, sp.port],
          [sp.loadBalancerIPs, FE_LOAD_BALANCER, sp.port],
          [sp.nodePort ? [sp.family === 4 ? '0.0.0.0' : '::'] : [], FE_NODE_PORT, sp.nodePort ?? 0],
        ] as const) {
          for (const addr of addrs) addFrontend(next.frontends, { family: sp.family, proto, port, addr, kind, slot });
        }
      }
      // Allocated ClusterIPs, for REJECT of unknown ports (rule 17).
      for (const ip of state.allocatedClusterIPs) {
        const a = parseIP(ip);
        if (a) addFrontend(next.frontends, { family: a.family, proto: 0, port: 0, addr: ip, kind: FE_CLUSTER_ADDR, slot: 0 });
      }
      // Service ports that are gone.
      for (const [unit, slot] of [...next.slotOf]) {
        if (seen.has(unit)) continue;
        e.cpServiceRemove(slot);
        next.slotOf.delete(unit);
        next.slots.delete(slot);
        freeSlots.push(slot);
      }
      // Frontends: remove the stale, add or re-point the rest.
      for (const [k, f] of this.snap.frontends) {
        if (next.frontends.has(k)) continue;
        this.writeAddr(f.addr);
        e.cpFrontendRemove(f.family, f.proto, f.port);
        stats.frontendsRemoved++;
      }
      for (const [k, f] of next.frontends) {
        const old = this.snap.frontends.get(k);
        if (old && old.kind === f.kind && old.slot === f.slot) continue;
        this.writeAddr(f.addr);
        check(e.cpFrontendAdd(f.family, f.proto, f.port, f.kind, f.slot), 'frontend (raise the frontend capacity)');
        stats.frontendsAdded++;
      }
    } catch (err) {
      e.cpAbort();
      core.refresh();
      throw err;
    }
    e.cpCommit();
    core.refresh();
    // Commit the host-side view only now.
    const backendOf = new Map(this.snap.backendOf);
    for (const [name, id] of newBackends) {
      backendOf.set(name, id);
      const [slot, ip, port] = name.split('|');
      this.backendNames[id] = joinHostPort(ip, Number(port));
      this.backendSlot[id] = Number(slot);
    }
    next.backendOf = backendOf;
    this.snap = next;
    this.freeSlots = freeSlots;
    this.nextSlot = nextSlot;
    this.nextBackend = nextBackend;
    for (const [unit, slot] of next.slotOf) this.slotNames[slot] = unit.slice(0, unit.lastIndexOf('|'));
    // What the change means for live connections; UDP flush (rule 24).
    for (const { slot, sp, existed } of changedSlots) {
      if (!existed) continue;
      const serving = sp.endpoints.filter((b) => b.serving)
        .map((b) => this.snap.backendOf.get(`${slot}|${b.ip}|${b.port}`))
        .filter((id): id is number => id !== undefined);
      const inSet = sp.clusterSet.map((b) => this.snap.backendOf.get(`${slot}|${b.ip}|${b.port}`)!);
      core.refresh();
      core.scratch32.set(inSet, 0);
      e.ctAuditSlot(slot, inSet.length);
      const change: SlotChange = { service: sp.key, kept: e.auditResultKept(), orphaned: e.auditResultOrphaned(), wouldMove: e.auditResultWouldMove(), flushed: 0 };
      if (sp.protocol === 'UDP' && serving.length > 0) {
        core.scratch32.set(serving, 0);
        change.flushed = e.ctFlush(slot, serving.length) >>> 0;
      }
      stats.changes.push(change);
    }
    return stats;
  }

  /** Programs the node's addresses and CIDRs. Validates everything before touching the core. */
  setNode(node: NodeConfig): void {
    const lists: [number, string[], boolean][] = [
      [LIST_NODE_IPS, node.nodeIPs ?? [], true],
      [LIST_POD_CIDRS, node.podCIDRs ?? [], false],
      [LIST_SERVICE_CIDRS, node.serviceCIDRs ?? [], false],
      [LIST_NODEPORT_CIDRS, node.nodePortCIDRs ?? [], false],
    ];
    const parsed = lists.map(([list, items, isIP]) => {
      if (items.length > NODE_LIST_MAX) throw new TableError(`at most ${NODE_LIST_MAX} entries per list`);
      return [list, items.map((t) => {
        const c = isIP ? ipAsCIDR(t) : parseCIDR(t.trim());
        if (!c) throw new TableError(`${isIP ? 'bad IP address' : 'bad CIDR'} ${JSON.stringify(t)}`);
        return c;
      })] as const;
    });
    const e = this.core.exports;
    e.cpNodeReset();
    for (const [list, cidrs] of parsed) {
      for (const c of cidrs) {
        this.writeBytes(c.bytes);
        e.cpListAdd(list, c.family, c.prefixLength);
      }
    }
    const [lo, hi] = node.masqueradePorts ?? [32768, 60999];
    e.cpMasquerade(node.masqueradeAll ? 1 : 0, lo, hi);
    this.nodeIPs = parsed[0][1];
  }

  private nodeIPs: readonly CIDR[] = [];

  /** Rule 21: the ranges of the port's family; a range holding a node IP also admits the LB IPs themselves. */
  private sourceRanges(sp: ServicePortState): string {
    if (sp.sourceRanges.length === 0) return '';
    const ranges = sp.sourceRanges.map((r) => parseCIDR(r.trim())).filter((c): c is CIDR => c !== null && c.family === sp.family);
    const holdsNode = ranges.some((r) => this.nodeIPs.some((n) => n.family === r.family && cidrContains(r, n.bytes)));
    const all = ranges.map((r) => `${r.family}|${r.prefixLength}|${Buffer.from(r.bytes).toString('hex')}`);
    if (holdsNode) for (const ip of sp.loadBalancerIPs) {
      const c = ipAsCIDR(ip);
      if (c) all.push(`${c.family}|${c.prefixLength}|${Buffer.from(c.bytes).toString('hex')}`);
    }
    // An empty filtered list (ranges of the other family only) still filters: nothing is admitted.
    return all.length ? all.join(',') : 'none';
  }

  private writeSourceRanges(slot: number, ranges: string): void {
    const entries = ranges && ranges !== 'none' ? ranges.split(',') : [];
    if (entries.length > SOURCE_RANGES_MAX) throw new TableError(`more than ${SOURCE_RANGES_MAX} loadBalancerSourceRanges`);
    this.core.refresh();
    const sc = this.core.scratch;
    sc.fill(0, 0, Math.max(entries.length, 1) * 24);
    entries.forEach((en, i) => {
      const [fam, len, hex] = en.split('|');
      sc[i * 24] = Number(fam);
      sc[i * 24 + 1] = Number(len);
      sc.set(Buffer.from(hex, 'hex'), i * 24 + 8);
    });
    if (ranges === 'none') {
      // A filter that admits nothing: one entry of another family.
      sc[0] = 0; sc[1] = 0;
      check(this.core.exports.cpServiceSourceRanges(slot, 1), 'source range list');
      return;
    }
    check(this.core.exports.cpServiceSourceRanges(slot, entries.length), 'source range list');
  }

  private writeBytes(bytes: Uint8Array): void {
    this.core.refresh();
    this.core.scratch.fill(0, 0, 16);
    this.core.scratch.set(bytes, 0);
  }

  /** The programmed service port of a slot. */
  servicePort(slot: number): ServicePortState | undefined {
    return this.snap.slots.get(slot)?.port;
  }

  /** Backend ids ever created for a slot. */
  backendsOf(slot: number): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.nextBackend; id++) if (this.backendSlot[id] === slot) out.push(id);
    return out;
  }

  /** Writes an address into scratch[0..16] (IPv4 in the first 4 bytes, the rest zero). */
  private writeAddr(text: string): void {
    const a = parseIP(text);
    if (!a) throw new TableError(`bad address ${text}`);
    this.core.refresh();
    this.core.scratch.fill(0, 0, 16);
    this.core.scratch.set(a.bytes, 0);
  }
}

function ipAsCIDR(text: string): CIDR | null {
  const a = parseIP(text.trim());
  return a ? { family: a.family, bytes: a.bytes, prefixLength: a.family === 4 ? 32 : 128 } : null;
}

function addFrontend(map: Map<string, Frontend>, f: Frontend): void {
  const k = `${f.family}|${f.proto}|${f.port}|${f.addr}`;
  // One address:port:protocol belongs to one service port; the first one wins.
  if (!map.has(k)) map.set(k, f);
}

function check(rc: number, what: string): void {
  if (rc !== 0) throw new TableError(`the core refused a ${what}`);
}
