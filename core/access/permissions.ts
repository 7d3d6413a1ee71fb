// Job permissions, Databricks' model: a job has one owner (a user or service principal) and
// direct grants to users, service principals and groups; workspace admins hold CAN_MANAGE on every
// job. Pure: the client stores a job's access next to its settings, the API checks it.

export const PermissionLevel = {
  CAN_VIEW: 'CAN_VIEW',
  CAN_MANAGE_RUN: 'CAN_MANAGE_RUN',
  CAN_MANAGE: 'CAN_MANAGE',
  IS_OWNER: 'IS_OWNER',
} as const;
export type PermissionLevel = (typeof PermissionLevel)[keyof typeof PermissionLevel];

/** What each level allows, weakest first: a level includes everything before it. */
const RANK: Record<PermissionLevel, number> = { CAN_VIEW: 1, CAN_MANAGE_RUN: 2, CAN_MANAGE: 3, IS_OWNER: 4 };

export const PERMISSION_LEVEL_DESCRIPTIONS: Record<PermissionLevel, string> = {
  CAN_VIEW: 'Can view the job, its runs and their output',
  CAN_MANAGE_RUN: 'Can view the job and run, cancel, repair, pause and resume its runs',
  CAN_MANAGE: "Can change the job's settings and permissions and delete it, as well as manage its runs",
  IS_OWNER: 'Owns the job: can do everything CAN_MANAGE can; runs run as the owner unless run_as says otherwise',
};

export const isPermissionLevel = (v: unknown): v is PermissionLevel => typeof v === 'string' && Object.hasOwn(RANK, v);

/** Whoever makes a request: a user or a service principal, with its groups. */
export interface Principal {
  name: string;
  kind: 'user' | 'service_principal';
  groups: readonly string[];
  /** A workspace admin (member of the `admins` group): CAN_MANAGE on every job. */
  admin: boolean;
}

/** One Databricks access_control_list entry: exactly one of the three names. */
export interface AccessControlEntry {
  user_name?: string;
  group_name?: string;
  service_principal_name?: string;
  permission_level: PermissionLevel;
}

/** A job's access, stored with the job (and snapshotted onto each of its runs). */
export interface JobAccess {
  owner: { user_name: string } | { service_principal_name: string };
  /** Direct grants other than the owner's. */
  grants: AccessControlEntry[];
}

/** Every group name all principals belong to, as in Databricks. */
export const ALL_USERS_GROUP = 'users';
export const ADMINS_GROUP = 'admins';

export const ownerName = (access: JobAccess): string =>
  'user_name' in access.owner ? access.owner.user_name : access.owner.service_principal_name;

function entryName(e: AccessControlEntry): {
  key: 'user_name' | 'group_name' | 'service_principal_name';
  name: string;
} {
  if (e.user_name !== undefined) return { key: 'user_name', name: e.user_name };
  if (e.group_name !== undefined) return { key: 'group_name', name: e.group_name };
  return { key: 'service_principal_name', name: e.service_principal_name ?? '' };
}

function matches(e: AccessControlEntry, p: Principal): boolean {
  const { key, name } = entryName(e);
  switch (key) {
    case 'user_name':
      return p.kind === 'user' && p.name === name;
    case 'service_principal_name':
      return p.kind === 'service_principal' && p.name === name;
    case 'group_name':
      return name === ALL_USERS_GROUP || p.groups.includes(name);
    default: {
      const never: never = key;
      return never;
    }
  }
}

/** The strongest level `p` holds on a job with `access` (undefined: no access at all). */
export function effectiveLevel(p: Principal, access: JobAccess | undefined): PermissionLevel | undefined {
  if (p.admin) return access && ownerName(access) === p.name ? 'IS_OWNER' : 'CAN_MANAGE';
  if (!access) return undefined;
  if (ownerName(access) === p.name && 'user_name' in access.owner === (p.kind === 'user')) return 'IS_OWNER';
  let best: PermissionLevel | undefined;
  for (const e of access.grants) {
    if (matches(e, p) && (!best || RANK[e.permission_level] > RANK[best])) best = e.permission_level;
  }
  return best;
}

export const allows = (held: PermissionLevel | undefined, needed: PermissionLevel): boolean =>
  held !== undefined && RANK[held] >= RANK[needed];

/**
 * Check an access_control_list from a request: every problem, with its path. Exactly one name
 * per entry, a known level, IS_OWNER only for a user or service principal and at most once.
 */
