// Desired state (src/k8s/model.ts) → the core's tables. Slots and backend
// ids are stable across updates, so counters and conntrack entries keep
// their meaning. An update edits the core's staging generation and commits
// it in one call; if anything fails the staging generation is dropped and
// neither the core nor this object changes.

import type { Core } from './core.js';
import type { ClusterState, ServicePortState, Backend } from '../k8s/model.js';
import { parseIP, parseIPInto, parseCIDR, cidrContains, joinHostPort, canonicalIP, type CIDR } from '../k8s/ip.js';
import { ciliumBackendIdentity, isKatran, CILIUM_TABLE_SIZES, type MaglevCompat } from './maglev-compat.js';
import { katranRealHash } from './katran-real-hash.js';
import {
  FE_CLUSTER_IP, FE_EXTERNAL_IP, FE_LOAD_BALANCER, FE_NODE_PORT, FE_CLUSTER_ADDR, SF_INTERNAL_LOCAL, SF_EXTERNAL_LOCAL,
  SF_AFFINITY, SF_SOURCE_RANGES, SF_UDP, SET_CLUSTER, SET_LOCAL, LIST_NODE_IPS, LIST_POD_CIDRS, LIST_SERVICE_CIDRS,
  LIST_NODEPORT_CIDRS, NODE_LIST_MAX, SOURCE_RANGES_MAX, CP_NO_MEMORY, SCRATCH_ADDR, ADDR_SLOT_BYTES, SCRATCH_IDS,
  SET_WORDS_PER_BACKEND, SCRATCH_CIDRS, CIDR_ENTRY_BYTES, CIDR_FAMILY, CIDR_PREFIX, CIDR_ADDR, SCRATCH_IDENTITY,
  IDENTITY_MAX_BYTES,
} from './abi.js';
import { checkNeeds, smallestPrimeAtLeast, CAPACITY_OPTIONS, MAGLEV_PRIME_MAX, type CapacityName, type TableNeeds } from './capacity.js';
import { frontendSlots, MAGLEV_SET_MAX } from '../../assembly/abi/capacity.js';
import { CapacityError } from './errors.js';

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

/** Table slots applyAsync() builds between two turns of the event loop: about 40 ms of work (one table when larger). */
const BUILD_SLICE_SLOTS = 1 << 20;

/** Resolves on the event loop's next turn (setImmediate where there is one: no 1 ms timer clamp). */
const nextTurn = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** An update staged in the core, not committed yet. */
interface StagedUpdate { st: Staging; staged: StagedNode | null; nodeWritten: boolean }

interface Frontend { family: number; proto: number; port: number; addr: string; kind: number; slot: number; owner: string }
interface SlotState { unit: string; owner: string; signature: string; sets: [Uint32Array, Uint32Array]; ranges: string; port: ServicePortState }

/** One update's changes: the core's staging generation holds them; the host's maps take them after the commit. */
interface Staging {
  nodeIPs: readonly CIDR[];
  /** Service ports ("key|family") of this update. */
  seen: Set<string>;
  newSlots: Map<string, number>;
  slotStates: Map<number, SlotState>;
  removed: { unit: string; slot: number }[];
  newBackends: Map<string, number>;
  created: { id: number; slot: number; ip: string; port: number }[];
  freeSlots: number[];
  nextSlot: number;
  nextBackend: number;
  /** Backend ids free for reuse (ascending), and every id the staged sets use. */
  freeIds: number[];
  usedIds: Set<number>;
  /** Service ports whose endpoint sets changed and that existed before: their live connections are audited. */
  changedSlots: { slot: number; sp: ServicePortState }[];
  desired: Map<string, Frontend>;
  feAdded: Frontend[];
  feRemoved: Frontend[];
  stats: ApplyStats;
}

export interface UpdateOptions {
  /** Count, per changed service port, the live connections that keep, lose or would change backend (scans conntrack). */
  audit?: boolean;
  /** apply(): the node's configuration to program with the state, in the same commit; default: the current one. */
  node?: NodeConfig;
  /**
   * Capture time of the update (ns since the epoch): when backend ids run out, connections of
   * removed backends that expired by then are deleted so their ids can be reused. Default 0.
   */
  now?: bigint;
}

type NodeLists = (readonly [number, CIDR[]])[];
/** Node lists validated for one commit, with the configuration they come from. */
interface StagedNode { node: NodeConfig; serviceCIDRs: string[]; lists: NodeLists; key: string }

/** Result of one apply: what changed, for reports and benchmarks. */
export interface ApplyStats {
  servicePorts: number; changedSets: number; frontendsAdded: number; frontendsRemoved: number; changes: SlotChange[];
  /** The slot of each of `changes`. */
  slots: number[];
  /** Backend ids taken back from removed backends (reclaim: --max-backends ran out). */
  reclaimed: number;
}

const frontendKey = (f: Frontend) => `${f.family}|${f.proto}|${f.port}|${f.addr}`;
const ownerOf = (sp: ServicePortState) => `${sp.namespace}/${sp.name}`;

