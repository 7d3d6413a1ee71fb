// A global cap on tasks running at once in a worker pool holds across runs and for_each
// iterations: the pool's slot gate admits at most that many attempts, whatever each run's own
// parallelism.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, sh, startEngine, type Engine } from './harness';

describe('worker pool task caps', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine('pool caps', { poolMaxTasks: { default: 2 } });
  });
  afterAll(() => engine?.stop());

  it('at most 2 tasks of the default pool run at once across two runs and a for_each', async () => {
    const log = path.join(engine.workDir, 'intervals');
    const work = `echo "start $(date +%s%N)" >> ${log}; sleep 0.4; echo "end $(date +%s%N)" >> ${log}`;
    const wide = await engine.client.submitRun(
      job(
        'wide',
        Array.from({ length: 5 }, (_, i) => sh(`t${i}`, work))
      )
    );
    const loop = await engine.client.submitRun(
      job('loop', [
        {
          task_key: 'each',
          for_each_task: { inputs: '[1,2,3,4]', concurrency: 4, task: sh('body', work) },
        },
      ])
    );
    const runs = await Promise.all([wide, loop].map((r) => engine.client.waitForRun(r.run_id, { timeoutMs: 120_000 })));
    expect(runs.map((r) => r.state.result_state)).toEqual(['SUCCESS', 'SUCCESS']);
    const events = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [kind, ns] = l.split(' ');
        return { at: BigInt(ns!), d: kind === 'start' ? 1 : -1 };
      })
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.d - b.d));
    expect(events.filter((e) => e.d === 1)).toHaveLength(9);
    let now = 0;
    let max = 0;
    for (const e of events) max = Math.max(max, (now += e.d));
    expect(max).toBe(2);
    // A waiting task says why.
    expect(runs[0]!.tasks.every((t) => t.state.state_message === '')).toBe(true);
  });
});
