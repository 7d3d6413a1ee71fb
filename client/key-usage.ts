// Which keys of the key ring what Temporal holds still needs (`djobs admin keys`), and the records
// written again with the ring's primary (newest) key so an old key can go (`djobs admin reencrypt`;
// docs/operations.md). A payload names its key in its metadata (encryption/aes-gcm-codec.ts); a
// sealed value (a job's run identity, a secret, a destination's URL) names it in its text. Stored
// records are schedules (stores/schedule-records.ts); open workflows need the key of the payloads
// they started with; closed runs are not counted: they keep their keys until the namespace's
// retention deletes them.
import type { ScheduleDescription, ScheduleOptions, ScheduleOptionsAction } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { canonicalJson } from '../core';
import { KEY_ID_METADATA, isEncrypted } from '../encryption/aes-gcm-codec';
import { keyRingOf } from '../encryption/data-converter';
import { newestKey, type KeyRing } from '../encryption/key-ring';
import { resealIdentity, sealedIdentityKeyId } from '../encryption/sealed-identity';
import { DESTINATION_SEALS } from '../stores/notification-destinations';
import { actionArgs, type SealedValues } from '../stores/schedule-records';
import { SECRET_SCOPE_SEALS } from '../stores/secret-scopes';
import { WorkflowKind } from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode } from './errors';
import { JOB_MEMO_CREATED, createdTime } from './stored-records';

/** The kinds of stored record, as `admin keys` counts them. */
export type RecordCount = 'jobs' | 'secret_scopes' | 'notification_destinations' | 'other_records';
export type KeyUseCount = RecordCount | 'open_runs' | 'other_open_workflows';

export interface KeyUse extends Record<KeyUseCount, number> {
  key_id: string;
  /** Whether the key ring has it (a key that is used but missing cannot decrypt what names it). */
  in_key_ring: boolean;
  /** The key new payloads are encrypted with. */
  primary: boolean;
}

export interface ReencryptReport {
  /** Records written again with the primary key, per kind. */
  reencrypted: Record<RecordCount, number>;
  /** Records that used the primary key only already. */
  unchanged: number;
  /** Records that could not be written again, each with why (its old key is still needed). */
  failed: { schedule_id: string; error: string }[];
}

const JOB_PREFIX = 'djobs-job-';
/** Stored records that seal values of their own besides the payload encryption. */
const SEALING_KINDS: readonly [RecordCount, SealedValues<unknown>][] = [
  ['secret_scopes', SECRET_SCOPE_SEALS],
  ['notification_destinations', DESTINATION_SEALS],
];

function recordCount(scheduleId: string): RecordCount {
  if (scheduleId.startsWith(JOB_PREFIX)) return 'jobs';
  return SEALING_KINDS.find(([, seals]) => scheduleId.startsWith(seals.kind.prefix))?.[0] ?? 'other_records';
}

const sealsOf = (scheduleId: string) => SEALING_KINDS.find(([, s]) => scheduleId.startsWith(s.kind.prefix))?.[1];

/** The key ids the encrypted payloads among `payloads` name. */
export function payloadKeyIds(payloads: Iterable<temporal.api.common.v1.IPayload | null | undefined>): string[] {
  const ids: string[] = [];
  for (const p of payloads)
    if (p && isEncrypted(p)) ids.push(Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? new Uint8Array()).toString('utf8'));
  return ids;
}

/** Every payload of a schedule as Temporal stores it: its memo, and its action's input, memo and header. */
function schedulePayloads(raw: temporal.api.workflowservice.v1.IDescribeScheduleResponse) {
  const start = raw.schedule?.action?.startWorkflow;
  return [
    ...Object.values(raw.memo?.fields ?? {}),
    ...(start?.input?.payloads ?? []),
    ...Object.values(start?.memo?.fields ?? {}),
    ...Object.values(start?.header?.fields ?? {}),
  ];
}

/** A job's run input as its schedule keeps it: its settings and sealed identity. */
interface StoredJobInput {
  settings: unknown;
  identity?: string;
}
const jobInput = (args: readonly unknown[] | undefined) => args?.[0] as StoredJobInput | undefined;

