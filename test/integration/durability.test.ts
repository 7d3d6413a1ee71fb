// A crashed worker loses nothing: kill -9 the worker process in the middle of a run, start a new
// one, and the run completes without re-running the tasks that had finished.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, latestByKey, sh, startEngine, startWorkerProcess, waitFor, type Engine } from './harness';

describe('durability', () => {
  let engine: Engine;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    // No in-process worker: the workers are separate processes we can kill.
    engine = await startEngine('durability', { worker: false, heartbeatTimeoutSeconds: 3 });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await engine?.stop();
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
    const first = startWorkerProcess(engine);
    workers.push(first);
    await waitFor(() => fs.existsSync(started), 'task b to start on the first worker', 60_000);
    first.kill('SIGKILL');
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, 'the first worker to die');

    workers.push(startWorkerProcess(engine));
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

  it('graceful shutdown (SIGTERM) mid-task: the attempt is handed to another worker and the run completes', async () => {
    for (const w of workers.splice(0)) {
      if (w.exitCode === null && w.signalCode === null) {
        w.kill('SIGKILL');
        await waitFor(() => w.exitCode !== null || w.signalCode !== null, 'earlier workers to stop');
      }
    }
    const marks = path.join(engine.workDir, 'graceful-marks');
    const started = path.join(engine.workDir, 'graceful-started');
    const { run_id } = await engine.client.submitRun(
      job('survives a restart', [
        sh('a', `echo a >> ${marks}`),
        sh('long', `touch ${started}; sleep 8; echo long >> ${marks}`, { depends_on: [{ task_key: 'a' }] }),
      ])
    );
    const first = startWorkerProcess(engine);
    workers.push(first);
    await waitFor(() => fs.existsSync(started), 'the long task to start', 60_000);
    first.kill('SIGTERM');
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, 'the first worker to stop', 30_000);
    expect(first.exitCode).toBe(0);

    workers.push(startWorkerProcess(engine));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const lines = fs.readFileSync(marks, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l === 'a')).toHaveLength(1);
    expect(lines).toContain('long');
  });
});
