// The contract between the workflow (which drives attempts) and the activity (which runs one
// attempt of one task). Everything here crosses Temporal's history, so it stays small: logs live
// in files and only their path and a bounded tail are recorded.
import type { RunAsIdentity } from '../access/run-as';
import type { Task } from '../schema';
import type { TaskRuntime } from './task-runtime';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface TaskAttemptInput {
  /** Job run id (the workflow's run_id). */
  runId: number;
  jobId?: number;
  jobName: string;
  /** This attempt's own run id (Databricks gives every task attempt a run_id). */
  taskRunId: number;
  /** 0-based, as Databricks `attempt_number`. */
  attemptNumber: number;
  /** The validated task with paths already resolved to absolute paths. */
  task: Task;
  /** Resolved job parameters (defaults overridden by run parameters), name → value. */
  jobParameters: Record<string, string>;
  /** Task values set by tasks that already finished in this run: task_key → key → value. */
  upstreamTaskValues: Record<string, Record<string, JsonValue>>;
  /**
   * Who the run acts as, opened by its workflow from the identity the API sealed (absent from
   * runs started before identities were sealed: the activity then reads the run's memo).
   */
  runAs?: RunAsIdentity;
  /** The task's environment, variables and Spark libraries (from the job's settings); absent: none. */
  runtime?: TaskRuntime;
  /** The run's Git checkout, for a task that reads its paths from Git (or why the run has none). */
  git?: GitCheckoutRef | { error: string };
}

/** One commit of a repository, which a run's Git-sourced tasks read their paths from. */
export interface GitCheckoutRef {
  url: string;
  commit: string;
  /** `git_source.sparse_checkout.patterns`: only these paths are checked out. */
  sparsePatterns?: string[];
}

/** How an attempt's environment was made ready (Databricks `setup_duration` shows its time). */
export interface EnvironmentReadiness {
  /** The content key of the environment (a directory of the worker's environment cache). */
  key: string;
  /** True when the environment was already built (by an earlier attempt, run or worker). */
  reused: boolean;
  /** Milliseconds the attempt spent getting its environment (install or reuse, locks included). */
  setupMs: number;
}

/** What one finished attempt reports; also carried as the details of a failed attempt. */
export interface TaskAttemptRecord {
  /** Epoch ms. */
  startTime: number;
  endTime: number;
  exitCode?: number | null;
  /** Short error message (last line of the traceback or the runner's own message). */
  errorMessage?: string;
  /** Absolute path of this attempt's combined stdout/stderr log. */
  logPath: string;
  /** Last few KiB of the log, for the UI and get-run-output. */
  logTail: string;
  logTruncated: boolean;
  /** Values the task set with dbutils.jobs.taskValues.set (≤ 48 KiB each as JSON). */
  taskValues: Record<string, JsonValue>;
  /** The string passed to dbutils.notebook.exit, if any. */
  notebookResult?: string;
  /** sql_task: what its statements gave (`sql_output` in runs/get-output). */
  sqlResult?: SqlResultSummary;
  /**
   * How the attempt's processes were contained: `cgroup` (a cgroup v2 of its own, killed with
   * cgroup.kill) or `subreaper` (its supervisor, a child subreaper, found and killed them).
   */
  containment?: 'cgroup' | 'subreaper';
  /**
   * How the attempt was isolated: `namespaces` (its own mount, PID and IPC namespaces, the view of
   * files its principal may use, an unprivileged uid of its own) or `none` (`--no-sandbox`).
   */
  sandbox?: 'namespaces' | 'none';
  /** The attempt's Python environment, when it has one. */
  environment?: EnvironmentReadiness;
  /**
   * A Databricks termination code for a failure before the task's code ran (e.g.
   * LIBRARY_INSTALLATION_ERROR, REPOSITORY_CHECKOUT_FAILED); absent for the task's own failures.
   */
  terminationCode?: string;
  /** dbt_task: the archive of the dbt artifacts (target/ with manifest.json, run_results.json). */
  dbtArtifacts?: string;
  /** The worker that ran the attempt. */
  worker?: AttemptWorker;
  /** The workers lost while running this attempt before `worker` ran it (oldest first). */
  lostWorkers?: LostAttemptWorker[];
}

/**
 * A worker lost while it ran an attempt (its heartbeat timed out, Temporal ran the attempt again
 * elsewhere), as its last heartbeat that reached Temporal told: where, when, and its log's tail.
 */
export interface LostAttemptWorker extends AttemptWorker {
  /** Epoch ms of that heartbeat (the lost worker's clock). */
  last_heard_time: number;
  /** The last few KiB of the attempt's log then (LOST_LOG_TAIL_BYTES); the rest stays on its disk. */
  log_tail: string;
}

/** How much of a running attempt's log its heartbeat carries: what is kept of it should its worker be lost. */
export const LOST_LOG_TAIL_BYTES = 2048;

/** Where an attempt ran: the worker's host, and its process as `pid@host` (Temporal's default worker identity). */
export interface AttemptWorker {
  host: string;
  process: string;
}

/** ApplicationFailure `type`s thrown by the task activity. Assert on these, not on classes. */
export const TaskFailureType = {
  /** The task's code failed (non-zero exit, exception, SQL error). */
  TASK_FAILED: 'TaskFailed',
  /** The attempt ran longer than the task's timeout_seconds and its process tree was killed. */
  TASK_TIMED_OUT: 'TaskTimedOut',
  /** The task cannot run at all (file missing, unsupported extension): never retried. */
  TASK_INVALID: 'TaskInvalid',
} as const;
export type TaskFailureType = (typeof TaskFailureType)[keyof typeof TaskFailureType];

/** Bytes of log tail kept in history per attempt. */
export const LOG_TAIL_BYTES = 4096;
/** Databricks limit on one task value's JSON form. */
export const TASK_VALUE_MAX_BYTES = 48 * 1024;

/**
 * What a SQL task's statements gave, as the SQL runner (activities/runtime/sql-runner.cjs) writes
 * it: how many statements ran, and the last result set's columns, its row count and first rows
 * (each value as text, NULL as null).
 */
export interface SqlResultSummary {
  statements: number;
  columns: string[];
  row_count: number;
  rows: (string | null)[][];
}
