// The bookkeeping of one job run as a pure state machine, in the manner of Dagster's
// `ActiveExecution`: the interpreter (workflows/job-run.ts) reports events (an attempt started or
// ended, pause, cancel, the job timeout, a drain for continue-as-new) and asks for decisions (which
// tasks to launch, whether to retry and after how long, the run's result). Time comes in as
// arguments, so every sequence of events can be tested without a server (test/unit/core/run/).
//
// The attempts in `state.tasks` (every attempt, as Databricks shows it) are the only record of the
// run's tasks. The scheduler's view of a task (core/dag/scheduler.ts: PENDING, RUNNING, TERMINAL)
// is derived from its latest attempt in one place (`progressOf`), plus which tasks the scheduler
// started in this execution; so the two cannot drift apart, and a continued run carries only its
// attempts.
import type { Task } from '../schema';
import { ancestorsOf } from '../dag/graph';
import { retryDelayMillis, shouldRetry, type AttemptEnd } from '../dag/retry';
import {
  isTerminal,
  nextSteps,
  runOutcome,
  type Progress,
  type RunInterruption,
  type RunOutcome,
  type TaskProgress,
} from '../dag/scheduler';
import { RunResultState, TaskResultState } from '../dag/states';
import { taskRunId } from './ids';
import { resolvedValuesOf } from './resolved-values';
import {
  WAITING_FOR_UPSTREAM,
  attemptTaskValues,
  latestAttempt,
  type AttemptState,
  type ForEachStats,
  type RunState,
  type TaskRunState,
} from './run-state';
import type { JsonValue, TaskAttemptRecord } from './task-attempt';

/** How one attempt ended, as the interpreter observed it. */
export interface AttemptOutcome {
  end: AttemptEnd;
  record?: TaskAttemptRecord;
  message: string;
  /** condition_task: the branch taken. */
  conditionOutcome?: 'true' | 'false';
  /** for_each_task: the iteration counts of its child run. */
  forEachStats?: ForEachStats;
}

/** Everything a run carries into its next execution when it continues as new. */
export interface RunContinuation {
  state: RunState;
  /**
   * The scheduler's view, carried by executions before it was derived from the attempts: ignored
   * (the attempts say the same), kept in the type for the inputs of older histories.
   */
  progress?: Progress;
  sequence: number;
}

/** What a repair starts from: the finished run and the tasks to run again. */
export interface RepairSeed {
  repairId: number;
  previous: RunState;
  rerunTasks: string[];
}

/** Log tails kept in a run's state (and so in its history, result and continue-as-new input). */
export const LOG_TAIL_BUDGET_BYTES = 512 * 1024;
const SHORT_TAIL_CHARS = 256;
export const PAUSED_MESSAGE = 'Paused: no new task starts until the run is resumed.';

const pendingAttempt = (task: Task, runId: number): AttemptState => ({
  run_id: runId,
  attempt_number: 0,
  phase: 'PENDING',
  state_message: (task.depends_on?.length ?? 0) > 0 ? WAITING_FOR_UPSTREAM : 'Waiting to start.',
  start_time: 0,
  end_time: 0,
});

/** An attempt that ended (ran and finished, or was skipped): its task is finished. */
const isFinished = (a: AttemptState): boolean => a.phase === 'TERMINATED' || a.phase === 'SKIPPED';

export class ActiveRun {
  /** Bumped by every event the interpreter's main loop must wake up for. */
  version = 0;
  private interruptionKind: RunInterruption;
  private drainingNow = false;
  private runningTasks = 0;
  private readonly ready: string[] = [];
  /** Tasks the scheduler started in this execution (ready or running) that have not stopped. */
  private readonly started = new Set<string>();
  private readonly byKey: ReadonlyMap<string, Task>;
  private readonly ancestors = new Map<string, string[]>();
  private anyTaskValues: boolean;

  private constructor(
    readonly state: RunState,
    private sequence: number,
    private tailBytes: number
  ) {
    this.byKey = new Map(this.tasks.map((t) => [t.task_key, t]));
    // Most jobs set no task values: then there is nothing to look up. Known once from the carried
    // state (repair, continue-as-new), then kept current where a success records its values.
    this.anyTaskValues = Object.values(state.tasks).some((t) => t.taskValues && Object.keys(t.taskValues).length > 0);
  }

