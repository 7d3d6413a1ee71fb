// Jobs: a job is a Temporal Schedule whose action carries the job's settings and access (the
// schedule codec below), plus a trigger workflow for file-arrival and continuous jobs.
import { randomInt } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type ScheduleHandle,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import {
  MAX_RUN_ID,
  jobScheduleId,
  jobViewerKeywords,
  translateQuartzCron,
  updateAccess,
  type JobAccess,
  type JobSettings,
} from '../core';
import {
  JOB_RUN_WORKFLOW_TYPE,
  CONTINUOUS_WORKFLOW_TYPE,
  FILE_ARRIVAL_WORKFLOW_TYPE,
  configureTriggerSignal,
  continuousWorkflowId,
  fileArrivalWorkflowId,
  MODEL_TRIGGER_WORKFLOW_TYPE,
  modelTriggerWorkflowId,
  stopTriggerSignal,
  type ContinuousConfig,
  type FileArrivalConfig,
  type JobRunInput,
  type ModelTriggerConfig,
} from '../workflows/definitions';
import {
  DjobsBundleDeployment,
  DjobsJobId,
  DjobsJobName,
  DjobsTrigger,
  DjobsViewers,
  NOT_YET_ADMITTED,
} from '../workflows/search-attributes';
import { quoteQueryValue, viewersAttribute, viewersClause } from './viewer-query';
import type { AccessControlEntry } from '../core';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, GrpcStatus, NotFoundError, SpecValidationError } from './errors';
import type { temporal } from '@temporalio/proto';
import { LruCache } from './lru-cache';
import { modelTriggerConfig } from './model-trigger';
import {
  JOB_MEMO_BUNDLE_RESOURCE,
  JOB_MEMO_CREATED,
  JOB_MEMO_CREATOR,
  accessOf,
  createdTime,
  creatorOf,
  runAsOf,
  runMemo,
  scheduledRunInput,
} from './stored-records';
import { decodeMemo, decodedRecord, readableOr, unreadableMessage } from './undecodable-records';

/** Databricks `Job` (jobs/get). */
export interface Job {
  job_id: number;
  creator_user_name?: string;
  /** Who the job's runs run as: `settings.run_as`, else the owner. */
  run_as_user_name: string;
  created_time: number;
  settings: JobSettings;
  /**
   * Extension, listings only: why this job's stored record cannot be read (a key missing from the
   * key ring, altered bytes); the job is listed with its id and name all the same.
   */
  read_error?: string;
}

export interface CreateJobOptions {
  /** The creator, who owns the job unless the list names an IS_OWNER; default: the client's `user`. */
  creator?: { name: string; kind: 'user' | 'service_principal' };
  /** Databricks access_control_list: grants stored with the job. */
  accessControlList?: AccessControlEntry[];
  /**
   * Extension (bundles): create the job with this id, or fail with RESOURCE_ALREADY_EXISTS when a
   * job has it; default: a random id.
   */
  jobId?: number;
  /** Extension (bundles): the key of the bundle resource the job is, kept with the job. */
  bundleResourceKey?: string;
}

/** A job of a bundle's deployment, as the listing has it (`listBundleJobs`). */
export interface BundleJobListing {
  job_id: number;
  name: string;
  /** The resource key the job was created for; undefined for a job created otherwise. */
  resource_key?: string;
}

/** One page of jobs/list (`listJobsPage`). */
export interface ListJobsPageOptions {
  /** Jobs per page (one Temporal listing round trip). */
  limit: number;
  /** The `nextPageToken` of the page before. */
  pageToken?: string;
  /** Only jobs of this name. */
  name?: string;
  /** Each job's full settings (one describe per job on the page). */
  expandTasks?: boolean;
  /**
   * Only jobs whose owner or grants name one of these keywords (a principal's `viewerKeywordsOf`),
   * judged exactly for changes made through this client (`listJobsPage`).
   */
  visibleTo?: readonly string[];
}

