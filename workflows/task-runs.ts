// One task of a run, attempt after attempt: wait out the retry interval, run the attempt (an
// activity, a condition, or a child workflow), report how it ended. The run's state machine
// (core/run/active-run.ts) decides everything; this module only does what must be Temporal.
import { CancellationScope, isCancellation, patched, proxyActivities, sleep } from '@temporalio/workflow';
import {
  evaluateCondition,
  resolveTask,
  type AttemptOutcome,
  type AttemptState,
  type Task,
  type TaskAttemptInput,
} from '../core';
import type { TaskActivities } from './definitions';
import { runChildJob, runForEach } from './child-runs';
import { poolOf, type RunContext } from './run-context';
import { classifyTaskFailure, taskAttemptActivityOptions } from './task-attempt-options';

/**
 * patched() id of retry intervals that pass on the workflow's clock too (from the failed attempt's
 * start as the workflow saw it, or as its worker reported it if later), where runs before it
 * counted from the worker's report alone.
 */
const RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH = 'retry-interval-workflow-clock';

/** Run a launched task until it is finished, interrupted, or deferred to the next execution. */
export async function runTask(ctx: RunContext, task: Task): Promise<void> {
  const { run } = ctx;
  const key = task.task_key;
  let deferred = false;
  try {
    for (;;) {
      if (run.interruption) return run.attemptInterrupted(key, Date.now());
      const delay = run.retryDelay(key, Date.now(), () => patched(RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH));
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
      ctx.notifier?.taskStarted(task, attempt);
      let outcome: AttemptOutcome;
      try {
        outcome = await runAttempt(ctx, task, attempt);
      } catch (err) {
        if (!isCancellation(err)) throw err;
        run.attemptInterrupted(key, Date.now());
        ctx.notifier?.taskEnded(task, attempt, false);
        return;
      }
      const retried = run.attemptEnded(key, outcome, Date.now());
      ctx.notifier?.taskEnded(task, attempt, retried);
      if (!retried) return;
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
  const acts = proxyActivities<TaskActivities>(
    taskAttemptActivityOptions({
      taskQueue: ctx.taskQueues.get(task.task_key),
      timeoutSeconds: task.timeout_seconds,
      heartbeatTimeoutSeconds: ctx.options.heartbeatTimeoutSeconds,
      summary: attempt.attempt_number === 0 ? task.task_key : `${task.task_key} (retry ${attempt.attempt_number})`,
    })
  );
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
    return classifyTaskFailure(err);
  } finally {
    if (pool) await CancellationScope.nonCancellable(() => ctx.slots.release(pool.gateId, holder));
  }
}
