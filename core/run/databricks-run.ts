// The pure mapping of a run's state (core/run/run-state.ts) to the Databricks `Run` shape
// (https://docs.databricks.com/api/workspace/jobs/getrun). The workflow's `getRun` query returns
// `toDatabricksRun(state)`; the client adds only what the workflow cannot know (UI links).
import type { JobSettings, Task } from '../schema';
import {
  LifeCycleState,
  RunResultState,
  TaskResultState,
  assertNever,
  type LifeCycleState as LifeCycleStateT,
  type RunResultState as RunResultStateT,
  type TaskResultState as TaskResultStateT,
} from '../dag/states';
import type { LegacyTaskParameters } from './legacy-parameters';
import type { AttemptWorker } from './task-attempt';
import type { ForEachIterationsView } from './for-each';
import { DEFAULT_WORKER_POOL } from './ids';
import type { ResolvedValues } from './resolved-values';
import { terminationOf, type TerminationCode, type TerminationType } from './termination';
import {
  RunType,
  WAITING_FOR_UPSTREAM,
  type AttemptState,
  type NotificationDelivery,
  type RunState,
  type TriggerInfo,
  type TriggerType,
} from './run-state';

// ---- Databricks shapes (subset we produce) ----

export interface RunStateV1 {
  life_cycle_state: LifeCycleStateT;
  result_state?: RunResultStateT | TaskResultStateT;
  state_message: string;
  user_cancelled_or_timedout: boolean;
  queue_reason?: string;
}

export interface RunStatusV2 {
  state: 'QUEUED' | 'PENDING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED' | 'BLOCKED' | 'WAITING';
  termination_details?: { code: string; type: TerminationType; message: string };
  queue_details?: { code: string; message: string };
}

export type RunTask = Omit<Task, 'condition_task' | 'for_each_task'> & {
  for_each_task?: NonNullable<Task['for_each_task']> & {
    stats?: { task_run_stats: NonNullable<AttemptState['forEachStats']> };
  };
  /** The run view of a condition task adds the branch taken. */
  condition_task?: NonNullable<Task['condition_task']> & { outcome?: 'true' | 'false' };
  run_id: number;
  attempt_number: number;
  /** The parameters the attempt received, its references resolved (shown on include_resolved_values). */
  resolved_values?: ResolvedValues;
  /** The worker pool (the Clusters API's cluster) the attempt ran on. */
  cluster_instance?: { cluster_id: string };
  /** The task's pane in the run's page (`RunViewOptions.taskPageUrl`). */
  run_page_url?: string;
  state: RunStateV1;
  status: RunStatusV2;
  run_if: NonNullable<Task['run_if']>;
  /**
   * durable-jobs extension: the worker that ran the attempt (docs/operations.md); on a RUNNING
   * attempt whose worker stopped heartbeating, that worker, `lost`, and when it was last heard from.
   */
  djobs_worker?: AttemptWorker & { last_heard_time?: number; lost?: true };
  /**
   * durable-jobs extension: the workers lost while running this attempt, before `djobs_worker`
   * ran it again (their log tails: runs/get-output's `djobs_lost_workers`).
   */
  djobs_lost_workers?: (AttemptWorker & { last_heard_time: number; lost: true })[];
} & RunTimes;

/** Times of a run or a task run (epoch ms; durations in ms). */
export interface RunTimes {
  start_time: number;
  end_time: number;
  setup_duration: number;
  execution_duration: number;
  cleanup_duration: number;
  run_duration: number;
  queue_duration: number;
}

