// The embeddable dataplane, and the one way the host builds one (replay, tests and benchmarks
// too): cluster objects or a computed state, the node's configuration and capacities (sized
// from the cluster when not given) → one core, its Service tables and the view of the cluster
// that watch events edit. Two ways to push packets: a convenient one (an array of packets in,
// results out) and the zero-copy one replay uses (fill the batch views, call run(n), read the
// descriptors).

import { Core, instantiateCore, type CoreOptions, type WasmInput } from './core/core.js';
import { ServiceTables, tableNeeds, type NodeConfig, type ApplyStats, type UpdateOptions } from './core/tables.js';
import { sizeCapacities } from './core/capacity.js';
import { readCounters, type Counters } from './core/counters.js';
import {
  BATCH_MAX_PACKETS, BATCH_MAX_BYTES, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC,
  D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, LINK_EN10MB, VERDICT_NAMES, REASON_NAMES, reasonName,
  type VerdictName,
} from './core/abi.js';
import {
  ClusterView, emptyClusterObjects, cloneClusterObjects, ManifestError,
  type ClusterObjects, type NodeContext, type ServiceContext, type ClusterState, type WatchEvent, type ClusterEvent, type Problem,
} from './k8s/index.js';

export interface DataplaneOptions extends CoreOptions, NodeConfig, NodeContext {
  /** The cluster's objects: kube-proxy's rules for `nodeName` give the Services programmed; event() edits them. */
  objects?: ClusterObjects;
  /** Or a desired state already computed (tests, benchmarks), programmed as it is; event() then starts from no objects. */
  state?: ClusterState;
  /**
   * Whether watch events will follow: service ports, backends and frontends not given are sized
   * with room for twice what the cluster needs (as `svcplane replay --updates` sizes them). Default true.
   */
  roomForUpdates?: boolean;
}

/** What one watch event did: its problems (returned, not thrown) and what changed in the tables (null: nothing). */
export interface EventResult { problems: Problem[]; stats: ApplyStats | null }

/** The node's configuration among a Dataplane's options. */
export function nodeConfigOf(o: NodeConfig): NodeConfig {
  const { nodeIPs, podCIDRs, serviceCIDRs, nodePortCIDRs, masqueradeAll, masqueradePorts } = o;
  return { nodeIPs, podCIDRs, serviceCIDRs, nodePortCIDRs, masqueradeAll, masqueradePorts };
}

/** One packet to process. */
export interface PacketIn {
  /** The frame, starting at the link-layer header of `linkType`. */
  data: Uint8Array;
  /** LINKTYPE_* of the frame; default Ethernet (1). */
  linkType?: number;
  /** Capture time in seconds (drives conntrack and affinity timeouts); default 0. */
  time?: number;
  /** Original length when `data` was cut by a snaplen; default data.length. */
  wireLength?: number;
}

/** What the dataplane did with one packet. */
export interface PacketOut {
  verdict: VerdictName;
  /** Drop or reject reason name. */
  reason?: string;
  /** "namespace/name:port" of the Service involved. */
  service?: string;
  /** "ip:port" of the backend. */
  backend?: string;
  /** The packet after NAT (a copy; absent when dropped or rejected). */
  data?: Uint8Array;
  /** The ICMP/ICMPv6 reject sent back to the client, for rejected packets. */
  reject?: Uint8Array;
}

/** Set while create() runs the constructor: it programs the tables itself, in slices. */
let programLater = false;

export class Dataplane {
  /** Verdict names, indexed by VERDICT_* (PacketOut.verdict). */
  static readonly verdictNames = VERDICT_NAMES;
  /** Drop and reject reason names, indexed by REASON_* (PacketOut.reason, counters().drops). */
  static readonly reasonNames = REASON_NAMES;

  readonly core: Core;
  readonly tables: ServiceTables;
  private readonly node: NodeContext;
  /** The objects event() edits; null while the tables hold a state given as such. */
  private view: ClusterView | null;
  /** The state last programmed as given (constructor, apply()); null once objects (load(), events) decide. */
  private given: ClusterState | null;