  /** A new run: every task has one pending attempt, numbered in spec order. */
  static start(state: RunState): ActiveRun {
    const tasks = state.settings.tasks;
    tasks.forEach((t, i) => {
      state.tasks[t.task_key] = { task_key: t.task_key, attempts: [pendingAttempt(t, taskRunId(state.run_id, i + 1))] };
    });
    return new ActiveRun(state, tasks.length, 0);
  }

  /**
   * The next execution of a run that continued as new. Tasks that were started and not finished
   * (a deferred retry, a task waiting for a slot) have unfinished attempts whose dependencies are
   * all finished, so the first `advance` starts them again, in spec order as before.
   */
  static resume(carried: RunContinuation): ActiveRun {
    let tailBytes = 0;
    for (const t of Object.values(carried.state.tasks)) for (const a of t.attempts) tailBytes += a.logTail?.length ?? 0;
    return new ActiveRun(carried.state, carried.sequence, tailBytes);
  }

  /**
   * A repair continues a finished run in a new execution of the same workflow id: tasks not chosen
   * keep their attempts, results and task values; chosen tasks (and tasks added to the job since)
   * get a new attempt.
   */
  static repair(state: RunState, repair: RepairSeed, now: number): ActiveRun {
    const tasks = state.settings.tasks;
    const prev = repair.previous;
    state.start_time = prev.start_time;
    // A repair reads Git-sourced paths from the commit the run used.
    if (prev.git_snapshot) state.git_snapshot = prev.git_snapshot;
    let sequence = Math.max(
      tasks.length,
      ...Object.values(prev.tasks).flatMap((t) => t.attempts.map((a) => a.run_id - state.run_id * 2 ** 17))
    );
    const rerun = new Set(repair.rerunTasks);
    for (const t of tasks) {
      const before = prev.tasks[t.task_key];
      if (before && !rerun.has(t.task_key)) {
        state.tasks[t.task_key] = before;
        // A kept task is finished. One a terminated run left unfinished counts as canceled.
        const last = latestAttempt(before);
        if (!isFinished(last)) {
          last.phase = 'TERMINATED';
          last.result = TaskResultState.CANCELED;
        }
        continue;
      }
      // The attempt whose values the task held keeps them: its output still shows what it set.
      const attempts = before
        ? before.attempts.map((a) => {
            const values = attemptTaskValues(before, a);
            return values && !a.taskValues && Object.keys(values).length > 0 ? { ...a, taskValues: values } : a;
          })
        : [];
      attempts.push(pendingAttempt(t, taskRunId(state.run_id, ++sequence)));
      state.tasks[t.task_key] = { task_key: t.task_key, attempts };
    }
    state.repair_history = [
      ...(prev.repair_history ?? [
        {
          type: 'ORIGINAL',
          start_time: prev.start_time,
          end_time: prev.end_time,
          ...(prev.result ? { result: prev.result, state_message: prev.state_message } : {}),
          task_run_ids: Object.values(prev.tasks).flatMap((t) =>
            t.attempts.filter((a) => a.start_time > 0).map((a) => a.run_id)
          ),
        },
      ]),
      { type: 'REPAIR', id: repair.repairId, start_time: now, end_time: 0, task_run_ids: [] },
    ];
    return new ActiveRun(state, sequence, 0);
  }

  get tasks(): readonly Task[] {
    return this.state.settings.tasks;
  }
  get interruption(): RunInterruption {
    return this.interruptionKind;
  }
  /** Temporal suggested continue-as-new: no attempt starts, running ones finish, then the run continues. */
  get draining(): boolean {
    return this.drainingNow;
  }
  get running(): number {
    return this.runningTasks;
  }
  get complete(): boolean {
    return this.tasks.every((t) => isFinished(this.attempt(t.task_key)));
  }
  /** The main loop has nothing left to wait for. */
  get settled(): boolean {
    return this.complete || ((this.interruptionKind !== undefined || this.drainingNow) && this.runningTasks === 0);
  }
  task(key: string): Task {
    return this.byKey.get(key)!;
  }
  attempt(key: string): AttemptState {
    return latestAttempt(this.record(key));
  }
  continuation(): RunContinuation {
    return { state: this.state, sequence: this.sequence };
  }

