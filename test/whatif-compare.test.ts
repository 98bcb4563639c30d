// The what-if comparison on hand-made fates (src/whatif/compare.ts): every outcome of a connection,
// per backend counts and shares, moves, and the "moved though their backend remains" figure.

import { describe, expect, it } from 'vitest';
import { compareSides, totalsOf } from '../src/whatif/compare.js';
import type { Fate, SideResult } from '../src/whatif/fates.js';

const S = 'default/web:http';
const side = (fates: Record<string, Fate>, set: string[]): SideResult =>
  ({ fates: new Map(Object.entries(fates)), sets: new Map([[S, set]]), packets: 0 });
const to = (backend: string): Fate => ({ service: S, backend });
const rejected: Fate = { service: S, reason: 'SERVICE_NO_ENDPOINTS' };

describe('compareSides', () => {
  const current = side({ c1: to('a:80'), c2: to('a:80'), c3: to('b:80'), c4: to('c:80'), c5: rejected, c6: rejected, c7: to('b:80') },
    ['a:80', 'b:80', 'c:80']);
  // c: removed; d: new. c7 has no fate in the proposed state (its Service is gone there): lost.
  const next = side({ c1: to('a:80'), c2: to('b:80'), c3: to('b:80'), c4: to('d:80'), c5: to('d:80'), c6: rejected },
    ['a:80', 'b:80', 'd:80']);
  const [s] = compareSides(current, next);

  it('counts each connection once: kept, moved, lost, gained, unserved', () => {
    expect(s).toMatchObject({ service: S, connections: 7, kept: 2, moved: 2, lost: 1, gained: 1, unserved: 1, disrupted: 3 });
    // Served now: c1, c2, c3, c4, c7.
    expect(s!.disruptedShare).toBeCloseTo(3 / 5, 12);
    // Backend still there: c1, c2, c3, c7 (a, b); of those c2 moved and c7 was lost.
    expect(s!.remaining).toEqual({ connections: 4, moved: 2, share: 0.5 });
  });

  it('lists every backend of either state, with its load and what became of its connections', () => {
    expect(s!.backends.map((b) => [b.backend, b.inCurrent, b.inNext, b.current.connections, b.next.connections, b.kept, b.movedAway, b.lost, b.movedIn]))
      .toEqual([
        ['a:80', true, true, 2, 1, 1, 1, 0, 0],
        ['b:80', true, true, 2, 2, 1, 0, 1, 1],
        ['c:80', true, false, 1, 0, 0, 1, 0, 0],
        ['d:80', false, true, 0, 2, 0, 0, 0, 2],
      ]);
    expect(s!.backends.find((b) => b.backend === 'a:80')!.current.share).toBeCloseTo(2 / 5, 12);
    expect(s!.backends.find((b) => b.backend === 'd:80')!.next.share).toBeCloseTo(2 / 5, 12);
    expect(s!.moves).toEqual([{ from: 'a:80', to: 'b:80', connections: 1 }, { from: 'c:80', to: 'd:80', connections: 1 }]);
  });

  it('totals add up the service ports', () => {
    expect(totalsOf([s!, s!])).toEqual({ connections: 14, kept: 4, moved: 4, lost: 2, gained: 2, unserved: 2, disrupted: 6, disruptedShare: 0.6 });
  });
});
