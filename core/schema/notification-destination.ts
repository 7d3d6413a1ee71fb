// Notification destinations as the Databricks API defines them
// (https://docs.databricks.com/api/workspace/notificationdestinations; the Python SDK's
// `databricks.sdk.service.settings`: `Config`, `EmailConfig`, `SlackConfig`, `MicrosoftTeamsConfig`,
// `PagerdutyConfig`, `GenericWebhookConfig`, `NotificationDestination`). A request's `config` wraps
// exactly one receiver. Secrets (webhook URLs, the PagerDuty integration key, the webhook's
// username and password) are input-only: responses show `url_set`, `integration_key_set`, … instead.
import { z } from 'zod';
import { parseRequest, type RequestParse } from './validate';

/** `destination_type` of each receiver, keyed by its field in `config`. */
export const DESTINATION_TYPE_OF_CONFIG = {
  email: 'EMAIL',
  slack: 'SLACK',
  microsoft_teams: 'MICROSOFT_TEAMS',
  pagerduty: 'PAGERDUTY',
  generic_webhook: 'WEBHOOK',
} as const;
export type DestinationConfigKind = keyof typeof DESTINATION_TYPE_OF_CONFIG;
export type DestinationType = (typeof DESTINATION_TYPE_OF_CONFIG)[DestinationConfigKind];
export const DESTINATION_CONFIG_KINDS = Object.keys(DESTINATION_TYPE_OF_CONFIG) as DestinationConfigKind[];

/** The write-only fields of each receiver (sealed when stored, `<field>_set` in responses). */
export const SECRET_FIELDS = {
  email: [],
  slack: ['url'],
  microsoft_teams: ['url'],
  pagerduty: ['integration_key'],
  generic_webhook: ['url', 'username', 'password'],
} as const satisfies Record<DestinationConfigKind, readonly string[]>;
export type SecretField = (typeof SECRET_FIELDS)[DestinationConfigKind][number];

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http or https URL' });
const nonEmpty = z.string().min(1);
/** Output-only flags a client may echo back from a `get` (ignored, as Databricks ignores them). */
const outputFlag = z.boolean().optional();
/** A Databricks field of a receiver kind durable-jobs does not deliver to. */
const unsupported = (what: string, instead = '') =>
  z
    .unknown()
    .refine(() => false, { message: `${what} is not supported by durable-jobs${instead}`, params: { exact: true } })
    .optional();
const slackApp = unsupported('a Slack app destination (channel_id, oauth_token)', ': give an incoming-webhook url');
const teamsApp = unsupported(
  'a Microsoft Teams app destination (app_id, auth_secret, channel_url, tenant_id)',
  ': give an incoming-webhook url'
);

/** The receivers' configs; `required` is false for an update, which keeps a secret left out. */
function configShapes(required: boolean) {
  const need = <T extends z.ZodType>(t: T) => (required ? t : t.optional());
  return {
    email: z.strictObject({
      addresses: need(z.array(z.email({ error: 'expected an email address' })).min(1)),
    }),
    slack: z.strictObject({
      url: need(httpUrl),
      url_set: outputFlag,
      channel_id: slackApp,
      channel_id_set: outputFlag,
      oauth_token: slackApp,
      oauth_token_set: outputFlag,
    }),
    microsoft_teams: z.strictObject({
      url: need(httpUrl),
      url_set: outputFlag,
      app_id: teamsApp,
      app_id_set: outputFlag,
      auth_secret: teamsApp,
      auth_secret_set: outputFlag,
      channel_url: teamsApp,
      channel_url_set: outputFlag,
      tenant_id: teamsApp,
      tenant_id_set: outputFlag,
    }),
    pagerduty: z.strictObject({ integration_key: need(nonEmpty), integration_key_set: outputFlag }),
    generic_webhook: z.strictObject({
      url: need(httpUrl),
      url_set: outputFlag,
      username: nonEmpty.optional(),
      username_set: outputFlag,
      password: nonEmpty.optional(),
      password_set: outputFlag,
    }),
  };
}

