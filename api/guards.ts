// Permission checks of the Jobs API, judged before a route runs. Permission comes before
// existence, as on Databricks: a non-admin asking about a missing job or run gets 403, so ids
// cannot be probed; an admin gets the handler's 404.
import { ErrorCode, NotFoundError, type DurableJobsClient } from '../client';
import {
  SERVICE_PRINCIPAL_ROLES,
  accessControlListProblems,
  holdsRole,
  allows,
  changedCodeFields,
  editRefusal,
  effectiveLevel,
  identityOf,
  principalOfIdentity,
  runAsOfSetting,
  runJobTaskRefusal,
  warehouseUseRefusal,
  warehousesOfTask,
  runAsRefusal,
  unknownIdentityProblem,
  type AccessControlEntry,
  type GrantRule,
  type JobAccess,
  type JobSettings,
  type PermissionLevel,
  type Principal,
  type PrincipalDirectory,
  type RunAsIdentity,
  type WarehouseAccess,
} from '../core';
import { ApiError, badRequest } from './errors';
import type { ApiDeps } from './routes';

/** What a route needs: any signed-in principal, or a level on the job or run its parameters name. */
export type Guard = { on: 'anyone' } | { on: 'job'; level: PermissionLevel } | { on: 'run'; level: PermissionLevel };

export const denied = (who: Principal, level: PermissionLevel, what: string) =>
  new ApiError(ErrorCode.PERMISSION_DENIED, `${who.name} does not have ${level} permission on ${what}.`);

/** Whether a principal holds `level` under `access` (undefined: a job or run it cannot know). */
export const holds = (who: Principal, access: JobAccess | undefined, level: PermissionLevel): boolean =>
  allows(effectiveLevel(who, access), level);

/** An access_control_list from a request body, checked (every problem, with its path). */
export function aclFrom(v: unknown, path = 'access_control_list', levels?: readonly string[]): AccessControlEntry[] {
  const problems = accessControlListProblems(v, path, levels);
  if (problems.length > 0) throw badRequest(problems.join('; '));
  return (v as AccessControlEntry[] | undefined) ?? [];
}

/**
 * The principals file's directory, where the servicePrincipal/user role is also held through the
 * stored rule sets (api/access-control.ts) of the service principals in `identities`.
 */
export async function directoryWithRuleSets(
  { tokens, client }: Pick<ApiDeps, 'tokens' | 'client'>,
  who: Principal,
  identities: readonly (RunAsIdentity | undefined)[]
): Promise<PrincipalDirectory> {
  const rules = new Map<string, readonly GrantRule[]>();
  if (!who.admin)
    for (const id of identities)
      if (id?.kind === 'service_principal' && !rules.has(id.name))
        rules.set(id.name, (await client.servicePrincipalRuleSets.read(id.name)).grant_rules);
  return {
    find: (kind, name) => tokens.find(kind, name),
    groupExists: (name) => tokens.groupExists(name),
    holdsServicePrincipalUser: (p, name) =>
      tokens.holdsServicePrincipalUser(p, name) || holdsRole(rules.get(name) ?? [], p, SERVICE_PRINCIPAL_ROLES.USER),
  };
}

/**
 * The identity a saved job or a submitted run acts as, decided once (core/access/run-as.ts):
 * `run_as` if the settings name one (it must exist, and `who` must be allowed to name it: a
 * service principal's user role is read from the principals file and its rule set), else the
 * job's current identity when it is an existing job (a change of what it runs by someone who may
 * not act as it is refused), else `who` itself.
 */