export interface Run extends RunTimes {
  /** On a for_each task run's own view: its iterations (`forEachIterationTasks`). */
  iterations?: RunTask[];
  job_id?: number;
  run_id: number;
  /** On a task run's own view (`taskRunView`): the job run it belongs to. */
  job_run_id?: number;
  /** On a task run's own view: the task's attempt number. */
  attempt_number?: number;
  number_in_job: number;
  original_attempt_run_id: number;
  run_name: string;
  run_type: RunType;
  trigger: TriggerType;
  /** Who started the run (for scheduled runs: the job's creator). */
  creator_user_name?: string;
  trigger_info?: TriggerInfo;
  /** durable-jobs extension on Run (Databricks shows it on Job only): who the run ran as. */
  run_as_user_name?: string;
  /** SINGLE_TASK for runs of jobs created in the Jobs API 2.0 single-task format. */
  format: 'SINGLE_TASK' | 'MULTI_TASK';
  state: RunStateV1;
  status: RunStatusV2;
  job_parameters: { name: string; default: string; value: string }[];
  tasks: RunTask[];
  run_page_url?: string;
  /** The job's settings the run ran with, as Databricks copies them onto the run. */
  description?: string;
  schedule?: NonNullable<JobSettings['schedule']>;
  job_clusters?: NonNullable<JobSettings['job_clusters']>;
  /** The job's git_source with the commit the run used (`git_snapshot.used_commit`). */
  git_source?: NonNullable<JobSettings['git_source']>;
  /** durable-jobs extension: how each notification of the run was delivered (docs/notifications.md). */
  notification_deliveries?: NotificationDelivery[];
  /** The legacy task parameters run-now was given (`notebook_params`, `python_params`, …). */
  overriding_parameters?: LegacyTaskParameters;
  repair_history?: {
    type: 'ORIGINAL' | 'REPAIR';
    id?: number;
    start_time: number;
    end_time: number;
    state: RunStateV1;
    status: RunStatusV2;
    task_run_ids: number[];
  }[];
}

/** Terminal phases of a job run, for callers that poll. */
export function isRunTerminal(run: Pick<Run, 'state'>): boolean {
  const s = run.state.life_cycle_state;
  return s === LifeCycleState.TERMINATED || s === LifeCycleState.SKIPPED || s === LifeCycleState.INTERNAL_ERROR;
}

/** A run's task attempts in the order its view lists them: by the job's tasks, then attempt by attempt. */
export function* attemptsInViewOrder(state: RunState): Generator<{ spec: Task; attempt: AttemptState }> {
  for (const spec of state.settings.tasks) {
    const tr = state.tasks[spec.task_key];
    if (!tr) continue;
    for (const attempt of tr.attempts) yield { spec, attempt };
  }
}

/** The run's `run_duration` at `now`: it moves until the run ends. */
export const runDurationAt = (state: RunState, now: number): number => (state.end_time || now) - state.start_time;

/** The run's `queue_duration` at `now`: it moves while the run waits in its job's queue. */
export const queueDurationAt = (state: RunState, now: number): number =>
  state.queued ? now - state.queued.since : (state.queue_duration ?? 0);

/** Whether an attempt's durations move with the clock: it is running, has started and not ended. */
export const attemptDurationMoves = (a: AttemptState): boolean =>
  a.phase === 'RUNNING' && !!a.start_time && !a.end_time;

/** An attempt's `execution_duration` and `run_duration` at `now`. */
function attemptDurationAt(a: AttemptState, now: number): number {
  if (!a.start_time) return 0;
  return (a.end_time || (a.phase === 'RUNNING' ? now : a.start_time)) - a.start_time;
}

/** What a run's view needs from outside the run: where its pages are. */
export interface RunViewOptions {
  /** The page of the task `taskKey` of this run (each task's `run_page_url`). */
  taskPageUrl?: (taskKey: string) => string;
}

