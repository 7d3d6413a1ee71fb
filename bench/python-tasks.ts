// Python task start-up, fork server versus fresh interpreter, side by side in the same run:
// - a no-op Python task from attempt start to exit (executeTaskAttempt, no Temporal), target ≤ 15 ms
//   with the fork server;
// - a chain of 20 no-op Python tasks run by a real worker on a Temporal server, wall time with the
//   fork server and without (pythonChainWallTimes, also for comparisons with other engines).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { JobSettings, TaskAttemptInput } from '../core';
import { AttemptTrace, type Moment } from '../activities/attempt-trace';
import { executeTaskAttempt } from '../activities/execute';
import { PythonForkServers } from '../activities/python-fork-servers';
import { djobsDataConverter } from '../encryption/data-converter';
import type { JobRunInput } from '../workflows/definitions';
import { createDjobsWorker } from '../worker';

/** Target of a no-op Python task with the fork server, attempt start to exit (issue 18). */
export const PYTHON_NOOP_TARGET_MS = 15;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;

/**
 * A no-op Python file in `dir/code`, and `dir/home` for the data directory: apart, as a sandboxed
 * task sees its code but never DJOBS_HOME; readable by the task's uid as by any other user.
 */
function noopTask(dir: string): { file: string; home: string } {
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'code'));
  fs.mkdirSync(path.join(dir, 'home'), { mode: 0o700 });
  const file = path.join(dir, 'code', 'noop.py');
  fs.writeFileSync(file, 'pass\n');
  return { file, home: path.join(dir, 'home') };
}

export interface PythonStartResult {
  how: 'fork server' | 'fresh interpreter';
  samples: number;
  p50_ms: number;
  p90_ms: number;
  target_ms: number | string;
}

/** One step of a forked no-op attempt, between two consecutive moments of its start trace. */
export interface PythonStartStep {
  step: string;
  samples: number;
  p50_ms: number;
  mean_ms: number;
}

/**
 * The steps of the traced attempts (activities/attempt-trace.ts): for each pair of consecutive
 * moments, in the order of the first attempt, the median and mean time between them (`samples`:
 * the attempts in which they were consecutive), and last the whole attempt's.
 */
