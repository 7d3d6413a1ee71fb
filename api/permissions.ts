// The Permissions API (https://docs.databricks.com/api/workspace/permissions), on /api/2.0 only,
// as in Databricks: an object's owner and grants, read and changed. One table entry per object
// type (`PermissionObjectType`: jobs here, SQL warehouses in api/warehouses.ts, more types add
// an entry), each served at its paths with the same rules: reading needs the type's view level,
// changing its manage level, and only an admin may change the owner (Databricks: "The job owner can
// be changed only by an admin"); the objects' other uses keep the identity they had.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../client';
import {
  PERMISSION_LEVEL_DESCRIPTIONS,
  replaceAccess,
  toJobPermissions,
  updateAccess,
  type JobAccess,
  type Principal,
} from '../core';
import { principalOf } from './auth';
import { ApiError } from './errors';
import { aclFrom, checkOwnerEntries } from './guards';
import { int, requestBody } from './request-params';
import type { ApiDeps } from './routes';

/** One kind of object the Permissions API serves. */
export interface PermissionObjectType<Id> {
  /** Paths below /api/2.0/permissions/ with `:id`, e.g. `jobs/:id`. */
  paths: string[];
  /** The object's id from the path parameter (a 400 when malformed). */
  idOf(raw: string): Id;
  /** How messages name the object, e.g. `job 123`. */
  name(id: Id): string;
  /** The levels and what they allow, weakest first. */
  levels: Record<string, string>;
  /** Refuses unless `who` may read (`write` false) or change (`write` true) the object's permissions. */
  require(who: Principal, id: Id, write: boolean): Promise<void>;
  read(id: Id): Promise<JobAccess>;
  write(id: Id, access: JobAccess, who: Principal): Promise<void>;
  /** The Databricks body: object_id, object_type, access_control_list. */
  body(id: Id, access: JobAccess): unknown;
}

/** Serves an object type's permissions at its paths (GET, PUT replaces grants, PATCH adds to them). */
export function registerObjectPermissions<Id>(
  app: FastifyInstance,
  { tokens }: Pick<ApiDeps, 'tokens'>,
  type: PermissionObjectType<Id>
): void {
  const idOf = (req: FastifyRequest) => type.idOf((req.params as Record<string, string>).id ?? '');
  const change = (replace: boolean) => async (req: FastifyRequest) => {
    const id = idOf(req);
    const who = principalOf(req);
    await type.require(who, id, true);
    const entries = aclFrom(
      requestBody(req)?.access_control_list ?? [],
      'access_control_list',
      Object.keys(type.levels)
    );
    const current = await type.read(id);
    const next = replace ? replaceAccess(current, entries) : updateAccess(current, entries);
    if (JSON.stringify(next.owner) !== JSON.stringify(current.owner)) {
      if (!who.admin)
        throw new ApiError(ErrorCode.PERMISSION_DENIED, `Only an admin can change the owner of ${type.name(id)}.`);
      checkOwnerEntries(who, entries, tokens);
    }
    await type.write(id, next, who);
    return type.body(id, next);
  };
  for (const p of type.paths) {
    const path = `/api/2.0/permissions/${p}`;
    app.get(path, async (req) => {
      const id = idOf(req);
      await type.require(principalOf(req), id, false);
      return type.body(id, await type.read(id));
    });
    app.get(`${path}/permissionLevels`, async (req) => {
      await type.require(principalOf(req), idOf(req), false);
      return {
        permission_levels: Object.entries(type.levels).map(([permission_level, description]) => ({
          permission_level,
          description,
        })),
      };
    });
    app.put(path, change(true));
    app.patch(path, change(false));
  }
}

/** Jobs (https://docs.databricks.com/api/workspace/jobs/getpermissions). */
export function registerPermissionsApi(app: FastifyInstance, deps: ApiDeps): void {
  const { client, guards } = deps;
  registerObjectPermissions<number>(app, deps, {
    paths: ['jobs/:id'],
    idOf: (raw) => int(raw, 'job_id', { required: true })!,
    name: (id) => `job ${id}`,
    levels: PERMISSION_LEVEL_DESCRIPTIONS,
    require: (who, id, write) => guards.requireJob(who, id, write ? 'CAN_MANAGE' : 'CAN_VIEW'),
    read: (id) => client.getJobAccess(id),
    write: (id, access) => client.setJobAccess(id, access),
    body: toJobPermissions,
  });
}