export class ServiceTables {
  // The host's picture of what the core holds. Changed only after a commit.
  private readonly slotOf = new Map<string, number>();          // "key|family" → slot
  private readonly slots = new Map<number, SlotState>();
  private readonly unitsOf = new Map<string, Set<string>>();    // "ns/name" → units
  private readonly frontends = new Map<string, Frontend>();
  private readonly frontendsOf = new Map<string, Set<string>>(); // owner → frontend keys
  private readonly backendOf = new Map<string, number>();       // "slot|ip|port" → id
  private freeSlots: number[] = [];
  private nextSlot = 0;
  private nextBackend = 0;
  /** Ids taken back from removed backends (ascending), given out before new ones once nextBackend reached the capacity. */
  private freeIds: number[] = [];
  /** Counters of reclaimed backends, per slot and backend name: the report still counts them. */
  private readonly retired = new Map<number, Map<string, [number, number, number]>>();
  /** Display names for reports: slot → "ns/name:port", backend id → "ip:port". */
  readonly slotNames: string[] = [];
  readonly backendNames: string[] = [];
  readonly backendSlot: number[] = [];
  private readonly backendIP: string[] = [];
  private readonly slotBackends: number[][] = [];

  /** Cilium's Maglev (--maglev-compat cilium): backends carry its identity strings, sets are in their order. */
  private readonly cilium: boolean;
  /** Katran's Maglev (--maglev-compat katran, katran-v2): backends carry their real's hash, sets are in its order. */
  private readonly katran: boolean;

  constructor(private readonly core: Core) {
    this.cilium = core.options.maglevCompat === 'cilium';
    this.katran = isKatran(core.options.maglevCompat);
  }

  /** Slot of a service port key (family-qualified), if programmed. */
  slotFor(key: string, family: 4 | 6 = 4): number | undefined {
    return this.slotOf.get(`${key}|${family}`);
  }

  /**
   * Programs the core with the whole of `state`, atomically: what it does not hold is removed.
   * More service ports than the core has slots are refused before anything is programmed; a
   * capacity that runs out while programming aborts the update. Both throw CapacityError
   * naming the option (tableNeeds() and src/core/capacity.ts check everything beforehand).
   * The state's ServiceCIDR ranges join the node's own --service-cidr ranges.
   */
  apply(state: ClusterState, opts: UpdateOptions = {}): ApplyStats {
    return this.commit(this.stageState(state, opts), opts);
  }

  /**
   * apply(), with the Maglev tables built a slice at a time and the event loop let run between
   * slices (a signal can end a long build); stops with `signal.reason`, nothing changed, once
   * `signal` is aborted. Nothing else may use the core until it settles.
   */
  async applyAsync(state: ClusterState, opts: UpdateOptions = {}, signal?: AbortSignal): Promise<ApplyStats> {
    signal?.throwIfAborted();
    const update = this.stageState(state, opts);
    try {
      while (this.core.exports.cpBuildStaged(BUILD_SLICE_SLOTS) !== 0) {
        await nextTurn();
        signal?.throwIfAborted();
      }
    } catch (err) {
      this.abort(update.nodeWritten);
      throw err;
    }
    return this.commit(update, opts);
  }

  private stageState(state: ClusterState, opts: UpdateOptions): StagedUpdate {
    const units = new Set(state.servicePorts.map((sp) => `${sp.key}|${sp.family}`)).size;
    checkNeeds({ maxServicePorts: this.core.options.maxServicePorts }, { servicePorts: units, backends: 0, frontends: 0 });
    const staged = this.stageNode(opts.node ?? this.node, state.serviceCIDRs ?? []);
    return this.stage(state.servicePorts, null, state.allocatedClusterIPs, opts, staged);
  }

  /**
   * Replaces the service ports of some Services ("namespace/name") with
   * `ports`, atomically, touching nothing else: the incremental path for
   * one watch event (see ClusterView).
   */
  applyServices(ports: ServicePortState[], services: Iterable<string>, opts: UpdateOptions = {}): ApplyStats {
    return this.commit(this.stage(ports, new Set(services), [], opts), opts);
  }

  /** Stages an update in the core (cpBegin and the cp* calls); aborts it and throws on error. */
  private stage(ports: ServicePortState[], scope: Set<string> | null, markers: string[], opts: UpdateOptions,
                staged: StagedNode | null = null): StagedUpdate {
    const e = this.core.exports;
    const st: Staging = {
      nodeIPs: staged ? staged.lists[0]![1] : this.nodeIPs,
      seen: new Set(),
      newSlots: new Map(),
      slotStates: new Map(),
      removed: [],
      newBackends: new Map(),
      created: [],
      freeSlots: this.freeSlots.slice(),
      nextSlot: this.nextSlot,
      nextBackend: this.nextBackend,
      freeIds: this.freeIds.slice(),
      usedIds: new Set(),
      changedSlots: [],
      desired: new Map(),
      feAdded: [],
      feRemoved: [],
      stats: { servicePorts: ports.length, changedSets: 0, frontendsAdded: 0, frontendsRemoved: 0, changes: [], slots: [], reclaimed: 0 },
    };
    let nodeWritten = false;
    e.cpBegin();
    try {
      for (const sp of ports) this.stagePort(st, sp, opts.now ?? 0n);
      eachMarker(markers, (family, proto, port, addr, kind) => addFrontend(st.desired, { family, proto, port, addr, kind, slot: 0, owner: '' }));
      this.stageRemovals(st, scope);
      this.stageFrontends(st, scope);
      // The node lists have one generation in the core: written last, put back on abort.
      if (staged) {
        nodeWritten = true;
        this.programNode(staged.lists, staged.node);
      }
    } catch (err) {
      this.abort(nodeWritten);
      throw err;
    }
    return { st, staged, nodeWritten };
  }

