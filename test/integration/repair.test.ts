// Repair runs: a failed diamond DAG is repaired twice in a row; only the failed task and its
// dependents run again, inside the same run, and downstream tasks see the kept task values.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attemptsOf, job, latestByKey, sh, useEngine, waitFor } from './harness';

describe('repair runs', () => {
  const engine = useEngine('repair');

  it('re-runs only the failed task and its dependents, twice in a row, keeping run_id and task values', async () => {
    const marks = path.join(engine.workDir, 'marks');
    const fixed = path.join(engine.workDir, 'fixed');
    const settings = job('diamond', [
      sh('a', `echo a >> ${marks}; echo '{"key":"token","value":"from-a"}' >> "$DJOBS_TASK_VALUES_OUT"`),
      // b takes a second, so that the run is surely still running when a second repair is requested.
      sh('b', `echo b >> ${marks}; sleep 1; test -f ${fixed}`, { depends_on: [{ task_key: 'a' }] }),
      sh('c', `echo c >> ${marks}`, { depends_on: [{ task_key: 'a' }] }),
      sh('d', `echo "d {{tasks.a.values.token}}" >> ${marks}`, { depends_on: [{ task_key: 'b' }, { task_key: 'c' }] }),
    ]);
    const { run_id } = await engine.client.submitRun(settings);
    const first = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(first.state.result_state).toBe('FAILED');
    expect(latestByKey(first).d!.state.result_state).toBe('UPSTREAM_FAILED');

    // Repairing a running run is refused; a finished one is repaired in place.
    await expect(engine.client.repairRun(987_654_321, { rerunAllFailedTasks: true })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    const r1 = await engine.client.repairRun(run_id, { rerunAllFailedTasks: true });
    await expect(engine.client.repairRun(run_id, { rerunAllFailedTasks: true })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    const second = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(second.run_id).toBe(run_id);
    expect(second.state.result_state).toBe('FAILED'); // b still fails: nothing was fixed yet

    fs.writeFileSync(fixed, '');
    const r2 = await engine.client.repairRun(run_id, { rerunTasks: ['b'], rerunDependentTasks: true });
    expect(r2.repair_id).not.toBe(r1.repair_id);
    const third = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(third.state.result_state).toBe('SUCCESS');

    const lines = fs.readFileSync(marks, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l === 'a')).toHaveLength(1);
    expect(lines.filter((l) => l === 'c')).toHaveLength(1);
    expect(lines.filter((l) => l === 'b')).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('d'))).toEqual(['d from-a']);

    expect(attemptsOf(third, 'a')).toHaveLength(1);
    expect(third.tasks.filter((t) => t.task_key === 'b').map((t) => t.state.result_state)).toEqual([
      'FAILED',
      'FAILED',
      'SUCCESS',
    ]);
    expect(third.tasks.filter((t) => t.task_key === 'd').map((t) => t.state.result_state)).toEqual([
      'UPSTREAM_FAILED',
      'UPSTREAM_FAILED',
      'SUCCESS',
    ]);
    expect(new Set(third.tasks.map((t) => t.run_id)).size).toBe(third.tasks.length);
    expect(third.repair_history!.map((h) => [h.type, h.id ?? null, h.state.result_state])).toEqual([
      ['ORIGINAL', null, 'FAILED'],
      ['REPAIR', r1.repair_id, 'FAILED'],
      ['REPAIR', r2.repair_id, 'SUCCESS'],
    ]);
    expect(third.start_time).toBe(first.start_time);

    // The run is listed once, with its latest state. The listing starts at this run's start: runs
    // of other files share the namespace, and one of them (encryption.test.ts) is written with a key
    // this client's ring does not hold.
    await waitFor(async () => {
      const runs = (await engine.client.listRuns({ limit: 25, startTimeFrom: first.start_time })).filter(
        (r) => r.run_id === run_id
      );
      return runs.length === 1 && runs[0]!.state.result_state === 'SUCCESS';
    }, 'the repaired run to be listed once as SUCCESS');
  });

  it("keeps every attempt's log, error and task values, addressed by its task run id, across two repairs", async () => {
    // Each execution of t says which it is and sets it as a value; the first fails. Attempt numbers
    // start at 0 again in each repair, so files named by attempt number would be written over.
    const count = path.join(engine.workDir, 'executions');
    const settings = job('kept-logs', [
      sh(
        't',
        `echo x >> ${count}; n=$(wc -l < ${count}); echo "execution $n"; ` +
          `printf '{"key":"n","value":%s}\\n' "$n" >> "$DJOBS_TASK_VALUES_OUT"; test "$n" -gt 1`
      ),
    ]);
    const { run_id } = await engine.client.submitRun(settings);
    expect((await engine.client.waitForRun(run_id, { timeoutMs: 60_000 })).state.result_state).toBe('FAILED');
    await engine.client.repairRun(run_id, { rerunAllFailedTasks: true });
    expect((await engine.client.waitForRun(run_id, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
    await engine.client.repairRun(run_id, { rerunTasks: ['t'] });
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('SUCCESS');

    const attempts = attemptsOf(run, 't');
    expect(attempts.map((a) => [a.attempt_number, a.state.result_state])).toEqual([
      [0, 'FAILED'],
      [0, 'SUCCESS'],
      [0, 'SUCCESS'],
    ]);
    const outputs = await Promise.all(attempts.map((a) => engine.client.getRunOutput(a.run_id)));
    expect(outputs.map((o) => o.metadata.run_id)).toEqual(attempts.map((a) => a.run_id));
    expect(outputs.map((o) => o.logs?.trim())).toEqual(['execution 1', 'execution 2', 'execution 3']);
    expect(new Set(outputs.map((o) => o.log_path)).size).toBe(3);
    expect(outputs.map((o) => o.error)).toEqual(['Command exited with code 1', undefined, undefined]);
    expect(outputs.map((o) => o.task_values)).toEqual([undefined, { n: 2 }, { n: 3 }]);
    // The job run's output of its one task is the latest attempt's.
    expect((await engine.client.getRunOutput(run_id)).logs?.trim()).toBe('execution 3');
  });

  it('rejects duplicate and unknown task keys, and a repair with nothing to run', async () => {
    const { run_id } = await engine.client.submitRun(job('ok', [sh('x', 'true')]));
    await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    await expect(engine.client.repairRun(run_id, { rerunTasks: ['x', 'x'] })).rejects.toMatchObject({
      message: 'rerun_tasks cannot contain duplicate task keys.',
    });
    await expect(engine.client.repairRun(run_id, { rerunTasks: ['nope'] })).rejects.toMatchObject({
      message: 'rerun_tasks names unknown task: nope.',
    });
    await expect(engine.client.repairRun(run_id, { rerunAllFailedTasks: true })).rejects.toMatchObject({
      message: `Run ${run_id} has no failed tasks to repair.`,
    });
  });
});
