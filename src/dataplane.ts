// The embeddable dataplane: one core, its Service tables, and two ways to
// push packets — a convenient one (an array of packets in, results out)
// and the zero-copy one the replay command uses (fill the batch views,
// call run(n), read the descriptors).

import { Core, type CoreOptions } from './core/core.js';
import { ServiceTables, type NodeConfig, type ApplyStats, type UpdateOptions } from './core/tables.js';
import {
  BATCH_MAX_PACKETS, BATCH_MAX_BYTES, DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC, D_TS_NSEC,
  D_VERDICT, D_REASON, D_SERVICE, D_BACKEND, D_EXTRA_OFF, D_EXTRA_LEN, LINK_EN10MB, VERDICT_NAMES, reasonName,
  type VerdictName,
} from './core/abi.js';
import {
  ClusterView, emptyClusterObjects, ManifestError,
  type ClusterObjects, type NodeContext, type ClusterState, type WatchEvent, type ClusterEvent,
} from './k8s/index.js';

export interface DataplaneOptions extends CoreOptions, NodeConfig, NodeContext {}

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

export class Dataplane {
  readonly core: Core;
  readonly tables: ServiceTables;
  private readonly node: NodeContext;

  constructor(opts: DataplaneOptions = {}) {
    this.core = new Core(opts);
    this.tables = new ServiceTables(this.core);
    this.node = { nodeName: opts.nodeName, zone: opts.zone };
    this.tables.setNode(opts);
  }

  private view: ClusterView | null = null;

  /** Programs the Services of `objects` (kube-proxy's rules for this node), atomically. */
  load(objects: ClusterObjects): ApplyStats {
    this.view = new ClusterView(objects, this.node);
    return this.apply(this.view.state());
  }

  /**
   * Applies one watch event to the loaded objects, reprogramming only the
   * Services it touches (a full recompute for Node and ServiceCIDR changes).
   */
  event(ev: WatchEvent | ClusterEvent, opts: UpdateOptions = {}): ApplyStats {
    if (!this.view) this.view = new ClusterView(emptyClusterObjects(), this.node);
    const change = this.view.apply(ev);
    if (change.problems.some((p) => p.severity !== 'warning')) throw new ManifestError(change.problems);
    if (change.full) return this.tables.apply(this.view.state(), opts);
    return this.tables.applyServices(change.ports, change.services, opts);
  }

  /** Programs an already computed state, atomically: on error nothing changes. */
  apply(state: ClusterState): ApplyStats {
    return this.tables.apply(state);
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
        const d = n * DESC_WORDS;
        c.input.set(p.data, off);
        const t = p.time ?? 0;
        const sec = Math.floor(t);
        c.desc[d + D_OFFSET] = off;
        c.desc[d + D_CAPLEN] = p.data.length;
        c.desc[d + D_WIRELEN] = p.wireLength ?? p.data.length;
        c.desc[d + D_LINKTYPE] = p.linkType ?? LINK_EN10MB;
        c.desc[d + D_TS_SEC] = sec;
        c.desc[d + D_TS_NSEC] = Math.min(999_999_999, Math.round((t - sec) * 1e9));
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
   * into `core.desc` (see assembly/abi/layout.ts), then call run(n): one
   * call into the core. Packets are rewritten in place.
   */
  run(n: number): void {
    this.core.process(n);
  }

  /** Reads descriptor i after run(). */
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
