// The generic interpreter: one workflow execution is one Databricks job run. It drives the pure
// DAG state machine in spec/dag (what is ready, what is skipped, what the run's result is) and
// runs each task attempt as one activity with the task's own timeout. Determinism rules apply:
// no I/O, no wall clock other than Temporal's, iteration in spec order only.
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  executeChild,
  continueAsNew,
  patched,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  RunResultState,
  TaskResultState,
  WAITING_FOR_UPSTREAM,
  evaluateCondition,
  resolveJobParameters,
  resolveTask,
  type ReferenceContext,
  type TaskReferenceFacts,
  allTerminal,
  ancestorsOf,
  clusterTaskQueue,
  initialProgress,
  isTerminal,
  latestAttempt,
  nextSteps,
  retryDelayMillis,
  runDetailsMarkdown,
  runIdFromString,
  runOutcome,
  shouldRetry,
  taskRunId,
  toDatabricksRun,
  type SlotDecision,
  type AttemptState,
  type JobSettings,
  type JsonValue,
  type Progress,
  type RunInterruption,
  type RunState,
  type Task,
  type TaskAttemptInput,
} from '../spec';
import {
  RunFailureType,
  getRunQuery,
  getRunStateQuery,
  jobGateWorkflowId,
  pauseSignal,
  poolGateWorkflowId,
  resumeSignal,
  type JobRunInput,
  type PlanningActivities,
  type TaskActivities,
} from './definitions';
import {
  DjobsJobId,
  DjobsJobName,
  DjobsQueued,
  DjobsResultState,
  DjobsRunId,
  DjobsTrigger,
  MEMO_ADMISSION,
  TemporalScheduledStartTime,
} from './search-attributes';
import { forEachRun } from './for-each';
import { slotClient } from './slots';
import {
  DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
  classifyTaskFailure,
  taskAttemptActivityOptions,
  type AttemptOutcome,
} from './task-attempt-options';

const DEFAULT_MAX_PARALLEL_TASKS = 100;
const MAX_PARALLEL_TASKS_LIMIT = 1000;
/** patched() id of continue-as-new when Temporal suggests it (absent from older histories). */
const CONTINUE_AS_NEW_PATCH = 'continue-as-new-when-suggested';
/** Log tails kept in a run's state (and so in its history, result and continue-as-new input). */
const LOG_TAIL_BUDGET_BYTES = 512 * 1024;
const SHORT_TAIL_CHARS = 256;
/** patched() id of admission through the job's slot gate (max_concurrent_runs and its queue). */
const CONCURRENCY_GATE_PATCH = 'job-concurrency-gate';
/** patched() id of the worker-pool task caps (a local activity reads them as the run starts). */
const POOL_CAPS_PATCH = 'worker-pool-task-caps';
/**
 * patched() id of marking admission for listings: clients start a job run marked DjobsQueued and
 * PENDING (memo); the run marks itself QUEUED when queued and clears the mark once admitted, so a
 * listing never shows RUNNING before the gate admits it.
 */
const ADMISSION_MARK_PATCH = 'run-marked-until-admitted';
/** Databricks keeps a run queued for at most 48 hours. */
const MAX_QUEUED_MS = 48 * 3600 * 1000;

