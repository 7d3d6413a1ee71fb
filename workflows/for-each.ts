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
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ForEachIterations,
  forEachDetails,
  resolveTask,
  retryDelayMillis,
  runIdFromString,
  shouldRetry,
  type AttemptEnd,
  type ForEachProgress,
  type ForEachStats,
  type JsonValue,
  type ReferenceContext,
  type RunAsIdentity,
  type Task,
  type TaskAttemptInput,
} from '../core/model';
import { getForEachIterationsQuery, type TaskActivities } from './definitions';
import { decidePatches } from './patches';
import { SLOT_RELEASE_PATCH, slotClient } from './slots';
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
  /** Who the run acts as, as its parent opened it from its sealed identity. */
  runAs?: RunAsIdentity;
  /** The nested task's environment, variables and Git checkout (absent when it needs none). */
  attemptRuntime?: Pick<TaskAttemptInput, 'runtime' | 'git'>;
  references: Omit<ReferenceContext, 'task' | 'input'>;
  heartbeatTimeoutSeconds: number;
  taskQueue: string;
  /** The worker pool's global task cap, when it has one: each iteration attempt takes a slot. */
  pool?: { name: string; limit: number; gateId: string };
  /** Carried across continue-as-new. */
  progress?: ForEachProgress;
}

export interface ForEachResult {
  stats: ForEachStats;
  failures: { index: number; error: string }[];
}

/** The for_each child: hands out iterations as `ForEachIterations` (core/run/for-each.ts) decides. */
export async function forEachRun(input: ForEachInput): Promise<ForEachResult> {
  decidePatches([SLOT_RELEASE_PATCH]);
  const iterations = new ForEachIterations(input.inputs.length, input.concurrency, input.progress);
  setHandler(getForEachIterationsQuery, () => iterations.view());
  const publish = () => setCurrentDetails(forEachDetails(input.taskKey, input.runId, iterations.stats()));
  const iteration = iterationRunner(input, (index, attempt) => iterations.attemptStarted(index, attempt, Date.now()));
  let crash: Error | undefined;
  while (!iterations.done) {
    if (crash) throw crash;
    for (const index of iterations.launch()) {
      void iteration(index).then(
        (r) => iterations.ended(index, r),
        (err: unknown) => {
          iterations.stopped(index);
          // Cancellation ends the loop below; anything else is a bug that must fail loudly.
          if (!isCancellation(err))
            crash ??= err instanceof Error ? err : new Error('an iteration crashed', { cause: err });
        }
      );
    }
    publish();
    const before = iterations.completed;
    await condition(() => iterations.completed !== before || iterations.drained || crash !== undefined);
    if (!iterations.draining && workflowInfo().continueAsNewSuggested) iterations.drain();
    if (iterations.mustContinue) await continueAsNew<typeof forEachRun>({ ...input, progress: iterations.progress() });
  }
  publish();
  return { stats: iterations.stats(), failures: iterations.failures() };
}

type IterationResult = { ok: true } | { ok: false; error: string };

/** One iteration, with the nested task's retries; `started` hears of each attempt as it starts. */
function iterationRunner(
  input: ForEachInput,
  started: (index: number, attempt: number) => void
): (index: number) => Promise<IterationResult & { attempt: number }> {
  // Only iterations in a capped worker pool talk to a slot gate (older inputs have no pool).
  const slots = input.pool ? slotClient() : undefined;
  const acts = (attempt: number, index: number) =>
    proxyActivities<TaskActivities>(
      taskAttemptActivityOptions({
        taskQueue: input.taskQueue,
        timeoutSeconds: input.task.timeout_seconds,
        heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds,
        summary: `${input.taskKey} [${index}]${attempt > 0 ? ` (retry ${attempt})` : ''}`,
      })
    );

  /** One attempt of an iteration: how it ended, or the reason it could not run. */
  async function attemptOnce(
    index: number,
    attempt: number
  ): Promise<IterationResult | { end: AttemptEnd; error: string; start: number }> {
    const runId = runIdFromString(`${input.taskRunId}/${index}/${attempt}`);
    const resolved = resolveTask(input.task, {
      ...input.references,
      task: { name: input.task.task_key, runId, executionCount: attempt + 1 },
      input: input.inputs[index]!,
    });
    if (!resolved.ok) return { ok: false, error: resolved.error };
    const holder = `${workflowInfo().workflowId}#${index}-${attempt}`;
    const pool = input.pool;
    if (pool) {
      const d = await slots!.acquire(pool.gateId, { workflowId: holder, limit: pool.limit, queue: true });
      if (d === 'EXPIRED' || d.verdict !== 'GRANTED')
        return { ok: false, error: `Worker pool "${pool.name}" runs no tasks (its cap is ${pool.limit}).` };
    }
    const start = Date.now();
    started(index, attempt);
    try {
      await acts(attempt, index).runTaskAttempt({
        runId: input.runId,
        ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
        jobName: input.jobName,
        taskRunId: runId,
        attemptNumber: attempt,
        // The iteration's logs go to logs/run-<id>/<for_each key>/iteration-<n>/<its run id>.log.
        task: { ...resolved.task, task_key: `${input.taskKey}/iteration-${index}` },
        jobParameters: input.jobParameters,
        upstreamTaskValues: input.upstreamTaskValues,
        ...(input.runAs ? { runAs: input.runAs } : {}),
        ...input.attemptRuntime,
      });
      return { ok: true };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const outcome = classifyTaskFailure(err);
      // An iteration has no task run of its own to show: keep the task's error, not the summary.
      return { end: outcome.end, error: outcome.record?.errorMessage ?? outcome.message, start };
    } finally {
      if (pool) await CancellationScope.nonCancellable(() => slots!.release(pool.gateId, holder));
    }
  }

  return async (index) => {
    for (let attempt = 0; ; attempt++) {
      const r = await attemptOnce(index, attempt);
      if ('ok' in r) return { ...r, attempt };
      if (!shouldRetry(input.task, r.end, attempt)) return { ok: false, error: r.error, attempt };
      const delay = retryDelayMillis(input.task, r.start, Date.now());
      if (delay > 0) await sleep(delay, { summary: `retry ${input.taskKey} [${index}]` });
    }
  };
}