export function toDatabricksRun(state: RunState, now: number, options: RunViewOptions = {}): Run {
  const tasks: RunTask[] = [];
  for (const { spec, attempt } of attemptsInViewOrder(state))
    tasks.push(toRunTask(spec, attempt, now, state, options.taskPageUrl?.(spec.task_key)));
  const end = state.end_time || 0;
  const { description, schedule, job_clusters } = state.settings;
  return {
    ...(state.job_id !== undefined ? { job_id: state.job_id } : {}),
    run_id: state.run_id,
    number_in_job: state.run_id,
    original_attempt_run_id: state.run_id,
    run_name: state.run_name,
    run_type: state.run_type,
    trigger: state.trigger,
    ...(state.trigger_info ? { trigger_info: state.trigger_info } : {}),
    start_time: state.start_time,
    end_time: end,
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    run_duration: runDurationAt(state, now),
    queue_duration: queueDurationAt(state, now),
    format: state.settings.format === 'SINGLE_TASK' ? 'SINGLE_TASK' : 'MULTI_TASK',
    state: runStateV1(state),
    status: runStatusV2(state),
    job_parameters: jobParameterValues(state.settings, state.job_parameters),
    tasks,
    ...(description ? { description } : {}),
    ...(schedule ? { schedule } : {}),
    ...(job_clusters && job_clusters.length > 0 ? { job_clusters } : {}),
    ...(state.settings.git_source
      ? {
          git_source: {
            ...state.settings.git_source,
            ...(state.git_snapshot ? { git_snapshot: state.git_snapshot } : {}),
          },
        }
      : {}),
    ...(state.notifications && state.notifications.deliveries.length > 0
      ? { notification_deliveries: state.notifications.deliveries }
      : {}),
    ...(state.repair_history
      ? {
          repair_history: state.repair_history.map((h, i, all) => {
            // Executions recorded before they kept their message: the last one's is the run's.
            const message = h.state_message ?? (i === all.length - 1 ? state.state_message : '');
            const view = { ...state, result: h.result, state_message: message } as RunState;
            return {
              type: h.type,
              ...(h.id !== undefined ? { id: h.id } : {}),
              start_time: h.start_time,
              end_time: h.end_time,
              state: runStateV1(view),
              status: runStatusV2(view),
              task_run_ids: h.task_run_ids,
            };
          }),
        }
      : {}),
  };
}
/**
 * Whether `toDatabricksRun(state, now)` is the same whatever `now` is: the run has ended, waits in
 * no queue, and none of its attempts is still running (the durations `now` stands in for are then
 * all fixed). Such a view can be built once and kept as long as the state it came from.
 */
export function runViewIsSettled(state: RunState): boolean {
  if (!state.end_time || state.queued) return false;
  for (const { attempts } of Object.values(state.tasks))
    for (const a of attempts) if (attemptDurationMoves(a)) return false;
  return true;
}

export function jobParameterValues(
  settings: JobSettings,
  values: Record<string, string>
): { name: string; default: string; value: string }[] {
  return (settings.parameters ?? []).map((p) => ({
    name: p.name,
    default: p.default,
    value: values[p.name] ?? p.default,
  }));
}

/**
 * A job run before its job's gate admits it: QUEUED once the gate has queued it, PENDING until
 * the gate answers; never RUNNING (as on Databricks).
 */
function admissionOf(state: RunState): 'QUEUED' | 'PENDING' | undefined {
  if (state.result !== undefined) return undefined;
  if (state.queued) return LifeCycleState.QUEUED;
  return state.awaiting_admission ? LifeCycleState.PENDING : undefined;
}

export function runStateV1(state: RunState): RunStateV1 {
  const base = { state_message: state.state_message, user_cancelled_or_timedout: state.userCanceledOrTimedOut };
  const admission = admissionOf(state);
  if (admission)
    return {
      life_cycle_state: admission,
      ...base,
      ...(state.queued ? { queue_reason: state.queued.reason } : {}),
    };
  if (state.result === undefined) return { life_cycle_state: LifeCycleState.RUNNING, ...base };
  // Databricks reports a failed multi-task run as INTERNAL_ERROR/FAILED (observed cloud behaviour,
  // which SDK waiters depend on), and a skipped run as SKIPPED.
  switch (state.result) {
    case RunResultState.FAILED:
      return { life_cycle_state: LifeCycleState.INTERNAL_ERROR, result_state: state.result, ...base };
    case RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED:
      return { life_cycle_state: LifeCycleState.SKIPPED, result_state: state.result, ...base };
    case RunResultState.SUCCESS:
    case RunResultState.SUCCESS_WITH_FAILURES:
    case RunResultState.TIMEDOUT:
    case RunResultState.CANCELED:
      return { life_cycle_state: LifeCycleState.TERMINATED, result_state: state.result, ...base };
    default:
      return assertNever(state.result, 'run result');
  }
}

