// The generic interpreter: one workflow execution is one Databricks job run. The run's
// bookkeeping is the pure state machine of core/run/active-run.ts (which drives the DAG scheduler
// of core/dag); this workflow keeps only what must be Temporal: admission through the job's slot
// gate, timers, one coroutine per launched task (workflows/task-runs.ts), signals and queries,
// continue-as-new, and the way the workflow ends. Determinism rules apply: no I/O, no wall clock
// other than Temporal's, iteration in spec order only.
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type WorkflowInfo,
} from '@temporalio/workflow';
import {
  ActiveRun,
  RunReferences,
  RunResultState,
  resolveJobParameters,
  runDetailsMarkdown,
  runIdFromString,
  toDatabricksRun,
  type ReferenceContext,
  type RunOutcome,
  type RunState,
  type SlotDecision,
} from '../core/model';
import {
  RunFailureType,
  getRunQuery,
  getRunStateQuery,
  jobGateWorkflowId,
  pauseSignal,
  resumeSignal,
  type GitSourceActivities,
  type JobRunInput,
  type PlanningActivities,
} from './definitions';
import {
  DjobsQueued,
  DjobsResultState,
  DjobsRunId,
  MEMO_ADMISSION,
  TemporalScheduledStartTime,
} from './search-attributes';
import { planTaskQueues, type RunContext } from './run-context';
import { SLOT_RELEASE_PATCH, slotClient, type SlotClient } from './slots';
import { launchTasks } from './task-runs';
import { RUN_NOTIFICATIONS_PATCH, RunNotifier } from './run-notifications';
import { acceptControlSignal } from './refused-payloads';
import { decidePatches, isPatched } from './patches';
import { FOR_EACH_INPUTS_LIMIT_PATCH, RUN_JOB_TASK_PERMISSION_PATCH, RUN_JOB_TASK_VIEWERS_PATCH } from './child-runs';
import { WORKFLOW_KIND_PATCH } from './child-kind';
import { RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH } from './task-runs';

const DEFAULT_MAX_PARALLEL_TASKS = 100;
const MAX_PARALLEL_TASKS_LIMIT = 1000;
/** patched() id of continue-as-new when Temporal suggests it (absent from older histories). */
const CONTINUE_AS_NEW_PATCH = 'continue-as-new-when-suggested';
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
/**
 * patched() id of the run's identity opened before anything runs (`openRunIdentity`, a local
 * activity): the API seals who a run acts as with its settings; a run whose identity cannot be
 * opened runs no task, each attempt ending INVALID with the reason.
 */
const SEALED_IDENTITY_PATCH = 'sealed-run-identity';
/**
 * patched() id of checking out the job's git_source once per run, before its first task: the
 * commit is decided by an activity and kept in the run's state (a repair reuses it).
 */
const GIT_SOURCE_PATCH = 'git-source-checkout';
/** Every patch a run may ask (workflows/patches.ts), in the order they are decided; new ones last. */
const JOB_RUN_PATCHES = [
  SEALED_IDENTITY_PATCH,
  CONCURRENCY_GATE_PATCH,
  ADMISSION_MARK_PATCH,
  POOL_CAPS_PATCH,
  RUN_NOTIFICATIONS_PATCH,
  GIT_SOURCE_PATCH,
  CONTINUE_AS_NEW_PATCH,
  RETRY_INTERVAL_WORKFLOW_CLOCK_PATCH,
  RUN_JOB_TASK_PERMISSION_PATCH,
  RUN_JOB_TASK_VIEWERS_PATCH,
  FOR_EACH_INPUTS_LIMIT_PATCH,
  WORKFLOW_KIND_PATCH,
  SLOT_RELEASE_PATCH,
];
/** Databricks keeps a run queued for at most 48 hours. */
const MAX_QUEUED_MS = 48 * 3600 * 1000;

type Refusal = Extract<SlotDecision, { verdict: 'SKIPPED' }>;

