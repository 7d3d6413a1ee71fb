// A crashed worker loses nothing: kill -9 the worker process in the middle of a run, start a new
// one, and the run completes without re-running the tasks that had finished.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, latestByKey, sh, useEngine, startWorkerProcess, waitFor } from '../integration/harness';

describe('durability', () => {
  const engine = useEngine('durability', { worker: false, heartbeatTimeoutSeconds: 3 });
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    // No in-process worker: the workers are separate processes we can kill.
  });
  /** Kill the workers of earlier tests, so the next task lands on a worker the test controls. */
  async function stopWorkers() {
    for (const w of workers.splice(0)) {
      if (w.exitCode === null && w.signalCode === null) {
        w.kill('SIGKILL');
        await waitFor(() => w.exitCode !== null || w.signalCode !== null, 'earlier workers to stop');
      }
    }
  }
  /**
   * A worker runs until `started` exists (written by a task), is stopped with `signal` (kill -9 by
   * default), and a new one takes over. Returns the first worker, ended.
   */
  async function restartWorkerOnce(started: string, what: string, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') {
    const first = startWorkerProcess(engine);
    workers.push(first);
    await waitFor(() => fs.existsSync(started), `${what} to start on the first worker`, 60_000);
    first.kill(signal);
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, 'the first worker to stop', 30_000);
    workers.push(startWorkerProcess(engine));
    return first;
  }
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  });

  it('kill -9 of the worker mid-run: a new worker completes the run; finished tasks do not run again', async () => {
    const marks = path.join(engine.workDir, 'marks');
    const started = path.join(engine.workDir, 'b-started');
    const { run_id } = await engine.client.submitRun(
      job('survives a crash', [
        sh('a', `echo a >> ${marks}`),
        sh('b', `touch ${started}; sleep 3; echo b >> ${marks}`, { depends_on: [{ task_key: 'a' }] }),
        sh('c', `echo c >> ${marks}`, { depends_on: [{ task_key: 'b' }] }),
      ])
    );
    await restartWorkerOnce(started, 'task b');
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const lines = fs.readFileSync(marks, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l === 'a')).toHaveLength(1);
    expect(lines.filter((l) => l === 'c')).toHaveLength(1);
    expect(lines).toContain('b');
    const t = latestByKey(run);
    // The lost worker does not consume b's retry budget: the task is still attempt 0, and SUCCESS.
    expect(t.b!.attempt_number).toBe(0);
    expect(t.b!.state.result_state).toBe('SUCCESS');
  });

  it('kill -9 of the worker during a for_each iteration: another worker resumes it, no user retry is spent', async () => {
    await stopWorkers();
    const marks = path.join(engine.workDir, 'foreach-marks');
    const started = path.join(engine.workDir, 'foreach-started');
    // Iteration 1 is slow and is the one the kill interrupts; each iteration logs its input and
    // the attempt number (a spent user retry would show as attempt 1).
    const nested = sh(
      'iter',
      `[ {{input}} != 1 ] || { touch ${started}; sleep 3; }; echo "{{input}}:$DJOBS_ATTEMPT_NUMBER" >> ${marks}`,
      { max_retries: 1 }
    );
    const { run_id } = await engine.client.submitRun(
      job('for_each survives a crash', [
        { task_key: 'each', for_each_task: { inputs: '[0,1,2]', concurrency: 3, task: nested } },
      ])
    );
    await restartWorkerOnce(started, 'iteration 1');
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state, run.state.state_message).toBe('SUCCESS');
    const lines = fs.readFileSync(marks, 'utf8').trim().split('\n');
    // Every iteration ran as attempt 0 only (the killed worker's orphaned shell may also finish
    // iteration 1, so it can appear twice, but never as a retry).
    expect([...new Set(lines)].sort()).toEqual(['0:0', '1:0', '2:0']);
    const each = latestByKey(run).each!;
    expect(each.attempt_number).toBe(0);
    expect(each.for_each_task!.stats!.task_run_stats.succeeded_iterations).toBe(3);
  });

  it('graceful shutdown (SIGTERM) mid-task: the attempt is handed to another worker and the run completes', async () => {
    await stopWorkers();
    const marks = path.join(engine.workDir, 'graceful-marks');
    const started = path.join(engine.workDir, 'graceful-started');
    const { run_id } = await engine.client.submitRun(
      job('survives a restart', [
        sh('a', `echo a >> ${marks}`),
        sh('long', `touch ${started}; sleep 8; echo long >> ${marks}`, { depends_on: [{ task_key: 'a' }] }),
      ])
    );
    const first = await restartWorkerOnce(started, 'the long task', 'SIGTERM');
    expect(first.exitCode).toBe(0);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const lines = fs.readFileSync(marks, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l === 'a')).toHaveLength(1);
    expect(lines).toContain('long');
  });
});
