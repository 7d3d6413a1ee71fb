// The log retention of one worker's disk (DJOBS_LOG_RETENTION_DAYS; docs/operations.md): the logs
// of runs that ended more than the retention ago are deleted, and a marker is left so that the
// run's output says its log expired. Which runs is core's decision (core/run/log-retention.ts);
// how each run stands is asked of Temporal. Runs on the task queue of this worker's host and log
// directory only (worker/log-retention.ts), as logs live on the disk of the worker that ran them.
import fs from 'node:fs';
import path from 'node:path';
import { getClient } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  EXPIRED_LOG_SUFFIX,
  expiredLogRuns,
  runIdOfLogDir,
  runLogDirName,
  runWorkflowId,
  type ExpiredLogMarker,
  type LoggedRun,
} from '../core';
import type { LogRetentionActivities, LogRetentionInput, LogRetentionReport } from '../workflows/definitions';

/** The newest modification time under `dir` (the directory's own included). */
function lastWritten(dir: string): number {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? lastWritten(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** How a run stands in Temporal: open, closed (when), or unknown to it. */
async function runStatus(runId: number): Promise<Pick<LoggedRun, 'status' | 'closed_time'>> {
  try {
    const d = await getClient().workflow.getHandle(runWorkflowId(runId)).describe();
    if (d.status.name === 'RUNNING') return { status: 'open' };
    return { status: 'closed', ...(d.closeTime ? { closed_time: d.closeTime.getTime() } : {}) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'unknown' };
    throw err;
  }
}

export function createLogRetentionActivities(dataDir: string): LogRetentionActivities {
  const logs = path.join(dataDir, 'logs');
  return {
    async deleteExpiredLogs(input: LogRetentionInput): Promise<LogRetentionReport> {
      const now = input.now ?? Date.now();
      const entries = fs.existsSync(logs) ? fs.readdirSync(logs, { withFileTypes: true }) : [];
      const runs: LoggedRun[] = [];
      for (const entry of entries) {
        const runId = entry.isDirectory() ? runIdOfLogDir(entry.name) : undefined;
        if (runId === undefined) continue;
        runs.push({
          run_id: runId,
          ...(await runStatus(runId)),
          last_written_time: lastWritten(path.join(logs, entry.name)),
        });
      }
      const deleted = expiredLogRuns(runs, now, input.retentionMs);
      for (const runId of deleted) {
        const dir = path.join(logs, runLogDirName(runId));
        const marker: ExpiredLogMarker = { expired_time: now, retention_days: input.retentionMs / 86_400_000 };
        fs.writeFileSync(`${dir}${EXPIRED_LOG_SUFFIX}`, JSON.stringify(marker), { mode: 0o600 });
        // Renamed away first: a reader sees the whole log or none of it, never half.
        const trash = path.join(logs, `.removing-run-${runId}-${process.pid}`);
        fs.renameSync(dir, trash);
        fs.rmSync(trash, { recursive: true, force: true });
      }
      // Markers of runs Temporal has deleted: nobody can ask for their output any more.
      let markersRemoved = 0;
      for (const entry of entries) {
        if (!entry.name.endsWith(EXPIRED_LOG_SUFFIX)) continue;
        const runId = runIdOfLogDir(entry.name.slice(0, -EXPIRED_LOG_SUFFIX.length));
        if (runId === undefined || (await runStatus(runId)).status !== 'unknown') continue;
        fs.rmSync(path.join(logs, entry.name), { force: true });
        markersRemoved += 1;
      }
      return { deleted_run_ids: deleted, kept: runs.length - deleted.length, markers_removed: markersRemoved };
    },
  };
}
