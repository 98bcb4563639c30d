// Connection states and the transitions packets cause. One state machine
// per protocol family of behaviour; the result is the new state, and the
// timeout follows from it.

import {
  TCP_SYN_SENT_S, TCP_SYN_RECV_S, TCP_ESTABLISHED_S, TCP_FIN_WAIT_S, TCP_CLOSE_WAIT_S, TCP_LAST_ACK_S,
  TCP_TIME_WAIT_S, TCP_CLOSE_S, UDP_UNREPLIED_S, UDP_REPLIED_S, ICMP_S, OTHER_S, SCTP_COOKIE_S,
  SCTP_ESTABLISHED_S, SCTP_CLOSED_S,
} from './timeouts';
import { PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_ICMP, PROTO_ICMPV6, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK,
  SCTP_CHUNK_ABORT, SCTP_CHUNK_SHUTDOWN_COMPLETE } from '../wire/l4';

export const ST_NONE: u32 = 0;
// TCP (RFC 9293 names, as netfilter tracks them)
export const ST_SYN_SENT: u32 = 1;
export const ST_SYN_RECV: u32 = 2;
export const ST_ESTABLISHED: u32 = 3;
export const ST_FIN_WAIT: u32 = 4;
export const ST_CLOSE_WAIT: u32 = 5;
export const ST_LAST_ACK: u32 = 6;
export const ST_TIME_WAIT: u32 = 7;
export const ST_CLOSE: u32 = 8;
// Datagram protocols
export const ST_UNREPLIED: u32 = 9;
export const ST_REPLIED: u32 = 10;
// SCTP
export const ST_SCTP_COOKIE: u32 = 11;
export const ST_SCTP_ESTABLISHED: u32 = 12;
export const ST_SCTP_CLOSED: u32 = 13;

/** Direction of a packet relative to the connection. */
export const DIR_ORIG: u32 = 0;
export const DIR_REPLY: u32 = 1;

/** Record flags: which side sent a FIN. */
export const CTF_FIN_ORIG: u32 = 1;
export const CTF_FIN_REPLY: u32 = 2;

/** State of a connection created by its first packet. */
export function initialState(proto: u32, tcpFlags: u32): u32 {
  if (proto == PROTO_TCP) {
    if (tcpFlags & TCP_RST) return ST_CLOSE;
    // A capture may start mid-connection: like netfilter's loose tracking, pick it up.
    return (tcpFlags & TCP_SYN) && !(tcpFlags & TCP_ACK) ? ST_SYN_SENT : ST_ESTABLISHED;
  }
  if (proto == PROTO_SCTP) return ST_SCTP_COOKIE;
  return ST_UNREPLIED;
}

/** Whether a new SYN from the original side starts a new connection over this entry. */
// @ts-ignore: decorator
@inline export function reopens(state: u32, tcpFlags: u32): bool {
  return (tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN && (state == ST_TIME_WAIT || state == ST_CLOSE);
}

/** A record's state and flags as one word: the state in the low byte, the flags in the next (CT_STATE, CT_FLAGS). */
// @ts-ignore: decorator
@inline export function stateOf(word: u32): u32 { return word & 0xff; }
// @ts-ignore: decorator
@inline function withFlags(state: u32, flags: u32): u32 { return state | (flags << 8); }

/**
 * The state and flags after a packet in direction `dir`, from the record's
 * `word` (stateOf): the one transition rule of every path. A result equal
 * to `word` means the packet leaves the connection as it was (a data or
 * ACK segment of an established connection is the first case tested).
 */
// @ts-ignore: decorator
@inline export function nextState(proto: u32, word: u32, dir: u32, tcpFlags: u32, chunkType: u32): u32 {
  let state = word & 0xff, flags = word >> 8;
  if (proto == PROTO_TCP) {
    if (state == ST_ESTABLISHED && (tcpFlags & (TCP_RST | TCP_FIN)) == 0) return word;
    if (tcpFlags & TCP_RST) return withFlags(ST_CLOSE, flags);
    if (tcpFlags & TCP_FIN) {
      let both = flags | (dir == DIR_ORIG ? CTF_FIN_ORIG : CTF_FIN_REPLY);
      return withFlags((both & (CTF_FIN_ORIG | CTF_FIN_REPLY)) == (CTF_FIN_ORIG | CTF_FIN_REPLY) ? ST_LAST_ACK : ST_FIN_WAIT, both);
    }
    if (state == ST_SYN_SENT) {
      return dir == DIR_REPLY && (tcpFlags & TCP_SYN) && (tcpFlags & TCP_ACK) ? withFlags(ST_SYN_RECV, flags) : word;
    }
    if (state == ST_SYN_RECV) return dir == DIR_ORIG && (tcpFlags & TCP_ACK) ? withFlags(ST_ESTABLISHED, flags) : word;
    if (state == ST_FIN_WAIT && (tcpFlags & TCP_ACK)) {
      // The other side acknowledged the FIN but has not closed yet.
      let finFrom = (flags & CTF_FIN_ORIG) ? DIR_ORIG : DIR_REPLY;
      return dir != finFrom ? withFlags(ST_CLOSE_WAIT, flags) : word;
    }
    if (state == ST_LAST_ACK && (tcpFlags & TCP_ACK)) return withFlags(ST_TIME_WAIT, flags);
    return word;
  }
  if (proto == PROTO_SCTP) {
    if (chunkType == SCTP_CHUNK_ABORT || chunkType == SCTP_CHUNK_SHUTDOWN_COMPLETE) return withFlags(ST_SCTP_CLOSED, flags);
    if (state == ST_SCTP_COOKIE && dir == DIR_REPLY) return withFlags(ST_SCTP_ESTABLISHED, flags);
    return word;
  }
  if (dir == DIR_REPLY) return withFlags(ST_REPLIED, flags);
  return word;
}

/** Timeout in seconds for a connection of `proto` in `state`. */
export function timeoutSeconds(proto: u32, state: u32): u64 {
  switch (state) {
    case ST_SYN_SENT: return TCP_SYN_SENT_S;
    case ST_SYN_RECV: return TCP_SYN_RECV_S;
    case ST_ESTABLISHED: return TCP_ESTABLISHED_S;
    case ST_FIN_WAIT: return TCP_FIN_WAIT_S;
    case ST_CLOSE_WAIT: return TCP_CLOSE_WAIT_S;
    case ST_LAST_ACK: return TCP_LAST_ACK_S;
    case ST_TIME_WAIT: return TCP_TIME_WAIT_S;
    case ST_CLOSE: return TCP_CLOSE_S;
    case ST_SCTP_COOKIE: return SCTP_COOKIE_S;
    case ST_SCTP_ESTABLISHED: return SCTP_ESTABLISHED_S;
    case ST_SCTP_CLOSED: return SCTP_CLOSED_S;
    default: break;
  }
  if (proto == PROTO_UDP) return state == ST_REPLIED ? UDP_REPLIED_S : UDP_UNREPLIED_S;
  if (proto == PROTO_ICMP || proto == PROTO_ICMPV6) return ICMP_S;
  return OTHER_S;
}
