// The Jobs API's run routes (https://docs.databricks.com/api/workspace/jobs): submit, get,
// get-output, export, list, cancel, cancel-all, delete, repair, and the pause/resume extension.
import type { FastifyInstance } from 'fastify';
import { DjobsError, ErrorCode, NotFoundError, readableOr, type Run } from '../client';
import {
  viewerKeywordsOf,
  withOneTimeRunJobId,
  withoutResolvedValues,
  withRepairHistory,
  type JobAccess,
  type Principal,
} from '../core';
import { badRequest } from './errors';
import { aclFrom, checkCalledJobs, checkOwnerEntries, decideRunAs, denied, holds } from './guards';
import { settingsFrom } from './jobs';
import { runForVersion } from './legacy-2-0';
import { decodeOffsetToken } from './page-tokens';
import { legacyOffset, listPage, pageRunTasks } from './paging';
import { bool, int, optionalString, refuseFields, stringList, stringMap, type Params } from './request-params';
import { runGetBody } from './run-bodies';
import { actionRoute, addJobsApiRoutes, runIdOf, type ApiDeps, type Route } from './routes';

const submit = (deps: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/runs/submit',
  guard: { on: 'anyone' },
  handler: async (p, { who }) => {
    const { run_name, idempotency_token, access_control_list, ...rest } = p;
    const acl = aclFrom(access_control_list);
    checkOwnerEntries(who, acl, deps.tokens);
    const runName = optionalString(run_name, 'run_name');
    const idempotencyToken = optionalString(idempotency_token, 'idempotency_token');
    const settings = await settingsFrom(deps, { ...rest, ...(runName !== undefined ? { name: runName } : {}) }, who);
    const runAs = await decideRunAs(deps, who, settings);
    await checkCalledJobs(deps, runAs, settings);
    return deps.client.submitRun(settings, {
      user: who.name,
      submitter: { name: who.name, kind: who.kind },
      runAs,
      accessControlList: acl,
      ...(runName !== undefined ? { runName } : {}),
      ...(idempotencyToken !== undefined ? { idempotencyToken } : {}),
    });
  },
});

const get = ({ client }: ApiDeps): Route => ({
  method: 'GET',
  path: 'jobs/runs/get',
  // The hottest route (SDK waiters poll it): checked inside one lookup rather than by a guard.
  guard: { on: 'anyone' },
  handler: async (p, { who, version }) => {
    refuseFields('GetRun', p);
    const id = runIdOf(p);
    const run = who.admin
      ? await client.getRun(id)
      : await client.getRunIfAllowed(id, (access) => {
          if (!holds(who, access, 'CAN_VIEW')) throw denied(who, 'CAN_VIEW', `run ${id}`);
        });
    const resolved = bool(p.include_resolved_values);
    const bodyOf = (view: Run) => {
      const asked = resolved ? view : withoutResolvedValues(view);
      const shown = withOneTimeRunJobId(bool(p.include_history) ? withRepairHistory(asked) : asked);
      return runForVersion(pageRunTasks(shown, version, p.page_token), version);
    };
    if (p.page_token !== undefined) return bodyOf(run); // a page_token's pages are not kept
    return runGetBody(run, `${version} ${bool(p.include_history)} ${resolved}`, bodyOf);
  },
});

const getOutput = ({ client }: ApiDeps): Route => ({
  method: 'GET',
  path: 'jobs/runs/get-output',
  guard: { on: 'run', level: 'CAN_VIEW' },
  handler: async (p) => client.getRunOutput(runIdOf(p)),
});

const exportRun = ({ client }: ApiDeps): Route => ({
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
    return views === 'DASHBOARDS' ? { views: [] } : client.exportRun(runIdOf(p));
  },
});

/**
 * A non-admin's filter of listed runs: those of jobs it may view now, else those whose recorded
 * access lets it; each job's access is read once per listing.
 */
function viewableBy(deps: ApiDeps, who: Principal) {
  const accessCache = new Map<number, Promise<JobAccess | undefined>>();
  return async (run: Run, recorded: JobAccess | undefined) => {
    let access = recorded;
    if (run.job_id !== undefined) {
      if (!accessCache.has(run.job_id)) accessCache.set(run.job_id, deps.guards.jobAccess(run.job_id));
      access = (await accessCache.get(run.job_id)) ?? recorded;
    }
    return holds(who, access, 'CAN_VIEW');
  };
}

/**
 * Full runs for runs/list's expand_tasks. One deleted since it was listed (visibility lags behind
 * deletion) is left out; one whose state no worker can give right now, or that cannot be read,
 * stays as listed.
 */
async function expanded({ client }: ApiDeps, runs: Run[]): Promise<Run[]> {
  const full = await Promise.all(
    runs.map((r) =>
      readableOr(
        async () => withoutResolvedValues(await client.getRun(r.run_id)),
        () => r
      ).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        if (err instanceof DjobsError && err.code === ErrorCode.TEMPORAL_UNAVAILABLE) return r;
        throw err;
      })
    )
  );
  return full.filter((r) => r !== undefined);
}

