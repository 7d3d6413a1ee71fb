// The worker pools of a deployment and their live workers, read from Temporal: the default pool
// (tasks on no cluster, served by `djobs worker`) and one pool per cluster name the jobs use
// (`job_cluster_key` / `existing_cluster_id`, served by `djobs worker --cluster NAME`). A worker
// is live while it polls its pool's task queue (Temporal forgets pollers after about a minute).
import { temporal } from '@temporalio/proto';
import { DEFAULT_WORKER_POOL, clusterTaskQueue, type JobSettings, type Task } from '../core';
import { temporalClientOf, type DurableJobsClient } from './jobs-client';

/** The pool of tasks on no named cluster. */
export const DEFAULT_POOL = DEFAULT_WORKER_POOL;

export interface WorkerPool {
  /** `default`, or the cluster name tasks give as job_cluster_key or existing_cluster_id. */
  name: string;
  taskQueue: string;
  /** Jobs whose tasks name this pool (none for the default pool). */
  jobIds: number[];
  workers: { identity: string; lastAccessTime?: number }[];
}

/** Cluster names a job's settings use, its for_each nested tasks included. */
function clusterNames(settings: JobSettings): string[] {
  const names = new Set<string>((settings.job_clusters ?? []).map((c) => c.job_cluster_key));
  const visit = (t: Pick<Task, 'job_cluster_key' | 'existing_cluster_id'>) => {
    if (t.job_cluster_key) names.add(t.job_cluster_key);
    if (t.existing_cluster_id) names.add(t.existing_cluster_id);
  };
  for (const t of settings.tasks) {
    visit(t);
    if (t.for_each_task) visit(t.for_each_task.task);
  }
  return [...names];
}

/** The live workers polling one task queue for tasks. */
async function pollersOf(client: DurableJobsClient, taskQueue: string): Promise<WorkerPool['workers']> {
  const res = await temporalClientOf(client).workflowService.describeTaskQueue({
    namespace: client.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (res.pollers ?? []).map((p) => {
    const seconds = p.lastAccessTime?.seconds;
    return {
      identity: p.identity ?? 'unknown',
      ...(seconds !== undefined && seconds !== null ? { lastAccessTime: Number(seconds) * 1000 } : {}),
    };
  });
}

/** Every pool: the default one first, then the clusters the jobs name, by name. */
export async function listWorkerPools(client: DurableJobsClient): Promise<WorkerPool[]> {
  const users = new Map<string, number[]>();
  for (const job of await client.listJobs({ expandTasks: true }))
    for (const name of clusterNames(job.settings)) users.set(name, [...(users.get(name) ?? []), job.job_id]);
  const pools = [
    { name: DEFAULT_POOL, taskQueue: client.taskQueue, jobIds: [] as number[] },
    ...[...users.keys()]
      .filter((n) => n !== DEFAULT_POOL)
      .sort()
      .map((name) => ({ name, taskQueue: clusterTaskQueue(name), jobIds: users.get(name)! })),
  ];
  return Promise.all(pools.map(async (p) => ({ ...p, workers: await pollersOf(client, p.taskQueue) })));
}

/**
 * One pool by name: one the jobs name, or one no job names yet that workers already serve;
 * undefined otherwise.
 */
export async function getWorkerPool(client: DurableJobsClient, name: string): Promise<WorkerPool | undefined> {
  const known = (await listWorkerPools(client)).find((p) => p.name === name);
  if (known) return known;
  const taskQueue = clusterTaskQueue(name);
  const workers = await pollersOf(client, taskQueue);
  return workers.length > 0 ? { name, taskQueue, jobIds: [], workers } : undefined;
}
