// How the interpreter launches tasks (workflows/task-runs.ts: the tasks of one activation in one
// scope, an activity attempt read with one `then`): a wide launch records every task, the SDK's
// stack-trace query still shows the task runners, and cancel reaches every task through the one
// scope. And the worker's activation timeout, whose firing Node turns into a fatal crash.
import { describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../core';
import { job, latestByKey, sh, useEngine, waitFor } from './harness';

const WIDTH = 30;

describe('task launch', () => {
  const engine = useEngine('task launch');

  it('gives one workflow activation 60 s before the deadlock detector stops it (not the SDK default of 5 s)', () => {
    expect(engine.worker!.options.isolateExecutionTimeoutMs).toBe(60_000);
  });

  it('launches a wide fan-out at once, shows its runners in the stack trace, and cancels them all', async () => {
    const mids = Array.from({ length: WIDTH }, (_, i) =>
      sh(`w${i}`, 'sleep 120', { depends_on: [{ task_key: 'root' }] })
    );
    const { run_id } = await engine.client.submitRun(
      job('wide launch', [
        sh('root', 'true'),
        ...mids,
        sh('sink', 'true', { depends_on: mids.map((m) => ({ task_key: m.task_key })) }),
      ])
    );
    await waitFor(async () => {
      const tasks = latestByKey(await engine.client.getRun(run_id));
      return mids.every((m) => tasks[m.task_key]!.state.life_cycle_state === 'RUNNING');
    }, `all ${WIDTH} tasks running`);

    const handle = engine.temporal.workflow.getHandle(runWorkflowId(run_id));
    const stack = await handle.query<string>('__stack_trace');
    expect(stack).toContain('runTask');
    expect(stack).toContain('drive');

    await engine.client.cancelRun(run_id);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('CANCELED');
    const tasks = latestByKey(run);
    expect(tasks.root!.state.result_state).toBe('SUCCESS');
    expect(mids.map((m) => tasks[m.task_key]!.state.result_state)).toEqual(mids.map(() => 'CANCELED'));
    expect(tasks.sink!.state.life_cycle_state).toBe('SKIPPED');
  });
});
