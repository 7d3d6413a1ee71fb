// Run notifications delivered to a real SMTP server on loopback (npm smtp-server, mails parsed by
// mailparser): Databricks semantics of email_notifications, notification_settings and health rules,
// durable delivery across a kill -9 of the worker, retries of temporary SMTP failures, and failed
// deliveries recorded on the run without changing its result.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId, type NotificationDelivery, type Run } from '../../core';
import { NotificationDestinationStore } from '../../stores/notification-destinations';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { GenericWebhookPayload, PagerDutyResolve, PagerDutyTrigger } from '../helpers/receiver-schemas';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-server';
import { job, sh, startEngine, startWorkerProcess, waitFor, type Engine } from './harness';

/** A unique address per test, so each test reads only its own mails. */
let counter = 0;
const address = (what: string) => `${what}-${Date.now().toString(36)}-${++counter}@example.com`;
const deliveries = (run: Run) =>
  (run as Run & { notification_deliveries?: NotificationDelivery[] }).notification_deliveries ?? [];

/**
 * A run once its workflow has closed: get-run shows the result as soon as it is known, and the
 * notifications go out after it, so the workflow closes once every delivery has ended.
 */
async function closedRun(engine: Engine, runId: number): Promise<Run> {
  await engine.client.waitForRun(runId, { timeoutMs: 90_000 });
  await engine.temporal.workflow
    .getHandle(runWorkflowId(runId))
    .result()
    .catch(() => undefined);
  return engine.client.getRun(runId);
}

