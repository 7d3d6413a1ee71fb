// Identity and job permissions over real HTTP: principals from a config file, the four Databricks
// levels on every endpoint, the permissions API, run_as recorded on runs.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { runMemo } from '../../client/stored-records';
import { runIdFromString } from '../../core';
import { viewersClause } from '../../client/viewer-query';
import { JOB_RUN_WORKFLOW_TYPE } from '../../workflows/definitions';
import { DjobsJobName, DjobsRunId, DjobsViewers } from '../../workflows/search-attributes';
import {
  job,
  principalTokens,
  sh,
  tokenOf,
  useApiServer,
  useEngine,
  waitFor,
  watcherBaselined,
  type TestPrincipal,
} from './harness';

const PRINCIPALS: TestPrincipal[] = [
  { who: 'alice' },
  { who: 'bob' },
  { who: 'carol' },
  { who: 'dave', groups: ['ops'] },
  { who: 'eve' },
  { who: 'root', groups: ['admins'] },
  { who: 'bot', servicePrincipal: 'etl-bot' },
];

type Body = Record<string, unknown>;

describe('REST API permissions', () => {
  const engine = useEngine('rest api permissions');
  const api = useApiServer(engine, PRINCIPALS);
  const as = (who: string) => api.as(who);
  const alice = as('alice');
  const bob = as('bob');
  const carol = as('carol');
  const dave = as('dave');
  const eve = as('eve');
  const root = as('root');
  const bot = as('bot');
  const denied = { status: 403, body: { error_code: 'PERMISSION_DENIED' } };
  const finished = (call: ReturnType<typeof as>, runId: number) =>
    waitFor(async () => {
      const r = await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      return (r.body.status as { state: string } | undefined)?.state === 'TERMINATED' ? r.body : undefined;
    }, `run ${runId} to finish`);

  let jobId: number;

  beforeAll(async () => {
    const created = await alice('POST', '/api/2.1/jobs/create', {
      ...job('guarded', [sh('work', 'sleep {{job.parameters.secs}}')], {
        parameters: [{ name: 'secs', default: '0' }],
      }),
      access_control_list: [
        { user_name: 'bob@example.com', permission_level: 'CAN_VIEW' },
        { user_name: 'carol@example.com', permission_level: 'CAN_MANAGE_RUN' },
        { group_name: 'ops', permission_level: 'CAN_MANAGE' },
      ],
    });
    expect(created.status).toBe(200);
    jobId = created.body.job_id as number;
  });

  it('reads the permissions in the Databricks JobPermissions shape', async () => {
    const perms = await bob('GET', `/api/2.0/permissions/jobs/${jobId}`);
    expect(perms.status).toBe(200);
    expect(perms.body).toEqual({
      object_id: `/jobs/${jobId}`,
      object_type: 'job',
      access_control_list: [
        { user_name: 'alice@example.com', all_permissions: [{ permission_level: 'IS_OWNER', inherited: false }] },
        { user_name: 'bob@example.com', all_permissions: [{ permission_level: 'CAN_VIEW', inherited: false }] },
        { user_name: 'carol@example.com', all_permissions: [{ permission_level: 'CAN_MANAGE_RUN', inherited: false }] },
        { group_name: 'ops', all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: false }] },
        {
          group_name: 'admins',
          all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: true, inherited_from_object: ['/jobs/'] }],
        },
      ],
    });
    const levels = await bob('GET', `/api/2.0/permissions/jobs/${jobId}/permissionLevels`);
    expect((levels.body.permission_levels as { permission_level: string }[]).map((l) => l.permission_level)).toEqual([
      'CAN_VIEW',
      'CAN_MANAGE_RUN',
      'CAN_MANAGE',
      'IS_OWNER',
    ]);
    const got = await carol('GET', `/api/2.1/jobs/get?job_id=${jobId}`);
    expect(got.body).toMatchObject({ creator_user_name: 'alice@example.com', run_as_user_name: 'alice@example.com' });
  });

  it('a principal without a grant sees nothing, and cannot probe ids', async () => {
    expect(await eve('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).toMatchObject(denied);
    expect(await eve('GET', `/api/2.0/permissions/jobs/${jobId}`)).toMatchObject(denied);
    // Permission before existence: a missing job is 403 for a non-admin, 404 for an admin.
    expect(await eve('GET', '/api/2.1/jobs/get?job_id=987654321')).toMatchObject(denied);
    expect(await root('GET', '/api/2.1/jobs/get?job_id=987654321')).toMatchObject({ status: 404 });
    expect(await eve('GET', '/api/2.1/jobs/runs/get?run_id=987654321')).toMatchObject(denied);
    expect(await root('GET', '/api/2.1/jobs/runs/get?run_id=987654321')).toMatchObject({ status: 404 });
    const listed = await waitFor(async () => {
      const r = await bob('GET', '/api/2.1/jobs/list?limit=100');
      return (r.body.jobs as { job_id: number }[] | undefined)?.some((j) => j.job_id === jobId) ? r : undefined;
    }, 'the job to be listed');
    expect(listed.status).toBe(200);
    const hidden = await eve('GET', '/api/2.1/jobs/list?limit=100');
    expect((hidden.body.jobs as { job_id: number }[] | undefined)?.some((j) => j.job_id === jobId) ?? false).toBe(
      false
    );
  });

  it('a viewer cannot run, cancel, repair, pause, delete or change the job; a run manager can run, cancel and repair', async () => {
    expect(await bob('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).toMatchObject(denied);
    expect(
      await bob('POST', '/api/2.1/jobs/reset', { job_id: jobId, new_settings: job('x', [sh('a', 'true')]) })
    ).toMatchObject(denied);
    expect(
      await bob('POST', '/api/2.1/jobs/update', { job_id: jobId, new_settings: { name: 'renamed' } })
    ).toMatchObject(denied);
    expect(await bob('POST', '/api/2.1/jobs/delete', { job_id: jobId })).toMatchObject(denied);
    expect(
      await bob('PATCH', `/api/2.0/permissions/jobs/${jobId}`, {
        access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_MANAGE' }],
      })
    ).toMatchObject(denied);

    const started = await carol('POST', '/api/2.1/jobs/run-now', { job_id: jobId, job_parameters: { secs: '60' } });
    expect(started.status).toBe(200);
    const runId = started.body.run_id as number;
    const running = await waitFor(async () => {
      const r = await bob('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      return (r.body.status as { state: string }).state === 'RUNNING' ? r.body : undefined;
    }, 'the run to start');
    // run_as and the one who started it are recorded on the run.
    expect(running).toMatchObject({ creator_user_name: 'carol@example.com', run_as_user_name: 'alice@example.com' });
    expect(await bob('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId })).toMatchObject(denied);
    expect(await bob('POST', '/api/2.1/jobs/runs/pause', { run_id: runId })).toMatchObject(denied);
    expect(await bob('POST', '/api/2.1/jobs/runs/cancel-all', { job_id: jobId })).toMatchObject(denied);
    expect(await carol('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId })).toEqual({ status: 200, body: {} });
    const canceled = await finished(bob, runId);
    expect(canceled.state).toMatchObject({ result_state: 'CANCELED' });

    expect(
      await bob('POST', '/api/2.1/jobs/runs/repair', { run_id: runId, rerun_all_failed_tasks: true })
    ).toMatchObject(denied);
    expect(await bob('POST', '/api/2.1/jobs/runs/delete', { run_id: runId })).toMatchObject(denied);
    expect(await carol('POST', '/api/2.1/jobs/runs/delete', { run_id: runId })).toMatchObject(denied);
    const repaired = await carol('POST', '/api/2.1/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
      job_parameters: { secs: '0' },
    });
    expect(repaired.status).toBe(200);
    await waitFor(async () => {
      const r = await bob('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      return (r.body.state as { result_state?: string }).result_state === 'SUCCESS';
    }, 'the repair to succeed');
    // The viewer reads the output; the repair kept who the run was started by and runs as.
    const run = await bob('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
    expect(run.body).toMatchObject({ creator_user_name: 'carol@example.com', run_as_user_name: 'alice@example.com' });
    const lastTask = (run.body.tasks as { run_id: number }[]).at(-1)!;
    expect((await bob('GET', `/api/2.1/jobs/runs/get-output?run_id=${lastTask.run_id}`)).status).toBe(200);
    expect(await eve('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).toMatchObject(denied);
    expect(await eve('GET', `/api/2.1/jobs/runs/get-output?run_id=${lastTask.run_id}`)).toMatchObject(denied);
    expect(await eve('GET', `/api/2.1/jobs/runs/list?job_id=${jobId}`)).toMatchObject(denied);
  });

  it('CAN_MANAGE (through a group) changes settings and grants but not the owner; only an admin hands ownership on, and it keeps the job’s identity', async () => {
    expect(
      await dave('POST', '/api/2.1/jobs/update', { job_id: jobId, new_settings: { max_concurrent_runs: 2 } })
    ).toEqual({ status: 200, body: {} });
    const patched = await dave('PATCH', `/api/2.0/permissions/jobs/${jobId}`, {
      access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_MANAGE_RUN' }],
    });
    expect(patched.status).toBe(200);
    const bobRun = await bob('POST', '/api/2.1/jobs/run-now', { job_id: jobId });
    expect(bobRun.status).toBe(200);
    await finished(bob, bobRun.body.run_id as number);
    expect(
      await dave('PATCH', `/api/2.0/permissions/jobs/${jobId}`, {
        access_control_list: [{ user_name: 'dave@example.com', permission_level: 'IS_OWNER' }],
      })
    ).toMatchObject(denied);
    // Bad lists: every problem, with its path.
    const bad = await dave('PUT', `/api/2.0/permissions/jobs/${jobId}`, {
      access_control_list: [
        { group_name: 'ops', permission_level: 'IS_OWNER' },
        { user_name: 'x', group_name: 'y', permission_level: 'CAN_VIEW' },
        { user_name: 'z', permission_level: 'CAN_FLY' },
      ],
    });
    expect(bad).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(bad.body.message).toBe(
      'access_control_list[0]: a group cannot own a job; IS_OWNER needs a user or service principal; ' +
        'access_control_list[1]: expected exactly one of user_name, group_name, service_principal_name, found user_name and group_name; ' +
        'access_control_list[2].permission_level: expected one of CAN_VIEW, CAN_MANAGE_RUN, CAN_MANAGE, IS_OWNER, found "CAN_FLY"'
    );
    // Only an admin moves ownership (Databricks: the job owner can be changed only by an admin):
    // the owner herself cannot give the job away.
    const handOver = {
      access_control_list: [
        { service_principal_name: 'etl-bot', permission_level: 'IS_OWNER' },
        { user_name: 'alice@example.com', permission_level: 'CAN_VIEW' },
      ],
    };
    expect(await alice('PUT', `/api/2.0/permissions/jobs/${jobId}`, handOver)).toMatchObject({
      status: 403,
      body: { error_code: 'PERMISSION_DENIED', message: `Only an admin can change the owner of job ${jobId}.` },
    });
    // An admin gives the job to a service principal, alice keeping CAN_VIEW (PUT replaces every grant).
    const moved = await root('PUT', `/api/2.0/permissions/jobs/${jobId}`, handOver);
    expect(moved.status).toBe(200);
    expect((moved.body.access_control_list as Body[]).slice(0, 2)).toEqual([
      { service_principal_name: 'etl-bot', all_permissions: [{ permission_level: 'IS_OWNER', inherited: false }] },
      { user_name: 'alice@example.com', all_permissions: [{ permission_level: 'CAN_VIEW', inherited: false }] },
    ]);
    expect(await dave('POST', '/api/2.1/jobs/update', { job_id: jobId, new_settings: { name: 'x' } })).toMatchObject(
      denied
    );
    expect(await alice('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).toMatchObject(denied);
    // A new owner does not change whose identity the job's runs use: they still act as alice,
    // until an admin sets run_as.
    const got = await bot('GET', `/api/2.1/jobs/get?job_id=${jobId}`);
    expect(got.body).toMatchObject({ run_as_user_name: 'alice@example.com' });
    expect(
      await root('POST', '/api/2.1/jobs/update', {
        job_id: jobId,
        new_settings: { run_as: { service_principal_name: 'etl-bot' } },
      })
    ).toEqual({ status: 200, body: {} });
    const botRun = await bot('POST', '/api/2.1/jobs/run-now', { job_id: jobId });
    expect(await finished(bot, botRun.body.run_id as number)).toMatchObject({ run_as_user_name: 'etl-bot' });
  });

  it('a grant revoked through another API replica is honoured once the reused access expires', async () => {
    const created = await root('POST', '/api/2.1/jobs/create', {
      ...job('replicas', [sh('a', 'true')]),
      access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_VIEW' }],
    });
    const id = created.body.job_id as number;
    expect((await bob('GET', `/api/2.1/jobs/get?job_id=${id}`)).status).toBe(200); // read and reused here
    const listedToBob = async () =>
      (
        ((await bob('GET', '/api/2.1/jobs/list?name=replicas&limit=100')).body.jobs as
          { job_id: number }[] | undefined) ?? []
      ).some((j) => j.job_id === id);
    await waitFor(listedToBob, 'the job to be listed to bob');
    // A second replica: its own client, so its own reuse of job access.
    const tokens = principalTokens(api.principalsFile);
    const other = await createApiServer({
      client: DurableJobsClient.fromClient(engine.temporal, { taskQueue: engine.taskQueue }),
      tokens,
      workspaceDir: engine.workDir,
    });
    try {
      const otherBase = await other.listen({ port: 0, host: '127.0.0.1' });
      const revoked = await fetch(`${otherBase}/api/2.0/permissions/jobs/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokenOf('root')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ access_control_list: [] }),
      });
      expect(revoked.status).toBe(200);
      const otherGet = await fetch(`${otherBase}/api/2.1/jobs/get?job_id=${id}`, {
        headers: { authorization: `Bearer ${tokenOf('bob')}` },
      });
      expect(otherGet.status).toBe(403); // the replica that made the change: at once
    } finally {
      await other.close();
    }
    // This replica: within jobAccessCacheMs (1 s by default), and for good.
    await waitFor(
      async () => (await bob('GET', `/api/2.1/jobs/get?job_id=${id}`)).status === 403,
      'the revoked grant to take effect here'
    );
    expect(await bob('GET', `/api/2.1/jobs/runs/list?job_id=${id}`)).toMatchObject(denied);
    // This replica's listing judges by Temporal's index: the job leaves it once the index shows the change.
    await waitFor(async () => !(await listedToBob()), 'the revoked grant to hide the job from this replica’s listing');
  });

  it('runs/list for a non-admin is narrowed by the index to its runs, and follows the job’s current access', async () => {
    const listed = async (call: ReturnType<typeof as>, id: number) =>
      (
        ((await call('GET', `/api/2.1/jobs/runs/list?job_id=${id}&limit=25`)).body.runs as
          { run_id: number }[] | undefined) ?? []
      ).map((r) => r.run_id);
    const listedAll = async (call: ReturnType<typeof as>) =>
      (
        ((await call('GET', '/api/2.1/jobs/runs/list?limit=25')).body.runs as { run_id: number }[] | undefined) ?? []
      ).map((r) => r.run_id);
    // A job shared with bob from the start: its run names bob among its viewers.
    const shared = (
      await alice('POST', '/api/2.1/jobs/create', {
        ...job('listed shared', [sh('a', 'true')]),
        access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_VIEW' }],
      })
    ).body.job_id as number;
    // A job shared with bob only after its run started.
    const late = (await alice('POST', '/api/2.1/jobs/create', job('listed late', [sh('a', 'true')]))).body
      .job_id as number;
    const sharedRun = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: shared })).body.run_id as number;
    const lateRun = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: late })).body.run_id as number;
    await finished(alice, sharedRun);
    await finished(alice, lateRun);
    await waitFor(async () => (await listed(alice, late)).includes(lateRun), 'the late job’s run to be listed');
    await waitFor(async () => (await listedAll(bob)).includes(sharedRun), 'the shared job’s run to be listed to bob');

    const described = await engine.temporal.workflow.getHandle(`djobs-run-${sharedRun}`).describe();
    expect(described.typedSearchAttributes.get(DjobsViewers)).toEqual([
      'user:alice@example.com',
      'user:bob@example.com',
    ]);
    // The listing itself is narrowed: with a check that accepts everything, a run bob may not see
    // is still not listed to him.
    const bobKeywords = ['user:bob@example.com', 'group:users'];
    const narrowed = (id: number) =>
      engine.client
        .listRuns({ jobId: id, visibleTo: bobKeywords, where: () => true })
        .then((r) => r.map((x) => x.run_id));
    expect(await narrowed(late)).toEqual([]);
    expect(await narrowed(shared)).toEqual([sharedRun]);

    // Shared through this server after the run started: listed to bob at once.
    expect(
      (
        await alice('PATCH', `/api/2.0/permissions/jobs/${late}`, {
          access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_VIEW' }],
        })
      ).status
    ).toBe(200);
    expect(await listed(bob, late)).toEqual([lateRun]);
    expect(await listedAll(bob)).toContain(lateRun);
    // Revoked: gone at once, although the run's own viewers still name bob.
    expect((await alice('PUT', `/api/2.0/permissions/jobs/${shared}`, { access_control_list: [] })).status).toBe(200);
    expect(await listedAll(bob)).not.toContain(sharedRun);
    expect(await listed(eve, late)).toEqual([]);
    expect(await listedAll(eve)).not.toContain(lateRun);
  });

  /**
   * Run `runId` of job `jobId` started with its job's viewers, alice (the owner) and bob, and
   * Temporal's index finds it by them, not only as a run of a job bob may see.
   */
  const expectViewersAliceAndBob = async (jobId: number, runId: number) => {
    const described = await engine.temporal.workflow.getHandle(`djobs-run-${runId}`).describe();
    expect(described.typedSearchAttributes.get(DjobsViewers)).toEqual([
      'user:alice@example.com',
      'user:bob@example.com',
    ]);
    const bobKeywords = ['user:bob@example.com', 'group:users'];
    await waitFor(async () => {
      for await (const wf of engine.temporal.workflow.list({
        query: `DjobsJobId = ${jobId} AND ${viewersClause(bobKeywords, [])} AND DjobsViewers IS NOT NULL`,
      }))
        if (wf.workflowId === `djobs-run-${runId}`) return true;
      return false;
    }, `the index to name bob among the viewers of run ${runId}`);
  };

  it('runs a trigger starts carry the job’s viewers: a viewer lists file-arrival and continuous runs through the index', async () => {
    // A volume of the worker's workspace root: a non-admin may not watch the server's own folders.
    const volume = '/Volumes/main/default/trigger-viewers-landing';
    const landing = path.join(engine.dataDir, 'workspace', volume);
    fs.mkdirSync(landing, { recursive: true });
    const shareWithBob = [{ user_name: 'bob@example.com', permission_level: 'CAN_VIEW' }];
    const created = async (settings: Body) => {
      const r = await alice('POST', '/api/2.1/jobs/create', { ...settings, access_control_list: shareWithBob });
      expect(r.status).toBe(200);
      return r.body.job_id as number;
    };
    // A watcher that starts a run and goes on (startChild), a supervisor that follows its run (executeChild).
    const watched = await created(
      job('watched by bob', [sh('a', 'true')], { trigger: { file_arrival: { url: volume } } })
    );
    const continuous = await created(
      job('continuous for bob', [sh('a', 'sleep 1')], { continuous: { pause_status: 'UNPAUSED' } })
    );
    await watcherBaselined(engine.client, watched);
    fs.writeFileSync(path.join(landing, 'a.csv'), 'a');
    for (const [jobId, trigger] of [
      [watched, 'FILE_ARRIVAL'],
      [continuous, 'CONTINUOUS'],
    ] as const) {
      const run = await waitFor(
        async () => {
          const r = await bob('GET', `/api/2.1/jobs/runs/list?job_id=${jobId}&limit=25`);
          return (r.body.runs as { run_id: number; trigger: string }[] | undefined)?.find((x) => x.trigger === trigger);
        },
        `bob to list the ${trigger} run of job ${jobId}`,
        60_000
      );
      await expectViewersAliceAndBob(jobId, run.run_id);
      expect(await eve('GET', `/api/2.1/jobs/runs/list?job_id=${jobId}`)).toMatchObject(denied);
    }
    for (const jobId of [watched, continuous])
      expect((await alice('POST', '/api/2.1/jobs/delete', { job_id: jobId })).status).toBe(200);
  });

  it('a run a run_job_task starts carries the called job’s viewers: a viewer of that job lists it through the index, a stranger does not', async () => {
    const called = await alice('POST', '/api/2.1/jobs/create', {
      ...job('called for bob', [sh('a', 'true')]),
      access_control_list: [{ user_name: 'bob@example.com', permission_level: 'CAN_VIEW' }],
    });
    const calledId = called.body.job_id as number;
    // The calling job is alice's alone: bob may see the run it starts, not the caller.
    const caller = await alice(
      'POST',
      '/api/2.1/jobs/create',
      job('calls a job', [{ task_key: 'call', run_job_task: { job_id: calledId } }])
    );
    const callerId = caller.body.job_id as number;
    const parent = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: callerId })).body.run_id as number;
    const parentRun = await finished(alice, parent);
    expect((parentRun.state as { result_state?: string }).result_state).toBe('SUCCESS');
    const child = await waitFor(
      async () => {
        const r = await bob('GET', `/api/2.1/jobs/runs/list?job_id=${calledId}&limit=25`);
        return (r.body.runs as { run_id: number; trigger: string }[] | undefined)?.find(
          (x) => x.trigger === 'RUN_JOB_TASK'
        );
      },
      `bob to list the run job ${callerId} started of job ${calledId}`,
      60_000
    );
    expect(child.run_id).toBe((await engine.client.getRunOutput(parent, 'call')).run_job_output?.run_id);
    await expectViewersAliceAndBob(calledId, child.run_id);
    // bob sees the child run, not the run that started it; eve sees neither.
    expect(await bob('GET', `/api/2.1/jobs/runs/get?run_id=${parent}`)).toMatchObject(denied);
    expect(await eve('GET', `/api/2.1/jobs/runs/list?job_id=${calledId}`)).toMatchObject(denied);
    const evesRuns = await eve('GET', '/api/2.1/jobs/runs/list?limit=25');
    expect(evesRuns.status).toBe(200);
    expect(
      (evesRuns.body.runs as { run_id: number }[] | undefined)?.some((x) => x.run_id === child.run_id) ?? false
    ).toBe(false);
    for (const jobId of [callerId, calledId])
      expect((await alice('POST', '/api/2.1/jobs/delete', { job_id: jobId })).status).toBe(200);
  });

  it('runs/list judges runs the product started before runs carried viewers, and lists raw jobRun executions to admins only', async () => {
    // Two executions on a queue no worker polls, both with access naming bob in their memo and no
    // viewers indexed: a one-time run as the product started them before runs carried viewers
    // (its run id indexed), and a raw Temporal start of the same workflow type with no ids.
    const queue = `perm-idle-${Date.now()}`;
    const legacyId = Date.now() % 1_000_000_000;
    const rawWorkflowId = `raw-job-run-${Date.now()}`;
    // What a listing calls an execution without an indexed run id.
    const rawId = runIdFromString(rawWorkflowId);
    const memo = runMemo(
      { owner: { user_name: 'bob@example.com' }, grants: [] },
      { kind: 'user', name: 'bob@example.com' },
      'bob@example.com'
    );
    const legacy = await engine.temporal.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
      workflowId: `djobs-run-${legacyId}`,
      taskQueue: queue,
      args: [],
      memo,
      typedSearchAttributes: [
        { key: DjobsRunId, value: legacyId },
        { key: DjobsJobName, value: 'legacy one-time run' },
      ],
    });
    const raw = await engine.temporal.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
      workflowId: rawWorkflowId,
      taskQueue: queue,
      args: [],
      memo,
    });
    try {
      const ids = async (call: ReturnType<typeof as>) =>
        (
          ((await call('GET', '/api/2.1/jobs/runs/list?active_only=true&limit=25')).body.runs as
            { run_id: number }[] | undefined) ?? []
        ).map((r) => r.run_id);
      await waitFor(
        async () => (await engine.temporal.workflow.count(`TaskQueue = '${queue}'`)).count === 2,
        'both executions to be indexed'
      );
      const all = (await engine.client.listRuns({ activeOnly: true, limit: 1000 })).map((r) => r.run_id);
      expect(all).toEqual(expect.arrayContaining([legacyId, rawId]));
      const bobs = await ids(bob);
      expect(bobs).toContain(legacyId);
      expect(bobs).not.toContain(rawId);
      expect(await ids(eve)).not.toContain(legacyId);
      // The index itself leaves the raw execution out: a check that accepts everything lists only the legacy run.
      const narrowed = await engine.client.listRuns({
        activeOnly: true,
        visibleTo: ['user:bob@example.com', 'group:users'],
        where: () => true,
        limit: 1000,
      });
      expect(narrowed.map((r) => r.run_id)).toContain(legacyId);
      expect(narrowed.map((r) => r.run_id)).not.toContain(rawId);
    } finally {
      await legacy.terminate('test done');
      await raw.terminate('test done');
    }
  });

  it('only admins set run_as to someone else; one-time runs belong to their submitter', async () => {
    const other = job('as alice', [sh('a', 'true')], { run_as: { user_name: 'alice@example.com' } });
    expect(await eve('POST', '/api/2.1/jobs/create', other)).toMatchObject(denied);
    const byAdmin = await root('POST', '/api/2.1/jobs/create', other);
    expect(byAdmin.status).toBe(200);
    expect((await root('GET', `/api/2.1/jobs/get?job_id=${byAdmin.body.job_id as number}`)).body).toMatchObject({
      creator_user_name: 'root@example.com',
      run_as_user_name: 'alice@example.com',
    });

    const submitted = await eve('POST', '/api/2.1/jobs/runs/submit', {
      run_name: 'eve only',
      tasks: [sh('a', 'true')],
      access_control_list: [{ user_name: 'carol@example.com', permission_level: 'CAN_VIEW' }],
    });
    const runId = submitted.body.run_id as number;
    expect(await finished(eve, runId)).toMatchObject({
      creator_user_name: 'eve@example.com',
      run_as_user_name: 'eve@example.com',
    });
    expect((await carol('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).status).toBe(200);
    expect(await bob('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).toMatchObject(denied);
    expect(await carol('POST', '/api/2.1/jobs/runs/delete', { run_id: runId })).toMatchObject(denied);
    // runs/list shows each principal the runs it may see.
    const seen = await waitFor(async () => {
      const r = await eve('GET', '/api/2.1/jobs/runs/list?run_type=SUBMIT_RUN&limit=25');
      return (r.body.runs as { run_id: number }[] | undefined)?.some((x) => x.run_id === runId) ? r : undefined;
    }, 'the submitted run to be listed');
    expect((seen.body.runs as { run_id: number }[]).every((x) => x.run_id === runId)).toBe(true);
    const bobs = await bob('GET', '/api/2.1/jobs/runs/list?limit=25');
    expect((bobs.body.runs as { run_id: number }[] | undefined)?.some((x) => x.run_id === runId) ?? false).toBe(false);
    // The submitter owns the run and deletes it.
    expect(await eve('POST', '/api/2.1/jobs/runs/delete', { run_id: runId })).toEqual({ status: 200, body: {} });
    // Temporal deletes asynchronously: the run is gone once the server has processed the deletion.
    await waitFor(
      async () => (await root('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).status === 404,
      'the run to go',
      60_000
    );
  });
});
