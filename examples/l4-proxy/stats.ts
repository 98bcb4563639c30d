// What the proxy counts on its side of the core (the core counts packets, bytes and connections
// per Service and backend: Dataplane.counters()).

export interface ProxyStats {
  tcp: {
    /** Connections accepted from clients. */
    accepted: number;
    /** Of those, connected to the backend the core chose. */
    connected: number;
    /** Refused: the core dropped or rejected the SYN (by reason), or passed it (no Service). */
    refused: Record<string, number>;
    /** Reset because the backend refused or reset the connection. */
    backendErrors: number;
    /** Reset because the core's answer for a segment no longer matched the socket pair. */
    broken: number;
    /** Connections whose sockets have both closed. */
    closed: number;
  };
  udp: {
    /** Datagrams from clients sent on to the backend the core chose. */
    forwarded: number;
    /** Client datagrams the core dropped or rejected (by reason), or passed (no Service). */
    refused: Record<string, number>;
    /** Backend datagrams sent back to their client (the core reversed them). */
    replied: number;
    /** Backend datagrams the core did not reverse (their conntrack entry is gone): not sent. */
    repliesDropped: number;
    /** Flows (client address and port) with an upstream socket open now. */
    flows: number;
  };
}

export function emptyStats(): ProxyStats {
  return {
    tcp: { accepted: 0, connected: 0, refused: {}, backendErrors: 0, broken: 0, closed: 0 },
    udp: { forwarded: 0, refused: {}, replied: 0, repliesDropped: 0, flows: 0 },
  };
}

/** Counts a packet the core did not translate, under its reason ("passed" when no Service took it). */
export function countRefused(into: Record<string, number>, r: { verdict: string; reason?: string }): void {
  const why = r.reason ?? r.verdict;
  into[why] = (into[why] ?? 0) + 1;
}
