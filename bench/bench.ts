// npm run bench: orchestration overhead of durable-jobs versus a hand-written Temporal workflow
// running the same no-op activity on the same server, in the same process, in the same run.
// Prints per-task overhead (ms) and the ratio ours / hand-written. Targets (README): ratio ≤ 1.25,
// chain overhead ≤ 30 ms per task on the dev server. Then the REST API under load (api-load.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { JobSettings, TaskAttemptInput, TaskAttemptRecord } from '../core';
import { loadConfig } from '../config';
import { startDevServer } from '../config/dev-server';
import { findTemporalCli } from '../config/temporal-cli';
import { ensureSearchAttributes } from '../client/search-attributes';
import { createPlanningActivities } from '../activities/planning';
import type { JobRunInput } from '../workflows/definitions';
import { apiLoad, apiLoadSettings, type LoadResult } from './api-load';
import { uiBench, type UiResult } from './ui';
import { pythonTasksBench } from './python-tasks';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

/** The no-op task: returns at once, as cheap for the hand-written workflow as for ours. */
async function runTaskAttempt(_input: TaskAttemptInput): Promise<TaskAttemptRecord> {
  const now = Date.now();
  return {
    startTime: now,
    endTime: now,
    logPath: '',
    logTail: '',
    logTruncated: false,
    taskValues: {},
    exitCode: 0,
  };
}

function chainSpec(n: number): JobSettings {
  return {
    name: `chain-${n}`,
    tasks: Array.from({ length: n }, (_, i) => ({
      task_key: `t${i}`,
      shell_command_task: { command: 'true' },
      ...(i > 0 ? { depends_on: [{ task_key: `t${i - 1}` }] } : {}),
    })),
  };
}

function fanSpec(width: number): JobSettings {
  const mids = Array.from({ length: width }, (_, i) => ({
    task_key: `m${i}`,
    shell_command_task: { command: 'true' },
    depends_on: [{ task_key: 'root' }],
  }));
  return {
    name: `fan-${width}`,
    tasks: [
      { task_key: 'root', shell_command_task: { command: 'true' } },
      ...mids,
      {
        task_key: 'sink',
        shell_command_task: { command: 'true' },
        depends_on: mids.map((m) => ({ task_key: m.task_key })),
      },
    ],
  };
}

/** The same fixed-seed random DAG for both engines: each task depends on up to three earlier ones. */
function randomDeps(n: number, seed: number): number[][] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<number>();
    const k = i === 0 ? 0 : Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) deps.add(Math.floor(rand() * i));
    return [...deps];
  });
}

function dagSpec(deps: number[][]): JobSettings {
  return {
    name: `random-${deps.length}`,
    tasks: deps.map((ds, i) => ({
      task_key: `t${i}`,
      shell_command_task: { command: 'true' },
      ...(ds.length > 0 ? { depends_on: ds.map((d) => ({ task_key: `t${d}` })) } : {}),
    })),
  };
}

function forEachSpec(n: number, concurrency: number): JobSettings {
  return {
    name: `for-each-${n}`,
    tasks: [
      {
        task_key: 'each',
        for_each_task: {
          inputs: JSON.stringify(Array.from({ length: n }, (_, i) => i)),
          concurrency,
          task: { task_key: 'item', shell_command_task: { command: 'true' } },
        },
      },
    ],
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig();
  let address = process.env.TEMPORAL_ADDRESS;
  let stopServer = async () => {};
  if (!address) {
    const cliPath = await findTemporalCli(config);
    if (!cliPath) throw new Error('temporal CLI not found: run npm run ensure-temporal');
    const server = await startDevServer({
      cliPath,
      headless: true,
      port: 0,
      logFile: path.join(os.tmpdir(), 'djobs-bench-server.log'),
    });
    address = server.address;
    stopServer = () => server.stop();
  }
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const taskQueue = `bench-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { code },
    activities: { ...createPlanningActivities('default'), runTaskAttempt, clustersWithWorkers: async () => [] },
    maxConcurrentActivityTaskExecutions: 200,
  });
  const deps = randomDeps(1000, 7);
  const scenarios: { name: string; tasks: number; ours: JobSettings; hand: [string, unknown[]] }[] = [
    { name: 'chain of 100', tasks: 100, ours: chainSpec(100), hand: ['handChain', [100]] },
    { name: 'fan-out/fan-in 200 wide', tasks: 202, ours: fanSpec(200), hand: ['handFanOutFanIn', [200]] },
    {
      name: 'for_each 1000 inputs, concurrency 100',
      tasks: 1000,
      ours: forEachSpec(1000, 100),
      hand: ['handForEach', [1000, 100]],
    },
    { name: 'random DAG of 1000 tasks', tasks: 1000, ours: dagSpec(deps), hand: ['handDag', [deps]] },
  ];
  const results: Record<string, unknown>[] = [];
  let api: LoadResult[] = [];
  let ui: UiResult[] = [];
  await worker.runUntil(async () => {
    let n = 0;
    const time = async (type: string, args: unknown[]) => {
      const t0 = performance.now();
      await client.workflow.execute(type, { taskQueue, workflowId: `bench-${Date.now()}-${n++}`, args });
      return performance.now() - t0;
    };
    // Warm up both paths once (bundle load, caches) before measuring.
    await time('jobRun', [{ runId: 1, settings: chainSpec(3) } satisfies JobRunInput]);
    await time('handChain', [3]);
    const only = process.env.BENCH_ONLY;
    for (const s of scenarios.filter((x) => !only || x.name.includes(only))) {
      const ours: number[] = [];
      const hand: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        ours.push(
          await time('jobRun', [
            { runId: 1000 + i, settings: s.ours, options: { maxParallelTasks: 1000 } } satisfies JobRunInput,
          ])
        );
        hand.push(await time(s.hand[0], s.hand[1]));
      }
      const o = median(ours);
      const h = median(hand);
      results.push({
        scenario: s.name,
        tasks: s.tasks,
        ours_ms: Math.round(o),
        hand_ms: Math.round(h),
        ours_per_task_ms: +(o / s.tasks).toFixed(2),
        hand_per_task_ms: +(h / s.tasks).toFixed(2),
        ratio: +(o / h).toFixed(3),
      });
    }
    if (!only || only === 'api') api = await apiLoad(client, taskQueue);
    if (!only || only === 'ui') ui = await uiBench(client, taskQueue, [dagSpec(randomDeps(100, 11)), dagSpec(deps)]);
  });
  const python =
    !process.env.BENCH_ONLY || process.env.BENCH_ONLY === 'python' ? await pythonTasksBench(address) : undefined;
  await nativeConnection.close();
  await connection.close();
  await stopServer();
  console.table(results);
  if (api.length > 0) {
    console.log(
      `REST API on ${os.cpus().length} cores, ${apiLoadSettings.concurrency} concurrent clients, ${apiLoadSettings.seconds} s per endpoint:`
    );
    console.table(api);
  }
  if (ui.length > 0) {
    console.log('Web UI run page in headless Chromium (time from navigation, median of cold loads):');
    console.table(ui);
  }
  const out = path.resolve(__dirname, '..', '..', '.bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'results.json'),
    JSON.stringify({ at: new Date().toISOString(), repeats: REPEATS, results, api, ui, python }, null, 2)
  );
  for (const r of results) {
    const ok = (r.ratio as number) <= 1.25;
    console.log(`${r.scenario as string}: ratio ${r.ratio as number} ${ok ? '≤' : '>'} 1.25 target`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