export function startBreakdown(traces: Moment[][]): PythonStartStep[] {
  const gaps = new Map<string, number[]>();
  for (const moments of traces)
    for (let i = 1; i < moments.length; i++) {
      const step = `${moments[i - 1]!.moment} → ${moments[i]!.moment}`;
      if (!gaps.has(step)) gaps.set(step, []);
      gaps.get(step)!.push(Number(moments[i]!.ns - moments[i - 1]!.ns) / 1e6);
    }
  const totals = traces.map((m) => Number(m.at(-1)!.ns - m[0]!.ns) / 1e6);
  gaps.set(`total: ${traces[0]?.[0]?.moment} → ${traces[0]?.at(-1)?.moment}`, totals);
  return [...gaps].map(([step, ms]) => ({
    step,
    samples: ms.length,
    p50_ms: +quantile(ms, 0.5).toFixed(2),
    mean_ms: +(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(2),
  }));
}

/**
 * A no-op Python task, attempt start to exit, each way `samples` times (alternating), after one
 * warm-up each; and the breakdown of the forked attempts' time (startBreakdown), traced in
 * `samples` more forked attempts of their own, so that tracing does not weigh on the figures.
 */
export async function pythonTaskStartup(
  samples = 30
): Promise<{ rows: PythonStartResult[]; breakdown: PythonStartStep[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-py-'));
  const { file, home } = noopTask(dir);
  const servers = new PythonForkServers();
  const attempt = async (n: number, forked: boolean, trace?: AttemptTrace) => {
    const input: TaskAttemptInput = {
      runId: 1,
      jobName: 'bench',
      taskRunId: 2 ** 17 + n,
      attemptNumber: n,
      jobParameters: {},
      upstreamTaskValues: {},
      task: { task_key: forked ? 'forked' : 'fresh', spark_python_task: { python_file: file } },
    };
    const t0 = performance.now();
    await executeTaskAttempt(input, {
      dataDir: home,
      signal: new AbortController().signal,
      ...(forked ? { pythonForkServers: servers } : {}),
      ...(trace ? { trace } : {}),
    });
    trace?.mark('worker: attempt ends');
    return performance.now() - t0;
  };
  const times = { forked: [] as number[], fresh: [] as number[] };
  const traces: Moment[][] = [];
  try {
    await attempt(0, true); // starts the fork server (and resolves the interpreter)
    await attempt(0, false);
    for (let i = 1; i <= samples; i++) {
      times.forked.push(await attempt(i, true));
      times.fresh.push(await attempt(i, false));
    }
    for (let i = 1; i <= samples; i++) {
      const trace = new AttemptTrace(path.join(dir, `trace-${i}.jsonl`));
      await attempt(samples + i, true, trace);
      traces.push(trace.all());
    }
  } finally {
    servers.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const row = (how: PythonStartResult['how'], xs: number[], target: number | string): PythonStartResult => ({
    how,
    samples: xs.length,
    p50_ms: +quantile(xs, 0.5).toFixed(1),
    p90_ms: +quantile(xs, 0.9).toFixed(1),
    target_ms: target,
  });
  return {
    rows: [row('fork server', times.forked, PYTHON_NOOP_TARGET_MS), row('fresh interpreter', times.fresh, '-')],
    breakdown: startBreakdown(traces),
  };
}

/** A chain of `n` no-op Python tasks (spark_python_task on `file`). */
export function pythonChainSpec(n: number, file: string): JobSettings {
  return {
    name: `python-chain-${n}`,
    tasks: Array.from({ length: n }, (_, i) => ({
      task_key: `t${i}`,
      spark_python_task: { python_file: file },
      ...(i > 0 ? { depends_on: [{ task_key: `t${i - 1}` }] } : {}),
    })),
  };
}

export interface PythonChainResult {
  tasks: number;
  repeats: number;
  fork_server_ms: number;
  fresh_interpreter_ms: number;
  speedup: number;
}

/**
 * Wall time (median of `repeats`) of a run of `n` chained no-op Python tasks on a real djobs worker
 * of the Temporal server at `address`, with the fork server and with fresh interpreters.
 */
export async function pythonChainWallTimes(opts: {
  address: string;
  namespace?: string;
  tasks?: number;
  repeats?: number;
}): Promise<PythonChainResult> {
  const { address, namespace = 'default', tasks = 20, repeats = 3 } = opts;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-pychain-'));
  const { file, home } = noopTask(dir);
  const spec = pythonChainSpec(tasks, file);
  const dataConverter = djobsDataConverter(undefined);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  const native = await NativeConnection.connect({ address });
  const wallTimes = async (forkServer: boolean): Promise<number[]> => {
    const taskQueue = `bench-python-${forkServer ? 'fork' : 'fresh'}-${Date.now()}`;
    const worker = await createDjobsWorker({
      connection: native,
      namespace,
      taskQueue,
      dataDir: home,
      dataConverter,
      pythonForkServer: { enabled: forkServer },
    });
    const times: number[] = [];
    await worker.runUntil(async () => {
      for (let i = 0; i <= repeats; i++) {
        const t0 = performance.now();
        await client.workflow.execute('jobRun', {
          taskQueue,
          workflowId: `${taskQueue}-${i}`,
          args: [{ runId: 3000 + i, settings: spec } satisfies JobRunInput],
        });
        if (i > 0) times.push(performance.now() - t0); // run 0 warms up (fork server, caches)
      }
    });
    return times;
  };
  try {
    const forked = await wallTimes(true);
    const fresh = await wallTimes(false);
    const f = quantile(forked, 0.5);
    const s = quantile(fresh, 0.5);
    return {
      tasks,
      repeats,
      fork_server_ms: Math.round(f),
      fresh_interpreter_ms: Math.round(s),
      speedup: +(s / f).toFixed(2),
    };
  } finally {
    await native.close();
    await connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
