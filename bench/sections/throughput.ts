// Throughput: RUNS runs of a 10-task job (root, 8 parallel tasks, sink; no-op tasks) started at
// once on one worker host, ours and the hand-written workflow doing the same activities, in
// ROUNDS rounds of alternating order (ours/hand, hand/ours, …: A/B/B/A with two), so that what
// runs first (JIT warm-up, the runs earlier sections left going) or later (the server's store
// growing) weighs on both alike. Sustained tasks/s counts task ends between the 10th and 90th
// percentile of a phase (start-up and tail excluded); drain is from the first start to the last
// run's end. The ratio is the median of the rounds' ratios. Then what one run costs, per engine:
// history events, workflow tasks, payload bytes (bench/run-cost.ts), CPU of the worker and server.
import os from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import type { JobRunInput } from '../../workflows/definitions';
import { benchWorkflowId, round, sampleRss, type BenchEnv } from '../env';
import { mapPool } from '../pool';
import { meanCost, runCost, type RunCost } from '../run-cost';
import type { Section } from '../section';
import { fanSpec } from '../specs';

const RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 1000);
const ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 2);
const TASKS_PER_RUN = 10;
/** Starts in flight at once (the client's connection, not the engine, would be measured beyond this). */
const START_CONCURRENCY = 50;
/** Runs of each engine whose histories are read for the per-run cost. */
const COST_SAMPLE = 20;
const TARGET_RATIO = 0.8;

interface Engine {
  name: string;
  jobName: string;
  type: string;
  args(i: number): unknown[];
}

interface Phase {
  round: number;
  engine: string;
  runs: number;
  tasks: number;
  submit_s: number;
  drain_s: number;
  tasks_per_s_sustained: number;
  /** CPU ms per run: the bench process (worker, client, driver) and the dev server. */
  worker_cpu_ms_per_run: number;
  server_cpu_ms_per_run?: number;
  worker_rss_mib?: number;
  server_rss_mib?: number;
  load_avg_1m: number;
}

async function phase(
  env: BenchEnv,
  roundNo: number,
  engine: Engine
): Promise<{ phase: Phase; handles: WorkflowHandle[] }> {
  const load = os.loadavg()[0]!;
  const firstTask = env.noopTaskEnds.length;
  const stopRss = sampleRss({ worker: process.pid, server: env.serverPid });
  const cpu0 = process.cpuUsage();
  const server0 = env.serverCpuSeconds().temporal;
  const t0 = performance.now();
  const handles = await mapPool(
    Array.from({ length: RUNS }, (_, i) => i),
    START_CONCURRENCY,
    (i) =>
      env.client.workflow.start(engine.type, {
        taskQueue: env.noopQueue,
        workflowId: benchWorkflowId(`tp-${engine.name}`),
        args: engine.args(i),
      })
  );
  const submitted = performance.now();
  await mapPool(handles, 100, (h) => h.result());
  const drained = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const server1 = env.serverCpuSeconds().temporal;
  const rss = stopRss();
  // Only this phase's tasks: runs left by an earlier section (run-now of the api section) may still be going.
  const ends = env.noopTaskEnds
    .slice(firstTask)
    .filter((t) => t.jobName === engine.jobName)
    .map((t) => t.at)
    .sort((a, b) => a - b);
  const lo = ends[Math.floor(ends.length * 0.1)]!;
  const hi = ends[Math.floor(ends.length * 0.9)]!;
  const sustained = hi > lo ? (ends.length * 0.8) / ((hi - lo) / 1000) : NaN;
  return {
    handles,
    phase: {
      round: roundNo,
      engine: engine.name,
      runs: RUNS,
      tasks: ends.length,
      submit_s: round((submitted - t0) / 1000, 1),
      drain_s: round((drained - t0) / 1000, 1),
      tasks_per_s_sustained: round(sustained),
      worker_cpu_ms_per_run: round((cpu.user + cpu.system) / 1000 / RUNS, 2),
      ...(server0 !== undefined && server1 !== undefined
        ? { server_cpu_ms_per_run: round(((server1 - server0) * 1000) / RUNS, 2) }
        : {}),
      ...(rss.worker !== undefined ? { worker_rss_mib: rss.worker } : {}),
      ...(rss.server !== undefined ? { server_rss_mib: rss.server } : {}),
      load_avg_1m: round(load, 2),
    },
  };
}

