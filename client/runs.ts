// Runs: start (run-now, submit, backfill), repair, read (get, list, access), control (cancel,
// pause, resume, delete). A run is one `jobRun` workflow; its state is the workflow's query
// answer, result or failure details.
import { randomInt } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  MAX_RUN_ID,
  applyLegacyTaskParameters,
  deepFreeze,
  fireTimes,
  isRunTerminal,
  jobRunIdOf,
  latestAttempt,
  listedRun,
  liveRunView,
  repairSelection,
  runAsOfSetting,
  runIdFromString,
  runWorkflowId,
  toDatabricksRun,
  runViewIsSettled,
  translateQuartzCron,
  updateAccess,
  type AccessControlEntry,
  type JobAccess,
  type JobSettings,
  type LegacyTaskParameters,
  type Run,
  type RunAsIdentity,
  type RunState,
  type TriggerType,
} from '../core';
import { JOB_RUN_WORKFLOW_TYPE, pauseSignal, resumeSignal, type JobRunInput } from '../workflows/definitions';
import {
  DjobsJobId,
  DjobsJobName,
  DjobsQueued,
  DjobsResultState,
  DjobsRunId,
  DjobsTrigger,
  MEMO_ADMISSION,
  NOT_YET_ADMITTED,
} from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, GrpcStatus, InvalidStateError, NotFoundError } from './errors';
import type { Jobs } from './jobs';
import { LruCache } from './lru-cache';
import { RunSnapshots, type RunExecution, type RunSnapshot } from './run-snapshots';
import { accessOf, runAsOf, runMemo, runPeople } from './stored-records';
import { decodedRecord, listExecutions, type ListedExecution } from './undecodable-records';
import { viewersAttribute, viewersClause } from './viewer-query';

/** Visibility records read per page when the listing is filtered by permission. */
const LISTING_PAGE_FOR_FILTERED = 1000;
/** runs/list for a non-admin names at most this many visible jobs in its query (`visibleRunsClause`). */
const MAX_JOBS_IN_RUN_QUERY = 1000;

export interface StartRunOptions {
  /** Job parameter overrides, name → value. */
  jobParameters?: Record<string, string>;
  /** Same token ⇒ same run: a retried request never starts a second run (≤ 64 chars). */
  idempotencyToken?: string;
  runName?: string;
  /** Who starts the run (`creator_user_name`); default: the client's `user`. */
  user?: string;
  /** runs/submit: the submitter, who owns the run (a user or a service principal); default: `user`, a user. */
  submitter?: { name: string; kind: 'user' | 'service_principal' };
  /** runs/submit: who the run acts as, as the API decided it; default: run_as, else the submitter. */
  runAs?: RunAsIdentity;
  /** runs/submit only: grants on the one-time run; the submitter owns it. */
  accessControlList?: AccessControlEntry[];
  /**
   * run-now only: legacy per-task parameters (`notebook_params`, `python_params`, …), applied to
   * the tasks of their type for this run and reported as its `overriding_parameters`.
   */
  taskParameters?: LegacyTaskParameters;
}

export interface CreateJobOptions {
  /** The creator, who owns the job unless the list names an IS_OWNER; default: the client's `user`. */
  creator?: { name: string; kind: 'user' | 'service_principal' };
  /** Databricks access_control_list: grants stored with the job. */
  accessControlList?: AccessControlEntry[];
}

export interface RepairRunOptions {
  /** Task keys to run again. */
  rerunTasks?: string[];
  /** Run again every task whose latest attempt did not succeed (failed, timed out, canceled, upstream-failed/canceled). */
  rerunAllFailedTasks?: boolean;
  /** Also run again every task downstream of the chosen ones, even if it succeeded. */
  rerunDependentTasks?: boolean;
  /** Job parameter overrides; the run's previous values stay in force otherwise. */
  jobParameters?: Record<string, string>;
  /** Accepted for Databricks compatibility, never required: repairs are ordered by the engine. */
  latestRepairId?: number;
}

