// Jobs: create, read, list, change and delete. A job is a Temporal Schedule whose action carries
// the job's settings and access (client/job-schedule.ts; stored as every schedule-kept record is,
// stores/schedule-records.ts; read back by stored-records.ts), plus a workflow per trigger of a
// file-arrival, continuous or model-triggered job (client/job-triggers.ts).
import { randomInt } from 'node:crypto';
import type { ScheduleHandle } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import type { temporal } from '@temporalio/proto';
import {
  MAX_RUN_ID,
  jobScheduleId,
  jobViewerKeywords,
  runAsOfSetting,
  updateAccess,
  type AccessControlEntry,
  type FileArrivalTriggerStateView,
  type JobAccess,
  type JobSettings,
  type RunAsIdentity,
} from '../core';
import { createSchedule, onSchedule } from '../stores/schedule-records';
import { DjobsBundleDeployment, DjobsJobId, DjobsJobName, DjobsViewers } from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, GrpcStatus, NotFoundError } from './errors';
import { jobIdOfSchedule, jobScheduleFields } from './job-schedule';
import { stopTriggerWorkflows, syncTriggerWorkflows } from './job-triggers';
import { LruCache } from './lru-cache';
import {
  JOB_MEMO_BUNDLE_RESOURCE,
  JOB_MEMO_CREATED,
  JOB_MEMO_CREATOR,
  accessOf,
  createdTime,
  creatorOf,
  runAsOf,
  scheduledRunInput,
} from './stored-records';
import { decodeMemo, decodedRecord, readableOr, unreadableMessage } from './undecodable-records';
import { quoteQueryValue, viewersClause } from './viewer-query';

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
  /** jobs/get?include_trigger_state=true: the state of the job's file-arrival trigger. */
  trigger_state?: FileArrivalTriggerStateView;
}

export interface CreateJobOptions {
  /** The creator, who owns the job unless the list names an IS_OWNER; default: the client's `user`. */
  creator?: { name: string; kind: 'user' | 'service_principal' };
  /** Databricks access_control_list: grants stored with the job. */
  accessControlList?: AccessControlEntry[];
  /** Who its runs act as, as the API decided it; default: the settings' run_as, else the creator. */
  runAs?: RunAsIdentity;
  /**
   * Extension (bundles): create the job with this id, or fail with RESOURCE_ALREADY_EXISTS when a
   * job has it; default: a random id.
   */
  jobId?: number;
  /** Extension (bundles): the key of the bundle resource the job is, kept with the job. */
  bundleResourceKey?: string;
}

