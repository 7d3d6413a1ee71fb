// Secrets (and SQL warehouses) at run time, inside the task activity (never in the workflow, so values never enter
// history): `{{secrets/<scope>/<key>}}` in the task's parameters, command and environment, and
// the secrets a notebook may read with dbutils.secrets.get. Both are checked against the READ
// permission of the principal the run runs as.
import fs from 'node:fs';
import path from 'node:path';
import { getClient } from '@temporalio/activity';
// The activity reads secrets with the same store and principal rules as the API (a task's secret
// is checked against its run_as principal where it is used).
import { readPrincipalsFile } from '../config/principals-file';
import {
  SECRET_REFERENCE,
  principalOfIdentity,
  warehouseIdProblem,
  warehouseUseRefusal,
  implicitWarehousesOfTask,
  warehousesOfTask,
  redact,
  type Principal,
  type TaskAttemptInput,
  type TaskAttemptRecord,
} from '../core';
import { SecretScopes } from '../stores/secret-scopes';
import { Warehouses } from '../stores/warehouses';
import { AttemptFailure, attemptLogPath, type ExecuteContext } from './execute';
import { encodedForms, secretRedactor } from './redaction';
import { attemptIdentity, RunAsUnknownError } from './run-as';

export interface AttemptSecrets {
  /** The input with every secret reference replaced by its value. */
  input: TaskAttemptInput;
  /** Environment for the task's process: DJOBS_SECRETS for dbutils.secrets. */
  env: Record<string, string>;
  /** Every value the task may see: redacted from its output. */
  values: string[];
}

/** A secret reference cannot be resolved (no scope, no key, no READ): the attempt fails. */
export class SecretResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretResolutionError';
  }
}

/** The run's identity may not use the task's SQL warehouse: the attempt fails, nothing runs. */
export class WarehouseRefusedError extends SecretResolutionError {
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseRefusedError';
  }
}

/** The principal the attempt acts as (run-as.ts: the identity its workflow opened from the seal). */
async function attemptPrincipal(input: TaskAttemptInput, groupsOf: GroupsOf): Promise<Principal> {
  let runAs;
  try {
    runAs = await attemptIdentity(input);
  } catch (err) {
    if (!(err instanceof RunAsUnknownError)) throw err;
    throw new SecretResolutionError(
      `Cannot tell which principal run ${err.workflowId} runs as, so no secret can be read.`
    );
  }
  return principalOfIdentity(runAs, groupsOf);
}

/**
 * SQL runs on a warehouse only for an identity with CAN_USE on it (core/access/warehouse-permissions.ts):
 * a warehouse the task names is refused with the reason; the default one a Python notebook or a
 * dbt task may use unnamed is returned among the unusable ones instead (its sandbox does not show it).
 */
async function checkWarehouses(input: TaskAttemptInput, groupsOf: GroupsOf): Promise<string[]> {
  const ids = warehousesOfTask(input.task);
  const implicit = implicitWarehousesOfTask(input.task);
  if (ids.length === 0 && implicit.length === 0) return [];
  const who = await attemptPrincipal(input, groupsOf).catch((err: unknown) => {
    if (ids.length > 0) throw err;
    return undefined;
  });
  if (!who) return implicit;
  const warehouses = new Warehouses(getClient());
  for (const id of ids) {
    const refusal = warehouseIdProblem(id) ?? warehouseUseRefusal(who, id, await warehouses.access(id));
    if (refusal) throw new WarehouseRefusedError(refusal);
  }
  const unusable: string[] = [];
  for (const id of implicit) if (warehouseUseRefusal(who, id, await warehouses.access(id))) unusable.push(id);
  return unusable;
}

/** Groups of a principal, from the principals file the API uses (DJOBS_API_PRINCIPALS). */
export type GroupsOf = (name: string) => readonly string[];