/** Databricks termination code of a finished run, by result (a Record: a new result fails compilation). */
const RUN_TERMINATION: Record<RunResultStateT, TerminationCode> = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
  FAILED: 'RUN_EXECUTION_ERROR',
  TIMEDOUT: 'CANCELED',
  CANCELED: 'USER_CANCELED',
  MAXIMUM_CONCURRENT_RUNS_REACHED: 'MAX_CONCURRENT_RUNS_EXCEEDED',
};

/** Termination details of `code` (a run's own code, when it recorded one, in its place). */
const terminated = (code: string, message: string) => ({ ...terminationOf(code), message });

function runStatusV2(state: RunState): RunStatusV2 {
  const admission = admissionOf(state);
  if (admission)
    return {
      state: admission,
      ...(state.queued ? { queue_details: { code: 'MAX_CONCURRENT_RUNS_REACHED', message: state.queued.reason } } : {}),
    };
  if (state.result === undefined) return { state: 'RUNNING' };
  return {
    state: 'TERMINATED',
    termination_details: terminated(state.termination_code ?? RUN_TERMINATION[state.result], state.state_message),
  };
}

/**
 * Databricks gives a one-time run (runs/submit) a hidden job of its own, and clients read its
 * `job_id` (the Airflow provider's deferrable operators do): here it is the run's own id.
 */
export function withOneTimeRunJobId(run: Run): Run {
  return run.job_id === undefined && run.run_type === RunType.SUBMIT_RUN ? { job_id: run.run_id, ...run } : run;
}

/** The view without its tasks' `resolved_values` (runs/get shows them on include_resolved_values only). */
export function withoutResolvedValues(run: Run): Run {
  if (!run.tasks.some((t) => t.resolved_values)) return run;
  return { ...run, tasks: run.tasks.map(({ resolved_values: _values, ...task }) => task) };
}

/**
 * runs/get of a task run id, as Databricks answers it: the task run's own view, with the job run
 * it belongs to as `job_run_id`, its own state, times and page, and itself as the only task.
 * Undefined when the job run has no task run of that id.
 */
export function taskRunView(run: Run, taskRunId: number): Run | undefined {
  const index = run.tasks.findIndex((t) => t.run_id === taskRunId);
  const task = run.tasks[index];
  if (!task) return undefined;
  // The first attempt of this execution of the task: the closest attempt 0 of its key at or before it.
  const original = run.tasks
    .slice(0, index + 1)
    .reverse()
    .find((t) => t.task_key === task.task_key && t.attempt_number === 0);
  const { repair_history: _history, run_page_url: jobRunPage, ...jobRun } = run;
  return {
    ...jobRun,
    run_id: task.run_id,
    job_run_id: run.run_id,
    attempt_number: task.attempt_number,
    original_attempt_run_id: original?.run_id ?? task.run_id,
    run_name: task.task_key,
    state: task.state,
    status: task.status,
    start_time: task.start_time,
    end_time: task.end_time,
    setup_duration: task.setup_duration,
    execution_duration: task.execution_duration,
    cleanup_duration: task.cleanup_duration,
    run_duration: task.run_duration,
    queue_duration: task.queue_duration,
    tasks: [task],
    ...((task.run_page_url ?? jobRunPage) !== undefined ? { run_page_url: task.run_page_url ?? jobRunPage } : {}),
  };
}

/**
 * Databricks `repair_history` as runs/get?include_history=true gives it: a run never repaired has
 * the single ORIGINAL entry (clients such as the Airflow provider read its last id).
 */
