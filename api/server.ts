// The Databricks Jobs REST API over durable-jobs: the same handlers on /api/2.0, /api/2.1 and
// /api/2.2, Databricks request/response shapes and error bodies, and job permissions checked on
// every route before it runs. Every route goes through the typed client; this layer never
// touches Temporal directly.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { resolveJobSpec } from '../client/spec-file';
import type { DurableJobsClient, Job } from '../client';
import { DjobsError, ErrorCode, NotFoundError } from '../client/errors';
import { isSettledRunView, liveRunViewSource } from '../client/runs';
import { readableOr } from '../client/undecodable-records';
import {
  PERMISSION_LEVEL_DESCRIPTIONS,
  accessControlListProblems,
  allows,
  effectiveLevel,
  ownerName,
  replaceAccess,
  toJobPermissions,
  updateAccess,
  withOneTimeRunJobId,
  withRepairHistory,
  type AccessControlEntry,
  type JobAccess,
  type JobSettings,
  type PermissionLevel,
  type Principal,
  type Run,
  ClockedJson,
  describeValue,
  viewerKeywordsOf,
} from '../core';
import { authenticate, type TokenMap } from './auth';
import { registerClusterRoutes } from './clusters';
import { ApiError, addErrorHandling, badRequest, errorHandlingOptions } from './errors';
import { jobForVersion, legacyTaskParameters, multiTaskSettings, runForVersion } from './legacy-2-0';
import { addRequestLogging, loggingOptions, type ApiLogOptions } from './logging';
import { decodeListingToken, decodeOffsetToken, encodeListingToken, encodeOffsetToken } from './page-tokens';
import { parseJsonBody, requestBody, requestParams, type Params } from './request-params';
import { registerIdentityRoutes } from './identity';
import { isWebUiPath, registerWebUi } from './web-ui';
import { isCodecRequest, registerCodecServer, type CodecServerOptions } from './codec-server';
import { registerSecretsApi } from './secrets';
import { SecretScopes } from '../stores/secret-scopes';
import { NotificationDestinationStore } from '../stores/notification-destinations';
import { registerNotificationDestinationsApi } from './notification-destinations';
import { loadConfig } from '../config';
import { WorkspaceAcls } from '../stores/workspace-acls';
import { WorkspaceTree } from '../workspace/tree';
import { registerWorkspaceApi } from './workspace';
import { registerDbfsApi } from './dbfs';
import { registerFilesApi } from './files';

export interface ApiServerOptions {
  client: DurableJobsClient;
  tokens: TokenMap;
  /** Relative notebook/file paths in API-submitted specs resolve against this directory. */
  workspaceDir: string;
  /**
   * The workspace root the Workspace, DBFS and Files APIs serve (the workers' too).
   * @default DJOBS_WORKSPACE_ROOT, else $DJOBS_HOME/workspace
   */
  workspaceRoot?: string;
  /** Local folders every principal's task paths may name. @default DJOBS_CODE_ROOTS */
  codeRoots?: string[];
  /** @default 10 MiB */
  bodyLimitBytes?: number;
  log?: ApiLogOptions;
  /** Codec server for the Temporal Web UI (api/codec-server.ts). */
  codec?: CodecServerOptions;
  /** Serve HTTPS with this PEM certificate chain and key. */
  https?: { cert: Buffer; key: Buffer };
}

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

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

const scalar = (x: unknown): x is string | number | boolean =>
  typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

function stringMap(v: unknown, name: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`Invalid value for ${name}: expected an object of strings`);
  const bad = Object.entries(v).filter(([, x]) => !scalar(x));
  if (bad.length > 0)
    throw badRequest(
      bad.map(([k, x]) => `Invalid value for ${name}.${k}: expected a string, found ${describeValue(x)}`).join('; ')
    );
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw badRequest(`Invalid value for ${name}: expected a string, found ${describeValue(v)}`);
  return v;
}

function stringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw badRequest(`Invalid value for ${name}: expected an array of strings, found ${describeValue(v)}`);
  return v;
}

function optionalObject(v: unknown, name: string): Params | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`Invalid value for ${name}: expected an object, found ${describeValue(v)}`);
  return v as Params;
}

