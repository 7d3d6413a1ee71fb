// How every place that runs a task attempt as an activity (top-level tasks in job-run.ts, for_each
// iterations in for-each.ts) calls it, and how it reads a failed attempt. One copy, so an
// iteration and a top-level task retry lost workers alike and report the same outcome for the
// same failure. Pure: usable in the workflow sandbox and in unit tests.
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { TaskFailureType, type AttemptOutcome, type TaskAttemptRecord } from '../core/model';

export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 30;
/** Grace on top of a task's own timeout before Temporal's start-to-close timeout fires as a backstop. */
export const TIMEOUT_BACKSTOP_SECONDS = 60;
/** Attempts Temporal makes for one task attempt when workers are lost (heartbeat timeouts). */
export const LOST_WORKER_ATTEMPTS = 10;
/** Temporal's failure type when the start-to-close backstop fires: retrying would only time out again. */
const START_TO_CLOSE_TIMEOUT_TYPE = 'TemporalTimeout:StartToClose';

export type { AttemptOutcome } from '../core/model';

/**
 * Activity options of one task attempt. Temporal retries only lost workers (heartbeat timeouts,
 * with backoff); the task's own failures and timeouts are final for the attempt, and the workflow
 * decides the user's retries (`max_retries`).
 */
export function taskAttemptActivityOptions(o: {
  taskQueue: string | undefined;
  /** The task's `timeout_seconds` (0 or absent: none). */
  timeoutSeconds: number | undefined;
  heartbeatTimeoutSeconds: number | undefined;
  /** Shown for the activity in the Temporal UI. */
  summary: string;
}): ActivityOptions {
  const timeout = o.timeoutSeconds ?? 0;
  return {
    ...(o.taskQueue !== undefined ? { taskQueue: o.taskQueue } : {}),
    startToCloseTimeout: timeout > 0 ? `${timeout + TIMEOUT_BACKSTOP_SECONDS}s` : '3650 days',
    heartbeatTimeout: `${o.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS}s`,
    retry: {
      maximumAttempts: LOST_WORKER_ATTEMPTS,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: [
        TaskFailureType.TASK_FAILED,
        TaskFailureType.TASK_TIMED_OUT,
        TaskFailureType.TASK_INVALID,
        START_TO_CLOSE_TIMEOUT_TYPE,
      ],
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: o.summary,
  };
}

/**
 * Turn a failed task-attempt activity into the attempt's outcome. Names, not classes, are compared:
 * classes differ across the workflow sandbox. The platform's failures (Temporal's lost-worker
 * retries exhausted, an unexpected activity error) are INTERNAL_ERROR, never the task's FAILED.
 */
export function classifyTaskFailure(err: unknown): AttemptOutcome {
  const cause = (err as { cause?: unknown } | undefined)?.cause as
    { name?: string; type?: string; message?: string; details?: unknown[]; timeoutType?: unknown } | undefined;
  if (cause?.name === 'ApplicationFailure') {
    const record = cause.details?.[0] as TaskAttemptRecord | undefined;
    const message = record?.errorMessage ?? cause.message ?? 'Task failed.';
    const withRecord = record ? { record } : {};
    switch (cause.type) {
      case TaskFailureType.TASK_FAILED:
        // A failure before the task's code ran (a library install, a checkout) says what failed.
        return {
          end: 'FAILED',
          ...withRecord,
          message: record?.terminationCode ? message : 'Workload failed, see run output for details',
        };
      case TaskFailureType.TASK_TIMED_OUT:
        return { end: 'TIMEDOUT', ...withRecord, message };
      case TaskFailureType.TASK_INVALID:
        return { end: 'INVALID', ...withRecord, message };
      default:
        return { end: 'INTERNAL_ERROR', message: `Internal error while running the task: ${message}` };
    }
  }
  if (cause?.name === 'TimeoutFailure') {
    // Start-to-close is only a backstop behind the runner's own timeout; heartbeat timeouts mean
    // the worker was lost more often than the lost-worker retry budget allows.
    return cause.timeoutType === 'START_TO_CLOSE'
      ? { end: 'TIMEDOUT', message: 'Task timed out (the worker did not report in time).' }
      : { end: 'INTERNAL_ERROR', message: 'The worker running this task was lost repeatedly.' };
  }
  return {
    end: 'INTERNAL_ERROR',
    message: `Internal error while running the task: ${String((err as Error | undefined)?.message ?? err)}`,
  };
}
