// Notification destination bodies (Databricks `Config`, create and update): every problem at once,
// each with its JSON path, in exact words.
import { describe, expect, it } from 'vitest';
import { parseCreateNotificationDestination, parseUpdateNotificationDestination } from '../../../../core';

describe('notification destination create body', () => {
  it.each([
    ['email', { email: { addresses: ['ops@example.com'] } }],
    ['slack', { slack: { url: 'https://hooks.slack.com/services/T0/B0/x' } }],
    ['microsoft_teams', { microsoft_teams: { url: 'https://example.webhook.office.com/webhookb2/x' } }],
    ['pagerduty', { pagerduty: { integration_key: 'k'.repeat(32) } }],
    ['generic_webhook', { generic_webhook: { url: 'http://127.0.0.1:9/hook', username: 'u', password: 'p' } }],
    ['generic_webhook without credentials', { generic_webhook: { url: 'https://example.com/hook' } }],
  ])('accepts a %s config', (_name, config) => {
    expect(parseCreateNotificationDestination({ display_name: 'd', config })).toEqual({
      ok: true,
      value: { display_name: 'd', config },
    });
  });

  it('reports every problem with its path', () => {
    expect(
      parseCreateNotificationDestination({
        config: { slack: { url: 'ftp://x', oauth_token: 't' }, pagerduty: {} },
        destination_type: 'SLACK',
      })
    ).toEqual({
      ok: false,
      errors: [
        { path: 'display_name', message: 'required field missing: expected a string' },
        { path: 'config.slack.url', message: 'expected an http or https URL, found "ftp://x"' },
        {
          path: 'config.slack.oauth_token',
          message:
            'a Slack app destination (channel_id, oauth_token) is not supported by durable-jobs: give an incoming-webhook url',
        },
        { path: 'config.pagerduty.integration_key', message: 'required field missing: expected a string' },
        {
          path: 'config',
          message:
            'expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found slack, pagerduty',
        },
        { path: 'destination_type', message: 'unknown field "destination_type"' },
      ],
    });
  });

  it('needs exactly one receiver, well-formed addresses, and no app-based destinations', () => {
    expect(parseCreateNotificationDestination({ display_name: '', config: {} })).toEqual({
      ok: false,
      errors: [
        { path: 'display_name', message: 'expected at least 1 characters, found 0' },
        {
          path: 'config',
          message: 'expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found none',
        },
      ],
    });
    expect(
      parseCreateNotificationDestination({
        display_name: 'd',
        config: { email: { addresses: ['a@example.com', 'nope'] } },
      })
    ).toEqual({
      ok: false,
      errors: [{ path: 'config.email.addresses[1]', message: 'expected an email address, found "nope"' }],
    });
    expect(
      parseCreateNotificationDestination({ display_name: 'd', config: { databricks_app_slack: { channel_id: 'C1' } } })
    ).toEqual({
      ok: false,
      errors: [
        {
          path: 'config.databricks_app_slack',
          message: 'a Databricks Slack app destination is not supported by durable-jobs',
        },
        {
          path: 'config',
          message: 'expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found none',
        },
      ],
    });
    expect(parseCreateNotificationDestination([])).toEqual({
      ok: false,
      errors: [{ path: '', message: 'expected a JSON object, found an array' }],
    });
  });
});

describe('notification destination update body', () => {
  it('needs a field to update', () => {
    expect(parseUpdateNotificationDestination({ id: 'x' })).toEqual({
      ok: false,
      errors: [{ path: '', message: 'expected display_name or config (at least one field to update), found neither' }],
    });
  });

  it('takes secrets as optional (left out: kept) and ignores echoed output-only flags', () => {
    expect(
      parseUpdateNotificationDestination({
        config: { generic_webhook: { username: 'u', url_set: true, password_set: true } },
      })
    ).toEqual({
      ok: true,
      value: { config: { generic_webhook: { username: 'u', url_set: true, password_set: true } } },
    });
    expect(parseUpdateNotificationDestination({ display_name: 'renamed' })).toEqual({
      ok: true,
      value: { display_name: 'renamed' },
    });
  });
});