/** 2.2 returns at most this many tasks per jobs/get and runs/get page. */
const TASK_PAGE = 100;

/** A Databricks list page: the items key is omitted when empty, and so is an empty next_page_token. */
function listPage<K extends string, T>(
  key: K,
  all: readonly T[],
  offset: number,
  limit: number
): Partial<Record<K, T[]>> & { has_more: boolean; next_page_token?: string } {
  const items = all.slice(offset, offset + limit);
  const hasMore = all.length > offset + limit;
  return {
    ...(items.length > 0 ? { [key]: items } : {}),
    has_more: hasMore,
    ...(hasMore ? { next_page_token: encodeOffsetToken(offset + limit) } : {}),
  } as Partial<Record<K, T[]>> & { has_more: boolean; next_page_token?: string };
}

/** An answer already serialised (kept with what it was made from), sent as it is. */
class JsonBody {
  constructor(readonly bytes: Buffer) {}
}

/** runs/get bodies of settled run views (`isSettledRunView`), by the view and the shape asked for. */
const settledRunBodies = new WeakMap<Run, Map<string, JsonBody>>();
/**
 * runs/get bodies of live run views as functions of the clock, by the snapshot's view function
 * (`liveRunViewSource`) and the shape asked for: the first body serialised (and its instant) until
 * a second read makes the template of it, null where the body is serialised every time.
 */
type LiveRunBody = ClockedJson | { text: string; now: number } | null;
const liveRunBodies = new WeakMap<(now: number) => Run, Map<string, LiveRunBody>>();

/** What a route needs: any signed-in principal, or a level on the job or run its parameters name. */
type Guard = { on: 'anyone' } | { on: 'job'; level: PermissionLevel } | { on: 'run'; level: PermissionLevel };

interface Context {
  who: Principal;
  version: string;
}

interface Route {
  method: 'GET' | 'POST';
  path: string;
  guard: Guard;
  handler: (p: Params, ctx: Context) => Promise<unknown>;
}

const denied = (who: Principal, level: PermissionLevel, what: string) =>
  new ApiError(ErrorCode.PERMISSION_DENIED, `${who.name} does not have ${level} permission on ${what}.`);

/** An access_control_list from a request body, checked (every problem, with its path). */
function aclFrom(v: unknown, path = 'access_control_list'): AccessControlEntry[] {
  const problems = accessControlListProblems(v, path);
  if (problems.length > 0) throw badRequest(problems.join('; '));
  return (v as AccessControlEntry[] | undefined) ?? [];
}

/** Databricks `jobs/update`: top-level fields replace, `tasks`/`job_clusters` merge by key. */
function mergeSettings(current: Params, changes: Params, remove: unknown[]): Params {
  const keyed: Record<string, string> = { tasks: 'task_key', job_clusters: 'job_cluster_key' };
  const next: Params = { ...current };
  for (const [field, value] of Object.entries(changes)) {
    const key = keyed[field];
    if (key && Array.isArray(value) && Array.isArray(current[field])) {
      const merged = new Map((current[field] as Params[]).map((e) => [e[key], e]));
      for (const e of value as Params[]) merged.set(e[key], e);
      next[field] = [...merged.values()];
    } else next[field] = value;
  }
  for (const f of remove) {
    const m = /^(tasks|job_clusters)\/(.+)$/.exec(String(f));
    if (m) {
      const key = keyed[m[1]!]!;
      next[m[1]!] = ((next[m[1]!] as Params[] | undefined) ?? []).filter((e) => e[key] !== m[2]);
    } else delete next[String(f)];
  }
  return next;
}

/** One 2.2 page of a tasks array: the slice, and has_more/next_page_token when more follow. */
function taskPage<T>(
  tasks: readonly T[],
  token: unknown
): { tasks: T[]; more: { has_more?: true; next_page_token?: string } } {
  const offset = decodeOffsetToken(token) ?? 0;
  const hasMore = tasks.length > offset + TASK_PAGE;
  return {
    tasks: tasks.slice(offset, offset + TASK_PAGE),
    more: hasMore ? { has_more: true, next_page_token: encodeOffsetToken(offset + TASK_PAGE) } : {},
  };
}