export async function jobRun(input: JobRunInput): Promise<RunState> {
  const info = workflowInfo();
  const runId = input.runId ?? runIdFromString(info.workflowId);
  const settings = input.settings;
  const tasks = settings.tasks;
  const byKey = new Map(tasks.map((t) => [t.task_key, t]));
  const options = input.options ?? {};
  // Far below Temporal's 2,000 pending activities per workflow, whatever the configuration says.
  const maxParallel = Math.min(
    MAX_PARALLEL_TASKS_LIMIT,
    Math.max(1, options.maxParallelTasks ?? DEFAULT_MAX_PARALLEL_TASKS)
  );
  const rawParameters: Record<string, string> = {};
  for (const p of settings.parameters ?? []) rawParameters[p.name] = p.default;
  Object.assign(rawParameters, input.jobParameters ?? {});
  const continued = input.continued;
  const startTime = continued?.state.start_time ?? Date.now();
  const trigger = input.trigger ?? 'ONE_TIME';
  const jobFacts: ReferenceContext['job'] = {
    ...(input.jobId !== undefined ? { id: input.jobId } : {}),
    name: input.runName ?? settings.name ?? 'Untitled',
    runId,
    repairCount: input.repair ? (input.repair.previous.repair_history?.length ?? 1) : 0,
    startTime,
    triggerType: trigger,
    triggerTime:
      input.triggerTime ?? info.typedSearchAttributes.get(TemporalScheduledStartTime)?.getTime() ?? startTime,
    ...(input.triggerInfo?.file_arrival ? { fileArrival: input.triggerInfo.file_arrival } : {}),
    ...(input.triggerInfo?.model ? { modelUpdates: input.triggerInfo.model.updates } : {}),
    parameters: rawParameters,
  };
  // Parameter values may hold references such as {{job.start_time.iso_date}}: resolve them once.
  const jobParameters =
    continued?.state.job_parameters ?? resolveJobParameters(rawParameters, { job: jobFacts, tasks: {} });
  jobFacts.parameters = jobParameters;

  const state: RunState = continued?.state ?? {
    run_id: runId,
    ...(input.jobId !== undefined ? { job_id: input.jobId } : {}),
    run_name: input.runName ?? settings.name ?? 'Untitled',
    run_type: input.runType ?? 'JOB_RUN',
    trigger,
    ...(input.triggerInfo ? { trigger_info: input.triggerInfo } : {}),
    settings,
    job_parameters: jobParameters,
    start_time: startTime,
    end_time: 0,
    paused: false,
    state_message: '',
    userCanceledOrTimedOut: false,
    tasks: {},
    // A new job run waits for its job's gate before anything runs (see admit()).
    ...(input.jobId !== undefined && !input.repair ? { awaiting_admission: true } : {}),
  };
  if (!input.repair && !continued)
    tasks.forEach((t, i) => {
      state.tasks[t.task_key] = {
        task_key: t.task_key,
        attempts: [
          {
            run_id: taskRunId(runId, i + 1),
            attempt_number: 0,
            phase: 'PENDING',
            state_message: (t.depends_on?.length ?? 0) > 0 ? WAITING_FOR_UPSTREAM : 'Waiting to start.',
            start_time: 0,
            end_time: 0,
          },
        ],
      };
    });
  let sequence = continued?.sequence ?? tasks.length;
  let tailBytes = 0;
  for (const t of Object.values(state.tasks)) for (const a of t.attempts) tailBytes += a.logTail?.length ?? 0;
  const progress: Progress = continued?.progress ?? initialProgress(tasks);
  if (input.repair && !continued)
    sequence = restoreForRepair(state, progress, input.repair, tasks, runId, () => Date.now());
  const ready: string[] = [];
  let running = 0;
  let changed = true;
  let interruption: RunInterruption;
  /** Set when Temporal suggests continue-as-new: no attempt starts, running ones finish, then the run continues in a fresh history. */
  let draining = false;
  const markChanged = () => {
    changed = true;
  };

  setHandler(pauseSignal, () => {
    state.paused = true;
    markChanged();
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    markChanged();
  });
  setHandler(getRunQuery, () => toDatabricksRun(state, Date.now()));
  setHandler(getRunStateQuery, () => state);

  if (input.runId === undefined) upsertSearchAttributes([{ key: DjobsRunId, value: runId }]);
  const slots = slotClient();

  // max_concurrent_runs: a new run of a job waits for (or is refused) a slot from the job's gate;
  // a continued run keeps the slot it had, a repair takes none.
  let holdsSlot = continued?.holdsSlot ?? false;
  let skipped: Extract<SlotDecision, { verdict: 'SKIPPED' }> | undefined;
  if (input.jobId !== undefined && !input.repair && !continued && patched(CONCURRENCY_GATE_PATCH)) {
    try {
      const decision = await admit(input.jobId);
      if (decision.verdict === 'GRANTED') holdsSlot = true;
      else skipped = decision;
    } catch (err) {
      if (!isCancellation(err)) throw err;
      interruption = 'CANCELED';
    }
  }

  // Worker pools with a global cap on running tasks (DJOBS_POOL_MAX_TASKS of the workers).
  const poolLimits: Record<string, number> =
    !skipped && !interruption && patched(POOL_CAPS_PATCH)
      ? await proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' }).poolLimits()
      : {};
  // A run that never starts (skipped, or canceled while queued) needs no routing.
  const taskQueues =
    skipped || interruption
      ? new Map<string, string>()
      : await planTaskQueues(tasks, options.taskQueue ?? info.taskQueue);

  // Task activities run in their own scope so that the job timeout can cancel them all while the
  // workflow itself goes on to record the outcome.
  const tasksScope = new CancellationScope();

  // The job timeout counts from the start of this execution (a repair has a timeout of its own),
  // across continue-as-new.
  const timeoutBase = continued?.timeoutBase ?? Date.now();
  if (settings.timeout_seconds) {
    sleep(Math.max(1, timeoutBase + settings.timeout_seconds * 1000 - Date.now()), {
      summary: 'job timeout_seconds',
    }).then(
      () => {
        interruption ??= 'TIMEDOUT';
        tasksScope.cancel();
        markChanged();
      },
      () => undefined // the run ended or was canceled first
    );
  }

  const ancestors = new Map<string, string[]>();
  // Most jobs set no task values: then there is nothing to look up. Known once from the carried
  // state (repair, continue-as-new), then kept current where a success records its values.
  let anyTaskValues = Object.values(state.tasks).some((t) => t.taskValues && Object.keys(t.taskValues).length > 0);
  const upstreamValues = (task: Task): Record<string, Record<string, JsonValue>> => {
    const values: Record<string, Record<string, JsonValue>> = {};
    if (!anyTaskValues) return values;
    let keys = ancestors.get(task.task_key);
    if (!keys) ancestors.set(task.task_key, (keys = ancestorsOf(tasks, task.task_key)));
    for (const k of keys) {
      const v = state.tasks[k]?.taskValues;
      if (v && Object.keys(v).length > 0) values[k] = v;
    }
    return values;
  };

  const withReferences = new Map<string, boolean>();
  /** Building a reference context is O(tasks): skip it for tasks that contain no `{{`. */
  const hasReferences = (task: Task): boolean => {
    let has = withReferences.get(task.task_key);
    if (has === undefined) withReferences.set(task.task_key, (has = JSON.stringify(task).includes('{{')));
    return has;
  };

  const referencedTasks = new Map<string, Task[]>();
  /** The tasks a task's `{{tasks.<key>.…}}` references name (cached: facts cost O(tasks) otherwise). */
  const tasksReferencedBy = (task: Task): Task[] => {
    let found = referencedTasks.get(task.task_key);
    if (!found) {
      const keys = new Set([...JSON.stringify(task).matchAll(/tasks\.`?([\w-]+)`?\./g)].map((m) => m[1]!));
      found = [...keys].map((k) => byKey.get(k)).filter((t): t is Task => t !== undefined);
      referencedTasks.set(task.task_key, found);
    }
    return found;
  };

  /** What `{{tasks.*}}` and `{{task.*}}` references see when an attempt starts. */
  function referenceContext(task: Task, attempt: AttemptState): ReferenceContext {
    const facts: Record<string, TaskReferenceFacts> = {};
    for (const t of tasksReferencedBy(task)) {
      const tr = state.tasks[t.task_key]!;
      const last = latestAttempt(tr);
      const ran = tr.attempts.filter((a) => a.start_time > 0).length;
      if (ran === 0 && !last.result) continue;
      facts[t.task_key] = {
        runId: last.run_id,
        ...(last.result ? { resultState: last.result.toLowerCase() } : {}),
        ...(last.result && last.result !== TaskResultState.SUCCESS && last.result !== TaskResultState.EXCLUDED
          ? { errorCode: last.internalError ? 'INTERNAL_ERROR' : last.result }
          : {}),
        executionCount: ran,
        ...(t.notebook_task ? { notebookPath: t.notebook_task.notebook_path } : {}),
        values: tr.taskValues ?? {},
      };
    }
    return {
      job: jobFacts,
      task: {
        name: task.task_key,
        runId: attempt.run_id,
        executionCount: attempt.attempt_number + 1,
        ...(task.notebook_task ? { notebookPath: task.notebook_task.notebook_path } : {}),
      },
      tasks: facts,
    };
  }

  async function runAttempt(task: Task, attempt: AttemptState): Promise<AttemptOutcome> {
    if (hasReferences(task)) {
      const resolved = resolveTask(task, referenceContext(task, attempt));
      if (!resolved.ok) return { end: 'INVALID', message: resolved.error };
      task = resolved.task;
    }
    if (task.run_job_task) return runChildJob(task, task.run_job_task, attempt);
    if (task.for_each_task) return runForEach(task, task.for_each_task, attempt);
    if (task.condition_task) {
      const c = task.condition_task;
      const result = evaluateCondition(c.op, c.left, c.right);
      if (!result.ok) return { end: 'INVALID', message: result.error };
      attempt.conditionOutcome = result.outcome;
      return { end: 'SUCCESS', message: '' };
    }
    const acts = proxyActivities<TaskActivities>(
      taskAttemptActivityOptions({
        taskQueue: taskQueues.get(task.task_key),
        timeoutSeconds: task.timeout_seconds,
        heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
        summary: attempt.attempt_number === 0 ? task.task_key : `${task.task_key} (retry ${attempt.attempt_number})`,
      })
    );
    const attemptInput: TaskAttemptInput = {
      runId,
      ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
      jobName: state.run_name,
      taskRunId: attempt.run_id,
      attemptNumber: attempt.attempt_number,
      task,
      jobParameters,
      upstreamTaskValues: upstreamValues(task),
    };
    // A worker pool with a global cap on running tasks: take one of its slots first.
    const pool = poolOf(task);
    if (pool) {
      attempt.state_message = `Waiting for a free slot in worker pool "${pool.name}" (${pool.limit} tasks at once).`;
      markChanged();
      const d = await slots.acquire(pool.gateId, {
        workflowId: `${info.workflowId}#${attempt.run_id}`,
        limit: pool.limit,
        queue: true,
      });
      if (d === 'EXPIRED' || d.verdict !== 'GRANTED')
        return { end: 'INVALID', message: `Worker pool "${pool.name}" runs no tasks (its cap is ${pool.limit}).` };
      attempt.start_time = Date.now();
      attempt.state_message = '';
      markChanged();
    }
    try {
      const record = await acts.runTaskAttempt(attemptInput);
      return { end: 'SUCCESS', record, message: '' };
    } catch (err) {
      if (isCancellation(err)) throw err;
      return classifyTaskFailure(err);
    } finally {
      if (pool)
        await CancellationScope.nonCancellable(() =>
          slots.release(pool.gateId, `${info.workflowId}#${attempt.run_id}`)
        );
    }
  }

  /** The capped worker pool a task's attempts run in, if its pool has a cap. */
  function poolOf(task: Task): { name: string; limit: number; gateId: string } | undefined {
    const queue = taskQueues.get(task.task_key) ?? options.taskQueue ?? info.taskQueue;
    const cluster = clusterOf(task);
    const name = cluster !== undefined && queue === clusterTaskQueue(cluster) ? cluster : 'default';
    const limit = poolLimits[name];
    return limit === undefined ? undefined : { name, limit, gateId: poolGateWorkflowId(queue) };
  }

  /** run_job_task: the other job's current settings run as a child run, linked in the Temporal UI. */
  async function runChildJob(
    task: Task,
    rj: NonNullable<Task['run_job_task']>,
    attempt: AttemptState
  ): Promise<AttemptOutcome> {
    const { loadJobSettings } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });
    const loaded = await loadJobSettings(rj.job_id);
    if ('missing' in loaded) return { end: 'INVALID', message: `Job ${rj.job_id} does not exist.` };
    const childSettings = loaded.settings as JobSettings;
    const childRunId = runIdFromString(`${runId}/${attempt.run_id}`);
    const childName = childSettings.name ?? 'Untitled';
    attempt.childRunId = childRunId;
    markChanged();
    try {
      await executeChild(jobRun, {
        workflowId: `djobs-run-${childRunId}`,
        taskQueue: info.taskQueue,
        args: [
          {
            runId: childRunId,
            jobId: rj.job_id,
            runName: childName,
            settings: childSettings,
            ...(rj.job_parameters ? { jobParameters: rj.job_parameters } : {}),
            trigger: 'RUN_JOB_TASK',
            triggerInfo: { run_id: attempt.run_id },
            runType: 'JOB_RUN',
            options,
          },
        ],
        typedSearchAttributes: [
          { key: DjobsJobId, value: rj.job_id },
          { key: DjobsRunId, value: childRunId },
          { key: DjobsJobName, value: childName },
          { key: DjobsTrigger, value: 'RUN_JOB_TASK' },
        ],
        staticSummary: `${childName} · run ${childRunId} of job ${rj.job_id} · from run ${runId} task ${task.task_key}`,
        // Canceling this run (or its job timeout) cancels the child run and waits for it to stop.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      });
      return { end: 'SUCCESS', message: '' };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const cause = (err as { cause?: { type?: string; message?: string } }).cause;
      return {
        end: 'FAILED',
        message: `Run ${childRunId} of job ${rj.job_id} did not succeed: ${cause?.message ?? String(err)}`,
      };
    }
  }

  /** for_each_task: the iterations run in a child workflow; this task aggregates them. */
  async function runForEach(
    task: Task,
    fe: NonNullable<Task['for_each_task']>,
    attempt: AttemptState
  ): Promise<AttemptOutcome> {
    let inputs: unknown;
    try {
      inputs = JSON.parse(fe.inputs);
    } catch {
      inputs = undefined;
    }
    if (!Array.isArray(inputs)) {
      return {
        end: 'INVALID',
        message: `for_each_task.inputs must be a JSON array, found ${JSON.stringify(fe.inputs.slice(0, 80))}`,
      };
    }
    const ctx = referenceContext(task, attempt);
    const result = await executeChild(forEachRun, {
      workflowId: `djobs-run-${runId}-foreach-${attempt.run_id}`,
      taskQueue: info.taskQueue,
      args: [
        {
          runId,
          ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
          jobName: state.run_name,
          taskKey: task.task_key,
          taskRunId: attempt.run_id,
          inputs: inputs as JsonValue[],
          concurrency: fe.concurrency ?? 1,
          task: fe.task,
          jobParameters,
          upstreamTaskValues: upstreamValues(task),
          references: { job: ctx.job, tasks: ctx.tasks },
          heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
          taskQueue: taskQueues.get(task.task_key) ?? info.taskQueue,
          ...(poolOf(task) ? { pool: poolOf(task)! } : {}),
        },
      ],
      staticSummary: `for_each ${task.task_key} of run ${runId} · ${inputs.length} inputs`,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    attempt.forEachStats = result.stats;
    if (result.stats.failed_iterations === 0) return { end: 'SUCCESS', message: '' };
    const first = result.failures[0];
    return {
      end: 'FAILED',
      message: `${result.stats.failed_iterations} of ${result.stats.total_iterations} iterations failed${first ? `; iteration ${first.index}: ${first.error}` : ''}`,
    };
  }

  function applyOutcome(attempt: AttemptState, outcome: AttemptOutcome): void {
    const r = outcome.record;
    attempt.phase = 'TERMINATED';
    attempt.end_time = r?.endTime ?? Date.now();
    if (r) {
      attempt.start_time = r.startTime;
      attempt.logPath = r.logPath;
      // History keeps only small tails: past the run's budget, keep the last few lines.
      attempt.logTail = tailBytes > LOG_TAIL_BUDGET_BYTES ? r.logTail.slice(-SHORT_TAIL_CHARS) : r.logTail;
      tailBytes += attempt.logTail.length;
      attempt.logTruncated = r.logTruncated;
      if (r.errorMessage) attempt.errorMessage = r.errorMessage;
      if (r.notebookResult !== undefined) attempt.notebookResult = r.notebookResult;
      if (r.containment) attempt.containment = r.containment;
    } else if (outcome.message) {
      attempt.errorMessage = outcome.message;
    }
    switch (outcome.end) {
      case 'SUCCESS':
        attempt.result = TaskResultState.SUCCESS;
        attempt.state_message = '';
        return;
      case 'TIMEDOUT':
        attempt.result = TaskResultState.TIMEDOUT;
        attempt.userCanceledOrTimedOut = true;
        attempt.state_message = outcome.message;
        return;
      case 'INTERNAL_ERROR':
        attempt.internalError = true;
        attempt.result = TaskResultState.FAILED;
        attempt.state_message = outcome.message;
        return;
      case 'FAILED':
      case 'INVALID':
      case 'CANCELED':
        attempt.result = outcome.end === 'CANCELED' ? TaskResultState.CANCELED : TaskResultState.FAILED;
        attempt.state_message = outcome.message;
        return;
    }
  }

  function markInterrupted(attempt: AttemptState): void {
    attempt.phase = attempt.start_time ? 'TERMINATED' : 'SKIPPED';
    attempt.end_time = attempt.start_time ? Date.now() : 0;
    attempt.userCanceledOrTimedOut = true;
    if (interruption === 'TIMEDOUT') {
      attempt.result = TaskResultState.TIMEDOUT;
      attempt.state_message = 'The job timed out (timeout_seconds) before this task finished.';
    } else {
      attempt.result = TaskResultState.CANCELED;
      attempt.state_message = 'The run was canceled.';
    }
  }

  async function runTask(task: Task): Promise<void> {
    const tr = state.tasks[task.task_key]!;
    let deferred = false;
    try {
      for (;;) {
        const attempt = latestAttempt(tr);
        if (interruption) {
          markInterrupted(attempt);
          return;
        }
        if (attempt.phase === 'WAITING_FOR_RETRY') {
          const failed = tr.attempts[tr.attempts.length - 2];
          const delay = failed ? retryDelayMillis(task, failed.start_time, Date.now()) : 0;
          if (delay > 0) {
            try {
              await sleep(delay, { summary: `retry ${task.task_key}` });
            } catch (err) {
              if (!isCancellation(err)) throw err;
              markInterrupted(attempt);
              return;
            }
          }
        }
        if (draining) {
          // The run continues as new: this attempt starts in the next execution.
          deferred = true;
          return;
        }
        attempt.phase = 'RUNNING';
        attempt.start_time = Date.now();
        attempt.state_message = '';
        markChanged();
        let outcome: AttemptOutcome;
        try {
          outcome = await runAttempt(task, attempt);
        } catch (err) {
          if (!isCancellation(err)) throw err;
          markInterrupted(attempt);
          return;
        }
        applyOutcome(attempt, outcome);
        if (outcome.end === 'SUCCESS') {
          tr.taskValues = outcome.record?.taskValues ?? {};
          if (Object.keys(tr.taskValues).length > 0) anyTaskValues = true;
          return;
        }
        if (interruption || !shouldRetry(task, outcome.end, attempt.attempt_number)) return;
        tr.attempts.push({
          run_id: taskRunId(runId, ++sequence),
          attempt_number: attempt.attempt_number + 1,
          phase: 'WAITING_FOR_RETRY',
          state_message: `Waiting to retry after: ${attempt.state_message}`,
          start_time: 0,
          end_time: 0,
        });
        markChanged();
      }
    } finally {
      if (!deferred) {
        const last = latestAttempt(tr);
        progress[task.task_key] = {
          phase: 'TERMINAL',
          terminal: {
            result: last.result ?? TaskResultState.CANCELED,
            ...(last.conditionOutcome ? { conditionOutcome: last.conditionOutcome } : {}),
          },
          reason: last.state_message,
        };
      }
      running--;
      markChanged();
    }
  }

  function publish(): void {
    setCurrentDetails(runDetailsMarkdown(state, Date.now()));
  }

  /** Ask the job's gate for a slot; wait while queued (at most 48 hours); withdraw if canceled. */
  async function admit(jobId: number): Promise<SlotDecision & { verdict: 'GRANTED' | 'SKIPPED' }> {
    const leaveQueue = () => {
      const wasQueued = state.queued !== undefined;
      if (state.queued) state.queue_duration = Date.now() - state.queued.since;
      state.queued = undefined;
      state.awaiting_admission = undefined;
      if (patched(ADMISSION_MARK_PATCH) || wasQueued) upsertSearchAttributes([{ key: DjobsQueued, value: false }]);
    };
    let decision: SlotDecision | 'EXPIRED';
    try {
      decision = await slots.acquire(
        jobGateWorkflowId(jobId),
        {
          workflowId: info.workflowId,
          limit: settings.max_concurrent_runs ?? 1,
          queue: settings.queue?.enabled ?? false,
        },
        {
          maxWaitMs: MAX_QUEUED_MS,
          onQueued: (message) => {
            // Queued since the run exists: Databricks counts queue_duration from the run's start.
            state.queued = { since: state.start_time, reason: message };
            upsertSearchAttributes([{ key: DjobsQueued, value: true }]);
            if (patched(ADMISSION_MARK_PATCH)) upsertMemo({ [MEMO_ADMISSION]: 'QUEUED' });
            publish();
          },
        }
      );
    } catch (err) {
      if (isCancellation(err)) leaveQueue();
      throw err;
    }
    leaveQueue();
    if (decision === 'EXPIRED')
      return {
        workflowId: info.workflowId,
        verdict: 'SKIPPED',
        code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
        message: 'Skipping this run because it waited 48 hours in the queue.',
      };
    return decision as SlotDecision & { verdict: 'GRANTED' | 'SKIPPED' };
  }

  function launchReady(): void {
    while (ready.length > 0 && running < maxParallel && !state.paused && !interruption && !draining) {
      const task = byKey.get(ready.shift()!)!;
      running++;
      // Errors inside runTask are recorded on the task; anything else is a bug that must fail the
      // workflow task loudly, so it is rethrown from the main loop via `crash`.
      tasksScope
        .run(() => runTask(task))
        .catch((err: unknown) => {
          crash ??= err instanceof Error ? err : new Error('a task runner crashed', { cause: err });
          markChanged();
        });
    }
  }
  let crash: Error | undefined;

  // Tasks that were running or waiting to retry when the previous execution continued as new.
  if (continued) for (const t of tasks) if (progress[t.task_key]?.phase === 'RUNNING') ready.push(t.task_key);

  try {
    for (;;) {
      if (crash) throw crash;
      if (skipped) break;
      const steps = nextSteps(tasks, progress);
      for (const skip of steps.skip) {
        const attempt = latestAttempt(state.tasks[skip.task_key]!);
        attempt.phase = 'SKIPPED';
        attempt.result = skip.result;
        attempt.state_message = skip.reason;
        progress[skip.task_key] = { phase: 'TERMINAL', terminal: { result: skip.result }, reason: skip.reason };
      }
      for (const key of steps.start) {
        progress[key] = { phase: 'RUNNING' };
        latestAttempt(state.tasks[key]!).state_message = 'Waiting for a free slot.';
        ready.push(key);
      }
      launchReady();
      state.state_message = state.paused ? 'Paused: no new task starts until the run is resumed.' : '';
      publish();
      if (allTerminal(tasks, progress)) break;
      if (interruption && running === 0) break;
      if (!draining && !interruption && workflowInfo().continueAsNewSuggested && patched(CONTINUE_AS_NEW_PATCH)) {
        draining = true;
        markChanged();
        continue;
      }
      if (draining && running === 0) break;
      changed = false;
      await condition(() => changed);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    interruption = 'CANCELED';
    // Activities in tasksScope were canceled with the workflow; wait for their processes to die.
    await CancellationScope.nonCancellable(() => condition(() => running === 0));
  }

  if (draining && !interruption && !allTerminal(tasks, progress)) {
    // A long run (many tasks, retries) keeps each history well inside Temporal's limits.
    await continueAsNew<typeof jobRun>({
      ...input,
      runId,
      repair: undefined,
      continued: { state, progress, sequence, timeoutBase, holdsSlot },
    });
  }

  if (skipped) {
    // Over max_concurrent_runs with no queue (or a full or expired one): recorded, never run.
    for (const t of tasks) {
      const a = latestAttempt(state.tasks[t.task_key]!);
      a.phase = 'SKIPPED';
      a.state_message = skipped.message;
    }
    state.result = RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED;
    state.state_message = skipped.message;
    if (skipped.code !== 'MAX_CONCURRENT_RUNS_EXCEEDED') state.termination_code = skipped.code;
    state.end_time = Date.now();
    publish();
    upsertSearchAttributes([{ key: DjobsResultState, value: state.result }]);
    return state;
  }

  if (interruption) {
    for (const t of tasks) {
      if (!isTerminal(progress[t.task_key])) {
        markInterrupted(latestAttempt(state.tasks[t.task_key]!));
        progress[t.task_key] = {
          phase: 'TERMINAL',
          terminal: { result: latestAttempt(state.tasks[t.task_key]!).result! },
        };
      }
    }
    state.userCanceledOrTimedOut = true;
  }
  const outcome = runOutcome(tasks, progress, interruption, (k) => {
    const a = latestAttempt(state.tasks[k]!);
    return a.errorMessage ?? (a.state_message || undefined);
  });
  state.result = outcome.result;
  state.state_message = outcome.message;
  state.end_time = Date.now();
  const execution = state.repair_history?.[state.repair_history.length - 1];
  if (execution) {
    execution.end_time = state.end_time;
    execution.result = outcome.result;
    execution.task_run_ids = tasks.flatMap((t) =>
      state.tasks[t.task_key]!.attempts.filter((a) => a.start_time >= execution.start_time).map((a) => a.run_id)
    );
  }
  publish();
  await CancellationScope.nonCancellable(async () => {
    upsertSearchAttributes([{ key: DjobsResultState, value: outcome.result }]);
    if (holdsSlot && input.jobId !== undefined) await slots.release(jobGateWorkflowId(input.jobId), info.workflowId);
  });
  const run = state;
  switch (outcome.result) {
    case RunResultState.SUCCESS:
    case RunResultState.SUCCESS_WITH_FAILURES:
      return run;
    case RunResultState.CANCELED:
      if (interruption === 'CANCELED') throw new CancelledFailure(outcome.message, [run]);
      throw ApplicationFailure.create({
        type: RunFailureType.CANCELED,
        message: outcome.message,
        nonRetryable: true,
        details: [run],
      });
    case RunResultState.TIMEDOUT:
      throw ApplicationFailure.create({
        type: RunFailureType.TIMEDOUT,
        message: outcome.message,
        nonRetryable: true,
        details: [run],
      });
    default:
      throw ApplicationFailure.create({
        type: RunFailureType.FAILED,
        message: outcome.message,
        nonRetryable: true,
        details: [run],
      });
  }
}

/**
 * Tasks on a job cluster (job_cluster_key / existing_cluster_id) run on that cluster's task
 * queue when a `djobs worker --cluster NAME` is polling it; otherwise on the default queue, so a
 * single default worker serves every job. Decided once per run by a local activity, so the
 * decision is recorded in history.
 */
const clusterOf = (t: Task) => t.job_cluster_key ?? t.existing_cluster_id;

async function planTaskQueues(tasks: readonly Task[], defaultQueue: string): Promise<Map<string, string>> {
  const clusters = [...new Set(tasks.map(clusterOf).filter((c): c is string => c !== undefined))];
  const planned = new Map<string, string>();
  let served: string[] = [];
  if (clusters.length > 0) {
    const { clustersWithWorkers } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });
    served = await clustersWithWorkers(clusters);
  }
  for (const t of tasks) {
    const c = clusterOf(t);
    planned.set(t.task_key, c !== undefined && served.includes(c) ? clusterTaskQueue(c) : defaultQueue);
  }
  return planned;
}

/**
 * A repair continues a finished run in a new execution of the same workflow id: tasks not chosen
 * keep their attempts, results and task values; chosen tasks (and tasks added to the job since)
 * get a new attempt. Returns the next free attempt sequence number.
 */
function restoreForRepair(
  state: RunState,
  progress: Progress,
  repair: NonNullable<JobRunInput['repair']>,
  tasks: readonly Task[],
  runId: number,
  now: () => number
): number {
  const prev = repair.previous;
  const start = now();
  state.start_time = prev.start_time;
  const maxSeq = Math.max(
    tasks.length,
    ...Object.values(prev.tasks).flatMap((t) => t.attempts.map((a) => a.run_id - runId * 2 ** 17))
  );
  let sequence = maxSeq;
  const rerun = new Set(repair.rerunTasks);
  for (const t of tasks) {
    const before = prev.tasks[t.task_key];
    if (before && !rerun.has(t.task_key)) {
      state.tasks[t.task_key] = before;
      const last = latestAttempt(before);
      progress[t.task_key] = {
        phase: 'TERMINAL',
        terminal: {
          result: last.result ?? TaskResultState.CANCELED,
          ...(last.conditionOutcome ? { conditionOutcome: last.conditionOutcome } : {}),
        },
      };
      continue;
    }
    const attempts = before ? [...before.attempts] : [];
    attempts.push({
      run_id: taskRunId(runId, ++sequence),
      attempt_number: 0,
      phase: 'PENDING',
      state_message: (t.depends_on?.length ?? 0) > 0 ? WAITING_FOR_UPSTREAM : 'Waiting to start.',
      start_time: 0,
      end_time: 0,
    });
    state.tasks[t.task_key] = { task_key: t.task_key, attempts };
  }
  state.repair_history = [
    ...(prev.repair_history ?? [
      {
        type: 'ORIGINAL',
        start_time: prev.start_time,
        end_time: prev.end_time,
        ...(prev.result ? { result: prev.result } : {}),
        task_run_ids: Object.values(prev.tasks).flatMap((t) =>
          t.attempts.filter((a) => a.start_time > 0).map((a) => a.run_id)
        ),
      },
    ]),
    { type: 'REPAIR', id: repair.repairId, start_time: start, end_time: 0, task_run_ids: [] },
  ];
  return sequence;
}
