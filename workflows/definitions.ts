// Messages and types of the job-run workflow. A leaf module: client/ imports it to signal and
// query runs without pulling in the interpreter.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type {
  ArrivedFile,
  BackoffPolicy,
  FileArrivalTiming,
  ListingChange,
  ModelTriggerState,
  ModelWatch,
  ObservedModel,
  TriggerInfo,
  GateState,
  JobSettings,
  GitSource,
  SlotDecision,
  SlotRequest,
  Progress,
  Run,
  RunAsIdentity,
  RunState,
  RunType,
  TaskAttemptInput,
  TaskAttemptRecord,
  TriggerType,
  NotificationMessage,
  NotificationTarget,
  ForEachIterationsView,
} from '../core/model';

export const JOB_RUN_WORKFLOW_TYPE = 'jobRun';

export interface JobRunOptions {
  /** Tasks running at once in this run. @default 100 */
  maxParallelTasks?: number;
  /** Heartbeat timeout of task activities: how fast a lost worker is noticed. @default 30 */
  heartbeatTimeoutSeconds?: number;
  /** Task queue of task activities that run on no named cluster. @default the workflow's queue */
  taskQueue?: string;
}

export interface JobRunInput {
  /** Chosen by the client; absent for runs started by a Temporal Schedule (derived from the workflow id). */
  runId?: number;
  jobId?: number;
  runName?: string;
  /** Validated settings with file paths resolved: a snapshot, so editing the job never changes this run. */
  settings: JobSettings;
  /**
   * Who the run acts as, sealed by the API with these settings (encryption/sealed-identity.ts);
   * the worker opens it before any task runs. Absent from runs started before it existed.
   */
  identity?: string;
  /** Run parameter overrides, name → value (job parameter defaults fill the rest). */
  jobParameters?: Record<string, string>;
  trigger?: TriggerType;
  /** Nominal trigger time (a backfill's fire time); default: the schedule's, else the start. */
  triggerTime?: number;
  /** What started the run, when a trigger did (the new files of a file-arrival run). */
  triggerInfo?: TriggerInfo;
  runType?: RunType;
  options?: JobRunOptions;
  /** Set when this execution repairs a finished run (same run_id, a new workflow execution). */
  repair?: RepairInput;
  /** Set when the run continued as new: everything the previous execution knew. */
  continued?: ContinuedRun;
}

export interface ContinuedRun {
  state: RunState;
  /** Carried by older executions only: the scheduler's view is derived from the attempts. */
  progress?: Progress;
  sequence: number;
  /** When this execution's job timeout started counting. */
  timeoutBase: number;
  /** The run holds a slot of its job's gate (released when the run ends). */
  holdsSlot?: boolean;
}

export interface RepairInput {
  repairId: number;
  /** The run as its previous execution left it. */
  previous: RunState;
  /** Tasks to run again (already expanded with dependents when asked). */
  rerunTasks: string[];
}

/**
 * The argument of a control signal that has no other (pause, resume, stopTrigger): it names the
 * signal and the workflow it is meant for, so that the encrypting data converter encrypts it and a
 * worker that refuses plaintext can tell the client's signal from one anyone who reaches Temporal
 * sends without the key (none, or a plaintext one). Bound to its signal and workflow, a copy of
 * one taken from a history cannot resume what was paused or stop another trigger.
 */
export interface ControlSignalArg {
  signal: string;
  workflowId: string;
}
export const controlSignalArg = (signal: string, workflowId: string): ControlSignalArg => ({ signal, workflowId });

/** Stop starting new tasks; running tasks finish. */
export const pauseSignal = defineSignal<[ControlSignalArg?]>('pause');
/** Start tasks again after `pause`. */
export const resumeSignal = defineSignal<[ControlSignalArg?]>('resume');
/** The live run in the Databricks `Run` shape. */
export const getRunQuery = defineQuery<Run>('getRun');
/** The run's full internal state (attempt logs, task values); the client maps it to `Run`. */
export const getRunStateQuery = defineQuery<RunState>('getRunState');
/** A for_each child's iterations (runs/get of its for_each task run: `iterations`). */
export const getForEachIterationsQuery = defineQuery<ForEachIterationsView>('getForEachIterations');
/** The for_each child workflow of a for_each task run. */
export const forEachWorkflowId = (runId: number, taskRunId: number): string =>
  `djobs-run-${runId}-foreach-${taskRunId}`;

