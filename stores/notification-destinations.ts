// Notification destinations stored in Temporal, the system of record (no second database): one
// paused Schedule per destination (`djobs-notification-destination-<id>`, never fires,
// stores/schedule-records.ts) whose action carries the record, like secret scopes
// (stores/secret-scopes.ts). The record is a payload, so the
// payload codec encrypts it; each secret (webhook URL, PagerDuty integration key, username,
// password) is sealed once more on its own, so whoever may decode payloads (the codec server)
// still sees none. Only `readForDelivery` opens them, for the sender.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  DESTINATION_CONFIG_KINDS,
  DESTINATION_TYPE_OF_CONFIG,
  SECRET_FIELDS,
  configKindOf,
  type CreateNotificationDestination,
  type DeliverableDestination,
  type DestinationConfigKind,
  type DestinationConfigView,
  type NotificationDestination,
  type NotificationDestinationSummary,
  type SecretField,
  type UpdateNotificationDestination,
} from '../core';
import { openSecret, resealSecret, sealSecret, sealedSecretKeyId } from '../encryption/sealed-secret';
import { DjobsError, ErrorCode } from '../core/errors';
import { SealingRecordStore, recordKind, type SealedValues } from './schedule-records';

const sealedField = z.string().optional();
const DestinationRecord = z.object({
  id: z.string(),
  display_name: z.string(),
  kind: z.enum(DESTINATION_CONFIG_KINDS as [DestinationConfigKind, ...DestinationConfigKind[]]),
  /** Email destinations: the addresses (not secret; Databricks returns them to admins). */
  addresses: z.array(z.string()).optional(),
  /** Write-only fields, each sealed with the key ring (`<key id>:<base64>`). */
  sealed: z.object({
    url: sealedField,
    integration_key: sealedField,
    username: sealedField,
    password: sealedField,
  } satisfies Record<SecretField, unknown>),
});
type DestinationRecord = z.infer<typeof DestinationRecord>;
/** Associated data of a sealed field: a value cannot be moved to another destination or field. */
const sealScope = (id: string) => `notification-destination/${id}`;
/** Ids are UUIDs: anything else names no destination (and never reaches Temporal as an id). */
const DESTINATION_KIND = recordKind('notification destination', DestinationRecord);