/** The keys a stored record's sealed values use (its payloads decoded with the ring). */
function sealedKeyIds(scheduleId: string, args: readonly unknown[] | undefined): string[] {
  if (scheduleId.startsWith(JOB_PREFIX)) {
    const identity = jobInput(args)?.identity;
    const id = identity === undefined ? undefined : sealedIdentityKeyId(identity);
    return id === undefined ? [] : [id];
  }
  const seals = sealsOf(scheduleId);
  return seals && args?.[0] !== undefined ? seals.keyIds(seals.kind.schema.parse(args[0])) : [];
}

/** The schedules djobs keeps (jobs and records), by id. */
async function storedScheduleIds(ctx: ClientContext): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of ctx.temporal.schedule.list()) if (s.scheduleId.startsWith('djobs-')) ids.push(s.scheduleId);
  return ids.sort();
}

/**
 * The keys one stored record uses: those its payloads name, and, when they decode, those its sealed
 * values name. A record whose payloads need a key the ring lacks counts by its payloads alone.
 */
async function recordKeyIds(ctx: ClientContext, scheduleId: string): Promise<Set<string>> {
  const raw = await ctx.temporal.workflowService.describeSchedule({ namespace: ctx.namespace, scheduleId });
  const ids = new Set(payloadKeyIds(schedulePayloads(raw)));
  const ring = keyRingOf(ctx.temporal.options.loadedDataConverter);
  if ([...ids].every((id) => ring?.keys.some((k) => k.id === id))) {
    const d = await ctx.temporal.schedule.getHandle(scheduleId).describe();
    for (const id of sealedKeyIds(scheduleId, actionArgs(d))) ids.add(id);
  }
  return ids;
}

/** The keys an open workflow needs: those of its memo and of the payloads it started with. */
async function openWorkflowKeyIds(
  ctx: ClientContext,
  execution: temporal.api.workflow.v1.IWorkflowExecutionInfo
): Promise<Set<string>> {
  const history = await ctx.temporal.workflowService.getWorkflowExecutionHistory({
    namespace: ctx.namespace,
    execution: execution.execution,
    maximumPageSize: 1,
  });
  const started = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  return new Set(
    payloadKeyIds([
      ...Object.values(execution.memo?.fields ?? {}),
      ...(started?.input?.payloads ?? []),
      ...Object.values(started?.header?.fields ?? {}),
    ])
  );
}

async function* openExecutions(ctx: ClientContext, query: string) {
  let nextPageToken: Uint8Array = Buffer.alloc(0);
  do {
    const page = await ctx.temporal.workflowService.listWorkflowExecutions({
      namespace: ctx.namespace,
      query: `ExecutionStatus = "Running" AND ${query}`,
      nextPageToken,
    });
    yield* page.executions;
    nextPageToken = page.nextPageToken;
  } while (nextPageToken.length > 0);
}

const OTHER_KINDS = Object.values(WorkflowKind).filter((k) => k !== WorkflowKind.RUN);

/**
 * Per key id (those of the ring, oldest first, then any other one still named), how many stored
 * records of each kind and open workflows use it.
 */
export async function keyUsage(ctx: ClientContext): Promise<KeyUse[]> {
  const ring = keyRingOf(ctx.temporal.options.loadedDataConverter);
  const primary = ring ? newestKey(ring).id : undefined;
  const uses = new Map<string, KeyUse>();
  const use = (id: string): KeyUse => {
    let u = uses.get(id);
    if (!u) {
      u = {
        key_id: id,
        in_key_ring: ring?.keys.some((k) => k.id === id) ?? false,
        primary: id === primary,
        jobs: 0,
        secret_scopes: 0,
        notification_destinations: 0,
        other_records: 0,
        open_runs: 0,
        other_open_workflows: 0,
      };
      uses.set(id, u);
    }
    return u;
  };
  for (const k of ring?.keys ?? []) use(k.id);
  for (const scheduleId of await storedScheduleIds(ctx))
    for (const id of await recordKeyIds(ctx, scheduleId)) use(id)[recordCount(scheduleId)] += 1;
  const kinds: [KeyUseCount, string][] = [
    ['open_runs', `DjobsKind = "${WorkflowKind.RUN}"`],
    ['other_open_workflows', `DjobsKind IN (${OTHER_KINDS.map((k) => `"${k}"`).join(', ')})`],
  ];
  for (const [count, query] of kinds)
    for await (const execution of openExecutions(ctx, query))
      for (const id of await openWorkflowKeyIds(ctx, execution)) use(id)[count] += 1;
  return [...uses.values()];
}

