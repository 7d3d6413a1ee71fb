// SQL warehouse permissions, Databricks' model (https://docs.databricks.com/api/workspace/warehouses):
// CAN_USE < CAN_MONITOR < CAN_MANAGE < IS_OWNER, granted to users, service principals and groups;
// workspace admins manage every warehouse. A SQL task (or a SQL notebook) runs on a warehouse only
// when its run's identity may use it. The `default` warehouse (the embedded DuckDB database tasks
// use when they name none) is open to everyone (`users` CAN_USE) until an admin restricts it. Pure.
import { ADMINS_GROUP, ALL_USERS_GROUP, type AccessControlEntry, type Principal } from './permissions';

export const WarehousePermissionLevel = {
  CAN_USE: 'CAN_USE',
  CAN_MONITOR: 'CAN_MONITOR',
  CAN_MANAGE: 'CAN_MANAGE',
  IS_OWNER: 'IS_OWNER',
} as const;
export type WarehousePermissionLevel = (typeof WarehousePermissionLevel)[keyof typeof WarehousePermissionLevel];

const RANK: Record<WarehousePermissionLevel, number> = { CAN_USE: 1, CAN_MONITOR: 2, CAN_MANAGE: 3, IS_OWNER: 4 };

export const WAREHOUSE_PERMISSION_LEVEL_DESCRIPTIONS: Record<WarehousePermissionLevel, string> = {
  CAN_USE: 'Can run queries (SQL tasks) on the warehouse',
  CAN_MONITOR: 'Can use the warehouse and see its queries',
  CAN_MANAGE: "Can change the warehouse's permissions and delete it, as well as use it",
  IS_OWNER: 'Owns the warehouse: can do everything CAN_MANAGE can',
};

export const isWarehousePermissionLevel = (v: unknown): v is WarehousePermissionLevel =>
  typeof v === 'string' && Object.hasOwn(RANK, v);

/** A warehouse id: an identifier, so that it can never name a path (`[A-Za-z0-9_-]+`). */
export const WAREHOUSE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const DEFAULT_WAREHOUSE_ID = 'default';

export const warehouseIdProblem = (id: string): string | undefined =>
  WAREHOUSE_ID.test(id)
    ? undefined
    : `expected a warehouse id of 1 to 64 letters, digits, "_" and "-", found ${JSON.stringify(id)}`;

/** Who owns a warehouse and who else may use or manage it. */
export interface WarehouseAccess {
  owner: { user_name: string } | { service_principal_name: string };
  grants: {
    user_name?: string;
    group_name?: string;
    service_principal_name?: string;
    permission_level: WarehousePermissionLevel;
  }[];
}

/** The `default` warehouse's access until an admin sets one: everyone may use it, admins own it. */
export const DEFAULT_WAREHOUSE_ACCESS: WarehouseAccess = {
  owner: { user_name: 'admin' },
  grants: [{ group_name: ALL_USERS_GROUP, permission_level: 'CAN_USE' }],
};

/** The strongest level `p` holds on a warehouse (undefined: none). */
export function warehouseLevel(
  p: Principal,
  access: WarehouseAccess | undefined
): WarehousePermissionLevel | undefined {
  if (!access) return p.admin ? 'CAN_MANAGE' : undefined;
  const owner = 'user_name' in access.owner ? access.owner.user_name : access.owner.service_principal_name;
  const ownerKind = 'user_name' in access.owner ? 'user' : 'service_principal';
  if (owner === p.name && ownerKind === p.kind) return 'IS_OWNER';
  let best: WarehousePermissionLevel | undefined =
    p.admin || p.groups.includes(ADMINS_GROUP) ? 'CAN_MANAGE' : undefined;
  for (const g of access.grants) {
    const applies =
      (g.user_name !== undefined && p.kind === 'user' && g.user_name === p.name) ||
      (g.service_principal_name !== undefined &&
        p.kind === 'service_principal' &&
        g.service_principal_name === p.name) ||
      (g.group_name !== undefined && (g.group_name === ALL_USERS_GROUP || p.groups.includes(g.group_name)));
    if (applies && (!best || RANK[g.permission_level] > RANK[best])) best = g.permission_level;
  }
  return best;
}

export const warehouseAllows = (held: WarehousePermissionLevel | undefined, needed: WarehousePermissionLevel) =>
  held !== undefined && RANK[held] >= RANK[needed];

/** Job-style entries (checked by `accessControlListProblems`' shape rules) as warehouse grants. */
export function warehouseGrantsProblems(entries: readonly AccessControlEntry[] | readonly unknown[]): string[] {
  return (entries as { permission_level?: unknown }[])
    .map((e, i) =>
      isWarehousePermissionLevel(e.permission_level)
        ? undefined
        : `access_control_list[${i}].permission_level: expected one of ${Object.keys(RANK).join(', ')}, found ${JSON.stringify(e.permission_level)}`
    )
    .filter((p): p is string => p !== undefined);
}

type WarehouseTask = {
  sql_task?: { warehouse_id?: string | undefined } | undefined;
  notebook_task?: { notebook_path: string; warehouse_id?: string | undefined } | undefined;
  dbt_task?: { warehouse_id?: string | undefined } | undefined;
};

/**
 * The warehouses a task uses: a SQL task's (or its default), a SQL notebook's when it names one,
 * a dbt task's when it names one.
 */
export function warehousesOfTask(task: WarehouseTask): string[] {
  if (task.sql_task) return [task.sql_task.warehouse_id ?? DEFAULT_WAREHOUSE_ID];
  if (task.dbt_task?.warehouse_id !== undefined) return [task.dbt_task.warehouse_id];
  const nb = task.notebook_task;
  if (nb?.warehouse_id !== undefined) return [nb.warehouse_id];
  if (nb && nb.notebook_path.toLowerCase().endsWith('.sql')) return [DEFAULT_WAREHOUSE_ID];
  return [];
}

/**
 * The warehouse a task may use without naming one: a Python notebook's `%sql` cells and a dbt
 * task's generated profile go to the default warehouse, when the run's identity may use it (the
 * task is not refused for it: its SQL finds no warehouse).
 */
export function implicitWarehousesOfTask(task: WarehouseTask): string[] {
  return warehousesOfTask(task).length === 0 && (task.notebook_task ?? task.dbt_task) ? [DEFAULT_WAREHOUSE_ID] : [];
}

/** Why `who` may not run SQL on warehouse `id`, or undefined (a missing warehouse reads the same). */
export function warehouseUseRefusal(
  who: Principal,
  id: string,
  access: WarehouseAccess | undefined
): string | undefined {
  if (warehouseAllows(warehouseLevel(who, access), 'CAN_USE')) return undefined;
  return `${who.name} does not have CAN_USE permission on SQL warehouse ${id}, or it does not exist.`;
}
