// The state a job run keeps inside its workflow (`jobRun`'s query answer, result, failure details
// and continue-as-new input): runs, their task runs and attempts, repairs, notifications. It is
// persisted in Temporal's history, so a field is renamed only behind a workflow patch; its
// Databricks view is core/run/databricks-run.ts.
import type { ResolvedValues } from './resolved-values';
import type { JobSettings } from '../schema';
import type { ModelUpdate } from './model-trigger';
import {
  TaskResultState,
  type RunResultState as RunResultStateT,
  type TaskResultState as TaskResultStateT,
} from '../dag/states';
import type {
  AttemptWorker,
  EnvironmentReadiness,
  JsonValue,
  LostAttemptWorker,
  SqlResultSummary,
} from './task-attempt';

/** State message of a task whose dependencies are not finished yet (shown as BLOCKED). */
export const WAITING_FOR_UPSTREAM = 'Waiting for upstream tasks to finish.';

export const TriggerType = {
  PERIODIC: 'PERIODIC',
  ONE_TIME: 'ONE_TIME',
  RETRY: 'RETRY',
  RUN_JOB_TASK: 'RUN_JOB_TASK',
  FILE_ARRIVAL: 'FILE_ARRIVAL',
  TABLE: 'TABLE',
  CONTINUOUS: 'CONTINUOUS',
  CONTINUOUS_RESTART: 'CONTINUOUS_RESTART',
  MODEL: 'MODEL',
} as const;
export type TriggerType = (typeof TriggerType)[keyof typeof TriggerType];

export const RunType = { JOB_RUN: 'JOB_RUN', SUBMIT_RUN: 'SUBMIT_RUN', WORKFLOW_RUN: 'WORKFLOW_RUN' } as const;
export type RunType = (typeof RunType)[keyof typeof RunType];

/** Phase of one task attempt as the run sees it. */
export type AttemptPhase = 'PENDING' | 'RUNNING' | 'WAITING_FOR_RETRY' | 'TERMINATED' | 'SKIPPED';

/** Iteration counts of a for_each task (Databricks `for_each_task.stats.task_run_stats`). */
export interface ForEachStats {
  total_iterations: number;
  scheduled_iterations: number;
  active_iterations: number;
  completed_iterations: number;
  succeeded_iterations: number;
  failed_iterations: number;
}

export interface AttemptState {
  run_id: number;
  attempt_number: number;
  phase: AttemptPhase;
  result?: TaskResultStateT;
  /** INTERNAL_ERROR when the platform (not the task's code) failed, e.g. a lost worker. */
  internalError?: boolean;
  state_message: string;
  start_time: number;
  end_time: number;
  /**
   * The workflow's clock when the attempt started. `start_time` is the worker's clock once the
   * attempt reports back; the two differ by clock skew, and by hours on a time-skipping test
   * server, where workflow time jumps ahead of the worker's. Retry intervals pass on both.
   */
  workflowStartTime?: number;
  logPath?: string;
  logTail?: string;
  logTruncated?: boolean;
  errorMessage?: string;
  notebookResult?: string;
  /** How the attempt's processes were contained (`TaskAttemptRecord.containment`). */
  containment?: 'cgroup' | 'subreaper';
  /** How the attempt was isolated (`TaskAttemptRecord.sandbox`). */
  sandbox?: 'namespaces' | 'none';
  /** How its Python environment was made ready (`setup_duration` is its time). */
  environment?: EnvironmentReadiness;
  /** sql_task: what its statements gave (`TaskAttemptRecord.sqlResult`). */
  sqlResult?: SqlResultSummary;
  /** A Databricks termination code the attempt failed with before its code ran. */
  terminationCode?: string;
  /** dbt_task: the archive of its dbt artifacts (`dbt_output` in runs/get-output). */
  dbtArtifacts?: string;
  /** The worker that ran the attempt (`TaskAttemptRecord.worker`); absent before attempts recorded it. */
  worker?: AttemptWorker;
  /** Workers lost while running the attempt, before `worker` (`TaskAttemptRecord.lostWorkers`). */
  lostWorkers?: LostAttemptWorker[];
  userCanceledOrTimedOut?: boolean;
  /** condition_task: the branch taken. */
  conditionOutcome?: 'true' | 'false';
  /** run_job_task: the run it started. */
  childRunId?: number;
  /** The parameters the attempt received, its references resolved (`resolved_values`). */
  resolvedValues?: ResolvedValues;
  /** for_each_task: iteration counts (Databricks `for_each_task.stats.task_run_stats`). */
  forEachStats?: ForEachStats;
  /**
   * The values this attempt set, once a repair ran its task again (until then they are the task's
   * `taskValues`): every attempt keeps its own values for `runs/get-output` of its task run id.
   */
  taskValues?: Record<string, JsonValue>;
}

