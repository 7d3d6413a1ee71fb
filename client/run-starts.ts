// Starting runs: run-now, runs/submit, backfill and runs/repair. A run is one `jobRun` workflow
// (`djobs-run-<run_id>`) whose input is a validated snapshot of its settings; a repair is a new
// execution of the finished run's workflow.
import { randomInt } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  MAX_RUN_ID,
  applyLegacyTaskParameters,
  fireTimes,
  jobRunIdOf,
  latestAttempt,
  latestRepairIdProblem,
  onlyTasks,
  repairSelection,
  runAsOfSetting,
  runIdFromString,
  runWorkflowId,
  translateQuartzCron,
  updateAccess,
  validateJobSettings,
  type AccessControlEntry,
  type JobAccess,
  type JobSettings,
  type LegacyTaskParameters,
  type RunAsIdentity,
  type TriggerType,
} from '../core';
import { JOB_RUN_WORKFLOW_TYPE, type JobRunInput } from '../workflows/definitions';
import {
  DjobsJobId,
  DjobsJobName,
  DjobsRunId,
  DjobsTrigger,
  NOT_YET_ADMITTED,
  WorkflowKind,
  kindAttribute,
} from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, InvalidStateError, NotFoundError } from './errors';
import type { Jobs } from './jobs';
import type { RunLookup } from './run-lookup';
import type { RunReads } from './run-reads';
import { accessOf, runAsOf, runMemo } from './stored-records';
import { viewersAttribute } from './viewer-query';

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
  /**
   * run-now only: the task keys to run (`+key` with everything upstream, `key+` downstream); the
   * run's settings keep those tasks alone. Default: every task.
   */
  only?: string[];
  /** run-now only: whether this run queues behind max_concurrent_runs, whatever the job says. */
  queue?: { enabled: boolean };
  /** run-now only: the run's serverless settings, kept with its settings as Databricks keeps them. */
  performanceTarget?: JobSettings['performance_target'];
  durationTarget?: JobSettings['duration_target'];
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
  /**
   * When given, the id of the run's latest repair (a stale or unknown one is refused, as Databricks
   * refuses it); not required, since the engine orders repairs itself.
   */
  latestRepairId?: number;
}

export class RunStarts {
  constructor(
    private readonly ctx: ClientContext,
    private readonly jobs: Jobs,
    private readonly lookup: RunLookup,
    private readonly reads: RunReads
  ) {}

  /** jobs/run-now */
  async runNow(jobId: number, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    const { job, access, runAs } = await this.jobs.recentJob(jobId);
    let settings = job.settings;
    if (options.only && options.only.length > 0) settings = onlySettings(settings, options.only);
    if (options.taskParameters) {
      const applied = applyLegacyTaskParameters(settings, options.taskParameters, {
        jobId,
        jobParametersGiven: options.jobParameters !== undefined,
      });
      if (applied.problems.length > 0)
        throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, applied.problems.join(' '));
      settings = applied.settings;
    }
    if (options.queue !== undefined) settings = { ...settings, queue: options.queue };
    if (options.performanceTarget !== undefined)
      settings = { ...settings, performance_target: options.performanceTarget };
    if (options.durationTarget !== undefined) settings = { ...settings, duration_target: options.durationTarget };
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
    const { desc: described } = await this.lookup.findRun(jobRunId);
    if (described.status.name === 'RUNNING') {
      throw new InvalidStateError(
        `Run ${jobRunId} is still running; a run can be repaired only after it has finished.`
      );
    }
    const previous = await this.reads.getRunState(jobRunId);
    const staleRepair = latestRepairIdProblem(previous.repair_history, options.latestRepairId, jobRunId);
    if (staleRepair) throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, staleRepair);
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
        kindAttribute(WorkflowKind.RUN),
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

/** A run's settings with only the tasks run-now's `only` chose; refused when they need a task left out. */
function onlySettings(settings: JobSettings, only: string[]): JobSettings {
  const chosen = onlyTasks(settings.tasks, only);
  if (!chosen.ok) throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, chosen.error);
  const restricted = { ...settings, tasks: chosen.tasks };
  const checked = validateJobSettings(restricted);
  if (!checked.ok)
    throw new DjobsError(
      ErrorCode.INVALID_PARAMETER_VALUE,
      `only leaves out what the chosen tasks need: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`
    );
  return restricted;
}