describe('email notifications', () => {
  let smtp: SmtpReceiver;
  let engine: Engine;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    engine = await startEngine('notifications', {
      email: {
        from: 'djobs@example.com',
        outbox: '/nonexistent-outbox',
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false },
      },
    });
  });
  afterAll(async () => {
    await engine?.stop();
    await smtp?.stop();
  });

  it('a successful run: on_start and on_success, with the run page, times and a Message-ID from the event id', async () => {
    const ops = address('ops');
    const { run_id } = await engine.client.submitRun(
      job('nightly load', [sh('load', 'echo loaded')], {
        email_notifications: { on_start: [ops], on_success: [ops], on_failure: [ops] },
      })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('SUCCESS');
    const mails = smtp.mailsTo(ops);
    expect(mails.map((m) => m.subject).sort()).toEqual([
      `[durable-jobs] Run of nightly load started: run ${run_id}`,
      `[durable-jobs] Run of nightly load succeeded: run ${run_id}, SUCCESS`,
    ]);
    const success = mails.find((m) => m.subject.includes('succeeded'))!;
    expect(success.messageId).toBe(`<djobs-run-${run_id}-x0-job-on_success-email@durable-jobs>`);
    expect(success.text).toContain(`Run page: ${engine.client.runPageUrl(run_id)}`);
    expect(success.text).toMatch(/Started: \d{4}-\d\d-\d\dT/);
    expect(success.text).toMatch(/Ended: \d{4}-\d\d-\d\dT/);
    expect(success.text).toMatch(/Duration: \d+\.\d s/);
    expect(deliveries(run).map((d) => [d.event, d.status])).toEqual(
      expect.arrayContaining([
        ['on_start', 'DELIVERED'],
        ['on_success', 'DELIVERED'],
      ])
    );
    expect(deliveries(run)).toHaveLength(2);
  });

  it('a failure after retries: task on_failure per attempt, or only the last with alert_on_last_attempt; one job on_failure', async () => {
    const every = address('every');
    const last = address('last');
    const jobOps = address('job');
    const failing = (key: string, to: string, lastOnly: boolean) =>
      sh(key, `echo "${key} broke" >&2; exit 3`, {
        max_retries: 2,
        min_retry_interval_millis: 0,
        email_notifications: { on_start: [to], on_failure: [to] },
        ...(lastOnly ? { notification_settings: { alert_on_last_attempt: true } } : {}),
      });
    const { run_id } = await engine.client.submitRun(
      job('retrying', [failing('every', every, false), failing('last', last, true)], {
        email_notifications: { on_failure: [jobOps] },
      })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('FAILED');
    const subjects = (to: string) => smtp.mailsTo(to).map((m) => m.subject.replace(/: run \d+/, ''));
    expect(subjects(every).filter((s) => s.includes('started'))).toHaveLength(3);
    expect(subjects(every).filter((s) => s.includes('failed'))).toHaveLength(3);
    expect(subjects(last).sort()).toEqual([
      '[durable-jobs] Task last of retrying failed, FAILED',
      '[durable-jobs] Task last of retrying started',
    ]);
    const lastFailure = smtp.mailsTo(last).find((m) => m.subject.includes('failed'))!;
    expect(lastFailure.text).toContain('attempt 2)');
    expect(lastFailure.text).toContain('Task error:');
    // The job's own recipients hear once, at the end, with each failed task's error.
    const jobMails = smtp.mailsTo(jobOps);
    expect(jobMails).toHaveLength(1);
    expect(jobMails[0]!.subject).toBe(`[durable-jobs] Run of retrying failed: run ${run_id}, FAILED`);
    expect(jobMails[0]!.text).toContain('Failed tasks:\n- every: ');
    expect(jobMails[0]!.text).toContain('\n- last: ');
  });

  it('canceled runs notify on_failure unless no_alert_for_canceled_runs', async () => {
    const loud = address('canceled-loud');
    const quiet = address('canceled-quiet');
    const start = async (to: string, noAlert: boolean) => {
      const started = path.join(engine.workDir, `started-${to}`);
      const { run_id } = await engine.client.submitRun(
        job('to cancel', [sh('wait', `touch ${started}; sleep 60`)], {
          email_notifications: { on_failure: [to] },
          ...(noAlert ? { notification_settings: { no_alert_for_canceled_runs: true } } : {}),
        })
      );
      await waitFor(() => fs.existsSync(started), 'the task to start', 60_000);
      await engine.client.cancelRun(run_id);
      return closedRun(engine, run_id);
    };
    const [a, b] = await Promise.all([start(loud, false), start(quiet, true)]);
    expect(a.state.result_state).toBe('CANCELED');
    expect(b.state.result_state).toBe('CANCELED');
    expect(smtp.mailsTo(loud).map((m) => m.subject)).toEqual([
      `[durable-jobs] Run of to cancel failed: run ${a.run_id}, CANCELED`,
    ]);
    expect(smtp.mailsTo(quiet)).toEqual([]);
    expect(deliveries(b)).toEqual([]);
  });

  it('skipped runs notify on_failure unless no_alert_for_skipped_runs', async () => {
    const skippedRun = async (to: string, noAlert: boolean) => {
      const gate = path.join(engine.workDir, `gate-${to}`);
      const { job_id } = await engine.client.createJob(
        job('one at a time', [sh('work', `while [ ! -f ${gate} ]; do sleep 0.1; done`)], {
          max_concurrent_runs: 1,
          email_notifications: { on_failure: [to] },
          ...(noAlert ? { notification_settings: { no_alert_for_skipped_runs: true } } : {}),
        })
      );
      const first = await engine.client.runNow(job_id);
      await waitFor(
        async () => (await engine.client.getRun(first.run_id)).state.life_cycle_state === 'RUNNING',
        'the first run to be admitted'
      );
      const second = await engine.client.runNow(job_id);
      const skipped = await closedRun(engine, second.run_id);
      fs.writeFileSync(gate, '');
      await closedRun(engine, first.run_id);
      return skipped;
    };
    const loud = address('skipped-loud');
    const quiet = address('skipped-quiet');
    const [a, b] = await Promise.all([skippedRun(loud, false), skippedRun(quiet, true)]);
    expect(a.state.life_cycle_state).toBe('SKIPPED');
    expect(b.state.life_cycle_state).toBe('SKIPPED');
    expect(smtp.mailsTo(loud).map((m) => m.subject)).toEqual([
      `[durable-jobs] Run of one at a time failed: run ${a.run_id}, MAXIMUM_CONCURRENT_RUNS_REACHED`,
    ]);
    expect(smtp.mailsTo(quiet)).toEqual([]);
  });

  it('a duration health rule warns exactly once, and the run goes on to succeed', async () => {
    const slow = address('slow');
    const taskSlow = address('task-slow');
    const { run_id } = await engine.client.submitRun(
      job(
        'slow but fine',
        [
          sh('nap', 'sleep 4', {
            health: { rules: [{ metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 1 }] },
            email_notifications: { on_duration_warning_threshold_exceeded: [taskSlow] },
          }),
        ],
        {
          health: { rules: [{ metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 1 }] },
          email_notifications: { on_duration_warning_threshold_exceeded: [slow], on_success: [slow] },
        }
      )
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('SUCCESS');
    const subjects = smtp.mailsTo(slow).map((m) => m.subject);
    expect(subjects.sort()).toEqual([
      `[durable-jobs] Run of slow but fine is running longer than expected (over 1 s): run ${run_id}`,
      `[durable-jobs] Run of slow but fine succeeded: run ${run_id}, SUCCESS`,
    ]);
    expect(smtp.mailsTo(taskSlow).map((m) => m.subject)).toEqual([
      `[durable-jobs] Task nap of slow but fine is running longer than expected (over 1 s): run ${run_id}`,
    ]);
    expect(smtp.mailsTo(taskSlow)[0]!.text).toContain('Duration threshold: 1 s');
  });

  it('an SMTP server that answers 451 twice: delivered once on the third try, the run result unchanged', async () => {
    const flaky = address('flaky');
    smtp.failTemporarily(flaky, 2);
    const { run_id } = await engine.client.submitRun(
      job('flaky receiver', [sh('bad', 'exit 1')], { email_notifications: { on_failure: [flaky] } })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('FAILED');
    expect(smtp.attempts(flaky)).toBe(3);
    expect(smtp.mailsTo(flaky)).toHaveLength(1);
    expect(deliveries(run)).toEqual([
      expect.objectContaining({
        event: 'on_failure',
        status: 'DELIVERED',
        target: { type: 'email', addresses: [flaky] },
      }),
    ]);
  });

  it('a receiver that refuses for good: the failure is recorded on the run, which still succeeds', async () => {
    const gone = address('gone');
    smtp.refuse(gone);
    const { run_id } = await engine.client.submitRun(
      job('refused mail', [sh('ok', 'true')], { email_notifications: { on_success: [gone] } })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('SUCCESS');
    expect(smtp.attempts(gone)).toBe(1); // a 5xx answer is not retried
    const [d] = deliveries(run);
    expect(d).toMatchObject({ event: 'on_success', status: 'FAILED' });
    expect(d!.error).toContain('550');
    expect(d!.error).toContain('Mailbox unavailable');
  });
});

describe('durable delivery', () => {
  let smtp: SmtpReceiver;
  let engine: Engine;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    // No in-process worker: the workers are processes of their own that the test can kill.
    engine = await startEngine('notifications durable', { worker: false, heartbeatTimeoutSeconds: 3 });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await engine?.stop();
    await smtp?.stop();
  });

  it('kill -9 of the worker between the failure and the delivery: exactly one email arrives', async () => {
    const ops = address('durable');
    const env = { DJOBS_SMTP_HOST: '127.0.0.1', DJOBS_SMTP_PORT: String(smtp.port) };
    smtp.hold(ops);
    const first = startWorkerProcess(engine, env);
    workers.push(first);
    const { run_id } = await engine.client.submitRun(
      job('crash mid-delivery', [sh('bad', 'exit 1')], { email_notifications: { on_failure: [ops] } })
    );
    // The run failed and its delivery is in flight (held at DATA by the server): kill the worker.
    await waitFor(() => smtp.holding(ops), 'the delivery to reach the SMTP server', 60_000);
    first.kill('SIGKILL');
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, 'the worker to die');
    smtp.release(ops);
    expect(smtp.mailsTo(ops)).toHaveLength(0);
    workers.push(startWorkerProcess(engine, env));
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('FAILED');
    expect(smtp.mailsTo(ops)).toHaveLength(1);
    expect(smtp.mailsTo(ops)[0]!.messageId).toBe(`<djobs-run-${run_id}-x0-job-on_failure-email@durable-jobs>`);
    expect(smtp.attempts(ops)).toBe(2);
    expect(deliveries(run)).toEqual([expect.objectContaining({ event: 'on_failure', status: 'DELIVERED' })]);
  });
});

