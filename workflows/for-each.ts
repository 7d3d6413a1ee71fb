// for_each_task: the iterations of one for_each task run in this child workflow, so that even
// 10,000 inputs leave the parent's history small. Each iteration is one task run with its own
// retries (the nested task's policy); at most `concurrency` run at once; the child continues as
// new when Temporal suggests it, carrying only counts and the failures.
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  resolveTask,
  retryDelayMillis,
  runIdFromString,
  shouldRetry,
  type AttemptEnd,
  type ForEachStats,
  type JsonValue,
  type ReferenceContext,
  type Task,
} from '../core';
import type { TaskActivities } from './definitions';
import { slotClient } from './slots';
import { classifyTaskFailure, taskAttemptActivityOptions } from './task-attempt-options';

export interface ForEachInput {
  runId: number;
  jobId?: number;
  jobName: string;
  /** The for_each task's key and this attempt's task run id. */
  taskKey: string;
  taskRunId: number;
  inputs: JsonValue[];
  concurrency: number;
  task: Task;
  jobParameters: Record<string, string>;
  upstreamTaskValues: Record<string, Record<string, JsonValue>>;
  references: Omit<ReferenceContext, 'task' | 'input'>;
  heartbeatTimeoutSeconds: number;
  taskQueue: string;
  /** The worker pool's global task cap, when it has one: each iteration attempt takes a slot. */
  pool?: { name: string; limit: number; gateId: string };
  /** Carried across continue-as-new. */
  progress?: ForEachProgress;
}

export interface ForEachProgress {
  next: number;
  succeeded: number;
  failed: number;
  /** The first failures (index and error), at most 20. */
  failures: { index: number; error: string }[];
}

export interface ForEachResult {
  stats: ForEachStats;
  failures: { index: number; error: string }[];
}

const MAX_FAILURES_KEPT = 20;

export async function forEachRun(input: ForEachInput): Promise<ForEachResult> {
  // Only iterations in a capped worker pool talk to a slot gate (older inputs have no pool).
  const slots = input.pool ? slotClient() : undefined;
  const p: ForEachProgress = input.progress ?? { next: 0, succeeded: 0, failed: 0, failures: [] };
  let active = 0;
  let draining = false;
  const total = input.inputs.length;
  const stats = (): ForEachStats => ({
    total_iterations: total,
    scheduled_iterations: total - p.next,
    active_iterations: active,
    completed_iterations: p.succeeded + p.failed,
    succeeded_iterations: p.succeeded,
    failed_iterations: p.failed,
  });
  const publish = () => {
    const s = stats();
    setCurrentDetails(
      `**for_each ${input.taskKey}** of run ${input.runId}\n\n| total | active | succeeded | failed | waiting |\n|---|---|---|---|---|\n| ${s.total_iterations} | ${s.active_iterations} | ${s.succeeded_iterations} | ${s.failed_iterations} | ${s.scheduled_iterations} |`
    );
  };

  const acts = (attempt: number, index: number) =>
    proxyActivities<TaskActivities>(
      taskAttemptActivityOptions({
        taskQueue: input.taskQueue,
        timeoutSeconds: input.task.timeout_seconds,
        heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds,
        summary: `${input.taskKey} [${index}]${attempt > 0 ? ` (retry ${attempt})` : ''}`,
      })
    );

  /** One iteration, with the nested task's retries. */
  async function iteration(index: number): Promise<{ ok: boolean; error?: string }> {
    let lastError = '';
    for (let attempt = 0; ; attempt++) {
      const runId = runIdFromString(`${input.taskRunId}/${index}/${attempt}`);
      const resolved = resolveTask(input.task, {
        ...input.references,
        task: { name: input.task.task_key, runId, executionCount: attempt + 1 },
        input: input.inputs[index]!,
      });
      if (!resolved.ok) return { ok: false, error: resolved.error };
      let end: AttemptEnd;
      const holder = `${workflowInfo().workflowId}#${index}-${attempt}`;
      if (input.pool) {
        const d = await slots!.acquire(input.pool.gateId, { workflowId: holder, limit: input.pool.limit, queue: true });
        if (d === 'EXPIRED' || d.verdict !== 'GRANTED')
          return {
            ok: false,
            error: `Worker pool "${input.pool.name}" runs no tasks (its cap is ${input.pool.limit}).`,
          };
      }
      const start = Date.now();
      try {
        await acts(attempt, index).runTaskAttempt({
          runId: input.runId,
          ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
          jobName: input.jobName,
          taskRunId: runId,
          attemptNumber: attempt,
          // The iteration's logs go to logs/run-<id>/<for_each key>/iteration-<n>/attempt-<a>.log.
          task: { ...resolved.task, task_key: `${input.taskKey}/iteration-${index}` },
          jobParameters: input.jobParameters,
          upstreamTaskValues: input.upstreamTaskValues,
        });
        return { ok: true };
      } catch (err) {
        if (isCancellation(err)) throw err;
        const outcome = classifyTaskFailure(err);
        // An iteration has no task run of its own to show: keep the task's error, not the summary.
        lastError = outcome.record?.errorMessage ?? outcome.message;
        end = outcome.end;
      } finally {
        const pool = input.pool;
        if (pool) await CancellationScope.nonCancellable(() => slots!.release(pool.gateId, holder));
      }
      if (!shouldRetry(input.task, end, attempt)) return { ok: false, error: lastError };
      const delay = retryDelayMillis(input.task, start, Date.now());
      if (delay > 0) await sleep(delay, { summary: `retry ${input.taskKey} [${index}]` });
    }
  }

  const concurrency = Math.max(1, Math.min(100, input.concurrency));
  let crash: Error | undefined;
  while (p.next < total || active > 0) {
    if (crash) throw crash;
    while (!draining && active < concurrency && p.next < total) {
      const index = p.next++;
      active++;
      void iteration(index).then(
        (r) => {
          active--;
          if (r.ok) p.succeeded++;
          else {
            p.failed++;
            if (p.failures.length < MAX_FAILURES_KEPT) p.failures.push({ index, error: r.error ?? 'failed' });
          }
        },
        (err: unknown) => {
          active--;
          // Cancellation ends the loop below; anything else is a bug that must fail loudly.
          if (!isCancellation(err))
            crash ??= err instanceof Error ? err : new Error('an iteration crashed', { cause: err });
        }
      );
    }
    publish();
    const before = p.succeeded + p.failed;
    await condition(() => p.succeeded + p.failed !== before || (draining && active === 0) || crash !== undefined);
    if (!draining && workflowInfo().continueAsNewSuggested) draining = true;
    if (draining && active === 0 && p.next < total) {
      await continueAsNew<typeof forEachRun>({ ...input, progress: p });
    }
  }
  publish();
  return { stats: stats(), failures: p.failures };
}
