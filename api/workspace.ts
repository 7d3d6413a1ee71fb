// The Databricks Workspace API 2.0 (`/api/2.0/workspace/...`) over the workspace root
// (workspace/tree.ts), and the Permissions API of its objects (`/api/2.0/permissions/
// {directories|notebooks|files}/{object_id}`), checked against the caller's level on each object
// (core/workspace/acls.ts, grants kept by stores/workspace-acls.ts). What a caller may not see
// reads as missing, as a task's path does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DjobsError, ErrorCode } from '../client';
import {
  PathProblem,
  WORKSPACE_PERMISSION_DESCRIPTIONS,
  WorkspacePermission,
  changeGrants,
  objectIdOf,
  toWorkspacePermissions,
  workspaceAclProblems,
  workspaceAllows,
  workspaceApiPath,
  workspaceLevel,
  workspacePathText,
  workspaceVisible,
  type Principal,
  type WorkspaceGrant,
  type WorkspaceGrants,
} from '../core';
import { ImportFormats, ObjectType, type ImportFormat, type WorkspaceObject } from '../workspace/tree';
import { principalOf } from './auth';
import { ApiError, badRequest } from './errors';
import { acceptMultipart, formOrJsonParams } from './multipart';
import { bool, type Params } from './request-params';
import type { ApiDeps } from './routes';

const missing = (p: string) => new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Path (${p}) doesn't exist.`);
const denied = (who: Principal, level: WorkspacePermission, p: string) =>
  new ApiError(ErrorCode.PERMISSION_DENIED, `${who.name} does not have ${level} permission on ${p}.`);

function segmentsOf(v: unknown): string[] {
  if (v === undefined || v === '') throw badRequest('Missing required field: path');
  const s = workspaceApiPath(v);
  if (s instanceof PathProblem) throw badRequest(s.message);
  return s;
}

/** Databricks' permission-object kinds and the workspace object types they name. */
const PERMISSION_KINDS = { directories: 'DIRECTORY', notebooks: 'NOTEBOOK', files: 'FILE' } as const;
const permissionObjectType = { DIRECTORY: 'directory', NOTEBOOK: 'notebook', FILE: 'file' } as const;

