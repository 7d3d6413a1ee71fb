// Integer ids, as Databricks clients expect, that stay below 2^53 (JS-safe). A task attempt's
// run_id embeds its job run's id, so a task run id alone finds its job run without a database:
// taskRunId = jobRunId * 2^17 + sequence.

export const RUN_ID_BITS = 36;
export const TASK_SEQ_BITS = 17;
/** Exclusive upper bound of job run ids (and job ids). */
export const MAX_RUN_ID = 2 ** RUN_ID_BITS;
const SEQ_FACTOR = 2 ** TASK_SEQ_BITS;

export function taskRunId(jobRunId: number, sequence: number): number {
  if (sequence < 1 || sequence >= SEQ_FACTOR) throw new RangeError(`task sequence ${sequence} out of range`);
  return jobRunId * SEQ_FACTOR + sequence;
}

/** The job run a task run id belongs to, or the id itself when it is a job run id. */
export function jobRunIdOf(runId: number): number {
  return runId >= MAX_RUN_ID ? Math.floor(runId / SEQ_FACTOR) : runId;
}

export function isTaskRunId(runId: number): boolean {
  return runId >= MAX_RUN_ID;
}

export const runWorkflowId = (runId: number): string => `djobs-run-${runId}`;

/** Where a run's page is: in the jobs web UI when its address is known, else the Temporal UI's workflow page. */
export interface RunPageLinks {
  /** Public address of the durable-jobs web UI (`DJOBS_WEB_UI_URL`). */
  webUiUrl?: string;
  /** Base URL of the Temporal Web UI, without a trailing slash. */
  temporalUiUrl: string;
  namespace: string;
}

/**
 * A run's `run_page_url`; with `taskKey`, a task run's: the task's pane of its run's page in the
 * jobs web UI (ui/src/router.ts), else the run's workflow page in the Temporal UI.
 */
export function runPageUrl(links: RunPageLinks, runId: number, taskKey?: string): string {
  const web = links.webUiUrl?.replace(/\/$/, '');
  if (!web)
    return `${links.temporalUiUrl}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${runWorkflowId(runId)}`;
  return `${web}/#/runs/${runId}${taskKey !== undefined ? `?task=${encodeURIComponent(taskKey)}` : ''}`;
}
export const jobScheduleId = (jobId: number): string => `djobs-job-${jobId}`;
/** The worker pool of tasks on no named cluster (its `cluster_id` in the Clusters API). */
export const DEFAULT_WORKER_POOL = 'default';
/** Task queue of a job cluster's dedicated workers (`djobs worker --cluster NAME`). */
export const clusterTaskQueue = (cluster: string): string => `djobs-cluster-${cluster}`;

/** Deterministic run id for runs whose id was not chosen by a client (scheduled runs): FNV-1a. */
export function runIdFromString(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const id = ((h1 % 2 ** 20) * 2 ** 16 + (h2 % 2 ** 16)) % MAX_RUN_ID;
  return id === 0 ? 1 : id;
}