  // ---- events from outside the DAG ----

  setPaused(paused: boolean): void {
    this.state.paused = paused;
    this.version++;
  }
  /** The job's timeout_seconds passed (a cancel that came first wins). */
  timedOut(): void {
    this.interruptionKind ??= 'TIMEDOUT';
    this.version++;
  }
  /** The workflow was canceled. */
  canceled(): void {
    this.interruptionKind = 'CANCELED';
  }
  drain(): void {
    this.drainingNow = true;
    this.version++;
  }
  /** The job's gate queued the run: queued since the run exists (Databricks counts queue_duration from its start). */
  enqueued(reason: string): void {
    this.state.queued = { since: this.state.start_time, reason };
  }
  /** The gate answered (admitted or skipped the run); returns whether the run had been queued. */
  dequeued(now: number): boolean {
    const wasQueued = this.state.queued !== undefined;
    if (this.state.queued) this.state.queue_duration = now - this.state.queued.since;
    this.state.queued = undefined;
    this.state.awaiting_admission = undefined;
    return wasQueued;
  }

  // ---- scheduling ----

  /**
   * Apply the DAG's next steps (skips cascade; startable tasks join the ready queue) and return the
   * tasks to launch now: up to `maxParallel` running, none while paused, interrupted or draining.
   */
  advance(maxParallel: number): Task[] {
    const steps = nextSteps(this.tasks, this.progress());
    for (const skip of steps.skip) {
      const attempt = this.attempt(skip.task_key);
      attempt.phase = 'SKIPPED';
      attempt.result = skip.result;
      attempt.state_message = skip.reason;
    }
    for (const key of steps.start) {
      this.started.add(key);
      // A task resumed after continue-as-new keeps the message of its attempt (waiting to retry).
      const attempt = this.attempt(key);
      if (attempt.phase === 'PENDING') attempt.state_message = 'Waiting for a free slot.';
      this.ready.push(key);
    }
    const launch: Task[] = [];
    while (
      this.ready.length > 0 &&
      this.runningTasks < maxParallel &&
      !this.state.paused &&
      !this.interruptionKind &&
      !this.drainingNow
    ) {
      launch.push(this.task(this.ready.shift()!));
      this.runningTasks++;
    }
    this.state.state_message = this.state.paused ? PAUSED_MESSAGE : '';
    return launch;
  }

  /**
   * Milliseconds to wait before the current attempt of a task waiting to retry may start: the
   * interval counts from the failed attempt's start as the workflow saw it and as its worker
   * reported it, whichever is later, so that it has passed on both clocks (`now` is the
   * workflow's). Runs recorded before the workflow kept its own start (`fromWorkflowClock()`
   * false, asked only when a retry waits) count from the worker's alone.
   */
  retryDelay(key: string, now: number, fromWorkflowClock: () => boolean): number {
    const tr = this.record(key);
    if (latestAttempt(tr).phase !== 'WAITING_FOR_RETRY') return 0;
    const failed = tr.attempts[tr.attempts.length - 2];
    if (!failed) return 0;
    const start =
      failed.workflowStartTime !== undefined && fromWorkflowClock()
        ? Math.max(failed.workflowStartTime, failed.start_time)
        : failed.start_time;
    return retryDelayMillis(this.task(key), start, now);
  }

  // ---- one task's attempts ----

  /** The task as the running attempt of `key` received it (its references resolved): its `resolved_values`. */
  attemptResolved(key: string, task: Task): void {
    const values = resolvedValuesOf(task);
    if (values) this.attempt(key).resolvedValues = values;
  }

