// Throughput: RUNS runs of a 10-task job (root, 8 parallel tasks, sink; no-op tasks) started at
// once on one worker host, ours and then the hand-written workflow doing the same activities.
// Sustained tasks/s counts task ends between the 10th and 90th percentile of the phase (start-up
// and tail excluded); drain is from the first start to the last run's end.
import type { JobRunInput } from '../../workflows/definitions';
import { benchWorkflowId, round, sampleRss, type BenchEnv } from '../env';
import { mapPool } from '../pool';
import type { Section } from '../section';
import { fanSpec } from '../specs';

const RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 1000);
const TASKS_PER_RUN = 10;
/** Starts in flight at once (the client's connection, not the engine, would be measured beyond this). */
const START_CONCURRENCY = 50;

interface Phase {
  engine: string;
  runs: number;
  tasks: number;
  submit_s: number;
  drain_s: number;
  tasks_per_s_sustained: number;
  worker_rss_mib?: number;
  server_rss_mib?: number;
}

async function phase(
  env: BenchEnv,
  engine: string,
  jobName: string,
  type: string,
  args: (i: number) => unknown[]
): Promise<Phase> {
  const firstTask = env.noopTaskEnds.length;
  const stopRss = sampleRss({ worker: process.pid, server: env.serverPid });
  const t0 = performance.now();
  const handles = await mapPool(
    Array.from({ length: RUNS }, (_, i) => i),
    START_CONCURRENCY,
    (i) =>
      env.client.workflow.start(type, {
        taskQueue: env.noopQueue,
        workflowId: benchWorkflowId(`tp-${engine}`),
        args: args(i),
      })
  );
  const submitted = performance.now();
  await mapPool(handles, 100, (h) => h.result());
  const drained = performance.now();
  const rss = stopRss();
  // Only this phase's tasks: runs left by an earlier section (run-now of the api section) may still be going.
  const ends = env.noopTaskEnds
    .slice(firstTask)
    .filter((t) => t.jobName === jobName)
    .map((t) => t.at)
    .sort((a, b) => a - b);
  const lo = ends[Math.floor(ends.length * 0.1)]!;
  const hi = ends[Math.floor(ends.length * 0.9)]!;
  const sustained = hi > lo ? (ends.length * 0.8) / ((hi - lo) / 1000) : NaN;
  return {
    engine,
    runs: RUNS,
    tasks: ends.length,
    submit_s: round((submitted - t0) / 1000, 1),
    drain_s: round((drained - t0) / 1000, 1),
    tasks_per_s_sustained: round(sustained),
    ...(rss.worker !== undefined ? { worker_rss_mib: rss.worker } : {}),
    ...(rss.server !== undefined ? { server_rss_mib: rss.server } : {}),
  };
}

export const throughput: Section = {
  name: 'throughput',
  summary: `${RUNS} runs of a 10-task job started at once: tasks/s, drain time, worker and server RSS, ours vs hand-written`,
  quick: false,
  async run(env) {
    const settings = fanSpec(TASKS_PER_RUN - 2);
    const ours = await phase(env, 'durable-jobs', settings.name!, 'jobRun', (i) => [
      { runId: 500_000 + i, settings } satisfies JobRunInput,
    ]);
    const hand = await phase(env, 'hand-written', 'hand-written', 'handFanOutFanIn', () => [TASKS_PER_RUN - 2]);
    const ratio = round(ours.tasks_per_s_sustained / hand.tasks_per_s_sustained, 2);
    return [
      {
        title: `Throughput: ${RUNS} runs × ${TASKS_PER_RUN} no-op tasks started at once on one worker (baseline: hand-written workflows, same server, same run)`,
        rows: [
          {
            ...ours,
            vs_hand: `${ratio}× the hand-written tasks/s`,
            target: 'tasks/s ≥ 0.8× hand-written',
            met: ratio >= 0.8 ? 'yes' : 'NO',
          },
          { ...hand, vs_hand: '', target: '', met: '' },
        ],
        notes: [
          'worker RSS is this bench process (worker, client and driver); server RSS is the dev server the bench started (absent with TEMPORAL_ADDRESS).',
        ],
      },
    ];
  },
};
