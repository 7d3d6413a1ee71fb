// One task of a run, attempt after attempt: wait out the retry interval, run the attempt (an
// activity, a condition, or a child workflow), report how it ended. The run's state machine
// (core/run/active-run.ts) decides everything; this module only does what must be Temporal.
import { CancellationScope, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import {
  attemptRuntime,
  evaluateCondition,
  resolveTask,
  type AttemptOutcome,
  type AttemptState,
  type Task,
  type TaskAttemptRecord,
} from '../core/model';
import type { TaskActivities } from './definitions';
import { runChildJob, runForEach } from './child-runs';
import { poolOf, type RunContext } from './run-context';
import { classifyTaskFailure, taskAttemptActivityOptions } from './task-attempt-options';
import { isPatched } from './patches';

/**
 * patched() id of retry intervals that pass on the workflow's clock too (from the failed attempt's
 * start as the workflow saw it, or as its worker reported it if later), where runs before it
 * counted from the worker's report alone.
 */
export const RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH = 'retry-interval-workflow-clock';

/**
 * Launch tasks in `scope`, each running until it is finished, interrupted, or deferred to the
 * next execution. One `scope.run` for all the tasks launched together, and no promise per task
 * beyond those its attempt needs: the SDK captures a stack trace for every promise a workflow
 * creates (for its stack-trace query), which made promises the largest cost per task of a wide
 * fan-out. A task runner that fails with anything but a cancellation reports it to `crashed`.
 */
export function launchTasks(
  ctx: RunContext,
  scope: CancellationScope,
  tasks: readonly Task[],
  crashed: (err: unknown) => void
): void {
  if (tasks.length === 0) return;
  scope
    .run(async () => {
      for (const task of tasks) void runTask(ctx, task, crashed);
    })
    .catch(crashed);
}

async function runTask(ctx: RunContext, task: Task, crashed: (err: unknown) => void): Promise<void> {
  const { run } = ctx;
  const key = task.task_key;
  let deferred = false;
  try {
    for (;;) {
      if (run.interruption) return run.attemptInterrupted(key, Date.now());
      const delay = run.retryDelay(key, Date.now(), () => isPatched(RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH));
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
  } catch (err) {
    crashed(err);
  } finally {
    run.taskStopped(key, deferred);
  }
}

/**
 * One attempt of a task. An attempt that is only the task-attempt activity (most tasks) is read
 * with one `then`, not through async functions: fewer promises. It takes as many microtask turns
 * as the async path did (two until the task runner sees the outcome), so the order of commands
 * within an activation is what it was; every other kind of attempt keeps the async path.
 */
function runAttempt(ctx: RunContext, task: Task, attempt: AttemptState): Promise<AttemptOutcome> | AttemptOutcome {
  if (ctx.identityRefused !== undefined) return { end: 'INVALID', message: ctx.identityRefused };
  if (ctx.references.hasReferences(task)) {
    const resolved = resolveTask(task, ctx.references.context(ctx.run.state, task, attempt));
    if (!resolved.ok) return { end: 'INVALID', message: resolved.error };
    task = resolved.task;
  }
  ctx.run.attemptResolved(task.task_key, task);
  if (task.run_job_task || task.for_each_task || task.condition_task || poolOf(ctx, task))
    return runOtherAttempt(ctx, task, attempt);
  return startActivity(ctx, task, attempt).then(activitySucceeded, activityFailed);
}

/**
 * How the task-attempt activity ended, as an attempt's outcome: plain functions, not an async
 * wrapper, so both paths keep their own microtask turns (and so their command order) unchanged.
 */
const activitySucceeded = (record: TaskAttemptRecord): AttemptOutcome => ({ end: 'SUCCESS', record, message: '' });

/** A cancellation is rethrown: the task runner records the attempt as interrupted. */
function activityFailed(err: unknown): AttemptOutcome {
  if (isCancellation(err)) throw err;
  return classifyTaskFailure(err);
}

async function runOtherAttempt(ctx: RunContext, task: Task, attempt: AttemptState): Promise<AttemptOutcome> {
  if (task.run_job_task) return runChildJob(ctx, task, task.run_job_task, attempt);
  if (task.for_each_task) return runForEach(ctx, task, task.for_each_task, attempt);
  if (task.condition_task) {
    const c = task.condition_task;
    const result = evaluateCondition(c.op, c.left, c.right);
    if (!result.ok) return { end: 'INVALID', message: result.error };
    return { end: 'SUCCESS', message: '', conditionOutcome: result.outcome };
  }
  // A worker pool with a global cap on running tasks: take one of its slots first.
  const pool = poolOf(ctx, task)!;
  const holder = `${ctx.info.workflowId}#${attempt.run_id}`;
  ctx.run.waitingForPool(
    task.task_key,
    `Waiting for a free slot in worker pool "${pool.name}" (${pool.limit} tasks at once).`
  );
  const d = await ctx.slots.acquire(pool.gateId, { workflowId: holder, limit: pool.limit, queue: true });
  if (d === 'EXPIRED' || d.verdict !== 'GRANTED')
    return { end: 'INVALID', message: `Worker pool "${pool.name}" runs no tasks (its cap is ${pool.limit}).` };
  ctx.run.poolSlotGranted(task.task_key, Date.now());
  try {
    return activitySucceeded(await startActivity(ctx, task, attempt));
  } catch (err) {
    return activityFailed(err);
  } finally {
    await CancellationScope.nonCancellable(() => ctx.slots.release(pool.gateId, holder));
  }
}

/** Schedule the task-attempt activity: its command is issued at once, before anything is awaited. */
function startActivity(ctx: RunContext, task: Task, attempt: AttemptState): Promise<TaskAttemptRecord> {
  const acts = proxyActivities<TaskActivities>(
    taskAttemptActivityOptions({
      taskQueue: ctx.taskQueues.get(task.task_key),
      timeoutSeconds: task.timeout_seconds,
      heartbeatTimeoutSeconds: ctx.options.heartbeatTimeoutSeconds,
      summary: attempt.attempt_number === 0 ? task.task_key : `${task.task_key} (retry ${attempt.attempt_number})`,
    })
  );
  return acts.runTaskAttempt({
    runId: ctx.runId,
    ...(ctx.input.jobId !== undefined ? { jobId: ctx.input.jobId } : {}),
    jobName: ctx.run.state.run_name,
    taskRunId: attempt.run_id,
    attemptNumber: attempt.attempt_number,
    task,
    jobParameters: ctx.jobParameters,
    upstreamTaskValues: ctx.run.upstreamValues(task),
    ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
    ...attemptRuntime(ctx.run.state, task),
  });
}
