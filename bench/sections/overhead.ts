// Orchestration overhead: our interpreter versus a hand-written Temporal workflow running the same
// no-op activity on the same server, in the same process, in the same run. Target: ratio ≤ 1.25.
// Each repetition is a pair (ours, hand-written) in alternating order (A/B, B/A, …), and the ratio
// is the median of the pairs' ratios: a pair shares the machine's load of its moment, so a burst
// of load elsewhere moves both sides of one pair rather than one engine's median.
import type { JobRunInput } from '../../workflows/definitions';
import { median, round } from '../env';
import type { Section } from '../section';
import { chainSpec, dagSpec, fanSpec, forEachSpec, randomDeps } from '../specs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** The fan-out runs in well under a second: more pairs, so that one slow run does not decide its ratio. */
const FAN_REPEATS = Number(process.env.BENCH_FAN_REPEATS ?? 15);
const TARGET_RATIO = 1.25;

export const overhead: Section = {
  name: 'overhead',
  summary: 'ours vs hand-written Temporal workflows: chain 100, fan-out 200, for_each 1000, random DAG 1000',
  quick: true,
  async run(env) {
    const deps = randomDeps(1000, 7);
    const scenarios = [
      { name: 'chain of 100', tasks: 100, repeats: REPEATS, ours: chainSpec(100), hand: ['handChain', [100]] as const },
      {
        name: 'fan-out/fan-in 200 wide',
        tasks: 202,
        repeats: FAN_REPEATS,
        ours: fanSpec(200),
        hand: ['handFanOutFanIn', [200]] as const,
      },
      {
        name: 'for_each 1000 inputs, concurrency 100',
        tasks: 1000,
        repeats: REPEATS,
        ours: forEachSpec(1000, 100),
        hand: ['handForEach', [1000, 100]] as const,
      },
      {
        name: 'random DAG of 1000 tasks',
        tasks: 1000,
        repeats: REPEATS,
        ours: dagSpec(deps),
        hand: ['handDag', [deps]] as const,
      },
    ];
    // Warm up both paths once (bundle load, caches) before measuring.
    await env.execute('jobRun', [{ runId: 1, settings: chainSpec(3) } satisfies JobRunInput]);
    await env.execute('handChain', [3]);
    const rows = [];
    for (const s of scenarios) {
      const ours: number[] = [];
      const hand: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < s.repeats; i++) {
        const input: JobRunInput = { runId: 1000 + i, settings: s.ours, options: { maxParallelTasks: 1000 } };
        const runOurs = async () => (ours[i] = (await env.execute('jobRun', [input])).ms);
        const runHand = async () => (hand[i] = (await env.execute(s.hand[0], [...s.hand[1]])).ms);
        if (i % 2 === 0) {
          await runOurs();
          await runHand();
        } else {
          await runHand();
          await runOurs();
        }
        ratios.push(ours[i]! / hand[i]!);
      }
      const o = median(ours);
      const h = median(hand);
      const ratio = median(ratios);
      const sorted = [...ratios].sort((a, b) => a - b);
      rows.push({
        scenario: s.name,
        tasks: s.tasks,
        pairs: s.repeats,
        ours_ms: round(o),
        hand_ms: round(h),
        ours_per_task_ms: round(o / s.tasks, 2),
        hand_per_task_ms: round(h / s.tasks, 2),
        ratio: round(ratio, 3),
        ratio_range: `${round(sorted[0]!, 2)}–${round(sorted[sorted.length - 1]!, 2)}`,
        target: `ratio ≤ ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO ? 'yes' : 'NO',
      });
    }
    return [
      {
        title: `Orchestration overhead, no-op tasks (pairs in alternating order, median ms of each side and median of the pairs' ratios; baseline: hand-written Temporal workflow, same server, same run)`,
        rows,
        notes: [
          'Both run on the same no-op worker (one set of worker options, e.g. a 60 s activation timeout). ratio_range: the lowest and highest pair ratio, how noisy the figure is.',
        ],
      },
    ];
  },
};
