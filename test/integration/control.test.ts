// Control from outside a run: cancel kills the task's whole process tree within 2 s; pause stops
// new tasks from starting while running ones finish; resume continues.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { job, latestByKey, sh, taskAlive, taskProcesses, useEngine, waitFor } from './harness';

describe('cancel, pause, resume', () => {
  const engine = useEngine('control');

  it('cancel kills the running task process tree within 2 s and ends the run CANCELED', async () => {
    const pids = path.join(engine.workDir, 'pids');
    const self = '$(readlink /proc/self/ns/pid)'; // the PID namespace of the task's sandbox
    const tree = `sleep 300 & echo ${self} $! >> ${pids}; sh -c 'sleep 300 & echo ${self} $! >> ${pids}; wait' & wait`;
    const { run_id } = await engine.client.submitRun(
      job('cancel me', [sh('tree', tree), sh('later', 'true', { depends_on: [{ task_key: 'tree' }] })])
    );
    const grandchildren = await waitFor(() => {
      const found = fs.existsSync(pids) ? taskProcesses(fs.readFileSync(pids, 'utf8')) : [];
      return found.length === 2 ? found : undefined;
    }, 'the task to start its processes');
    expect(grandchildren.every(taskAlive)).toBe(true);
    const canceledAt = Date.now();
    await engine.client.cancelRun(run_id);
    await waitFor(() => grandchildren.every((p) => !taskAlive(p)), 'the process tree to die', 2_000);
    expect(Date.now() - canceledAt).toBeLessThan(2_000);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 30_000 });
    expect(run.state).toMatchObject({
      life_cycle_state: 'TERMINATED',
      result_state: 'CANCELED',
      user_cancelled_or_timedout: true,
    });
    const t = latestByKey(run);
    expect(t.tree!.state.result_state).toBe('CANCELED');
    expect(t.later!.state.life_cycle_state).toBe('SKIPPED');
  });

  it('pause lets the running task finish but starts nothing new until resume', async () => {
    const gate = path.join(engine.workDir, 'gate');
    const { run_id } = await engine.client.submitRun(
      job('pause me', [
        sh('first', `while [ ! -f ${gate} ]; do sleep 0.1; done`),
        sh('second', 'true', { depends_on: [{ task_key: 'first' }] }),
      ])
    );
    await waitFor(
      async () => latestByKey(await engine.client.getRun(run_id)).first!.state.life_cycle_state === 'RUNNING',
      'first to run'
    );
    await engine.client.pauseRun(run_id);
    await waitFor(
      async () => (await engine.client.getRun(run_id)).state.state_message.startsWith('Paused'),
      'the run to report paused'
    );
    fs.writeFileSync(gate, '');
    await waitFor(
      async () => latestByKey(await engine.client.getRun(run_id)).first!.state.result_state === 'SUCCESS',
      'first to finish'
    );
    // While paused, `second` stays pending: sample it for two seconds.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      const run = await engine.client.getRun(run_id);
      expect(latestByKey(run).second!.state.life_cycle_state).toBe('PENDING');
      expect(run.state.life_cycle_state).toBe('RUNNING');
      await new Promise((r) => setTimeout(r, 250));
    }
    await engine.client.resumeRun(run_id);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 30_000 });
    expect(run.state.result_state).toBe('SUCCESS');
  });

  it('pausing or resuming a finished run is a clear error', async () => {
    const { run_id } = await engine.client.submitRun(job('quick', [sh('q', 'true')]));
    await engine.client.waitForRun(run_id, { timeoutMs: 30_000 });
    await expect(engine.client.pauseRun(run_id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