  /** Drops a staged update; the node lists (one generation in the core) are put back. */
  private abort(nodeWritten: boolean): void {
    this.core.exports.cpAbort();
    if (nodeWritten) this.programNode(this.nodeLists, this.node);
    this.core.refresh();
  }

  /** Commits a staged update (building the tables not built yet) and takes it as what the core holds. */
  private commit({ st, staged }: StagedUpdate, opts: UpdateOptions): ApplyStats {
    this.core.exports.cpCommit();
    this.core.refresh();
    if (staged) {
      this.node = staged.node;
      this.stateCIDRs = staged.serviceCIDRs;
      this.nodeLists = staged.lists;
      this.nodeKey = staged.key;
      this.nodeIPs = st.nodeIPs;
    }
    this.adopt(st);
    for (const { slot, sp } of st.changedSlots) {
      const change = this.liveChange(slot, sp, opts);
      if (change) {
        st.stats.changes.push(change);
        st.stats.slots.push(slot);
      }
    }
    st.stats.frontendsAdded = st.feAdded.length;
    st.stats.frontendsRemoved = st.feRemoved.length;
    return st.stats;
  }

  /** Stages one service port of one family: its slot, record, endpoint sets, source ranges and frontends. */
  private stagePort(st: Staging, sp: ServicePortState, now: bigint): void {
    const e = this.core.exports;
    const unit = `${sp.key}|${sp.family}`;
    if (st.seen.has(unit)) return;
    st.seen.add(unit);
    let slot = this.slotOf.get(unit) ?? st.newSlots.get(unit);
    if (slot === undefined) {
      slot = st.freeSlots.length ? st.freeSlots.pop()! : st.nextSlot++;
      if (slot >= this.core.options.maxServicePorts) throw new CapacityError(tooMany('maxServicePorts', this.core.options.maxServicePorts));
      st.newSlots.set(unit, slot);
    }
    const flags = (sp.internalLocal ? SF_INTERNAL_LOCAL : 0) | (sp.externalLocal ? SF_EXTERNAL_LOCAL : 0) |
      (sp.affinitySeconds > 0 ? SF_AFFINITY : 0) | (sp.sourceRanges.length ? SF_SOURCE_RANGES : 0) |
      (sp.protocol === 'UDP' ? SF_UDP : 0);
    const signature = `${flags}|${sp.affinitySeconds}|${sp.port}|${sp.nodePort ?? 0}`;
    const prev = this.slots.get(slot);
    if (!prev || prev.signature !== signature) check(e.cpService(slot, flags, sp.affinitySeconds, sp.port, sp.nodePort ?? 0), 'service');

    // The local set only matters where a Local traffic policy can use it.
    const needsLocal = sp.internalLocal || sp.externalLocal;
    const sets: [Uint32Array, Uint32Array] = [
      this.stageIds(st, sp, slot, sp.clusterSet, now),
      needsLocal ? this.stageIds(st, sp, slot, sp.localSet, now) : EMPTY_IDS,
    ];
    let setsChanged = false;
    for (const which of [SET_CLUSTER, SET_LOCAL]) {
      const list = sets[which];
      if (prev && sameIds(prev.sets[which], list)) continue;
      setsChanged = true;
      this.stageSet(sp, slot, which, list);
      st.stats.changedSets++;
    }
    if (setsChanged && prev) st.changedSlots.push({ slot, sp });
    const ranges = sp.loadBalancerIPs.length ? sourceRanges(sp, st.nodeIPs) : '';
    if (!prev || prev.ranges !== ranges) this.writeSourceRanges(slot, ranges);
    const owner = ownerOf(sp);
    st.slotStates.set(slot, { unit, owner, signature, sets, ranges, port: sp });
    const at = slot;
    eachFrontend(sp, (family, proto, port, addr, kind) =>
      addFrontend(st.desired, { family, proto, port, addr, kind, slot: kind === FE_CLUSTER_ADDR ? 0 : at, owner }));
  }