function configSchema(required: boolean) {
  const shapes = configShapes(required);
  return z
    .strictObject({
      email: shapes.email.optional(),
      slack: shapes.slack.optional(),
      microsoft_teams: shapes.microsoft_teams.optional(),
      pagerduty: shapes.pagerduty.optional(),
      generic_webhook: shapes.generic_webhook.optional(),
      databricks_app_slack: unsupported('a Databricks Slack app destination'),
      databricks_app_teams: unsupported('a Databricks Microsoft Teams app destination'),
    })
    .superRefine(
      (c, ctx) => {
        const given = DESTINATION_CONFIG_KINDS.filter((k) => c[k] !== undefined);
        if (given.length !== 1)
          ctx.addIssue({
            code: 'custom',
            message: `expected exactly one of ${DESTINATION_CONFIG_KINDS.join(', ')}, found ${given.length === 0 ? 'none' : given.join(', ')}`,
            params: { exact: true },
          });
      },
      // Also when a receiver's own fields are wrong: every problem at once.
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null }
    );
}

const displayName = z.string().min(1).max(255);

/** POST /api/2.0/notification-destinations */
export const CreateNotificationDestination = z.strictObject({
  display_name: displayName,
  config: configSchema(true),
});
export type CreateNotificationDestination = z.infer<typeof CreateNotificationDestination>;

/** PATCH /api/2.0/notification-destinations/{id}: at least one field; secrets left out are kept. */
export const UpdateNotificationDestination = z
  .strictObject({
    /** The path's id, which some clients repeat in the body. */
    id: z.string().optional(),
    display_name: displayName.optional(),
    config: configSchema(false).optional(),
  })
  .refine((u) => u.display_name !== undefined || u.config !== undefined, {
    message: 'expected display_name or config (at least one field to update), found neither',
    params: { exact: true },
  });
export type UpdateNotificationDestination = z.infer<typeof UpdateNotificationDestination>;

/** A destination's config as a workspace admin reads it: addresses, and `*_set` for secrets. */
export type DestinationConfigView =
  | { email: { addresses: string[] } }
  | { slack: { url_set: boolean } }
  | { microsoft_teams: { url_set: boolean } }
  | { pagerduty: { integration_key_set: boolean } }
  | { generic_webhook: { url_set: boolean; username_set: boolean; password_set: boolean } };

/** Databricks `NotificationDestination`; `config` only for workspace admins. */
export interface NotificationDestination {
  id: string;
  display_name: string;
  destination_type: DestinationType;
  config?: DestinationConfigView;
}

/** Databricks `ListNotificationDestinationsResult`. */
export type NotificationDestinationSummary = Omit<NotificationDestination, 'config'>;

/** A destination with its secrets, for the sender that delivers to it and for nothing else. */
export type DeliverableDestination = { id: string; display_name: string } & (
  | { destination_type: 'EMAIL'; addresses: string[] }
  | { destination_type: 'SLACK'; url: string }
  | { destination_type: 'MICROSOFT_TEAMS'; url: string }
  | { destination_type: 'PAGERDUTY'; integration_key: string }
  | { destination_type: 'WEBHOOK'; url: string; username?: string; password?: string }
);

/** The one receiver a parsed config names (the schema guarantees exactly one). */
export function configKindOf(config: Partial<Record<DestinationConfigKind, unknown>>): DestinationConfigKind {
  const kind = DESTINATION_CONFIG_KINDS.find((k) => config[k] !== undefined);
  if (!kind) throw new Error('a destination config names no receiver');
  return kind;
}

export type DestinationParse<T> = RequestParse<T>;

/** A create body, every problem at once with its JSON path. */
export const parseCreateNotificationDestination = (input: unknown) =>
  parseRequest(CreateNotificationDestination, input);
/** An update body, every problem at once with its JSON path. */
export const parseUpdateNotificationDestination = (input: unknown) =>
  parseRequest(UpdateNotificationDestination, input);