/** Bounds the recently-read-jobs cache of a long-lived client (an API server over many jobs). */
const RECENT_JOBS = 10_000;
const UNIT_MS = { MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 604_800_000 } as const;
/** How late a missed scheduled run may still start after an outage. */
const SCHEDULE_CATCHUP_WINDOW = '10 minutes';
/** At most this many just-shared job ids are added to one listing query (`grantedSinceIndexed`). */
const MAX_GRANTED_IN_QUERY = 500;

export class Jobs {
  /** Recently read jobs, by job id (see `recentJob`). */
  private readonly recentJobs = new LruCache<number, { at: number; read: Promise<{ job: Job; access: JobAccess }> }>(
    RECENT_JOBS
  );

  /**
   * Jobs whose access this client changed (their viewer keywords now) or deleted (null), until a
   * listing shows the schedule's search attributes caught up: the listing's index is updated
   * after the change, so until then its word on who may see the job is not taken.
   */
  private readonly unindexedAccess = new LruCache<number, readonly string[] | null>(RECENT_JOBS);

  constructor(private readonly ctx: ClientContext) {}

  /** jobs/create: validates the settings, stores the job as a Temporal Schedule, returns its id. */
  async createJob(settings: unknown, options: CreateJobOptions = {}): Promise<{ job_id: number }> {
    const valid = this.ctx.validate(settings);
    const created = Date.now();
    const creator = options.creator ?? { name: this.ctx.defaultUser(), kind: 'user' };
    const access = updateAccess(
      {
        owner: creator.kind === 'user' ? { user_name: creator.name } : { service_principal_name: creator.name },
        grants: [],
      },
      options.accessControlList ?? []
    );
    for (let tries = 0; ; tries++) {
      const jobId = options.jobId ?? randomInt(1, MAX_RUN_ID);
      try {
        await this.ctx.temporal.schedule.create({
          scheduleId: jobScheduleId(jobId),
          ...this.scheduleFields(jobId, valid, access, creator.name),
          memo: {
            [JOB_MEMO_CREATED]: created,
            [JOB_MEMO_CREATOR]: creator.name,
            ...(options.bundleResourceKey !== undefined
              ? { [JOB_MEMO_BUNDLE_RESOURCE]: options.bundleResourceKey }
              : {}),
          },
        });
        await this.syncTriggerWorkflows(jobId, valid, { created: true });
        return { job_id: jobId };
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning && options.jobId !== undefined)
          throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Job ${jobId} already exists.`);
        if (err instanceof ScheduleAlreadyRunning && tries < 5) continue;
        throw err;
      }
    }
  }

  /** jobs/get */
  async getJob(jobId: number): Promise<Job> {
    return (await this.describeJob(jobId)).job;
  }

  /** Who owns a job and who else may see, run or manage it (as recently read: `recentJob`). */
  async getJobAccess(jobId: number): Promise<JobAccess> {
    return (await this.recentJob(jobId)).access;
  }

  /**
   * A job and its access as read at most `jobAccessCacheMs` ago: what permission checks and
   * run-now use, so a burst of requests on one job describes its schedule once. Every change made
   * through this client (reset, update, delete, permissions) drops the job at once; a change made
   * by another process is seen within that time.
   */
  recentJob(jobId: number): Promise<{ job: Job; access: JobAccess }> {
    const ttl = this.ctx.options.jobAccessCacheMs ?? 1000;
    if (ttl <= 0) return this.describeJob(jobId);
    const hit = this.recentJobs.get(jobId);
    if (hit && Date.now() - hit.at < ttl) return hit.read;
    // One read serves every request that arrives while it is in flight; a failed one is not kept.
    const read = this.describeJob(jobId);
    this.recentJobs.set(jobId, { at: Date.now(), read });
    read.catch(() => {
      if (this.recentJobs.get(jobId)?.read === read) this.recentJobs.delete(jobId);
    });
    return read;
  }

  /** Store a job's new access (owner and grants); runs in flight keep the access they started with. */
  async setJobAccess(jobId: number, access: JobAccess): Promise<void> {
    try {
      await this.onSchedule(jobId, (schedule) =>
        schedule.update((prev) => {
          const input = scheduledRunInput(prev.action.args, jobId);
          return this.scheduleFields(jobId, input.settings, access, creatorOf(prev.memo).creator_user_name);
        })
      );
    } finally {
      this.recentJobs.delete(jobId);
      // Even a failed update may have been applied: the listing is not trusted until it agrees.
      this.unindexedAccess.set(jobId, jobViewerKeywords(access));
    }
  }

  /** A job and its access, from one describe of its schedule. */
  async describeJob(jobId: number): Promise<{ job: Job; access: JobAccess }> {
    const d = await decodedRecord(`Job ${jobId}`, () => this.onSchedule(jobId, (schedule) => schedule.describe()));
    const input = scheduledRunInput(d.action.args, jobId);
    const creator = creatorOf(d.memo);
    const access = accessOf(d.action.memo) ?? {
      owner: { user_name: creator.creator_user_name ?? 'unknown' },
      grants: [],
    };
    return {
      job: {
        job_id: jobId,
        created_time: createdTime(d.memo, d.info.createdAt.getTime()),
        ...creator,
        run_as_user_name: runAsOf(input.settings, access),
        settings: input.settings,
      },
      access,
    };
  }

  /** Every job (the CLI's listing), newest first, read page by page. */
  async listJobs(options: { name?: string; expandTasks?: boolean } = {}): Promise<Job[]> {
    const jobs: Job[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listJobsPage({ ...options, limit: 1000, ...(pageToken ? { pageToken } : {}) });
      jobs.push(...page.jobs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return jobs.sort((a, b) => b.created_time - a.created_time || b.job_id - a.job_id);
  }

  /**
   * jobs/list, one page: newest first (Temporal's listing order of schedules), one listing round
   * trip per page; `pageToken` is the `nextPageToken` of the page before (Temporal's own, so
   * paging is exact while jobs come and go). `visibleTo` (a principal's `viewerKeywordsOf`) keeps
   * only jobs whose schedule names one of them: filtered by Temporal's listing, whose index follows
   * a change a moment later, then judged here (`visibleInListing`) without a read per job, except
   * for the jobs whose access this client changed until the index shows the change, and jobs
   * saved before the index had viewers.
   */
  async listJobsPage(options: ListJobsPageOptions): Promise<{ jobs: Job[]; nextPageToken?: string }> {
    const clauses = [`${DjobsJobId.name} IS NOT NULL`];
    if (options.name !== undefined) clauses.push(`${DjobsJobName.name} = ${quoteQueryValue(options.name)}`);
    // Jobs saved before DjobsViewers existed have none: listed, and judged by the caller's check.
    // Jobs this client just shared with the principal are asked for by id too: the index may not
    // name the principal yet, and a grant made through this server is honoured at once.
    if (options.visibleTo) clauses.push(viewersClause(options.visibleTo, this.grantedSinceIndexed(options.visibleTo)));
    let page: temporal.api.workflowservice.v1.IListSchedulesResponse;
    try {
      page = await this.ctx.temporal.workflowService.listSchedules({
        namespace: this.ctx.namespace,
        maximumPageSize: options.limit,
        query: clauses.join(' AND '),
        ...(options.pageToken ? { nextPageToken: Buffer.from(options.pageToken, 'base64url') } : {}),
      });
    } catch (err) {
      // A token Temporal did not make (or made for another query) is the caller's mistake: Temporal
      // refuses it as an invalid argument, or (SQL visibility) fails to decode it with UNKNOWN.
      const code = (err as { code?: number }).code;
      if (options.pageToken && (code === GrpcStatus.INVALID_ARGUMENT || code === GrpcStatus.UNKNOWN))
        throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, 'Invalid page_token.');
      throw err;
    }
    const jobs = await Promise.all(
      (page.schedules ?? []).map(async (s): Promise<Job | undefined> => {
        const jobId = jobIdOfSchedule(s.scheduleId);
        if (jobId === undefined) return undefined;
        const listed = decodeTypedSearchAttributes(s.searchAttributes?.indexedFields);
        if (options.visibleTo && !(await this.visibleInListing(jobId, listed.get(DjobsViewers), options.visibleTo)))
          return undefined;
        /** The job as the listing has it; one whose memo cannot be decoded is listed all the same. */
        const summary = async (readError?: string): Promise<Job> => {
          const { memo, undecodable } = await decodeMemo(this.ctx, s.memo?.fields);
          const creator = creatorOf(memo);
          const why =
            readError ?? (undecodable !== undefined ? unreadableMessage(`Job ${jobId}`, undecodable) : undefined);
          return {
            job_id: jobId,
            created_time: createdTime(memo, 0),
            ...creator,
            run_as_user_name: creator.creator_user_name ?? 'unknown',
            settings: { name: listed.get(DjobsJobName) ?? 'Untitled' } as JobSettings,
            ...(why !== undefined ? { read_error: why } : {}),
          };
        };
        if (!options.expandTasks) return summary();
        try {
          return await readableOr(() => this.getJob(jobId), summary);
        } catch (err) {
          if (err instanceof NotFoundError) return undefined; // deleted since it was listed
          throw err;
        }
      })
    );
    const next = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    return {
      jobs: jobs.filter((j) => j !== undefined),
      ...(next ? { nextPageToken: Buffer.from(next).toString('base64url') } : {}),
    };
  }

  /**
   * The jobs whose settings name this bundle deployment (`deployment.metadata_file_path`), as
   * Temporal's listing index has them (it follows a change within about a second).
   */
  async listBundleJobs(metadataFilePath: string): Promise<BundleJobListing[]> {
    const out: BundleJobListing[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await this.ctx.temporal.workflowService.listSchedules({
        namespace: this.ctx.namespace,
        maximumPageSize: 1000,
        query: `${DjobsJobId.name} IS NOT NULL AND ${DjobsBundleDeployment.name} = ${quoteQueryValue(metadataFilePath)}`,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      for (const s of page.schedules ?? []) {
        const jobId = jobIdOfSchedule(s.scheduleId);
        if (jobId === undefined) continue;
        const listed = decodeTypedSearchAttributes(s.searchAttributes?.indexedFields);
        const { memo } = await decodeMemo(this.ctx, s.memo?.fields);
        const key = memo?.[JOB_MEMO_BUNDLE_RESOURCE];
        out.push({
          job_id: jobId,
          name: listed.get(DjobsJobName) ?? 'Untitled',
          ...(typeof key === 'string' ? { resource_key: key } : {}),
        });
      }
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return out;
  }

  /**
   * The ids of the jobs a principal with keywords `visibleTo` may see, a superset as Temporal's
   * index has it (plus the jobs this client just shared with it, and jobs with no viewers
   * indexed); undefined when there are more than `max` (one listing page): runs/list then does
   * without them.
   */
  async jobIdsVisibleTo(visibleTo: readonly string[], max: number): Promise<number[] | undefined> {
    const granted = this.grantedSinceIndexed(visibleTo);
    const page = await this.ctx.temporal.workflowService.listSchedules({
      namespace: this.ctx.namespace,
      maximumPageSize: max,
      query: `${DjobsJobId.name} IS NOT NULL AND ${viewersClause(visibleTo, granted)}`,
    });
    if (page.nextPageToken && page.nextPageToken.length > 0) return undefined;
    const ids = (page.schedules ?? []).flatMap((s) => jobIdOfSchedule(s.scheduleId) ?? []);
    return [...new Set([...ids, ...granted])];
  }

  /**
   * Jobs whose access this client changed so that a principal with keywords `visibleTo` may see
   * them, while the listing may not show it yet (the most recent `MAX_GRANTED_IN_QUERY`, to bound
   * the query; the index catches up in about a second, and each listing that shows a job caught up
   * forgets it).
   */
  private grantedSinceIndexed(visibleTo: readonly string[]): number[] {
    const granted: number[] = [];
    for (const [jobId, viewers] of this.unindexedAccess)
      if (viewers !== null && viewers.some((v) => visibleTo.includes(v))) granted.push(jobId);
    return granted.slice(-MAX_GRANTED_IN_QUERY);
  }

  /**
   * Whether a listed job is visible to a principal with keywords `visibleTo`: by the viewers the
   * listing shows, unless this client changed the job's access (or deleted it) and the listing
   * does not show that yet, or the job has no viewers indexed; those are read afresh.
   */
  private async visibleInListing(
    jobId: number,
    listedViewers: readonly string[] | undefined,
    visibleTo: readonly string[]
  ): Promise<boolean> {
    const meets = (viewers: readonly string[]) => viewers.some((v) => visibleTo.includes(v));
    const pending = this.unindexedAccess.get(jobId);
    const caughtUp =
      pending === undefined ||
      (pending !== null && listedViewers !== undefined && sameKeywords(pending, listedViewers));
    if (pending !== undefined && caughtUp) this.unindexedAccess.delete(jobId);
    if (caughtUp && listedViewers !== undefined) return meets(listedViewers);
    try {
      return meets(jobViewerKeywords(await this.getJobAccess(jobId)));
    } catch (err) {
      if (err instanceof NotFoundError) return false; // deleted since it was listed
      throw err;
    }
  }

  /** jobs/reset: replaces all settings. Runs already started keep the settings they started with. */
  async resetJob(jobId: number, settings: unknown): Promise<void> {
    const valid = this.ctx.validate(settings);
    try {
      await this.onSchedule(jobId, (schedule) =>
        schedule.update((prev) => {
          const creator = creatorOf(prev.memo).creator_user_name;
          const access = accessOf(prev.action.memo) ?? { owner: { user_name: creator ?? 'unknown' }, grants: [] };
          return this.scheduleFields(jobId, valid, access, creator);
        })
      );
    } finally {
      this.recentJobs.delete(jobId);
    }
    await this.syncTriggerWorkflows(jobId, valid);
  }

  /** jobs/delete: the job and its schedule go; runs in flight finish. */
  async deleteJob(jobId: number): Promise<void> {
    try {
      await this.onSchedule(jobId, (schedule) => schedule.delete());
    } finally {
      this.recentJobs.delete(jobId);
      this.unindexedAccess.set(jobId, null);
    }
    await this.stopTriggerWorkflow(fileArrivalWorkflowId(jobId));
    await this.stopTriggerWorkflow(continuousWorkflowId(jobId));
    await this.stopTriggerWorkflow(modelTriggerWorkflowId(jobId));
  }

  /**
   * File-arrival and continuous jobs are driven by a workflow of their own: start it, or hand it
   * the job's new configuration (it keeps its memory of seen files), or stop it when the job no
   * longer has that trigger. Pausing keeps it, paused. A job just created has none to stop, so
   * creating a job without triggers is one round trip.
   */
  private async syncTriggerWorkflows(
    jobId: number,
    settings: JobSettings,
    o: { created?: boolean } = {}
  ): Promise<void> {
    const t = this.ctx.triggerTiming;
    const fa = settings.trigger?.file_arrival;
    const continuous = settings.continuous;
    const model = modelTriggerConfig(settings, t);
    const triggers: {
      type: string;
      workflowId: string;
      config?: FileArrivalConfig | ContinuousConfig | ModelTriggerConfig;
      summary: string;
    }[] = [
      {
        type: FILE_ARRIVAL_WORKFLOW_TYPE,
        workflowId: fileArrivalWorkflowId(jobId),
        ...(fa && {
          config: {
            url: fa.url,
            paused: settings.trigger?.pause_status === 'PAUSED',
            minBetweenMs: (fa.min_time_between_triggers_seconds ?? 0) * 1000 * t.timeScale,
            waitAfterChangeMs: (fa.wait_after_last_change_seconds ?? 0) * 1000 * t.timeScale,
            pollMs: t.fileArrivalPollSeconds * 1000,
          },
        }),
        summary: `file arrival trigger of job ${jobId}: ${fa?.url}`,
      },
      {
        type: CONTINUOUS_WORKFLOW_TYPE,
        workflowId: continuousWorkflowId(jobId),
        ...(continuous && {
          config: {
            paused: continuous.pause_status === 'PAUSED',
            backoffInitialMs: t.continuousBackoffSeconds * 1000,
            backoffMaxMs: t.continuousBackoffMaxSeconds * 1000,
          },
        }),
        summary: `continuous job ${jobId}`,
      },
      {
        type: MODEL_TRIGGER_WORKFLOW_TYPE,
        workflowId: modelTriggerWorkflowId(jobId),
        ...(model && { config: model }),
        summary: `model trigger of job ${jobId}: ${model?.condition} ${model?.scope || '(every model)'}`,
      },
    ];
    for (const trigger of triggers) {
      if (trigger.config)
        await this.configureTriggerWorkflow(trigger.type, trigger.workflowId, jobId, trigger.config, trigger.summary);
      else if (!o.created) await this.stopTriggerWorkflow(trigger.workflowId);
    }
  }

  /** Start a job's trigger workflow with `config`, or hand a running one its new `config`. */
  private async configureTriggerWorkflow(
    type: string,
    workflowId: string,
    jobId: number,
    config: FileArrivalConfig | ContinuousConfig | ModelTriggerConfig,
    summary: string
  ): Promise<void> {
    await this.ctx.temporal.workflow.signalWithStart(type, {
      workflowId,
      taskQueue: this.ctx.taskQueue,
      args: [{ jobId, config, ...(this.ctx.options.runOptions ? { options: this.ctx.options.runOptions } : {}) }],
      signal: configureTriggerSignal,
      signalArgs: [config],
      typedSearchAttributes: [{ key: DjobsJobId, value: jobId }],
      staticSummary: summary,
    });
  }

  private async stopTriggerWorkflow(workflowId: string): Promise<void> {
    try {
      await this.ctx.temporal.workflow.getHandle(workflowId).signal(stopTriggerSignal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // none, or finished
    }
  }

  /** The next times a job's schedule fires (empty when it has none or is paused). */
  async nextScheduledRuns(jobId: number): Promise<Date[]> {
    const d = await this.onSchedule(jobId, (schedule) => schedule.describe());
    return d.state.paused ? [] : d.info.nextActionTimes;
  }

  /** Act on a job's schedule; a missing schedule is a missing job (RESOURCE_DOES_NOT_EXIST). */
  private async onSchedule<T>(jobId: number, act: (schedule: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await act(this.ctx.temporal.schedule.getHandle(jobScheduleId(jobId)));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError('Job', jobId);
      throw err;
    }
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
      ...(this.ctx.options.runOptions ? { options: this.ctx.options.runOptions } : {}),
    };
    let spec: ScheduleSpec = {};
    const periodic = settings.trigger?.periodic;
    if (periodic) {
      const every = Math.max(
        1000,
        Math.round(periodic.interval * UNIT_MS[periodic.unit] * this.ctx.triggerTiming.timeScale)
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
      taskQueue: this.ctx.taskQueue,
      workflowId: `djobs-sched-${jobId}`,
      args: [input],
      // Every scheduled run records who it runs as and the job's access at its start.
      memo: { ...runMemo(access, runAsOf(settings, access), creator), ...NOT_YET_ADMITTED.memo },
      typedSearchAttributes: [
        { key: DjobsJobId, value: jobId },
        { key: DjobsJobName, value: name },
        { key: DjobsTrigger, value: 'PERIODIC' },
        NOT_YET_ADMITTED.searchAttribute,
        // Who may see the run, as of its start (runs/list's prefilter for a non-admin).
        viewersAttribute(access),
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
        viewersAttribute(access),
        ...bundleDeploymentAttribute(settings),
      ],
    };
  }
}

/** The bundle deployment a job's settings name (Databricks' `deployment` of kind BUNDLE), indexed on its schedule. */
function bundleDeploymentAttribute(settings: JobSettings) {
  const d = settings.deployment as { kind?: unknown; metadata_file_path?: unknown } | undefined;
  return d?.kind === 'BUNDLE' && typeof d.metadata_file_path === 'string' && d.metadata_file_path !== ''
    ? [{ key: DjobsBundleDeployment, value: d.metadata_file_path }]
    : [];
}

/** The job id of a durable-jobs schedule id (`jobScheduleId`); undefined for other schedules. */
function jobIdOfSchedule(scheduleId: string | null | undefined): number | undefined {
  const m = /^djobs-job-(\d+)$/.exec(scheduleId ?? '');
  return m ? Number(m[1]) : undefined;
}

const sameKeywords = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((k) => b.includes(k));
