// The REST API under load on the same server as the workflow benchmark: requests per second and
// p50/p99 latency from concurrent keep-alive HTTP clients, each row printed with its target
// (issue 18): runs/get of a terminated run and of a live one (as an admin, and as a user whose
// access is checked against the job's grants) ≥ 2,000 req/s with p99 ≤ 25 ms; jobs/run-now
// ≥ 300 req/s; jobs/list of BENCH_API_JOBS jobs (default 10,000), first page ≤ 100 ms.
// The server runs here as deployed (createApiServer); the requests come from the load generator's
// own process (bench/load-generator.ts), which times them, so neither shares the other's event loop.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { TokenMap, adminPrincipal } from '../api/auth';
import { createApiServer } from '../api/server';
import { DurableJobsClient } from '../client';
import { djobsDataConverter } from '../encryption/data-converter';
import type { BenchEnv } from './env';
import { LoadGenerator } from './load-generator';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 16);
const JOBS = Number(process.env.BENCH_API_JOBS ?? 10_000);
/** Sequential first-page reads of jobs/list measured (after one warm-up read). */
const LIST_READS = 20;
const ADMIN = 'bench-admin-token-0123456789';
const USER = 'bench-user-token-0123456789';
const VIEWER = 'viewer@example.com';

export interface LoadResult {
  endpoint: string;
  requests: number;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /** Temporal calls made by the API per request: what the server's caches save, whatever the load. */
  temporal_calls_per_req: number;
  /**
   * Where a request's time goes: the mean round trip of those Temporal calls (a runs/get waits for
   * a describe sent after it arrived) and the CPU the server's process spent per request.
   */
  temporal_call_ms: number;
  server_cpu_ms_per_req: number;
  /**
   * CPU of the Temporal server per request (and of PostgreSQL's processes with --server postgres),
   * when the bench started the server: what a start costs the server itself.
   */
  temporal_cpu_ms_per_req?: number;
  postgres_cpu_ms_per_req?: number;
  /**
   * How late the server's event loop ran (p99 and max, ms): a stall there (GC, other work in the
   * process) delays every request waiting on it, whatever their own cost.
   */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  target: string;
  /** `yes` or `NO` beside a target; empty for rows without one (warm-ups). */
  met: string;
}

/** A figure's target: shown as text, judged on the measured row (baselines and warm-ups are not judged). */
interface Target {
  text: string;
  met?(row: Pick<LoadResult, 'req_per_s' | 'p50_ms' | 'p99_ms'>): boolean;
}
const NO_TARGET: Target = { text: '' };
const RUNS_GET: Target = { text: '≥ 2000 req/s, p99 ≤ 25 ms', met: (r) => r.req_per_s >= 2000 && r.p99_ms <= 25 };
const RUN_NOW: Target = { text: '≥ 300 req/s', met: (r) => r.req_per_s >= 300 };
/** A baseline row: printed beside the figures it bounds, judged by nothing. */
const BASELINE: Target = { text: 'baseline' };
const FIRST_PAGE: Target = { text: '≤ 100 ms (p50)', met: (r) => r.p50_ms <= 100 };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Temporal calls made through the API server's connection (`countedConnection`), and their time. */
let temporalCalls = 0;
let temporalCallMs = 0;

/**
 * A connection whose every workflow-service call is counted: the API server's own, so that the
 * calls per request are measured, not guessed (the workers and the bench's set-up use others).
 */
async function countedConnection(address: string): Promise<Connection> {
  const connection = await Connection.connect({ address });
  const service = connection.workflowService;
  const counted = new Proxy(service, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'constructor') return value;
      return (...args: unknown[]) => {
        temporalCalls++;
        const t0 = performance.now();
        const answer = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (answer instanceof Promise) {
          const timed = () => (temporalCallMs += performance.now() - t0);
          answer.then(timed, timed);
        }
        return answer;
      };
    },
  });
  Object.defineProperty(connection, 'workflowService', { value: counted });
  return connection;
}

