// Python tasks (bench/python-tasks.ts): a no-op task's start with the worker's fork server and with
// a fresh interpreter, and a 20-task Python chain both ways, side by side in the same run.
import type { Section } from '../section';
import { PYTHON_NOOP_TARGET_MS, pythonChainWallTimes, pythonTaskStartup } from '../python-tasks';

export const python: Section = {
  name: 'python',
  summary: 'no-op Python task start (fork server vs fresh interpreter), its breakdown, and a 20-task Python chain',
  quick: true,
  async run(env) {
    const startup = await pythonTaskStartup();
    const chain = await pythonChainWallTimes({ address: env.address });
    return [
      {
        title: `No-op Python task, attempt start to exit (target ≤ ${PYTHON_NOOP_TARGET_MS} ms with the fork server)`,
        rows: startup.rows.map((r) => ({
          ...r,
          met: r.how === 'fork server' ? (r.p50_ms <= PYTHON_NOOP_TARGET_MS ? 'yes' : 'NO') : '',
        })),
      },
      {
        title: 'Where a forked no-op attempt’s time goes (traced attempts apart from those above)',
        rows: startup.breakdown,
        notes: [
          'Moments on the monotonic clock: worker = the activity’s Node.js side, fork server = the warm parent,',
          'supervisor = the attempt’s forked supervisor, task = its main process running the user’s file.',
        ],
      },
      {
        title: `Chain of ${chain.tasks} no-op Python tasks, wall time (median of ${chain.repeats})`,
        rows: [chain],
        notes: ['fresh_interpreter_ms is the same chain with DJOBS_PYTHON_FORK_SERVER=off: the baseline.'],
      },
    ];
  },
};
