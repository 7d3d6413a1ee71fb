// Task values flow through three tasks and into a condition; references carry them into
// parameters; a task may read values of any upstream task.
import { describe, expect, it } from 'vitest';
import { job, latestByKey, sh, useEngine } from './harness';

describe('task values', () => {
  const engine = useEngine('task values');

  it('flow through three tasks and decide a condition', async () => {
    const set = (key: string, expr: string) =>
      `python3 -c 'import json,os; open(os.environ["DJOBS_TASK_VALUES_OUT"],"a").write(json.dumps({"key":"${key}","value":${expr}})+"\\n")'`;
    const { run_id } = await engine.client.submitRun(
      job('values', [
        sh('first', set('n', '1')),
        sh('second', set('n', '{{tasks.first.values.n}} + 1'), { depends_on: [{ task_key: 'first' }] }),
        sh('third', set('n', '{{tasks.second.values.n}} * 10'), { depends_on: [{ task_key: 'second' }] }),
        {
          task_key: 'is_twenty',
          depends_on: [{ task_key: 'third' }],
          condition_task: { op: 'EQUAL_TO', left: '{{tasks.third.values.n}}', right: '20' },
        },
        sh('yes', 'echo "first={{tasks.first.values.n}} third={{tasks.third.values.n}}"', {
          depends_on: [{ task_key: 'is_twenty', outcome: 'true' }],
        }),
        sh('no', 'true', { depends_on: [{ task_key: 'is_twenty', outcome: 'false' }] }),
      ])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const t = latestByKey(run);
    expect(run.state.result_state).toBe('SUCCESS');
    expect(t.is_twenty!.condition_task!.outcome).toBe('true');
    expect([t.yes!.state.result_state, t.no!.state.result_state]).toEqual(['SUCCESS', 'EXCLUDED']);
    const state = await engine.client.getRunState(run_id);
    expect([state.tasks.first!.taskValues, state.tasks.second!.taskValues, state.tasks.third!.taskValues]).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 20 },
    ]);
    expect((await engine.client.getRunOutput(run_id, 'yes')).logs).toBe('first=1 third=20\n');
  });

  it('a reference to a value that was never set fails the task with the reference named', async () => {
    const { run_id } = await engine.client.submitRun(
      job('missing', [sh('a', 'true'), sh('b', 'echo {{tasks.a.values.nope}}', { depends_on: [{ task_key: 'a' }] })])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const b = latestByKey(run).b!;
    expect(b.state.result_state).toBe('FAILED');
    expect(b.state.state_message).toBe('reference {{tasks.a.values.nope}}: task "a" set no value "nope"');
  });
});
