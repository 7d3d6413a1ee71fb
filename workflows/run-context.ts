// What every task of one run shares while the run executes: its state machine, its facts and where
// its attempts run (task queues decided once per run, worker pools with a cap on running tasks).
import { proxyLocalActivities, type WorkflowInfo } from '@temporalio/workflow';
import { clusterTaskQueue, type ActiveRun, type RunAsIdentity, type RunReferences, type Task } from '../core/model';
import { poolGateWorkflowId, type JobRunInput, type JobRunOptions, type PlanningActivities } from './definitions';
import type { SlotClient } from './slots';
import type { RunNotifier } from './run-notifications';

export interface RunContext {
  run: ActiveRun;
  input: JobRunInput;
  runId: number;
  info: WorkflowInfo;
  options: JobRunOptions;
  /** Job parameters with their references resolved. */
  jobParameters: Record<string, string>;
  references: RunReferences;
  /** Task key → task queue of its attempts. */
  taskQueues: Map<string, string>;
  /** Worker pool (`default` or a cluster name) → cap on task attempts running at once. */
  poolLimits: Record<string, number>;
  slots: SlotClient;
  /** The run's notifications; absent when its settings name no recipient (or before the patch). */
  notifier?: RunNotifier;
  /** Who the run acts as, opened from its sealed identity (absent before the patch). */
  runAs?: RunAsIdentity;
  /** Why the run's identity cannot be trusted: every task attempt ends INVALID with it, nothing runs. */
  identityRefused?: string;
}

/** A worker pool with a global cap on running tasks, and the gate that holds its slots. */
export interface CappedPool {
  name: string;
  limit: number;
  gateId: string;
}

const clusterOf = (t: Task) => t.job_cluster_key ?? t.existing_cluster_id;

/**
 * Tasks on a job cluster (job_cluster_key / existing_cluster_id) run on that cluster's task
 * queue when a `djobs worker --cluster NAME` is polling it; otherwise on the default queue, so a
 * single default worker serves every job. Decided once per run by a local activity, so the
 * decision is recorded in history.
 */
export async function planTaskQueues(tasks: readonly Task[], defaultQueue: string): Promise<Map<string, string>> {
  const clusters = [...new Set(tasks.map(clusterOf).filter((c): c is string => c !== undefined))];
  const planned = new Map<string, string>();
  let served: string[] = [];
  if (clusters.length > 0) {
    const { clustersWithWorkers } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });
    served = await clustersWithWorkers(clusters);
  }
  for (const t of tasks) {
    const c = clusterOf(t);
    planned.set(t.task_key, c !== undefined && served.includes(c) ? clusterTaskQueue(c) : defaultQueue);
  }
  return planned;
}

/** The capped worker pool a task's attempts run in, if its pool has a cap. */
export function poolOf(ctx: RunContext, task: Task): CappedPool | undefined {
  const queue = ctx.taskQueues.get(task.task_key) ?? ctx.options.taskQueue ?? ctx.info.taskQueue;
  const cluster = clusterOf(task);
  const name = cluster !== undefined && queue === clusterTaskQueue(cluster) ? cluster : 'default';
  const limit = ctx.poolLimits[name];
  return limit === undefined ? undefined : { name, limit, gateId: poolGateWorkflowId(queue) };
}