/** The Temporal server's (and PostgreSQL's) CPU so far: set by `apiLoad` from its bench env. */
let temporalServerCpu: BenchEnv['serverCpuSeconds'] = () => ({});

/** The server side of a row: Temporal calls, their time and the process's CPU, counted from `meterNow()`. */
interface Meter {
  calls: number;
  callMs: number;
  cpu: NodeJS.CpuUsage;
  loopDelay: IntervalHistogram;
  temporalCpu: ReturnType<BenchEnv['serverCpuSeconds']>;
}
function meterNow(): Meter {
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  return {
    calls: temporalCalls,
    callMs: temporalCallMs,
    cpu: process.cpuUsage(),
    loopDelay,
    temporalCpu: temporalServerCpu(),
  };
}

/** The row of `latencies` (ms, any order) measured over `seconds` since `from`, judged against `target`, printed at once. */
function measured(
  endpoint: string,
  target: Target,
  latencies: number[],
  seconds: number,
  errors: number,
  from: Meter
): LoadResult {
  const cpu = process.cpuUsage(from.cpu);
  const temporalCpu = temporalServerCpu();
  from.loopDelay.disable();
  const calls = temporalCalls - from.calls;
  const requests = Math.max(1, latencies.length);
  latencies.sort((a, b) => a - b);
  const figures = {
    req_per_s: Math.round(latencies.length / seconds),
    p50_ms: +percentile(latencies, 0.5).toFixed(1),
    p99_ms: +percentile(latencies, 0.99).toFixed(1),
  };
  const met = target.met === undefined ? '' : target.met(figures) ? 'yes' : 'NO';
  const perRequest = (key: 'temporal' | 'postgres') => {
    const [a, b] = [from.temporalCpu[key], temporalCpu[key]];
    return a === undefined || b === undefined
      ? {}
      : { [`${key}_cpu_ms_per_req`]: +(((b - a) * 1000) / requests).toFixed(2) };
  };
  return shown({
    endpoint,
    requests: latencies.length,
    ...figures,
    errors,
    temporal_calls_per_req: +(calls / requests).toFixed(2),
    temporal_call_ms: +((temporalCallMs - from.callMs) / Math.max(1, calls)).toFixed(1),
    server_cpu_ms_per_req: +((cpu.user + cpu.system) / 1000 / requests).toFixed(3),
    ...perRequest('temporal'),
    ...perRequest('postgres'),
    loop_delay_p99_ms: +(from.loopDelay.percentile(99) / 1e6).toFixed(1),
    loop_delay_max_ms: +(from.loopDelay.max / 1e6).toFixed(1),
    target: target.text,
    met,
  });
}

/** Repeat a local step (the raw-start baseline's Temporal call) from `concurrency` loops for SECONDS; a step that is not ok counts as an error. */
async function load(
  endpoint: string,
  target: Target,
  step: () => Promise<boolean>,
  concurrency = CONCURRENCY
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const from = meterNow();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await step();
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    })
  );
  return measured(endpoint, target, latencies, (performance.now() - start) / 1000, errors, from);
}

/** Print a row as soon as it is measured (a long bench that fails later keeps what it measured). */
function shown(row: LoadResult): LoadResult {
  if (row.target !== '') console.log(JSON.stringify(row));
  return row;
}

/** Requests the load generator sends: what to ask, and how. */
interface Requests {
  /** `jobs/runs/get?…` under /api/2.1, or an absolute path. */
  path: string;
  token?: string;
  /** JSON body of a POST. */
  body?: unknown;
}

/**
 * An HTTP load measured by the generator's process: `concurrency` keep-alive connections for
 * SECONDS, or one connection for `reads` requests in a row (a single caller's latency, whose
 * req/s is then one over the mean latency).
 */
