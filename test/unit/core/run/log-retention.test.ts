import { describe, expect, it } from 'vitest';
import { expiredLogRuns, retentionMs, runIdOfLogDir, runLogDirName, type LoggedRun } from '../../../../core';

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 7);

describe('expiredLogRuns', () => {
  const retention = retentionMs(7);
  const runs: LoggedRun[] = [
    { run_id: 1, status: 'closed', closed_time: now - 8 * DAY, last_written_time: now - 8 * DAY },
    { run_id: 2, status: 'closed', closed_time: now - 6 * DAY, last_written_time: now - 6 * DAY },
    // Open for weeks and silent: kept whatever its logs' age.
    { run_id: 3, status: 'open', last_written_time: now - 30 * DAY },
    // Ended exactly at the cutoff: expired.
    { run_id: 4, status: 'closed', closed_time: now - 7 * DAY, last_written_time: now - 9 * DAY },
    // A run that ended recently after logs written long ago (a long silent task): kept.
    { run_id: 5, status: 'closed', closed_time: now - DAY, last_written_time: now - 20 * DAY },
    // Gone from Temporal: judged by its logs' last write.
    { run_id: 6, status: 'unknown', last_written_time: now - 10 * DAY },
    { run_id: 7, status: 'unknown', last_written_time: now - DAY },
  ];

  it('deletes the logs of runs that ended more than the retention ago, never an open run', () => {
    expect(expiredLogRuns(runs, now, retention)).toEqual([1, 4, 6]);
  });

  it('takes fractional days', () => {
    expect(retentionMs(0.5)).toBe(DAY / 2);
    const recent: LoggedRun = {
      run_id: 9,
      status: 'closed',
      closed_time: now - 20_000,
      last_written_time: now - 20_000,
    };
    expect(expiredLogRuns([recent], now, retentionMs(10 / 86_400))).toEqual([9]);
    expect(expiredLogRuns([recent], now, retentionMs(30 / 86_400))).toEqual([]);
  });
});

describe('run log directories', () => {
  it('name a run by its id and nothing else', () => {
    expect(runLogDirName(42)).toBe('run-42');
    expect(runIdOfLogDir('run-42')).toBe(42);
    expect(runIdOfLogDir('run-42.expired')).toBeUndefined();
    expect(runIdOfLogDir('.removing-run-42')).toBeUndefined();
  });
});
