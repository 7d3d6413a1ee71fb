// Whether a finished attempt is retried, and after how long (Jobs API `max_retries`, `min_retry_interval_millis`,
// `retry_on_timeout`: https://docs.databricks.com/api/workspace/jobs/create).
// Retries are decided here, by the workflow, not by Temporal's activity retry policy: every
// attempt is its own task run (own run_id, own entry in `tasks[]`), and a lost worker must not
// consume the user's retry budget.

export interface RetryPolicyFields {
  max_retries?: number;
  min_retry_interval_millis?: number;
  retry_on_timeout?: boolean;
}

export type AttemptEnd = 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED' | 'INVALID' | 'INTERNAL_ERROR';

/** `attemptNumber` is 0-based (Databricks `attempt_number`). */
export function shouldRetry(task: RetryPolicyFields, end: AttemptEnd, attemptNumber: number): boolean {
  const eligible =
    end === 'FAILED' || end === 'INTERNAL_ERROR' || (end === 'TIMEDOUT' && task.retry_on_timeout === true);
  if (!eligible) return false;
  const max = task.max_retries ?? 0;
  return max === -1 || attemptNumber < max;
}

/** Delay before the next attempt: the interval counts from the start of the failed attempt. */
export function retryDelayMillis(task: RetryPolicyFields, failedAttemptStart: number, now: number): number {
  const interval = task.min_retry_interval_millis ?? 0;
  return Math.max(0, failedAttemptStart + interval - now);
}
