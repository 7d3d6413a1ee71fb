// max_concurrent_runs and the queue, as on Databricks, across run-now and schedules: the job's slot
// gate serialises simultaneous starts, queued runs wait in QUEUED and start in order, runs over
// the limit without a queue are recorded as skipped.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { occupancy } from '../helpers/occupancy';
import { job, sh, useEngine, waitFor } from './harness';

describe('max_concurrent_runs and queueing', () => {
  const engine = useEngine('concurrency');

  it('50 run-now calls at once at a job with limit 3 and a queue: never more than 3 at a time, all 50 run', async () => {
    // Each run's task holds its place until three runs' tasks run at once (or all 50 have started).
    const seen = occupancy(path.join(engine.workDir, 'limit-three'), { fill: 3, total: 50 });
    const { job_id } = await engine.client.createJob(
      job('limit three', [sh('work', seen.command)], { max_concurrent_runs: 3, queue: { enabled: true } })
    );
    const started = await Promise.all(Array.from({ length: 50 }, () => engine.client.runNow(job_id)));
    expect(new Set(started.map((s) => s.run_id)).size).toBe(50);
    // Some of them wait in the queue, visibly so.
    const queued = await waitFor(async () => {
      for (const s of started) {
        const r = await engine.client.getRun(s.run_id);
        if (r.state.life_cycle_state === 'QUEUED') return r;
      }
      return undefined;
    }, 'a queued run');
    expect(queued.status).toMatchObject({
      state: 'QUEUED',
      queue_details: {
        code: 'MAX_CONCURRENT_RUNS_REACHED',
        message: 'Queued due to reaching maximum concurrent runs of 3.',
      },
    });
    expect(queued.state.queue_reason).toBe('Queued due to reaching maximum concurrent runs of 3.');
    const runs = await Promise.all(started.map((s) => engine.client.waitForRun(s.run_id, { timeoutMs: 180_000 })));
    expect(runs.map((r) => r.state.result_state)).toEqual(Array(50).fill('SUCCESS'));
    expect(seen.started()).toBe(50);
    expect(Math.max(...seen.counts())).toBe(3);
    expect(runs.filter((r) => r.queue_duration > 0).length).toBeGreaterThan(0);
    await engine.client.deleteJob(job_id);
  }, 240_000);

  it('a burst of 20 run-now at limit 2: list-runs sampled every 100 ms never shows more than 2 RUNNING', async () => {
    // Each run's task holds its place until two run at once (or all 20 have started).
    const seen = occupancy(path.join(engine.workDir, 'limit-two'), { fill: 2, total: 20 });
    const { job_id } = await engine.client.createJob(
      job('limit two', [sh('work', seen.command)], { max_concurrent_runs: 2, queue: { enabled: true } })
    );
    const samples: Record<string, number>[] = [];
    let bursting = true;
    // Sample from before the burst until every run has finished, as a dashboard polling would.
    const sampler = (async () => {
      while (bursting) {
        const runs = await engine.client.listRuns({ jobId: job_id, activeOnly: true });
        const counts: Record<string, number> = {};
        for (const r of runs) counts[r.state.life_cycle_state] = (counts[r.state.life_cycle_state] ?? 0) + 1;
        samples.push(counts);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = await Promise.all(Array.from({ length: 20 }, () => engine.client.runNow(job_id)));
    // A run's own view agrees with the listing (PENDING until the gate answers, then QUEUED).
    const last = await engine.client.getRun(started[19]!.run_id);
    expect(['PENDING', 'QUEUED', 'RUNNING', 'TERMINATED']).toContain(last.state.life_cycle_state);
    expect(last.status.state).toBe(last.state.life_cycle_state);
    const runs = await Promise.all(started.map((s) => engine.client.waitForRun(s.run_id, { timeoutMs: 120_000 })));
    bursting = false;
    await sampler;
    expect(runs.every((r) => r.state.result_state === 'SUCCESS')).toBe(true);
    expect(Math.max(...seen.counts())).toBeLessThanOrEqual(2);
    const maxRunning = Math.max(...samples.map((c) => c.RUNNING ?? 0));
    expect(maxRunning, JSON.stringify(samples)).toBeLessThanOrEqual(2);
    expect(samples.some((c) => (c.QUEUED ?? 0) > 0)).toBe(true);
    expect(samples.length).toBeGreaterThan(5);
    // Queued from the moment they existed: a run that waited counts its queue time from its start.
    const waited = runs.filter((r) => r.queue_duration > 0);
    expect(waited.length).toBeGreaterThan(0);
    for (const r of waited) expect(r.tasks[0]!.start_time - r.start_time).toBeGreaterThanOrEqual(r.queue_duration);
  });

  it('without a queue a run over the limit is recorded as skipped', async () => {
    const { job_id } = await engine.client.createJob(job('no queue', [sh('work', 'sleep 30')]));
    const first = await engine.client.runNow(job_id);
    await waitFor(
      async () => (await engine.client.getRun(first.run_id)).tasks[0]!.state.life_cycle_state === 'RUNNING',
      'the first run to start'
    );
    const second = await engine.client.runNow(job_id);
    const skipped = await engine.client.waitForRun(second.run_id, { timeoutMs: 30_000 });
    expect(skipped.state).toMatchObject({
      life_cycle_state: 'SKIPPED',
      result_state: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
      state_message: 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.',
    });
    expect(skipped.status.termination_details).toMatchObject({ code: 'MAX_CONCURRENT_RUNS_EXCEEDED' });
    expect(skipped.tasks.map((t) => t.state.life_cycle_state)).toEqual(['SKIPPED']);
    // Its tasks never ran: they carry the run's reason, not a cancellation.
    expect(skipped.tasks.map((t) => t.status.termination_details)).toEqual([
      {
        code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
        type: 'CLIENT_ERROR',
        message: 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.',
      },
    ]);
    await engine.client.cancelRun(first.run_id);
    await engine.client.waitForRun(first.run_id);
    // The slot is free again.
    const third = await engine.client.runNow(job_id);
    await waitFor(
      async () => (await engine.client.getRun(third.run_id)).tasks[0]!.state.life_cycle_state === 'RUNNING',
      'the third run to start'
    );
    await engine.client.cancelRun(third.run_id);
    await engine.client.deleteJob(job_id);
  });

  it('a queued run canceled while it waits leaves the queue; the next one takes its turn', async () => {
    const { job_id } = await engine.client.createJob(
      job('queue cancel', [sh('work', 'sleep 2')], { queue: { enabled: true } })
    );
    // One at a time, so that the gate sees them in this order: a runs, b then c wait.
    const lifeCycle = async (id: number) => (await engine.client.getRun(id)).state.life_cycle_state;
    const a = await engine.client.runNow(job_id);
    await waitFor(async () => (await lifeCycle(a.run_id)) === 'RUNNING', 'the first run to start');
    const b = await engine.client.runNow(job_id);
    await waitFor(async () => (await lifeCycle(b.run_id)) === 'QUEUED', 'the second run to queue');
    const c = await engine.client.runNow(job_id);
    await waitFor(async () => (await lifeCycle(c.run_id)) === 'QUEUED', 'the third run to queue');
    await engine.client.cancelRun(b.run_id);
    const canceled = await engine.client.waitForRun(b.run_id, { timeoutMs: 30_000 });
    expect(canceled.state.result_state).toBe('CANCELED');
    expect(canceled.tasks.every((t) => t.start_time === 0)).toBe(true);
    const [ra, rc] = await Promise.all([
      engine.client.waitForRun(a.run_id, { timeoutMs: 60_000 }),
      engine.client.waitForRun(c.run_id, { timeoutMs: 60_000 }),
    ]);
    expect([ra.state.result_state, rc.state.result_state]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(rc.tasks[0]!.start_time).toBeGreaterThanOrEqual(ra.tasks[0]!.end_time);
    expect(rc.queue_duration).toBeGreaterThan(0);
    await engine.client.deleteJob(job_id);
  });

  it('scheduled runs share the limit with run-now: a fire over the limit is recorded as skipped', async () => {
    const { job_id } = await engine.client.createJob(
      job('every second', [sh('work', 'sleep 30')], {
        schedule: { quartz_cron_expression: '* * * * * ?', timezone_id: 'UTC' },
      })
    );
    const skipped = await waitFor(
      async () => {
        const runs = await engine.client.listRuns({ jobId: job_id, limit: 25 });
        return runs.find((r) => r.state.life_cycle_state === 'SKIPPED' && r.trigger === 'PERIODIC');
      },
      'a skipped scheduled run',
      60_000
    );
    expect(skipped.state.result_state).toBe('MAXIMUM_CONCURRENT_RUNS_REACHED');
    await engine.client.resetJob(job_id, job('paused', [sh('work', 'true')]));
    for (const r of await engine.client.listRuns({ jobId: job_id, activeOnly: true }))
      await engine.client.cancelRun(r.run_id);
    await engine.client.deleteJob(job_id);
  });
});
