// The breakdown of a forked Python attempt's start (bench/python-tasks.ts): each step is the time
// between two consecutive moments, its median and mean over the attempts it appears in, and last
// the whole attempt's time.
import { describe, expect, it } from 'vitest';
import { startBreakdown } from '../../../bench/python-tasks';

const ms = (x: number) => BigInt(Math.round(x * 1e6));
const trace = (...moments: [string, number][]) => moments.map(([moment, at]) => ({ moment, ns: ms(at) }));

describe('startBreakdown', () => {
  it('times each step between consecutive moments, in the first attempt’s order, then the total', () => {
    const rows = startBreakdown([
      trace(['a', 0], ['b', 1], ['c', 4]),
      trace(['a', 10], ['b', 13], ['c', 14]),
      trace(['a', 20], ['b', 22], ['c', 23]),
    ]);
    expect(rows).toEqual([
      { step: 'a → b', samples: 3, p50_ms: 2, mean_ms: 2 },
      { step: 'b → c', samples: 3, p50_ms: 1, mean_ms: 1.67 },
      { step: 'total: a → c', samples: 3, p50_ms: 4, mean_ms: 3.67 },
    ]);
  });

  it('counts a step only in the attempts where its two moments are consecutive', () => {
    // The second attempt waited for its supervisor's fork: one more moment, two other steps.
    const rows = startBreakdown([trace(['a', 0], ['c', 2]), trace(['a', 0], ['f', 1], ['c', 3])]);
    expect(rows.map((r) => [r.step, r.samples, r.p50_ms])).toEqual([
      ['a → c', 1, 2],
      ['a → f', 1, 1],
      ['f → c', 1, 2],
      ['total: a → c', 2, 2],
    ]);
  });
});
