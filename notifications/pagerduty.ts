// PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
// a failure `trigger`s an alert and the next success of the same job `resolve`s it. The
// `dedup_key` is one per job, so repeated failures add to the open alert instead of opening new
// incidents, and a delivery retried after a lost response changes nothing. A duration warning
// triggers with severity `warning` under the same key (the run's success then resolves it); a
// start is not an incident and sends nothing.
import { DEFAULT_PAGERDUTY_EVENTS_URL } from '../config';
import type { NotificationMessage } from '../core/notifications/message';
import { postJson } from './http-post';
import { failedTaskLines, facts, headline } from './summary';

/** One alert per job: every run of the job triggers and resolves the same one. */
export const pagerDutyDedupKey = (m: NotificationMessage) => `djobs-job-${m.job.job_id}`;

/** The Events v2 body for a message, or undefined when the event is not an incident (a start). */
export function pagerDutyBody(integrationKey: string, m: NotificationMessage) {
  const base = { routing_key: integrationKey, dedup_key: pagerDutyDedupKey(m) };
  switch (m.event) {
    case 'on_start':
      return undefined;
    case 'on_success':
      return { ...base, event_action: 'resolve' as const };
    case 'on_failure':
    case 'on_duration_warning_threshold_exceeded':
      return {
        ...base,
        event_action: 'trigger' as const,
        payload: {
          summary: headline(m).slice(0, 1024),
          source: `durable-jobs job ${m.job.job_id}`,
          severity: m.event === 'on_failure' ? ('error' as const) : ('warning' as const),
          timestamp: new Date(m.run.end_time ?? m.run.start_time).toISOString(),
          component: m.job.name,
          group: 'durable-jobs',
          class: m.event,
          custom_details: {
            ...Object.fromEntries(facts(m)),
            ...(failedTaskLines(m).length > 0 ? { 'Failed tasks': failedTaskLines(m) } : {}),
          },
        },
        client: 'durable-jobs',
        client_url: m.run.run_page_url,
        links: [{ href: m.run.run_page_url, text: 'View run' }],
      };
    default:
      return m.event satisfies never;
  }
}

export async function sendPagerDuty(
  integrationKey: string,
  m: NotificationMessage,
  eventsUrl = DEFAULT_PAGERDUTY_EVENTS_URL
): Promise<void> {
  const body = pagerDutyBody(integrationKey, m);
  if (body) await postJson('pagerduty', eventsUrl, body);
}