export function accessControlListProblems(
  acl: unknown,
  path = 'access_control_list',
  levels: readonly string[] = Object.keys(RANK)
): string[] {
  if (acl === undefined) return [];
  if (!Array.isArray(acl)) return [`${path}: expected an array, found ${typeof acl}`];
  const problems: string[] = [];
  let owners = 0;
  acl.forEach((raw: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at}: expected an object`);
      return;
    }
    const e = raw as Record<string, unknown>;
    const names = ['user_name', 'group_name', 'service_principal_name'].filter((k) => e[k] !== undefined);
    if (names.length !== 1) {
      problems.push(
        `${at}: expected exactly one of user_name, group_name, service_principal_name, found ${names.length === 0 ? 'none' : names.join(' and ')}`
      );
    } else if (typeof e[names[0]!] !== 'string' || e[names[0]!] === '') {
      problems.push(`${at}.${names[0]}: expected a non-empty string`);
    }
    const unknown = Object.keys(e).filter(
      (k) => !['user_name', 'group_name', 'service_principal_name', 'permission_level'].includes(k)
    );
    if (unknown.length > 0) problems.push(`${at}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    if (typeof e.permission_level !== 'string' || !levels.includes(e.permission_level)) {
      problems.push(
        `${at}.permission_level: expected one of ${levels.join(', ')}, found ${JSON.stringify(e.permission_level)}`
      );
    } else if (e.permission_level === 'IS_OWNER') {
      owners++;
      if (e.group_name !== undefined)
        problems.push(`${at}: a group cannot own a job; IS_OWNER needs a user or service principal`);
    }
  });
  if (owners > 1) problems.push(`${path}: a job has exactly one owner, found ${owners} IS_OWNER entries`);
  return problems;
}

/** Fold request entries (already checked) into an access: the IS_OWNER entry, if any, moves ownership. */
function withEntries(base: JobAccess, entries: readonly AccessControlEntry[]): JobAccess {
  let owner = base.owner;
  const grants = new Map(base.grants.map((g) => [JSON.stringify(entryName(g)), g]));
  for (const e of entries) {
    const { key, name } = entryName(e);
    if (e.permission_level === 'IS_OWNER') {
      owner = key === 'user_name' ? { user_name: name } : { service_principal_name: name };
      grants.delete(JSON.stringify({ key, name }));
      continue;
    }
    grants.set(JSON.stringify({ key, name }), { [key]: name, permission_level: e.permission_level });
  }
  const ownerId = JSON.stringify(entryName({ ...owner, permission_level: 'IS_OWNER' }));
  grants.delete(ownerId);
  return { owner, grants: [...grants.values()] };
}

/** PATCH semantics: add or change grants, keep the rest. */
export const updateAccess = (base: JobAccess, entries: readonly AccessControlEntry[]): JobAccess =>
  withEntries(base, entries);

/** PUT semantics: the request's grants replace all direct grants; the owner stays unless moved. */
export const replaceAccess = (base: JobAccess, entries: readonly AccessControlEntry[]): JobAccess =>
  withEntries({ owner: base.owner, grants: [] }, entries);

/** The Databricks JobPermissions body for a job. */
export function toJobPermissions(jobId: number, access: JobAccess) {
  const direct = (level: PermissionLevel) => [{ permission_level: level, inherited: false }];
  return {
    object_id: `/jobs/${jobId}`,
    object_type: 'job',
    access_control_list: [
      { ...access.owner, all_permissions: direct('IS_OWNER') },
      ...access.grants.map((g) => {
        const { key, name } = entryName(g);
        return { [key]: name, all_permissions: direct(g.permission_level) };
      }),
      {
        group_name: ADMINS_GROUP,
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: true, inherited_from_object: ['/jobs/'] }],
      },
    ],
  };
}

/**
 * Who may see a job (every level includes CAN_VIEW), as keywords a listing can be filtered by on
 * the server: `user:<name>`, `service_principal:<name>` and `group:<name>` for its owner and each
 * grant. `viewerKeywordsOf` gives the keywords a principal matches; the two meet exactly when
 * `effectiveLevel` gives the principal some level.
 */
export function jobViewerKeywords(access: JobAccess): string[] {
  const keys = new Set<string>();
  keys.add('user_name' in access.owner ? `user:${access.owner.user_name}` : `service_principal:${ownerName(access)}`);
  for (const e of access.grants) {
    const { key, name } = entryName(e);
    keys.add(`${VIEWER_KEYWORD_PREFIX[key]}:${name}`);
  }
  return [...keys];
}

export function viewerKeywordsOf(p: Principal): string[] {
  return [`${p.kind}:${p.name}`, ...[...new Set([ALL_USERS_GROUP, ...p.groups])].map((g) => `group:${g}`)];
}

const VIEWER_KEYWORD_PREFIX = {
  user_name: 'user',
  group_name: 'group',
  service_principal_name: 'service_principal',
} as const;