  /**
   * The backend ids of an endpoint set, registering new backends. Id lists are typed arrays:
   * one shape whatever their length, so the comparisons of many updates stay monomorphic.
   */
  private stageIds(st: Staging, sp: ServicePortState, slot: number, given: Backend[], now: bigint): Uint32Array {
    // Cilium sorts a set by its backends' identity strings, Katran by its reals' hashes: the same on every node.
    const set = this.cilium ? byIdentity(given, sp.protocol) : this.katran ? byRealHash(given) : given;
    const ids = new Uint32Array(set.length);
    for (let i = 0; i < set.length; i++) {
      const b = set[i];
      const bkey = `${slot}|${b.ip}|${b.port}`;
      let id = this.backendOf.get(bkey) ?? st.newBackends.get(bkey);
      if (id === undefined) {
        id = this.newBackendId(st, now);
        this.writeAddr(b.ip);
        check(this.core.exports.cpBackend(id, sp.family, b.port, slot), 'backend');
        if (this.cilium) this.writeIdentity(id, identityOf(b, sp.protocol));
        if (this.katran) this.writeRealHash(id, realHashOf(b));
        st.newBackends.set(bkey, id);
        st.created.push({ id, slot, ip: b.ip, port: b.port });
      }
      ids[i] = id;
      st.usedIds.add(id);
    }
    return ids;
  }

  /** An id for a new backend: the next unused one, else one taken back from a removed backend. */
  private newBackendId(st: Staging, now: bigint): number {
    const max = this.core.options.maxBackends;
    if (st.nextBackend < max) return st.nextBackend++;
    if (st.freeIds.length === 0) this.reclaim(st, now);
    const id = st.freeIds.shift();
    if (id === undefined) throw new CapacityError(tooMany('maxBackends', max));
    return id;
  }

  /**
   * Takes back the ids of backends that no endpoint set holds, committed or staged, and that no
   * connection uses (the core deletes those of their connections expired at `now`). Their
   * counters move to `retired`, so the report keeps them; the ids join the free list at once.
   */
  private reclaim(st: Staging, now: bigint): void {
    const inUse = new Set(st.usedIds);
    for (const s of this.slots.values()) for (const set of s.sets) for (const id of set) inUse.add(id);
    const free = new Set(this.freeIds);
    const candidates: number[] = [];
    for (let id = 0; id < this.nextBackend; id++) if (!inUse.has(id) && !free.has(id)) candidates.push(id);
    if (candidates.length === 0) return;
    // The core walks each slot's connections once: candidates grouped by slot.
    candidates.sort((a, b) => (this.backendSlot[a]! - this.backendSlot[b]!) || a - b);
    const core = this.core;
    const taken: number[] = [];
    const room = core.scratch32.length - SCRATCH_IDS;
    for (let at = 0; at < candidates.length; at += room) {
      const part = candidates.slice(at, at + room);
      const counters = new Map(part.map((id) => [id, core.backendCounters(id)]));
      this.writeIds(part);
      const n = core.exports.cpBackendsReclaim(part.length, Number(now & 0xffffffffn), Number((now >> 32n) & 0xffffffffn)) >>> 0;
      core.refresh();
      for (const id of core.scratch32.subarray(SCRATCH_IDS, SCRATCH_IDS + n)) {
        this.retire(id, counters.get(id)!);
        taken.push(id);
      }
    }
    taken.sort((a, b) => a - b);
    st.stats.reclaimed += taken.length;
    this.freeIds = mergeSorted(this.freeIds, taken);
    st.freeIds = mergeSorted(st.freeIds, taken);
  }

  /** A reclaimed id leaves its slot; what it counted stays in the report under its name (not for a removed slot's). */
  private retire(id: number, [p, b, c]: [number, number, number]): void {
    const slot = this.backendSlot[id]!;
    const list = this.slotBackends[slot];
    const at = list ? list.indexOf(id) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    const name = this.backendNames[id]!;
    let bySlot = this.retired.get(slot);
    if (!bySlot) this.retired.set(slot, (bySlot = new Map()));
    const old = bySlot.get(name) ?? [0, 0, 0];
    bySlot.set(name, [old[0] + p, old[1] + b, old[2] + c]);
    this.backendOf.delete(`${slot}|${this.backendIP[id]}|${this.backendPortOf(id)}`);
  }

  /** Programs one endpoint set of a slot (ids, then a weight of 1 each) into staging. */
  private stageSet(sp: ServicePortState, slot: number, which: number, list: Uint32Array): void {
    const core = this.core;
    core.refresh(); // programming earlier sets may have grown memory: views first
    if ((SCRATCH_IDS + list.length * SET_WORDS_PER_BACKEND) * 4 > core.scratch.byteLength) throw new TableError(`${sp.key}: too many endpoints`);
    const tooLarge = setTooLarge(sp.key, list.length, core.options.maglevSize, core.options.maglevCompat);
    if (tooLarge !== undefined || list.length > core.exports.maxSetSize()) throw new TableError(tooLarge ?? `${sp.key}: too many endpoints`);
    this.writeIds(list);
    core.scratch32.fill(1, SCRATCH_IDS + list.length, SCRATCH_IDS + list.length * SET_WORDS_PER_BACKEND); // weights
    check(core.exports.cpServiceSet(slot, which, list.length), 'endpoint set');
  }

  /** Service ports that are gone (of the Services in scope; of all, for a full apply). */
  private stageRemovals(st: Staging, scope: Set<string> | null): void {
    const units = scope ? [...scope].flatMap((svc) => [...(this.unitsOf.get(svc) ?? [])]) : [...this.slotOf.keys()];
    for (const unit of units) {
      if (st.seen.has(unit)) continue;
      const slot = this.slotOf.get(unit)!;
      this.core.exports.cpServiceRemove(slot);
      st.removed.push({ unit, slot });
      st.freeSlots.push(slot);
    }
  }

