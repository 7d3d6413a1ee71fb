// One task of a run, attempt after attempt: wait out the retry interval, run the attempt (an
// activity, a condition, or a child workflow), report how it ended. The run's state machine
// (spec/run/active-run.ts) decides everything; this module only does what must be Temporal.
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import {
  evaluateCondition,
  resolveTask,
  type AttemptOutcome,
  type AttemptState,
  type Task,
  type TaskAttemptInput,
  type TaskAttemptRecord,
} from '../spec';
import type { TaskActivities } from './definitions';
import { runChildJob, runForEach } from './child-runs';
import { DEFAULT_HEARTBEAT_TIMEOUT_SECONDS, poolOf, type RunContext } from './run-context';

/** Grace on top of a task's own timeout before Temporal's start-to-close timeout fires as a backstop. */
const TIMEOUT_BACKSTOP_SECONDS = 60;
/** Attempts Temporal makes for one task attempt when workers are lost (heartbeat timeouts). */
const LOST_WORKER_ATTEMPTS = 10;

/** Run a launched task until it is finished, interrupted, or deferred to the next execution. */
export async function runTask(ctx: RunContext, task: Task): Promise<void> {
  const { run } = ctx;
  const key = task.task_key;
  let deferred = false;
  try {
    for (;;) {
      if (run.interruption) return run.attemptInterrupted(key, Date.now());
      const delay = run.retryDelay(key, Date.now());
      if (delay > 0) {
        try {
          await sleep(delay, { summary: `retry ${key}` });
        } catch (err) {
          if (!isCancellation(err)) throw err;
          return run.attemptInterrupted(key, Date.now());
        }
      }
      if (run.draining) {
        // The run continues as new: this attempt starts in the next execution.
        deferred = true;
        return;
      }
      const attempt = run.attemptStarted(key, Date.now());
      let outcome: AttemptOutcome;
      try {
        outcome = await runAttempt(ctx, task, attempt);
      } catch (err) {
        if (!isCancellation(err)) throw err;
        return run.attemptInterrupted(key, Date.now());
      }
      if (!run.attemptEnded(key, outcome, Date.now())) return;
    }
  } finally {
    run.taskStopped(key, deferred);
  }
}

async function runAttempt(ctx: RunContext, task: Task, attempt: AttemptState): Promise<AttemptOutcome> {
  if (ctx.references.hasReferences(task)) {
    const resolved = resolveTask(task, ctx.references.context(ctx.run.state, task, attempt));
    if (!resolved.ok) return { end: 'INVALID', message: resolved.error };
    task = resolved.task;
  }
  if (task.run_job_task) return runChildJob(ctx, task, task.run_job_task, attempt);
  if (task.for_each_task) return runForEach(ctx, task, task.for_each_task, attempt);
  if (task.condition_task) {
    const c = task.condition_task;
    const result = evaluateCondition(c.op, c.left, c.right);
    if (!result.ok) return { end: 'INVALID', message: result.error };
    return { end: 'SUCCESS', message: '', conditionOutcome: result.outcome };
  }
  const timeout = task.timeout_seconds ?? 0;
  const acts = proxyActivities<TaskActivities>({
    taskQueue: ctx.taskQueues.get(task.task_key),
    startToCloseTimeout: timeout > 0 ? `${timeout + TIMEOUT_BACKSTOP_SECONDS}s` : '3650 days',
    heartbeatTimeout: `${ctx.options.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS}s`,
    retry: {
      maximumAttempts: LOST_WORKER_ATTEMPTS,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      // The task's own failures and timeouts are final for this attempt: the workflow decides retries.
      nonRetryableErrorTypes: ['TaskFailed', 'TaskTimedOut', 'TaskInvalid', 'TemporalTimeout:StartToClose'],
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: attempt.attempt_number === 0 ? task.task_key : `${task.task_key} (retry ${attempt.attempt_number})`,
  });
  const attemptInput: TaskAttemptInput = {
    runId: ctx.runId,
    ...(ctx.input.jobId !== undefined ? { jobId: ctx.input.jobId } : {}),
    jobName: ctx.run.state.run_name,
    taskRunId: attempt.run_id,
    attemptNumber: attempt.attempt_number,
    task,
    jobParameters: ctx.jobParameters,
    upstreamTaskValues: ctx.run.upstreamValues(task),
  };
  // A worker pool with a global cap on running tasks: take one of its slots first.
  const pool = poolOf(ctx, task);
  const holder = `${ctx.info.workflowId}#${attempt.run_id}`;
  if (pool) {
    ctx.run.waitingForPool(
      task.task_key,
      `Waiting for a free slot in worker pool "${pool.name}" (${pool.limit} tasks at once).`
    );
    const d = await ctx.slots.acquire(pool.gateId, { workflowId: holder, limit: pool.limit, queue: true });
    if (d === 'EXPIRED' || d.verdict !== 'GRANTED')
      return { end: 'INVALID', message: `Worker pool "${pool.name}" runs no tasks (its cap is ${pool.limit}).` };
    ctx.run.poolSlotGranted(task.task_key, Date.now());
  }
  try {
    const record = await acts.runTaskAttempt(attemptInput);
    return { end: 'SUCCESS', record, message: '' };
  } catch (err) {
    if (isCancellation(err)) throw err;
    return classifyFailure(err);
  } finally {
    if (pool) await CancellationScope.nonCancellable(() => ctx.slots.release(pool.gateId, holder));
  }
}

/** Turn an activity failure into the attempt's outcome; names, not classes, cross the sandbox. */
function classifyFailure(err: unknown): AttemptOutcome {
  const cause = (err as { cause?: unknown }).cause as
    { name?: string; type?: string; message?: string; details?: unknown[]; timeoutType?: unknown } | undefined;
  if (cause?.name === 'ApplicationFailure') {
    const record = cause.details?.[0] as TaskAttemptRecord | undefined;
    const message = record?.errorMessage ?? cause.message ?? 'Task failed.';
    switch (cause.type) {
      case 'TaskFailed':
        return { end: 'FAILED', ...(record ? { record } : {}), message: 'Workload failed, see run output for details' };
      case 'TaskTimedOut':
        return { end: 'TIMEDOUT', ...(record ? { record } : {}), message };
      case 'TaskInvalid':
        return { end: 'INVALID', ...(record ? { record } : {}), message };
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
    message: `Internal error while running the task: ${String((err as Error)?.message ?? err)}`,
  };
}
