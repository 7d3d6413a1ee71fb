// A generic webhook receives the Databricks jobs webhook payload
// (https://docs.databricks.com/en/jobs/notifications.html: `event_type` such as `jobs.on_failure`,
// the job's id and name, the run's id), plus durable-jobs' extensions: the run page URL, the
// states, times and failed tasks, the task of a task-level notification. `Idempotency-Key` carries
// the event id, so a receiver can drop a delivery retried after a lost response; basic auth when
// the destination has a username or password.
import type { NotificationMessage } from '../core/notifications/message';
import { postJson } from './http-post';

export function genericWebhookBody(m: NotificationMessage) {
  return {
    event_type: `jobs.${m.event}`,
    event_id: m.event_id,
    job: { job_id: m.job.job_id, name: m.job.name },
    run: {
      run_id: m.run.run_id,
      run_name: m.run.run_name,
      run_page_url: m.run.run_page_url,
      life_cycle_state: m.run.life_cycle_state,
      ...(m.run.result_state !== undefined ? { result_state: m.run.result_state } : {}),
      ...(m.run.state_message !== undefined ? { state_message: m.run.state_message } : {}),
      start_time: m.run.start_time,
      ...(m.run.end_time !== undefined ? { end_time: m.run.end_time } : {}),
      ...(m.run.duration_ms !== undefined ? { duration_ms: m.run.duration_ms } : {}),
      failed_tasks: m.run.failed_tasks,
    },
    ...(m.task ? { task: m.task } : {}),
    ...(m.threshold_seconds !== undefined ? { threshold_seconds: m.threshold_seconds } : {}),
  };
}

export interface WebhookCredentials {
  username?: string;
  password?: string;
}

export function genericWebhookHeaders(m: NotificationMessage, auth: WebhookCredentials): Record<string, string> {
  const headers: Record<string, string> = { 'Idempotency-Key': m.event_id };
  if (auth.username !== undefined || auth.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`;
  return headers;
}

export async function sendGenericWebhook(
  url: string,
  m: NotificationMessage,
  auth: WebhookCredentials = {}
): Promise<void> {
  await postJson('generic_webhook', url, genericWebhookBody(m), genericWebhookHeaders(m, auth));
}
