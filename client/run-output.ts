// Run output: runs/get-output (one task run's log, error and notebook result) and runs/export
// (an HTML view per task). Logs are read from the worker's disk when this process shares it, else
// from the bounded tail the run keeps in its history.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  EXPIRED_LOG_SUFFIX,
  attemptTaskValues,
  isTaskRunId,
  latestAttempt,
  sqlOutputOf,
  toDatabricksRun,
  type AttemptState,
  type JsonValue,
  type RunState,
  type RunTask,
  type SqlOutput,
} from '../core';
import { DjobsError, ErrorCode, NotFoundError } from './errors';

/** Databricks `RunOutput` (runs/get-output) plus `log_path`, a durable-jobs extension. */
export interface RunOutput {
  metadata: RunTask;
  /** For run_job_task: the run it started. */
  run_job_output?: { run_id: number };
  logs?: string;
  logs_truncated?: boolean;
  log_path?: string;
  /**
   * durable-jobs extension: the log retention (DJOBS_LOG_RETENTION_DAYS) deleted this attempt's log
   * file; `logs` is then the tail the run kept in its history, if any.
   */
  log_expired?: { expired_time: number; retention_days: number };
  error?: string;
  error_trace?: string;
  notebook_output?: { result?: string; truncated: boolean };
  /** sql_task: what its statements gave (core/run/sql-output.ts). */
  sql_output?: SqlOutput;
  /**
   * dbt_task: the archive of its dbt artifacts (target/ with manifest.json and run_results.json).
   * A `file://` link to the worker's disk, as `log_path` is, rather than a pre-signed URL.
   */
  dbt_output?: { artifacts_link?: string; artifacts_headers: Record<string, string> };
  /** durable-jobs extension: the values the task set (dbutils.jobs.taskValues.set), by key. */
  task_values?: Record<string, JsonValue>;
  /**
   * durable-jobs extension: the workers lost while running this attempt before it ran again
   * elsewhere, with the tail of its log their last heartbeat carried (`logs`).
   */
  djobs_lost_workers?: { host: string; process: string; last_heard_time: number; logs: string }[];
}

const MAX_LOG_BYTES = 5 * 1024 * 1024;

export class RunOutputs {
  constructor(
    private readonly runState: (runId: number) => Promise<RunState>,
    /** The log file of a running attempt, from its activity's heartbeat (client/run-reads.ts). */
    private readonly runningLogPath: (jobRunId: number, taskRunId: number) => Promise<string | undefined>
  ) {}