export function withRepairHistory(run: Run): Run {
  if (run.repair_history) return run;
  return {
    ...run,
    repair_history: [
      {
        type: 'ORIGINAL',
        start_time: run.start_time,
        end_time: run.end_time,
        state: run.state,
        status: run.status,
        task_run_ids: run.tasks.map((t) => t.run_id),
      },
    ],
  };
}

/**
 * The cluster an attempt ran on, as `cluster_instance`: the worker pool of its job_cluster_key or
 * existing_cluster_id, else the default pool (each is a cluster in the Clusters API). Only an
 * attempt a worker ran has one: condition, run_job and for_each tasks run in the workflow.
 */
function clusterInstanceOf(spec: Task, a: AttemptState): { cluster_instance?: { cluster_id: string } } {
  const onWorker = !spec.condition_task && !spec.run_job_task && !spec.for_each_task;
  const ran = a.worker !== undefined || (a.start_time > 0 && (a.phase === 'RUNNING' || a.phase === 'TERMINATED'));
  if (!onWorker || !ran) return {};
  return { cluster_instance: { cluster_id: spec.job_cluster_key ?? spec.existing_cluster_id ?? DEFAULT_WORKER_POOL } };
}

/** What a task's view needs of its run: the run's own skip, for tasks that never ran. */
type RunOfTask = Pick<RunState, 'result' | 'termination_code'>;

/**
 * The iterations of a for_each task run as Databricks lists them in `iterations`: one task run
 * per input (the nested task, its latest attempt), ended ones with their result, running ones
 * from their start. Iteration run ids are derived as the for_each workflow derives them.
 */
export function forEachIterationTasks(
  nested: Task,
  view: ForEachIterationsView,
  iterationRunId: (index: number, attempt: number) => number,
  now: number
): RunTask[] {
  const running = new Map(view.active.map((a) => [a.index, a]));
  const out: RunTask[] = [];
  for (let index = 0; index < view.total; index++) {
    const outcome = view.outcomes[index];
    const active = running.get(index);
    const attemptNumber = active?.attempt ?? view.retried[index] ?? 0;
    const ended = outcome === 'S' || outcome === 'F';
    const attempt: AttemptState = {
      run_id: iterationRunId(index, attemptNumber),
      attempt_number: attemptNumber,
      phase: ended ? 'TERMINATED' : active ? 'RUNNING' : 'PENDING',
      ...(ended ? { result: outcome === 'S' ? TaskResultState.SUCCESS : TaskResultState.FAILED } : {}),
      state_message: '',
      start_time: active?.start_time ?? 0,
      end_time: 0,
    };
    out.push(toRunTask(nested, attempt, now, {}, undefined));
  }
  return out;
}

function toRunTask(spec: Task, a: AttemptState, now: number, run: RunOfTask, pageUrl: string | undefined): RunTask {
  const duration = attemptDurationAt(a, now);
  // Setting up the attempt's Python environment is its setup; the rest is its execution.
  // (Known once the attempt ended: a running attempt's durations all move with the clock.)
  const setup = a.environment ? Math.max(0, Math.min(a.environment.setupMs, duration)) : 0;
  return {
    ...spec,
    ...(spec.condition_task && a.conditionOutcome
      ? { condition_task: { ...spec.condition_task, outcome: a.conditionOutcome } }
      : {}),
    ...(spec.for_each_task && a.forEachStats
      ? { for_each_task: { ...spec.for_each_task, stats: { task_run_stats: a.forEachStats } } }
      : {}),
    run_if: spec.run_if ?? 'ALL_SUCCESS',
    run_id: a.run_id,
    attempt_number: a.attempt_number,
    ...(pageUrl !== undefined ? { run_page_url: pageUrl } : {}),
    ...clusterInstanceOf(spec, a),
    ...(a.resolvedValues ? { resolved_values: a.resolvedValues } : {}),
    ...(a.worker ? { djobs_worker: a.worker } : {}),
    ...(a.lostWorkers
      ? {
          djobs_lost_workers: a.lostWorkers.map((w) => ({
            host: w.host,
            process: w.process,
            last_heard_time: w.last_heard_time,
            lost: true as const,
          })),
        }
      : {}),
    state: taskStateV1(a),
    status: taskStatusV2(a, run),
    start_time: a.start_time,
    end_time: a.end_time,
    setup_duration: setup,
    execution_duration: duration - setup,
    cleanup_duration: 0,
    run_duration: duration,
    queue_duration: 0,
  };
}

