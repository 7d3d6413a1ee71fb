// The documented request schemas of the notification receivers, as strict zod schemas, so a test
// fails when a sender writes anything a receiver would reject or ignore:
// - Slack incoming webhooks with Block Kit: https://api.slack.com/messaging/webhooks,
//   https://api.slack.com/reference/block-kit/blocks (header, section, actions; text objects).
// - Microsoft Teams connector message card:
//   https://learn.microsoft.com/en-us/outlook/actionable-messages/message-card-reference
// - PagerDuty Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
//   and …/resolve-events/
// - The Databricks jobs webhook payload (https://docs.databricks.com/en/jobs/notifications.html)
//   and durable-jobs' documented extensions (docs/notification-destinations.md).
import { z } from 'zod';

const plainText = z.strictObject({
  type: z.literal('plain_text'),
  text: z.string().min(1),
  emoji: z.boolean().optional(),
});
const mrkdwn = z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1), verbatim: z.boolean().optional() });
const slackBlock = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    text: plainText.refine((t) => t.text.length <= 150),
    block_id: z.string().optional(),
  }),
  z
    .strictObject({
      type: z.literal('section'),
      text: z
        .union([plainText, mrkdwn])
        .refine((t) => t.text.length <= 3000)
        .optional(),
      fields: z
        .array(z.union([plainText, mrkdwn]).refine((t) => t.text.length <= 2000))
        .max(10)
        .optional(),
      block_id: z.string().optional(),
    })
    .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields'),
  z.strictObject({
    type: z.literal('actions'),
    elements: z
      .array(
        z.strictObject({
          type: z.literal('button'),
          text: plainText.refine((t) => t.text.length <= 75),
          url: z.url().max(3000).optional(),
          action_id: z.string().max(255).optional(),
          value: z.string().optional(),
          style: z.enum(['primary', 'danger']).optional(),
        })
      )
      .min(1)
      .max(25),
    block_id: z.string().optional(),
  }),
]);
export const SlackWebhookBody = z.strictObject({ text: z.string().min(1), blocks: z.array(slackBlock).min(1).max(50) });

export const TeamsMessageCard = z.strictObject({
  '@type': z.literal('MessageCard'),
  '@context': z.literal('https://schema.org/extensions'),
  summary: z.string().min(1),
  themeColor: z
    .string()
    .regex(/^[0-9A-Fa-f]{6}$/)
    .optional(),
  title: z.string().optional(),
  text: z.string().optional(),
  sections: z
    .array(
      z.strictObject({
        title: z.string().optional(),
        activityTitle: z.string().optional(),
        activitySubtitle: z.string().optional(),
        text: z.string().optional(),
        facts: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
        markdown: z.boolean().optional(),
      })
    )
    .optional(),
  potentialAction: z
    .array(
      z.strictObject({
        '@type': z.literal('OpenUri'),
        name: z.string().min(1),
        targets: z.array(z.strictObject({ os: z.enum(['default', 'iOS', 'android', 'windows']), uri: z.url() })).min(1),
      })
    )
    .optional(),
});

export const PagerDutyTrigger = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.literal('trigger'),
  dedup_key: z.string().min(1).max(255),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.iso.datetime().optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  client: z.string().optional(),
  client_url: z.url().optional(),
  links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
  images: z.array(z.unknown()).optional(),
});
export const PagerDutyResolve = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.literal('resolve'),
  dedup_key: z.string().min(1).max(255),
});

export const GenericWebhookPayload = z.strictObject({
  event_type: z.enum([
    'jobs.on_start',
    'jobs.on_success',
    'jobs.on_failure',
    'jobs.on_duration_warning_threshold_exceeded',
  ]),
  event_id: z.string().min(1),
  job: z.strictObject({ job_id: z.number().int(), name: z.string() }),
  run: z.strictObject({
    run_id: z.number().int(),
    run_name: z.string(),
    run_page_url: z.url(),
    life_cycle_state: z.string(),
    result_state: z.string().optional(),
    state_message: z.string().optional(),
    start_time: z.number().int(),
    end_time: z.number().int().optional(),
    duration_ms: z.number().int().optional(),
    failed_tasks: z.array(z.strictObject({ task_key: z.string(), error: z.string() })),
  }),
  task: z
    .strictObject({
      task_key: z.string(),
      run_id: z.number().int(),
      attempt_number: z.number().int(),
      result_state: z.string().optional(),
      error: z.string().optional(),
    })
    .optional(),
  threshold_seconds: z.number().optional(),
});