/** The middle value (the mean of the middle two for an even count). */
function midpoint(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The mean cost of a sample of runs spread over a phase, from their histories. */
async function sampleCost(handles: WorkflowHandle[]): Promise<RunCost> {
  const step = Math.max(1, Math.floor(handles.length / COST_SAMPLE));
  const sample = handles.filter((_, i) => i % step === 0).slice(0, COST_SAMPLE);
  const costs = await mapPool(sample, 5, async (h) => runCost((await h.fetchHistory()).events ?? []));
  return meanCost(costs);
}

export const throughput: Section = {
  name: 'throughput',
  summary: `${RUNS} runs of a 10-task job started at once, ${ROUNDS} rounds alternating: tasks/s, drain time, worker and server RSS and CPU, cost per run, ours vs hand-written`,
  quick: false,
  async run(env) {
    const settings = fanSpec(TASKS_PER_RUN - 2);
    const ours: Engine = {
      name: 'durable-jobs',
      jobName: settings.name!,
      type: 'jobRun',
      args: (i) => [{ runId: 500_000 + i, settings } satisfies JobRunInput],
    };
    const hand: Engine = {
      name: 'hand-written',
      jobName: 'hand-written',
      type: 'handFanOutFanIn',
      args: () => [TASKS_PER_RUN - 2],
    };
    const phases: Phase[] = [];
    const ratios: number[] = [];
    const costs = new Map<string, RunCost>();
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [ours, hand] : [hand, ours];
      const got = new Map<string, Phase>();
      for (const engine of order) {
        const { phase: p, handles } = await phase(env, r + 1, engine);
        phases.push(p);
        got.set(engine.name, p);
        if (!costs.has(engine.name)) costs.set(engine.name, await sampleCost(handles));
      }
      ratios.push(got.get(ours.name)!.tasks_per_s_sustained / got.get(hand.name)!.tasks_per_s_sustained);
    }
    const ratio = round(midpoint(ratios), 2);
    const mean = (engine: string, key: keyof Phase) => {
      const xs = phases.filter((p) => p.engine === engine).map((p) => Number(p[key]));
      return xs.some((x) => Number.isNaN(x)) ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const costRows = [ours.name, hand.name].map((name) => ({
      engine: name,
      ...Object.fromEntries(Object.entries(costs.get(name)!).map(([k, v]) => [k, round(v, 1)])),
      worker_cpu_ms: round(mean(name, 'worker_cpu_ms_per_run'), 2),
      server_cpu_ms: round(mean(name, 'server_cpu_ms_per_run'), 2),
    }));
    return [
      {
        title: `Throughput: ${RUNS} runs × ${TASKS_PER_RUN} no-op tasks started at once on one worker, ${ROUNDS} rounds in alternating order (baseline: hand-written workflows, same server, same run)`,
        rows: [
          ...phases,
          {
            round: 'all',
            engine: 'ours / hand-written',
            tasks_per_s_sustained: `${ratio}× (median of ${ratios.map((x) => round(x, 2)).join(', ')})`,
            drain_s: `${round(mean(ours.name, 'drain_s') / mean(hand.name, 'drain_s'), 2)}× (mean)`,
            // CPU per run moves less with the machine's load than rates and times do.
            worker_cpu_ms_per_run: `${round(mean(ours.name, 'worker_cpu_ms_per_run') / mean(hand.name, 'worker_cpu_ms_per_run'), 2)}× (mean)`,
            target: `tasks/s ≥ ${TARGET_RATIO}× hand-written`,
            met: ratio >= TARGET_RATIO ? 'yes' : 'NO',
          },
        ],
        notes: [
          'worker RSS and CPU are this bench process (worker, client and driver); server RSS and CPU are the dev server the bench started (absent with TEMPORAL_ADDRESS). load_avg_1m is taken as the phase starts.',
        ],
      },
      {
        title: `What one run costs (mean of ${COST_SAMPLE} runs' histories per engine; CPU: mean over the phases, per run)`,
        rows: costRows,
        notes: [
          'workflow_tasks: completed workflow tasks; local_activities and patch_markers: marker events, told apart by the marker’s name; bytes: the history as stored, and payload data within it.',
        ],
      },
    ];
  },
};