export function taskStateV1(a: AttemptState): RunStateV1 {
  const base = { state_message: a.state_message, user_cancelled_or_timedout: a.userCanceledOrTimedOut ?? false };
  switch (a.phase) {
    case 'PENDING':
      return {
        life_cycle_state: a.state_message.startsWith(WAITING_FOR_UPSTREAM)
          ? LifeCycleState.BLOCKED
          : LifeCycleState.PENDING,
        ...base,
      };
    case 'RUNNING':
      return { life_cycle_state: LifeCycleState.RUNNING, ...base };
    case 'WAITING_FOR_RETRY':
      return { life_cycle_state: LifeCycleState.WAITING_FOR_RETRY, ...base };
    case 'SKIPPED':
      return { life_cycle_state: LifeCycleState.SKIPPED, ...(a.result ? { result_state: a.result } : {}), ...base };
    case 'TERMINATED':
      return {
        life_cycle_state: a.internalError ? LifeCycleState.INTERNAL_ERROR : LifeCycleState.TERMINATED,
        ...(a.result ? { result_state: a.result } : {}),
        ...base,
      };
    default:
      return assertNever(a.phase, 'attempt phase');
  }
}

function taskStatusV2(a: AttemptState, run: RunOfTask): RunStatusV2 {
  switch (a.phase) {
    case 'PENDING':
      return { state: a.state_message.startsWith(WAITING_FOR_UPSTREAM) ? 'BLOCKED' : 'PENDING' };
    case 'RUNNING':
      return { state: 'RUNNING' };
    case 'WAITING_FOR_RETRY':
      return { state: 'WAITING' };
    case 'SKIPPED':
    case 'TERMINATED':
      return { state: 'TERMINATED', termination_details: taskTermination(a, run) };
    default:
      return assertNever(a.phase, 'attempt phase');
  }
}

function taskTermination(a: AttemptState, run: RunOfTask): NonNullable<RunStatusV2['termination_details']> {
  return terminated(taskTerminationCode(a, run), a.state_message);
}

/** The code of a finished attempt (TERMINATION_CODES says when each is given). */
function taskTerminationCode(a: AttemptState, run: RunOfTask): string {
  if (a.internalError) return 'INTERNAL_ERROR';
  // The tasks of a run skipped at admission never ran: they carry the run's own reason.
  if (a.phase === 'SKIPPED' && a.result === undefined && run.result === RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED)
    return run.termination_code ?? RUN_TERMINATION.MAXIMUM_CONCURRENT_RUNS_REACHED;
  const r = a.result ?? TaskResultState.CANCELED;
  if (a.terminationCode && r === TaskResultState.FAILED) return a.terminationCode;
  switch (r) {
    case TaskResultState.SUCCESS:
      return 'SUCCESS';
    case TaskResultState.FAILED:
      return 'RUN_EXECUTION_ERROR';
    case TaskResultState.TIMEDOUT:
      return 'CANCELED';
    case TaskResultState.CANCELED:
      return 'USER_CANCELED';
    case TaskResultState.EXCLUDED:
    case TaskResultState.UPSTREAM_FAILED:
    case TaskResultState.UPSTREAM_CANCELED:
      return 'SKIPPED';
    case TaskResultState.DISABLED:
      return 'DISABLED';
    default:
      return assertNever(r, 'task result');
  }
}
