import { describe, expect, it } from 'vitest';
import { continuousBackoffMs, markTriggered, newFileArrivalState, observeFiles } from '../../../../spec';

const f = (path: string, size = 1, modifiedMs = 1) => ({ path, size, modifiedMs });
const quick = { minBetweenMs: 0, waitAfterChangeMs: 0 };

describe('file arrival decisions', () => {
  it('takes stock first: files already there are not arrivals', () => {
    const s = newFileArrivalState();
    expect(observeFiles(s, [f('/in/old')], 0, quick)).toEqual([]);
    expect(observeFiles(s, [f('/in/old')], 1, quick)).toEqual([]);
    expect(observeFiles(s, [f('/in/old'), f('/in/b'), f('/in/a')], 2, quick)).toEqual(['/in/a', '/in/b']);
  });

  it('a triggered file never triggers again while it stays; one that leaves and returns does', () => {
    const s = newFileArrivalState();
    observeFiles(s, [], 0, quick);
    expect(observeFiles(s, [f('/a')], 1, quick)).toEqual(['/a']);
    markTriggered(s, ['/a'], 1);
    expect(observeFiles(s, [f('/a', 2, 5)], 2, quick)).toEqual([]); // rewritten in place: not new
    expect(observeFiles(s, [], 3, quick)).toEqual([]);
    expect(observeFiles(s, [f('/a')], 4, quick)).toEqual(['/a']);
  });

  it('waits until the location has been quiet for wait_after_last_change', () => {
    const s = newFileArrivalState();
    const timing = { minBetweenMs: 0, waitAfterChangeMs: 60_000 };
    observeFiles(s, [], 0, timing);
    expect(observeFiles(s, [f('/a', 10)], 1000, timing)).toEqual([]);
    expect(observeFiles(s, [f('/a', 20)], 30_000, timing)).toEqual([]); // still being written
    expect(observeFiles(s, [f('/a', 20)], 89_999, timing)).toEqual([]);
    expect(observeFiles(s, [f('/a', 20)], 90_000, timing)).toEqual(['/a']);
  });

  it('keeps min_time_between_triggers between runs, collecting what arrives meanwhile', () => {
    const s = newFileArrivalState();
    const timing = { minBetweenMs: 60_000, waitAfterChangeMs: 0 };
    observeFiles(s, [], 0, timing);
    expect(observeFiles(s, [f('/a')], 1000, timing)).toEqual(['/a']); // the first trigger is not held back
    markTriggered(s, ['/a'], 1000);
    expect(observeFiles(s, [f('/a'), f('/b')], 2000, timing)).toEqual([]);
    expect(observeFiles(s, [f('/a'), f('/b'), f('/c')], 40_000, timing)).toEqual([]);
    expect(observeFiles(s, [f('/a'), f('/b'), f('/c')], 61_000, timing)).toEqual(['/b', '/c']);
  });
});

describe('continuous backoff', () => {
  it.each([
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [7, 600_000],
    [50, 600_000],
  ])('after %i consecutive failures waits %i ms', (failures, ms) => {
    expect(continuousBackoffMs({ backoffInitialMs: 10_000, backoffMaxMs: 600_000 }, failures)).toBe(ms);
  });
});
