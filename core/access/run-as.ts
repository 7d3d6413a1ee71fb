// Who a job's runs act as, and who may decide it: Databricks' rules for `run_as`
// (https://docs.databricks.com/api/workspace/jobs/create, JobRunAs): a user name only of yourself
// unless you are a workspace admin, a service principal only with its `servicePrincipal/user`
// role, a group only as its member. The identity is decided when a job is saved or a run is
// submitted and stored with it; changing the job's owner never changes it. Pure.
import { ADMINS_GROUP, ALL_USERS_GROUP, allows, effectiveLevel, type JobAccess, type Principal } from './permissions';

/** The principal a run acts as: a user, a service principal or a group (Databricks JobRunAs). */
export interface RunAsIdentity {
  kind: 'user' | 'service_principal' | 'group';
  name: string;
}

/** The `run_as` field of job settings. */
export interface RunAsSetting {
  user_name?: string | undefined;
  service_principal_name?: string | undefined;
  group_name?: string | undefined;
}

/** Every principal the API knows (the principals file), and the service principal roles granted. */
export interface PrincipalDirectory {
  /** The user or service principal of that name, if it exists. */
  find(kind: 'user' | 'service_principal', name: string): Principal | undefined;
  /** Whether a group of that name exists (someone belongs to it, or it is `users` or `admins`). */
  groupExists(name: string): boolean;
  /** Whether `who` holds `servicePrincipal/user` on service principal `name` (directly or by a group). */
  holdsServicePrincipalUser(who: Principal, name: string): boolean;
}

/** The identity `run_as` names (exactly one of its fields), or undefined when it names none. */
export function runAsOfSetting(runAs: RunAsSetting | undefined): RunAsIdentity | undefined {
  if (runAs?.user_name !== undefined) return { kind: 'user', name: runAs.user_name };
  if (runAs?.service_principal_name !== undefined)
    return { kind: 'service_principal', name: runAs.service_principal_name };
  if (runAs?.group_name !== undefined) return { kind: 'group', name: runAs.group_name };
  return undefined;
}

/** A principal as the identity its own runs act as. */
export const identityOf = (who: Pick<Principal, 'kind' | 'name'>): RunAsIdentity => ({
  kind: who.kind,
  name: who.name,
});

export const sameIdentity = (a: RunAsIdentity, b: RunAsIdentity): boolean => a.kind === b.kind && a.name === b.name;

const FIELD: Record<RunAsIdentity['kind'], string> = {
  user: 'run_as.user_name',
  service_principal: 'run_as.service_principal_name',
  group: 'run_as.group_name',
};

/** Why `target` cannot be a run's identity because it does not exist, or undefined. */
export function unknownIdentityProblem(target: RunAsIdentity, directory: PrincipalDirectory): string | undefined {
  const exists =
    target.kind === 'group'
      ? directory.groupExists(target.name)
      : directory.find(target.kind, target.name) !== undefined;
  if (exists) return undefined;
  const what = target.kind === 'service_principal' ? 'service principal' : target.kind;
  return `${FIELD[target.kind]}: no ${what} named ${JSON.stringify(target.name)} exists`;
}

/** Whether `who` may make runs act as `target` (name it in run_as, or edit what it runs). */
export function mayActAs(who: Principal, target: RunAsIdentity, directory: PrincipalDirectory): boolean {
  if (who.admin) return true;
  switch (target.kind) {
    case 'user':
      return who.kind === 'user' && who.name === target.name;
    case 'service_principal':
      return (
        (who.kind === 'service_principal' && who.name === target.name) ||
        directory.holdsServicePrincipalUser(who, target.name)
      );
    case 'group':
      return target.name === ALL_USERS_GROUP ? false : who.groups.includes(target.name);
    default: {
      const never: never = target.kind;
      return never;
    }
  }
}

/** Why `who` may not name `target` in run_as (Databricks' words for each kind), or undefined. */
export function runAsRefusal(who: Principal, target: RunAsIdentity, directory: PrincipalDirectory): string | undefined {
  if (mayActAs(who, target, directory)) return undefined;
  switch (target.kind) {
    case 'user':
      return `${who.name} cannot set run_as to the user ${target.name}: non-admin users can only set it to themselves.`;
    case 'service_principal':
      return `${who.name} cannot set run_as to the service principal ${target.name}: that needs the servicePrincipal/user role on it.`;
    case 'group':
      return `${who.name} cannot set run_as to the group ${target.name}: that needs membership of the group.`;
    default: {
      const never: never = target.kind;
      return never;
    }
  }
}

/**
 * Fields of job settings that decide what a run executes (its code and arguments). A change of any
 * of them by someone who may not act as the job's run_as principal is refused (`editRefusal`).
 */
export const CODE_FIELDS = ['tasks', 'job_clusters', 'environments', 'git_source', 'parameters'] as const;

/**
 * Why `who` may not save these settings over a job that acts as `current`, or undefined. Databricks
 * lets only admins name another user in run_as: saving a job whose tasks changed re-states its
 * run_as, so an editor who may not act as the job's principal is refused rather than silently
 * made its identity (it can take the job over openly by setting run_as to itself in the same save).
 */
export function editRefusal(
  who: Principal,
  jobId: number,
  current: RunAsIdentity,
  changedFields: readonly string[],
  directory: PrincipalDirectory
): string | undefined {
  if (changedFields.length === 0 || mayActAs(who, current, directory)) return undefined;
  return `${who.name} cannot change ${changedFields.join(', ')} of job ${jobId}, which runs as ${current.name}: only its run_as principal or an admin can; set run_as to yourself in the same request to take the job's runs over.`;
}

/** JSON with object keys sorted: equal for equal values whatever order their keys were written in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Which of `CODE_FIELDS` differ between two versions of a job's settings. */
export function changedCodeFields(before: object, after: object): string[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return CODE_FIELDS.filter((f) => canonicalJson(b[f]) !== canonicalJson(a[f]));
}

/** The principal an identity is, as permission checks see it (a group acts with its own membership). */
export function principalOfIdentity(identity: RunAsIdentity, groupsOf: (name: string) => readonly string[]): Principal {
  const groups = identity.kind === 'group' ? [identity.name] : [...groupsOf(identity.name)];
  return {
    name: identity.name,
    kind: identity.kind === 'service_principal' ? 'service_principal' : 'user',
    groups,
    admin: groups.includes(ADMINS_GROUP),
  };
}

/**
 * Why a run acting as `runAs` may not start job `jobId` from a run_job_task (it needs
 * CAN_MANAGE_RUN on it, as run-now does), or undefined. The message names nothing of the other
 * job, and a job that does not exist reads the same as one it may not run.
 */
export function runJobTaskRefusal(runAs: Principal, jobId: number, access: JobAccess | undefined): string | undefined {
  if (allows(effectiveLevel(runAs, access), 'CAN_MANAGE_RUN')) return undefined;
  if (runAs.admin) return `Job ${jobId} does not exist.`;
  return `${runAs.name} (the run's run_as) does not have CAN_MANAGE_RUN permission on job ${jobId}, or it does not exist: a run_job_task needs it to start that job.`;
}
