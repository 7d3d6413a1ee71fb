// Orchestration overhead: our interpreter versus a hand-written Temporal workflow running the same
// no-op activity on the same server, in the same process, in the same run. Target: ratio ≤ 1.25.
import type { JobRunInput } from '../../workflows/definitions';
import { median, round } from '../env';
import type { Section } from '../section';
import { chainSpec, dagSpec, fanSpec, forEachSpec, randomDeps } from '../specs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const TARGET_RATIO = 1.25;

export const overhead: Section = {
  name: 'overhead',
  summary: 'ours vs hand-written Temporal workflows: chain 100, fan-out 200, for_each 1000, random DAG 1000',
  quick: true,
  async run(env) {
    const deps = randomDeps(1000, 7);
    const scenarios = [
      { name: 'chain of 100', tasks: 100, ours: chainSpec(100), hand: ['handChain', [100]] as const },
      { name: 'fan-out/fan-in 200 wide', tasks: 202, ours: fanSpec(200), hand: ['handFanOutFanIn', [200]] as const },
      {
        name: 'for_each 1000 inputs, concurrency 100',
        tasks: 1000,
        ours: forEachSpec(1000, 100),
        hand: ['handForEach', [1000, 100]] as const,
      },
      { name: 'random DAG of 1000 tasks', tasks: 1000, ours: dagSpec(deps), hand: ['handDag', [deps]] as const },
    ];
    // Warm up both paths once (bundle load, caches) before measuring.
    await env.execute('jobRun', [{ runId: 1, settings: chainSpec(3) } satisfies JobRunInput]);
    await env.execute('handChain', [3]);
    const rows = [];
    for (const s of scenarios) {
      const ours: number[] = [];
      const hand: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const input: JobRunInput = { runId: 1000 + i, settings: s.ours, options: { maxParallelTasks: 1000 } };
        ours.push((await env.execute('jobRun', [input])).ms);
        hand.push((await env.execute(s.hand[0], [...s.hand[1]])).ms);
      }
      const o = median(ours);
      const h = median(hand);
      rows.push({
        scenario: s.name,
        tasks: s.tasks,
        ours_ms: round(o),
        hand_ms: round(h),
        ours_per_task_ms: round(o / s.tasks, 2),
        hand_per_task_ms: round(h / s.tasks, 2),
        ratio: round(o / h, 3),
        target: `ratio ≤ ${TARGET_RATIO}`,
        met: o / h <= TARGET_RATIO ? 'yes' : 'NO',
      });
    }
    return [
      {
        title: `Orchestration overhead, no-op tasks (median of ${REPEATS}; baseline: hand-written Temporal workflow, same server, same run)`,
        rows,
        notes: [
          'Both run on the same no-op worker (one set of worker options, e.g. a 60 s activation timeout), alternating.',
        ],
      },
    ];
  },
};