  /**
   * Creates the core with capacities for the cluster and programs it, node configuration
   * included, in one commit. Throws CapacityError (naming the option) before anything is
   * allocated when a capacity is invalid, too small for the cluster or too large for memory;
   * TableError on a bad node address or CIDR.
   */
  constructor(opts: DataplaneOptions = {}, instance?: WebAssembly.Instance) {
    this.node = { nodeName: opts.nodeName, zone: opts.zone, preferSameNodeHints: opts.preferSameNodeHints };
    // The view applies events to maps of its own: the caller's objects stay as given.
    this.view = opts.state ? null : new ClusterView(cloneClusterObjects(opts.objects ?? emptyClusterObjects()), this.node);
    this.given = opts.state ?? null;
    const first = opts.state ?? this.view!.state();
    this.core = new Core({ ...opts, ...sizeCapacities(opts, tableNeeds(first), opts.roomForUpdates ?? true) }, instance);
    this.tables = new ServiceTables(this.core);
    if (programLater) this.first = first;
    else this.tables.apply(first, { node: nodeConfigOf(opts) });
  }

  /** The state create() programs once the constructor returns. */
  private first?: ClusterState;

  /**
   * The same where the core must be instantiated asynchronously (browsers): `wasm` is the core's
   * bytes, a WebAssembly.Module or a fetch Response (`Dataplane.create({ wasm: fetch(url), ... })`).
   * The tables are built a slice at a time, the event loop running between slices; once `signal`
   * is aborted, create() stops there with `signal.reason`. The constructor is the synchronous
   * form (`instance`: one made by instantiateCore()).
   */
  static async create(opts: Omit<DataplaneOptions, 'wasm'> & { wasm?: WasmInput; signal?: AbortSignal } = {}): Promise<Dataplane> {
    const instance = await instantiateCore(opts.wasm, opts.debug);
    programLater = true;
    let dp: Dataplane;
    try {
      dp = new Dataplane(opts as DataplaneOptions, instance);
    } finally {
      programLater = false;
    }
    await dp.tables.applyAsync(dp.first!, { node: nodeConfigOf(opts) }, opts.signal);
    dp.first = undefined;
    return dp;
  }

  /** Programs the Services of `objects` (kube-proxy's rules for this node), atomically, in the capacities the core has. */
  load(objects: ClusterObjects): ApplyStats {
    this.view = new ClusterView(cloneClusterObjects(objects), this.node);
    this.given = null;
    return this.tables.apply(this.view.state());
  }

  /**
   * Applies one watch event to the objects, reprogramming only the Services it touches (a full
   * recompute for Node and ServiceCIDR changes: the node lists are committed with the rest).
   * Throws ManifestError when the event has errors (warnings are ignored).
   */
  event(ev: WatchEvent | ClusterEvent, opts: UpdateOptions = {}): ApplyStats {
    const r = this.applyEvent(ev, opts, true);
    return r.stats ?? { servicePorts: 0, changedSets: 0, frontendsAdded: 0, frontendsRemoved: 0, changes: [], slots: [], reclaimed: 0 };
  }

  /** The same, with the event's problems returned rather than thrown (replay's --updates go on past them). */
  update(ev: WatchEvent | ClusterEvent, opts: UpdateOptions = {}): EventResult {
    return this.applyEvent(ev, opts, false);
  }

  private applyEvent(ev: WatchEvent | ClusterEvent, opts: UpdateOptions, strict: boolean): EventResult {
    this.view ??= new ClusterView(emptyClusterObjects(), this.node);
    const view = this.view;
    const restore = view.restorer(ev);
    const change = view.apply(ev);
    try {
      if (strict && change.problems.some((p) => p.severity !== 'warning')) throw new ManifestError(change.problems);
      if (!change.changed) return { problems: change.problems, stats: null };
      const stats = change.full
        ? this.tables.apply(view.state(), opts)
        : this.tables.applyServices(change.ports, change.services, opts);
      this.given = null;
      return { problems: change.problems, stats };
    } catch (err) {
      // The tables did not take it: the view goes back to what they hold.
      if (change.changed) restore();
      throw err;
    }
  }

  /**
   * A copy of the view of the cluster that events edit: what they would program, computed
   * without programming (replay --workers plans its updates with one).
   */
  forkView(): ClusterView {
    return new ClusterView(cloneClusterObjects(this.view?.objects ?? emptyClusterObjects()), this.node);
  }

  /** Programs an already computed state, atomically: on error nothing changes. */
  apply(state: ClusterState, opts: UpdateOptions = {}): ApplyStats {
    const stats = this.tables.apply(state, opts);
    this.given = state;
    return stats;
  }

  /** The desired state the tables hold: a core programmed with it (and the same options) holds the same. */
  state(): ClusterState {
    return this.given ?? this.view!.state();
  }

