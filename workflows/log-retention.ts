// One log retention pass, started by a worker's schedule (worker/log-retention.ts): its activity
// runs on the task queue only that worker (its host and log directory) polls, since the logs are
// on that worker's disk. A host whose worker is gone for good fails the pass after a day, and the
// schedule's next fire tries again.
import { proxyActivities } from '@temporalio/workflow';
import type { LogRetentionActivities, LogRetentionReport, LogRetentionWorkflowInput } from './definitions';

export async function logRetention(input: LogRetentionWorkflowInput): Promise<LogRetentionReport> {
  const { deleteExpiredLogs } = proxyActivities<LogRetentionActivities>({
    taskQueue: input.hostQueue,
    scheduleToCloseTimeout: '1 day',
    startToCloseTimeout: '30 minutes',
  });
  return deleteExpiredLogs({ retentionMs: input.retentionMs, ...(input.now !== undefined ? { now: input.now } : {}) });
}