export async function decideRunAs(
  deps: Pick<ApiDeps, 'tokens' | 'client'>,
  who: Principal,
  settings: JobSettings,
  current?: { jobId: number; runAs: RunAsIdentity; settings: JobSettings }
): Promise<RunAsIdentity> {
  const named = runAsOfSetting(settings.run_as);
  const directory = await directoryWithRuleSets(deps, who, [named, current?.runAs]);
  if (named) {
    const unknown = unknownIdentityProblem(named, directory);
    if (unknown) throw badRequest(unknown);
    const refusal = runAsRefusal(who, named, directory);
    if (refusal) throw new ApiError(ErrorCode.PERMISSION_DENIED, refusal);
    return named;
  }
  if (!current) return identityOf(who);
  const refusal = editRefusal(
    who,
    current.jobId,
    current.runAs,
    changedCodeFields(current.settings, settings),
    directory
  );
  if (refusal) throw new ApiError(ErrorCode.PERMISSION_DENIED, refusal);
  return current.runAs;
}

/**
 * Owners are set by the creator alone and moved by admins alone (Databricks: "The job owner can be
 * changed only by an admin"): a non-admin's access_control_list may name only itself IS_OWNER.
 * Whoever is named must exist.
 */
export function checkOwnerEntries(
  who: Principal,
  entries: readonly AccessControlEntry[],
  directory: PrincipalDirectory
): void {
  for (const e of entries) {
    if (e.permission_level !== 'IS_OWNER') continue;
    const kind = e.user_name !== undefined ? 'user' : 'service_principal';
    const name = e.user_name ?? e.service_principal_name ?? '';
    if (!directory.find(kind, name))
      throw badRequest(
        `access_control_list: no ${kind === 'user' ? 'user' : 'service principal'} named ${JSON.stringify(name)} exists to own it`
      );
    if (!who.admin && (name !== who.name || kind !== who.kind))
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} cannot make ${name} the owner: only workspace admins can give a job or run to another principal.`
      );
  }
}

/**
 * A job's run_job_tasks may start only jobs its run_as principal holds CAN_MANAGE_RUN on, checked
 * when it is saved (and again by the worker when the child run starts).
 */
export async function checkCalledJobs(
  { guards, tokens }: { guards: AccessGuards; tokens: PrincipalDirectory },
  runAs: RunAsIdentity,
  settings: JobSettings
): Promise<void> {
  const principal = principalOfIdentity(
    runAs,
    (name) => tokens.find(runAs.kind === 'service_principal' ? 'service_principal' : 'user', name)?.groups ?? []
  );
  for (const t of settings.tasks) {
    if (t.run_job_task) {
      const jobId = t.run_job_task.job_id;
      const refusal = runJobTaskRefusal(principal, jobId, await guards.jobAccess(jobId));
      if (refusal) throw new ApiError(ErrorCode.PERMISSION_DENIED, `tasks ${t.task_key}.run_job_task: ${refusal}`);
    }
    // Its SQL warehouses too: the run's identity needs CAN_USE (checked again when the task runs).
    for (const id of warehousesOfTask(t.for_each_task?.task ?? t)) {
      const refusal = warehouseUseRefusal(principal, id, await guards.warehouseAccess(id));
      if (refusal) throw new ApiError(ErrorCode.PERMISSION_DENIED, `tasks ${t.task_key}: ${refusal}`);
    }
  }
}

/** The checks that read a job's or a run's access through the client. */
export class AccessGuards {
  constructor(private readonly client: DurableJobsClient) {}

  /** Who may use a SQL warehouse (undefined: no such warehouse). */
  warehouseAccess(id: string): Promise<WarehouseAccess | undefined> {
    return this.client.warehouses.access(id);
  }

  /** A job's access, or undefined when it does not exist (then only admins learn that). */
  async jobAccess(jobId: number): Promise<JobAccess | undefined> {
    try {
      return await this.client.getJobAccess(jobId);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async requireJob(who: Principal, jobId: number, level: PermissionLevel): Promise<void> {
    if (who.admin) return;
    if (!holds(who, await this.jobAccess(jobId), level)) throw denied(who, level, `job ${jobId}`);
  }

  async requireRun(who: Principal, runId: number, level: PermissionLevel): Promise<void> {
    if (who.admin) return;
    let access: JobAccess | undefined;
    try {
      access = (await this.client.getRunAccess(runId)).access;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!holds(who, access, level)) throw denied(who, level, `run ${runId}`);
  }
}
