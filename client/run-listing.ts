// Listing runs: runs/list from Temporal's visibility (eventually consistent), newest first, each
// run's view made from its visibility record alone (search attributes, memo), without a worker.
import { listedRun, runIdFromString, type JobAccess, type Run, type TriggerType } from '../core';
import { JOB_RUN_WORKFLOW_TYPE } from '../workflows/definitions';
import {
  DjobsJobId,
  DjobsJobName,
  DjobsQueued,
  DjobsResultState,
  DjobsRunId,
  DjobsTrigger,
  MEMO_ADMISSION,
} from '../workflows/search-attributes';
import type { ClientContext } from './context';
import type { Jobs } from './jobs';
import { accessOf, runPeople } from './stored-records';
import { listExecutions, type ListedExecution } from './undecodable-records';
import { runViewersClause } from './viewer-query';

/** Visibility records read per page when the listing is filtered by permission. */
const LISTING_PAGE_FOR_FILTERED = 1000;
/** runs/list for a non-admin names at most this many visible jobs in its query (`visibleRunsClause`). */
const MAX_JOBS_IN_RUN_QUERY = 1000;

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

export class RunListing {
  constructor(
    private readonly ctx: ClientContext,
    private readonly jobs: Jobs
  ) {}

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
    // sees: read those in large pages, so a namespace of thousands of runs costs a few round trips.
    // Narrowed by the index, the first page is the size asked for (mostly runs it may see); a
    // further page is read only when the index listed runs it may not (of a job whose access
    // changed since they started, or from before runs carried viewers), so it is large again.
    const filtered = options.where !== undefined;
    const pageSize = filtered && !narrowed ? LISTING_PAGE_FOR_FILTERED : limit;
    const nextPageSize = filtered ? LISTING_PAGE_FOR_FILTERED : limit;
    for await (const wf of listExecutions(this.ctx, { query: clauses.join(' AND '), pageSize, nextPageSize })) {
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
   * its runs started), and those the product started with no viewers indexed (before runs carried
   * them, or by a run_job_task of a run older than patch `run-job-task-viewers`). Undefined,
   * listing every run, when it may see more jobs than one query names.
   */
  private async visibleRunsClause(visibleTo: readonly string[]): Promise<string | undefined> {
    const jobIds = await this.jobs.jobIdsVisibleTo(visibleTo, MAX_JOBS_IN_RUN_QUERY);
    return jobIds && runViewersClause(visibleTo, jobIds);
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
