// DurableJobsClient: the one door for service code (and the CLI, and later the REST API) into
// durable-jobs. It speaks Databricks shapes (Job, Run, RunOutput) and hides Temporal: a job is a
// Temporal Schedule whose action carries the job's settings; a run is one `jobRun` workflow.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import { userInfo } from 'node:os';
import {
  Client,
  Connection,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type ScheduleOptionsAction,
  type ScheduleSpec,
  type TLSConfig,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type DataConverter } from '@temporalio/common';
import {
  MAX_RUN_ID,
  applyLegacyTaskParameters,
  downstreamOf,
  fireTimes,
  isRunTerminal,
  isTaskRunId,
  jobRunIdOf,
  jobScheduleId,
  latestAttempt,
  runIdFromString,
  runWorkflowId,
  toDatabricksRun,
  translateQuartzCron,
  validateJobSettings,
  ownerName,
  updateAccess,
  type AccessControlEntry,
  type AttemptState,
  type JsonValue,
  type JobAccess,
  type JobSettings,
  type LegacyTaskParameters,
  type Run,
  type RunState,
  type RunTask,
  type TriggerType,
} from '../spec';
import {
  JOB_RUN_WORKFLOW_TYPE,
  getRunStateQuery,
  pauseSignal,
  resumeSignal,
  CONTINUOUS_WORKFLOW_TYPE,
  FILE_ARRIVAL_WORKFLOW_TYPE,
  configureTriggerSignal,
  continuousWorkflowId,
  fileArrivalWorkflowId,
  MODEL_TRIGGER_WORKFLOW_TYPE,
  modelTriggerWorkflowId,
  stopTriggerSignal,
  type JobRunInput,
  type JobRunOptions,
} from '../workflows/definitions';
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
import {
  DjobsError,
  ErrorCode,
  InvalidStateError,
  NotFoundError,
  SpecValidationError,
  TemporalUnavailableError,
} from './errors';
import { ensureSearchAttributes } from './search-attributes';
import type { ContinuousConfig, FileArrivalConfig } from '../workflows/triggers';
import type { ModelTriggerConfig } from '../workflows/model-trigger';
import { modelTriggerConfig } from './model-trigger';

export interface DurableJobsClientOptions {
  /** Temporal frontend, host:port. @default '127.0.0.1:7233' */
  address?: string;
  /** @default 'default' */
  namespace?: string;
  /** Task queue of the job-run workflows (what `djobs worker` serves). @default 'djobs' */
  taskQueue?: string;
  /** Base URL of the Temporal Web UI, used for `run_page_url`. @default 'http://localhost:8233' */
  uiUrl?: string;
  /** Options applied to every run this client starts (parallelism, heartbeat timeout). */
  runOptions?: JobRunOptions;
  /** Who creates jobs and runs (Databricks `creator_user_name`). */
  user?: string;
  /** Timing of triggers (file arrival, continuous, periodic). */
  triggers?: Partial<TriggerTiming>;
  /**
   * How long a job's access (owner and grants), read for a permission check, is reused. Changes
   * made through this client take effect at once; changes made by another process (a second
   * API replica) are seen within this time. 0 reads it on every check. @default 1000
   */
  jobAccessCacheMs?: number;
  /** Payload codec and failure converter (`djobsDataConverter`); default: plain payloads. */
  dataConverter?: DataConverter;
  /** TLS or mTLS to the Temporal frontend (`temporalTls`). */
  tls?: TLSConfig;
}

export interface TriggerTiming {
  /** Multiplies every trigger period (tests and demos). @default 1 */
  timeScale: number;
  /** How often file-arrival triggers list their location. @default 10 */
  fileArrivalPollSeconds: number;
  /** Wait after a continuous job's first failed run; doubles per consecutive failure. @default 10 */
  continuousBackoffSeconds: number;
  /** @default 600 */
  continuousBackoffMaxSeconds: number;
  /** How often model triggers read the MLflow Model Registry. @default 60 */
  modelPollSeconds: number;
}

/** Bounds the job-access cache of a long-lived client (an API server over many jobs). */
const ACCESS_CACHE_ENTRIES = 10_000;

const DEFAULT_TRIGGER_TIMING: TriggerTiming = {
  timeScale: 1,
  fileArrivalPollSeconds: 10,
  continuousBackoffSeconds: 10,
  continuousBackoffMaxSeconds: 600,
  modelPollSeconds: 60,
};

const UNIT_MS = { MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 604_800_000 } as const;

/** Databricks `Job` (jobs/get). */
export interface Job {
  job_id: number;
  creator_user_name?: string;
  /** Who the job's runs run as: `settings.run_as`, else the owner. */
  run_as_user_name: string;
  created_time: number;
  settings: JobSettings;
}

/** Databricks `RunOutput` (runs/get-output) plus `log_path`, a durable-jobs extension. */
export interface RunOutput {
  metadata: RunTask;
  /** For run_job_task: the run it started. */
  run_job_output?: { run_id: number };
  logs?: string;
  logs_truncated?: boolean;
  log_path?: string;
  error?: string;
  error_trace?: string;
  notebook_output?: { result?: string; truncated: boolean };
  /** durable-jobs extension: the values the task set (dbutils.jobs.taskValues.set), by key. */
  task_values?: Record<string, JsonValue>;
}

