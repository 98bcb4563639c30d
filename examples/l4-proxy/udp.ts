// A UDP Service frontend: every datagram goes through the core, both ways. A client's first
// datagram opens a conntrack entry (the backend is the core's choice), later ones follow it,
// and a backend's answer is sent back only when the core reverses it: after an endpoint change
// removes that backend, kube-proxy's conntrack cleanup has flushed the entry, the client's next
// datagram goes to a backend of the new set and the old backend's late answers are not delivered.

import * as dgram from 'node:dgram';
import type { PacketBatcher } from './batcher.js';
import { tupleOf, udpPacket, MAX_UDP_PAYLOAD, type Endpoint } from './packet.js';
import { countRefused, type ProxyStats } from './stats.js';

/** An upstream socket unused this long (seconds) is closed: the core's entry (120 s when replied) is gone by then. */
export const UDP_FLOW_IDLE_SECONDS = 180;
const SWEEP_EVERY_MS = 30_000;

interface UdpFlow {
  client: Endpoint;
  /** The client as the core translated it (its source NAT): where the backend's answers are addressed. */
  natSource: Endpoint;
  upstream: dgram.Socket;
  lastUsed: number;
}

export class UdpFrontend {
  /** Flows by client "ip:port". */
  private readonly flows = new Map<string, UdpFlow>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly socket: dgram.Socket, private readonly vip: Endpoint, private readonly batcher: PacketBatcher,
              private readonly stats: ProxyStats, private readonly clock: () => number) {
    socket.on('message', (msg, rinfo) => this.fromClient(msg, { ip: rinfo.address, port: rinfo.port }));
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();
  }

  private fromClient(msg: Buffer, client: Endpoint): void {
    if (msg.length > MAX_UDP_PAYLOAD) return;
    this.batcher.send(udpPacket({ src: client, dst: this.vip }, msg.length), (r) => {
      if (r.verdict !== 'translated') {
        countRefused(this.stats.udp.refused, r);
        return;
      }
      const t = tupleOf(r.data!);
      const flow = this.flowOf(client, t.src);
      flow.lastUsed = this.clock();
      this.stats.udp.forwarded++;
      flow.upstream.send(msg, t.dst.port, t.dst.ip);
    });
  }

  private flowOf(client: Endpoint, natSource: Endpoint): UdpFlow {
    const key = `${client.ip}:${client.port}`;
    let flow = this.flows.get(key);
    if (flow) {
      flow.natSource = natSource;
      return flow;
    }
    const upstream = dgram.createSocket('udp4');
    flow = { client, natSource, upstream, lastUsed: this.clock() };
    const f = flow;
    upstream.on('message', (msg, rinfo) => this.fromBackend(f, msg, { ip: rinfo.address, port: rinfo.port }));
    upstream.on('error', () => this.drop(key, f));
    this.flows.set(key, flow);
    this.stats.udp.flows++;
    return flow;
  }

  private fromBackend(flow: UdpFlow, msg: Buffer, backend: Endpoint): void {
    this.batcher.send(udpPacket({ src: backend, dst: flow.natSource }, msg.length), (r) => {
      const t = r.data ? tupleOf(r.data) : null;
      if (r.verdict !== 'reversed' || t!.dst.ip !== flow.client.ip || t!.dst.port !== flow.client.port) {
        this.stats.udp.repliesDropped++;
        return;
      }
      this.stats.udp.replied++;
      flow.lastUsed = this.clock();
      this.socket.send(msg, flow.client.port, flow.client.ip);
    });
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, f] of this.flows) if (now - f.lastUsed > UDP_FLOW_IDLE_SECONDS) this.drop(key, f);
  }

  private drop(key: string, f: UdpFlow): void {
    if (this.flows.get(key) !== f) return;
    this.flows.delete(key);
    this.stats.udp.flows--;
    f.upstream.close();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [key, f] of this.flows) this.drop(key, f);
    this.socket.close();
  }
}
