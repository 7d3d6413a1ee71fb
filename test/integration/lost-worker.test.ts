// docs/operations.md's lost worker: after kill -9 of the worker running an attempt, and until
// Temporal's heartbeat timeout hands the attempt to another worker, the run shows the task RUNNING
// with its worker lost: that worker's host and process, and when it was last heard from. Once
// another worker has run the attempt again, the task names the lost worker, and runs/get-output
// gives the log tail the lost worker's last heartbeat carried.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { temporalClientOf } from '../../client/jobs-client';
import { runWorkflowId } from '../../core';
import { launchChromium } from '../../scripts/chromium';
import {
  adminTokens,
  engineEnv,
  job,
  sh,
  startEngine,
  startWorkerProcess,
  testDataConverter,
  tokenOf,
  waitFor,
  type Engine,
} from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
// Screenshots for docs/images when DJOBS_SCREENSHOTS names it, as test/integration/web-ui.test.ts makes them.
const shots = process.env.DJOBS_SCREENSHOTS
  ? path.resolve(process.env.DJOBS_SCREENSHOTS)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-shots-'));

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
    expect(lost.state.state_message).toBe(
      `Worker ${worker.pid}@${os.hostname()} on ${os.hostname()} lost; last heard ${new Date(lost.djobs_worker!.last_heard_time!).toISOString()}. The attempt runs again on another worker once its heartbeat times out.`
    );
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

  it('the attempt run again names the lost worker, and keeps the log tail its last heartbeat carried', async () => {
    const retried = await startEngine('lost worker retried', { worker: false, heartbeatTimeoutSeconds: 5 });
    const workers: ChildProcess[] = [];
    try {
      const first = path.join(retried.workDir, 'first-try');
      const marker = 'lost-try-log-line-5f1c';
      const command = `if [ -e ${first} ]; then echo ran again; else touch ${first}; echo ${marker}; sleep 600; fi`;
      const lostOne = startWorkerProcess(retried);
      workers.push(lostOne);
      const exited = new Promise((resolve) => lostOne.once('exit', resolve));
      const { run_id } = await retried.client.submitRun(job('lost worker retried', [sh('t', command)]));
      const handle = retried.temporal.workflow.getHandle(runWorkflowId(run_id));
      // What Temporal holds of the attempt: its last heartbeat, once that carries the marker line.
      const { payloadConverter, payloadCodecs } = retried.temporal.options.loadedDataConverter;
      await waitFor(async () => {
        const activity = (await handle.describe()).raw.pendingActivities?.[0];
        let payloads = activity?.heartbeatDetails?.payloads ?? [];
        for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
        const beat = payloads[0] ? payloadConverter.fromPayload<{ logTail?: string }>(payloads[0]) : undefined;
        return beat?.logTail?.includes(marker);
      }, "the attempt's log tail in its heartbeat");
      const killedAt = Date.now();
      lostOne.kill('SIGKILL');
      await exited;
      const again = startWorkerProcess(retried);
      workers.push(again);

      const run = await retried.client.waitForRun(run_id, { timeoutMs: 120_000 });
      expect(run.state.result_state).toBe('SUCCESS');
      const [task] = run.tasks;
      // Temporal ran the same attempt again: no retry of the task's own, the lost worker named.
      expect(run.tasks).toHaveLength(1);
      expect(task!.attempt_number).toBe(0);
      expect(task!.djobs_worker).toEqual({ host: os.hostname(), process: `${again.pid}@${os.hostname()}` });
      expect(task!.djobs_lost_workers).toEqual([
        {
          host: os.hostname(),
          process: `${lostOne.pid}@${os.hostname()}`,
          last_heard_time: expect.any(Number),
          lost: true,
        },
      ]);
      const heard = task!.djobs_lost_workers![0]!.last_heard_time;
      // Heard after the run started, before the kill; the task's start_time is the new worker's try.
      expect(heard).toBeGreaterThanOrEqual(run.start_time);
      expect(task!.start_time).toBeGreaterThan(killedAt);
      expect(heard).toBeLessThanOrEqual(killedAt);

      const output = await retried.client.getRunOutput(task!.run_id);
      expect(output.logs).toContain('ran again');
      expect(output.djobs_lost_workers).toEqual([
        {
          host: os.hostname(),
          process: `${lostOne.pid}@${os.hostname()}`,
          last_heard_time: heard,
          logs: expect.stringContaining(marker),
        },
      ]);
      expect(fs.existsSync(first)).toBe(true);

      // The web UI's task pane says the same: the worker that ran it, the lost one and its log tail.
      const app = await createApiServer({
        client: retried.client,
        tokens: adminTokens(tokenOf('admin')),
        workspaceDir: retried.workDir,
      });
      const browser = await launchChromium();
      try {
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        page.setDefaultTimeout(30_000);
        await page.goto(`${base}/`);
        await page.fill('input[name="token"]', tokenOf('admin'));
        await page.click('button[type="submit"]');
        await page.waitForSelector('main#content');
        await page.goto(`${base}/#/runs/${run_id}`);
        await page.locator('.dag [data-task-key="t"]').click();
        const pane = page.locator('[data-task-pane="t"]');
        await expect.poll(() => pane.locator('[data-task-worker]').textContent()).toContain(`${again.pid}@`);
        expect(await pane.locator('[data-lost-worker]').textContent()).toContain(`${lostOne.pid}@${os.hostname()}`);
        await expect.poll(() => pane.locator('[data-lost-worker-log]').textContent()).toContain(marker);
        await expect.poll(() => pane.locator('[data-task-log]').textContent()).toContain('ran again');
        await page.screenshot({ path: path.join(shots, 'web-ui-lost-worker.png') });
      } finally {
        await browser.close();
        await app.close();
      }
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await retried.stop();
    }
  }, 180_000);
});
