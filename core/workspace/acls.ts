// Workspace object permissions, Databricks' model for folders, notebooks and files: CAN_READ <
// CAN_RUN < CAN_EDIT < CAN_MANAGE, granted to users, service principals and groups, and inherited
// by everything below the object they are granted on (a grant below can add, never take away).
// Every user MANAGEs their home folder `/Users/<name>`, every user MANAGEs `/Shared` (Databricks'
// default), admins MANAGE everything; the root, `/Users` and `/Repos` can be listed by everyone,
// which shows only what the lister may see. Pure: the grants are kept by stores/workspace-acls.ts.
import { ALL_USERS_GROUP, type Principal } from '../access/permissions';
import { workspacePathText } from './paths';

export const WorkspacePermission = {
  CAN_READ: 'CAN_READ',
  CAN_RUN: 'CAN_RUN',
  CAN_EDIT: 'CAN_EDIT',
  CAN_MANAGE: 'CAN_MANAGE',
} as const;
export type WorkspacePermission = (typeof WorkspacePermission)[keyof typeof WorkspacePermission];

const RANK: Record<WorkspacePermission, number> = { CAN_READ: 1, CAN_RUN: 2, CAN_EDIT: 3, CAN_MANAGE: 4 };

export const WORKSPACE_PERMISSION_DESCRIPTIONS: Record<WorkspacePermission, string> = {
  CAN_READ: 'Can view, list and export the object',
  CAN_RUN: 'Can read the object and run it',
  CAN_EDIT: 'Can read, run and change the object; in a folder, create, import and delete objects',
  CAN_MANAGE: 'Can do everything, and change the permissions',
};

export const isWorkspacePermission = (v: unknown): v is WorkspacePermission =>
  typeof v === 'string' && Object.hasOwn(RANK, v);

export const workspaceAllows = (held: WorkspacePermission | undefined, needed: WorkspacePermission): boolean =>
  held !== undefined && RANK[held] >= RANK[needed];

/** One grant on a workspace object: exactly one of the three names. */
export interface WorkspaceGrant {
  user_name?: string;
  group_name?: string;
  service_principal_name?: string;
  permission_level: WorkspacePermission;
}

/** Direct grants by workspace path (`/Users/alice/etl`). */
export type WorkspaceGrants = Record<string, WorkspaceGrant[]>;

export const SHARED_FOLDER = 'Shared';
export const USERS_FOLDER = 'Users';

const grantApplies = (g: WorkspaceGrant, who: Principal): boolean =>
  g.user_name !== undefined
    ? who.kind === 'user' && g.user_name === who.name
    : g.service_principal_name !== undefined
      ? who.kind === 'service_principal' && g.service_principal_name === who.name
      : g.group_name === ALL_USERS_GROUP || who.groups.includes(g.group_name ?? '');

const stronger = (a: WorkspacePermission | undefined, b: WorkspacePermission | undefined) =>
  a === undefined ? b : b === undefined ? a : RANK[b] > RANK[a] ? b : a;

/** Levels that hold on an object without a grant: a user's home, `/Shared`. */
function builtInLevel(segments: readonly string[], who: Principal): WorkspacePermission | undefined {
  if (segments[0] === USERS_FOLDER && segments[1] === who.name) return WorkspacePermission.CAN_MANAGE;
  if (segments[0] === SHARED_FOLDER) return WorkspacePermission.CAN_MANAGE;
  return undefined;
}

/** The strongest level `who` holds on the object at `segments` (undefined: none). */
export function workspaceLevel(
  who: Principal,
  segments: readonly string[],
  grants: WorkspaceGrants
): WorkspacePermission | undefined {
  if (who.admin) return WorkspacePermission.CAN_MANAGE;
  let best = builtInLevel(segments, who);
  for (let n = 0; n <= segments.length; n++) {
    for (const g of grants[workspacePathText(segments.slice(0, n))] ?? [])
      if (grantApplies(g, who)) best = stronger(best, g.permission_level);
  }
  return best;
}

/** Folders everyone may list (their listing shows only what the lister may see). */
export const isBrowsableFolder = (segments: readonly string[]): boolean =>
  segments.length === 0 || (segments.length === 1 && ['Users', 'Repos', 'Workspace'].includes(segments[0]!));

/**
 * Whether `who` may see that an object exists: it holds a level on it, or on something below it
 * (a folder on the way to an object shared with them), or the folder is browsable.
 */
export function workspaceVisible(who: Principal, segments: readonly string[], grants: WorkspaceGrants): boolean {
  if (workspaceLevel(who, segments, grants) !== undefined || isBrowsableFolder(segments)) return true;
  const prefix = `${workspacePathText(segments)}/`;
  if (segments[0] === USERS_FOLDER && segments.length === 1) return true;
  if (`/${USERS_FOLDER}/${who.name}/`.startsWith(prefix)) return true;
  return Object.entries(grants).some(([p, gs]) => p.startsWith(prefix) && gs.some((g) => grantApplies(g, who)));
}

/**
 * Where in the workspace `who` holds a level: their home, `/Shared`, and every object with a grant
 * that applies to them, each with the strongest level granted there (inherited below). Admins hold
 * CAN_MANAGE on the root. What a task's runtime checks its `%run`, `dbutils.fs` and
 * `dbutils.notebook.run` paths against, and what a sandbox mounts.
 */