  /** Frontends: remove the stale, add or re-point the rest. */
  private stageFrontends(st: Staging, scope: Set<string> | null): void {
    const e = this.core.exports;
    const current = scope
      ? [...scope].flatMap((o) => [...(this.frontendsOf.get(o) ?? [])])
      : [...this.frontends.keys()];
    for (const k of current) {
      if (st.desired.has(k)) continue;
      const f = this.frontends.get(k)!;
      this.writeAddr(f.addr);
      e.cpFrontendRemove(f.family, f.proto, f.port);
      st.feRemoved.push(f);
    }
    for (const [k, f] of st.desired) {
      const old = this.frontends.get(k);
      if (old && old.kind === f.kind && old.slot === f.slot && old.owner === f.owner) continue;
      this.writeAddr(f.addr);
      if (e.cpFrontendAdd(f.family, f.proto, f.port, f.kind, f.slot) !== 0) {
        throw new CapacityError(`the frontend table is full (${frontendSlots(this.core.options.maxFrontends)} entries; raise --max-frontends)`);
      }
      st.feAdded.push(f);
    }
  }

  /** After the core committed: the host's picture follows. */
  private adopt(st: Staging): void {
    for (const [unit, slot] of st.newSlots) this.slotOf.set(unit, slot);
    for (const { unit, slot } of st.removed) {
      const s = this.slots.get(slot);
      this.slotOf.delete(unit);
      this.slots.delete(slot);
      if (s) this.unitsOf.get(s.owner)?.delete(unit);
      // The slot may be reused by another service port: its backends (and their counters) go with it.
      for (const id of this.slotBackends[slot] ?? []) this.backendOf.delete(`${slot}|${this.backendIP[id]}|${this.backendPortOf(id)}`);
      this.slotBackends[slot] = [];
      this.retired.delete(slot);
    }
    for (const [slot, s] of st.slotStates) {
      this.slots.set(slot, s);
      let set = this.unitsOf.get(s.owner);
      if (!set) this.unitsOf.set(s.owner, (set = new Set()));
      set.add(s.unit);
      this.slotNames[slot] = s.port.key;
    }
    for (const f of st.feRemoved) {
      const k = frontendKey(f);
      this.frontends.delete(k);
      this.frontendsOf.get(f.owner)?.delete(k);
    }
    for (const f of st.feAdded) {
      const k = frontendKey(f);
      const old = this.frontends.get(k);
      if (old) this.frontendsOf.get(old.owner)?.delete(k);
      this.frontends.set(k, f);
      let set = this.frontendsOf.get(f.owner);
      if (!set) this.frontendsOf.set(f.owner, (set = new Set()));
      set.add(k);
    }
    for (const [name, id] of st.newBackends) this.backendOf.set(name, id);
    for (const b of st.created) {
      this.backendNames[b.id] = joinHostPort(b.ip, b.port);
      this.backendSlot[b.id] = b.slot;
      this.backendIP[b.id] = b.ip;
      (this.slotBackends[b.slot] ??= []).push(b.id);
    }
    this.freeSlots = st.freeSlots;
    this.nextSlot = st.nextSlot;
    this.nextBackend = st.nextBackend;
    this.freeIds = st.freeIds;
  }

  /**
   * What a change of a service port's endpoints means for its live connections, and the UDP
   * flush (rule 24). Both scan conntrack, so only for service ports with live connections.
   */
  private liveChange(slot: number, sp: ServicePortState, opts: UpdateOptions): SlotChange | null {
    const core = this.core;
    const e = core.exports;
    if (core.serviceLive(slot) === 0) return null;
    // Rule 24 keeps an entry whose reply source IP is a serving endpoint's IP (IPs, not ports, as
    // kube-proxy's conntrack cleanup compares): every backend of this slot with such an IP stays.
    const servingIPs = new Set<string>();
    for (const b of sp.endpoints) if (b.serving) servingIPs.add(b.ip);
    const change: SlotChange = { service: sp.key, kept: 0, orphaned: 0, wouldMove: 0, flushed: 0 };
    if (opts.audit) {
      const inSet = this.slots.get(slot)!.sets[SET_CLUSTER];
      this.writeIds(inSet);
      e.ctAuditSlot(slot, inSet.length);
      change.kept = e.auditResultKept();
      change.orphaned = e.auditResultOrphaned();
      change.wouldMove = e.auditResultWouldMove();
    }
    if (sp.protocol === 'UDP' && servingIPs.size > 0) {
      const serving = this.backendsOf(slot).filter((id) => servingIPs.has(this.backendIP[id]));
      this.writeIds(serving);
      change.flushed = e.ctFlush(slot, serving.length) >>> 0;
    }
    return change;
  }

  /** The programmed service port of a slot. */
  servicePort(slot: number): ServicePortState | undefined {
    return this.slots.get(slot)?.port;
  }

  /** Backend ids ever created for a slot. */
  backendsOf(slot: number): readonly number[] {
    return this.slotBackends[slot] ?? [];
  }

