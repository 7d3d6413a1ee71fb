// The Permissions API for jobs (https://docs.databricks.com/api/workspace/jobs/getpermissions),
// on /api/2.0 only, as in Databricks: a job's owner and grants, read and changed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../client';
import {
  PERMISSION_LEVEL_DESCRIPTIONS,
  effectiveLevel,
  ownerName,
  replaceAccess,
  toJobPermissions,
  updateAccess,
} from '../core';
import { principalOf } from './auth';
import { ApiError } from './errors';
import { aclFrom } from './guards';
import { int, requestBody, type Params } from './request-params';
import type { ApiDeps } from './routes';

const PERMISSIONS_PATH = '/api/2.0/permissions/jobs/:job_id';

const permJobId = (req: FastifyRequest) => int((req.params as Params).job_id, 'job_id', { required: true })!;

export function registerPermissionsApi(app: FastifyInstance, { client, guards }: ApiDeps): void {
  app.get(PERMISSIONS_PATH, async (req) => {
    const id = permJobId(req);
    await guards.requireJob(principalOf(req), id, 'CAN_VIEW');
    return toJobPermissions(id, await client.getJobAccess(id));
  });
  app.get(`${PERMISSIONS_PATH}/permissionLevels`, async (req) => {
    await guards.requireJob(principalOf(req), permJobId(req), 'CAN_VIEW');
    return {
      permission_levels: Object.entries(PERMISSION_LEVEL_DESCRIPTIONS).map(([permission_level, description]) => ({
        permission_level,
        description,
      })),
    };
  });
  /** PUT replaces the grants, PATCH adds to them; only the owner or an admin may change the owner. */
  const changePermissions = (replace: boolean) => async (req: FastifyRequest) => {
    const body = requestBody(req);
    const id = permJobId(req);
    const who = principalOf(req);
    await guards.requireJob(who, id, 'CAN_MANAGE');
    const entries = aclFrom(body?.access_control_list ?? []);
    const current = await client.getJobAccess(id);
    const next = replace ? replaceAccess(current, entries) : updateAccess(current, entries);
    if (ownerName(next) !== ownerName(current) && !who.admin && effectiveLevel(who, current) !== 'IS_OWNER')
      throw new ApiError(ErrorCode.PERMISSION_DENIED, `Only the owner of job ${id} or an admin can change its owner.`);
    await client.setJobAccess(id, next);
    return toJobPermissions(id, next);
  };
  app.put(PERMISSIONS_PATH, changePermissions(true));
  app.patch(PERMISSIONS_PATH, changePermissions(false));
}
