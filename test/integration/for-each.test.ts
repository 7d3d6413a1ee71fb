// for_each_task: iterations in a child workflow, {{input}} substitution, concurrency, per-iteration
// retries, and the aggregated result.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJobSpecFile } from '../../client';
import { forEachWithOneRetry } from '../helpers/for-each-retry';
import { job, latestByKey, sh, useEngine } from './harness';

describe('for_each_task', () => {
  const engine = useEngine('for each');

  // The same at a thousand inputs, Databricks' maximum, runs with the scale tests (test/faults/scale.test.ts).
  it('100 inputs at concurrency 20; a failing iteration is retried; the task succeeds', async () => {
    await forEachWithOneRetry(engine, 100, 20);
  });

  it('a relative notebook path in the nested task resolves next to the spec file', async () => {
    const dir = path.join(engine.workDir, 'relative');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'echo.py'), 'print("iteration", dbutils.widgets.get("n"))\n');
    const spec = path.join(dir, 'job.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        tasks: [
          {
            task_key: 'loop',
            for_each_task: {
              inputs: '[1,2]',
              task: { task_key: 'it', notebook_task: { notebook_path: './echo', base_parameters: { n: '{{input}}' } } },
            },
          },
        ],
      })
    );
    const { settings } = await loadJobSpecFile(spec);
    const { run_id } = await engine.client.submitRun(settings);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state, run.state.state_message).toBe('SUCCESS');
    expect(latestByKey(run).loop!.for_each_task!.stats!.task_run_stats.succeeded_iterations).toBe(2);
  });

  it('substitutes {{input}} fields and fails after every iteration finished when one fails', async () => {
    const out = path.join(engine.workDir, 'out.txt');
    const inputs = JSON.stringify([
      { name: 'a', n: 1 },
      { name: 'b', n: 2 },
      { name: 'c', n: 3 },
    ]);
    const nested = sh('emit', `printf '%s\\n' '{{input.name}}={{input.n}} {{input}}' >> ${out}; [ {{input.n}} != 2 ]`);
    const { run_id } = await engine.client.submitRun(
      job('one fails', [{ task_key: 'each', for_each_task: { inputs, concurrency: 1, task: nested } }])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const each = latestByKey(run).each!;
    expect(each.state.result_state).toBe('FAILED');
    expect(each.state.state_message).toBe('1 of 3 iterations failed; iteration 1: Command exited with code 1');
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'a=1 {"name":"a","n":1}',
      'b=2 {"name":"b","n":2}',
      'c=3 {"name":"c","n":3}',
    ]);
  });

  it('inputs may come from a task value', async () => {
    const { run_id } = await engine.client.submitRun(
      job('from values', [
        sh('list', `echo '{"key":"items","value":["x","y"]}' >> "$DJOBS_TASK_VALUES_OUT"`),
        {
          task_key: 'each',
          depends_on: [{ task_key: 'list' }],
          for_each_task: {
            inputs: '{{tasks.list.values.items}}',
            concurrency: 2,
            task: sh('p', 'test -n "{{input}}"'),
          },
        },
      ])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    expect(latestByKey(run).each!.for_each_task!.stats!.task_run_stats.succeeded_iterations).toBe(2);
  });
});
