// Timers users set in minutes and hours, on Temporal's time-skipping test server
// (test/helpers/time-skipping.ts): a 15-minute retry interval, a 30-minute job timeout, a
// 10-minute run duration warning. Each test asserts the real durations in workflow time (history
// event times, run times kept by the workflow) and takes seconds of wall-clock time.
//
// The server skips time only while nothing is running: never during a task attempt (an activity),
// so every wait here is one the workflow itself keeps (a retry wait, the job timeout, a health
// rule). Timeouts of running tasks (task timeout_seconds, the job timeout of a running task) are
// enforced on the worker's clock and stay on the dev server (retries-timeouts.test.ts).
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../core';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-server';
import { useTimeSkippingEngine, type TimeSkippingEngine } from '../helpers/time-skipping';
import { attemptsOf, expectRetriedTwice, flakyJob, job, latestByKey, sh } from './harness';

const MINUTE = 60_000;

/** When the run's task attempts were scheduled, in workflow time (ms), in order. */
async function attemptsScheduledAt(engine: TimeSkippingEngine, runId: number): Promise<number[]> {
  const { events } = await engine.timeSkipping.getHandle(runWorkflowId(runId)).fetchHistory();
  return (events ?? [])
    .filter(
      (e) =>
        e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTaskAttempt'
    )
    .map((e) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6));
}

describe('timers in workflow time (time-skipping test server)', () => {
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
  });
  afterAll(() => smtp?.stop());
  const engine = useTimeSkippingEngine('time skipping', () => ({
    email: {
      from: 'djobs@example.com',
      outbox: '/nonexistent-outbox',
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false },
    },
  }));

  it('a failed task is retried twice, min_retry_interval_millis (15 minutes) apart, each attempt its own task run', async () => {
    const { spec, counter } = flakyJob(engine.workDir, 15 * MINUTE);
    const wallStart = Date.now();
    const { run_id } = await engine.client.submitRun(spec);
    const run = await engine.finish(run_id);
    const wallElapsed = Date.now() - wallStart;
    expectRetriedTwice(run, counter);
    // On the workflow's clock, each retry started 15 minutes after the attempt before it did
    // (timers fire on whole seconds, so within a minute more)...
    const starts = (await engine.client.getRunState(run_id)).tasks.flaky!.attempts.map((a) => a.workflowStartTime!);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps).toHaveLength(2);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(15 * MINUTE);
      expect(gap).toBeLessThan(16 * MINUTE);
    }
    // ...and on the server's: each retry's activity was scheduled that much after the one before.
    const scheduled = await attemptsScheduledAt(engine, run_id);
    expect(scheduled).toHaveLength(4); // flaky's three attempts, then after's one
    expect(scheduled[1]! - scheduled[0]!).toBeGreaterThan(14 * MINUTE);
    expect(scheduled[2]! - scheduled[1]!).toBeGreaterThan(14 * MINUTE);
    // Half an hour of retry waits, skipped rather than waited.
    expect(wallElapsed).toBeLessThan(gaps[0]!);
  });

  it('the job timeout_seconds (30 minutes) ends a run whose task waits an hour to retry', async () => {
    const { run_id } = await engine.client.submitRun(
      job(
        'job timeout',
        [
          sh('bad', 'exit 1', { max_retries: 3, min_retry_interval_millis: 60 * MINUTE }),
          sh('next', 'true', { depends_on: [{ task_key: 'bad' }] }),
        ],
        { timeout_seconds: 30 * 60 }
      )
    );
    const run = await engine.finish(run_id);
    expect(run.state).toMatchObject({
      life_cycle_state: 'TERMINATED',
      result_state: 'TIMEDOUT',
      user_cancelled_or_timedout: true,
    });
    // Start and end are the workflow's own clock: the run lasted the job's 30 minutes.
    expect(run.end_time - run.start_time).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(run.end_time - run.start_time).toBeLessThan(31 * MINUTE);
    expect((await attemptsScheduledAt(engine, run_id)).length).toBe(1);
    // The retry never started: ended by the job timeout while it waited.
    expect(attemptsOf(run, 'bad').map((a) => [a.state.life_cycle_state, a.state.result_state])).toEqual([
      ['TERMINATED', 'FAILED'],
      ['SKIPPED', 'TIMEDOUT'],
    ]);
    expect(latestByKey(run).next!.state.life_cycle_state).toBe('SKIPPED');
  });

  it('a RUN_DURATION_SECONDS rule of 10 minutes warns once while the run waits 15 minutes to retry; the run succeeds', async () => {
    const slow = `slow-${Date.now().toString(36)}@example.com`;
    const counter = path.join(engine.workDir, 'health-count');
    const flaky = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; [ "$n" -ge 1 ]`;
    const { run_id } = await engine.client.submitRun(
      job('slow but fine', [sh('flaky', flaky, { max_retries: 1, min_retry_interval_millis: 15 * MINUTE })], {
        health: { rules: [{ metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 600 }] },
        email_notifications: { on_duration_warning_threshold_exceeded: [slow], on_success: [slow] },
      })
    );
    // The workflow closes once its notifications are delivered.
    const run = await engine.finish(run_id);
    expect(run.state.result_state).toBe('SUCCESS');
    expect(run.end_time - run.start_time).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(
      smtp
        .mailsTo(slow)
        .map((m) => m.subject)
        .sort()
    ).toEqual([
      `[durable-jobs] Run of slow but fine is running longer than expected (over 600 s): run ${run_id}`,
      `[durable-jobs] Run of slow but fine succeeded: run ${run_id}, SUCCESS`,
    ]);
    expect(smtp.mailsTo(slow).find((m) => m.subject.includes('longer'))!.text).toContain('Duration threshold: 600 s');
  });
});
