// Growth curves: run wall time for chains and fan-outs of 10, 100 and 1,000 no-op tasks and
// for_each over 100, 1,000 and 10,000 inputs, ours and hand-written, with the cost per item and
// how it changed from the previous size: a per-item cost that grows with size is a regression in
// growth, not only in constants.
import type { JobRunInput } from '../../workflows/definitions';
import { round } from '../env';
import type { Section } from '../section';
import { chainSpec, fanSpec, forEachSpec } from '../specs';

const FOR_EACH_CONCURRENCY = 100;
/** Per-item cost may grow at most this much per 10× more items (e.g. history and state size). */
const GROWTH_LIMIT = 1.5;

const SHAPES = [
  { shape: 'chain', sizes: [10, 100, 1000], ours: chainSpec, hand: (n: number) => ['handChain', [n]] as const },
  {
    shape: 'fan-out',
    sizes: [10, 100, 1000],
    ours: (n: number) => fanSpec(n - 2),
    hand: (n: number) => ['handFanOutFanIn', [n - 2]] as const,
  },
  {
    shape: `for_each (concurrency ${FOR_EACH_CONCURRENCY})`,
    sizes: [100, 1000, 10000],
    ours: (n: number) => forEachSpec(n, FOR_EACH_CONCURRENCY),
    hand: (n: number) => ['handForEach', [n, FOR_EACH_CONCURRENCY]] as const,
  },
];

export const curve: Section = {
  name: 'curve',
  summary: 'growth: chains and fan-outs of 10/100/1000 tasks, for_each of 100/1000/10000 inputs, per-item cost',
  quick: false,
  async run(env) {
    // Warm up both paths once (bundle load, caches) so that the first size is not penalised.
    await env.execute('jobRun', [{ runId: 6999, settings: chainSpec(3) } satisfies JobRunInput]);
    await env.execute('handChain', [3]);
    const rows: Record<string, unknown>[] = [];
    for (const s of SHAPES) {
      let previous: number | undefined;
      for (const n of s.sizes) {
        const input: JobRunInput = { runId: 7000 + n, settings: s.ours(n), options: { maxParallelTasks: 1000 } };
        const ours = (await env.execute('jobRun', [input])).ms;
        const [type, args] = s.hand(n);
        const hand = (await env.execute(type, [...args])).ms;
        const perItem = ours / n;
        const growth = previous === undefined ? undefined : perItem / previous;
        rows.push({
          shape: s.shape,
          items: n,
          ours_ms: round(ours),
          ours_per_item_ms: round(perItem, 2),
          growth_per_10x: growth === undefined ? '' : `${round(growth, 2)}×`,
          hand_ms: round(hand),
          hand_per_item_ms: round(hand / n, 2),
          ratio: round(ours / hand, 2),
          target: growth === undefined ? '' : `growth ≤ ${GROWTH_LIMIT}×`,
          met: growth === undefined ? '' : growth <= GROWTH_LIMIT ? 'yes' : 'NO',
        });
        // Progress: the whole section takes minutes, and a row measured is worth seeing at once.
        console.log(`  curve: ${s.shape} × ${n}: ours ${round(ours)} ms, hand-written ${round(hand)} ms`);
        previous = perItem;
      }
    }
    return [
      {
        title: 'Growth: one run of each size, no-op tasks (baseline: hand-written workflow, same server, same run)',
        rows,
        notes: [
          'growth_per_10x: per-item cost divided by the previous size’s; about 1× (or below: fixed costs spread) means linear growth.',
          'A chain is sequential (per item = the edge cost); a fan-out and for_each run up to 1000 and 100 at once.',
        ],
      },
    ];
  },
};
