// docs/operations.md's lost worker: after kill -9 of the worker running an attempt, and until
// Temporal's heartbeat timeout hands the attempt to another worker, the run shows the task RUNNING
// with its worker lost: that worker's host and process, and when it was last heard from.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient } from '../../client';
import { temporalClientOf } from '../../client/jobs-client';
import { runWorkflowId } from '../../core';
import { engineEnv, job, sh, startEngine, testDataConverter, waitFor, type Engine } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

describe('a lost worker', () => {
  let engine: Engine | undefined;
  let client: DurableJobsClient | undefined;
  let runId: number | undefined;
  afterAll(async () => {
    if (client && runId !== undefined)
      await temporalClientOf(client)
        .workflow.getHandle(runWorkflowId(runId))
        .terminate('test over')
        .catch(() => undefined);
    await client?.close();
    await engine?.stop();
  });

  it('shows while Temporal times its attempt out: the task RUNNING, its worker lost, when last heard from', async () => {
    engine = await startEngine('lost worker', { worker: false });
    // A heartbeat timeout long enough to look at the lost attempt before Temporal retries it.
    client = await DurableJobsClient.connect({
      address: engine.address,
      taskQueue: engine.taskQueue,
      dataConverter: testDataConverter(),
      runOptions: { heartbeatTimeoutSeconds: 300 },
    });
    const worker = spawn(process.execPath, [cli, 'worker'], {
      env: engineEnv(engine),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const { run_id } = await client.submitRun(job('lost worker', [sh('t', 'sleep 600')]));
    runId = run_id;
    const running = await waitFor(async () => {
      const run = await client!.getRun(run_id);
      return run.tasks[0]!.state.life_cycle_state === 'RUNNING' && run;
    }, 'the task running');
    // A worker that answers is not shown.
    expect(running.tasks[0]!.djobs_worker).toBeUndefined();

    const killedAt = Date.now();
    worker.kill('SIGKILL');
    await exited;
    const lost = await waitFor(
      async () => {
        const run = await client!.getRun(run_id);
        return run.tasks[0]!.djobs_worker?.lost && run.tasks[0]!;
      },
      'the worker shown lost',
      60_000
    );
    expect(lost.state.life_cycle_state).toBe('RUNNING');
    expect(lost.attempt_number).toBe(0);
    expect(lost.djobs_worker).toEqual({
      host: os.hostname(),
      process: `${worker.pid}@${os.hostname()}`,
      last_heard_time: expect.any(Number),
      lost: true,
    });
    expect(lost.djobs_worker!.last_heard_time).toBeGreaterThanOrEqual(running.tasks[0]!.start_time);
    // A heartbeat already on its way when the worker died may reach Temporal a moment later.
    expect(lost.djobs_worker!.last_heard_time).toBeLessThanOrEqual(killedAt + 2000);
  }, 180_000);
});
