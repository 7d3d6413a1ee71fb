// The HTTP senders and the dispatcher against real receivers on loopback: each body is checked
// against its receiver's documented schema (test/helpers/receiver-schemas.ts), with basic auth,
// the idempotency header, PagerDuty's trigger/resolve under one dedup key per job, and the retry
// classification (a receiver answering 500 then 200; 4xx; nobody listening). Destinations are
// real records in Temporal, read back with their secrets only for delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationMessage } from '../../core/notifications/message';
import { DeliveryError } from '../../notifications/delivery-error';
import { deliverToDestination } from '../../notifications/destinations';
import { NotificationDestinationStore } from '../../stores/notification-destinations';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import {
  GenericWebhookPayload,
  PagerDutyResolve,
  PagerDutyTrigger,
  SlackWebhookBody,
  TeamsMessageCard,
} from '../helpers/receiver-schemas';
import { useEngine } from './harness';

const SLACK_TOKEN = 'T000SLACK/B000HOOK/slack-webhook-secret-93af';
const TEAMS_TOKEN = 'teams-webhook-secret-5c1e';
const PD_KEY = 'pagerdutyintegrationkey0000f00d';
const PASSWORD = 'webhook-password-77aa';

function message(over: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    event: 'on_failure',
    event_id: `run-42-exec-1/job/on_failure/${Math.random().toString(36).slice(2)}`,
    job: { job_id: 7, name: 'nightly etl' },
    run: {
      run_id: 42,
      run_name: 'nightly etl',
      run_page_url: 'http://127.0.0.1:8080/#/jobs/7/runs/42',
      life_cycle_state: 'TERMINATED',
      result_state: 'FAILED',
      state_message: 'Task ingest failed',
      start_time: 1_764_000_000_000,
      end_time: 1_764_000_065_000,
      duration_ms: 65_000,
      failed_tasks: [{ task_key: 'ingest', error: 'ValueError: bad row 17\nTraceback …' }],
    },
    ...over,
  };
}

const noEmail = {
  sendEmail: () => Promise.reject(new Error('no email destination in this test')),
};