  private backendPortOf(id: number): number {
    const name = this.backendNames[id];
    return Number(name.slice(name.lastIndexOf(':') + 1));
  }

  /** [packets, bytes, connections] of a service port: the sums over its backends. */
  serviceCounters(slot: number): [number, number, number] {
    const sum: [number, number, number] = [0, 0, 0];
    for (const [p, b, c] of this.backendLoads(slot).values()) {
      sum[0] += p; sum[1] += b; sum[2] += c;
    }
    return sum;
  }

  /**
   * [packets, bytes, connections] per backend name of a service port: its backends' counters,
   * with those of backends whose ids were reused (reclaim) added under their names.
   */
  backendLoads(slot: number): Map<string, [number, number, number]> {
    const out = new Map<string, [number, number, number]>();
    for (const [name, c] of this.retired.get(slot) ?? []) out.set(name, [c[0], c[1], c[2]]);
    for (const id of this.backendsOf(slot)) {
      const [p, b, c] = this.core.backendCounters(id);
      const name = this.backendNames[id]!;
      const old = out.get(name);
      out.set(name, old ? [old[0] + p, old[1] + b, old[2] + c] : [p, b, c]);
    }
    return out;
  }

  /** Writes an address into the scratch address slot (IPv4 in its first 4 bytes, the rest zero). */
  private writeAddr(text: string): void {
    this.core.refresh();
    const sc = this.core.scratch;
    sc.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + ADDR_SLOT_BYTES);
    if (parseIPInto(text, sc, SCRATCH_ADDR) === 0) throw new TableError(`bad address ${text}`);
  }

  /** Gives backend `id` the permutation of its Katran real's hash. */
  private writeRealHash(id: number, hash: bigint): void {
    check(this.core.exports.cpBackendHash(id, Number(hash & 0xffffffffn), Number(hash >> 32n)), 'backend hash');
  }

  /** Gives backend `id` the permutation of its Cilium identity string. */
  private writeIdentity(id: number, identity: string): void {
    this.core.refresh();
    const bytes = new TextEncoder().encode(identity);
    if (bytes.length > IDENTITY_MAX_BYTES) throw new TableError(`backend identity too long: ${identity}`);
    this.core.scratch.set(bytes, SCRATCH_IDENTITY);
    check(this.core.exports.cpBackendIdentity(id, bytes.length), 'backend identity');
  }

  /** Writes backend ids at SCRATCH_IDS. */
  private writeIds(ids: ArrayLike<number>): void {
    this.core.refresh();
    this.core.scratch32.set(ids, SCRATCH_IDS);
  }

  /**
   * Programs the node's addresses and CIDRs (with the ServiceCIDR ranges of the last state
   * applied), committed as one update. Validates everything before touching the core. Source
   * ranges that depend on the node IPs follow at the next apply(); apply({ node }) does both at once.
   */
  setNode(node: NodeConfig): void {
    const staged = this.stageNode(node, this.stateCIDRs);
    if (staged) this.commit(this.stage([], new Set(), [], {}, staged), {});
  }

  /** The node's configuration as given (without the cluster's ServiceCIDRs). */
  private node: NodeConfig = {};
  /** ServiceCIDR ranges of the last state applied. */
  private stateCIDRs: string[] = [];
  /** The node lists programmed, and their key (stageNode() compares it). */
  private nodeLists: NodeLists = [];
  private nodeKey = JSON.stringify(nodeKey({}, []));
  private nodeIPs: readonly CIDR[] = [];

  /**
   * The node lists of `node` with the state's ServiceCIDR ranges joined to its own, validated;
   * null when they are what is programmed. Throws TableError on a bad address or CIDR.
   */
  private stageNode(node: NodeConfig, stateCIDRs: readonly string[]): StagedNode | null {
    const serviceCIDRs = [...stateCIDRs];
    const cidrs = [...(node.serviceCIDRs ?? [])];
    for (const c of serviceCIDRs) if (!cidrs.includes(c)) cidrs.push(c);
    const key = JSON.stringify(nodeKey(node, cidrs));
    const copy = { ...node };
    if (key === this.nodeKey) {
      this.node = copy;
      this.stateCIDRs = serviceCIDRs;
      return null;
    }
    return { node: copy, serviceCIDRs, lists: this.parseNode({ ...node, serviceCIDRs: cidrs }), key };
  }

  private parseNode(node: NodeConfig): NodeLists {
    const lists: [number, string[], boolean][] = [
      [LIST_NODE_IPS, node.nodeIPs ?? [], true],
      [LIST_POD_CIDRS, node.podCIDRs ?? [], false],
      [LIST_SERVICE_CIDRS, node.serviceCIDRs ?? [], false],
      [LIST_NODEPORT_CIDRS, node.nodePortCIDRs ?? [], false],
    ];
    return lists.map(([list, items, isIP]) => {
      if (items.length > NODE_LIST_MAX) throw new TableError(`at most ${NODE_LIST_MAX} entries per list`);
      return [list, items.map((t) => {
        const c = isIP ? ipAsCIDR(t) : parseCIDR(t.trim());
        if (!c) throw new TableError(`${isIP ? 'bad IP address' : 'bad CIDR'} ${JSON.stringify(t)}`);
        return c;
      })] as const;
    });
  }

  /** Writes the node lists (validated by parseNode, so no list overflows) and the masquerade settings. */
  private programNode(parsed: NodeLists, node: NodeConfig): void {
    const e = this.core.exports;
    e.cpNodeReset();
    for (const [list, cidrs] of parsed) {
      for (const c of cidrs) {
        this.writeBytes(c.bytes);
        if (e.cpListAdd(list, c.family, c.prefixLength) !== 0) throw new TableError(`node list ${list} is full`);
      }
    }
    const [lo, hi] = node.masqueradePorts ?? [32768, 60999];
    e.cpMasquerade(node.masqueradeAll ? 1 : 0, lo, hi);
  }

  private writeSourceRanges(slot: number, ranges: string): void {
    const entries = ranges && ranges !== 'none' ? ranges.split(',') : [];
    if (entries.length > SOURCE_RANGES_MAX) throw new TableError(`more than ${SOURCE_RANGES_MAX} loadBalancerSourceRanges`);
    this.core.refresh();
    const sc = this.core.scratch;
    sc.fill(0, SCRATCH_CIDRS, SCRATCH_CIDRS + Math.max(entries.length, 1) * CIDR_ENTRY_BYTES);
    entries.forEach((en, i) => {
      const [fam, len, hex] = en.split('|');
      const at = SCRATCH_CIDRS + i * CIDR_ENTRY_BYTES;
      sc[at + CIDR_FAMILY] = Number(fam);
      sc[at + CIDR_PREFIX] = Number(len);
      for (let b = 0; b < hex.length / 2; b++) sc[at + CIDR_ADDR + b] = parseInt(hex.slice(2 * b, 2 * b + 2), 16);
    });
    if (ranges === 'none') {
      // A filter that admits nothing: one entry of family 0, zeroed above.
      check(this.core.exports.cpServiceSourceRanges(slot, 1), 'source range list');
      return;
    }
    check(this.core.exports.cpServiceSourceRanges(slot, entries.length), 'source range list');
  }

  /** Writes an address's bytes into the scratch address slot. */
  private writeBytes(bytes: Uint8Array): void {
    this.core.refresh();
    this.core.scratch.fill(0, SCRATCH_ADDR, SCRATCH_ADDR + ADDR_SLOT_BYTES);
    this.core.scratch.set(bytes, SCRATCH_ADDR);
  }

}

