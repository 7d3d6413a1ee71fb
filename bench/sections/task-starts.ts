// No-op task starts per task type, sandboxed and not (bench/task-starts.ts).
import os from 'node:os';
import type { Section } from '../section';
import { SANDBOXED_TASK_START_TARGET_MS, taskStarts } from '../task-starts';

export const starts: Section = {
  name: 'starts',
  summary: 'no-op Python, shell, SQL and Node.js task starts, in the task sandbox and without it',
  quick: true,
  async run() {
    // The machine's load beside the figures: on a shared machine they say more with it.
    const load = () =>
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    const before = load();
    const rows = await taskStarts();
    return [
      {
        title: `No-op task, attempt start to exit, by type (target ≤ ${SANDBOXED_TASK_START_TARGET_MS} ms sandboxed)`,
        rows,
        notes: [
          'p50_ms and p90_ms: attempts that find their spare ready (the fork server prepares the next attempt’s',
          'supervisor, and a Node.js task host for SQL and Node.js, while one runs); back_to_back_p50_ms: attempts',
          'started as soon as the previous one ended, which may wait for their spare. sandbox off: --no-sandbox.',
          'vs_unsandboxed: the sandboxed p50_ms and back_to_back_p50_ms over the unsandboxed ones of this run.',
          `Load average (1, 5, 15 min) ${before} before, ${load()} after (${os.cpus().length} CPUs).`,
        ],
      },
    ];
  },
};