  /** runs/get-output for one task of a run: by task run id, or job run id plus task key. */
  async getRunOutput(runId: number, taskKey?: string): Promise<RunOutput> {
    const state = await this.runState(runId);
    const run = toDatabricksRun(state, Date.now());
    let attempt: AttemptState | undefined;
    if (taskKey !== undefined) {
      const task = state.tasks[taskKey];
      if (!task) throw new NotFoundError('Run', `${state.run_id} task ${taskKey}`);
      attempt = latestAttempt(task);
    } else if (isTaskRunId(runId)) {
      attempt = Object.values(state.tasks)
        .flatMap((t) => t.attempts)
        .find((a) => a.run_id === runId);
      if (!attempt) throw new NotFoundError('Run', runId);
    } else if (state.settings.tasks.length === 1) {
      attempt = latestAttempt(Object.values(state.tasks)[0]!);
    } else {
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.'
      );
    }
    const metadata = run.tasks.find((t) => t.run_id === attempt.run_id)!;
    // A running attempt's log is named by its activity's heartbeat until the attempt records it.
    const logPath =
      attempt.logPath ??
      (attempt.phase === 'RUNNING' ? await this.runningLogPath(state.run_id, attempt.run_id) : undefined);
    const { logs, truncated, expired } = readLog({ ...attempt, ...(logPath ? { logPath } : {}) });
    const task = Object.values(state.tasks).find((t) => t.attempts.includes(attempt))!;
    const taskValues = attemptTaskValues(task, attempt);
    return {
      metadata,
      ...(logs !== undefined ? { logs, logs_truncated: truncated } : {}),
      ...(attempt.logPath && !expired ? { log_path: attempt.logPath } : {}),
      ...(expired ? { log_expired: expired } : {}),
      ...(attempt.childRunId !== undefined ? { run_job_output: { run_id: attempt.childRunId } } : {}),
      ...(taskValues && Object.keys(taskValues).length > 0 ? { task_values: taskValues } : {}),
      ...(attempt.lostWorkers
        ? {
            djobs_lost_workers: attempt.lostWorkers.map((w) => ({
              host: w.host,
              process: w.process,
              last_heard_time: w.last_heard_time,
              logs: w.log_tail,
            })),
          }
        : {}),
      ...(attempt.errorMessage && attempt.result !== 'SUCCESS'
        ? { error: attempt.errorMessage, error_trace: attempt.logTail ?? '' }
        : {}),
      ...(metadata.dbt_task
        ? {
            dbt_output: {
              ...(attempt.dbtArtifacts ? { artifacts_link: pathToFileURL(attempt.dbtArtifacts).href } : {}),
              artifacts_headers: {},
            },
          }
        : {}),
      ...(metadata.sql_task && attempt.sqlResult
        ? { sql_output: sqlOutputOf(metadata.sql_task, attempt.run_id, attempt.sqlResult) }
        : {}),
      ...(metadata.notebook_task
        ? {
            notebook_output: {
              ...(attempt.notebookResult !== undefined ? { result: attempt.notebookResult } : {}),
              truncated: false,
            },
          }
        : {}),
    };
  }

  /**
   * runs/export: one HTML view per task of the run (or the one task of a task run id), with its
   * state and its log, which is what a durable-jobs task has instead of notebook cells.
   */
  async exportRun(runId: number): Promise<{ views: { name: string; type: 'NOTEBOOK'; content: string }[] }> {
    const state = await this.runState(runId);
    const attempts = Object.entries(state.tasks)
      .map(([key, t]) => ({
        key,
        attempt: isTaskRunId(runId) ? t.attempts.find((a) => a.run_id === runId) : latestAttempt(t),
      }))
      .filter((x): x is { key: string; attempt: AttemptState } => x.attempt !== undefined);
    if (attempts.length === 0) throw new NotFoundError('Run', runId);
    return {
      views: attempts.map(({ key, attempt }) => ({
        name: key,
        type: 'NOTEBOOK',
        content: exportHtml(state.run_name, key, attempt, readLog(attempt).logs ?? ''),
      })),
    };
  }
}

const ExpiredLogMarker = z.object({ expired_time: z.number(), retention_days: z.number() });

/**
 * The marker the log retention leaves beside the run directory of a log it deleted
 * (activities/log-retention.ts): `logs/run-<id>.expired` for `logs/run-<id>/<task>/<n>.log`.
 */
function expiredLog(logPath: string): z.infer<typeof ExpiredLogMarker> | undefined {
  const marker = `${path.dirname(path.dirname(logPath))}${EXPIRED_LOG_SUFFIX}`;
  if (!fs.existsSync(marker)) return undefined;
  const parsed = ExpiredLogMarker.safeParse(JSON.parse(fs.readFileSync(marker, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

function readLog(attempt: AttemptState): {
  logs?: string;
  truncated: boolean;
  expired?: z.infer<typeof ExpiredLogMarker>;
} {
  if (attempt.logPath && fs.existsSync(attempt.logPath)) {
    const size = fs.statSync(attempt.logPath).size;
    const fd = fs.openSync(attempt.logPath, 'r');
    try {
      const len = Math.min(size, MAX_LOG_BYTES);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return { logs: buf.toString('utf8'), truncated: size > len };
    } finally {
      fs.closeSync(fd);
    }
  }
  // Logs live on the worker's disk; off that machine, or once the retention deleted them, history's
  // bounded tail is what we have.
  const expired = attempt.logPath ? expiredLog(attempt.logPath) : undefined;
  if (attempt.logTail !== undefined)
    return { logs: attempt.logTail, truncated: attempt.logTruncated ?? false, ...(expired ? { expired } : {}) };
  return { truncated: false, ...(expired ? { expired } : {}) };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function exportHtml(runName: string, taskKey: string, attempt: AttemptState, logs: string): string {
  const title = escapeHtml(`${runName} · ${taskKey}`);
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${title}</title></head><body>`,
    `<h1>${title}</h1>`,
    `<p>Task run ${attempt.run_id}, attempt ${attempt.attempt_number}: ${escapeHtml(attempt.result ?? 'RUNNING')}</p>`,
    attempt.errorMessage ? `<p>Error: ${escapeHtml(attempt.errorMessage)}</p>` : '',
    `<pre>${escapeHtml(logs)}</pre>`,
    '</body></html>',
  ].join('\n');
}
