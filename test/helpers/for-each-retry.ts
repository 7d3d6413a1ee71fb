// A for_each task over `n` inputs whose middle iteration fails once and is retried: shared by the
// integration test (a hundred inputs) and the scale fault test (a thousand, Databricks' maximum).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { job, latestByKey, sh, type Engine } from '../integration/harness';

export async function forEachWithOneRetry(engine: Engine, n: number, concurrency: number): Promise<void> {
  const dir = path.join(engine.workDir, `iter-${n}`);
  fs.mkdirSync(dir);
  const failing = n / 2;
  const inputs = JSON.stringify(Array.from({ length: n }, (_, i) => i));
  const nested = sh(
    'process',
    `touch ${dir}/{{input}}.$DJOBS_ATTEMPT_NUMBER; [ {{input}} != ${failing} ] || [ -f ${dir}/${failing}.0 -a $DJOBS_ATTEMPT_NUMBER = 1 ]`,
    { max_retries: 1 }
  );
  const { run_id } = await engine.client.submitRun(
    job('fan out', [
      { task_key: 'each', for_each_task: { inputs, concurrency, task: nested } },
      sh('after', 'true', { depends_on: [{ task_key: 'each' }] }),
    ])
  );
  const run = await engine.client.waitForRun(run_id, { timeoutMs: 300_000, pollIntervalMs: 2000 });
  expect(run.state.result_state, run.state.state_message).toBe('SUCCESS');
  const each = latestByKey(run).each!;
  expect(each.for_each_task!.stats!.task_run_stats).toEqual({
    total_iterations: n,
    scheduled_iterations: 0,
    active_iterations: 0,
    completed_iterations: n,
    succeeded_iterations: n,
    failed_iterations: 0,
  });
  const files = fs.readdirSync(dir);
  expect(files).toHaveLength(n + 1); // every input once, plus the retry of the failing one
  expect(files).toContain(`${failing}.1`);
}