export function workspaceReach(
  who: Principal,
  grants: WorkspaceGrants
): Array<{ path: string; level: WorkspacePermission }> {
  if (who.admin) return [{ path: '/', level: WorkspacePermission.CAN_MANAGE }];
  const reach = new Map<string, WorkspacePermission>([
    [`/${USERS_FOLDER}/${who.name}`, WorkspacePermission.CAN_MANAGE],
    [`/${SHARED_FOLDER}`, WorkspacePermission.CAN_MANAGE],
  ]);
  for (const [p, gs] of Object.entries(grants))
    for (const g of gs) if (grantApplies(g, who)) reach.set(p, stronger(reach.get(p), g.permission_level)!);
  return [...reach].map(([path, level]) => ({ path, level })).sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Every problem of an access_control_list for a workspace object, with its path. */
export function workspaceAclProblems(acl: unknown, path = 'access_control_list'): string[] {
  if (acl === undefined) return [];
  if (!Array.isArray(acl)) return [`${path}: expected an array`];
  const problems: string[] = [];
  acl.forEach((raw: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at}: expected an object`);
      return;
    }
    const e = raw as Record<string, unknown>;
    const names = ['user_name', 'group_name', 'service_principal_name'].filter((k) => e[k] !== undefined);
    if (names.length !== 1)
      problems.push(`${at}: expected exactly one of user_name, group_name, service_principal_name`);
    else if (typeof e[names[0]!] !== 'string' || e[names[0]!] === '')
      problems.push(`${at}.${names[0]}: expected a non-empty string`);
    if (!isWorkspacePermission(e.permission_level))
      problems.push(
        `${at}.permission_level: expected one of ${Object.keys(RANK).join(', ')}, found ${JSON.stringify(e.permission_level)}`
      );
    const unknown = Object.keys(e).filter(
      (k) => !['user_name', 'group_name', 'service_principal_name', 'permission_level'].includes(k)
    );
    if (unknown.length > 0) problems.push(`${at}: unknown field ${unknown.join(', ')}`);
  });
  return problems;
}

const grantKey = (g: WorkspaceGrant) =>
  g.user_name !== undefined
    ? `u:${g.user_name}`
    : g.group_name !== undefined
      ? `g:${g.group_name}`
      : `s:${g.service_principal_name}`;

/** PATCH: the entries add to or change the object's direct grants; PUT (`replace`): they are all of them. */
export function changeGrants(
  current: readonly WorkspaceGrant[],
  entries: readonly WorkspaceGrant[],
  replace: boolean
): WorkspaceGrant[] {
  const byKey = new Map((replace ? [] : current).map((g) => [grantKey(g), g]));
  for (const e of entries) {
    const name =
      e.user_name !== undefined
        ? { user_name: e.user_name }
        : e.group_name !== undefined
          ? { group_name: e.group_name }
          : { service_principal_name: e.service_principal_name! };
    byKey.set(grantKey(e), { ...name, permission_level: e.permission_level });
  }
  return [...byKey.values()];
}

/** The `/permissions/{directories|notebooks|files}/{id}` body: direct grants, then inherited ones. */
export function toWorkspacePermissions(
  objectType: 'directory' | 'notebook' | 'file',
  objectId: number,
  segments: readonly string[],
  grants: WorkspaceGrants,
  idOf: (segments: readonly string[]) => number
) {
  const kind = { directory: 'directories', notebook: 'notebooks', file: 'files' }[objectType];
  const entries: Array<Record<string, unknown>> = [];
  const nameOf = (g: WorkspaceGrant) =>
    g.user_name !== undefined
      ? { user_name: g.user_name }
      : g.group_name !== undefined
        ? { group_name: g.group_name }
        : { service_principal_name: g.service_principal_name };
  const add = (g: WorkspaceGrant, inheritedFrom?: string) => {
    const name = nameOf(g);
    const permission = {
      permission_level: g.permission_level,
      inherited: inheritedFrom !== undefined,
      ...(inheritedFrom !== undefined ? { inherited_from_object: [inheritedFrom] } : {}),
    };
    const existing = entries.find(
      (e) => JSON.stringify(nameOf(e as unknown as WorkspaceGrant)) === JSON.stringify(name)
    );
    if (existing) (existing.all_permissions as unknown[]).push(permission);
    else entries.push({ ...name, all_permissions: [permission] });
  };
  for (const g of grants[workspacePathText(segments)] ?? []) add(g);
  for (let n = segments.length - 1; n >= 0; n--) {
    const ancestor = segments.slice(0, n);
    for (const g of grants[workspacePathText(ancestor)] ?? []) add(g, `/directories/${idOf(ancestor)}`);
  }
  if (segments[0] === USERS_FOLDER && segments[1] !== undefined)
    add(
      { user_name: segments[1], permission_level: WorkspacePermission.CAN_MANAGE },
      `/directories/${idOf(segments.slice(0, 2))}`
    );
  if (segments[0] === SHARED_FOLDER)
    add(
      { group_name: ALL_USERS_GROUP, permission_level: WorkspacePermission.CAN_MANAGE },
      `/directories/${idOf([SHARED_FOLDER])}`
    );
  add({ group_name: 'admins', permission_level: WorkspacePermission.CAN_MANAGE }, '/directories/0');
  return { object_id: `/${kind}/${objectId}`, object_type: objectType, access_control_list: entries };
}