/** Slot gate (max_concurrent_runs): a run asks for a slot, the gate answers, the run gives it back. */
export const requestSlotSignal = defineSignal<[SlotRequest]>('requestSlot');
export const releaseSlotSignal = defineSignal<[{ workflowId: string }]>('releaseSlot');
export const slotDecisionSignal = defineSignal<[SlotDecision]>('slotDecision');
export const getGateQuery = defineQuery<GateState>('getGate');
export const SLOT_GATE_WORKFLOW_TYPE = 'slotGate';
export const jobGateWorkflowId = (jobId: number) => `djobs-gate-job-${jobId}`;
/** One gate per worker pool, i.e. per task queue its workers serve. */
export const poolGateWorkflowId = (taskQueue: string) => `djobs-gate-pool-${taskQueue}`;

/** Trigger workflows (file arrival, continuous): new configuration, stop, current state. */
export const configureTriggerSignal = defineSignal<[unknown]>('configureTrigger');
export const stopTriggerSignal = defineSignal<[ControlSignalArg?]>('stopTrigger');
export const getTriggerStateQuery = defineQuery<unknown>('getTriggerState');
/** A file-arrival trigger's configuration, derived from the job's settings by the client. */
export interface FileArrivalConfig extends FileArrivalTiming {
  url: string;
  paused: boolean;
  /** How often the location is listed (ms). */
  pollMs: number;
}
/** A continuous job's configuration, derived from the job's settings by the client. */
export interface ContinuousConfig extends BackoffPolicy {
  paused: boolean;
}
export const FILE_ARRIVAL_WORKFLOW_TYPE = 'fileArrivalWatcher';
export const CONTINUOUS_WORKFLOW_TYPE = 'continuousJob';
export const fileArrivalWorkflowId = (jobId: number) => `djobs-watch-${jobId}`;
/** The model trigger's configuration (client/model-trigger.ts makes it from `trigger.model`). */
export interface ModelTriggerConfig extends ModelWatch {
  /** securable_name: a model name, a `catalog.schema` prefix, or '' for every model. */
  scope: string;
  paused: boolean;
  /** How often the registry is read (ms). */
  pollMs: number;
}

export interface ModelTriggerInput {
  jobId: number;
  config: ModelTriggerConfig;
  options?: JobRunOptions;
  state?: ModelTriggerState;
}

export const MODEL_TRIGGER_WORKFLOW_TYPE = 'modelTriggerWatcher';
export const modelTriggerWorkflowId = (jobId: number) => `djobs-model-watch-${jobId}`;
export const continuousWorkflowId = (jobId: number) => `djobs-continuous-${jobId}`;

/** ApplicationFailure types with which a run workflow ends when the job run did not succeed. */
/** Failure details carry the final `RunState`. */
export const RunFailureType = {
  FAILED: 'RunFailed',
  TIMEDOUT: 'RunTimedOut',
  CANCELED: 'RunCanceled',
} as const;

/** The activities the interpreter calls (implemented in activities/). */
/** Side effects of trigger watchers (implemented in activities/file-stores.ts). */
export interface TriggerActivities {
  /** Every file under a watched location (a directory, recursively; names starting with '.' are skipped). */
  listArrivedFiles(url: string): Promise<ArrivedFile[]>;
  /** The same listing as a change since the watcher's last one (see `ListingChange`). */
  listArrivedFileChanges(req: { url: string; watcher: string; since?: string }): Promise<ListingChange>;
}

/** Side effects of the model trigger (implemented in activities/model-registry.ts). */
export interface ModelRegistryActivities {
  /** The registered models in scope (a name, a `catalog.schema` prefix, or '' for all), with READY versions and aliases. */
  listRegisteredModels(scope: string): Promise<ObservedModel[]>;
}

export interface TaskActivities {
  runTaskAttempt(input: TaskAttemptInput): Promise<TaskAttemptRecord>;
}