/** The record's action arguments with its sealed values sealed again with the newest key. */
function resealedArgs(ring: KeyRing, scheduleId: string, args: readonly unknown[]): unknown[] {
  const [record, ...rest] = args;
  if (scheduleId.startsWith(JOB_PREFIX)) {
    const input = record as StoredJobInput;
    return input.identity === undefined
      ? [...args]
      : [{ ...input, identity: resealIdentity(ring, input.identity, canonicalJson(input.settings)) }, ...rest];
  }
  const seals = sealsOf(scheduleId);
  return seals ? [seals.reseal(ring, seals.kind.schema.parse(record)), ...rest] : [...args];
}

/**
 * A schedule written again with the newest key. Its action (and the arguments in it) is updated in
 * place; a schedule's own memo cannot be updated in Temporal, so a schedule whose memo uses an old
 * key (a job's: creator, creation time) is deleted and created again, same id, spec, state, action
 * and search attributes. Its list of recent actions starts again empty.
 */
async function reencryptSchedule(ctx: ClientContext, ring: KeyRing, scheduleId: string, memoKeys: string[]) {
  const handle = ctx.temporal.schedule.getHandle(scheduleId);
  const d: ScheduleDescription = await handle.describe();
  const args = actionArgs(d);
  const action = (
    args === undefined ? d.action : { ...d.action, args: resealedArgs(ring, scheduleId, args) }
  ) as ScheduleOptionsAction;
  const primary = newestKey(ring).id;
  if (memoKeys.every((id) => id === primary)) {
    await handle.update((prev) => ({ ...prev, action }));
    return;
  }
  const memo = d.memo && {
    ...d.memo,
    ...(scheduleId.startsWith(JOB_PREFIX)
      ? { [JOB_MEMO_CREATED]: createdTime(d.memo, d.info.createdAt.getTime()) }
      : {}),
  };
  const options: ScheduleOptions = {
    scheduleId,
    spec: d.spec,
    action,
    policies: d.policies,
    state: { paused: d.state.paused, ...(d.state.note !== undefined ? { note: d.state.note } : {}) },
    ...(memo ? { memo } : {}),
    // djobs' own attributes; Temporal adds its own (TemporalSchedulePaused…) itself.
    typedSearchAttributes: d.typedSearchAttributes.getAll().filter((pair) => pair.key.name.startsWith('Djobs')),
  };
  await handle.delete();
  await ctx.temporal.schedule.create(options);
}

/**
 * Every stored record (jobs, secret scopes, notification destinations, other records) that uses a
 * key other than the primary one written again with the primary key. Open and closed runs are
 * left as they are.
 */
export async function reencryptRecords(ctx: ClientContext): Promise<ReencryptReport> {
  const ring = keyRingOf(ctx.temporal.options.loadedDataConverter);
  if (!ring)
    throw new DjobsError(ErrorCode.INVALID_STATE, 'Encryption is off (DJOBS_ENCRYPTION=off): nothing to re-encrypt.');
  const primary = newestKey(ring).id;
  const report: ReencryptReport = {
    reencrypted: { jobs: 0, secret_scopes: 0, notification_destinations: 0, other_records: 0 },
    unchanged: 0,
    failed: [],
  };
  for (const scheduleId of await storedScheduleIds(ctx)) {
    try {
      const keys = await recordKeyIds(ctx, scheduleId);
      if ([...keys].every((id) => id === primary)) {
        report.unchanged += 1;
        continue;
      }
      const raw = await ctx.temporal.workflowService.describeSchedule({ namespace: ctx.namespace, scheduleId });
      await reencryptSchedule(ctx, ring, scheduleId, payloadKeyIds(Object.values(raw.memo?.fields ?? {})));
      report.reencrypted[recordCount(scheduleId)] += 1;
    } catch (err) {
      report.failed.push({ schedule_id: scheduleId, error: (err as Error).message });
    }
  }
  return report;
}