export interface ListRunsOptions {
  jobId?: number;
  activeOnly?: boolean;
  completedOnly?: boolean;
  /** JOB_RUN (runs of saved jobs) or SUBMIT_RUN (runs/submit). */
  runType?: 'JOB_RUN' | 'SUBMIT_RUN';
  /** Epoch milliseconds, inclusive bounds on the run's start time. */
  startTimeFrom?: number;
  startTimeTo?: number;
  /**
   * Only runs a principal with these keywords (`viewerKeywordsOf`) may see, as far as Temporal's
   * index tells: runs of the jobs it may see now, and runs that started with access naming it.
   * A prefilter: `where` still judges each listed run.
   */
  visibleTo?: readonly string[];
  /** Keep only runs this accepts; `recorded` is the access the run started with. */
  where?: (run: Run, recorded: JobAccess | undefined) => Promise<boolean> | boolean;
  /** @default 25 */
  limit?: number;
}

/**
 * Whether `run` is a finished run's view that getRun hands out again, the very same object, for
 * as long as the run's execution and history length are unchanged: what a caller derives from it
 * (a serialised body) may be kept by its identity, and is then exactly what it would derive anew.
 * Such a view is frozen when it is kept (`Runs.runView`), and no other view is: frozen is the mark.
 */
export const isSettledRunView = (run: Run): boolean => Object.isFrozen(run);

/** A live view getRun handed out: the snapshot's view as a function of the clock, and the instant it was taken at. */
export interface LiveRunViewSource {
  /** One function per snapshot: what a caller derives from it may be kept by its identity, as a function of `now`. */
  at: (now: number) => Run;
  now: number;
}
const liveRunViewSources = new WeakMap<Run, LiveRunViewSource>();

/** Where a live run's view came from (`LiveRunViewSource`), or undefined for any other view. */
export const liveRunViewSource = (run: Run): LiveRunViewSource | undefined => liveRunViewSources.get(run);

/** Run snapshots kept by default (`runCacheEntries`). */
const RUN_CACHE_ENTRIES = 1000;
/** Workflow ids of scheduled runs remembered (a number and a short string each). */
const SCHEDULED_RUN_IDS = 10_000;

export class Runs {
  /** Runs' states by execution and history length (client/run-snapshots.ts). */
  private readonly snapshots: RunSnapshots;
  /** Views of settled snapshots, kept as long as their snapshot is (frozen: every reader shares one, `isSettledRunView`). */
  private readonly settledViews = new WeakMap<RunSnapshot, Run>();
  /** Views of live snapshots as functions of the clock (`liveRunView`), kept as long as their snapshot is. */
  private readonly liveViews = new WeakMap<RunSnapshot, (now: number) => Run>();
  /** Run id → workflow id, for runs a schedule started (their ids are not `runWorkflowId`). */
  private readonly scheduledRunWorkflowIds = new LruCache<number, string>(SCHEDULED_RUN_IDS);

  constructor(
    private readonly ctx: ClientContext,
    private readonly jobs: Jobs
  ) {
    this.snapshots = new RunSnapshots(ctx, ctx.options.runCacheEntries ?? RUN_CACHE_ENTRIES);
  }