  attemptStarted(key: string, now: number): AttemptState {
    const attempt = this.attempt(key);
    attempt.phase = 'RUNNING';
    attempt.start_time = now;
    attempt.workflowStartTime = now;
    attempt.state_message = '';
    this.version++;
    return attempt;
  }
  /** The attempt waits for a slot of its capped worker pool. */
  waitingForPool(key: string, message: string): void {
    this.attempt(key).state_message = message;
    this.version++;
  }
  /** The pool granted a slot: the attempt really starts now. */
  poolSlotGranted(key: string, now: number): void {
    const attempt = this.attempt(key);
    attempt.start_time = now;
    attempt.workflowStartTime = now;
    attempt.state_message = '';
    this.version++;
  }
  /** run_job_task: the child run the attempt started. */
  childRunStarted(key: string, childRunId: number): void {
    this.attempt(key).childRunId = childRunId;
    this.version++;
  }

  /** Record how an attempt ended; returns true when the task runs again (a retry attempt is added). */
  attemptEnded(key: string, outcome: AttemptOutcome, now: number): boolean {
    const tr = this.record(key);
    const attempt = latestAttempt(tr);
    this.applyOutcome(attempt, outcome, now);
    if (outcome.end === 'SUCCESS') {
      tr.taskValues = outcome.record?.taskValues ?? {};
      if (Object.keys(tr.taskValues).length > 0) this.anyTaskValues = true;
      return false;
    }
    if (this.interruptionKind || !shouldRetry(this.task(key), outcome.end, attempt.attempt_number)) return false;
    tr.attempts.push({
      run_id: taskRunId(this.state.run_id, ++this.sequence),
      attempt_number: attempt.attempt_number + 1,
      phase: 'WAITING_FOR_RETRY',
      state_message: `Waiting to retry after: ${attempt.state_message}`,
      start_time: 0,
      end_time: 0,
    });
    this.version++;
    return true;
  }

  /** The current attempt was stopped by a cancel or the job timeout (or never started). */
  attemptInterrupted(key: string, now: number): void {
    const attempt = this.attempt(key);
    attempt.phase = attempt.start_time ? 'TERMINATED' : 'SKIPPED';
    attempt.end_time = attempt.start_time ? now : 0;
    attempt.userCanceledOrTimedOut = true;
    if (this.interruptionKind === 'TIMEDOUT') {
      attempt.result = TaskResultState.TIMEDOUT;
      attempt.state_message = 'The job timed out (timeout_seconds) before this task finished.';
    } else {
      attempt.result = TaskResultState.CANCELED;
      attempt.state_message = 'The run was canceled.';
    }
  }

  /**
   * A launched task stopped running in this execution: finished (its latest attempt decides its
   * result) or deferred to the next execution (draining for continue-as-new).
   */
  taskStopped(key: string, deferred: boolean): void {
    if (!deferred) this.started.delete(key);
    this.runningTasks--;
    this.version++;
  }

  /** Values of the task's upstream tasks (transitively), for `dbutils.jobs.taskValues.get`. */
  upstreamValues(task: Task): Record<string, Record<string, JsonValue>> {
    const values: Record<string, Record<string, JsonValue>> = {};
    if (!this.anyTaskValues) return values;
    let keys = this.ancestors.get(task.task_key);
    if (!keys) this.ancestors.set(task.task_key, (keys = ancestorsOf(this.tasks, task.task_key)));
    for (const k of keys) {
      const v = this.state.tasks[k]?.taskValues;
      if (v && Object.keys(v).length > 0) values[k] = v;
    }
    return values;
  }

  // ---- the end ----

  /** Admission refused the run (max_concurrent_runs with no queue, a full or expired queue). */
  skippedByAdmission(skip: { code: string; message: string }, now: number): void {
    for (const t of this.tasks) {
      const a = this.attempt(t.task_key);
      a.phase = 'SKIPPED';
      a.state_message = skip.message;
    }
    this.state.result = RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED;
    this.state.state_message = skip.message;
    if (skip.code !== 'MAX_CONCURRENT_RUNS_EXCEEDED') this.state.termination_code = skip.code;
    this.state.end_time = now;
  }