export async function jobRun(input: JobRunInput): Promise<RunState> {
  decidePatches(JOB_RUN_PATCHES);
  const info = workflowInfo();
  const runId = input.runId ?? runIdFromString(info.workflowId);
  const { run, references, jobParameters } = beginRun(input, info, runId);
  const publish = () => setCurrentDetails(runDetailsMarkdown(run.state, Date.now()));
  setHandler(pauseSignal, (arg) => {
    if (acceptControlSignal('pause', arg)) run.setPaused(true);
  });
  setHandler(resumeSignal, (arg) => {
    if (acceptControlSignal('resume', arg)) run.setPaused(false);
  });
  setHandler(getRunQuery, () => toDatabricksRun(run.state, Date.now()));
  setHandler(getRunStateQuery, () => run.state);

  if (input.runId === undefined) upsertSearchAttributes([{ key: DjobsRunId, value: runId }]);
  const identity = isPatched(SEALED_IDENTITY_PATCH)
    ? await proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' }).openRunIdentity({
        ...(input.identity !== undefined ? { identity: input.identity } : {}),
        settings: input.settings,
        ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
      })
    : undefined;
  const slots = slotClient();
  // max_concurrent_runs: a new run of a job waits for (or is refused) a slot from the job's gate;
  // a continued run keeps the slot it had, a repair takes none.
  let holdsSlot = input.continued?.holdsSlot ?? false;
  let refused: Refusal | undefined;
  if (input.jobId !== undefined && !input.repair && !input.continued && isPatched(CONCURRENCY_GATE_PATCH)) {
    try {
      const decision = await admit(run, slots, input.jobId, info.workflowId, publish);
      if (decision.verdict === 'GRANTED') holdsSlot = true;
      else refused = decision;
    } catch (err) {
      if (!isCancellation(err)) throw err;
      run.canceled();
    }
  }
  const options = input.options ?? {};
  const notifier = RunNotifier.for(run.state, options.heartbeatTimeoutSeconds);
  const ctx: RunContext = {
    run,
    input,
    runId,
    info,
    options,
    jobParameters,
    references,
    // Worker pools with a global cap on running tasks (DJOBS_POOL_MAX_TASKS of the workers).
    poolLimits:
      !refused && !run.interruption && isPatched(POOL_CAPS_PATCH)
        ? await proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' }).poolLimits()
        : {},
    // A run that never starts (refused, or canceled while queued) needs no routing.
    taskQueues:
      refused || run.interruption
        ? new Map<string, string>()
        : await planTaskQueues(run.tasks, options.taskQueue ?? info.taskQueue),
    slots,
    ...(notifier ? { notifier } : {}),
    ...(identity && 'runAs' in identity ? { runAs: identity.runAs } : {}),
    ...(identity && 'refused' in identity ? { identityRefused: identity.refused } : {}),
  };
  // Task attempts run in their own scope so that the job timeout can cancel them all while the
  // workflow itself goes on to record the outcome. The timer starts before the admission verdict
  // is looked at, as it always has: a refused run's recorded history holds it too.
  const tasksScope = new CancellationScope();
  const timeoutBase = input.continued?.timeoutBase ?? Date.now();
  startJobTimeout(run, tasksScope, timeoutBase);
  if (refused) {
    // Over max_concurrent_runs with no queue (or a full or expired one): recorded, never run.
    run.skippedByAdmission(refused, Date.now());
    publish();
    upsertSearchAttributes([{ key: DjobsResultState, value: run.state.result! }]);
    await notifier?.runEnded();
    return run.state;
  }
  if (input.continued) notifier?.runContinued();
  else if (!run.interruption) notifier?.runStarted();
  if (run.state.settings.git_source && !run.state.git_snapshot && !run.interruption && isPatched(GIT_SOURCE_PATCH))
    await resolveGitSource(ctx, tasksScope);
  await drive(ctx, tasksScope, publish);

  if (run.draining && !run.interruption && !run.complete) {
    await notifier?.settled();
    // A long run (many tasks, retries) keeps each history well inside Temporal's limits.
    await continueAsNew<typeof jobRun>({
      ...input,
      runId,
      repair: undefined,
      continued: { ...run.continuation(), timeoutBase, holdsSlot },
    });
  }

  const outcome = run.finish(Date.now());
  publish();
  await CancellationScope.nonCancellable(async () => {
    upsertSearchAttributes([{ key: DjobsResultState, value: outcome.result }]);
    if (holdsSlot && input.jobId !== undefined) await slots.release(jobGateWorkflowId(input.jobId), info.workflowId);
  });
  // After the slot is released: a slow receiver never holds back the job's next run.
  if (notifier) {
    await notifier.runEnded();
    publish();
  }
  return end(run, outcome);
}