export async function resolveAttemptSecrets(input: TaskAttemptInput, groupsOf: GroupsOf): Promise<AttemptSecrets> {
  const text = JSON.stringify([input.task, input.jobParameters]);
  const references = [...text.matchAll(SECRET_REFERENCE)];
  const dbutils = usesDbutilsSecrets(input);
  if (references.length === 0 && !dbutils) return { input, env: {}, values: [] };

  const client = getClient();
  // The identity the workflow opened from the API's seal; runs started before it was sealed: the memo.
  const who = await attemptPrincipal(input, groupsOf);
  const secrets = SecretScopes.of(client);
  const resolved = new Map<string, string>();
  for (const [raw, scope, key] of references.map((m) => [m[0], m[1]!, m[2]!] as const)) {
    if (resolved.has(raw)) continue;
    try {
      resolved.set(raw, await secrets.readValue(scope, key, who));
    } catch (err) {
      throw new SecretResolutionError(`Secret reference ${raw}: ${(err as Error).message}`);
    }
  }
  const substituted = JSON.parse(
    JSON.stringify([input.task, input.jobParameters], (_k, v: unknown) =>
      typeof v === 'string' ? v.replace(SECRET_REFERENCE, (raw) => resolved.get(raw) ?? raw) : v
    )
  ) as [TaskAttemptInput['task'], TaskAttemptInput['jobParameters']];
  const readable = dbutils ? await secrets.readableValues(who) : {};
  return {
    input: { ...input, task: substituted[0], jobParameters: substituted[1] },
    env: dbutils ? { DJOBS_SECRETS: JSON.stringify(readable) } : {},
    values: [...resolved.values(), ...Object.values(readable).flatMap((s) => Object.values(s))],
  };
}

/**
 * Notebooks and Python files that call dbutils.secrets get the secrets their principal may read
 * (a look at the source spares every other task a read of all scopes).
 */
function usesDbutilsSecrets(input: TaskAttemptInput): boolean {
  const file = input.task.notebook_task?.notebook_path ?? input.task.spark_python_task?.python_file;
  if (!file) return false;
  try {
    return fs.readFileSync(file, 'utf8').includes('secrets.');
  } catch {
    return false;
  }
}

/**
 * Runs one attempt with its secrets: references resolved, dbutils secrets in its environment,
 * every value redacted from its log, tail, error, notebook output and task values. A reference
 * that cannot be resolved fails the attempt with the reason.
 */
export async function runWithSecrets(
  input: TaskAttemptInput,
  opts: { dataDir: string; groupsOf: GroupsOf },
  execute: (
    input: TaskAttemptInput,
    extra: Pick<ExecuteContext, 'env' | 'outputFilter' | 'unusableWarehouses'>
  ) => Promise<TaskAttemptRecord>
): Promise<TaskAttemptRecord> {
  let secrets: AttemptSecrets;
  let unusableWarehouses: string[];
  const startTime = Date.now();
  try {
    unusableWarehouses = await checkWarehouses(input, opts.groupsOf);
    secrets = await resolveAttemptSecrets(input, opts.groupsOf);
  } catch (err) {
    if (!(err instanceof SecretResolutionError)) throw err;
    const logPath = attemptLogPath(opts.dataDir, input);
    fs.mkdirSync(path.dirname(logPath), { recursive: true });
    fs.writeFileSync(logPath, `${err.message}\n`);
    throw new AttemptFailure('FAILED', err.message, {
      startTime,
      endTime: Date.now(),
      errorMessage: err.message,
      logPath,
      logTail: `${err.message}\n`,
      logTruncated: false,
      taskValues: {},
    });
  }
  // Each value in the forms it may be printed in too (base64, hex, URL-encoded).
  const values = secrets.values.flatMap(encodedForms);
  const filter = secretRedactor(values);
  if (!filter) return execute(secrets.input, { env: secrets.env, unusableWarehouses });
  const clean = <T>(v: T): T => redactDeep(v, values);
  try {
    return clean(await execute(secrets.input, { env: secrets.env, outputFilter: filter, unusableWarehouses }));
  } catch (err) {
    if (err instanceof AttemptFailure) throw new AttemptFailure(err.kind, clean(err.message), clean(err.record));
    throw err;
  }
}

/** Every string inside `v` with the values redacted. */
function redactDeep<T>(v: T, values: readonly string[]): T {
  if (typeof v === 'string') return redact(v, values) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => redactDeep(x, values)) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactDeep(x, values)])) as T;
  return v;
}

/** Groups per principal name from a principals file (YAML/JSON), or none without one. */
export function groupsFromPrincipalsFile(file: string | undefined): GroupsOf {
  if (!file) return () => [];
  const groups = new Map(readPrincipalsFile(file).map(({ principal }) => [principal.name, principal.groups]));
  return (name) => groups.get(name) ?? [];
}