describe('webhook_notifications through notification destinations', () => {
  let receiver: HttpReceiver;
  let engine: Engine;
  let store: NotificationDestinationStore;
  beforeAll(async () => {
    receiver = await startHttpReceiver();
    engine = await startEngine('notifications destinations', { pagerdutyEventsUrl: `${receiver.base}/v2/enqueue` });
    store = NotificationDestinationStore.of(engine.temporal);
  });
  afterAll(async () => {
    await engine?.stop();
    await receiver?.close();
  });

  it('a run notifies a generic webhook destination with the Databricks payload and its event id', async () => {
    const hook = await store.create({
      display_name: 'ops webhook',
      config: { generic_webhook: { url: `${receiver.base}/hook/ops`, username: 'djobs', password: 'hook-secret' } },
    });
    const { run_id } = await engine.client.submitRun(
      job('webhooked', [sh('bad', 'echo broken >&2; exit 2')], {
        webhook_notifications: { on_start: [{ id: hook.id }], on_failure: [{ id: hook.id }] },
      })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('FAILED');
    const requests = receiver.requests.filter((r) => r.path === '/hook/ops');
    const bodies = requests.map((r) => GenericWebhookPayload.parse(r.body));
    expect(bodies.map((b) => b.event_type)).toEqual(['jobs.on_start', 'jobs.on_failure']);
    const failure = bodies[1]!;
    expect(failure.event_id).toBe(`djobs-run-${run_id}-x0-job-on_failure-destination-${hook.id}`);
    expect(requests[1]!.headers['idempotency-key']).toBe(failure.event_id);
    expect(requests[1]!.headers.authorization).toBe(`Basic ${Buffer.from('djobs:hook-secret').toString('base64')}`);
    expect(failure.run).toMatchObject({
      run_id,
      result_state: 'FAILED',
      run_page_url: engine.client.runPageUrl(run_id),
    });
    expect(failure.run.failed_tasks.map((t) => t.task_key)).toEqual(['bad']);
    expect(deliveries(run).map((d) => [d.event, d.status, d.target])).toEqual([
      ['on_start', 'DELIVERED', { type: 'destination', id: hook.id }],
      ['on_failure', 'DELIVERED', { type: 'destination', id: hook.id }],
    ]);
  });

  it('a webhook receiver that answers 500 twice then 200: one event, delivered on the third try, the run result unchanged', async () => {
    const hook = await store.create({
      display_name: 'flaky webhook',
      config: { generic_webhook: { url: `${receiver.base}/hook/flaky` } },
    });
    receiver.failNext([500, 500]);
    const { run_id } = await engine.client.submitRun(
      job('flaky webhook', [sh('ok', 'true')], { webhook_notifications: { on_success: [{ id: hook.id }] } })
    );
    const run = await closedRun(engine, run_id);
    expect(run.state.result_state).toBe('SUCCESS');
    const requests = receiver.requests.filter((r) => r.path === '/hook/flaky');
    expect(requests.map((r) => r.status)).toEqual([500, 500, 200]);
    // The same event each time, under one idempotency key, so the receiver can drop repeats.
    const ids = requests.map((r) => GenericWebhookPayload.parse(r.body).event_id);
    expect(new Set(ids).size).toBe(1);
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual(ids);
    expect(deliveries(run).map((d) => [d.event, d.status, d.target])).toEqual([
      ['on_success', 'DELIVERED', { type: 'destination', id: hook.id }],
    ]);
  });

  it('PagerDuty: a failed run triggers an incident, the next success of the same job resolves it', async () => {
    const pd = await store.create({
      display_name: 'on-call',
      config: { pagerduty: { integration_key: 'pd-integration-key-0000' } },
    });
    const flag = path.join(engine.workDir, 'pd-fixed');
    const { job_id } = await engine.client.createJob(
      job('paged', [sh('work', `test -f ${flag}`)], {
        webhook_notifications: { on_failure: [{ id: pd.id }], on_success: [{ id: pd.id }] },
      })
    );
    const failed = await closedRun(engine, (await engine.client.runNow(job_id)).run_id);
    expect(failed.state.result_state).toBe('FAILED');
    fs.writeFileSync(flag, '');
    const fixed = await closedRun(engine, (await engine.client.runNow(job_id)).run_id);
    expect(fixed.state.result_state).toBe('SUCCESS');
    const events = receiver.requests.filter((r) => r.path === '/v2/enqueue');
    expect(events).toHaveLength(2);
    const trigger = PagerDutyTrigger.parse(events[0]!.body);
    const resolve = PagerDutyResolve.parse(events[1]!.body);
    expect(trigger.dedup_key).toBe(resolve.dedup_key);
    expect(trigger.dedup_key).toContain(String(job_id));
  });
});
