// A Clusters API (2.0) just large enough for Databricks clients: `clusters/spark-versions` (the
// Airflow provider's test_connection calls it), `clusters/list` and `clusters/get`, describing
// durable-jobs' worker pools (the default pool and each job cluster's task queue) with their live
// workers, in the Databricks `ClusterDetails` shape. Pools have no Spark: the one "version" says so.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_POOL, getWorkerPool, listWorkerPools, type WorkerPool } from '../client';
import { badRequest } from './errors';
import { requestParams } from './request-params';
import type { ApiDeps } from './routes';

/** The runtime every pool offers, as a Databricks spark-versions entry. */
export const WORKER_RUNTIME = { key: 'durable-jobs-python3', name: 'durable-jobs worker (Python 3, no Spark)' };

/** Databricks `ClusterDetails` of a pool: RUNNING while a worker polls it, else TERMINATED. */
export function clusterDetails(pool: WorkerPool) {
  const live = pool.workers.length;
  return {
    cluster_id: pool.name,
    cluster_name: pool.name,
    spark_version: WORKER_RUNTIME.key,
    // The default pool serves every job; cluster pools exist for the jobs that name them.
    cluster_source: pool.name === DEFAULT_POOL ? 'API' : 'JOB',
    state: live > 0 ? 'RUNNING' : 'TERMINATED',
    state_message: live > 0 ? '' : `No worker is polling task queue ${pool.taskQueue}.`,
    num_workers: live,
    executors: pool.workers.map((w) => ({
      node_id: w.identity,
      host_private_ip: w.identity,
      ...(w.lastAccessTime !== undefined ? { start_timestamp: w.lastAccessTime } : {}),
    })),
    custom_tags: {
      djobs_task_queue: pool.taskQueue,
      ...(pool.jobIds.length > 0 ? { djobs_job_ids: pool.jobIds.join(',') } : {}),
    },
  };
}

export function registerClustersApi(app: FastifyInstance, { client, bodyLimitBytes }: ApiDeps): void {
  const params = (req: FastifyRequest) => requestParams(req, bodyLimitBytes);
  for (const version of ['2.0', '2.1']) {
    const base = `/api/${version}/clusters`;
    app.get(`${base}/spark-versions`, async () => ({ versions: [WORKER_RUNTIME] }));
    app.get(`${base}/list`, async () => {
      const pools = await listWorkerPools(client);
      return { clusters: pools.map(clusterDetails) };
    });
    app.get(`${base}/get`, async (req) => {
      const id = (await params(req)).cluster_id;
      if (typeof id !== 'string' || id === '') throw badRequest('Missing required field: cluster_id');
      const pool = await getWorkerPool(client, id);
      if (!pool) throw badRequest(`Cluster ${id} does not exist`);
      return clusterDetails(pool);
    });
  }
}
