// A worker's task-log retention (DJOBS_LOG_RETENTION_DAYS; docs/operations.md). Logs live on the
// disk of the worker that ran the attempt, so each worker host (and log directory) has its own:
// a Temporal Schedule `djobs-log-retention-<host>-<dir>` fires a `logRetention` workflow on the
// default task queue every check interval, and that workflow's activity runs on a task queue only
// the workers of this host and directory poll. The schedule is durable: a pass missed while the
// worker is down runs when it is back, and its runs show in the Temporal UI.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptionsAction } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createLogRetentionActivities } from '../activities/log-retention';
import { retentionMs } from '../core';
import { LOG_RETENTION_WORKFLOW_TYPE, type LogRetentionWorkflowInput } from '../workflows/definitions';
import { WorkflowKind, kindAttribute } from '../workflows/search-attributes';

export interface LogRetentionOptions {
  connection: NativeConnection;
  namespace: string;
  /** The default task queue, where the `logRetention` workflow runs. */
  taskQueue: string;
  dataDir: string;
  /** DJOBS_LOG_RETENTION_DAYS. */
  retentionDays: number;
  /** DJOBS_LOG_RETENTION_CHECK_SECONDS: how often a pass runs. */
  checkSeconds: number;
  dataConverter: DataConverter;
}

/** This host's and log directory's name in the schedule id and task queue. */
export function logRetentionHost(dataDir: string): string {
  const logs = path.resolve(dataDir, 'logs');
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  return `${host}-${createHash('sha256').update(logs).digest('hex').slice(0, 8)}`;
}

export const logRetentionScheduleId = (dataDir: string): string => `djobs-log-retention-${logRetentionHost(dataDir)}`;

/**
 * Creates (or brings up to date) this host's retention schedule and returns the worker that runs
 * its passes' activity; the caller runs and shuts it down with its main worker.
 */
export async function startLogRetention(opts: LogRetentionOptions): Promise<Worker> {
  const host = logRetentionHost(opts.dataDir);
  const hostQueue = `djobs-logs-${host}`;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: hostQueue,
    activities: createLogRetentionActivities(opts.dataDir),
    dataConverter: opts.dataConverter,
    maxConcurrentActivityTaskExecutions: 1,
  });
  const input: LogRetentionWorkflowInput = { hostQueue, retentionMs: retentionMs(opts.retentionDays) };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: LOG_RETENTION_WORKFLOW_TYPE,
    taskQueue: opts.taskQueue,
    workflowId: `djobs-log-retention-${host}`,
    args: [input],
    typedSearchAttributes: [kindAttribute(WorkflowKind.LOG_RETENTION)],
  };
  const spec = { intervals: [{ every: opts.checkSeconds * 1000 }] };
  const note = `durable-jobs task-log retention of ${host}: ${opts.retentionDays} days (docs/operations.md)`;
  const client = new Client({
    connection: opts.connection,
    namespace: opts.namespace,
    dataConverter: opts.dataConverter,
  });
  const scheduleId = logRetentionScheduleId(opts.dataDir);
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      // One pass at a time; a pass missed while Temporal was away runs once it is back.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      state: { note },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((prev) => ({ ...prev, spec, action, state: { ...prev.state, note } }));
  }
  return worker;
}