export interface TaskRunState {
  task_key: string;
  /** One entry per attempt, oldest first; never empty. */
  attempts: AttemptState[];
  taskValues?: Record<string, JsonValue>;
}

/** One entry per execution of the run: the original and each repair (Databricks `repair_history`). */
export interface RepairHistoryItem {
  type: 'ORIGINAL' | 'REPAIR';
  /** Repair id (repairs only). */
  id?: number;
  start_time: number;
  end_time: number;
  result?: RunResultStateT;
  /** Why this execution ended as it did (its run's `state_message` then). */
  state_message?: string;
  /** Run ids of the task attempts this execution started. */
  task_run_ids: number[];
}

/** Databricks `trigger_info`, plus the files of a file-arrival run (extension). */
export interface TriggerInfo {
  /** For RUN_JOB_TASK runs: the task run that started this run. */
  run_id?: number;
  file_arrival?: { location: string; files: string[] };
  /** A model-trigger run: the registry updates that started it (extension). */
  model?: { condition: string; updates: ModelUpdate[] };
}

export interface RunState {
  run_id: number;
  job_id?: number;
  run_name: string;
  run_type: RunType;
  trigger: TriggerType;
  settings: JobSettings;
  job_parameters: Record<string, string>;
  start_time: number;
  end_time: number;
  paused: boolean;
  /** Set once the run is terminal. */
  result?: RunResultStateT;
  state_message: string;
  userCanceledOrTimedOut: boolean;
  tasks: Record<string, TaskRunState>;
  /** Present once the run has been repaired: the original execution, then every repair. */
  repair_history?: RepairHistoryItem[];
  trigger_info?: TriggerInfo;
  /** Set while the run waits in its job's queue (max_concurrent_runs reached). */
  queued?: { since: number; reason: string };
  /** True from the moment a job run exists until its job's gate admits (or skips) it. */
  awaiting_admission?: boolean;
  /** Time the run spent queued, once it left the queue. */
  queue_duration?: number;
  /** Termination code when it differs from the result's usual one (a full queue). */
  termination_code?: string;
  /** Notifications this run raised (duration warnings fire once) and how their deliveries ended. */
  notifications?: RunNotifications;
  /** The commit of `settings.git_source` this run reads its Git-sourced paths from (a repair keeps it). */
  git_snapshot?: { used_commit: string };
  /** Why the run's Git source could not be checked out; its Git-sourced tasks fail with it. */
  git_error?: string;
}

/** How one notification's delivery to one target ended (extension `notification_deliveries` of get-run). */
export interface NotificationDelivery {
  event_id: string;
  event: string;
  /** The task the notification is about; absent for the whole run. */
  task_key?: string;
  /** `email` (the listed addresses) or `destination` (a notification destination id). */
  target: { type: 'email'; addresses: string[] } | { type: 'destination'; id: string };
  /**
   * DELIVERED: the receiver took it (an SMTP server, an HTTP endpoint). WRITTEN_TO_OUTBOX: with no
   * SMTP server configured, the email was written to `outbox_file` and sent to no one.
   */
  status: 'DELIVERED' | 'WRITTEN_TO_OUTBOX' | 'FAILED';
  /** The `.eml` file of an email written to the outbox. */
  outbox_file?: string;
  /** Why the delivery failed, after its retries. */
  error?: string;
  /** Epoch milliseconds when the delivery ended. */
  time: number;
}

export interface RunNotifications {
  /** Ids of the facts already notified (a duration warning is raised once per run or task). */
  raised: string[];
  deliveries: NotificationDelivery[];
}

export function latestAttempt(task: TaskRunState): AttemptState {
  return task.attempts[task.attempts.length - 1]!;
}

/** The latest attempt of a task that succeeded: the one whose values are the task's `taskValues`. */
function latestSuccess(task: TaskRunState): AttemptState | undefined {
  for (let i = task.attempts.length - 1; i >= 0; i--)
    if (task.attempts[i]!.result === TaskResultState.SUCCESS) return task.attempts[i];
  return undefined;
}

/** The values one attempt set: its own once a repair superseded it, else the task's if it is their source. */
export function attemptTaskValues(task: TaskRunState, attempt: AttemptState): Record<string, JsonValue> | undefined {
  if (attempt.taskValues) return attempt.taskValues;
  return latestSuccess(task) === attempt ? task.taskValues : undefined;
}