/** What the node lists and masquerade settings are made of: equal keys program the same. */
function nodeKey(node: NodeConfig, serviceCIDRs: readonly string[]): unknown[] {
  return [node.nodeIPs ?? [], node.podCIDRs ?? [], serviceCIDRs, node.nodePortCIDRs ?? [], node.masqueradeAll ?? false,
    node.masqueradePorts ?? [32768, 60999]];
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Rule 21: the ranges of the port's family; a range holding a node IP also admits the LB IPs themselves. */
function sourceRanges(sp: ServicePortState, nodeIPs: readonly CIDR[]): string {
  if (sp.sourceRanges.length === 0) return '';
  const ranges = sp.sourceRanges.map((r) => parseCIDR(r.trim())).filter((c): c is CIDR => c !== null && c.family === sp.family);
  const holdsNode = ranges.some((r) => nodeIPs.some((n) => n.family === r.family && cidrContains(r, n.bytes)));
  const all = ranges.map((r) => `${r.family}|${r.prefixLength}|${toHex(r.bytes)}`);
  if (holdsNode) for (const ip of sp.loadBalancerIPs) {
    const c = ipAsCIDR(ip);
    if (c) all.push(`${c.family}|${c.prefixLength}|${toHex(c.bytes)}`);
  }
  // An empty filtered list (ranges of the other family only) still filters: nothing is admitted.
  return all.length ? all.join(',') : 'none';
}

function ipAsCIDR(text: string): CIDR | null {
  const a = parseIP(text.trim());
  return a ? { family: a.family, bytes: a.bytes, prefixLength: a.family === 4 ? 32 : 128 } : null;
}

type FrontendVisit = (family: number, proto: number, port: number, addr: string, kind: number) => void;

/** The frontends of a service port: ClusterIP, external IPs, LB IPs, NodePort, then its ClusterIP's marker. */
function eachFrontend(sp: ServicePortState, visit: FrontendVisit): void {
  const proto = PROTOCOL_NUMBERS[sp.protocol];
  if (sp.clusterIP) visit(sp.family, proto, sp.port, sp.clusterIP, FE_CLUSTER_IP);
  for (const addr of sp.externalIPs) visit(sp.family, proto, sp.port, addr, FE_EXTERNAL_IP);
  for (const addr of sp.loadBalancerIPs) visit(sp.family, proto, sp.port, addr, FE_LOAD_BALANCER);
  if (sp.nodePort) visit(sp.family, proto, sp.nodePort, sp.family === 4 ? '0.0.0.0' : '::', FE_NODE_PORT);
  // Its ClusterIP is allocated: unknown ports on it are rejected (rule 17).
  if (sp.clusterIP) visit(sp.family, 0, 0, sp.clusterIP, FE_CLUSTER_ADDR);
}

/** The markers of allocated ClusterIPs (rule 17). */
function eachMarker(markers: readonly string[], visit: FrontendVisit): void {
  for (const ip of markers) {
    const a = parseIP(ip);
    if (a) visit(a.family, 0, 0, ip, FE_CLUSTER_ADDR);
  }
}

/**
 * What programming `state` into empty tables takes, counted as ServiceTables programs it:
 * service ports (one slot per port and family), backends (one id per endpoint address and port
 * of a service port), frontends, and the endpoint sets and source-range lists that take
 * control-plane blocks. For sizing the capacities before a core is created.
 */
export function tableNeeds(state: ClusterState): TableNeeds {
  const units = new Set<string>();
  const frontends = new Set<string>();
  const count: FrontendVisit = (family, proto, port, addr) => frontends.add(`${family}|${proto}|${port}|${addr}`);
  const setSizes: number[] = [];
  const rangeLists: number[] = [];
  let backends = 0;
  for (const sp of state.servicePorts) {
    const unit = `${sp.key}|${sp.family}`;
    if (units.has(unit)) continue;
    units.add(unit);
    const needsLocal = sp.internalLocal || sp.externalLocal;
    const ids = new Set<string>();
    for (const set of needsLocal ? [sp.clusterSet, sp.localSet] : [sp.clusterSet]) {
      for (const b of set) ids.add(`${b.ip}|${b.port}`);
      if (set.length > 0) setSizes.push(set.length);
    }
    backends += ids.size;
    // At most the ranges and the LB IPs (rule 21), or the one entry that admits nothing.
    if (sp.loadBalancerIPs.length && sp.sourceRanges.length) rangeLists.push(sp.sourceRanges.length + sp.loadBalancerIPs.length);
    eachFrontend(sp, count);
  }
  eachMarker(state.allocatedClusterIPs, count);
  return { servicePorts: units.size, backends, frontends: frontends.size, setSizes, rangeLists };
}

/** The message when an update needs more of a capacity than the core has. */
/**
 * Why a set of n endpoints does not fit: a Maglev table of m slots holds at most m endpoints (and
 * any table at most MAGLEV_SET_MAX); names the --maglev-size that would hold it. Undefined when it fits.
 */
export function setTooLarge(key: string, n: number, m: number, compat: MaglevCompat): string | undefined {
  if (n <= Math.min(m, MAGLEV_SET_MAX)) return undefined;
  if (n > MAGLEV_SET_MAX) return `${key}: ${n} endpoints: a Maglev table holds at most ${MAGLEV_SET_MAX} endpoints`;
  const at = `${key}: ${n} endpoints exceed --maglev-size ${m} (a Maglev table holds at most one endpoint per slot)`;
  if (compat === 'cilium') return `${at}: give --maglev-size ${CILIUM_TABLE_SIZES.find((c) => c >= n) ?? MAGLEV_PRIME_MAX} (a Cilium table size)`;
  return `${at}: give --maglev-size a prime from ${smallestPrimeAtLeast(n)} to ${MAGLEV_PRIME_MAX}`;
}

function tooMany(name: CapacityName, have: number): string {
  const { flag, noun } = CAPACITY_OPTIONS[name];
  return `more than ${have} ${noun} (raise ${flag})`;
}

function addFrontend(map: Map<string, Frontend>, f: Frontend): void {
  const k = frontendKey(f);
  // One address:port:protocol belongs to one service port; the first one wins.
  if (!map.has(k)) map.set(k, f);
}

/** A backend's Cilium identity string (its address in canonical text). */
function identityOf(b: Backend, protocol: string): string {
  return ciliumBackendIdentity(canonicalIP(b.ip) ?? b.ip, b.port, protocol);
}

/** A set in the order of its identity strings (Go's byte-wise string order; the strings are ASCII). */
function byIdentity(set: Backend[], protocol: string): Backend[] {
  const keyed = set.map((b) => ({ b, k: identityOf(b, protocol) }));
  keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  return keyed.map((e) => e.b);
}

/** The hash Katran gives the real of a backend (its address only: Katran's reals have no port). */
function realHashOf(b: Backend): bigint {
  const ip = parseIP(b.ip);
  if (!ip) throw new TableError(`backend address is not an IP: ${b.ip}`);
  return katranRealHash(ip.bytes);
}

/** A set in the order of its reals' hashes (Katran's Vip sorts endpoints by hash, ascending). */
function byRealHash(set: Backend[]): Backend[] {
  const keyed = set.map((b) => ({ b, k: realHashOf(b) }));
  keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  return keyed.map((e) => e.b);
}

const EMPTY_IDS = new Uint32Array(0);

function sameIds(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function check(rc: number, what: string): void {
  if (rc === CP_NO_MEMORY) {
    throw new CapacityError(`WebAssembly memory is full (${what}): lower --maglev-size or another capacity`);
  }
  if (rc !== 0) throw new TableError(`the core refused a ${what}`);
}

/** The union of two ascending id lists, ascending. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.length === 0 || out[out.length - 1] !== x) out.push(x);
  }
  return out;
}
