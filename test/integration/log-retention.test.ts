// docs/operations.md's task-log retention: a worker started with DJOBS_LOG_RETENTION_DAYS keeps a
// schedule that deletes the logs of runs that ended longer ago than that, and nothing else: an open
// run's log and a recent run's stay. Reading an expired log's output says it expired. The retention
// is 30 seconds here (a fraction of a day), checked every second.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { temporalClientOf } from '../../client/jobs-client';
import type { LogRetentionReport } from '../../workflows/definitions';
import { logRetentionScheduleId } from '../../worker/log-retention';
import { engineEnv, job, sh, startEngine, waitFor, type Engine } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
const RETENTION_SECONDS = 30;

describe('task-log retention', () => {
  let engine: Engine | undefined;
  let worker: ReturnType<typeof spawn> | undefined;
  afterAll(async () => {
    worker?.kill('SIGKILL');
    if (engine) {
      // The schedule would go on firing in the shared server; its pending pass goes with it.
      const temporal = temporalClientOf(engine.client);
      const schedule = temporal.schedule.getHandle(logRetentionScheduleId(engine.dataDir));
      const running = (await schedule.describe()).info.runningActions;
      await schedule.delete();
      for (const a of running)
        await temporal.workflow
          .getHandle(a.workflow.workflowId)
          .terminate('test over')
          .catch(() => undefined);
      await engine.stop();
    }
  });

  it('deletes the logs of runs that ended longer ago than the retention, keeps open and recent ones', async () => {
    engine = await startEngine('log retention', { worker: false });
    const env = {
      ...engineEnv(engine),
      DJOBS_LOG_RETENTION_DAYS: String(RETENTION_SECONDS / 86_400),
      DJOBS_LOG_RETENTION_CHECK_SECONDS: '1',
    };
    worker = spawn(process.execPath, [cli, 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const { client } = engine;
    const logDir = (runId: number) => path.join(engine!.dataDir, 'logs', `run-${runId}`);

    const { run_id: old } = await client.submitRun(job('old run', [sh('t', 'echo old-output')]));
    expect((await client.waitForRun(old, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
    expect(fs.existsSync(logDir(old))).toBe(true);
    const { run_id: open } = await client.submitRun(job('open run', [sh('t', 'echo open-output && sleep 600')]));
    await waitFor(() => fs.existsSync(path.join(logDir(open), 't')), 'the open run logging');

    await waitFor(() => !fs.existsSync(logDir(old)), 'the old run’s log deleted', 120_000);
    expect(fs.existsSync(logDir(open))).toBe(true);

    // A run ended just now stays through the next pass, as the open one does.
    const { run_id: recent } = await client.submitRun(job('recent run', [sh('t', 'echo recent-output')]));
    const ended = await client.waitForRun(recent, { timeoutMs: 60_000 });
    expect(ended.state.result_state).toBe('SUCCESS');
    // Each attempt records the worker that ran it: here the worker process this test started.
    expect(ended.tasks[0]!.djobs_worker).toEqual({ host: os.hostname(), process: `${worker.pid}@${os.hostname()}` });
    const temporal = temporalClientOf(client);
    const schedule = temporal.schedule.getHandle(logRetentionScheduleId(engine.dataDir));
    const pass = await waitFor(async () => {
      const d = await schedule.describe();
      const taken = d.info.recentActions.find((a) => a.takenAt.getTime() > ended.end_time);
      return taken?.action.type === 'startWorkflow' && taken.action.workflow;
    }, 'a retention pass after the recent run ended');
    const report = await temporal.workflow
      .getHandle<() => Promise<LogRetentionReport>>(pass.workflowId, pass.firstExecutionRunId)
      .result();
    expect(report.deleted_run_ids).not.toContain(recent);
    expect(report.deleted_run_ids).not.toContain(open);
    expect(fs.existsSync(logDir(recent))).toBe(true);
    expect(fs.existsSync(logDir(open))).toBe(true);

    // The expired log's output says so, and does not fail.
    const output = await client.getRunOutput(old);
    expect(output.metadata.state.result_state).toBe('SUCCESS');
    expect(output.log_expired).toEqual({
      expired_time: expect.any(Number),
      retention_days: RETENTION_SECONDS / 86_400,
    });
    expect(output.log_path).toBeUndefined();
    const shown = await promisify(execFile)(process.execPath, [cli, 'jobs', 'get-run-output', String(old)], { env });
    expect(shown.stdout).toMatch(/^log: expired, deleted \S+ by the log retention \(0\.000347\d* days\)/m);
    // The recent run's output still has its log.
    expect((await client.getRunOutput(recent)).logs).toContain('recent-output');
    await client.cancelRun(open);
    expect((await client.waitForRun(open, { timeoutMs: 60_000 })).state.result_state).toBe('CANCELED');
  }, 240_000);
});
