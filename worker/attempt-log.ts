// One JSON line when a task attempt starts on this worker and one when it ends, for operators'
// log pipelines: the run, the task, the attempt, how long it took and how it ended.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { TaskFailureType, type TaskAttemptInput } from '../core';

/** How an attempt ended, in the words of Databricks' result states (and INVALID, as runs show it). */
export function attemptOutcome(err: unknown): string {
  if (err === undefined) return 'SUCCESS';
  const e = err as { name?: string; type?: string };
  if (e.name === 'CancelledFailure') return 'CANCELED';
  switch (e.type) {
    case TaskFailureType.TASK_FAILED:
      return 'FAILED';
    case TaskFailureType.TASK_TIMED_OUT:
      return 'TIMEDOUT';
    case TaskFailureType.TASK_INVALID:
      return 'INVALID';
    default:
      return 'INTERNAL_ERROR';
  }
}

/** Activity interceptors that write the start and end of every `runTaskAttempt` to `write` (one line each). */
export function attemptLogInterceptors(write: (line: string) => void): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        if (ctx.info.activityType !== 'runTaskAttempt') return next(input);
        const attempt = input.args[0] as TaskAttemptInput;
        const fields = {
          run_id: attempt.runId,
          ...(attempt.jobId !== undefined ? { job_id: attempt.jobId } : {}),
          task_key: attempt.task.task_key,
          task_run_id: attempt.taskRunId,
          attempt_number: attempt.attemptNumber,
          // Temporal's own attempt of this activity: above 1 after a lost worker.
          delivery: ctx.info.attempt,
        };
        const started = Date.now();
        write(JSON.stringify({ time: new Date(started).toISOString(), event: 'attempt_started', ...fields }));
        const end = (err?: unknown) =>
          write(
            JSON.stringify({
              time: new Date().toISOString(),
              event: 'attempt_ended',
              ...fields,
              duration_ms: Date.now() - started,
              outcome: attemptOutcome(err),
              ...(err !== undefined ? { error: (err as Error).message } : {}),
            })
          );
        try {
          const result = await next(input);
          end();
          return result;
        } catch (err) {
          end(err);
          throw err;
        }
      },
    },
  });
}
