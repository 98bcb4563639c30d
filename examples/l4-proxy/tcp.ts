// One proxied TCP connection. The client's connection is accepted by the proxy; the core sees
// the connection as the kernel would have seen it on the wire (client → VIP): the SYN decides
// the backend, the handshake, every segment and the FINs or RST go through it, and each answer
// must still be the socket pair's (translated to that backend one way, reversed to the client
// the other). When it is not (the conntrack entry was lost and the flow would now go elsewhere),
// the connection is reset, as the backend the packets would reach would reset it.

import * as net from 'node:net';
import type { PacketOut } from '../../src/node.js';
import type { PacketBatcher } from './batcher.js';
import { ACK, FIN, MAX_TCP_PAYLOAD, PSH, RST, SYN, tcpPacket, tupleOf, type Endpoint, type Tuple } from './packet.js';
import { countRefused, type ProxyStats } from './stats.js';

/** The address Node reports for an IPv4 client of a dual-stack socket, without its ::ffff: prefix. */
export function plainIPv4(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

const sameEndpoint = (a: Endpoint, b: Endpoint) => a.ip === b.ip && a.port === b.port;

/** A random initial sequence number (the core tracks flags, not sequence windows; any value would do). */
const isn = () => (Math.random() * 0x1_0000_0000) >>> 0;

export class TcpConnection {
  /** The connection as the client sent it: client → VIP. */
  private readonly fwd: Tuple;
  /** Replies as the backend sends them: backend → the client as the core translated it (its source NAT). */
  private rev: Tuple | null = null;
  private upstream: net.Socket | null = null;
  private clientSeq = isn();
  private backendSeq = isn();
  private clientEnded = false;
  private backendEnded = false;
  private over = false;
  private answered = false;
  private counted = false;

  constructor(private readonly client: net.Socket, vip: Endpoint, private readonly batcher: PacketBatcher,
              private readonly stats: ProxyStats) {
    this.fwd = { src: { ip: plainIPv4(client.remoteAddress)!, port: client.remotePort! }, dst: vip };
  }

  start(): void {
    const c = this.client;
    this.stats.tcp.accepted++;
    c.pause();
    c.on('error', () => this.reset('client'));
    c.on('close', () => this.socketClosed('client'));
    this.batcher.send(tcpPacket(this.fwd, SYN, this.clientSeq++, 0), (r) => this.opened(r));
  }

  private opened(r: PacketOut): void {
    this.answered = true;
    if (this.over) return this.closed();
    if (r.verdict !== 'translated') {
      countRefused(this.stats.tcp.refused, r);
      this.over = true;
      this.client.resetAndDestroy();
      return;
    }
    const t = tupleOf(r.data!);
    this.rev = { src: t.dst, dst: t.src };
    const up = net.connect({ host: t.dst.ip, port: t.dst.port, allowHalfOpen: true });
    this.upstream = up;
    up.on('error', () => this.reset('backend'));
    up.on('close', () => this.socketClosed('backend'));
    up.once('connect', () => this.connected(up));
  }

  private connected(up: net.Socket): void {
    if (this.over) return;
    this.stats.tcp.connected++;
    const rev = this.rev!;
    this.batcher.send(tcpPacket(rev, SYN | ACK, this.backendSeq++, this.clientSeq), (r) => this.check(r, 'reply'));
    this.batcher.send(tcpPacket(this.fwd, ACK, this.clientSeq, this.backendSeq), (r) => this.check(r, 'forward'));
    this.relay(this.client, up, 'forward');
    this.relay(up, this.client, 'reply');
    this.client.resume();
  }

  /** Data and the end of one direction: each segment through the core, written on when its answer holds. */
  private relay(from: net.Socket, to: net.Socket, way: 'forward' | 'reply'): void {
    const tuple = way === 'forward' ? this.fwd : this.rev!;
    from.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_TCP_PAYLOAD) {
        const piece = chunk.subarray(at, at + MAX_TCP_PAYLOAD);
        const p = way === 'forward'
          ? tcpPacket(tuple, ACK | PSH, this.advance('forward', piece.length), this.backendSeq, piece.length)
          : tcpPacket(tuple, ACK | PSH, this.advance('reply', piece.length), this.clientSeq, piece.length);
        this.batcher.send(p, (r) => {
          if (!this.check(r, way)) return;
          if (!to.write(piece) && !from.isPaused()) {
            from.pause();
            to.once('drain', () => from.resume());
          }
        });
      }
    });
    from.on('end', () => {
      if (way === 'forward') this.clientEnded = true; else this.backendEnded = true;
      const [seq, ack] = way === 'forward' ? [this.advance('forward', 1), this.backendSeq] : [this.advance('reply', 1), this.clientSeq];
      this.batcher.send(tcpPacket(tuple, FIN | ACK, seq, ack), (r) => {
        if (!this.check(r, way)) return;
        to.end();
        // Both FINs seen: the last ACK (from the client, who closed first or second) ends the handshake.
        if (this.clientEnded && this.backendEnded) {
          this.batcher.send(tcpPacket(this.fwd, ACK, this.clientSeq, this.backendSeq), () => undefined);
        }
      });
    });
  }

  /** Returns the sequence number of the next `n` bytes of one direction, and moves past them. */
  private advance(way: 'forward' | 'reply', n: number): number {
    if (way === 'forward') {
      const s = this.clientSeq;
      this.clientSeq = (s + n) >>> 0;
      return s;
    }
    const s = this.backendSeq;
    this.backendSeq = (s + n) >>> 0;
    return s;
  }

  /** True when the core's answer is still this socket pair's; otherwise resets the connection. */
  private check(r: PacketOut, way: 'forward' | 'reply'): boolean {
    if (this.over) return false;
    const t = r.data ? tupleOf(r.data) : null;
    const ok = way === 'forward'
      ? r.verdict === 'translated' && sameEndpoint(t!.dst, this.rev!.src)
      : r.verdict === 'reversed' && sameEndpoint(t!.dst, this.fwd.src) && sameEndpoint(t!.src, this.fwd.dst);
    if (!ok) {
      this.stats.tcp.broken++;
      this.abort();
    }
    return ok;
  }

  /** A socket failed or was reset: the core sees an RST from that side, and the other side is reset. */
  private reset(who: 'client' | 'backend'): void {
    if (this.over) return;
    if (who === 'client') {
      this.batcher.send(tcpPacket(this.fwd, RST, this.clientSeq, 0), () => undefined);
    } else {
      this.stats.tcp.backendErrors++;
      this.batcher.send(tcpPacket(this.rev!, RST | ACK, this.backendSeq, this.clientSeq), () => undefined);
    }
    this.abort();
  }

  private abort(): void {
    this.over = true;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream && !this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  /** A socket closed before both FINs went through (destroyed): the other side is reset too. */
  private socketClosed(who: 'client' | 'backend'): void {
    if (!this.over && !(this.clientEnded && this.backendEnded)) this.reset(who);
    this.closed();
  }

  /** Counts the connection closed once both its sockets are (the client's alone when no backend was chosen). */
  private closed(): void {
    if (this.counted || !this.answered || !this.client.destroyed) return;
    if (this.upstream ? !this.upstream.destroyed : !this.over) return;
    this.counted = true;
    this.stats.tcp.closed++;
  }
}