export function registerWorkspaceApi(app: FastifyInstance, deps: ApiDeps): void {
  const tree = deps.workspace;
  const acls = deps.client.workspaceAcls;

  /** The caller's view of an object: missing unless visible; `level` must be held. */
  const access = async (who: Principal, segments: string[], level?: WorkspacePermission) => {
    const grants = await acls.grants();
    const text = workspacePathText(segments);
    if (!workspaceVisible(who, segments, grants)) throw missing(text);
    if (level && !workspaceAllows(workspaceLevel(who, segments, grants), level)) throw denied(who, level, text);
    return grants;
  };
  const found = (segments: string[]): WorkspaceObject => {
    const o = tree.find(segments);
    if (!o) throw missing(workspacePathText(segments));
    return o;
  };

  void app.register(async (scope) => {
    acceptMultipart(scope);
    const params = (req: FastifyRequest) => formOrJsonParams(req, deps.bodyLimitBytes);

    scope.get('/api/2.0/workspace/get-status', async (req) => {
      const segments = segmentsOf((await params(req)).path);
      await access(principalOf(req), segments);
      return found(segments).info;
    });

    scope.get('/api/2.0/workspace/list', async (req) => {
      const p = await params(req);
      const segments = segmentsOf(p.path);
      const after = p.notebooks_modified_after === undefined ? undefined : Number(p.notebooks_modified_after);
      if (after !== undefined && !Number.isSafeInteger(after))
        throw badRequest(
          `Invalid notebooks_modified_after ${String(p.notebooks_modified_after)}: expected epoch milliseconds.`
        );
      const who = principalOf(req);
      const grants = await access(who, segments);
      const objects = tree
        .list(segments)
        .filter((o) => workspaceVisible(who, o.segments, grants))
        // Only notebooks have a modification time to compare: other objects are always listed.
        .filter(
          (o) => after === undefined || o.info.object_type !== ObjectType.NOTEBOOK || (o.info.modified_at ?? 0) > after
        );
      return objects.length > 0 ? { objects: objects.map((o) => o.info) } : {};
    });

    scope.post('/api/2.0/workspace/mkdirs', async (req) => {
      const segments = segmentsOf((await params(req)).path);
      await access(principalOf(req), segments, WorkspacePermission.CAN_EDIT);
      tree.mkdirs(segments);
      return {};
    });

    scope.post('/api/2.0/workspace/import', async (req) => {
      const p = (await params(req)) as Params & { content?: unknown };
      const segments = segmentsOf(p.path);
      const format = (p.format ?? 'SOURCE') as string;
      if (!(ImportFormats as readonly string[]).includes(format))
        throw badRequest(`Invalid format ${JSON.stringify(format)}: expected one of ${ImportFormats.join(', ')}.`);
      const content: Buffer = Buffer.isBuffer(p.content)
        ? p.content
        : typeof p.content === 'string'
          ? Buffer.from(p.content, 'base64')
          : Buffer.alloc(0);
      await access(principalOf(req), segments, WorkspacePermission.CAN_EDIT);
      tree.importObject(segments, {
        format: format as ImportFormat,
        ...(typeof p.language === 'string' ? { language: p.language } : {}),
        content,
        overwrite: bool(p.overwrite),
      });
      return {};
    });

    scope.get('/api/2.0/workspace/export', async (req, reply: FastifyReply) => {
      const p = await params(req);
      const segments = segmentsOf(p.path);
      await access(principalOf(req), segments, WorkspacePermission.CAN_READ);
      const { content, fileType } = tree.exportObject(segments, typeof p.format === 'string' ? p.format : 'SOURCE');
      if (bool(p.direct_download)) {
        void reply.type('application/octet-stream');
        return content;
      }
      return { content: content.toString('base64'), file_type: fileType };
    });

    scope.post('/api/2.0/workspace/delete', async (req) => {
      const p = await params(req);
      const segments = segmentsOf(p.path);
      await access(principalOf(req), segments, WorkspacePermission.CAN_EDIT);
      tree.delete(segments, bool(p.recursive));
      await acls.forget(workspacePathText(segments));
      return {};
    });
  });

  // Permissions of workspace objects, by the object_id get-status gives.
  for (const [kind, objectType] of Object.entries(PERMISSION_KINDS)) {
    const base = `/api/2.0/permissions/${kind}/:object_id`;
    const objectOf = async (req: FastifyRequest, level: WorkspacePermission) => {
      const raw = (req.params as { object_id: string }).object_id;
      const id = Number(raw);
      const o = Number.isSafeInteger(id) ? tree.findById(id) : undefined;
      const who = principalOf(req);
      if (!o || o.info.object_type !== objectType) throw missing(`/${kind}/${raw}`);
      const grants = await acls.grants();
      if (!workspaceVisible(who, o.segments, grants)) throw missing(`/${kind}/${raw}`);
      if (!workspaceAllows(workspaceLevel(who, o.segments, grants), level)) throw denied(who, level, `/${kind}/${raw}`);
      return { o, grants };
    };
    const body = (o: WorkspaceObject, grants: WorkspaceGrants) =>
      toWorkspacePermissions(
        permissionObjectType[o.info.object_type],
        o.info.object_id,
        o.segments,
        grants,
        objectIdOf
      );
    app.get(base, async (req) => {
      const { o, grants } = await objectOf(req, WorkspacePermission.CAN_READ);
      return body(o, grants);
    });
    app.get(`${base}/permissionLevels`, async (req) => {
      await objectOf(req, WorkspacePermission.CAN_READ);
      return {
        permission_levels: Object.entries(WORKSPACE_PERMISSION_DESCRIPTIONS).map(([permission_level, description]) => ({
          permission_level,
          description,
        })),
      };
    });
    const change = (replace: boolean) => async (req: FastifyRequest) => {
      const { o, grants } = await objectOf(req, WorkspacePermission.CAN_MANAGE);
      const acl = (req.body as Params | undefined)?.access_control_list ?? [];
      const problems = workspaceAclProblems(acl);
      if (problems.length > 0) throw badRequest(problems.join('; '));
      const next = changeGrants(grants[o.info.path] ?? [], acl as WorkspaceGrant[], replace);
      await acls.setGrants(o.info.path, next);
      return body(o, { ...grants, [o.info.path]: next });
    };
    app.put(base, change(true));
    app.patch(base, change(false));
  }
}
