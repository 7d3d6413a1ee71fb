// What the signed-in principal may do on a job, decided by the same pure rules the API enforces
// (core/access/permissions.ts) over what the API returns: SCIM Me and the job's permissions. A
// button appears only when the API would accept its call.
import {
  allows,
  effectiveLevel,
  type JobAccess,
  type PermissionLevel,
  type Principal,
} from '../../core/access/permissions';
import { get, type AclEntry, type Me, type Run } from './api';

export function principalOf(me: Me): Principal {
  const groups = me.groups.map((g) => g.display);
  return {
    name: me.userName,
    kind: me.schemas.some((s) => s.endsWith(':ServicePrincipal')) ? 'service_principal' : 'user',
    groups,
    admin: groups.includes('admins'),
  };
}

/** The job's access as stored, rebuilt from its Databricks permissions (direct entries only). */
export function accessFromAcl(acl: AclEntry[]): JobAccess {
  let owner: JobAccess['owner'] = { user_name: '' };
  const grants: JobAccess['grants'] = [];
  for (const e of acl) {
    for (const p of e.all_permissions) {
      if (p.inherited) continue;
      const level = p.permission_level as PermissionLevel;
      if (level === 'IS_OWNER')
        owner = e.service_principal_name
          ? { service_principal_name: e.service_principal_name }
          : { user_name: e.user_name ?? '' };
      else
        grants.push({
          ...(e.user_name ? { user_name: e.user_name } : {}),
          ...(e.group_name ? { group_name: e.group_name } : {}),
          ...(e.service_principal_name ? { service_principal_name: e.service_principal_name } : {}),
          permission_level: level,
        });
    }
  }
  return { owner, grants };
}

const cache = new Map<number, { at: number; level: Promise<PermissionLevel | undefined> }>();
const TTL_MS = 15_000;

/** The principal's level on a job (admins: without asking). */
export function jobLevel(who: Principal, jobId: number): Promise<PermissionLevel | undefined> {
  if (who.admin) return Promise.resolve(effectiveLevel(who, undefined));
  const hit = cache.get(jobId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.level;
  const level = get<{ access_control_list?: AclEntry[] }>(`2.0/permissions/jobs/${jobId}`)
    .then((p) => effectiveLevel(who, accessFromAcl(p.access_control_list ?? [])))
    .catch(() => undefined);
  cache.set(jobId, { at: Date.now(), level });
  return level;
}

/** A run's level: its job's, or for a one-time (submitted) run, its submitter's. */
export async function runLevel(who: Principal, run: Pick<Run, 'job_id' | 'creator_user_name'>) {
  if (run.job_id !== undefined) return jobLevel(who, run.job_id);
  if (who.admin) return effectiveLevel(who, undefined);
  return run.creator_user_name === who.name ? ('IS_OWNER' as const) : undefined;
}

export const can = {
  run: (l: PermissionLevel | undefined) => allows(l, 'CAN_MANAGE_RUN'),
  manage: (l: PermissionLevel | undefined) => allows(l, 'CAN_MANAGE'),
};
export type { Principal, PermissionLevel };