/** A destination's write-only fields, each sealed with a key of the ring. */
export const DESTINATION_SEALS: SealedValues<DestinationRecord> = {
  kind: DESTINATION_KIND,
  keyIds: (r) => Object.values(r.sealed).flatMap((sealed) => (sealed === undefined ? [] : [sealedSecretKeyId(sealed)])),
  reseal: (ring, r) => ({
    ...r,
    sealed: Object.fromEntries(
      Object.entries(r.sealed).map(([field, sealed]) => [
        field,
        sealed === undefined ? sealed : resealSecret(ring, sealScope(r.id), field, sealed),
      ])
    ),
  }),
};
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const missing = (id: string) =>
  new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Notification destination ${id} does not exist.`);

export interface DestinationPage {
  results: NotificationDestinationSummary[];
  next_page_token?: string;
}

export class NotificationDestinationStore extends SealingRecordStore<DestinationRecord> {
  constructor(temporal: Client) {
    super(
      temporal,
      DESTINATION_KIND,
      'Notification destinations hold secrets and need payload encryption: DJOBS_ENCRYPTION is off.'
    );
  }

  async create(body: CreateNotificationDestination): Promise<NotificationDestination> {
    const id = randomUUID();
    const record: DestinationRecord = {
      id,
      display_name: body.display_name,
      kind: configKindOf(body.config),
      sealed: {},
    };
    this.applyConfig(record, body.config);
    // A random UUID: no other destination has it.
    await this.records.create(id, record);
    return view(record, true);
  }

  /** One destination; `config` (addresses and `*_set` flags, never a secret) for admins only. */
  async get(id: string, withConfig: boolean): Promise<NotificationDestination> {
    return view(await this.read(id), withConfig);
  }

  /**
   * A page of destinations ordered by display name then id. The page token is the last entry's
   * (display_name, id), so a destination created or deleted between pages moves no other one.
   */
  async list(pageSize = DEFAULT_PAGE_SIZE, pageToken?: string): Promise<DestinationPage> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw new DjobsError(
        ErrorCode.INVALID_PARAMETER_VALUE,
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}, found ${String(pageSize)}.`
      );
    const after = pageToken ? decodeToken(pageToken) : undefined;
    const ids = await this.records.names();
    // A destination deleted between the listing and its read is left out, not an error.
    const records = (await Promise.all(ids.map((id) => this.read(id).catch(() => undefined)))).filter(
      (r): r is DestinationRecord => r !== undefined
    );
    const sorted = records.map((r) => view(r, false)).sort(byNameThenId);
    const rest = after ? sorted.filter((d) => byNameThenId(d, after) > 0) : sorted;
    const results = rest.slice(0, pageSize);
    const last = results[results.length - 1];
    return rest.length > pageSize && last ? { results, next_page_token: encodeToken(last) } : { results };
  }

  /** PATCH: a new display name and/or config of the same receiver; secrets left out are kept. */
  async update(id: string, body: UpdateNotificationDestination): Promise<NotificationDestination> {
    if (!ID.test(id)) throw missing(id);
    const updated = await this.records.change(id, (record) => {
      if (body.display_name !== undefined) record.display_name = body.display_name;
      if (body.config) {
        const kind = configKindOf(body.config);
        if (kind !== record.kind)
          throw new DjobsError(
            ErrorCode.INVALID_PARAMETER_VALUE,
            `config.${kind}: the destination type cannot be changed: destination ${id} is ${DESTINATION_TYPE_OF_CONFIG[record.kind]}, found ${DESTINATION_TYPE_OF_CONFIG[kind]}.`
          );
        this.applyConfig(record, body.config);
      }
    });
    if (!updated) throw missing(id);
    return view(updated, true);
  }

  async delete(id: string): Promise<void> {
    await this.read(id);
    if (!(await this.records.delete(id))) throw missing(id);
  }

  /** The destination with its secrets opened: for delivering a notification, never for a response. */
  async readForDelivery(id: string): Promise<DeliverableDestination> {
    const r = await this.read(id);
    const open = (field: SecretField): string | undefined => {
      const sealed = r.sealed[field];
      return sealed === undefined
        ? undefined
        : openSecret(this.requireRing(), sealScope(id), field, sealed).toString('utf8');
    };
    const required = (field: SecretField): string => {
      const value = open(field);
      if (value === undefined)
        throw new DjobsError(ErrorCode.INVALID_STATE, `Notification destination ${id} has no ${field}.`);
      return value;
    };
    const base = { id: r.id, display_name: r.display_name };
    switch (r.kind) {
      case 'email':
        return { ...base, destination_type: 'EMAIL', addresses: r.addresses ?? [] };
      case 'slack':
        return { ...base, destination_type: 'SLACK', url: required('url') };
      case 'microsoft_teams':
        return { ...base, destination_type: 'MICROSOFT_TEAMS', url: required('url') };
      case 'pagerduty':
        return { ...base, destination_type: 'PAGERDUTY', integration_key: required('integration_key') };
      case 'generic_webhook': {
        const username = open('username');
        const password = open('password');
        return {
          ...base,
          destination_type: 'WEBHOOK',
          url: required('url'),
          ...(username !== undefined ? { username } : {}),
          ...(password !== undefined ? { password } : {}),
        };
      }
      default:
        return r.kind satisfies never;
    }
  }

  /** Copies a parsed config's given fields into the record, sealing the secrets. */
  private applyConfig(record: DestinationRecord, config: NonNullable<UpdateNotificationDestination['config']>): void {
    const given = config[record.kind] as Record<string, unknown> | undefined;
    if (!given) return;
    if (record.kind === 'email' && Array.isArray(given.addresses)) record.addresses = given.addresses as string[];
    for (const field of SECRET_FIELDS[record.kind] as readonly SecretField[]) {
      const value = given[field];
      if (typeof value === 'string')
        record.sealed[field] = sealSecret(this.requireRing(), sealScope(record.id), field, Buffer.from(value, 'utf8'));
    }
  }

  private async read(id: string): Promise<DestinationRecord> {
    if (!ID.test(id)) throw missing(id);
    const record = await this.records.read(id);
    if (!record) throw missing(id);
    return record;
  }
}

function view(r: DestinationRecord, withConfig: boolean): NotificationDestination {
  const summary = { id: r.id, display_name: r.display_name, destination_type: DESTINATION_TYPE_OF_CONFIG[r.kind] };
  return withConfig ? { ...summary, config: configView(r) } : summary;
}

function configView(r: DestinationRecord): DestinationConfigView {
  const set = (field: SecretField) => r.sealed[field] !== undefined;
  switch (r.kind) {
    case 'email':
      return { email: { addresses: r.addresses ?? [] } };
    case 'slack':
      return { slack: { url_set: set('url') } };
    case 'microsoft_teams':
      return { microsoft_teams: { url_set: set('url') } };
    case 'pagerduty':
      return { pagerduty: { integration_key_set: set('integration_key') } };
    case 'generic_webhook':
      return {
        generic_webhook: { url_set: set('url'), username_set: set('username'), password_set: set('password') },
      };
    default:
      return r.kind satisfies never;
  }
}

type Position = Pick<NotificationDestinationSummary, 'display_name' | 'id'>;
const byNameThenId = (a: Position, b: Position) =>
  a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

const encodeToken = (p: Position) => Buffer.from(JSON.stringify([p.display_name, p.id])).toString('base64url');
function decodeToken(token: string): Position {
  try {
    const [display_name, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof display_name === 'string' && typeof id === 'string') return { display_name, id };
  } catch {
    // reported below
  }
  throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, `Invalid page_token ${JSON.stringify(token)}.`);
}