describe('notification senders', () => {
  const engine = useEngine('notification senders', { worker: false });
  let receiver: HttpReceiver;
  let store: NotificationDestinationStore;
  const deliver = (id: string, m: NotificationMessage) =>
    deliverToDestination(engine.temporal, id, m, noEmail, { pagerdutyEventsUrl: `${receiver.base}/v2/enqueue` });

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    store = NotificationDestinationStore.of(engine.temporal);
  });
  afterAll(() => receiver?.close());

  it('Slack: a Block Kit incoming-webhook message with the facts, the failed tasks and a button to the run', async () => {
    const d = await store.create({
      display_name: 'slack alerts',
      config: { slack: { url: `${receiver.base}/services/${SLACK_TOKEN}` } },
    });
    const before = receiver.requests.length;
    await deliver(d.id, message());
    const req = receiver.requests[before]!;
    expect(req.path).toBe(`/services/${SLACK_TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    const body = SlackWebhookBody.parse(req.body);
    expect(body.text).toBe('Job "nightly etl" run 42 failed');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Job "nightly etl" run 42 failed', emoji: true },
    });
    expect(JSON.stringify(body.blocks[1])).toContain('*Duration*\\n1 min 5 s');
    expect(body.blocks[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Failed tasks*\n• ingest: ValueError: bad row 17' },
    });
    expect(body.blocks[3]).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', url: 'http://127.0.0.1:8080/#/jobs/7/runs/42' }],
    });
  });

  it('Microsoft Teams: a connector message card with facts and an OpenUri action', async () => {
    const d = await store.create({
      display_name: 'teams alerts',
      config: { microsoft_teams: { url: `${receiver.base}/webhookb2/${TEAMS_TOKEN}` } },
    });
    const before = receiver.requests.length;
    await deliver(
      d.id,
      message({ event: 'on_success', run: { ...message().run, result_state: 'SUCCESS', failed_tasks: [] } })
    );
    const card = TeamsMessageCard.parse(receiver.requests[before]!.body);
    expect(card.title).toBe('Job "nightly etl" run 42 succeeded');
    expect(card.themeColor).toBe('2EB886');
    expect(card.sections![0]!.facts).toContainEqual({ name: 'State', value: 'TERMINATED / SUCCESS' });
    expect(card.potentialAction![0]!.targets[0]!.uri).toBe('http://127.0.0.1:8080/#/jobs/7/runs/42');
  });

  it('PagerDuty: failures trigger under one dedup key per job, the next success resolves it, a start sends nothing', async () => {
    const d = await store.create({ display_name: 'on call', config: { pagerduty: { integration_key: PD_KEY } } });
    const before = receiver.requests.length;
    await deliver(d.id, message({ event: 'on_start' }));
    await deliver(d.id, message());
    await deliver(d.id, message({ run: { ...message().run, run_id: 43 } }));
    await deliver(
      d.id,
      message({
        event: 'on_duration_warning_threshold_exceeded',
        threshold_seconds: 600,
        run: { ...message().run, run_id: 44, life_cycle_state: 'RUNNING', result_state: undefined },
      })
    );
    await deliver(
      d.id,
      message({ event: 'on_success', run: { ...message().run, run_id: 44, result_state: 'SUCCESS' } })
    );
    const sent = receiver.requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual(['/v2/enqueue', '/v2/enqueue', '/v2/enqueue', '/v2/enqueue']);
    const [first, second, warning] = sent.slice(0, 3).map((r) => PagerDutyTrigger.parse(r.body));
    expect(first).toMatchObject({
      routing_key: PD_KEY,
      event_action: 'trigger',
      dedup_key: 'djobs-job-7',
      payload: { summary: 'Job "nightly etl" run 42 failed', source: 'durable-jobs job 7', severity: 'error' },
      links: [{ href: 'http://127.0.0.1:8080/#/jobs/7/runs/42', text: 'View run' }],
    });
    expect(second!.dedup_key).toBe(first!.dedup_key);
    expect(warning!.payload).toMatchObject({
      summary: 'Job "nightly etl" run 44 has been running longer than 600 s',
      severity: 'warning',
    });
    expect(PagerDutyResolve.parse(sent[3]!.body)).toEqual({
      routing_key: PD_KEY,
      event_action: 'resolve',
      dedup_key: 'djobs-job-7',
    });
  });

  it('generic webhook: the Databricks payload, basic auth and the event id as Idempotency-Key', async () => {
    const d = await store.create({
      display_name: 'ops hook',
      config: { generic_webhook: { url: `${receiver.base}/hook?token=abc`, username: 'ops', password: PASSWORD } },
    });
    const m = message({
      task: {
        task_key: 'ingest',
        run_id: 42 * 2 ** 17 + 1,
        attempt_number: 2,
        result_state: 'FAILED',
        error: 'ValueError: bad row 17',
      },
    });
    const before = receiver.requests.length;
    await deliver(d.id, m);
    const req = receiver.requests[before]!;
    expect(req.path).toBe('/hook?token=abc');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`);
    expect(req.headers['idempotency-key']).toBe(m.event_id);
    const body = GenericWebhookPayload.parse(req.body);
    expect(body).toMatchObject({
      event_type: 'jobs.on_failure',
      event_id: m.event_id,
      job: { job_id: 7, name: 'nightly etl' },
      run: { run_id: 42, run_page_url: 'http://127.0.0.1:8080/#/jobs/7/runs/42', result_state: 'FAILED' },
      task: { task_key: 'ingest', attempt_number: 2 },
    });

    const anonymous = await store.create({
      display_name: 'open hook',
      config: { generic_webhook: { url: `${receiver.base}/open` } },
    });
    await deliver(anonymous.id, message({ event: 'on_start' }));
    const open = receiver.requests[before + 1]!;
    expect(open.headers.authorization).toBeUndefined();
    expect(GenericWebhookPayload.parse(open.body).event_type).toBe('jobs.on_start');
  });

  it('a receiver answering 500 is a retryable DeliveryError, and the retry with the same event id succeeds', async () => {
    const d = await store.create({
      display_name: 'flaky hook',
      config: { generic_webhook: { url: `${receiver.base}/flaky` } },
    });
    const m = message();
    receiver.failNext([500]);
    const before = receiver.requests.length;
    const err = await deliver(d.id, m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({
      name: 'DeliveryError',
      receiver: 'generic_webhook',
      retryable: true,
      status: 500,
      message: 'generic_webhook: the receiver answered HTTP 500: receiver failure',
    });
    await deliver(d.id, m);
    const [failed, ok] = receiver.requests.slice(before);
    expect([failed!.status, ok!.status]).toEqual([500, 200]);
    expect(ok!.headers['idempotency-key']).toBe(failed!.headers['idempotency-key']);
  });

  it('429 is retryable with its Retry-After; another 4xx is not; nobody listening is retryable; no error shows a secret', async () => {
    const slack = await store.create({
      display_name: 'rate limited',
      config: { slack: { url: `${receiver.base}/services/${SLACK_TOKEN}` } },
    });
    receiver.failNext([429]);
    const limited = (await deliver(slack.id, message()).catch((e: unknown) => e)) as DeliveryError;
    expect(limited).toMatchObject({ retryable: true, status: 429 });
    receiver.failNext([404], 'no_service');
    const gone = (await deliver(slack.id, message()).catch((e: unknown) => e)) as DeliveryError;
    expect(gone).toMatchObject({
      retryable: false,
      status: 404,
      message: 'slack: the receiver answered HTTP 404: no_service',
    });

    const closed = await startHttpReceiver();
    const deadUrl = `${closed.base}/services/${SLACK_TOKEN}`;
    await closed.close();
    const dead = await store.create({ display_name: 'dead', config: { slack: { url: deadUrl } } });
    const unreachable = (await deliver(dead.id, message()).catch((e: unknown) => e)) as DeliveryError;
    expect(unreachable).toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      message: 'slack: the receiver could not be reached (ECONNREFUSED)',
    });
    for (const e of [limited, gone, unreachable]) expect(`${e.message}${e.stack}`).not.toContain(SLACK_TOKEN);
  });

  it('an email destination goes through the injected sendEmail; a deleted destination is a non-retryable error', async () => {
    const d = await store.create({
      display_name: 'team mail',
      config: { email: { addresses: ['ops@example.com', 'lead@example.com'] } },
    });
    const sent: { addresses: string[]; event_id: string }[] = [];
    const m = message();
    await deliverToDestination(engine.temporal, d.id, m, {
      sendEmail: async (addresses, msg) => {
        sent.push({ addresses, event_id: msg.event_id });
      },
    });
    expect(sent).toEqual([{ addresses: ['ops@example.com', 'lead@example.com'], event_id: m.event_id }]);

    await store.delete(d.id);
    const err = await deliverToDestination(engine.temporal, d.id, m, noEmail).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'DeliveryError',
      retryable: false,
      message: `Notification destination ${d.id} does not exist.`,
    });
  });

  it('the stored record holds no secret in the clear, even to whoever decodes payloads', async () => {
    const d = await store.create({
      display_name: 'sealed',
      config: {
        generic_webhook: { url: `${receiver.base}/sealed/${SLACK_TOKEN}`, username: 'ops', password: PASSWORD },
      },
    });
    const described = await engine.temporal.schedule.getHandle(`djobs-notification-destination-${d.id}`).describe();
    const decoded = JSON.stringify(described.action);
    expect(decoded).toContain('sealed');
    for (const secret of [SLACK_TOKEN, PASSWORD, 'ops']) expect(decoded).not.toContain(`"${secret}"`);
    expect(decoded).not.toContain(SLACK_TOKEN);
    expect(decoded).not.toContain(PASSWORD);
    // The raw payload in Temporal is ciphertext: no display name either.
    const raw = await engine.temporal.workflowService.describeSchedule({
      namespace: engine.temporal.options.namespace,
      scheduleId: `djobs-notification-destination-${d.id}`,
    });
    const payloads = raw.schedule?.action?.startWorkflow?.input?.payloads ?? [];
    expect(payloads).toHaveLength(1);
    const stored = Buffer.from(payloads[0]!.data!).toString('latin1');
    expect(Buffer.from(payloads[0]!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    for (const clear of ['sealed/', PASSWORD, 'generic_webhook']) expect(stored).not.toContain(clear);
  });
});
