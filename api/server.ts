// The Databricks Jobs REST API over durable-jobs: the same handlers on /api/2.0, /api/2.1 and
// /api/2.2, Databricks request/response shapes and error bodies. Every route goes through the
// typed client; this layer never touches Temporal directly.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { resolveJobSpec } from '../client/spec-file';
import type { DurableJobsClient } from '../client';
import type { JobSettings } from '../spec';
import { authenticate, type TokenMap } from './auth';
import { ApiError, badRequest, toApiError } from './errors';

export interface ApiServerOptions {
  client: DurableJobsClient;
  tokens: TokenMap;
  /** Relative notebook/file paths in API-submitted specs resolve against this directory. */
  workspaceDir: string;
  /** @default 10 MiB */
  bodyLimitBytes?: number;
}

type Params = Record<string, unknown>;

const VERSIONS = ['2.0', '2.1', '2.2'];

function int(
  v: unknown,
  name: string,
  opts: { required?: boolean; min?: number; max?: number; def?: number } = {}
): number | undefined {
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw badRequest(`Missing required field: ${name}`);
    return opts.def;
  }
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n))
    throw badRequest(`Invalid value for ${name}: expected an integer, found ${JSON.stringify(v)}`);
  if (opts.min !== undefined && n < opts.min)
    throw badRequest(`Invalid value for ${name}: must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max)
    throw badRequest(`Invalid value for ${name}: must be at most ${opts.max}`);
  return n;
}

const bool = (v: unknown): boolean => v === true || v === 'true';

function stringMap(v: unknown, name: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`Invalid value for ${name}: expected an object of strings`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/** Offset-based page tokens: opaque to clients, as Databricks' are. */
const encodeToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function decodeToken(token: unknown): number | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw badRequest('Invalid page_token.');
  return Number(m[1]);
}

/** A Databricks list page: the items key is omitted when empty, and so is an empty next_page_token. */
function listPage<K extends string>(key: K, all: readonly unknown[], offset: number, limit: number) {
  const items = all.slice(offset, offset + limit);
  const hasMore = all.length > offset + limit;
  return {
    ...(items.length > 0 ? { [key]: items } : {}),
    has_more: hasMore,
    ...(hasMore ? { next_page_token: encodeToken(offset + limit) } : {}),
  };
}

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: opts.bodyLimitBytes ?? 10 * 1024 * 1024, logger: false });
  const { client } = opts;

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toApiError(err);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No API found for '${req.method} ${req.url.split('?')[0]}'` });
  });
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/.well-known/')) return;
    authenticate(req.headers.authorization, opts.tokens);
  });

  app.get('/.well-known/databricks-config', async () => ({ host: '', account_id: '', workspace_id: '' }));

  const settingsFrom = async (raw: unknown): Promise<JobSettings> =>
    (await resolveJobSpec(raw, opts.workspaceDir)).settings;
  const params = (req: FastifyRequest): Params => ({
    ...(req.query as Params),
    ...((req.body as Params | undefined) ?? {}),
  });

  const routes: { method: 'GET' | 'POST'; path: string; handler: (p: Params) => Promise<unknown> }[] = [
    {
      method: 'POST',
      path: 'jobs/create',
      handler: async (p) => client.createJob(await settingsFrom(p)),
    },
    {
      method: 'GET',
      path: 'jobs/get',
      handler: async (p) => client.getJob(int(p.job_id, 'job_id', { required: true })!),
    },
    {
      method: 'GET',
      path: 'jobs/list',
      handler: async (p) => {
        const limit = int(p.limit, 'limit', { min: 1, max: 100, def: 20 })!;
        const offset = decodeToken(p.page_token) ?? int(p.offset, 'offset', { min: 0, max: 1000, def: 0 })!;
        const all = await client.listJobs({
          ...(typeof p.name === 'string' ? { name: p.name } : {}),
          expandTasks: bool(p.expand_tasks),
        });
        return listPage('jobs', all, offset, limit);
      },
    },
    {
      method: 'POST',
      path: 'jobs/reset',
      handler: async (p) => {
        await client.resetJob(int(p.job_id, 'job_id', { required: true })!, await settingsFrom(p.new_settings));
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/update',
      handler: async (p) => {
        const jobId = int(p.job_id, 'job_id', { required: true })!;
        const current = (await client.getJob(jobId)).settings as Record<string, unknown>;
        const next: Record<string, unknown> = { ...current, ...((p.new_settings as Params | undefined) ?? {}) };
        for (const f of (p.fields_to_remove as unknown[] | undefined) ?? []) delete next[String(f)];
        await client.resetJob(jobId, await settingsFrom(next));
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/delete',
      handler: async (p) => {
        await client.deleteJob(int(p.job_id, 'job_id', { required: true })!);
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/run-now',
      handler: async (p) => {
        const jobParameters = stringMap(p.job_parameters, 'job_parameters');
        const { run_id } = await client.runNow(int(p.job_id, 'job_id', { required: true })!, {
          ...(jobParameters ? { jobParameters } : {}),
          ...(typeof p.idempotency_token === 'string' ? { idempotencyToken: p.idempotency_token } : {}),
        });
        return { run_id, number_in_job: run_id };
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/submit',
      handler: async (p) => {
        const { run_name, idempotency_token, ...rest } = p;
        const settings = await settingsFrom({ ...rest, ...(typeof run_name === 'string' ? { name: run_name } : {}) });
        return client.submitRun(settings, {
          ...(typeof run_name === 'string' ? { runName: run_name } : {}),
          ...(typeof idempotency_token === 'string' ? { idempotencyToken: idempotency_token } : {}),
        });
      },
    },
    {
      method: 'GET',
      path: 'jobs/runs/get',
      handler: async (p) => client.getRun(int(p.run_id, 'run_id', { required: true })!),
    },
    {
      method: 'GET',
      path: 'jobs/runs/get-output',
      handler: async (p) => client.getRunOutput(int(p.run_id, 'run_id', { required: true })!),
    },
    {
      method: 'GET',
      path: 'jobs/runs/list',
      handler: async (p) => {
        const limit = int(p.limit, 'limit', { min: 1, max: 25, def: 20 })!;
        const offset = decodeToken(p.page_token) ?? int(p.offset, 'offset', { min: 0, def: 0 })!;
        if (bool(p.active_only) && bool(p.completed_only))
          throw badRequest('active_only and completed_only cannot both be true.');
        const jobId = int(p.job_id, 'job_id');
        const runs = await client.listRuns({
          ...(jobId !== undefined ? { jobId } : {}),
          activeOnly: bool(p.active_only),
          completedOnly: bool(p.completed_only),
          limit: offset + limit + 1,
        });
        return listPage('runs', runs, offset, limit);
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/cancel',
      handler: async (p) => {
        await client.cancelRun(int(p.run_id, 'run_id', { required: true })!);
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/cancel-all',
      handler: async (p) => {
        const jobId = int(p.job_id, 'job_id');
        if (jobId === undefined && !bool(p.all_queued_runs))
          throw badRequest('Either job_id or all_queued_runs must be given.');
        for (const r of await client.listRuns({
          ...(jobId !== undefined ? { jobId } : {}),
          activeOnly: true,
          limit: 1000,
        }))
          await client.cancelRun(r.run_id);
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/repair',
      handler: async (p) => {
        const jobParameters = stringMap(p.job_parameters, 'job_parameters');
        return client.repairRun(int(p.run_id, 'run_id', { required: true })!, {
          ...(Array.isArray(p.rerun_tasks) ? { rerunTasks: p.rerun_tasks.map(String) } : {}),
          rerunAllFailedTasks: bool(p.rerun_all_failed_tasks),
          rerunDependentTasks: bool(p.rerun_dependent_tasks),
          ...(jobParameters ? { jobParameters } : {}),
        });
      },
    },
    {
      // Extension: pause and resume a run (not part of the Databricks API).
      method: 'POST',
      path: 'jobs/runs/pause',
      handler: async (p) => {
        await client.pauseRun(int(p.run_id, 'run_id', { required: true })!);
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/resume',
      handler: async (p) => {
        await client.resumeRun(int(p.run_id, 'run_id', { required: true })!);
        return {};
      },
    },
  ];

  for (const v of VERSIONS) {
    for (const r of routes) {
      app.route({
        method: r.method === 'GET' ? ['GET', 'POST'] : ['POST'],
        url: `/api/${v}/${r.path}`,
        handler: async (req) => {
          if (req.body !== undefined && (typeof req.body !== 'object' || Array.isArray(req.body))) {
            throw new ApiError(400, 'MALFORMED_REQUEST', 'The request body must be a JSON object.');
          }
          return r.handler(params(req));
        },
      });
    }
  }
  return app;
}
