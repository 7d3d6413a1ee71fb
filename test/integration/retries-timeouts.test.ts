// Task retry policy and timeouts, as users rely on them: attempt counts, intervals measured from
// the start of the failed attempt, retry_on_timeout, and the job-level timeout.
import { describe, expect, it } from 'vitest';
import { attemptsOf, expectRetriedTwice, flakyJob, job, latestByKey, sh, useEngine } from './harness';

describe('retries and timeouts', () => {
  const engine = useEngine('retries');

  it('retries a failing task max_retries times, min_retry_interval_millis apart, each attempt its own run', async () => {
    const { spec, counter } = flakyJob(engine.workDir, 1500);
    const { run_id } = await engine.client.submitRun(spec);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const attempts = expectRetriedTwice(run, counter);
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]!.start_time - attempts[i - 1]!.start_time).toBeGreaterThanOrEqual(1500);
    }
  });

  it('gives up after the last retry and fails the run', async () => {
    const { run_id } = await engine.client.submitRun(
      job('always fails', [sh('bad', 'echo nope; exit 7', { max_retries: 1 })])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(attemptsOf(run, 'bad').map((a) => a.state.result_state)).toEqual(['FAILED', 'FAILED']);
    expect(run.state.result_state).toBe('FAILED');
    const out = await engine.client.getRunOutput(run_id, 'bad');
    expect(out.error).toBe('Command exited with code 7');
    expect(out.logs).toContain('nope');
  });

  it('a timed-out attempt is killed and not retried unless retry_on_timeout', async () => {
    const { run_id } = await engine.client.submitRun(
      job('timeouts', [
        sh('no_retry', 'sleep 60', { timeout_seconds: 1, max_retries: 2 }),
        sh('retry', 'sleep 60', { timeout_seconds: 1, max_retries: 1, retry_on_timeout: true }),
      ])
    );
    const started = Date.now();
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(attemptsOf(run, 'no_retry').map((a) => a.state.result_state)).toEqual(['TIMEDOUT']);
    expect(attemptsOf(run, 'retry').map((a) => a.state.result_state)).toEqual(['TIMEDOUT', 'TIMEDOUT']);
    for (const a of run.tasks) expect(a.end_time - a.start_time).toBeLessThan(10_000);
    expect(run.state.result_state).toBe('FAILED');
  });

  it('the job timeout_seconds ends the run TIMEDOUT and stops its tasks', async () => {
    const { run_id } = await engine.client.submitRun(
      job('job timeout', [sh('slow', 'sleep 60'), sh('next', 'true', { depends_on: [{ task_key: 'slow' }] })], {
        timeout_seconds: 2,
      })
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state).toMatchObject({
      life_cycle_state: 'TERMINATED',
      result_state: 'TIMEDOUT',
      user_cancelled_or_timedout: true,
    });
    expect(run.end_time - run.start_time).toBeLessThan(15_000);
    const t = latestByKey(run);
    expect(t.slow!.state.result_state).toBe('TIMEDOUT');
    expect(t.next!.state.life_cycle_state).toBe('SKIPPED');
  });
});
