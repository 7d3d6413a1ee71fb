// Which runs' task logs the log retention deletes (DJOBS_LOG_RETENTION_DAYS; docs/operations.md).
// A worker keeps each run's attempt logs in `DJOBS_HOME/logs/run-<run_id>/`; its cleanup asks
// Temporal how each such run stands and deletes the logs of runs that ended more than the
// retention ago. An open run keeps its logs however old they are; a run Temporal no longer knows
// (its namespace's retention deleted it) is judged by when its logs were last written.

/** How one run whose logs a worker holds stands. */
export interface LoggedRun {
  run_id: number;
  /** `open`: still running; `closed`: ended at `closed_time`; `unknown`: Temporal has no such run. */
  status: 'open' | 'closed' | 'unknown';
  /** Epoch ms the run ended (closed runs). */
  closed_time?: number;
  /** Epoch ms of the newest write to any of its log files. */
  last_written_time: number;
}

/** The log directory name of a run (`run-<run_id>`), and back. */
export const runLogDirName = (runId: number): string => `run-${runId}`;
export function runIdOfLogDir(name: string): number | undefined {
  const m = /^run-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Beside a run's log directory once its logs are deleted: `run-<run_id>.expired`, JSON
 * `{"expired_time":…,"retention_days":…}`, so that reading the run's output says the log expired.
 */
export const EXPIRED_LOG_SUFFIX = '.expired';

export interface ExpiredLogMarker {
  expired_time: number;
  retention_days: number;
}

const DAY_MS = 86_400_000;

/** The retention in ms of `days` (fractions allowed: a test may keep logs seconds). */
export const retentionMs = (days: number): number => Math.round(days * DAY_MS);

/** The run ids whose logs are past the retention at `now`, in the order given. */
export function expiredLogRuns(runs: readonly LoggedRun[], now: number, retention: number): number[] {
  const cutoff = now - retention;
  return runs
    .filter((r) => {
      if (r.status === 'open') return false;
      const ended = r.status === 'closed' ? (r.closed_time ?? r.last_written_time) : r.last_written_time;
      return ended <= cutoff;
    })
    .map((r) => r.run_id);
}
