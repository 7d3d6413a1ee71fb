// The REST API under load on the same server as the workflow benchmark: requests per second and
// p50/p99 latency of runs/get (as an admin, and as a user whose access is checked against the
// job's grants) and of jobs/run-now, from concurrent keep-alive HTTP clients.
import type { Client } from '@temporalio/client';
import { TokenMap, adminPrincipal } from '../api/auth';
import { createApiServer } from '../api/server';
import { DurableJobsClient } from '../client';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 16);
const ADMIN = 'bench-admin-token-0123456789';
const USER = 'bench-user-token-0123456789';

export interface LoadResult {
  endpoint: string;
  requests: number;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Hit one endpoint from CONCURRENCY loops for SECONDS; every non-200 answer counts as an error. */
async function load(endpoint: string, request: () => Promise<Response>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await request();
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) errors++;
      }
    })
  );
  latencies.sort((a, b) => a - b);
  return {
    endpoint,
    requests: latencies.length,
    req_per_s: Math.round(latencies.length / SECONDS),
    p50_ms: +percentile(latencies, 0.5).toFixed(1),
    p99_ms: +percentile(latencies, 0.99).toFixed(1),
    errors,
  };
}

export async function apiLoad(temporal: Client, taskQueue: string): Promise<LoadResult[]> {
  const client = DurableJobsClient.fromClient(temporal, { taskQueue, user: 'bench' });
  const tokens = new TokenMap();
  tokens.add({ plain: ADMIN }, adminPrincipal());
  tokens.add({ plain: USER }, { name: 'viewer@example.com', kind: 'user', groups: [], admin: false });
  const app = await createApiServer({ client, tokens, workspaceDir: process.cwd() });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { job_id } = await client.createJob(
      {
        name: 'api-load',
        tasks: [{ task_key: 'noop', shell_command_task: { command: 'true' } }],
        max_concurrent_runs: 1000,
      },
      { accessControlList: [{ user_name: 'viewer@example.com', permission_level: 'CAN_MANAGE_RUN' }] }
    );
    const { run_id } = await client.runNow(job_id);
    await client.waitForRun(run_id, { pollIntervalMs: 50 });
    const get = (token: string) => () =>
      fetch(`${base}/api/2.1/jobs/runs/get?run_id=${run_id}`, { headers: { authorization: `Bearer ${token}` } });
    // Warm up (JIT, connections, the server's caches) so that the first row measured is not penalised.
    await load('warm-up', get(ADMIN));
    const results = [
      await load('runs/get (admin)', get(ADMIN)),
      await load('runs/get (permission-checked user)', get(USER)),
      await load('run-now (1-task job, runs executed by the worker)', () =>
        fetch(`${base}/api/2.1/jobs/run-now`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ job_id }),
        })
      ),
    ];
    await client.deleteJob(job_id);
    return results;
  } finally {
    await app.close();
  }
}

export const apiLoadSettings = { seconds: SECONDS, concurrency: CONCURRENCY };
