// A run whose first workflow task carries a query still replays. A runs/get issued while no worker
// polls waits on the server and arrives with the run's first workflow task; the SDK then completes
// that task right after the run's first local activity (its marker) and starts a new one, so every
// command the workflow issues after the local activity lands in the second task. Replay resolves the
// local activity within the first task: a patched() asked there, whose marker is in the second
// task, would answer false and the history would no longer replay (after any cache eviction: a
// worker restart, a query of a finished run). Proven on a real server with a real worker.
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { temporalClientOf } from '../../client/jobs-client';
import { runWorkflowId } from '../../core';
import { createDjobsWorker } from '../../worker';
import { harnessSandbox, job, sh, startEngine, testDataConverter } from './harness';

describe('a query waiting for the first workflow task', () => {
  it('leaves a history that replays', async () => {
    const engine = await startEngine('early-query', { worker: false });
    const connection = await NativeConnection.connect({ address: engine.address });
    try {
      const { run_id } = await engine.client.submitRun(job('early query', [sh('t', 'true')]));
      // Sent before the worker exists (creating it bundles the workflow code): the server holds
      // the query and hands it out with the first workflow task.
      const query = engine.client.getRun(run_id);
      const worker = await createDjobsWorker({
        connection,
        namespace: 'default',
        taskQueue: engine.taskQueue,
        dataDir: engine.dataDir,
        dataConverter: testDataConverter(),
        sandbox: harnessSandbox(engine.workDir),
      });
      const history = await worker.runUntil(async () => {
        expect((await query).run_id).toBe(run_id);
        await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
        return temporalClientOf(engine.client).workflow.getHandle(runWorkflowId(run_id)).fetchHistory();
      });
      // The shape under test: the first workflow task ended after the first local activity's
      // marker, before the task's attempt was scheduled.
      const events = history.events ?? [];
      const firstLocalActivity = events.findIndex(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
      );
      const firstAttempt = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
      expect(firstLocalActivity).toBeGreaterThan(0);
      expect(events.slice(firstLocalActivity, firstAttempt).some((e) => e.workflowTaskCompletedEventAttributes)).toBe(
        true
      );
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath: path.join(__dirname, '..', '..', 'dist', 'workflow-bundle.js') },
          dataConverter: testDataConverter(),
        },
        history,
        runWorkflowId(run_id)
      );
    } finally {
      await connection.close();
      await engine.stop();
    }
  }, 300_000);
});
