// A TCP and UDP load balancer whose backend choice and connection tracking are svcplane's core:
// one Dataplane built from the cluster's Services and EndpointSlices, shown a synthetic packet
// for every event of every connection (packet.ts), batched per turn of the event loop
// (batcher.ts). Watch events change the Dataplane between batches.

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { once } from 'node:events';
import { Dataplane, type DataplaneOptions, type EventResult, type WatchEvent, type ClusterEvent } from '../../src/node.js';
import { PacketBatcher } from './batcher.js';
import type { ListenSpec } from './listen.js';
import type { Endpoint } from './packet.js';
import { emptyStats, type ProxyStats } from './stats.js';
import { TcpConnection } from './tcp.js';
import { UdpFrontend } from './udp.js';

export interface ProxyOptions extends DataplaneOptions {
  listen: ListenSpec[];
}

/** A listener once bound: its spec and the address it got. */
export interface Bound { spec: ListenSpec; address: Endpoint }

export class L4Proxy {
  readonly dataplane: Dataplane;
  readonly batcher: PacketBatcher;
  readonly stats: ProxyStats = emptyStats();
  private readonly started = performance.now();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly udp: UdpFrontend[] = [];

  /** Builds the Dataplane (throws ManifestError, CapacityError, TableError as it does); start() listens. */
  constructor(private readonly opts: ProxyOptions) {
    this.dataplane = new Dataplane(opts);
    this.batcher = new PacketBatcher(this.dataplane, () => this.now());
  }

  /** Seconds since the proxy started: the clock of the core's timeouts. */
  now(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Binds every listener; rejects (with the system's error) if one cannot be bound, closing the others. */
  async start(): Promise<Bound[]> {
    const bound: Bound[] = [];
    try {
      for (const spec of this.opts.listen) bound.push({ spec, address: await this.bind(spec) });
    } catch (e) {
      await this.close();
      throw e;
    }
    return bound;
  }

  private async bind(spec: ListenSpec): Promise<Endpoint> {
    if (spec.protocol === 'UDP') {
      const s = dgram.createSocket('udp4');
      s.bind(spec.listen.port, spec.listen.ip);
      await Promise.race([once(s, 'listening'), once(s, 'error').then(([e]) => { throw e; })]);
      this.udp.push(new UdpFrontend(s, spec.frontend, this.batcher, this.stats, () => this.now()));
      const a = s.address();
      return { ip: a.address, port: a.port };
    }
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      if (client.remoteAddress === undefined) return void client.destroy();
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      new TcpConnection(client, spec.frontend, this.batcher, this.stats).start();
    });
    server.listen({ host: spec.listen.ip, port: spec.listen.port, backlog: 4096 });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => { throw e; })]);
    this.servers.push(server);
    const a = server.address() as net.AddressInfo;
    return { ip: a.address, port: a.port };
  }

  /**
   * Applies one watch event between two batches (the packets of this turn first, with the
   * state they arrived in). Problems are returned, as Dataplane.update() returns them.
   */
  update(ev: WatchEvent | ClusterEvent): EventResult {
    this.batcher.flush();
    return this.dataplane.update(ev);
  }

  /** Stops listening and closes every connection and flow. */
  async close(): Promise<void> {
    for (const u of this.udp.splice(0)) u.close();
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  }
}