export interface StartRunOptions {
  /** Job parameter overrides, name → value. */
  jobParameters?: Record<string, string>;
  /** Same token ⇒ same run: a retried request never starts a second run (≤ 64 chars). */
  idempotencyToken?: string;
  runName?: string;
  /** Who starts the run (`creator_user_name`); default: the client's `user`. */
  user?: string;
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
  /** Keep only runs this accepts; `recorded` is the access the run started with. */
  where?: (run: Run, recorded: JobAccess | undefined) => Promise<boolean> | boolean;
  /** @default 25 */
  limit?: number;
}

const JOB_MEMO_CREATED = 'created_time';
const JOB_MEMO_CREATOR = 'creator_user_name';
/** Memo keys on a job's schedule action, hence on every run it starts, and on run-now/submit runs. */
const MEMO_ACCESS = 'djobs_access';
const MEMO_RUN_AS = 'run_as_user_name';
/** The legacy task parameters a run-now run was started with (Databricks `overriding_parameters`). */
const MEMO_OVERRIDING = 'overriding_parameters';
/** How late a missed scheduled run may still start after an outage. */
const SCHEDULE_CATCHUP_WINDOW = '10 minutes';
const MAX_LOG_BYTES = 5 * 1024 * 1024;

export class DurableJobsClient {
  readonly namespace: string;
  readonly taskQueue: string;
  private readonly uiUrl: string;

  /** Recently read job access, by job id (see `jobAccessCacheMs`), oldest first. */
  private readonly accessCache = new Map<number, { at: number; access: Promise<JobAccess> }>();

  private constructor(
    readonly temporal: Client,
    private readonly options: DurableJobsClientOptions
  ) {
    this.namespace = options.namespace ?? 'default';
    this.taskQueue = options.taskQueue ?? 'djobs';
    this.uiUrl = (options.uiUrl ?? 'http://localhost:8233').replace(/\/$/, '');
  }

  /** Connect to Temporal and register the search attributes runs are indexed by. */
  static async connect(options: DurableJobsClientOptions = {}): Promise<DurableJobsClient> {
    const address = options.address ?? '127.0.0.1:7233';
    let connection: Connection;
    try {
      connection = await Connection.connect({
        address,
        connectTimeout: '5s',
        ...(options.tls ? { tls: options.tls } : {}),
      });
    } catch (err) {
      throw new TemporalUnavailableError(address, err);
    }
    const client = new Client({
      connection,
      namespace: options.namespace ?? 'default',
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    });
    await ensureSearchAttributes(connection, options.namespace ?? 'default');
    return new DurableJobsClient(client, options);
  }

