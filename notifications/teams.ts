// Microsoft Teams incoming webhook: the connector message card
// (https://learn.microsoft.com/en-us/outlook/actionable-messages/message-card-reference), with the
// facts as a section and an OpenUri action to the run page.
import type { NotificationMessage } from '../core/notifications/message';
import { postJson } from './http-post';
import { facts, failedTaskLines, headline } from './summary';

const COLOR = { failure: 'D13438', warning: 'FFB900', ok: '2EB886', info: '0078D7' } as const;

function themeColor(m: NotificationMessage): string {
  switch (m.event) {
    case 'on_failure':
      return COLOR.failure;
    case 'on_duration_warning_threshold_exceeded':
      return COLOR.warning;
    case 'on_success':
      return COLOR.ok;
    case 'on_start':
      return COLOR.info;
    default:
      return m.event satisfies never;
  }
}

export function teamsBody(m: NotificationMessage) {
  const title = headline(m);
  const failed = failedTaskLines(m);
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: title,
    themeColor: themeColor(m),
    title,
    sections: [
      {
        activityTitle: m.job.name,
        activitySubtitle: m.run.run_name,
        facts: facts(m).map(([name, value]) => ({ name, value })),
        markdown: true,
      },
      ...(failed.length > 0 ? [{ title: 'Failed tasks', text: failed.map((l) => `- ${l}`).join('\n\n') }] : []),
    ],
    potentialAction: [{ '@type': 'OpenUri', name: 'View run', targets: [{ os: 'default', uri: m.run.run_page_url }] }],
  };
}

export async function sendTeams(url: string, m: NotificationMessage): Promise<void> {
  await postJson('microsoft_teams', url, teamsBody(m));
}