/** Which commit of a job's repository a run reads its Git-sourced paths from. */
export interface GitSourceActivities {
  /** Fetches `git_source` into the worker's clone cache and names the commit its branch, tag or commit is now. */
  resolveGitCommit(source: GitSourceRef): Promise<{ commit: string } | { error: string }>;
}
export type GitSourceRef = Pick<GitSource, 'git_url' | 'git_branch' | 'git_tag' | 'git_commit'>;

/** One notification to one target (an email to its addresses, or a notification destination). */
export interface NotificationDeliveryInput {
  message: NotificationMessage;
  target: NotificationTarget;
}
/** Error type of a delivery its receiver refused for good (no retry helps); other errors are retried. */
export const NOTIFICATION_REJECTED = 'NotificationRejected';
/** Where a delivered notification went, when not to its receiver: an email written to the dev outbox. */
export interface NotificationDeliveryResult {
  outboxFile?: string;
}
export interface NotificationActivities {
  /**
   * Deliver a run's notification (activities/notifications.ts); retried with backoff by Temporal.
   * Histories from before the result was returned hold none: those deliveries reached their receiver.
   */
  deliverNotification(input: NotificationDeliveryInput): Promise<NotificationDeliveryResult | void>;
}
/**
 * A job as a run it starts needs it (run_job_task, triggers): its settings, the memo and viewers
 * its runs carry, its sealed identity; or that it is missing, or may not be started.
 */
export type CalledJob =
  | { settings: unknown; identity?: string; memo?: Record<string, unknown>; viewers?: string[] }
  | { missing: true }
  | { refused: string };

export interface PlanningActivities {
  /** Which of these cluster names have a dedicated worker polling their task queue. */
  clustersWithWorkers(clusters: string[]): Promise<string[]>;
  /**
   * The current settings of a job, the memo its runs carry (run_as, access) and its viewer
   * keywords (`DjobsViewers` of its schedule; absent for jobs saved before viewers were indexed).
   */
  loadJobSettings(jobId: number): Promise<CalledJob>;
  /** Who a run acts as, from its sealed identity (or why it cannot be trusted: then no task runs). */
  openRunIdentity(req: {
    identity?: string;
    settings: unknown;
    jobId?: number;
  }): Promise<{ runAs: RunAsIdentity } | { refused: string }>;
  /** loadJobSettings for a run_job_task, refused unless `runAs` holds CAN_MANAGE_RUN on the job. */
  loadCalledJob(req: { jobId: number; runAs?: RunAsIdentity }): Promise<CalledJob>;
  /** Ask a slot gate for a slot, starting the gate if it is not running (signal-with-start). */
  requestSlot(gateWorkflowId: string, request: SlotRequest): Promise<void>;
  /** Give a slot back to its gate (nothing when the gate is gone). */
  releaseSlot(gateWorkflowId: string, holder: string): Promise<void>;
  /** Caps on task attempts running at once per worker pool (`default` or a cluster name). */
  poolLimits(): Promise<Record<string, number>>;
  /** Which of these workflows are still running. */
  runningWorkflows(workflowIds: string[]): Promise<string[]>;
}

/** A log retention pass over one worker's disk (workflows/log-retention.ts, activities/log-retention.ts). */
export interface LogRetentionInput {
  /** Logs of runs that ended longer ago than this are deleted. */
  retentionMs: number;
  /** The time the pass judges by (epoch ms); default the activity's clock. */
  now?: number;
}

/** The workflow's input: the retention, and the task queue of the worker whose disk it cleans. */
export interface LogRetentionWorkflowInput extends LogRetentionInput {
  hostQueue: string;
}

export interface LogRetentionReport {
  deleted_run_ids: number[];
  /** Runs whose logs stay. */
  kept: number;
  /** Markers of expired logs removed once Temporal no longer knew their run. */
  markers_removed: number;
}

export interface LogRetentionActivities {
  deleteExpiredLogs(input: LogRetentionInput): Promise<LogRetentionReport>;
}

/** The workflow type of a log retention pass, started by each worker's schedule. */
export const LOG_RETENTION_WORKFLOW_TYPE = 'logRetention';