  /** jobs/run-now */
  async runNow(jobId: number, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    const { job, access, runAs } = await this.jobs.recentJob(jobId);
    let settings = job.settings;
    if (options.taskParameters) {
      const applied = applyLegacyTaskParameters(settings, options.taskParameters, {
        jobId,
        jobParametersGiven: options.jobParameters !== undefined,
      });
      if (applied.problems.length > 0)
        throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, applied.problems.join(' '));
      settings = applied.settings;
    }
    return this.startRun(settings, { ...options, jobId, trigger: 'ONE_TIME', runType: 'JOB_RUN' }, access, runAs);
  }

  /**
   * Backfill: one run per fire time of the job's cron schedule in [from, to], oldest first, each
   * with {{job.trigger.time.*}} set to its nominal time. Fire times are computed as Temporal's
   * scheduler computes them (time zone and daylight saving included). Runs go through the job's
   * max_concurrent_runs like any other (enable its queue to run them all, in order). Backfilling
   * the same time twice starts nothing new: the first run's id is returned.
   */
  async backfillJob(
    jobId: number,
    options: { from: Date; to: Date; jobParameters?: Record<string, string>; user?: string }
  ): Promise<{ run_id: number; trigger_time: number }[]> {
    const { job, access, runAs } = await this.jobs.describeJob(jobId);
    const schedule = job.settings.schedule;
    if (!schedule)
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, `Job ${jobId} has no cron schedule to backfill.`);
    if (!(options.from.getTime() <= options.to.getTime()))
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, 'The backfill range must have from ≤ to.');
    const cron = translateQuartzCron(schedule.quartz_cron_expression);
    if (!cron.ok) throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, cron.errors.join('; '));
    let times: number[];
    try {
      times = fireTimes(cron.calendars, schedule.timezone_id, options.from.getTime(), options.to.getTime());
    } catch (err) {
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, (err as Error).message);
    }
    const started: { run_id: number; trigger_time: number }[] = [];
    for (const t of times) {
      const { run_id } = await this.startRun(
        job.settings,
        {
          jobId,
          trigger: 'PERIODIC',
          runType: 'JOB_RUN',
          triggerTime: t,
          idempotencyToken: `backfill-${t}`,
          ...(options.jobParameters ? { jobParameters: options.jobParameters } : {}),
          ...(options.user ? { user: options.user } : {}),
        },
        access,
        runAs
      );
      started.push({ run_id, trigger_time: t });
    }
    return started;
  }

  /** runs/submit: a one-time run of settings that are not stored as a job. */
  async submitRun(settings: unknown, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    const valid = this.ctx.validate(settings);
    const submitter = options.submitter ?? { name: options.user ?? this.ctx.defaultUser(), kind: 'user' as const };
    // A service principal's run is its own: it owns it as a service principal, and sees it.
    const owner =
      submitter.kind === 'user' ? { user_name: submitter.name } : { service_principal_name: submitter.name };
    const access = updateAccess({ owner, grants: [] }, options.accessControlList ?? []);
    const runAs = options.runAs ?? runAsOfSetting(valid.run_as) ?? submitter;
    return this.startRun(
      valid,
      { user: submitter.name, ...options, trigger: 'ONE_TIME', runType: 'SUBMIT_RUN' },
      access,
      runAs
    );
  }

  private async startRun(
    settings: JobSettings,
    o: StartRunOptions & {
      jobId?: number;
      trigger: TriggerType;
      runType: 'JOB_RUN' | 'SUBMIT_RUN';
      triggerTime?: number;
    },
    access: JobAccess,
    runAs: RunAsIdentity
  ): Promise<{ run_id: number }> {
    const defined = new Set((settings.parameters ?? []).map((p) => p.name));
    const unknown = Object.keys(o.jobParameters ?? {}).filter((k) => !defined.has(k));
    if (unknown.length > 0) {
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        `Job parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} ${
          unknown.length > 1 ? 'are' : 'is'
        } not defined in the job (defined: ${[...defined].join(', ') || 'none'}).`
      );
    }
    if (o.idempotencyToken !== undefined && o.idempotencyToken.length > 64) {
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, 'idempotency_token must be at most 64 characters.');
    }
    const name = o.runName ?? settings.name ?? 'Untitled';
    for (let tries = 0; ; tries++) {
      const runId =
        o.idempotencyToken !== undefined
          ? runIdFromString(`${o.jobId ?? 'submit'}:${o.idempotencyToken}`)
          : randomInt(1, MAX_RUN_ID);
      const input = {
        runId,
        ...(o.jobId !== undefined ? { jobId: o.jobId } : {}),
        runName: name,
        settings,
        identity: this.ctx.sealIdentity(runAs, settings),
        ...(o.jobParameters ? { jobParameters: o.jobParameters } : {}),
        trigger: o.trigger,
        ...(o.triggerTime !== undefined ? { triggerTime: o.triggerTime } : {}),
        runType: o.runType,
        ...this.ctx.runOptions,
      } satisfies JobRunInput;
      try {
        await this.startWorkflow(input, {
          reuse: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          memo: {
            ...runMemo(access, runAs, o.user ?? this.ctx.defaultUser(), o.taskParameters),
            // A job run is QUEUED or PENDING from the moment it exists until its job's gate admits it.
            ...(o.jobId !== undefined ? NOT_YET_ADMITTED.memo : {}),
          },
          notYetAdmitted: o.jobId !== undefined,
          summary: `${name} · run ${runId}${o.jobId !== undefined ? ` of job ${o.jobId}` : ''}`,
          details: runDetails(input) + this.ctx.webUiLink(runId),
        });
        return { run_id: runId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        if (o.idempotencyToken !== undefined) return { run_id: runId };
        if (tries >= 5) throw err;
      }
    }
  }

  /**
   * runs/repair: run chosen tasks of a finished run again, inside the same run (same run_id).
   * Tasks not chosen keep their results and task values, and downstream tasks see them. A job run
   * is repaired with the job's current settings, a submitted run with its own.
   */
  async repairRun(runId: number, options: RepairRunOptions): Promise<{ repair_id: number }> {
    const jobRunId = jobRunIdOf(runId);
    const { desc: described } = await this.findRun(jobRunId);
    if (described.status.name === 'RUNNING') {
      throw new InvalidStateError(
        `Run ${jobRunId} is still running; a run can be repaired only after it has finished.`
      );
    }
    const previous = await this.getRunState(jobRunId);
    let settings = previous.settings;
    // The run acts as it did, unless it is repaired with its job's current settings: then as the job.
    let runAs = runAsOf(
      described.memo,
      settings,
      accessOf(described.memo) ?? { owner: { user_name: 'unknown' }, grants: [] }
    );
    if (previous.job_id !== undefined && previous.run_type === 'JOB_RUN') {
      try {
        ({
          job: { settings },
          runAs,
        } = await this.jobs.describeJob(previous.job_id));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // job deleted: repair with the run's own settings
      }
    }
    const selection = repairSelection(
      settings.tasks,
      (key) => {
        const t = previous.tasks[key];
        return t ? latestAttempt(t).result : undefined;
      },
      options,
      jobRunId
    );
    if (!selection.ok) throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, selection.error);
    const chosen = selection.tasks;
    const defined = new Set((settings.parameters ?? []).map((p) => p.name));
    const unknownParams = Object.keys(options.jobParameters ?? {}).filter((k) => !defined.has(k));
    if (unknownParams.length > 0) {
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        `Job parameter${unknownParams.length > 1 ? 's' : ''} ${unknownParams.map((k) => `"${k}"`).join(', ')} not defined in the job.`
      );
    }
    const repairId = randomInt(1, MAX_RUN_ID);
    const input = {
      runId: jobRunId,
      ...(previous.job_id !== undefined ? { jobId: previous.job_id } : {}),
      runName: previous.run_name,
      settings,
      identity: this.ctx.sealIdentity(runAs, settings),
      jobParameters: { ...previous.job_parameters, ...(options.jobParameters ?? {}) },
      trigger: previous.trigger,
      runType: previous.run_type,
      ...this.ctx.runOptions,
      repair: { repairId, previous, rerunTasks: chosen },
    } satisfies JobRunInput;
    try {
      await this.startWorkflow(input, {
        // A repair is a new execution of the finished run's workflow id.
        reuse: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        ...(described.memo ? { memo: described.memo } : {}),
        summary: `${previous.run_name} · run ${jobRunId} · repair of ${chosen.length} task${chosen.length > 1 ? 's' : ''}`,
        details: `**Repair** ${repairId} of run ${jobRunId}\n\n**Re-runs** ${chosen.join(', ')}${this.ctx.webUiLink(jobRunId)}`,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new InvalidStateError(`Run ${jobRunId} is being repaired already.`);
      throw err;
    }
    return { repair_id: repairId };
  }

  /** Start the `jobRun` workflow of a run, indexed by its job, run id, name and trigger. */
  private async startWorkflow(
    input: JobRunInput & { runId: number; runName: string },
    o: {
      reuse: WorkflowIdReusePolicy;
      memo?: Record<string, unknown>;
      /** A new job run: marked until its job's gate admits it (`NOT_YET_ADMITTED`). */
      notYetAdmitted?: boolean;
      summary: string;
      details: string;
    }
  ): Promise<void> {
    const access = accessOf(o.memo);
    await this.ctx.temporal.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
      workflowId: runWorkflowId(input.runId),
      taskQueue: this.ctx.taskQueue,
      args: [input],
      workflowIdReusePolicy: o.reuse,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      ...(o.memo ? { memo: o.memo } : {}),
      typedSearchAttributes: [
        ...(input.jobId !== undefined ? [{ key: DjobsJobId, value: input.jobId }] : []),
        { key: DjobsRunId, value: input.runId },
        { key: DjobsJobName, value: input.runName },
        { key: DjobsTrigger, value: input.trigger ?? 'ONE_TIME' },
        ...(o.notYetAdmitted ? [NOT_YET_ADMITTED.searchAttribute] : []),
        // Who may see the run, as of its start (runs/list's prefilter for a non-admin).
        ...(access ? [viewersAttribute(access)] : []),
      ],
      staticSummary: o.summary,
      staticDetails: o.details,
    });
  }

  /** runs/get, in the Databricks `Run` shape. Accepts a job run id or a task run id. */
  async getRun(runId: number): Promise<Run> {
    return this.runView(await this.snapshot(jobRunIdOf(runId), await this.findExecution(jobRunIdOf(runId))));
  }

  /** The run's snapshot; one written with a key the ring lacks is an `UndecodableRecordError`. */
  private snapshot(jobRunId: number, execution: RunExecution) {
    return decodedRecord(`Run ${jobRunId}`, () => this.snapshots.snapshot(execution));
  }

  /**
   * `getRun` for a caller who must first pass `check` on the run's access (it throws to refuse;
   * it sees undefined for a missing run, so permission is judged before existence). One describe
   * serves both, and the job's access and the run's state are read side by side. The access is
   * judged on every call: only the run's state comes from the snapshot cache.
   */
  async getRunIfAllowed(runId: number, check: (access: JobAccess | undefined) => void): Promise<Run> {
    let execution: RunExecution;
    try {
      execution = await this.findExecution(jobRunIdOf(runId));
    } catch (err) {
      if (err instanceof NotFoundError) check(undefined);
      throw err;
    }
    const snapshot = this.snapshot(jobRunIdOf(runId), execution);
    snapshot.catch(() => undefined); // its failure matters only once access allows
    check((await this.accessOfRun(execution)).access);
    return this.runView(await snapshot);
  }

  /**
   * The Databricks view of a snapshot: built once and kept with the snapshot when no clock enters
   * it (`runViewIsSettled`), so a finished run is not rebuilt for every read; else taken at this
   * instant from the snapshot's `liveRunView`, which builds all but the moving durations once.
   */
  private runView(snapshot: RunSnapshot): Run {
    const kept = this.settledViews.get(snapshot);
    if (kept) return kept;
    const { state, memo } = snapshot;
    if (runViewIsSettled(state)) {
      const view: Run = deepFreeze({
        ...toDatabricksRun(state, Date.now()),
        ...runPeople(memo),
        run_page_url: this.ctx.runPageUrl(state.run_id),
      });
      this.settledViews.set(snapshot, view);
      return view;
    }
    let live = this.liveViews.get(snapshot);
    if (!live) {
      live = liveRunView(state, { ...runPeople(memo), run_page_url: this.ctx.runPageUrl(state.run_id) });
      this.liveViews.set(snapshot, live);
    }
    const now = Date.now();
    const view = live(now);
    liveRunViewSources.set(view, { at: live, now });
    return view;
  }

  /** The run's full state (attempt logs, task values): what `getRun` is derived from. */
  async getRunState(runId: number): Promise<RunState> {
    return (await this.snapshot(jobRunIdOf(runId), await this.findExecution(jobRunIdOf(runId)))).state;
  }

  /**
   * Who may see and manage a run: its job's current access when the job still exists (so a
   * revoked grant takes effect on old runs too), else the access the run recorded at its start.
   */
  async getRunAccess(runId: number): Promise<{ jobId?: number; access?: JobAccess }> {
    return this.accessOfRun(await this.findExecution(jobRunIdOf(runId)));
  }

  private async accessOfRun(execution: RunExecution): Promise<{ jobId?: number; access?: JobAccess }> {
    const { jobId } = execution;
    if (jobId !== undefined) {
      try {
        return { jobId, access: await this.jobs.getJobAccess(jobId) };
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    // A memo that cannot be decoded records no access: only admins pass, and they read why.
    const access = accessOf(await execution.memo().catch(() => undefined));
    return { ...(jobId !== undefined ? { jobId } : {}), ...(access ? { access } : {}) };
  }

  /** The log file of a running attempt, from the heartbeat of its activity (activities/index.ts). */
  async runningLogPath(jobRunId: number, taskRunId: number): Promise<string | undefined> {
    const { desc } = await this.findRun(jobRunId);
    // Heartbeat details are payloads like any other: decoded (decrypted) by the codecs first.
    const { payloadConverter, payloadCodecs } = this.ctx.temporal.options.loadedDataConverter;
    for (const activity of desc.raw.pendingActivities ?? []) {
      let payloads = activity.heartbeatDetails?.payloads ?? [];
      for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
      for (const payload of payloads) {
        const beat = payloadConverter.fromPayload<{ taskRunId?: number; logPath?: string } | undefined>(payload);
        if (beat?.taskRunId === taskRunId && beat.logPath) return beat.logPath;
      }
    }
    return undefined;
  }

  /** The run's workflow handle and its description (one describe call when its id is ours). */
  private async findRun(jobRunId: number): Promise<{ handle: WorkflowHandle; desc: WorkflowExecutionDescription }> {
    return this.locateRun(jobRunId, async (workflowId) => {
      const handle = this.ctx.temporal.workflow.getHandle(workflowId);
      return { handle, desc: await decodedRecord(`Run ${jobRunId}`, () => handle.describe()) };
    });
  }

  /** The run's current execution, described without decoding its memo (the hot path of runs/get). */
  private findExecution(jobRunId: number): Promise<RunExecution> {
    return this.locateRun(jobRunId, (workflowId) => this.snapshots.describe(workflowId));
  }

  /**
   * Describe a run's workflow: `djobs-run-<run_id>` for the runs this client starts; a run started
   * by a schedule has a schedule-made workflow id, found once by search attribute and remembered
   * (a run id never moves to another workflow id; a deleted one is looked up again).
   */
  private async locateRun<T>(jobRunId: number, describe: (workflowId: string) => Promise<T>): Promise<T> {
    const tryDescribe = async (workflowId: string) => {
      try {
        return { found: await describe(workflowId) };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return undefined;
      }
    };
    const own = await tryDescribe(runWorkflowId(jobRunId));
    if (own) return own.found;
    const remembered = this.scheduledRunWorkflowIds.get(jobRunId);
    if (remembered !== undefined) {
      const again = await tryDescribe(remembered);
      if (again) return again.found;
      this.scheduledRunWorkflowIds.delete(jobRunId);
    }
    for await (const wf of listExecutions(this.ctx, { query: `DjobsRunId = ${jobRunId}` })) {
      const listed = await tryDescribe(wf.workflowId); // undefined: deleted; visibility lags behind
      if (listed) {
        this.scheduledRunWorkflowIds.set(jobRunId, wf.workflowId);
        return listed.found;
      }
    }
    throw new NotFoundError('Run', jobRunId);
  }

  /** Poll until the run is terminal; `onUpdate` sees every poll. */
  async waitForRun(
    runId: number,
    options: { pollIntervalMs?: number; timeoutMs?: number; onUpdate?: (run: Run) => void } = {}
  ): Promise<Run> {
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
    for (;;) {
      let run: Run | undefined;
      try {
        run = await this.getRun(runId);
      } catch (err) {
        // No worker to answer right now (one is restarting): the run goes on; keep waiting.
        if (!(err instanceof DjobsError && err.code === ErrorCode.TEMPORAL_UNAVAILABLE) || Date.now() > deadline)
          throw err;
      }
      if (run) {
        options.onUpdate?.(run);
        if (isRunTerminal(run)) return run;
      }
      if (Date.now() > deadline) throw new DjobsError(ErrorCode.INTERNAL_ERROR, `Timed out waiting for run ${runId}.`);
      await new Promise((r) => setTimeout(r, options.pollIntervalMs ?? 500));
    }
  }

  /**
   * Wait (at most `timeoutMs`) until a finished run's workflow has closed: its notifications go out
   * after its result is known, and the workflow closes once every delivery has ended. Returns
   * whether it closed in time.
   */
  async waitForNotifications(runId: number, options: { timeoutMs: number }): Promise<boolean> {
    const closed = this.ctx.temporal.workflow
      .getHandle(runWorkflowId(jobRunIdOf(runId)))
      .result()
      .then(
        () => true,
        () => true
      );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.timeoutMs)));
    try {
      return await Promise.race([closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** runs/cancel: running task processes are killed; the run ends CANCELED. */
  async cancelRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId);
    if (handle) await handle.cancel();
  }

  /**
   * runs/delete: a finished run and its history go (every execution, repairs included). Its log
   * files stay on the workers' disks until they are cleaned up with DJOBS_HOME.
   */
  async deleteRun(runId: number): Promise<void> {
    const jobRunId = jobRunIdOf(runId);
    // Described without decoding its memo: a run written with a key since removed can be deleted.
    const { workflowId, status } = await this.findExecution(jobRunId);
    if (status === 'RUNNING')
      throw new InvalidStateError(
        `Run ${jobRunId} is still active; cancel it or wait for it to finish before deleting it.`
      );
    // The current execution, then every earlier one (a repaired run has one per repair).
    const executions: { workflowId: string; runId?: string }[] = [{ workflowId }];
    for await (const wf of listExecutions(this.ctx, { query: `WorkflowId = '${workflowId}'` }))
      executions.push({ workflowId: wf.workflowId, runId: wf.runId });
    for (const execution of executions) {
      try {
        await this.ctx.temporal.workflowService.deleteWorkflowExecution({
          namespace: this.ctx.namespace,
          workflowExecution: execution,
        });
      } catch (err) {
        if ((err as { code?: number }).code !== GrpcStatus.NOT_FOUND) throw err; // gone already
      }
    }
  }

  /** Extension: no new task starts until `resumeRun`; running tasks finish. */
  async pauseRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId, true);
    await handle!.signal(pauseSignal);
  }

  /** Extension: start tasks again after `pauseRun`. */
  async resumeRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId, true);
    await handle!.signal(resumeSignal);
  }

  /** Described without decoding its memo: a run written with a key since removed can be canceled. */
  private async activeRunHandle(runId: number, mustBeActive = false) {
    const { workflowId, status } = await this.findExecution(jobRunIdOf(runId));
    if (status !== 'RUNNING') {
      if (mustBeActive) throw new InvalidStateError(`Run ${jobRunIdOf(runId)} is not active (${status}).`);
      return undefined;
    }
    return this.ctx.temporal.workflow.getHandle(workflowId);
  }

  /** runs/list from Temporal visibility (eventually consistent), newest first. */
  async listRuns(options: ListRunsOptions = {}): Promise<Run[]> {
    const clauses = [`WorkflowType = '${JOB_RUN_WORKFLOW_TYPE}'`];
    if (options.jobId !== undefined) clauses.push(`DjobsJobId = ${Math.trunc(options.jobId)}`);
    if (options.activeOnly) clauses.push(`ExecutionStatus = 'Running'`);
    if (options.completedOnly) clauses.push(`ExecutionStatus != 'Running'`);
    if (options.runType === 'JOB_RUN') clauses.push('DjobsJobId IS NOT NULL');
    if (options.runType === 'SUBMIT_RUN') clauses.push('DjobsJobId IS NULL');
    if (options.startTimeFrom !== undefined)
      clauses.push(`StartTime >= '${new Date(options.startTimeFrom).toISOString()}'`);
    if (options.startTimeTo !== undefined)
      clauses.push(`StartTime <= '${new Date(options.startTimeTo).toISOString()}'`);
    const narrowed = options.visibleTo ? await this.visibleRunsClause(options.visibleTo) : undefined;
    if (narrowed) clauses.push(narrowed);
    const limit = options.limit ?? 25;
    const runs: Run[] = [];
    const seen = new Set<string>();
    // A caller that may see only some runs (`where`) may need many visibility records per run it
    // sees, unless the listing is narrowed to them: read those in large pages, so a namespace of
    // thousands of runs costs a few round trips.
    const pageSize = options.where && !narrowed ? LISTING_PAGE_FOR_FILTERED : limit;
    for await (const wf of listExecutions(this.ctx, { query: clauses.join(' AND '), pageSize })) {
      // A repaired run has one workflow execution per repair; list it once, as its latest.
      if (seen.has(wf.workflowId)) continue;
      seen.add(wf.workflowId);
      const run = this.baseRun(wf);
      if (options.where && !(await options.where(run, accessOf(wf.memo)))) continue;
      runs.push(run);
      if (runs.length >= limit) break;
    }
    return runs;
  }

  /**
   * The listing clause of the runs a principal with keywords `visibleTo` may see: those that
   * started with access naming it, those of the jobs it may see now (a job shared after some of
   * its runs started), and those with no viewers indexed (started before runs carried them, or by
   * a run_job_task of a run older than patch `run-job-task-viewers`). Undefined, listing every
   * run, when it may see more jobs than one query names.
   */
  private async visibleRunsClause(visibleTo: readonly string[]): Promise<string | undefined> {
    const jobIds = await this.jobs.jobIdsVisibleTo(visibleTo, MAX_JOBS_IN_RUN_QUERY);
    return jobIds && viewersClause(visibleTo, jobIds);
  }

  /**
   * The run-list view of a run from its visibility record alone (search attributes, memo); a run
   * whose memo cannot be decoded is listed all the same, as INTERNAL_ERROR saying why.
   */
  private baseRun(wf: ListedExecution): Run {
    const sa = wf.typedSearchAttributes;
    const runId = sa.get(DjobsRunId) ?? runIdFromString(wf.workflowId);
    const jobId = sa.get(DjobsJobId);
    return {
      ...listedRun(
        {
          runId,
          ...(jobId !== undefined ? { jobId } : {}),
          runName: sa.get(DjobsJobName) ?? 'Untitled',
          trigger: (sa.get(DjobsTrigger) as TriggerType | undefined) ?? 'ONE_TIME',
          startTime: wf.startTime.getTime(),
          endTime: wf.closeTime?.getTime() ?? 0,
          status: wf.status.name,
          // Not yet admitted by its job's gate: PENDING, or QUEUED once queued (runs without the memo
          // key were marked only when queued).
          ...(sa.get(DjobsQueued) === true
            ? { admission: wf.memo?.[MEMO_ADMISSION] === 'PENDING' ? ('PENDING' as const) : ('QUEUED' as const) }
            : {}),
          result: sa.get(DjobsResultState),
          ...(wf.undecodable !== undefined ? { unreadable: wf.undecodable } : {}),
        },
        Date.now()
      ),
      ...runPeople(wf.memo),
      run_page_url: this.ctx.runPageUrl(runId),
    };
  }
}

function runDetails(input: JobRunInput): string {
  const params = Object.entries(input.jobParameters ?? {});
  return [
    `**Run** ${input.runId}${input.jobId !== undefined ? ` of job ${input.jobId}` : ' (one-time submit)'}`,
    `**Tasks** ${input.settings.tasks.length}: ${input.settings.tasks
      .slice(0, 20)
      .map((t) => t.task_key)
      .join(', ')}${input.settings.tasks.length > 20 ? ', …' : ''}`,
    params.length > 0 ? `**Parameters** ${params.map(([k, v]) => `${k}=${v}`).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
