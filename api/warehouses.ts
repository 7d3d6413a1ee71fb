// SQL warehouses (https://docs.databricks.com/api/workspace/warehouses): create, list, get and
// delete, and their permissions at /api/2.0/permissions/warehouses/{id} and
// /api/2.0/permissions/sql/warehouses/{id}, as Databricks serves them. A warehouse is the embedded
// DuckDB database the workers keep under DJOBS_HOME/warehouses; its owner and grants decide which
// runs may use it (stores/warehouses.ts). The `default` warehouse is everyone's until an admin
// restricts it.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, type WarehouseRecord } from '../client';
import {
  DEFAULT_WAREHOUSE_ID,
  WAREHOUSE_PERMISSION_LEVEL_DESCRIPTIONS,
  toJobPermissions,
  warehouseAllows,
  warehouseIdProblem,
  warehouseLevel,
  type JobAccess,
  type Principal,
  type WarehouseAccess,
  type WarehousePermissionLevel,
} from '../core';
import { principalOf } from './auth';
import { ApiError, badRequest } from './errors';
import { registerObjectPermissions } from './permissions';
import { requestBody } from './request-params';
import type { ApiDeps } from './routes';

const BASE = '/api/2.0/sql/warehouses';

/** Fields of Databricks' CreateWarehouseRequest kept and returned as given: nothing here acts on them. */
const KEPT_FIELDS = [
  'name',
  'cluster_size',
  'min_num_clusters',
  'max_num_clusters',
  'auto_stop_mins',
  'enable_photon',
  'enable_serverless_compute',
  'spot_instance_policy',
  'warehouse_type',
  'channel',
  'tags',
  'instance_profile_arn',
];

const idOf = (raw: string): string => {
  const problem = warehouseIdProblem(raw);
  if (problem) throw badRequest(`id: ${problem}`);
  return raw;
};

export function registerWarehousesApi(app: FastifyInstance, deps: ApiDeps): void {
  const { warehouses } = deps.client;
  /** Refuses unless `who` holds `level`; a missing warehouse reads the same to a non-admin. */
  const require = async (who: Principal, id: string, level: WarehousePermissionLevel) => {
    const access = await warehouses.access(id);
    if (!access && who.admin)
      throw new ApiError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `SQL warehouse ${id} does not exist.`);
    if (!warehouseAllows(warehouseLevel(who, access), level))
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} does not have ${level} permission on SQL warehouse ${id}.`
      );
    return access!;
  };
  const view = (id: string, record: WarehouseRecord | undefined) => ({
    id,
    ...(record?.settings ?? { name: id }),
    creator_name: record?.creator_name ?? 'admin',
    // An embedded database is always ready.
    state: 'RUNNING',
    num_clusters: 1,
  });
  const wid = (req: FastifyRequest) => idOf((req.params as Record<string, string>).id ?? '');

  app.post(BASE, async (req) => {
    const who = principalOf(req);
    const body = requestBody(req) ?? {};
    const unknown = Object.keys(body).filter((k) => !KEPT_FIELDS.includes(k));
    if (unknown.length > 0) throw badRequest(`Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
    if (typeof body.name !== 'string' || body.name === '') throw badRequest('name: a warehouse needs a name.');
    const owner = who.kind === 'user' ? { user_name: who.name } : { service_principal_name: who.name };
    for (;;) {
      const id = randomBytes(8).toString('hex');
      if (await warehouses.create({ id, settings: body, creator_name: who.name, access: { owner, grants: [] } }))
        return { id };
    }
  });
  app.get(BASE, async (req) => {
    const who = principalOf(req);
    const ids = [...new Set([DEFAULT_WAREHOUSE_ID, ...(await warehouses.ids())])];
    const listed = [];
    for (const id of ids) {
      const record = await warehouses.read(id);
      const access = await warehouses.access(id);
      if (warehouseAllows(warehouseLevel(who, access), 'CAN_USE')) listed.push(view(id, record));
    }
    return { warehouses: listed };
  });
  app.get(`${BASE}/:id`, async (req) => {
    const id = wid(req);
    await require(principalOf(req), id, 'CAN_USE');
    return view(id, await warehouses.read(id));
  });
  app.delete(`${BASE}/:id`, async (req) => {
    const id = wid(req);
    await require(principalOf(req), id, 'CAN_MANAGE');
    if (id === DEFAULT_WAREHOUSE_ID) throw badRequest('The default warehouse cannot be deleted.');
    await warehouses.delete(id);
    return {};
  });

  const asJob = (a: WarehouseAccess) => a as unknown as JobAccess;
  registerObjectPermissions<string>(app, deps, {
    paths: ['warehouses/:id', 'sql/warehouses/:id'],
    idOf,
    name: (id) => `SQL warehouse ${id}`,
    levels: WAREHOUSE_PERMISSION_LEVEL_DESCRIPTIONS,
    require: async (who, id, write) => {
      await require(who, id, write ? 'CAN_MANAGE' : 'CAN_USE');
    },
    read: async (id) => asJob((await warehouses.access(id)) ?? { owner: { user_name: 'admin' }, grants: [] }),
    write: (id, access, who) => warehouses.setAccess(id, access as unknown as WarehouseAccess, who.name),
    body: (id, access) => ({
      ...toJobPermissions(0, access),
      object_id: `/sql/warehouses/${id}`,
      object_type: 'warehouses',
    }),
  });
}