async function httpLoad(
  generator: LoadGenerator,
  base: string,
  endpoint: string,
  target: Target,
  requests: Requests,
  how: { reads: number } | { concurrency: number } = { concurrency: CONCURRENCY }
): Promise<LoadResult> {
  const from = meterNow();
  const report = await generator.run({
    url: requests.path.startsWith('/') ? `${base}${requests.path}` : `${base}/api/2.1/${requests.path}`,
    headers: {
      ...(requests.token !== undefined ? { authorization: `Bearer ${requests.token}` } : {}),
      'content-type': 'application/json',
    },
    ...(requests.body !== undefined ? { body: JSON.stringify(requests.body) } : {}),
    ...('reads' in how ? { concurrency: 1, requests: how.reads } : { concurrency: how.concurrency, seconds: SECONDS }),
  });
  const seconds = 'reads' in how ? report.latencies.reduce((a, b) => a + b, 0) / 1000 : report.seconds;
  return measured(endpoint, target, report.latencies, seconds, report.errors, from);
}

/** Create `n` one-task jobs, 64 at a time, every other one visible to the viewer. */
async function createJobs(client: DurableJobsClient, n: number): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const { job_id } = await client.createJob(
          { name: `list-${i}`, tasks: [{ task_key: 'noop', shell_command_task: { command: 'true' } }] },
          i % 2 === 0 ? { accessControlList: [{ user_name: VIEWER, permission_level: 'CAN_VIEW' }] } : {}
        );
        ids.push(job_id);
      }
    })
  );
  return ids;
}