/** A job as read from its schedule: the job, who may use it, and who its runs act as. */
export interface StoredJob {
  job: Job;
  access: JobAccess;
  runAs: RunAsIdentity;
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
/** At most this many just-shared job ids are added to one listing query (`grantedSinceIndexed`). */
const MAX_GRANTED_IN_QUERY = 500;

export class Jobs {
  /** Recently read jobs, by job id (see `recentJob`). */
  private readonly recentJobs = new LruCache<number, { at: number; read: Promise<StoredJob> }>(RECENT_JOBS);

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
    const runAs = options.runAs ?? runAsOfSetting(valid.run_as) ?? { kind: creator.kind, name: creator.name };
    for (let tries = 0; tries <= 5; tries++) {
      const jobId = options.jobId ?? randomInt(1, MAX_RUN_ID);
      const stored = await createSchedule(this.ctx.temporal, {
        scheduleId: jobScheduleId(jobId),
        ...jobScheduleFields(this.ctx, jobId, valid, access, creator.name, runAs),
        memo: {
          [JOB_MEMO_CREATED]: created,
          [JOB_MEMO_CREATOR]: creator.name,
          ...(options.bundleResourceKey !== undefined ? { [JOB_MEMO_BUNDLE_RESOURCE]: options.bundleResourceKey } : {}),
        },
      });
      if (!stored && options.jobId !== undefined)
        throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Job ${jobId} already exists.`);
      if (!stored) continue; // the random id is taken: draw another
      await syncTriggerWorkflows(this.ctx, jobId, valid, { created: true });
      return { job_id: jobId };
    }
    throw new DjobsError(ErrorCode.INTERNAL_ERROR, 'Six random job ids in a row were taken; no job was created.');
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
  recentJob(jobId: number): Promise<StoredJob> {
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
          const creator = creatorOf(prev.memo).creator_user_name;
          // The job keeps acting as it did: a new owner does not change whose identity its runs use.
          const runAs = runAsOf(prev.action.memo, input.settings, accessOf(prev.action.memo) ?? legacyAccess(creator));
          return jobScheduleFields(this.ctx, jobId, input.settings, access, creator, runAs);
        })
      );
    } finally {
      this.recentJobs.delete(jobId);
      // Even a failed update may have been applied: the listing is not trusted until it agrees.
      this.unindexedAccess.set(jobId, jobViewerKeywords(access));
    }
  }

  /** A job and its access, from one describe of its schedule. */
  async describeJob(jobId: number): Promise<StoredJob> {
    const d = await decodedRecord(`Job ${jobId}`, () => this.onSchedule(jobId, (schedule) => schedule.describe()));
    const input = scheduledRunInput(d.action.args, jobId);
    const creator = creatorOf(d.memo);
    const access = accessOf(d.action.memo) ?? legacyAccess(creator.creator_user_name);
    const runAs = runAsOf(d.action.memo, input.settings, access);
    return {
      job: {
        job_id: jobId,
        created_time: createdTime(d.memo, d.info.createdAt.getTime()),
        ...creator,
        run_as_user_name: runAs.name,
        settings: input.settings,
      },
      access,
      runAs,
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
    const nameClause = options.name !== undefined ? jobNameClause(options.name) : undefined;
    if (nameClause) clauses.push(nameClause);
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
        if (options.name !== undefined && listed.get(DjobsJobName) !== options.name) return undefined;
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
  async resetJob(jobId: number, settings: unknown, options: { runAs?: RunAsIdentity } = {}): Promise<void> {
    const valid = this.ctx.validate(settings);
    try {
      await this.onSchedule(jobId, (schedule) =>
        schedule.update((prev) => {
          const creator = creatorOf(prev.memo).creator_user_name;
          const access = accessOf(prev.action.memo) ?? legacyAccess(creator);
          const previous = scheduledRunInput(prev.action.args, jobId).settings;
          const runAs = options.runAs ?? runAsOfSetting(valid.run_as) ?? runAsOf(prev.action.memo, previous, access);
          return jobScheduleFields(this.ctx, jobId, valid, access, creator, runAs);
        })
      );
    } finally {
      this.recentJobs.delete(jobId);
    }
    await syncTriggerWorkflows(this.ctx, jobId, valid);
  }

  /** jobs/delete: the job and its schedule go; runs in flight finish. */
  async deleteJob(jobId: number): Promise<void> {
    try {
      await this.onSchedule(jobId, (schedule) => schedule.delete());
    } finally {
      this.recentJobs.delete(jobId);
      this.unindexedAccess.set(jobId, null);
    }
    await stopTriggerWorkflows(this.ctx, jobId);
  }

  /** The next times a job's schedule fires (empty when it has none or is paused). */
  async nextScheduledRuns(jobId: number): Promise<Date[]> {
    const d = await this.onSchedule(jobId, (schedule) => schedule.describe());
    return d.state.paused ? [] : d.info.nextActionTimes;
  }

  /** Act on a job's schedule; a missing schedule is a missing job (RESOURCE_DOES_NOT_EXIST). */
  private onSchedule<T>(jobId: number, act: (schedule: ScheduleHandle) => Promise<T>): Promise<T> {
    return onSchedule(this.ctx.temporal, jobScheduleId(jobId), act, () => new NotFoundError('Job', jobId));
  }
}

/**
 * The listing filter of jobs named `name`. Temporal's SQL visibility matches no string with a
 * backslash in it, however it is escaped (tried on the dev server: `=`, `IN`, `STARTS_WITH`, the
 * backslash single, doubled or quadrupled): such a name is asked for by the part before its first
 * backslash, and the listing is then filtered exactly by the caller (empty pages may result, with
 * a next page token, as Databricks allows).
 */
function jobNameClause(name: string): string | undefined {
  const at = name.indexOf('\\');
  if (at < 0) return `${DjobsJobName.name} = ${quoteQueryValue(name)}`;
  return at > 0 ? `${DjobsJobName.name} STARTS_WITH ${quoteQueryValue(name.slice(0, at))}` : undefined;
}

/** The access of a job saved before access was stored with it: its creator owns it. */
const legacyAccess = (creator: string | undefined): JobAccess => ({
  owner: { user_name: creator ?? 'unknown' },
  grants: [],
});

const sameKeywords = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((k) => b.includes(k));
