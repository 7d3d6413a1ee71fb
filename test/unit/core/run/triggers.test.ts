import { describe, expect, it } from 'vitest';
import {
  KnownListing,
  applyListingChange,
  continuousBackoffMs,
  diffListings,
  fileArrivalTriggerState,
  markTriggered,
  newFileArrivalState,
  observeFiles,
  watchesNewLocation,
  type ArrivedFile,
} from '../../../../core';

const f = (path: string, size = 1, modifiedMs = 1) => ({ path, size, modifiedMs });
const quick = { minBetweenMs: 0, waitAfterChangeMs: 0 };

describe('file arrival trigger_state', () => {
  it('reports listing (no file events), the pause status, the last trigger and the files seen and pending', () => {
    expect(fileArrivalTriggerState(true, undefined)).toEqual({
      pause_status: 'PAUSED',
      file_arrival: { using_file_events: false, djobs_seen_files: 0, djobs_pending_files: 0 },
    });
    const s = newFileArrivalState();
    observeFiles(s, [f('/old')], 0, quick);
    expect(observeFiles(s, [f('/old'), f('/a')], 1, quick)).toEqual(['/a']);
    markTriggered(s, ['/a'], 7);
    observeFiles(s, [f('/old'), f('/a'), f('/b')], 8, { minBetweenMs: 1000, waitAfterChangeMs: 1000 });
    expect(fileArrivalTriggerState(false, s)).toEqual({
      pause_status: 'UNPAUSED',
      file_arrival: {
        using_file_events: false,
        djobs_last_triggered_time: 7,
        djobs_seen_files: 2,
        djobs_pending_files: 1,
      },
    });
  });
});

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

describe('listing changes', () => {
  // A small deterministic generator, so every run of the suite checks the same listings.
  const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const listing = (next: () => number, n: number): ArrivedFile[] =>
    Array.from({ length: n }, () => f(`/in/${Math.floor(next() * 40)}`, Math.floor(next() * 3), Math.floor(next() * 3)))
      .filter((x, i, all) => all.findIndex((y) => y.path === x.path) === i)
      .sort((a, b) => (a.path < b.path ? -1 : 1));

  it('a diff applied to the listing it was taken from gives the new listing, for any pair', () => {
    const next = random(7);
    for (let i = 0; i < 500; i++) {
      const before = listing(next, Math.floor(next() * 30));
      const after = listing(next, Math.floor(next() * 30));
      const change = { digest: 'd2', since: 'd1', ...diffListings(before, after) };
      expect(applyListingChange(before, 'd1', change)).toEqual(after);
    }
  });

  it('names only what changed: new, resized or touched files, and removed paths', () => {
    const before = [f('/a'), f('/b'), f('/c')];
    expect(diffListings(before, before)).toEqual({ upserted: [], removed: [] });
    expect(diffListings(before, [f('/a'), f('/b', 2), f('/c', 1, 9), f('/d')])).toEqual({
      upserted: [f('/b', 2), f('/c', 1, 9), f('/d')],
      removed: [],
    });
    expect(diffListings(before, [f('/b')])).toEqual({ upserted: [], removed: ['/a', '/c'] });
  });

  it('a whole listing replaces what is known; a change against another listing is refused', () => {
    expect(applyListingChange(undefined, undefined, { digest: 'x', files: [f('/b'), f('/a')] })).toEqual([
      f('/a'),
      f('/b'),
    ]);
    const change = { digest: 'd3', since: 'd2', upserted: [], removed: [] };
    expect(() => applyListingChange([f('/a')], 'd1', change)).toThrow(/since d2, but the watcher holds d1/);
    expect(() => applyListingChange(undefined, undefined, change)).toThrow(/holds no listing/);
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

describe('the listing a file-arrival watcher holds between polls', () => {
  it('starts from a whole listing, applies changes since its own digest, and asks for changes since the newest', () => {
    const known = new KnownListing();
    expect(known.digest).toBeUndefined();
    expect(known.apply({ digest: 'd1', files: [f('b'), f('a')] })).toEqual([f('a'), f('b')]);
    expect(known.digest).toBe('d1');
    expect(known.apply({ digest: 'd2', since: 'd1', upserted: [f('c')], removed: ['a'] })).toEqual([f('b'), f('c')]);
    expect(known.digest).toBe('d2');
  });

  it('a change since a listing it does not hold is refused: it forgets its own and lists afresh', () => {
    const known = new KnownListing();
    known.apply({ digest: 'd1', files: [f('a')] });
    expect(known.apply({ digest: 'd3', since: 'd2', upserted: [], removed: [] })).toBeUndefined();
    expect(known.digest).toBeUndefined();
    expect(new KnownListing().apply({ digest: 'd1', since: 'd0', upserted: [], removed: [] })).toBeUndefined();
  });

  it('forgets on a new location; a new location is a change of url only', () => {
    const known = new KnownListing();
    known.apply({ digest: 'd1', files: [f('a')] });
    known.forget();
    expect(known.digest).toBeUndefined();
    expect(watchesNewLocation({ url: 's3://a/' }, { url: 's3://b/' })).toBe(true);
    expect(watchesNewLocation({ url: 's3://a/' }, { url: 's3://a/' })).toBe(false);
  });
});
