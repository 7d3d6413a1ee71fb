// The Jobs API's routes: the same handlers on /api/2.0, /api/2.1 and /api/2.2, each declared with
// the permission it needs (api/guards.ts), which is checked before the handler runs. What every
// `register…Api(app, deps)` module is given is `ApiDeps`.
import type { FastifyInstance } from 'fastify';
import type { DurableJobsClient } from '../client';
import type { Principal } from '../core';
import type { WorkspaceTree } from '../workspace/tree';
import { principalOf, type TokenMap } from './auth';
import type { AccessGuards, Guard } from './guards';
import { int, requestParams, type Params } from './request-params';

/** What the API's modules share. */
export interface ApiDeps {
  client: DurableJobsClient;
  tokens: TokenMap;
  /** Relative notebook/file paths in API-submitted specs resolve against this directory. */
  workspaceDir: string;
  /** The workspace root the Workspace, DBFS and Files APIs serve (workspace/tree.ts). */
  workspace: WorkspaceTree;
  /** Local folders every principal's task paths may name; other local paths are admins' only. */
  codeRoots: readonly string[];
  bodyLimitBytes: number;
  guards: AccessGuards;
}

export const JOBS_API_VERSIONS = ['2.0', '2.1', '2.2'];

export interface RouteContext {
  who: Principal;
  version: string;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Below /api/<version>/, e.g. `jobs/get`. */
  path: string;
  guard: Guard;
  handler: (p: Params, ctx: RouteContext) => Promise<unknown>;
}

/** An answer already serialised (kept with what it was made from), sent as it is. */
export class JsonBody {
  constructor(readonly bytes: Buffer) {}
}

/** A POST route for an action whose answer is the empty object, as Databricks answers them. */
export const actionRoute = (path: string, guard: Guard, act: (p: Params) => Promise<unknown>): Route => ({
  method: 'POST',
  path,
  guard,
  handler: async (p) => {
    await act(p);
    return {};
  },
});

export const jobIdOf = (p: Params) => int(p.job_id, 'job_id', { required: true })!;
export const runIdOf = (p: Params) => int(p.run_id, 'run_id', { required: true })!;

/** Registers `routes` on every Jobs API version; a GET route also answers POST, as Databricks does. */
export function addJobsApiRoutes(app: FastifyInstance, deps: ApiDeps, routes: Route[]): void {
  for (const version of JOBS_API_VERSIONS) {
    for (const r of routes) {
      app.route({
        method: r.method === 'GET' ? ['GET', 'POST'] : ['POST'],
        url: `/api/${version}/${r.path}`,
        handler: async (req, reply) => {
          const p = await requestParams(req, deps.bodyLimitBytes);
          const who = principalOf(req);
          if (r.guard.on === 'job') await deps.guards.requireJob(who, jobIdOf(p), r.guard.level);
          if (r.guard.on === 'run') await deps.guards.requireRun(who, runIdOf(p), r.guard.level);
          const answer = await r.handler(p, { who, version });
          if (!(answer instanceof JsonBody)) return answer;
          void reply.type('application/json; charset=utf-8');
          return answer.bytes;
        },
      });
    }
  }
}
