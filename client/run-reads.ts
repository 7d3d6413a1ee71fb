// Reading runs: runs/get in the Databricks `Run` shape (a settled view built once and shared, a
// live one built once per snapshot with only its moving durations filled in per read), a run's
// full state and access, the log of a running attempt, and waiting for a run to end.
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  deepFreeze,
  forEachIterationTasks,
  isHeartbeatOverdue,
  isRunTerminal,
  isTaskRunId,
  jobRunIdOf,
  liveRunView,
  runViewIsSettled,
  runIdFromString,
  runWorkflowId,
  taskRunView,
  toDatabricksRun,
  withLostWorkers,
  type ForEachIterationsView,
  type JobAccess,
  type LostWorker,
  type Run,
  type RunState,
} from '../core';
import { forEachWorkflowId, getForEachIterationsQuery } from '../workflows/definitions';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, NotFoundError } from './errors';
import type { Jobs } from './jobs';
import type { RunLookup } from './run-lookup';
import type { RunExecution, RunSnapshot } from './run-snapshots';
import { accessOf, runPeople } from './stored-records';

/**
 * Whether `run` is a finished run's view that getRun hands out again, the very same object, for
 * as long as the run's execution and history length are unchanged: what a caller derives from it
 * (a serialised body) may be kept by its identity, and is then exactly what it would derive anew.
 * Such a view is frozen when it is kept (`RunReads.runView`), and no other view is: frozen is the mark.
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

export class RunReads {
  /** Views of settled snapshots, kept as long as their snapshot is (frozen: every reader shares one, `isSettledRunView`). */
  private readonly settledViews = new WeakMap<RunSnapshot, Run>();
  /** Views of live snapshots as functions of the clock (`liveRunView`), kept as long as their snapshot is. */
  private readonly liveViews = new WeakMap<RunSnapshot, (now: number) => Run>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly jobs: Jobs,
    private readonly lookup: RunLookup
  ) {}

  /**
   * runs/get, in the Databricks `Run` shape. Accepts a job run id or a task run id, which gives
   * the task run's own view (`taskRunView`).
   */
  async getRun(runId: number): Promise<Run> {
    const execution = await this.lookup.findExecution(jobRunIdOf(runId));
    const run = this.runView(await this.lookup.snapshot(jobRunIdOf(runId), execution));
    return this.viewOf(await this.withLostWorkers(run, execution), runId);
  }

  /**
   * The view runs/get gives for `runId`: the job run's, or a task run's own (`taskRunView`), a
   * for_each task run's with its `iterations` from its for_each workflow.
   */
  private async viewOf(run: Run, runId: number): Promise<Run> {
    if (!isTaskRunId(runId)) return run;
    const view = taskRunView(run, runId);
    if (!view) throw new NotFoundError('Run', runId);
    const nested = view.tasks[0]?.for_each_task?.task;
    if (!nested) return view;
    let iterations: ForEachIterationsView;
    try {
      iterations = await this.ctx.temporal.workflow
        .getHandle(forEachWorkflowId(run.run_id, runId))
        .query(getForEachIterationsQuery);
    } catch (err) {
      // No iterations started (the task could not run, or has not yet): none to list.
      if (err instanceof WorkflowNotFoundError) return { ...view, iterations: [] };
      throw err;
    }
    const iterationRunId = (index: number, attempt: number) => runIdFromString(`${runId}/${index}/${attempt}`);
    return { ...view, iterations: forEachIterationTasks(nested, iterations, iterationRunId, Date.now()) };
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
      execution = await this.lookup.findExecution(jobRunIdOf(runId));
    } catch (err) {
      if (err instanceof NotFoundError) check(undefined);
      throw err;
    }
    const snapshot = this.lookup.snapshot(jobRunIdOf(runId), execution);
    snapshot.catch(() => undefined); // its failure matters only once access allows
    check((await this.accessOfRun(execution)).access);
    return this.viewOf(await this.withLostWorkers(this.runView(await snapshot), execution), runId);
  }

  /**
   * The view with the RUNNING attempts whose worker stopped heartbeating showing it lost
   * (core/run/lost-workers.ts); the very same view when none has, so the views of runs whose
   * workers answer stay shared (`liveRunViewSource`).
   */
  private async withLostWorkers(view: Run, execution: RunExecution): Promise<Run> {
    if (execution.status !== 'RUNNING') return view;
    const now = Date.now();
    const lost = new Map<number, LostWorker>();
    for (const activity of execution.pendingActivities) {
      if (activity.state !== temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) continue;
      const heard = optionalTsToMs(activity.lastHeartbeatTime) ?? optionalTsToMs(activity.lastStartedTime);
      if (heard === undefined || !isHeartbeatOverdue(heard, now)) continue;
      const beat = await this.heartbeatOf(activity);
      if (beat?.taskRunId === undefined) continue;
      lost.set(beat.taskRunId, {
        host: beat.host ?? '',
        process: activity.lastWorkerIdentity ?? '',
        last_heard_time: heard,
        lost: true,
      });
    }
    return withLostWorkers(view, lost);
  }

  /** The last heartbeat of a task attempt's activity (activities/index.ts), decoded (decrypted) by the codecs first. */
  private async heartbeatOf(
    activity: temporal.api.workflow.v1.IPendingActivityInfo
  ): Promise<{ taskRunId?: number; logPath?: string; host?: string } | undefined> {
    const { payloadConverter, payloadCodecs } = this.ctx.temporal.options.loadedDataConverter;
    let payloads = activity.heartbeatDetails?.payloads ?? [];
    for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    const first = payloads[0];
    return first ? payloadConverter.fromPayload(first) : undefined;
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
    const options = { taskPageUrl: (taskKey: string) => this.ctx.runPageUrl(state.run_id, taskKey) };
    if (runViewIsSettled(state)) {
      const view: Run = deepFreeze({
        ...toDatabricksRun(state, Date.now(), options),
        ...runPeople(memo),
        run_page_url: this.ctx.runPageUrl(state.run_id),
      });
      this.settledViews.set(snapshot, view);
      return view;
    }
    let live = this.liveViews.get(snapshot);
    if (!live) {
      live = liveRunView(state, { ...runPeople(memo), run_page_url: this.ctx.runPageUrl(state.run_id) }, options);
      this.liveViews.set(snapshot, live);
    }
    const now = Date.now();
    const view = live(now);
    liveRunViewSources.set(view, { at: live, now });
    return view;
  }

  /** The run's full state (attempt logs, task values): what `getRun` is derived from. */
  async getRunState(runId: number): Promise<RunState> {
    return (await this.lookup.snapshot(jobRunIdOf(runId), await this.lookup.findExecution(jobRunIdOf(runId)))).state;
  }

  /**
   * Who may see and manage a run: its job's current access when the job still exists (so a
   * revoked grant takes effect on old runs too), else the access the run recorded at its start.
   */
  async getRunAccess(runId: number): Promise<{ jobId?: number; access?: JobAccess }> {
    return this.accessOfRun(await this.lookup.findExecution(jobRunIdOf(runId)));
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
    const { desc } = await this.lookup.findRun(jobRunId);
    for (const activity of desc.raw.pendingActivities ?? []) {
      const beat = await this.heartbeatOf(activity);
      if (beat?.taskRunId === taskRunId && beat.logPath) return beat.logPath;
    }
    return undefined;
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
}
