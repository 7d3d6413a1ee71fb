// A 1000-task job (Databricks' maximum) with a random DAG shape completes correctly, and no
// execution's history comes near Temporal's limits: the run continues as new when Temporal
// suggests it (4,096 events by default), so each history stays far below the 51,200-event limit.
import { describe, expect, it } from 'vitest';
import { runWorkflowId, type JobSettings, type Task } from '../../core';
import { forEachWithOneRetry } from '../helpers/for-each-retry';
import { latestByKey, useEngine, waitFor } from '../integration/harness';

/** A fixed-seed random DAG: each task depends on up to three earlier tasks. */
function randomDag(n: number, seed: number): JobSettings {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<number>();
    const k = i === 0 ? 0 : Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) deps.add(Math.floor(rand() * i));
    tasks.push({
      task_key: `t${i}`,
      shell_command_task: { command: ['true'] },
      ...(deps.size > 0 ? { depends_on: [...deps].map((d) => ({ task_key: `t${d}` })) } : {}),
    });
  }
  return { name: `random-${n}`, tasks };
}

describe('scale of one run', () => {
  const engine = useEngine('scale');

  it('a 1000-task random DAG succeeds; every history stays far from the limits', async () => {
    const settings = randomDag(1000, 7);
    const { run_id } = await engine.client.submitRun(settings);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 300_000, pollIntervalMs: 2000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const latest = latestByKey(run);
    expect(Object.keys(latest)).toHaveLength(1000);
    expect(Object.values(latest).every((t) => t.state.result_state === 'SUCCESS')).toBe(true);
    // Dependencies were respected across continue-as-new.
    for (const t of settings.tasks) {
      for (const d of t.depends_on ?? [])
        expect(latest[t.task_key]!.start_time).toBeGreaterThanOrEqual(latest[d.task_key]!.end_time);
    }
    const executions = await waitFor(async () => {
      const list = [];
      for await (const wf of engine.temporal.workflow.list({ query: `WorkflowId = '${runWorkflowId(run_id)}'` }))
        list.push(wf);
      return list.length >= 2 && list.every((e) => e.status.name !== 'RUNNING') ? list : undefined;
    }, 'the executions of the run to be listed');
    const lengths = executions.map((e) => e.historyLength);
    console.log(
      `1000-task run: ${executions.length} executions, history lengths ${lengths.join(', ')} (largest ${Math.max(...lengths)} events)`
    );
    expect(executions.some((e) => e.status.name === 'CONTINUED_AS_NEW')).toBe(true);
    expect(Math.max(...lengths)).toBeLessThan(10_240); // Temporal's warning level; the hard limit is 51,200
  });

  it('a for_each task of 1,000 inputs at concurrency 50; a failing iteration is retried; the task succeeds', async () => {
    await forEachWithOneRetry(engine, 1000, 50);
  });

  it('a 1000-wide job and a 1000-deep chain both succeed', async () => {
    const wide = {
      name: 'wide-1000',
      tasks: Array.from({ length: 1000 }, (_, i) => ({ task_key: `w${i}`, shell_command_task: { command: ['true'] } })),
    } as JobSettings;
    // A chain of condition tasks: evaluated in the workflow, so depth is the scheduler's work alone.
    const deep = {
      name: 'deep-1000',
      tasks: Array.from({ length: 1000 }, (_, i) => ({
        task_key: `d${i}`,
        condition_task: { op: 'EQUAL_TO', left: '{{task.name}}', right: `d${i}` },
        ...(i > 0 ? { depends_on: [{ task_key: `d${i - 1}`, outcome: 'true' }] } : {}),
      })),
    } as JobSettings;
    for (const settings of [wide, deep]) {
      const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
        timeoutMs: 300_000,
        pollIntervalMs: 2000,
      });
      expect(run.state.result_state, settings.name).toBe('SUCCESS');
      const latest = latestByKey(run);
      expect(Object.values(latest).filter((t) => t.state.result_state === 'SUCCESS')).toHaveLength(1000);
    }
  });
});