/** The run's state machine and reference facts, for a new run, a repair or a continued execution. */
function beginRun(
  input: JobRunInput,
  info: WorkflowInfo,
  runId: number
): { run: ActiveRun; references: RunReferences; jobParameters: Record<string, string> } {
  const settings = input.settings;
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
  const references = new RunReferences(jobFacts, settings.tasks);
  if (continued) return { run: ActiveRun.resume(continued), references, jobParameters };
  const state: RunState = {
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
  const run = input.repair ? ActiveRun.repair(state, input.repair, Date.now()) : ActiveRun.start(state);
  return { run, references, jobParameters };
}

/** The job's timeout_seconds, counted from the start of this execution (a repair has a timeout of its own), across continue-as-new. */
function startJobTimeout(run: ActiveRun, tasksScope: CancellationScope, timeoutBase: number): void {
  const timeoutSeconds = run.state.settings.timeout_seconds;
  if (!timeoutSeconds) return;
  sleep(Math.max(1, timeoutBase + timeoutSeconds * 1000 - Date.now()), { summary: 'job timeout_seconds' }).then(
    () => {
      run.timedOut();
      tasksScope.cancel();
    },
    () => undefined // the run ended or was canceled first
  );
}

/**
 * Launch ready tasks (in `tasksScope`) and wait for the run to change, until every task is
 * finished, the run is interrupted, or it drains for continue-as-new.
 */
async function drive(ctx: RunContext, tasksScope: CancellationScope, publish: () => void): Promise<void> {
  const { run } = ctx;
  // Far below Temporal's 2,000 pending activities per workflow, whatever the configuration says.
  const maxParallel = Math.min(
    MAX_PARALLEL_TASKS_LIMIT,
    Math.max(1, ctx.options.maxParallelTasks ?? DEFAULT_MAX_PARALLEL_TASKS)
  );
  // Errors inside runTask are recorded on the task; anything else is a bug that must fail the
  // workflow task loudly, so it is rethrown from the main loop.
  let crash: Error | undefined;
  const crashed = (err: unknown) => {
    crash ??= err instanceof Error ? err : new Error('a task runner crashed', { cause: err });
  };
  try {
    for (;;) {
      if (crash) throw crash;
      launchTasks(ctx, tasksScope, run.advance(maxParallel), crashed);
      publish();
      if (run.settled) return;
      if (
        !run.draining &&
        !run.interruption &&
        workflowInfo().continueAsNewSuggested &&
        isPatched(CONTINUE_AS_NEW_PATCH)
      ) {
        run.drain();
        continue;
      }
      const seen = run.version;
      await condition(() => run.version !== seen || crash !== undefined);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    run.canceled();
    // Activities in tasksScope were canceled with the workflow; wait for their processes to die.
    await CancellationScope.nonCancellable(() => condition(() => run.running === 0));
  }
}

/**
 * The commit the run's Git-sourced tasks read their paths from: decided once, by an activity on
 * the run's task queue, and kept in the run's state. A failure is kept too: the tasks that need
 * the checkout fail with it (REPOSITORY_CHECKOUT_FAILED), the others run.
 */
async function resolveGitSource(ctx: RunContext, tasksScope: CancellationScope): Promise<void> {
  const { run } = ctx;
  const source = run.state.settings.git_source!;
  const { resolveGitCommit } = proxyActivities<GitSourceActivities>({
    taskQueue: ctx.options.taskQueue ?? ctx.info.taskQueue,
    startToCloseTimeout: '10 minutes',
    retry: { maximumAttempts: 3, initialInterval: '2s' },
    summary: `git_source ${source.git_branch ?? source.git_tag ?? source.git_commit ?? ''}`,
  });
  try {
    const resolved = await tasksScope.run(() =>
      resolveGitCommit({
        git_url: source.git_url,
        ...(source.git_branch !== undefined ? { git_branch: source.git_branch } : {}),
        ...(source.git_tag !== undefined ? { git_tag: source.git_tag } : {}),
        ...(source.git_commit !== undefined ? { git_commit: source.git_commit } : {}),
      })
    );
    if ('commit' in resolved) run.state.git_snapshot = { used_commit: resolved.commit };
    else run.state.git_error = resolved.error;
  } catch (err) {
    if (isCancellation(err)) {
      if (!run.interruption) run.canceled(); // the job timeout has already said why
      return;
    }
    run.state.git_error = `Could not check out ${source.git_url}: ${(err as Error).message}`;
  }
}

/** Ask the job's gate for a slot; wait while queued (at most 48 hours); withdraw if canceled. */
async function admit(
  run: ActiveRun,
  slots: SlotClient,
  jobId: number,
  workflowId: string,
  publish: () => void
): Promise<SlotDecision & { verdict: 'GRANTED' | 'SKIPPED' }> {
  const leaveQueue = () => {
    const wasQueued = run.dequeued(Date.now());
    if (isPatched(ADMISSION_MARK_PATCH) || wasQueued) upsertSearchAttributes([{ key: DjobsQueued, value: false }]);
  };
  let decision: SlotDecision | 'EXPIRED';
  try {
    const settings = run.state.settings;
    decision = await slots.acquire(
      jobGateWorkflowId(jobId),
      { workflowId, limit: settings.max_concurrent_runs ?? 1, queue: settings.queue?.enabled ?? false },
      {
        maxWaitMs: MAX_QUEUED_MS,
        onQueued: (message) => {
          run.enqueued(message);
          upsertSearchAttributes([{ key: DjobsQueued, value: true }]);
          if (isPatched(ADMISSION_MARK_PATCH)) upsertMemo({ [MEMO_ADMISSION]: 'QUEUED' });
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
      workflowId,
      verdict: 'SKIPPED',
      code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
      message: 'Skipping this run because it waited 48 hours in the queue.',
    };
  return decision as SlotDecision & { verdict: 'GRANTED' | 'SKIPPED' };
}

/** Successful runs return their state; others end the workflow failed (or canceled) with it. */
function end(run: ActiveRun, outcome: RunOutcome): RunState {
  const state = run.state;
  switch (outcome.result) {
    case RunResultState.SUCCESS:
    case RunResultState.SUCCESS_WITH_FAILURES:
      return state;
    case RunResultState.CANCELED:
      if (run.interruption === 'CANCELED') throw new CancelledFailure(outcome.message, [state]);
      return fail(RunFailureType.CANCELED, outcome.message, state);
    case RunResultState.TIMEDOUT:
      return fail(RunFailureType.TIMEDOUT, outcome.message, state);
    default:
      return fail(RunFailureType.FAILED, outcome.message, state);
  }
}

function fail(type: string, message: string, run: RunState): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: [run] });
}