/** The last millisecond of year 9999: later times are refused (Temporal's list filter takes RFC 3339 times). */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const list = (deps: ApiDeps): Route => ({
  method: 'GET',
  path: 'jobs/runs/list',
  guard: { on: 'anyone' },
  handler: async (p, { who }) => {
    const limit = int(p.limit, 'limit', { min: 0, max: 25, def: 20 }) || 25;
    const offset = decodeOffsetToken(p.page_token) ?? legacyOffset(p.offset);
    if (bool(p.active_only) && bool(p.completed_only))
      throw badRequest('active_only and completed_only cannot both be true.');
    if (p.run_type !== undefined && p.run_type !== 'JOB_RUN' && p.run_type !== 'SUBMIT_RUN')
      throw badRequest(
        `Invalid value for run_type: expected JOB_RUN or SUBMIT_RUN, found ${JSON.stringify(p.run_type)}`
      );
    const id = int(p.job_id, 'job_id');
    if (id !== undefined) await deps.guards.requireJob(who, id, 'CAN_VIEW');
    const from = int(p.start_time_from, 'start_time_from', { min: 0, max: MAX_TIME_MS });
    const to = int(p.start_time_to, 'start_time_to', { min: 0, max: MAX_TIME_MS });
    const runs = await deps.client.listRuns({
      ...(id !== undefined ? { jobId: id } : {}),
      activeOnly: bool(p.active_only),
      completedOnly: bool(p.completed_only),
      ...(p.run_type === 'JOB_RUN' || p.run_type === 'SUBMIT_RUN' ? { runType: p.run_type } : {}),
      ...(from ? { startTimeFrom: from } : {}),
      ...(to ? { startTimeTo: to } : {}),
      limit: offset + limit + 1,
      ...(who.admin ? {} : { visibleTo: viewerKeywordsOf(who), where: viewableBy(deps, who) }),
    });
    const page = listPage('runs', runs, offset, limit);
    if (!bool(p.expand_tasks) || !page.runs) return page;
    return { ...page, runs: await expanded(deps, page.runs) };
  },
});

const cancel = ({ client }: ApiDeps): Route =>
  actionRoute('jobs/runs/cancel', { on: 'run', level: 'CAN_MANAGE_RUN' }, (p) => client.cancelRun(runIdOf(p)));

const cancelAll = ({ client, guards }: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/runs/cancel-all',
  guard: { on: 'anyone' },
  handler: async (p, { who }) => {
    const id = int(p.job_id, 'job_id');
    if (id === undefined && !bool(p.all_queued_runs))
      throw badRequest('Either job_id or all_queued_runs must be given.');
    if (id !== undefined) await guards.requireJob(who, id, 'CAN_MANAGE_RUN');
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
        if (!holds(who, access, 'CAN_MANAGE_RUN')) continue;
      }
      await client.cancelRun(r.run_id);
    }
    return {};
  },
});

const repair = ({ client }: ApiDeps): Route => ({
  method: 'POST',
  path: 'jobs/runs/repair',
  guard: { on: 'run', level: 'CAN_MANAGE_RUN' },
  handler: async (p: Params) => {
    refuseFields('RepairRun', p);
    const jobParameters = stringMap(p.job_parameters, 'job_parameters');
    const rerunTasks = stringList(p.rerun_tasks, 'rerun_tasks');
    const latestRepairId = int(p.latest_repair_id, 'latest_repair_id', { min: 1 });
    return client.repairRun(runIdOf(p), {
      ...(rerunTasks ? { rerunTasks } : {}),
      ...(latestRepairId !== undefined ? { latestRepairId } : {}),
      rerunAllFailedTasks: bool(p.rerun_all_failed_tasks),
      rerunDependentTasks: bool(p.rerun_dependent_tasks),
      ...(jobParameters ? { jobParameters } : {}),
    });
  },
});

const remove = ({ client }: ApiDeps): Route =>
  actionRoute('jobs/runs/delete', { on: 'run', level: 'CAN_MANAGE' }, (p) => client.deleteRun(runIdOf(p)));

// Extension: pause and resume a run (not part of the Databricks API).
const pause = ({ client }: ApiDeps): Route =>
  actionRoute('jobs/runs/pause', { on: 'run', level: 'CAN_MANAGE_RUN' }, (p) => client.pauseRun(runIdOf(p)));

const resume = ({ client }: ApiDeps): Route =>
  actionRoute('jobs/runs/resume', { on: 'run', level: 'CAN_MANAGE_RUN' }, (p) => client.resumeRun(runIdOf(p)));

export function registerRunsApi(app: FastifyInstance, deps: ApiDeps): void {
  const routes = [submit, get, getOutput, exportRun, list, cancel, cancelAll, remove, repair, pause, resume];
  addJobsApiRoutes(
    app,
    deps,
    routes.map((route) => route(deps))
  );
}
