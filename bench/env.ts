// What every benchmark section runs against: one Temporal dev server (or TEMPORAL_ADDRESS, or with
// `--server postgres` docker-compose.yml's Temporal on PostgreSQL run natively), a client, and two
// workers in this process on their own task queues:
// - the no-op worker (bench bundle: our interpreter and the hand-written workflows of
//   bench/workflows.ts) whose task activity returns at once, so that orchestration is measured;
// - the real worker (createDjobsWorker, the built bundle), whose tasks are real processes, for
//   end-to-end figures (the per-edge process start, the Airflow comparison).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { TaskAttemptInput, TaskAttemptRecord } from '../core';
import { loadConfig } from '../config';
import { startDevServer } from '../servers/dev-server';
import { startNativeCluster } from '../servers/native-cluster';
import { findTemporalCli } from '../servers/temporal-cli';
import { setupTemporal } from '../client/temporal-setup';
import { createPlanningActivities } from '../activities/planning';
import { djobsDataConverter } from '../encryption/data-converter';
import { createDjobsWorker, workflowActivationTimeout } from '../worker';
import type { BenchServer } from './args';
import { processCpuSeconds, processTreeCpuSeconds } from './run-cost';

export interface BenchEnv {
  client: Client;
  /** The Temporal frontend's address (sections that start workers of their own). */
  address: string;
  /** The Temporal server's pid when the bench started it (for its RSS). */
  serverPid?: number;
  /** Which server: the dev server (SQLite) or the compose's on PostgreSQL. */
  server: BenchServer;
  /**
   * CPU seconds used so far by the Temporal server and, on PostgreSQL, by its database's processes,
   * when the bench started them; sections report the difference per request or run.
   */
  serverCpuSeconds(): { temporal?: number; postgres?: number };
  /** Workers with the no-op task activity: jobRun and the hand-written workflows. */
  noopQueue: string;
  /** The djobs worker with its real activities (each task a process). */
  realQueue: string;
  dataDir: string;
  /** End times (ms since epoch) of the no-op task attempts and their jobs' names: what throughput counts. */
  noopTaskEnds: { at: number; jobName: string }[];
  /** Run a workflow to completion; its wall time in ms and its id. */
  execute(type: string, args: unknown[], queue?: string): Promise<{ ms: number; workflowId: string }>;
}

let sequence = 0;
export const benchWorkflowId = (prefix: string) => `bench-${prefix}-${Date.now()}-${sequence++}`;

/** Start the server (unless TEMPORAL_ADDRESS) and both workers; run `body`; shut everything down. */
export async function withBenchEnv<T>(
  body: (env: BenchEnv) => Promise<T>,
  opts: { server?: BenchServer } = {}
): Promise<T> {
  const config = loadConfig();
  const server = opts.server ?? 'dev';
  let address = server === 'dev' ? process.env.TEMPORAL_ADDRESS : undefined;
  let serverPid: number | undefined;
  let postgresPid: number | undefined;
  let stopServer = async () => {};
  if (server === 'postgres') {
    const temporalCli = await findTemporalCli(config);
    if (!temporalCli) throw new Error('temporal CLI not found: run npm run ensure-temporal');
    const cluster = await startNativeCluster({ temporalCli });
    address = cluster.address;
    serverPid = cluster.serverPid();
    postgresPid = cluster.postgresPid;
    stopServer = () => cluster.stop();
  } else if (!address) {
    const cliPath = await findTemporalCli(config);
    if (!cliPath) throw new Error('temporal CLI not found: run npm run ensure-temporal');
    const server = await startDevServer({
      cliPath,
      headless: true,
      port: 0,
      logFile: path.join(os.tmpdir(), 'djobs-bench-server.log'),
    });
    address = server.address;
    serverPid = server.pid;
    stopServer = () => server.stop();
  }
  const dataConverter = djobsDataConverter(undefined);
  const connection = await Connection.connect({ address });
  await setupTemporal(connection, 'default');
  const client = new Client({ connection, dataConverter });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    failureConverterPath: dataConverter.failureConverterPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const stamp = Date.now();
  const noopQueue = `bench-noop-${stamp}`;
  const realQueue = `bench-real-${stamp}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-data-'));
  const noopTaskEnds: BenchEnv['noopTaskEnds'] = [];
  /**
   * The no-op task: returns at once, as cheap for the hand-written workflow as for ours. A task whose
   * command is `sleep …` stays running until it is canceled (the live run of api-load.ts).
   */
  async function runTaskAttempt(input: TaskAttemptInput): Promise<TaskAttemptRecord> {
    if (String(input.task.shell_command_task?.command).startsWith('sleep')) {
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(500); // rejects once the run is canceled
      }
    }
    const now = Date.now();
    noopTaskEnds.push({ at: now, jobName: input.jobName });
    return { startTime: now, endTime: now, logPath: '', logTail: '', logTruncated: false, taskValues: {}, exitCode: 0 };
  }
  const nativeConnection = await NativeConnection.connect({ address });
  const noopWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: noopQueue,
    workflowBundle: { code },
    dataConverter,
    activities: { ...createPlanningActivities('default'), runTaskAttempt },
    maxConcurrentActivityTaskExecutions: 200,
    ...workflowActivationTimeout,
  });
  const realWorker = await createDjobsWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: realQueue,
    dataDir,
    dataConverter,
  });
  let n = 0;
  const env: BenchEnv = {
    client,
    address,
    ...(serverPid !== undefined ? { serverPid } : {}),
    server,
    serverCpuSeconds() {
      const read = (p: string) => fs.readFileSync(p, 'utf8');
      const temporal = serverPid === undefined ? undefined : processCpuSeconds(serverPid, read);
      const postgres = postgresPid === undefined ? undefined : processTreeCpuSeconds(postgresPid, read);
      return { ...(temporal !== undefined ? { temporal } : {}), ...(postgres !== undefined ? { postgres } : {}) };
    },
    noopQueue,
    realQueue,
    dataDir,
    noopTaskEnds,
    async execute(type, args, queue = noopQueue) {
      const workflowId = `bench-${stamp}-${n++}`;
      const t0 = performance.now();
      await client.workflow.execute(type, { taskQueue: queue, workflowId, args });
      return { ms: performance.now() - t0, workflowId };
    },
  };
  const running = [noopWorker.run(), realWorker.run()];
  try {
    return await body(env);
  } finally {
    noopWorker.shutdown();
    realWorker.shutdown();
    await Promise.allSettled(running);
    await nativeConnection.close();
    await connection.close();
    await stopServer();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
};

/** Resident set size of a process in MiB, from /proc (Linux); undefined elsewhere. */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak RSS of processes sampled every 250 ms until stopped. */
export function sampleRss(pids: Record<string, number | undefined>): () => Record<string, number | undefined> {
  const peak: Record<string, number | undefined> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const v = pid === undefined ? undefined : rssMiB(pid);
      if (v !== undefined) peak[name] = Math.max(peak[name] ?? 0, v);
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

export const round = (x: number, digits = 0) => +x.toFixed(digits);
