// The Permissions API for jobs (https://docs.databricks.com/api/workspace/jobs/getpermissions),
// on /api/2.0 only, as in Databricks: a job's owner and grants, read and changed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../client/errors';
import { PERMISSION_LEVEL_DESCRIPTIONS, replaceAccess, toJobPermissions, updateAccess } from '../core';
import { principalOf } from './auth';
import { ApiError } from './errors';
import { aclFrom, checkOwnerEntries } from './guards';
import { int, requestBody, type Params } from './request-params';
import type { ApiDeps } from './routes';

const PERMISSIONS_PATH = '/api/2.0/permissions/jobs/:job_id';

const permJobId = (req: FastifyRequest) => int((req.params as Params).job_id, 'job_id', { required: true })!;

export function registerPermissionsApi(app: FastifyInstance, { client, guards, tokens }: ApiDeps): void {
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
  /**
   * PUT replaces the grants, PATCH adds to them. Only an admin may change the owner (Databricks:
   * "The job owner can be changed only by an admin"); the job's runs keep acting as they did.
   */
  const changePermissions = (replace: boolean) => async (req: FastifyRequest) => {
    const body = requestBody(req);
    const id = permJobId(req);
    const who = principalOf(req);
    await guards.requireJob(who, id, 'CAN_MANAGE');
    const entries = aclFrom(body?.access_control_list ?? []);
    const current = await client.getJobAccess(id);
    const next = replace ? replaceAccess(current, entries) : updateAccess(current, entries);
    if (JSON.stringify(next.owner) !== JSON.stringify(current.owner)) {
      if (!who.admin)
        throw new ApiError(ErrorCode.PERMISSION_DENIED, `Only an admin can change the owner of job ${id}.`);
      checkOwnerEntries(who, entries, tokens);
    }
    await client.setJobAccess(id, next);
    return toJobPermissions(id, next);
  };
  app.put(PERMISSIONS_PATH, changePermissions(true));
  app.patch(PERMISSIONS_PATH, changePermissions(false));
}
