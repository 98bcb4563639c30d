// The what-if comparison: the fates of the same connections under the current and the proposed
// state, per service port and backend. Pure: fates in, the report's `services` out.

import type { Fate, SideResult } from './fates.js';

/** Connections of one backend of a service port in one state. */
export interface Load { connections: number; share: number }

export interface BackendComparison {
  backend: string;
  /** Whether the backend is in the service port's endpoint sets in each state. */
  inCurrent: boolean;
  inNext: boolean;
  current: Load;
  next: Load;
  /** Of its current connections: kept here, sent to another backend, left without one. */
  kept: number;
  movedAway: number;
  lost: number;
  /** Connections it gets in the proposed state that went elsewhere (or nowhere) before. */
  movedIn: number;
}

export interface ServiceComparison {
  service: string;
  /** Connections to this service port in either state. */
  connections: number;
  /** Same backend in both states. */
  kept: number;
  /** Another backend in the proposed state. */
  moved: number;
  /** A backend now, none in the proposed state (dropped, rejected, or no Service). */
  lost: number;
  /** No backend now, one in the proposed state. */
  gained: number;
  /** No backend in either state. */
  unserved: number;
  /** moved + lost: connections that would break if the change were made. */
  disrupted: number;
  /** disrupted / the connections served now (0 when none). */
  disruptedShare: number;
  /**
   * Connections whose backend is in the proposed state too, and how many of those moved anyway:
   * Maglev's promise is that few do (about 1% when 1 of 10 backends goes), random choice's that most do.
   */
  remaining: { connections: number; moved: number; share: number };
  backends: BackendComparison[];
  /** Moved connections by (from, to), most first. */
  moves: { from: string; to: string; connections: number }[];
}

export interface Totals {
  connections: number; kept: number; moved: number; lost: number; gained: number; unserved: number;
  disrupted: number; disruptedShare: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compares the two sides' fates: one entry per service port, sorted by name; backends sorted by address. */
export function compareSides(current: SideResult, next: SideResult): ServiceComparison[] {
  const perService = new Map<string, { cur?: Fate; nxt?: Fate }[]>();
  for (const key of new Set([...current.fates.keys(), ...next.fates.keys()])) {
    const cur = current.fates.get(key);
    const nxt = next.fates.get(key);
    const service = (cur ?? nxt)!.service;
    let list = perService.get(service);
    if (!list) perService.set(service, (list = []));
    list.push({ cur, nxt });
  }
  const names = new Set([...perService.keys(), ...current.sets.keys(), ...next.sets.keys()]);
  return [...names].sort(byName).map((service) =>
    compareService(service, perService.get(service) ?? [], current.sets.get(service) ?? [], next.sets.get(service) ?? []));
}

function compareService(service: string, pairs: { cur?: Fate; nxt?: Fate }[], curSet: string[], nextSet: string[]): ServiceComparison {
  const s: ServiceComparison = {
    service, connections: pairs.length, kept: 0, moved: 0, lost: 0, gained: 0, unserved: 0, disrupted: 0, disruptedShare: 0,
    remaining: { connections: 0, moved: 0, share: 0 }, backends: [], moves: [],
  };
  const inNext = new Set(nextSet);
  const rows = new Map<string, BackendComparison>();
  const row = (backend: string): BackendComparison => {
    let r = rows.get(backend);
    if (!r) {
      r = { backend, inCurrent: curSet.includes(backend), inNext: inNext.has(backend), current: { connections: 0, share: 0 },
            next: { connections: 0, share: 0 }, kept: 0, movedAway: 0, lost: 0, movedIn: 0 };
      rows.set(backend, r);
    }
    return r;
  };
  for (const b of [...curSet, ...nextSet]) row(b);
  const moves = new Map<string, { from: string; to: string; connections: number }>();
  let servedNow = 0, servedNext = 0;
  for (const { cur, nxt } of pairs) {
    const from = cur?.backend;
    const to = nxt?.backend;
    if (from !== undefined) { row(from).current.connections++; servedNow++; }
    if (to !== undefined) { row(to).next.connections++; servedNext++; }
    if (from !== undefined && inNext.has(from)) {
      s.remaining.connections++;
      if (to !== from) s.remaining.moved++;
    }
    if (from === undefined && to === undefined) s.unserved++;
    else if (from === undefined) { s.gained++; row(to!).movedIn++; }
    else if (to === undefined) { s.lost++; row(from).lost++; }
    else if (from === to) { s.kept++; row(from).kept++; }
    else {
      s.moved++;
      row(from).movedAway++;
      row(to).movedIn++;
      const k = `${from} ${to}`;
      const m = moves.get(k);
      if (m) m.connections++;
      else moves.set(k, { from, to, connections: 1 });
    }
  }
  s.disrupted = s.moved + s.lost;
  s.disruptedShare = ratio(s.disrupted, servedNow);
  s.remaining.share = ratio(s.remaining.moved, s.remaining.connections);
  s.backends = [...rows.values()].sort((a, b) => byName(a.backend, b.backend));
  for (const r of s.backends) {
    r.current.share = ratio(r.current.connections, servedNow);
    r.next.share = ratio(r.next.connections, servedNext);
  }
  s.moves = [...moves.values()].sort((a, b) => b.connections - a.connections || byName(a.from, b.from) || byName(a.to, b.to));
  return s;
}

/** The sums over every service port. */
export function totalsOf(services: readonly ServiceComparison[]): Totals {
  const t: Totals = { connections: 0, kept: 0, moved: 0, lost: 0, gained: 0, unserved: 0, disrupted: 0, disruptedShare: 0 };
  for (const s of services) {
    t.connections += s.connections; t.kept += s.kept; t.moved += s.moved; t.lost += s.lost;
    t.gained += s.gained; t.unserved += s.unserved;
  }
  t.disrupted = t.moved + t.lost;
  t.disruptedShare = ratio(t.disrupted, t.kept + t.moved + t.lost);
  return t;
}
