// What durable-jobs stores in Temporal and reads back: a job's schedule action (the run input it
// starts, with the job's settings), the memos on schedules and runs (creator, run-as, access), and
// the run state a workflow returns or carries in its failure. Everything read back is parsed here
// with zod, so a record written by another version fails loudly instead of flowing on as a cast.
import { z } from 'zod';
import {
  JobSettings,
  ownerName,
  runAsOfSetting,
  type JobAccess,
  type LegacyTaskParameters,
  type RunAsIdentity,
  type RunState,
} from '../core';
import type { JobRunInput } from '../workflows/definitions';
import { DjobsError, ErrorCode } from './errors';
import { storedRecord } from '../stores/schedule-records';

/** Memo keys on a job's schedule. */
export const JOB_MEMO_CREATED = 'created_time';
export const JOB_MEMO_CREATOR = 'creator_user_name';
/** The bundle resource key a job was deployed as (`djobs bundle deploy`). */
export const JOB_MEMO_BUNDLE_RESOURCE = 'djobs_bundle_resource';
/** Memo keys on a job's schedule action, hence on every run it starts, and on run-now/submit runs. */
const MEMO_ACCESS = 'djobs_access';
const MEMO_RUN_AS = 'run_as_user_name';
/** The run_as identity itself (kind and name): decided when the job was saved or the run submitted. */
const MEMO_RUN_AS_IDENTITY = 'djobs_run_as';
/** The legacy task parameters a run-now run was started with (Databricks `overriding_parameters`). */
const MEMO_OVERRIDING = 'overriding_parameters';

const Grant = z.looseObject({
  user_name: z.string().optional(),
  group_name: z.string().optional(),
  service_principal_name: z.string().optional(),
  permission_level: z.enum(['CAN_VIEW', 'CAN_MANAGE_RUN', 'CAN_MANAGE', 'IS_OWNER']),
});
const StoredAccess = z.object({
  owner: z.union([z.object({ user_name: z.string() }), z.object({ service_principal_name: z.string() })]),
  grants: z.array(Grant),
});
const StoredRunAs = z.object({ kind: z.enum(['user', 'service_principal', 'group']), name: z.string() });
const StringMap = z.record(z.string(), z.string());
const StringList = z.array(z.string());
const StoredOverriding = z.object({
  notebook_params: StringMap.optional(),
  python_params: StringList.optional(),
  python_named_params: StringMap.optional(),
  jar_params: StringList.optional(),
  spark_submit_params: StringList.optional(),
  sql_params: StringMap.optional(),
  dbt_commands: StringList.optional(),
});
const StoredRunInput = z.looseObject({ jobId: z.number().optional(), settings: JobSettings });
const StoredAttempt = z.looseObject({ run_id: z.number(), attempt_number: z.number(), phase: z.string() });
const StoredRunState = z.looseObject({
  run_id: z.number(),
  run_name: z.string(),
  settings: z.looseObject({ tasks: z.array(z.looseObject({ task_key: z.string() })) }),
  tasks: z.record(z.string(), z.looseObject({ task_key: z.string(), attempts: z.array(StoredAttempt).min(1) })),
});

/** The run input a job's schedule action starts (its settings, validated when the job was saved). */
export function scheduledRunInput(args: readonly unknown[] | undefined, jobId: number): JobRunInput {
  return storedRecord(args, StoredRunInput, `settings of job ${jobId}`);
}

/** A run's state as a workflow returned it, carried it in its failure, or answered a query with it. */
export function storedRunState(value: unknown, source: string): RunState {
  const parsed = StoredRunState.safeParse(value);
  if (!parsed.success)
    throw new DjobsError(
      ErrorCode.INTERNAL_ERROR,
      `The run state of ${source} cannot be read: ${z.prettifyError(parsed.error)}`
    );
  return parsed.data as unknown as RunState;
}

/**
 * The memo every run carries: who started it, who it runs as, the access it started with, and the
 * legacy task parameters run-now was given.
 */
export function runMemo(
  access: JobAccess,
  runAs: RunAsIdentity,
  creator: string | undefined,
  overriding?: LegacyTaskParameters
): Record<string, unknown> {
  return {
    [MEMO_ACCESS]: access,
    [MEMO_RUN_AS]: runAs.name,
    [MEMO_RUN_AS_IDENTITY]: runAs,
    ...(creator ? { [JOB_MEMO_CREATOR]: creator } : {}),
    ...(overriding && Object.keys(overriding).length > 0 ? { [MEMO_OVERRIDING]: overriding } : {}),
  };
}

/** What a run's memo tells about it for the `Run` shape. */
export function runPeople(memo: Record<string, unknown> | undefined): {
  creator_user_name?: string;
  run_as_user_name?: string;
  overriding_parameters?: LegacyTaskParameters;
} {
  const runAs = z.string().safeParse(memo?.[MEMO_RUN_AS]);
  const overriding = StoredOverriding.safeParse(memo?.[MEMO_OVERRIDING]);
  return {
    ...creatorOf(memo),
    ...(runAs.success ? { run_as_user_name: runAs.data } : {}),
    ...(memo?.[MEMO_OVERRIDING] !== undefined && overriding.success ? { overriding_parameters: overriding.data } : {}),
  };
}

/** The access recorded in a memo, if a well-formed one is there. */
export function accessOf(memo: Record<string, unknown> | undefined): JobAccess | undefined {
  const parsed = StoredAccess.safeParse(memo?.[MEMO_ACCESS]);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Who a job or run acts as: the identity stored when it was saved or submitted, else (records
 * written before it was stored) its `run_as`, else its owner.
 */
export function runAsOf(
  memo: Record<string, unknown> | undefined,
  settings: JobSettings,
  access: JobAccess
): RunAsIdentity {
  const stored = StoredRunAs.safeParse(memo?.[MEMO_RUN_AS_IDENTITY]);
  if (stored.success) return stored.data;
  return (
    runAsOfSetting(settings.run_as) ?? {
      kind: 'user_name' in access.owner ? 'user' : 'service_principal',
      name: ownerName(access),
    }
  );
}

export function creatorOf(memo: Record<string, unknown> | undefined): { creator_user_name?: string } {
  const c = z.string().safeParse(memo?.[JOB_MEMO_CREATOR]);
  return c.success ? { creator_user_name: c.data } : {};
}

/** When a job was created (its schedule's memo; older jobs: the schedule's creation). */
export function createdTime(memo: Record<string, unknown> | undefined, fallback: number): number {
  const t = z.number().safeParse(memo?.[JOB_MEMO_CREATED]);
  return t.success ? t.data : fallback;
}