  /**
   * Replaces the node's configuration (addresses, pod, service and NodePort CIDRs, masquerade),
   * committed with the Services that depend on it (loadBalancerSourceRanges holding a node IP).
   */
  setNode(node: NodeConfig): ApplyStats | null {
    if (!this.view) {
      this.tables.setNode(nodeConfigOf(node));
      return null;
    }
    return this.tables.apply(this.view.state(), { node: nodeConfigOf(node) });
  }

  /** The node as kube-proxy's rules see it now (name, zone): what the endpoint sets were computed for. */
  nodeContext(): ServiceContext {
    return this.view?.context() ?? { nodeName: this.node.nodeName ?? '', zone: this.node.zone ?? '', nodeHints: this.node.preferSameNodeHints !== false };
  }

  /** The counters now: packets per verdict, drops per reason, per Service and backend, conntrack, fast paths. */
  counters(): Counters {
    return readCounters(this.core, this.tables);
  }

  /** Processes packets in order (in batches of up to BATCH_MAX_PACKETS). */
  process(packets: PacketIn[]): PacketOut[] {
    const out: PacketOut[] = [];
    for (let start = 0; start < packets.length;) {
      const c = this.core;
      c.refresh();
      let off = 0, n = 0;
      while (start + n < packets.length && n < BATCH_MAX_PACKETS) {
        const p = packets[start + n];
        if (p.data.length > BATCH_MAX_BYTES) throw new RangeError(`packet ${start + n} is larger than ${BATCH_MAX_BYTES} bytes`);
        if (off + p.data.length > BATCH_MAX_BYTES) break;
        c.input.set(p.data, off);
        writeDescriptor(c.desc, n, off, p.data.length, p);
        off += (p.data.length + 7) & ~7;
        n++;
      }
      this.run(n);
      for (let i = 0; i < n; i++) out.push(this.result(i, packets[start + i].data.length));
      start += n;
    }
    return out;
  }

  /**
   * Zero-copy use: write n packets into `core.input` and their descriptors
   * into `core.desc` (writeDescriptor(), or a CaptureBatch over the two),
   * then call run(n): one call into the core. Packets are rewritten in place.
   */
  run(n: number): void {
    this.core.process(n);
  }

  /** The same over descriptors first..first+n-1 (a batch split where an update falls due). */
  runRange(first: number, n: number): void {
    this.core.processRange(first, n);
  }

  /** Reads descriptor i after run(); `length` is the packet's captured length. */
  result(i: number, length: number): PacketOut {
    const c = this.core;
    const d = i * DESC_WORDS;
    const v = c.desc[d + D_VERDICT];
    const o: PacketOut = { verdict: VERDICT_NAMES[v] };
    if (c.desc[d + D_REASON]) o.reason = reasonName(c.desc[d + D_REASON]);
    if (c.desc[d + D_SERVICE]) o.service = this.tables.slotNames[c.desc[d + D_SERVICE] - 1];
    if (c.desc[d + D_BACKEND]) o.backend = this.tables.backendNames[c.desc[d + D_BACKEND] - 1];
    if (o.verdict !== 'dropped' && o.verdict !== 'rejected') {
      o.data = c.input.slice(c.desc[d + D_OFFSET], c.desc[d + D_OFFSET] + length);
    }
    if (c.desc[d + D_EXTRA_LEN]) o.reject = c.extra.slice(c.desc[d + D_EXTRA_OFF], c.desc[d + D_EXTRA_OFF] + c.desc[d + D_EXTRA_LEN]);
    return o;
  }
}

/**
 * Writes the IN words of descriptor i (assembly/abi/layout.ts): a packet of `caplen` bytes at
 * `offset` in the input region, of link type, capture time and wire length as `p` says (the
 * defaults of PacketIn).
 */
export function writeDescriptor(desc: Uint32Array, i: number, offset: number, caplen: number,
                                p: Omit<PacketIn, 'data'> = {}): void {
  const d = i * DESC_WORDS;
  const t = p.time ?? 0;
  const sec = Math.floor(t);
  desc[d + D_OFFSET] = offset;
  desc[d + D_CAPLEN] = caplen;
  desc[d + D_WIRELEN] = p.wireLength ?? caplen;
  desc[d + D_LINKTYPE] = p.linkType ?? LINK_EN10MB;
  desc[d + D_TS_SEC] = sec;
  desc[d + D_TS_NSEC] = Math.min(999_999_999, Math.round((t - sec) * 1e9));
}
