// Custom search attributes that make runs filterable in the Temporal UI, e.g.
// `DjobsJobId = 42 AND DjobsResultState = 'FAILED'`. Registered idempotently at worker/client start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DjobsJobId = defineSearchAttributeKey('DjobsJobId', SearchAttributeType.INT);
export const DjobsRunId = defineSearchAttributeKey('DjobsRunId', SearchAttributeType.INT);
export const DjobsJobName = defineSearchAttributeKey('DjobsJobName', SearchAttributeType.KEYWORD);
export const DjobsTrigger = defineSearchAttributeKey('DjobsTrigger', SearchAttributeType.KEYWORD);
export const DjobsResultState = defineSearchAttributeKey('DjobsResultState', SearchAttributeType.KEYWORD);

/**
 * What a djobs workflow is, so the Temporal UI's list can show one kind, e.g. `DjobsKind = 'run'`
 * for runs without their jobs' gates and watchers. Set at each workflow's start; continue-as-new
 * keeps it. Workflows started before it existed have none (`WorkflowType = 'jobRun'` lists runs of
 * every age).
 */
export const DjobsKind = defineSearchAttributeKey('DjobsKind', SearchAttributeType.KEYWORD);
export const WorkflowKind = {
  /** A job run (`jobRun`): run-now, submit, schedule, trigger or run_job_task. */
  RUN: 'run',
  /** The iterations of one for_each task attempt (`forEachRun`). */
  FOR_EACH: 'for_each',
  /** A slot gate (`slotGate`): a job's max_concurrent_runs or a worker pool's task cap. */
  GATE: 'gate',
  /** A job's file-arrival trigger (`fileArrivalWatcher`). */
  FILE_ARRIVAL: 'file_arrival',
  /** A job's model trigger (`modelTriggerWatcher`). */
  MODEL_TRIGGER: 'model_trigger',
  /** A continuous job's supervisor (`continuousJob`). */
  CONTINUOUS: 'continuous',
  /** A pass of a worker's task-log retention (`logRetention`). */
  LOG_RETENTION: 'log_retention',
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];
export const kindAttribute = (kind: WorkflowKind) => ({ key: DjobsKind, value: kind as string });

/**
 * On a job's schedule: who may see the job (`jobViewerKeywords` of its owner and grants), so a
 * non-admin's jobs/list is filtered by the server.
 */
export const DjobsViewers = defineSearchAttributeKey('DjobsViewers', SearchAttributeType.KEYWORD_LIST);

/**
 * On a job's schedule: the deployment of the Databricks Asset Bundle the job belongs to (its
 * settings' `deployment.metadata_file_path`), so a bundle's deploy and destroy find its jobs.
 */
export const DjobsBundleDeployment = defineSearchAttributeKey('DjobsBundleDeployment', SearchAttributeType.KEYWORD);

/**
 * True from the start of a job run until its job's gate admits it (max_concurrent_runs): listings
 * show such a run PENDING or QUEUED (memo `MEMO_ADMISSION`), never RUNNING.
 */
export const DjobsQueued = defineSearchAttributeKey('DjobsQueued', SearchAttributeType.BOOL);
/** Memo key of a not-yet-admitted run: PENDING until the gate answers, QUEUED once it queued the run. */
export const MEMO_ADMISSION = 'djobs_admission';

/** What every start of a job run carries (run-now, schedules, triggers): not admitted yet. */
export const NOT_YET_ADMITTED = {
  searchAttribute: { key: DjobsQueued, value: true },
  memo: { [MEMO_ADMISSION]: 'PENDING' },
} as const;

export const ALL_SEARCH_ATTRIBUTES = [
  DjobsKind,
  DjobsJobId,
  DjobsRunId,
  DjobsJobName,
  DjobsTrigger,
  DjobsResultState,
  DjobsQueued,
  DjobsViewers,
  DjobsBundleDeployment,
] as const;

/** Set by Temporal on runs started by a schedule: the nominal fire time ({{job.trigger.time.*}}). */
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME
);
