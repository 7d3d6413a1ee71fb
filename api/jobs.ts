// The Jobs API's job routes (https://docs.databricks.com/api/workspace/jobs): create, get, list,
// reset, update, delete and run-now. Settings are validated by the client; relative file paths in
// them resolve against the API's workspace directory.
import type { FastifyInstance } from 'fastify';
import { resolveJobSpec } from '../client';
import { DURATION_TARGETS, PERFORMANCE_TARGETS, viewerKeywordsOf, type JobSettings, type Principal } from '../core';
import { badRequest } from './errors';
import { aclFrom, checkCalledJobs, checkOwnerEntries, decideRunAs } from './guards';
import { jobForVersion, legacyTaskParameters, multiTaskSettings } from './legacy-2-0';
import { decodeListingToken, encodeListingToken } from './page-tokens';
import { legacyOffset, pageJobTasks } from './paging';
import {
  bool,
  int,
  oneOf,
  optionalObject,
  optionalString,
  refuseFields,
  stringList,
  stringMap,
  type Params,
} from './request-params';
import { actionRoute, addJobsApiRoutes, jobIdOf, type ApiDeps, type Route } from './routes';

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

/**
 * Settings as a request gives them (2.0's single-task format too), validated, with paths resolved.
 * Task paths: admins may name files on this machine (relative to workspaceDir); other principals
 * workspace paths and the code roots only (docs/workspace.md).
 */
export const settingsFrom = async (deps: ApiDeps, raw: unknown, who: Principal): Promise<JobSettings> =>
  (
    await resolveJobSpec(multiTaskSettings(raw), deps.workspaceDir, {
      localFiles: who.admin,
      codeRoots: deps.codeRoots,
    })
  ).settings;

/**
 * jobs/reset and jobs/update: the job's identity decided anew (a change of what it runs by someone
 * who may not act as it is refused) and its run_job_tasks checked, then the settings stored.
 */
async function saveJob(deps: ApiDeps, who: Principal, jobId: number, settings: JobSettings): Promise<void> {
  const current = await deps.client.describeJob(jobId);
  const runAs = await decideRunAs(deps, who, settings, {
    jobId,
    runAs: current.runAs,
    settings: current.job.settings,
  });
  await checkCalledJobs(deps, runAs, settings);
  await deps.client.resetJob(jobId, settings, { runAs });
}

const create = (deps: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/create',
  guard: { on: 'anyone' },
  handler: async (p, { who, version }) => {
    const { access_control_list, ...settings } = p;
    const acl = aclFrom(access_control_list);
    checkOwnerEntries(who, acl, deps.tokens);
    // Jobs created through 2.2 queue by default, as on Databricks.
    if (version === '2.2' && settings.queue === undefined) settings.queue = { enabled: true };
    const valid = await settingsFrom(deps, settings, who);
    const runAs = await decideRunAs(deps, who, valid);
    await checkCalledJobs(deps, runAs, valid);
    return deps.client.createJob(valid, { creator: { name: who.name, kind: who.kind }, accessControlList: acl, runAs });
  },
});

const get = ({ client }: ApiDeps): Route => ({
  method: 'GET',
  path: 'jobs/get',
  guard: { on: 'job', level: 'CAN_VIEW' },
  handler: async (p, { version }) => {
    refuseFields('GetJob', p);
    const job = await client.getJob(jobIdOf(p));
    const shown = bool(p.include_trigger_state) ? await client.withTriggerState(job) : job;
    return jobForVersion(pageJobTasks(shown, version, p.page_token), version);
  },
});

const list = ({ client }: ApiDeps): Route => ({
  method: 'GET',
  path: 'jobs/list',
  guard: { on: 'anyone' },
  handler: async (p, { who, version }) => {
    const limit = int(p.limit, 'limit', { min: 1, max: 100, def: 20 })!;
    const pageToken = decodeListingToken(p.page_token);
    // The legacy `offset` (no page_token): that many jobs are read and skipped.
    const offset = pageToken === undefined ? legacyOffset(p.offset) : 0;
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
});

const reset = (deps: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/reset',
  guard: { on: 'job', level: 'CAN_MANAGE' },
  handler: async (p, { who }) => {
    const valid = await settingsFrom(deps, optionalObject(p.new_settings, 'new_settings'), who);
    await saveJob(deps, who, jobIdOf(p), valid);
    return {};
  },
});

const update = (deps: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/update',
  guard: { on: 'job', level: 'CAN_MANAGE' },
  handler: async (p, { who }) => {
    const id = jobIdOf(p);
    const changes = optionalObject(p.new_settings, 'new_settings') ?? {};
    const remove = stringList(p.fields_to_remove, 'fields_to_remove') ?? [];
    const current = (await deps.client.getJob(id)).settings as unknown as Params;
    await saveJob(deps, who, id, await settingsFrom(deps, mergeSettings(current, changes, remove), who));
    return {};
  },
});

const remove = ({ client }: ApiDeps): Route =>
  actionRoute('jobs/delete', { on: 'job', level: 'CAN_MANAGE' }, (p) => client.deleteJob(jobIdOf(p)));

/** run-now's `queue` override: `{ "enabled": true | false }`. */
function queueSetting(v: unknown): { enabled: boolean } | undefined {
  const queue = optionalObject(v, 'queue');
  if (queue === undefined) return undefined;
  if (typeof queue.enabled !== 'boolean' || Object.keys(queue).length !== 1)
    throw badRequest(`Invalid value for queue: expected {"enabled": true or false}, found ${JSON.stringify(queue)}`);
  return { enabled: queue.enabled };
}

const runNow = ({ client }: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/run-now',
  guard: { on: 'job', level: 'CAN_MANAGE_RUN' },
  handler: async (p, { who }) => {
    refuseFields('RunNow', p);
    const jobParameters = stringMap(p.job_parameters, 'job_parameters');
    const taskParameters = legacyTaskParameters(p);
    const idempotencyToken = optionalString(p.idempotency_token, 'idempotency_token');
    const only = stringList(p.only, 'only');
    const queue = queueSetting(p.queue);
    const performanceTarget = oneOf(p.performance_target, 'performance_target', PERFORMANCE_TARGETS);
    const durationTarget = oneOf(p.duration_target, 'duration_target', DURATION_TARGETS);
    const { run_id } = await client.runNow(jobIdOf(p), {
      user: who.name,
      ...(jobParameters ? { jobParameters } : {}),
      ...(taskParameters ? { taskParameters } : {}),
      ...(idempotencyToken !== undefined ? { idempotencyToken } : {}),
      ...(only ? { only } : {}),
      ...(queue ? { queue } : {}),
      ...(performanceTarget !== undefined ? { performanceTarget } : {}),
      ...(durationTarget !== undefined ? { durationTarget } : {}),
    });
    return { run_id, number_in_job: run_id };
  },
});

export function registerJobsApi(app: FastifyInstance, deps: ApiDeps): void {
  addJobsApiRoutes(
    app,
    deps,
    [create, get, list, reset, update, remove, runNow].map((route) => route(deps))
  );
}