/** runs/get on /api/2.2 pages `tasks` (100 per page); 2.0 and 2.1 return them all. */
function pageRunTasks(run: Run, version: string, token: unknown): Run {
  if (version !== '2.2') return run;
  const { tasks, more } = taskPage(run.tasks, token);
  return { ...run, tasks, ...more };
}

/** jobs/get on /api/2.2 pages `settings.tasks` the same way. */
function pageJobTasks(job: Job, version: string, token: unknown): Job {
  if (version !== '2.2') return job;
  const { tasks, more } = taskPage(job.settings.tasks, token);
  return { ...job, settings: { ...job.settings, tasks }, ...more };
}

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    ...loggingOptions(opts.log),
    ...errorHandlingOptions(),
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;
  const { client } = opts;

  // Databricks reads every request body as JSON whatever its Content-Type says: the legacy
  // databricks-cli sends `text/json`, curl users often send none or form types.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as ApiError, undefined);
    }
  });
  addErrorHandling(app);
  addRequestLogging(app);
  app.decorateRequest('principal', null);
  // A callback hook (not an async one): it runs on every request.
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.url.startsWith('/.well-known/') || isWebUiPath(req.url) || isCodecRequest(req.url)) return done();
    try {
      (req as unknown as { principal: Principal }).principal = authenticate(req.headers.authorization, opts.tokens);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });

  registerCodecServer(app, client, opts.tokens, opts.codec);
  registerSecretsApi(app, SecretScopes.of(client.temporal));
  registerNotificationDestinationsApi(app, NotificationDestinationStore.of(client.temporal));
  const config = opts.workspaceRoot === undefined || opts.codeRoots === undefined ? loadConfig() : undefined;
  const tree = new WorkspaceTree(opts.workspaceRoot ?? config!.workspaceRoot);
  const codeRoots = opts.codeRoots ?? config!.codeRoots;
  const bodyLimitBytes = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  registerWorkspaceApi(app, { tree, acls: WorkspaceAcls.of(client.temporal), bodyLimit: bodyLimitBytes });
  registerDbfsApi(app, { tree, bodyLimit: bodyLimitBytes });
  registerFilesApi(app, { tree });

  // Databricks SDKs read this at start to learn the host's kind; an empty workspace answer keeps
  // them in workspace (not account) mode.
  app.get('/.well-known/databricks-config', async (req) => ({
    host: `${req.protocol}://${req.headers.host ?? 'localhost'}`,
    workspace_id: '0',
    cloud: 'durable-jobs',
  }));

  // Task paths: admins may name files on this machine (relative to workspaceDir); other principals
  // workspace paths and the code roots only (docs/workspace.md).
  const settingsFrom = async (raw: unknown, who: Principal): Promise<JobSettings> =>
    (await resolveJobSpec(multiTaskSettings(raw), opts.workspaceDir, { localFiles: who.admin, codeRoots })).settings;

  /** A job's access, or undefined when it does not exist (then only admins learn that). */
  const jobAccess = async (jobId: number): Promise<JobAccess | undefined> => {
    try {
      return await client.getJobAccess(jobId);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  // Permission before existence, as Databricks: a non-admin asking about a missing job or run
  // gets 403, so ids cannot be probed; an admin gets the handler's 404.
  const requireJob = async (who: Principal, jobId: number, level: PermissionLevel) => {
    if (who.admin) return;
    if (!allows(effectiveLevel(who, await jobAccess(jobId)), level)) throw denied(who, level, `job ${jobId}`);
  };
  const requireRun = async (who: Principal, runId: number, level: PermissionLevel) => {
    if (who.admin) return;
    let access: JobAccess | undefined;
    try {
      access = (await client.getRunAccess(runId)).access;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!allows(effectiveLevel(who, access), level)) throw denied(who, level, `run ${runId}`);
  };
  /** Only admins may make a job run as someone else. */
  const checkRunAs = (who: Principal, settings: Params | undefined) => {
    const runAs = settings?.run_as as Record<string, unknown> | undefined;
    if (!runAs || who.admin) return;
    const name = runAs.user_name ?? runAs.service_principal_name ?? runAs.group_name;
    const kindOk = who.kind === 'user' ? runAs.user_name !== undefined : runAs.service_principal_name !== undefined;
    if (name !== who.name || !kindOk)
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} cannot set run_as to ${String(name)}: only admins can.`
      );
  };

  /** A handler for an action whose answer is the empty object, as Databricks answers them. */
  const ack =
    (act: (p: Params) => Promise<unknown>) =>
    async (p: Params): Promise<Record<string, never>> => {
      await act(p);
      return {};
    };
  const jobId = (p: Params) => int(p.job_id, 'job_id', { required: true })!;
  const runId = (p: Params) => int(p.run_id, 'run_id', { required: true })!;

  const routes: Route[] = [
    {
      method: 'POST',
      path: 'jobs/create',
      guard: { on: 'anyone' },
      handler: async (p, { who, version }) => {
        const { access_control_list, ...settings } = p;
        const acl = aclFrom(access_control_list);
        checkRunAs(who, settings);
        // Jobs created through 2.2 queue by default, as on Databricks.
        if (version === '2.2' && settings.queue === undefined) settings.queue = { enabled: true };
        return client.createJob(await settingsFrom(settings, who), {
          creator: { name: who.name, kind: who.kind },
          accessControlList: acl,
        });
      },
    },
    {
      method: 'GET',
      path: 'jobs/get',
      guard: { on: 'job', level: 'CAN_VIEW' },
      handler: async (p, { version }) =>
        jobForVersion(pageJobTasks(await client.getJob(jobId(p)), version, p.page_token), version),
    },
    {
      method: 'GET',
      path: 'jobs/list',
      guard: { on: 'anyone' },
      handler: async (p, { who, version }) => {
        const limit = int(p.limit, 'limit', { min: 1, max: 100, def: 20 })!;
        const pageToken = decodeListingToken(p.page_token);
        // The legacy `offset` (no page_token): that many jobs are read and skipped.
        const offset = pageToken === undefined ? int(p.offset, 'offset', { min: 0, max: 1000, def: 0 })! : 0;
        const page = await client.listJobsPage({
          limit: offset + limit,
          ...(pageToken !== undefined ? { pageToken } : {}),
          ...(p.name !== undefined ? { name: optionalString(p.name, 'name') } : {}),
          expandTasks: bool(p.expand_tasks),
          ...(who.admin ? {} : { visibleTo: viewerKeywordsOf(who) }),
        });
        // A non-admin's page holds only jobs they may see (`visibleTo`, judged exactly by the client
        // for changes made through it, without a read per job).
        const jobs = page.jobs.slice(offset);
        return {
          ...(jobs.length > 0 ? { jobs: jobs.map((j) => jobForVersion(j, version)) } : {}),
          has_more: page.nextPageToken !== undefined,
          ...(page.nextPageToken !== undefined ? { next_page_token: encodeListingToken(page.nextPageToken) } : {}),
        };
      },
    },
    {
      method: 'POST',
      path: 'jobs/reset',
      guard: { on: 'job', level: 'CAN_MANAGE' },
      handler: async (p, { who }) => {
        const settings = optionalObject(p.new_settings, 'new_settings');
        checkRunAs(who, settings);
        await client.resetJob(jobId(p), await settingsFrom(settings, who));
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/update',
      guard: { on: 'job', level: 'CAN_MANAGE' },
      handler: async (p, { who }) => {
        const id = jobId(p);
        const changes = optionalObject(p.new_settings, 'new_settings') ?? {};
        const remove = stringList(p.fields_to_remove, 'fields_to_remove') ?? [];
        checkRunAs(who, changes);
        const current = (await client.getJob(id)).settings as unknown as Params;
        await client.resetJob(id, await settingsFrom(mergeSettings(current, changes, remove), who));
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/delete',
      guard: { on: 'job', level: 'CAN_MANAGE' },
      handler: ack((p) => client.deleteJob(jobId(p))),
    },
    {
      method: 'POST',
      path: 'jobs/run-now',
      guard: { on: 'job', level: 'CAN_MANAGE_RUN' },
      handler: async (p, { who }) => {
        const jobParameters = stringMap(p.job_parameters, 'job_parameters');
        const taskParameters = legacyTaskParameters(p);
        const idempotencyToken = optionalString(p.idempotency_token, 'idempotency_token');
        const { run_id } = await client.runNow(jobId(p), {
          user: who.name,
          ...(jobParameters ? { jobParameters } : {}),
          ...(taskParameters ? { taskParameters } : {}),
          ...(idempotencyToken !== undefined ? { idempotencyToken } : {}),
        });
        return { run_id, number_in_job: run_id };
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/submit',
      guard: { on: 'anyone' },
      handler: async (p, { who }) => {
        const { run_name, idempotency_token, access_control_list, ...rest } = p;
        const acl = aclFrom(access_control_list);
        const runName = optionalString(run_name, 'run_name');
        const idempotencyToken = optionalString(idempotency_token, 'idempotency_token');
        checkRunAs(who, rest);
        const settings = await settingsFrom({ ...rest, ...(runName !== undefined ? { name: runName } : {}) }, who);
        return client.submitRun(settings, {
          user: who.name,
          accessControlList: acl,
          ...(runName !== undefined ? { runName } : {}),
          ...(idempotencyToken !== undefined ? { idempotencyToken } : {}),
        });
      },
    },
    {
      method: 'GET',
      path: 'jobs/runs/get',
      // The hottest route (SDK waiters poll it): checked inside one lookup rather than by a guard.
      guard: { on: 'anyone' },
      handler: async (p, { who, version }) => {
        const id = runId(p);
        const run = who.admin
          ? await client.getRun(id)
          : await client.getRunIfAllowed(id, (access) => {
              if (!allows(effectiveLevel(who, access), 'CAN_VIEW')) throw denied(who, 'CAN_VIEW', `run ${id}`);
            });
        const bodyOf = (view: Run) => {
          const shown = withOneTimeRunJobId(bool(p.include_history) ? withRepairHistory(view) : view);
          return runForVersion(pageRunTasks(shown, version, p.page_token), version);
        };
        if (p.page_token !== undefined) return bodyOf(run); // a page_token's pages are not kept
        const shape = `${version} ${bool(p.include_history)}`;
        // A live run's view changes only in the durations the clock drives for as long as its
        // snapshot is unchanged: its body is serialised once per shape as a template, which each
        // read fills in at its own instant. The template (two serialisations) is made on the
        // second read of a snapshot, so a snapshot read once (a run changing faster than it is
        // read) costs what it did, and kept only if it gives the first read's text exactly.
        const live = liveRunViewSource(run);
        if (live) {
          let bodies = liveRunBodies.get(live.at);
          if (!bodies) liveRunBodies.set(live.at, (bodies = new Map<string, LiveRunBody>()));
          const kept = bodies.get(shape);
          if (kept instanceof ClockedJson) return new JsonBody(Buffer.from(kept.at(live.now)));
          if (kept === null) return bodyOf(run);
          if (kept === undefined) {
            const text = JSON.stringify(bodyOf(run));
            bodies.set(shape, { text, now: live.now });
            return new JsonBody(Buffer.from(text));
          }
          const template = ClockedJson.of((now) => bodyOf(live.at(now)));
          const exact = template !== undefined && template.at(kept.now) === kept.text;
          bodies.set(shape, exact ? template : null);
          return exact ? new JsonBody(Buffer.from(template.at(live.now))) : bodyOf(run);
        }
        // A finished run's view is one object for as long as the run is unchanged: its body is
        // serialised once per shape asked for.
        if (!isSettledRunView(run)) return bodyOf(run);
        let bodies = settledRunBodies.get(run);
        if (!bodies) settledRunBodies.set(run, (bodies = new Map<string, JsonBody>()));
        let json = bodies.get(shape);
        if (!json) bodies.set(shape, (json = new JsonBody(Buffer.from(JSON.stringify(bodyOf(run))))));
        return json;
      },
    },
    {
      method: 'GET',
      path: 'jobs/runs/get-output',
      guard: { on: 'run', level: 'CAN_VIEW' },
      handler: async (p) => client.getRunOutput(runId(p)),
    },
    {
      method: 'GET',
      path: 'jobs/runs/export',
      guard: { on: 'run', level: 'CAN_VIEW' },
      handler: async (p) => {
        const views = p.views_to_export ?? 'CODE';
        if (views !== 'CODE' && views !== 'ALL' && views !== 'DASHBOARDS')
          throw badRequest(
            `Invalid value for views_to_export: expected CODE, DASHBOARDS or ALL, found ${JSON.stringify(views)}`
          );
        // durable-jobs runs have no dashboards: DASHBOARDS exports nothing.
        return views === 'DASHBOARDS' ? { views: [] } : client.exportRun(runId(p));
      },
    },
    {
      method: 'GET',
      path: 'jobs/runs/list',
      guard: { on: 'anyone' },
      handler: async (p, { who }) => {
        const limit = int(p.limit, 'limit', { min: 0, max: 25, def: 20 }) || 25;
        const offset = decodeOffsetToken(p.page_token) ?? int(p.offset, 'offset', { min: 0, def: 0 })!;
        if (bool(p.active_only) && bool(p.completed_only))
          throw badRequest('active_only and completed_only cannot both be true.');
        if (p.run_type !== undefined && p.run_type !== 'JOB_RUN' && p.run_type !== 'SUBMIT_RUN')
          throw badRequest(
            `Invalid value for run_type: expected JOB_RUN or SUBMIT_RUN, found ${JSON.stringify(p.run_type)}`
          );
        const id = int(p.job_id, 'job_id');
        if (id !== undefined) await requireJob(who, id, 'CAN_VIEW');
        const from = int(p.start_time_from, 'start_time_from', { min: 0 });
        const to = int(p.start_time_to, 'start_time_to', { min: 0 });
        const accessCache = new Map<number, Promise<JobAccess | undefined>>();
        const runs = await client.listRuns({
          ...(id !== undefined ? { jobId: id } : {}),
          activeOnly: bool(p.active_only),
          completedOnly: bool(p.completed_only),
          ...(p.run_type === 'JOB_RUN' || p.run_type === 'SUBMIT_RUN' ? { runType: p.run_type } : {}),
          ...(from ? { startTimeFrom: from } : {}),
          ...(to ? { startTimeTo: to } : {}),
          limit: offset + limit + 1,
          ...(who.admin
            ? {}
            : {
                visibleTo: viewerKeywordsOf(who),
                where: async (run, recorded) => {
                  let access = recorded;
                  if (run.job_id !== undefined) {
                    if (!accessCache.has(run.job_id)) accessCache.set(run.job_id, jobAccess(run.job_id));
                    access = (await accessCache.get(run.job_id)) ?? recorded;
                  }
                  return allows(effectiveLevel(who, access), 'CAN_VIEW');
                },
              }),
        });
        const page = listPage('runs', runs, offset, limit);
        if (!bool(p.expand_tasks) || !page.runs) return page;
        // Full runs. One deleted since it was listed (visibility lags behind deletion) is left
        // out; one whose state no worker can give right now, or that cannot be read, stays as listed.
        const full = await Promise.all(
          page.runs.map((r) =>
            readableOr(
              () => client.getRun(r.run_id),
              () => r
            ).catch((err: unknown) => {
              if (err instanceof NotFoundError) return undefined;
              if (err instanceof DjobsError && err.code === ErrorCode.TEMPORAL_UNAVAILABLE) return r;
              throw err;
            })
          )
        );
        return { ...page, runs: full.filter((r) => r !== undefined) };
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/cancel',
      guard: { on: 'run', level: 'CAN_MANAGE_RUN' },
      handler: ack((p) => client.cancelRun(runId(p))),
    },
    {
      method: 'POST',
      path: 'jobs/runs/cancel-all',
      guard: { on: 'anyone' },
      handler: async (p, { who }) => {
        const id = int(p.job_id, 'job_id');
        if (id === undefined && !bool(p.all_queued_runs))
          throw badRequest('Either job_id or all_queued_runs must be given.');
        if (id !== undefined) await requireJob(who, id, 'CAN_MANAGE_RUN');
        const active = await client.listRuns({
          ...(id !== undefined ? { jobId: id } : {}),
          activeOnly: true,
          limit: 1000,
        });
        const queuedOnly = bool(p.all_queued_runs);
        for (const r of active) {
          // all_queued_runs: only queued runs (of the job, or of every job the principal may manage).
          if (queuedOnly && r.state.life_cycle_state !== 'QUEUED') continue;
          if (id === undefined && !who.admin) {
            const access = (await client.getRunAccess(r.run_id)).access;
            if (!allows(effectiveLevel(who, access), 'CAN_MANAGE_RUN')) continue;
          }
          await client.cancelRun(r.run_id);
        }
        return {};
      },
    },
    {
      method: 'POST',
      path: 'jobs/runs/delete',
      guard: { on: 'run', level: 'CAN_MANAGE' },
      handler: ack((p) => client.deleteRun(runId(p))),
    },
    {
      method: 'POST',
      path: 'jobs/runs/repair',
      guard: { on: 'run', level: 'CAN_MANAGE_RUN' },
      handler: async (p) => {
        const jobParameters = stringMap(p.job_parameters, 'job_parameters');
        const rerunTasks = stringList(p.rerun_tasks, 'rerun_tasks');
        return client.repairRun(runId(p), {
          ...(rerunTasks ? { rerunTasks } : {}),
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
      guard: { on: 'run', level: 'CAN_MANAGE_RUN' },
      handler: ack((p) => client.pauseRun(runId(p))),
    },
    {
      method: 'POST',
      path: 'jobs/runs/resume',
      guard: { on: 'run', level: 'CAN_MANAGE_RUN' },
      handler: ack((p) => client.resumeRun(runId(p))),
    },
  ];

  const principalOf = (req: FastifyRequest) => (req as unknown as { principal: Principal }).principal;
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  registerIdentityRoutes(app, (req) => principalOf(req as FastifyRequest));
  registerWebUi(app, { temporalUi: client.temporalNamespaceUrl() });

  for (const version of VERSIONS) {
    for (const r of routes) {
      app.route({
        method: r.method === 'GET' ? ['GET', 'POST'] : ['POST'],
        url: `/api/${version}/${r.path}`,
        handler: async (req, reply) => {
          const p = await requestParams(req, bodyLimit);
          const who = principalOf(req);
          if (r.guard.on === 'job') await requireJob(who, jobId(p), r.guard.level);
          if (r.guard.on === 'run') await requireRun(who, runId(p), r.guard.level);
          const answer = await r.handler(p, { who, version });
          if (!(answer instanceof JsonBody)) return answer;
          void reply.type('application/json; charset=utf-8');
          return answer.bytes;
        },
      });
    }
  }

  // Permissions API (2.0 only, as in Databricks).
  const permissionsPath = '/api/2.0/permissions/jobs/:job_id';
  const permJobId = (req: FastifyRequest) => int((req.params as Params).job_id, 'job_id', { required: true })!;
  app.get(permissionsPath, async (req) => {
    const id = permJobId(req);
    await requireJob(principalOf(req), id, 'CAN_VIEW');
    return toJobPermissions(id, await client.getJobAccess(id));
  });
  app.get(`${permissionsPath}/permissionLevels`, async (req) => {
    await requireJob(principalOf(req), permJobId(req), 'CAN_VIEW');
    return {
      permission_levels: Object.entries(PERMISSION_LEVEL_DESCRIPTIONS).map(([permission_level, description]) => ({
        permission_level,
        description,
      })),
    };
  });
  const changePermissions = (replace: boolean) => async (req: FastifyRequest) => {
    const body = requestBody(req);
    const id = permJobId(req);
    const who = principalOf(req);
    await requireJob(who, id, 'CAN_MANAGE');
    const entries = aclFrom(body?.access_control_list ?? []);
    const current = await client.getJobAccess(id);
    const next = replace ? replaceAccess(current, entries) : updateAccess(current, entries);
    if (ownerName(next) !== ownerName(current) && !who.admin && effectiveLevel(who, current) !== 'IS_OWNER')
      throw new ApiError(ErrorCode.PERMISSION_DENIED, `Only the owner of job ${id} or an admin can change its owner.`);
    await client.setJobAccess(id, next);
    return toJobPermissions(id, next);
  };
  app.put(permissionsPath, changePermissions(true));
  app.patch(permissionsPath, changePermissions(false));
  registerClusterRoutes(app, client, bodyLimit);
  return app;
}