  /** Wrap an existing Temporal client (service code that already has one). */
  static fromClient(client: Client, options: DurableJobsClientOptions = {}): DurableJobsClient {
    return new DurableJobsClient(client, { ...options, namespace: client.options.namespace });
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /** The Temporal Web UI page of this client's namespace (the web UI links each run to it). */
  temporalNamespaceUrl(): string {
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}`;
  }

  // ---------------------------------------------------------------- jobs

  /** jobs/create: validates the settings, stores the job as a Temporal Schedule, returns its id. */
  async createJob(settings: unknown, options: CreateJobOptions = {}): Promise<{ job_id: number }> {
    const valid = this.validate(settings);
    const created = Date.now();
    const creator = options.creator ?? { name: this.defaultUser(), kind: 'user' };
    const access = updateAccess(
      {
        owner: creator.kind === 'user' ? { user_name: creator.name } : { service_principal_name: creator.name },
        grants: [],
      },
      options.accessControlList ?? []
    );
    for (let tries = 0; ; tries++) {
      const jobId = randomInt(1, MAX_RUN_ID);
      try {
        await this.temporal.schedule.create({
          scheduleId: jobScheduleId(jobId),
          ...this.scheduleFields(jobId, valid, access, creator.name),
          memo: { [JOB_MEMO_CREATED]: created, [JOB_MEMO_CREATOR]: creator.name },
        });
        await this.syncTriggerWorkflows(jobId, valid);
        return { job_id: jobId };
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning && tries < 5) continue;
        throw err;
      }
    }
  }

  /** jobs/get */
  async getJob(jobId: number): Promise<Job> {
    return (await this.describeJob(jobId)).job;
  }

  /** Who owns a job and who else may see, run or manage it. */
  async getJobAccess(jobId: number): Promise<JobAccess> {
    const ttl = this.options.jobAccessCacheMs ?? 1000;
    if (ttl <= 0) return (await this.describeJob(jobId)).access;
    const hit = this.accessCache.get(jobId);
    if (hit && Date.now() - hit.at < ttl) return hit.access;
    // One read serves every check that arrives while it is in flight; a failed one is not kept.
    const access = this.describeJob(jobId).then((d) => d.access);
    this.accessCache.delete(jobId); // re-inserted last, so the first entry is the oldest
    this.accessCache.set(jobId, { at: Date.now(), access });
    if (this.accessCache.size > ACCESS_CACHE_ENTRIES) this.accessCache.delete(this.accessCache.keys().next().value!);
    access.catch(() => {
      if (this.accessCache.get(jobId)?.access === access) this.accessCache.delete(jobId);
    });
    return access;
  }

  /** Store a job's new access (owner and grants); runs in flight keep the access they started with. */
  async setJobAccess(jobId: number, access: JobAccess): Promise<void> {
    try {
      await this.temporal.schedule.getHandle(jobScheduleId(jobId)).update((prev) => {
        const input = prev.action.args?.[0] as JobRunInput;
        return this.scheduleFields(jobId, input.settings, access, creatorOf(prev.memo).creator_user_name);
      });
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    } finally {
      this.accessCache.delete(jobId);
    }
  }

  private async describeJob(jobId: number): Promise<{ job: Job; access: JobAccess }> {
    const handle = this.temporal.schedule.getHandle(jobScheduleId(jobId));
    try {
      const d = await handle.describe();
      const input = d.action.args?.[0] as JobRunInput;
      const creator = creatorOf(d.memo);
      const access = accessOf(d.action.memo) ?? {
        owner: { user_name: creator.creator_user_name ?? 'unknown' },
        grants: [],
      };
      return {
        job: {
          job_id: jobId,
          created_time: Number(d.memo?.[JOB_MEMO_CREATED] ?? d.info.createdAt.getTime()),
          ...creator,
          run_as_user_name: runAsOf(input.settings, access),
          settings: input.settings,
        },
        access,
      };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    }
  }

  /** jobs/list: every job, newest first. Listing is eventually consistent in Temporal. */
  async listJobs(options: { name?: string; expandTasks?: boolean } = {}): Promise<Job[]> {
    const jobs: Job[] = [];
    for await (const s of this.temporal.schedule.list()) {
      const m = /^djobs-job-(\d+)$/.exec(s.scheduleId);
      if (!m) continue;
      const jobId = Number(m[1]);
      const name = s.typedSearchAttributes?.get(DjobsJobName);
      if (options.name !== undefined && name !== options.name) continue;
      if (options.expandTasks) {
        try {
          jobs.push(await this.getJob(jobId));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err; // deleted since it was listed
        }
        continue;
      }
      const creator = creatorOf(s.memo);
      jobs.push({
        job_id: jobId,
        created_time: Number(s.memo?.[JOB_MEMO_CREATED] ?? 0),
        ...creator,
        run_as_user_name: creator.creator_user_name ?? 'unknown',
        settings: { name: name ?? 'Untitled' } as JobSettings,
      });
    }
    return jobs.sort((a, b) => b.created_time - a.created_time || b.job_id - a.job_id);
  }

  /** jobs/reset: replaces all settings. Runs already started keep the settings they started with. */
  async resetJob(jobId: number, settings: unknown): Promise<void> {
    const valid = this.validate(settings);
    try {
      await this.temporal.schedule.getHandle(jobScheduleId(jobId)).update((prev) => {
        const creator = creatorOf(prev.memo).creator_user_name;
        const access = accessOf(prev.action.memo) ?? { owner: { user_name: creator ?? 'unknown' }, grants: [] };
        return this.scheduleFields(jobId, valid, access, creator);
      });
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    }
    await this.syncTriggerWorkflows(jobId, valid);
  }

  /** jobs/delete: the job and its schedule go; runs in flight finish. */
  async deleteJob(jobId: number): Promise<void> {
    try {
      await this.temporal.schedule.getHandle(jobScheduleId(jobId)).delete();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    } finally {
      this.accessCache.delete(jobId);
    }
    await this.stopTriggerWorkflow(fileArrivalWorkflowId(jobId));
    await this.stopTriggerWorkflow(continuousWorkflowId(jobId));
    await this.stopTriggerWorkflow(modelTriggerWorkflowId(jobId));
  }

  private get triggerTiming(): TriggerTiming {
    return { ...DEFAULT_TRIGGER_TIMING, ...this.options.triggers };
  }

  /**
   * File-arrival and continuous jobs are driven by a workflow of their own: start it, or hand it
   * the job's new configuration (it keeps its memory of seen files), or stop it when the job no
   * longer has that trigger. Pausing keeps it, paused.
   */
  private async syncTriggerWorkflows(jobId: number, settings: JobSettings): Promise<void> {
    const t = this.triggerTiming;
    const fa = settings.trigger?.file_arrival;
    if (fa) {
      const config: FileArrivalConfig = {
        url: fa.url,
        paused: settings.trigger?.pause_status === 'PAUSED',
        minBetweenMs: (fa.min_time_between_triggers_seconds ?? 0) * 1000 * t.timeScale,
        waitAfterChangeMs: (fa.wait_after_last_change_seconds ?? 0) * 1000 * t.timeScale,
        pollMs: t.fileArrivalPollSeconds * 1000,
      };
      await this.configureTriggerWorkflow(
        FILE_ARRIVAL_WORKFLOW_TYPE,
        fileArrivalWorkflowId(jobId),
        jobId,
        config,
        `file arrival trigger of job ${jobId}: ${fa.url}`
      );
    } else await this.stopTriggerWorkflow(fileArrivalWorkflowId(jobId));
    if (settings.continuous) {
      const config: ContinuousConfig = {
        paused: settings.continuous.pause_status === 'PAUSED',
        backoffInitialMs: t.continuousBackoffSeconds * 1000,
        backoffMaxMs: t.continuousBackoffMaxSeconds * 1000,
      };
      await this.configureTriggerWorkflow(
        CONTINUOUS_WORKFLOW_TYPE,
        continuousWorkflowId(jobId),
        jobId,
        config,
        `continuous job ${jobId}`
      );
    } else await this.stopTriggerWorkflow(continuousWorkflowId(jobId));
    const model = modelTriggerConfig(settings, t);
    if (model)
      await this.configureTriggerWorkflow(
        MODEL_TRIGGER_WORKFLOW_TYPE,
        modelTriggerWorkflowId(jobId),
        jobId,
        model,
        `model trigger of job ${jobId}: ${model.condition} ${model.scope || '(every model)'}`
      );
    else await this.stopTriggerWorkflow(modelTriggerWorkflowId(jobId));
  }

  /** Start a job's trigger workflow with `config`, or hand a running one its new `config`. */
  private async configureTriggerWorkflow(
    type: string,
    workflowId: string,
    jobId: number,
    config: FileArrivalConfig | ContinuousConfig | ModelTriggerConfig,
    summary: string
  ): Promise<void> {
    await this.temporal.workflow.signalWithStart(type, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [{ jobId, config, ...(this.options.runOptions ? { options: this.options.runOptions } : {}) }],
      signal: configureTriggerSignal,
      signalArgs: [config],
      typedSearchAttributes: [{ key: DjobsJobId, value: jobId }],
      staticSummary: summary,
    });
  }

  private async stopTriggerWorkflow(workflowId: string): Promise<void> {
    try {
      await this.temporal.workflow.getHandle(workflowId).signal(stopTriggerSignal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // none, or finished
    }
  }

  /** The next times a job's schedule fires (empty when it has none or is paused). */
  async nextScheduledRuns(jobId: number): Promise<Date[]> {
    try {
      const d = await this.temporal.schedule.getHandle(jobScheduleId(jobId)).describe();
      return d.state.paused ? [] : d.info.nextActionTimes;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    }
  }

  private validate(settings: unknown): JobSettings {
    const result = validateJobSettings(settings);
    if (!result.ok) throw new SpecValidationError(result.errors);
    return result.settings;
  }

  /**
   * The schedule that stores a job. A job without a cron schedule (or with pause_status PAUSED)
   * is a paused schedule: Temporal deletes idle unpaused schedules with no future actions after
   * about a week, and a paused one never, so jobs never vanish.
   */
  private scheduleFields(jobId: number, settings: JobSettings, access: JobAccess, creator: string | undefined) {
    const input: JobRunInput = {
      jobId,
      settings,
      trigger: 'PERIODIC',
      runType: 'JOB_RUN',
      ...(this.options.runOptions ? { options: this.options.runOptions } : {}),
    };
    let spec: ScheduleSpec = {};
    const periodic = settings.trigger?.periodic;
    if (periodic) {
      const every = Math.max(
        1000,
        Math.round(periodic.interval * UNIT_MS[periodic.unit] * this.triggerTiming.timeScale)
      );
      spec = { intervals: [{ every }] };
    }
    if (settings.schedule) {
      const cron = translateQuartzCron(settings.schedule.quartz_cron_expression);
      if (!cron.ok) {
        throw new SpecValidationError(
          cron.errors.map((message: string) => ({ path: 'schedule.quartz_cron_expression', message }))
        );
      }
      spec = { calendars: cron.calendars as ScheduleSpec['calendars'], timezone: settings.schedule.timezone_id };
    }
    const paused = settings.schedule
      ? settings.schedule.pause_status === 'PAUSED'
      : !periodic || settings.trigger?.pause_status === 'PAUSED';
    const name = settings.name ?? 'Untitled';
    const action: ScheduleOptionsAction = {
      type: 'startWorkflow',
      workflowType: JOB_RUN_WORKFLOW_TYPE,
      taskQueue: this.taskQueue,
      workflowId: `djobs-sched-${jobId}`,
      args: [input],
      // Every scheduled run records who it runs as and the job's access at its start.
      memo: { ...runMemo(access, runAsOf(settings, access), creator), ...NOT_YET_ADMITTED.memo },
      typedSearchAttributes: [
        { key: DjobsJobId, value: jobId },
        { key: DjobsJobName, value: name },
        { key: DjobsTrigger, value: 'PERIODIC' },
        NOT_YET_ADMITTED.searchAttribute,
      ],
      staticSummary: `${name} · scheduled run of job ${jobId}`,
    };
    return {
      spec,
      action,
      policies: {
        // Every fire starts a run; the job's slot gate applies max_concurrent_runs and its queue
        // to it exactly as to run-now, recording a skipped run where Databricks does.
        overlap: ScheduleOverlapPolicy.ALLOW_ALL,
        catchupWindow: SCHEDULE_CATCHUP_WINDOW,
      },
      state: {
        paused,
        note: settings.schedule
          ? `durable-jobs job ${jobId}: ${settings.schedule.quartz_cron_expression} (${settings.schedule.timezone_id})`
          : `durable-jobs job ${jobId}: no schedule; kept paused so Temporal keeps it`,
      },
      typedSearchAttributes: [
        { key: DjobsJobId, value: jobId },
        { key: DjobsJobName, value: name },
      ],
    };
  }

  // ---------------------------------------------------------------- runs

  /** jobs/run-now */
  async runNow(jobId: number, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    const { job, access } = await this.describeJob(jobId);
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
    return this.startRun(settings, { ...options, jobId, trigger: 'ONE_TIME', runType: 'JOB_RUN' }, access);
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
    const { job, access } = await this.describeJob(jobId);
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
        access
      );
      started.push({ run_id, trigger_time: t });
    }
    return started;
  }

  /** runs/submit: a one-time run of settings that are not stored as a job. */
  async submitRun(settings: unknown, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    const valid = this.validate(settings);
    const submitter = options.user ?? this.defaultUser();
    const access = updateAccess({ owner: { user_name: submitter }, grants: [] }, options.accessControlList ?? []);
    return this.startRun(valid, { ...options, trigger: 'ONE_TIME', runType: 'SUBMIT_RUN' }, access);
  }

  private defaultUser(): string {
    return this.options.user ?? userInfo().username;
  }

  private async startRun(
    settings: JobSettings,
    o: StartRunOptions & {
      jobId?: number;
      trigger: TriggerType;
      runType: 'JOB_RUN' | 'SUBMIT_RUN';
      triggerTime?: number;
    },
    access: JobAccess
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
    // A job run is QUEUED or PENDING from the moment it exists until its job's gate admits it.
    const admission = o.jobId !== undefined ? NOT_YET_ADMITTED : undefined;
    for (let tries = 0; ; tries++) {
      const runId =
        o.idempotencyToken !== undefined
          ? runIdFromString(`${o.jobId ?? 'submit'}:${o.idempotencyToken}`)
          : randomInt(1, MAX_RUN_ID);
      const input: JobRunInput = {
        runId,
        ...(o.jobId !== undefined ? { jobId: o.jobId } : {}),
        runName: name,
        settings,
        ...(o.jobParameters ? { jobParameters: o.jobParameters } : {}),
        trigger: o.trigger,
        ...(o.triggerTime !== undefined ? { triggerTime: o.triggerTime } : {}),
        runType: o.runType,
        ...(this.options.runOptions ? { options: this.options.runOptions } : {}),
      };
      try {
        await this.temporal.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
          workflowId: runWorkflowId(runId),
          taskQueue: this.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          memo: {
            ...runMemo(access, runAsOf(settings, access), o.user ?? this.defaultUser(), o.taskParameters),
            ...admission?.memo,
          },
          typedSearchAttributes: [
            ...(o.jobId !== undefined ? [{ key: DjobsJobId, value: o.jobId }] : []),
            { key: DjobsRunId, value: runId },
            { key: DjobsJobName, value: name },
            { key: DjobsTrigger, value: o.trigger },
            ...(admission ? [admission.searchAttribute] : []),
          ],
          staticSummary: `${name} · run ${runId}${o.jobId !== undefined ? ` of job ${o.jobId}` : ''}`,
          staticDetails: runDetails(input),
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
    if (previous.job_id !== undefined && previous.run_type === 'JOB_RUN') {
      try {
        settings = (await this.getJob(previous.job_id)).settings;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // job deleted: repair with the run's own settings
      }
    }
    const keys = settings.tasks.map((t) => t.task_key);
    let chosen: string[];
    if (options.rerunTasks && options.rerunTasks.length > 0) {
      const dupes = options.rerunTasks.filter((k, i) => options.rerunTasks!.indexOf(k) !== i);
      if (dupes.length > 0)
        throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, 'rerun_tasks cannot contain duplicate task keys.');
      const unknown = options.rerunTasks.filter((k) => !keys.includes(k));
      if (unknown.length > 0) {
        throw new DjobsError(
          ErrorCode.INVALID_PARAMETER_VALUE,
          `rerun_tasks names unknown task${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`
        );
      }
      chosen = options.rerunTasks;
    } else if (options.rerunAllFailedTasks) {
      const ok = new Set(['SUCCESS', 'EXCLUDED', 'DISABLED']);
      chosen = keys.filter((k) => {
        const t = previous.tasks[k];
        return !t || !ok.has(latestAttempt(t).result ?? '');
      });
    } else {
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, 'Repair needs rerun_tasks or rerun_all_failed_tasks.');
    }
    if (options.rerunDependentTasks) {
      const down = downstreamOf(settings.tasks);
      const all = new Set(chosen);
      const stack = [...chosen];
      while (stack.length > 0) {
        for (const d of down.get(stack.pop()!) ?? []) {
          if (all.has(d)) continue;
          all.add(d);
          stack.push(d);
        }
      }
      chosen = keys.filter((k) => all.has(k));
    }
    if (chosen.length === 0)
      throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, `Run ${jobRunId} has no failed tasks to repair.`);
    const defined = new Set((settings.parameters ?? []).map((p) => p.name));
    const unknownParams = Object.keys(options.jobParameters ?? {}).filter((k) => !defined.has(k));
    if (unknownParams.length > 0) {
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        `Job parameter${unknownParams.length > 1 ? 's' : ''} ${unknownParams.map((k) => `"${k}"`).join(', ')} not defined in the job.`
      );
    }
    const repairId = randomInt(1, MAX_RUN_ID);
    const input: JobRunInput = {
      runId: jobRunId,
      ...(previous.job_id !== undefined ? { jobId: previous.job_id } : {}),
      runName: previous.run_name,
      settings,
      jobParameters: { ...previous.job_parameters, ...(options.jobParameters ?? {}) },
      trigger: previous.trigger,
      runType: previous.run_type,
      ...(this.options.runOptions ? { options: this.options.runOptions } : {}),
      repair: { repairId, previous, rerunTasks: chosen },
    };
    try {
      await this.temporal.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
        workflowId: runWorkflowId(jobRunId),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        ...(described.memo ? { memo: described.memo } : {}),
        typedSearchAttributes: [
          ...(previous.job_id !== undefined ? [{ key: DjobsJobId, value: previous.job_id }] : []),
          { key: DjobsRunId, value: jobRunId },
          { key: DjobsJobName, value: previous.run_name },
          { key: DjobsTrigger, value: previous.trigger },
        ],
        staticSummary: `${previous.run_name} · run ${jobRunId} · repair of ${chosen.length} task${chosen.length > 1 ? 's' : ''}`,
        staticDetails: `**Repair** ${repairId} of run ${jobRunId}\n\n**Re-runs** ${chosen.join(', ')}`,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new InvalidStateError(`Run ${jobRunId} is being repaired already.`);
      throw err;
    }
    return { repair_id: repairId };
  }

  /** runs/get, in the Databricks `Run` shape. Accepts a job run id or a task run id. */
  async getRun(runId: number): Promise<Run> {
    const { state, memo } = await this.runSnapshot(runId);
    return this.runView(state, memo);
  }

  /**
   * `getRun` for a caller who must first pass `check` on the run's access (it throws to refuse;
   * it sees undefined for a missing run, so permission is judged before existence). One describe
   * serves both, and the job's access and the run's state are read side by side.
   */
  async getRunIfAllowed(runId: number, check: (access: JobAccess | undefined) => void): Promise<Run> {
    let found: { handle: WorkflowHandle; desc: WorkflowExecutionDescription };
    try {
      found = await this.findRun(jobRunIdOf(runId));
    } catch (err) {
      if (err instanceof NotFoundError) check(undefined);
      throw err;
    }
    const state = this.readRunState(found.handle, found.desc.status.name);
    state.catch(() => undefined); // its failure matters only once access allows
    check((await this.accessOfRun(found.desc)).access);
    return this.runView(await state, found.desc.memo);
  }

  private runView(state: RunState, memo: Record<string, unknown> | undefined): Run {
    return {
      ...toDatabricksRun(state, Date.now()),
      ...runPeople(memo),
      run_page_url: this.runPageUrl(state.run_id),
    };
  }

  /** The run's full state (attempt logs, task values): what `getRun` is derived from. */
  async getRunState(runId: number): Promise<RunState> {
    return (await this.runSnapshot(runId)).state;
  }

  /**
   * Who may see and manage a run: its job's current access when the job still exists (so a
   * revoked grant takes effect on old runs too), else the access the run recorded at its start.
   */
  async getRunAccess(runId: number): Promise<{ jobId?: number; access?: JobAccess }> {
    return this.accessOfRun((await this.findRun(jobRunIdOf(runId))).desc);
  }

  private async accessOfRun(desc: WorkflowExecutionDescription): Promise<{ jobId?: number; access?: JobAccess }> {
    const jobId = desc.typedSearchAttributes.get(DjobsJobId);
    if (jobId !== undefined) {
      try {
        return { jobId, access: await this.getJobAccess(jobId) };
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const access = accessOf(desc.memo);
    return { ...(jobId !== undefined ? { jobId } : {}), ...(access ? { access } : {}) };
  }

  private async runSnapshot(runId: number): Promise<{ state: RunState; memo?: Record<string, unknown> }> {
    const jobRunId = jobRunIdOf(runId);
    const { handle, desc } = await this.findRun(jobRunId);
    const state = await this.readRunState(handle, desc.status.name);
    return { state, ...(desc.memo ? { memo: desc.memo } : {}) };
  }

  private async readRunState(handle: WorkflowHandle, status: string): Promise<RunState> {
    // A running run (or a canceled one, replayed) answers through a worker: say so when none does.
    const ask = async () => {
      try {
        return await this.temporal.withDeadline(Date.now() + 10_000, () => handle.query(getRunStateQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        throw new DjobsError(
          ErrorCode.TEMPORAL_UNAVAILABLE,
          `No worker answered for the state of ${handle.workflowId}; is a worker serving its task queue? (${(err as Error).message})`
        );
      }
    };
    if (status === 'RUNNING') return ask();
    if (status === 'COMPLETED') return (await handle.result()) as RunState;
    if (status === 'FAILED' || status === 'CANCELLED') {
      try {
        await handle.result();
      } catch (err) {
        const details =
          err instanceof WorkflowFailedError ? (err.cause as { details?: unknown[] })?.details : undefined;
        if (details?.[0]) return details[0] as RunState;
      }
    }
    // Canceled or terminated from outside: ask a worker to replay the run for its last state.
    return ask();
  }

  /** The run's workflow handle and its description (one describe call when its id is ours). */
  private async findRun(jobRunId: number): Promise<{ handle: WorkflowHandle; desc: WorkflowExecutionDescription }> {
    const handle = this.temporal.workflow.getHandle(runWorkflowId(jobRunId));
    try {
      return { handle, desc: await handle.describe() };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // Runs started by a schedule have schedule-made workflow ids; find them by search attribute.
    for await (const wf of this.temporal.workflow.list({ query: `DjobsRunId = ${jobRunId}` })) {
      const listed = this.temporal.workflow.getHandle(wf.workflowId);
      try {
        return { handle: listed, desc: await listed.describe() };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // deleted; visibility lags behind
      }
    }
    throw new NotFoundError('Run', jobRunId);
  }

  runPageUrl(runId: number): string {
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${runWorkflowId(runId)}`;
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
    const { handle, desc } = await this.findRun(jobRunId);
    if (desc.status.name === 'RUNNING')
      throw new InvalidStateError(
        `Run ${jobRunId} is still active; cancel it or wait for it to finish before deleting it.`
      );
    // The current execution, then every earlier one (a repaired run has one per repair).
    const executions: { workflowId: string; runId?: string }[] = [{ workflowId: handle.workflowId }];
    for await (const wf of this.temporal.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
      executions.push({ workflowId: wf.workflowId, runId: wf.runId });
    for (const execution of executions) {
      try {
        await this.temporal.workflowService.deleteWorkflowExecution({
          namespace: this.namespace,
          workflowExecution: execution,
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 5) throw err; // NOT_FOUND: gone already
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

  private async activeRunHandle(runId: number, mustBeActive = false) {
    const { handle, desc } = await this.findRun(jobRunIdOf(runId));
    if (desc.status.name !== 'RUNNING') {
      if (mustBeActive) throw new InvalidStateError(`Run ${jobRunIdOf(runId)} is not active (${desc.status.name}).`);
      return undefined;
    }
    return handle;
  }

  /** runs/get-output for one task of a run: by task run id, or job run id plus task key. */
  async getRunOutput(runId: number, taskKey?: string): Promise<RunOutput> {
    const state = await this.getRunState(runId);
    const run = toDatabricksRun(state, Date.now());
    let attempt: AttemptState | undefined;
    if (taskKey !== undefined) {
      const task = state.tasks[taskKey];
      if (!task) throw new NotFoundError('Run', `${state.run_id} task ${taskKey}`);
      attempt = latestAttempt(task);
    } else if (isTaskRunId(runId)) {
      attempt = Object.values(state.tasks)
        .flatMap((t) => t.attempts)
        .find((a) => a.run_id === runId);
      if (!attempt) throw new NotFoundError('Run', runId);
    } else if (state.settings.tasks.length === 1) {
      attempt = latestAttempt(Object.values(state.tasks)[0]!);
    } else {
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.'
      );
    }
    const metadata = run.tasks.find((t) => t.run_id === attempt.run_id)!;
    // A running attempt's log is named by its activity's heartbeat until the attempt records it.
    const logPath =
      attempt.logPath ??
      (attempt.phase === 'RUNNING' ? await this.runningLogPath(state.run_id, attempt.run_id) : undefined);
    const { logs, truncated } = readLog({ ...attempt, ...(logPath ? { logPath } : {}) });
    const taskValues = Object.values(state.tasks).find((t) => t.attempts.includes(attempt))?.taskValues;
    return {
      metadata,
      ...(logs !== undefined ? { logs, logs_truncated: truncated } : {}),
      ...(attempt.logPath ? { log_path: attempt.logPath } : {}),
      ...(attempt.childRunId !== undefined ? { run_job_output: { run_id: attempt.childRunId } } : {}),
      ...(taskValues && Object.keys(taskValues).length > 0 ? { task_values: taskValues } : {}),
      ...(attempt.errorMessage && attempt.result !== 'SUCCESS'
        ? { error: attempt.errorMessage, error_trace: attempt.logTail ?? '' }
        : {}),
      ...(metadata.notebook_task
        ? {
            notebook_output: {
              ...(attempt.notebookResult !== undefined ? { result: attempt.notebookResult } : {}),
              truncated: false,
            },
          }
        : {}),
    };
  }

  /** The log file of a running attempt, from the heartbeat of its activity (activities/index.ts). */
  private async runningLogPath(jobRunId: number, taskRunId: number): Promise<string | undefined> {
    const { desc } = await this.findRun(jobRunId);
    // Heartbeat details are payloads like any other: decoded (decrypted) by the codecs first.
    const { payloadConverter, payloadCodecs } = this.temporal.options.loadedDataConverter;
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

  /**
   * runs/export: one HTML view per task of the run (or the one task of a task run id), with its
   * state and its log, which is what a durable-jobs task has instead of notebook cells.
   */
  async exportRun(runId: number): Promise<{ views: { name: string; type: 'NOTEBOOK'; content: string }[] }> {
    const state = await this.getRunState(runId);
    const attempts = Object.entries(state.tasks)
      .map(([key, t]) => ({
        key,
        attempt: isTaskRunId(runId) ? t.attempts.find((a) => a.run_id === runId) : latestAttempt(t),
      }))
      .filter((x): x is { key: string; attempt: AttemptState } => x.attempt !== undefined);
    if (attempts.length === 0) throw new NotFoundError('Run', runId);
    return {
      views: attempts.map(({ key, attempt }) => ({
        name: key,
        type: 'NOTEBOOK',
        content: exportHtml(state.run_name, key, attempt, readLog(attempt).logs ?? ''),
      })),
    };
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
    const limit = options.limit ?? 25;
    const runs: Run[] = [];
    const seen = new Set<string>();
    for await (const wf of this.temporal.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
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

  private baseRun(wf: WorkflowExecutionInfo): Run {
    const sa = wf.typedSearchAttributes;
    const runId = sa.get(DjobsRunId) ?? runIdFromString(wf.workflowId);
    const jobId = sa.get(DjobsJobId);
    const result = sa.get(DjobsResultState) as Run['state']['result_state'] | undefined;
    const running = wf.status.name === 'RUNNING';
    // Not yet admitted by its job's gate: PENDING, or QUEUED once queued (runs without the memo key
    // were marked only when queued).
    const admission =
      running && sa.get(DjobsQueued) === true
        ? wf.memo?.[MEMO_ADMISSION] === 'PENDING'
          ? ('PENDING' as const)
          : ('QUEUED' as const)
        : undefined;
    const start = wf.startTime.getTime();
    const end = wf.closeTime?.getTime() ?? 0;
    const lifeCycle = admission
      ? admission
      : running
        ? 'RUNNING'
        : result === 'FAILED'
          ? 'INTERNAL_ERROR'
          : result === 'MAXIMUM_CONCURRENT_RUNS_REACHED'
            ? 'SKIPPED'
            : 'TERMINATED';
    const finalResult = running ? undefined : (result ?? (wf.status.name === 'COMPLETED' ? 'SUCCESS' : 'CANCELED'));
    return {
      ...(jobId !== undefined ? { job_id: jobId } : {}),
      run_id: runId,
      number_in_job: runId,
      original_attempt_run_id: runId,
      run_name: sa.get(DjobsJobName) ?? 'Untitled',
      run_type: jobId !== undefined ? 'JOB_RUN' : 'SUBMIT_RUN',
      trigger: (sa.get(DjobsTrigger) as TriggerType | undefined) ?? 'ONE_TIME',
      start_time: start,
      end_time: end,
      setup_duration: 0,
      execution_duration: 0,
      cleanup_duration: 0,
      run_duration: (end || Date.now()) - start,
      queue_duration: 0,
      format: 'MULTI_TASK',
      state: {
        life_cycle_state: lifeCycle,
        ...(finalResult ? { result_state: finalResult } : {}),
        state_message: '',
        user_cancelled_or_timedout: finalResult === 'CANCELED' || finalResult === 'TIMEDOUT',
      },
      status: admission ? { state: admission } : running ? { state: 'RUNNING' } : { state: 'TERMINATED' },
      job_parameters: [],
      tasks: [],
      ...runPeople(wf.memo),
      run_page_url: this.runPageUrl(runId),
    };
  }
}

/** The memo every run carries: who started it, who it runs as, and the access it started with. */
function runMemo(
  access: JobAccess,
  runAs: string,
  creator: string | undefined,
  overriding?: LegacyTaskParameters
): Record<string, unknown> {
  return {
    [MEMO_ACCESS]: access,
    [MEMO_RUN_AS]: runAs,
    ...(creator ? { [JOB_MEMO_CREATOR]: creator } : {}),
    ...(overriding && Object.keys(overriding).length > 0 ? { [MEMO_OVERRIDING]: overriding } : {}),
  };
}

function runPeople(memo: Record<string, unknown> | undefined): {
  creator_user_name?: string;
  run_as_user_name?: string;
  overriding_parameters?: LegacyTaskParameters;
} {
  const runAs = memo?.[MEMO_RUN_AS];
  const overriding = memo?.[MEMO_OVERRIDING] as LegacyTaskParameters | undefined;
  return {
    ...creatorOf(memo),
    ...(typeof runAs === 'string' ? { run_as_user_name: runAs } : {}),
    ...(overriding ? { overriding_parameters: overriding } : {}),
  };
}

function accessOf(memo: Record<string, unknown> | undefined): JobAccess | undefined {
  const a = memo?.[MEMO_ACCESS] as JobAccess | undefined;
  return a && typeof a === 'object' && a.owner && Array.isArray(a.grants) ? a : undefined;
}

/** Databricks: a job runs as its `run_as` identity, or else as its owner. */
function runAsOf(settings: JobSettings, access: JobAccess): string {
  const r = settings.run_as;
  return r?.user_name ?? r?.service_principal_name ?? r?.group_name ?? ownerName(access);
}

function creatorOf(memo: Record<string, unknown> | undefined): { creator_user_name?: string } {
  const c = memo?.[JOB_MEMO_CREATOR];
  return typeof c === 'string' ? { creator_user_name: c } : {};
}

function readLog(attempt: AttemptState): { logs?: string; truncated: boolean } {
  if (attempt.logPath && fs.existsSync(attempt.logPath)) {
    const size = fs.statSync(attempt.logPath).size;
    const fd = fs.openSync(attempt.logPath, 'r');
    try {
      const len = Math.min(size, MAX_LOG_BYTES);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return { logs: buf.toString('utf8'), truncated: size > len };
    } finally {
      fs.closeSync(fd);
    }
  }
  // Logs live on the worker's disk; off that machine, history's bounded tail is what we have.
  if (attempt.logTail !== undefined) return { logs: attempt.logTail, truncated: attempt.logTruncated ?? false };
  return { truncated: false };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function exportHtml(runName: string, taskKey: string, attempt: AttemptState, logs: string): string {
  const title = escapeHtml(`${runName} · ${taskKey}`);
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${title}</title></head><body>`,
    `<h1>${title}</h1>`,
    `<p>Task run ${attempt.run_id}, attempt ${attempt.attempt_number}: ${escapeHtml(attempt.result ?? 'RUNNING')}</p>`,
    attempt.errorMessage ? `<p>Error: ${escapeHtml(attempt.errorMessage)}</p>` : '',
    `<pre>${escapeHtml(logs)}</pre>`,
    '</body></html>',
  ].join('\n');
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
