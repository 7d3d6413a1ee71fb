// A global cap on tasks running at once in a worker pool holds across runs and for_each
// iterations: the pool's slot gate admits at most that many attempts, whatever each run's own
// parallelism.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { occupancy } from '../helpers/occupancy';
import { job, sh, useEngine } from './harness';

describe('worker pool task caps', () => {
  const engine = useEngine('pool caps', { poolMaxTasks: { default: 2 } });

  it('at most 2 tasks of the default pool run at once across two runs and a for_each', async () => {
    // Nine processes (five tasks, four iterations) hold their place until two run at once.
    const seen = occupancy(path.join(engine.workDir, 'pool'), { fill: 2, total: 9 });
    const wide = await engine.client.submitRun(
      job(
        'wide',
        Array.from({ length: 5 }, (_, i) => sh(`t${i}`, seen.command))
      )
    );
    const loop = await engine.client.submitRun(
      job('loop', [
        {
          task_key: 'each',
          for_each_task: { inputs: '[1,2,3,4]', concurrency: 4, task: sh('body', seen.command) },
        },
      ])
    );
    const runs = await Promise.all([wide, loop].map((r) => engine.client.waitForRun(r.run_id, { timeoutMs: 120_000 })));
    expect(runs.map((r) => r.state.result_state)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(seen.started()).toBe(9);
    expect(Math.max(...seen.counts())).toBe(2);
    // A waiting task says why.
    expect(runs[0]!.tasks.every((t) => t.state.state_message === '')).toBe(true);
  });
});