  /** Close the run: unfinished tasks take the interruption, the result comes from the leaf tasks. */
  finish(now: number): RunOutcome {
    const state = this.state;
    if (this.interruptionKind) {
      for (const t of this.tasks)
        if (!isTerminal(this.progressOf(t.task_key))) this.attemptInterrupted(t.task_key, now);
      state.userCanceledOrTimedOut = true;
    }
    const outcome = runOutcome(this.tasks, this.progress(), this.interruptionKind, (k) => {
      const a = this.attempt(k);
      return a.errorMessage ?? (a.state_message || undefined);
    });
    state.result = outcome.result;
    state.state_message = outcome.message;
    state.end_time = now;
    const execution = state.repair_history?.[state.repair_history.length - 1];
    if (execution) {
      execution.end_time = state.end_time;
      execution.result = outcome.result;
      execution.state_message = outcome.message;
      execution.task_run_ids = this.tasks.flatMap((t) =>
        this.record(t.task_key)
          .attempts.filter((a) => a.start_time >= execution.start_time)
          .map((a) => a.run_id)
      );
    }
    return outcome;
  }

  private record(key: string): TaskRunState {
    return this.state.tasks[key]!;
  }

  /**
   * The scheduler's view of a task, derived from its latest attempt: TERMINAL once that attempt
   * finished (an attempt that ends and is retried is followed by a new one at once), RUNNING while
   * the scheduler started it in this execution, PENDING otherwise.
   */
  private progressOf(key: string): TaskProgress {
    const last = this.attempt(key);
    if (isFinished(last))
      return {
        phase: 'TERMINAL',
        terminal: {
          result: last.result ?? TaskResultState.CANCELED,
          ...(last.conditionOutcome ? { conditionOutcome: last.conditionOutcome } : {}),
        },
        reason: last.state_message,
      };
    return { phase: this.started.has(key) ? 'RUNNING' : 'PENDING' };
  }

  private progress(): Progress {
    return Object.fromEntries(this.tasks.map((t) => [t.task_key, this.progressOf(t.task_key)]));
  }

  private applyOutcome(attempt: AttemptState, outcome: AttemptOutcome, now: number): void {
    const r = outcome.record;
    if (outcome.conditionOutcome) attempt.conditionOutcome = outcome.conditionOutcome;
    if (outcome.forEachStats) attempt.forEachStats = outcome.forEachStats;
    attempt.phase = 'TERMINATED';
    attempt.end_time = r?.endTime ?? now;
    if (r) {
      attempt.start_time = r.startTime;
      attempt.logPath = r.logPath;
      // History keeps only small tails: past the run's budget, keep the last few lines.
      attempt.logTail = this.tailBytes > LOG_TAIL_BUDGET_BYTES ? r.logTail.slice(-SHORT_TAIL_CHARS) : r.logTail;
      this.tailBytes += attempt.logTail.length;
      attempt.logTruncated = r.logTruncated;
      if (r.errorMessage) attempt.errorMessage = r.errorMessage;
      if (r.notebookResult !== undefined) attempt.notebookResult = r.notebookResult;
      if (r.sqlResult) attempt.sqlResult = r.sqlResult;
      if (r.containment) attempt.containment = r.containment;
      if (r.sandbox) attempt.sandbox = r.sandbox;
      if (r.environment) attempt.environment = r.environment;
      if (r.terminationCode) attempt.terminationCode = r.terminationCode;
      if (r.dbtArtifacts) attempt.dbtArtifacts = r.dbtArtifacts;
      if (r.worker) attempt.worker = r.worker;
      if (r.lostWorkers?.length) attempt.lostWorkers = r.lostWorkers;
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
      case 'INVALID':
        // A task that cannot run as configured (the worker may have said more precisely why).
        attempt.terminationCode ??= 'INVALID_RUN_CONFIGURATION';
        attempt.result = TaskResultState.FAILED;
        attempt.state_message = outcome.message;
        return;
      case 'FAILED':
      case 'CANCELED':
        attempt.result = outcome.end === 'CANCELED' ? TaskResultState.CANCELED : TaskResultState.FAILED;
        attempt.state_message = outcome.message;
        return;
    }
  }
}
