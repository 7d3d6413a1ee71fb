// The run_if matrix on a real server with real processes: one job whose tasks depend on a
// succeeding, a failing and an excluded upstream in every combination.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DurableJobsClient } from '../../client';
import { RunIf, type Run, type Task } from '../../core';
import { occupancy } from '../helpers/occupancy';
import { job, latestByKey, sh, useEngine } from './harness';

type Expected = 'SUCCESS' | 'EXCLUDED' | 'UPSTREAM_FAILED';
const upstreamSets: [string, string[], Record<RunIf, Expected>][] = [
  [
    'ok',
    ['ok'],
    {
      ALL_SUCCESS: 'SUCCESS',
      AT_LEAST_ONE_SUCCESS: 'SUCCESS',
      NONE_FAILED: 'SUCCESS',
      ALL_DONE: 'SUCCESS',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    'bad',
    ['bad'],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_FAILED',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'SUCCESS',
      AT_LEAST_ONE_FAILED: 'SUCCESS',
      ALL_FAILED: 'SUCCESS',
    },
  ],
  [
    'okbad',
    ['ok', 'bad'],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'SUCCESS',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'SUCCESS',
      AT_LEAST_ONE_FAILED: 'SUCCESS',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    'ex',
    ['ex'],
    {
      ALL_SUCCESS: 'EXCLUDED',
      AT_LEAST_ONE_SUCCESS: 'EXCLUDED',
      NONE_FAILED: 'EXCLUDED',
      ALL_DONE: 'EXCLUDED',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    'exbad',
    ['ex', 'bad'],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'SUCCESS',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'SUCCESS',
      AT_LEAST_ONE_FAILED: 'SUCCESS',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
];

describe('run_if on a real run', () => {
  const engine = useEngine('run-if matrix');
  let run: Run;
  beforeAll(async () => {
    const tasks: Task[] = [
      sh('ok', 'true'),
      sh('bad', 'echo failing on purpose >&2; exit 3'),
      // Excluded: its only upstream succeeded, so "at least one failed" is not met.
      sh('ex', 'true', { depends_on: [{ task_key: 'ok' }], run_if: 'AT_LEAST_ONE_FAILED' }),
    ];
    for (const [name, deps] of upstreamSets) {
      for (const runIf of Object.values(RunIf)) {
        tasks.push(
          sh(`${runIf.toLowerCase()}__${name}`, 'true', {
            depends_on: deps.map((task_key) => ({ task_key })),
            run_if: runIf,
          })
        );
      }
    }
    const { run_id } = await engine.client.submitRun(job('run-if matrix', tasks));
    run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
  });

  for (const [name, , expected] of upstreamSets) {
    for (const runIf of Object.values(RunIf)) {
      it(`${runIf} after [${name}] → ${expected[runIf]}`, () => {
        const t = latestByKey(run)[`${runIf.toLowerCase()}__${name}`]!;
        expect(t.state.result_state).toBe(expected[runIf]);
        expect(t.state.life_cycle_state).toBe(expected[runIf] === 'SUCCESS' ? 'TERMINATED' : 'SKIPPED');
      });
    }
  }

  it('the run failed because leaves were skipped for an upstream failure, naming the failed task', () => {
    expect(run.state.result_state).toBe('FAILED');
    expect(run.state.life_cycle_state).toBe('INTERNAL_ERROR');
    expect(run.status.state).toBe('TERMINATED');
    expect(run.state.state_message).toMatch(/^Task bad failed with message: /);
    expect(latestByKey(run).bad!.state.result_state).toBe('FAILED');
  });
});

describe('job result from leaf tasks', () => {
  const engine = useEngine('run result');

  it('a failure absorbed by an ALL_DONE cleanup leaf gives SUCCESS_WITH_FAILURES', async () => {
    const { run_id } = await engine.client.submitRun(
      job('absorbed', [
        sh('work', 'exit 1'),
        sh('cleanup', 'true', { depends_on: [{ task_key: 'work' }], run_if: 'ALL_DONE' }),
      ])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS_WITH_FAILURES' });
    expect(run.status.termination_details?.code).toBe('SUCCESS_WITH_FAILURES');
  });

  it('independent tasks run in parallel', async () => {
    // Each task holds its place until all four run at once: they finish only if they overlap.
    const seen = occupancy(path.join(engine.workDir, 'parallel'), { fill: 4, total: 4 });
    const tasks = ['p1', 'p2', 'p3', 'p4'].map((k) => sh(k, seen.command));
    const { run_id } = await engine.client.submitRun(job('parallel', tasks));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 120_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    expect(Math.max(...seen.counts())).toBe(4);
  });

  it('the parallel-task cap bounds how many tasks run at once', async () => {
    const capped = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      runOptions: { maxParallelTasks: 2 },
    });
    try {
      const seen = occupancy(path.join(engine.workDir, 'capped'), { fill: 2, total: 5 });
      const tasks = ['c1', 'c2', 'c3', 'c4', 'c5'].map((k) => sh(k, seen.command));
      const run = await capped.waitForRun((await capped.submitRun(job('capped', tasks))).run_id, {
        timeoutMs: 120_000,
      });
      expect(run.state.result_state).toBe('SUCCESS');
      // Never more than two at once, and two did run together.
      expect(seen.started()).toBe(5);
      expect(Math.max(...seen.counts())).toBe(2);
    } finally {
      await capped.close();
    }
  });
});
