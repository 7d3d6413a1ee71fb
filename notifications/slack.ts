// Slack incoming webhook (https://api.slack.com/messaging/webhooks): a JSON body with `text` (the
// fallback shown in notifications) and Block Kit `blocks` (https://api.slack.com/reference/block-kit/blocks):
// a header, the facts as section fields, the failed tasks, and a button to the run page.
import type { NotificationMessage } from '../core/notifications/message';
import { postJson } from './http-post';
import { facts, failedTaskLines, headline } from './summary';

/** Slack limits: header text 150 characters, section text 3000, at most 10 fields of 2000. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function slackBody(m: NotificationMessage) {
  const title = headline(m);
  const failed = failedTaskLines(m);
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: true } },
      {
        type: 'section',
        fields: facts(m)
          .slice(0, 10)
          .map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}*\n${value}`, 2000) })),
      },
      ...(failed.length > 0
        ? [
            {
              type: 'section',
              text: { type: 'mrkdwn', text: clip(`*Failed tasks*\n${failed.map((l) => `• ${l}`).join('\n')}`, 3000) },
            },
          ]
        : []),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'View run' },
            url: m.run.run_page_url,
            action_id: 'view_run',
          },
        ],
      },
    ],
  };
}

export async function sendSlack(url: string, m: NotificationMessage): Promise<void> {
  await postJson('slack', url, slackBody(m));
}