export async function apiLoad(env: BenchEnv): Promise<LoadResult[]> {
  temporalServerCpu = () => env.serverCpuSeconds();
  const taskQueue = env.noopQueue;
  const connection = await countedConnection(env.address);
  const temporal = new Client({ connection, dataConverter: djobsDataConverter(undefined) });
  const client = DurableJobsClient.fromClient(temporal, { taskQueue, user: 'bench' });
  const tokens = new TokenMap();
  tokens.add({ plain: ADMIN }, adminPrincipal());
  tokens.add({ plain: USER }, { name: VIEWER, kind: 'user', groups: [], admin: false });
  const app = await createApiServer({ client, tokens, workspaceDir: process.cwd() });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const generator = LoadGenerator.start();
  const remote = (endpoint: string, target: Target, requests: Requests, how?: { reads: number }) =>
    httpLoad(generator, base, endpoint, target, requests, how);
  // The ceiling of run-now: starting a hand-written one-activity workflow on the same queue,
  // straight through the Temporal client (the worker runs these too).
  const rawStarted: WorkflowHandle[] = [];
  let rawStarts = 0;
  const rawStart = async () => {
    const handle = await temporal.workflow.start('handChain', {
      args: [1],
      taskQueue,
      workflowId: `bench-api-start-${Date.now()}-${rawStarts++}`,
    });
    rawStarted.push(handle);
    return true;
  };
  /** The baseline's workflows run to their end before run-now is measured, so it starts on an idle worker too. */
  const rawStartBaseline = async () => {
    const row = await load('baseline: client.workflow.start of a hand-written 1-activity workflow', BASELINE, rawStart);
    for (const handle of rawStarted) await handle.result();
    return row;
  };
  // The server's own ceiling: starts of workflows that no worker runs, so that neither the worker
  // nor the runs' later history writes share the machine with them. No run-now can go faster
  // than this on the same server, whatever the engine does.
  const unpolledQueue = `${taskQueue}-unpolled`;
  const unpolledStartBaseline = async () => {
    const started: WorkflowHandle[] = [];
    const row = await load(
      'baseline: client.workflow.start on a queue no worker polls (the server alone)',
      BASELINE,
      async () => {
        started.push(
          await temporal.workflow.start('handChain', {
            args: [1],
            taskQueue: unpolledQueue,
            workflowId: `bench-api-unpolled-${Date.now()}-${rawStarts++}`,
          })
        );
        return true;
      }
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < started.length; i = next++)
          await started[i]!.terminate('bench: start ceiling measured');
      })
    );
    return row;
  };
  try {
    const { job_id } = await client.createJob(
      {
        name: 'api-load',
        tasks: [{ task_key: 'noop', shell_command_task: { command: 'true' } }],
        max_concurrent_runs: 1000,
      },
      { accessControlList: [{ user_name: VIEWER, permission_level: 'CAN_MANAGE_RUN' }] }
    );
    const { job_id: liveJob } = await client.createJob(
      { name: 'api-load-live', tasks: [{ task_key: 'sleep', shell_command_task: { command: 'sleep 3600' } }] },
      { accessControlList: [{ user_name: VIEWER, permission_level: 'CAN_VIEW' }] }
    );
    const { run_id } = await client.runNow(job_id);
    await client.waitForRun(run_id, { pollIntervalMs: 50 });
    const { run_id: live } = await client.runNow(liveJob);
    // Live: its one task has started (the bench's worker answers every attempt at once, so
    // the run stays RUNNING only if its attempt is still pending: wait for it to be RUNNING).
    for (;;) {
      const r = await client.getRun(live);
      if (r.state.life_cycle_state === 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const get = (token: string, id: number): Requests => ({ path: `jobs/runs/get?run_id=${id}`, token });
    // Warm up (JIT on both sides, connections, the server's caches) so that the first row measured is not penalised.
    await remote('warm-up', NO_TARGET, get(ADMIN, run_id));
    const results = [
      // The ceiling of this harness: a route that answers without authentication or Temporal.
      await remote('baseline: a static route of the same server', BASELINE, { path: '/.well-known/databricks-config' }),
      await remote('runs/get terminated (admin)', RUNS_GET, get(ADMIN, run_id)),
      await remote('runs/get terminated (permission-checked user)', RUNS_GET, get(USER, run_id)),
      await remote(`runs/get live (admin, ${liveState(await client.getRun(live))})`, RUNS_GET, get(ADMIN, live)),
      await remote('runs/get live (permission-checked user)', RUNS_GET, get(USER, live)),
      await unpolledStartBaseline(),
      await rawStartBaseline(),
      await remote('run-now (1-task job, runs executed by the worker)', RUN_NOW, {
        path: 'jobs/run-now',
        token: ADMIN,
        body: { job_id },
      }),
    ];
    await client.cancelRun(live);
    await drained(client, job_id);
    if (JOBS > 0) {
      const t0 = performance.now();
      const ids = await createJobs(client, JOBS);
      const createS = (performance.now() - t0) / 1000;
      console.log(`created ${JOBS} jobs in ${createS.toFixed(1)} s (${Math.round(JOBS / createS)} jobs/s)`);
      const firstPage = (token: string): Requests => ({ path: 'jobs/list?limit=20', token });
      await remote('warm-up', NO_TARGET, firstPage(ADMIN), { reads: 2 });
      results.push(
        await remote(`jobs/list first page of ${JOBS} jobs (admin)`, FIRST_PAGE, firstPage(ADMIN), {
          reads: LIST_READS,
        }),
        await remote(`jobs/list first page of ${JOBS} jobs (user who sees half)`, FIRST_PAGE, firstPage(USER), {
          reads: LIST_READS,
        })
      );
      // Cleaning up must not lose the rows measured: a server too loaded to delete every job in
      // time leaves some, and says how many.
      let next = 0;
      let left = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let i = next++; i < ids.length; i = next++) await client.deleteJob(ids[i]!).catch(() => left++);
        })
      );
      if (left > 0) console.log(`${left} of the ${JOBS} jobs could not be deleted (the server timed out)`);
    }
    await client.deleteJob(job_id);
    await client.deleteJob(liveJob);
    return results;
  } finally {
    generator.close();
    await app.close();
    await connection.close();
  }
}

/**
 * Wait until no run of the job is active: run-now's hundreds of runs would otherwise still execute
 * while jobs/list and the sections after this one are measured (Temporal's index, which lags, can
 * only make this wait longer, never shorter).
 */
async function drained(client: DurableJobsClient, jobId: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  while ((await client.listRuns({ jobId, activeOnly: true, limit: 1 })).length > 0) {
    if (Date.now() > deadline) throw new Error(`runs of job ${jobId} still active after 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function liveState(run: { state: { life_cycle_state?: string } }): string {
  return run.state.life_cycle_state ?? 'unknown';
}

export const apiLoadSettings = { seconds: SECONDS, concurrency: CONCURRENCY, jobs: JOBS };
