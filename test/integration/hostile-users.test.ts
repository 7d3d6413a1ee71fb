// Issue 25, tried as hostile users would: four principals (users alice, bob and mallory, who holds
// no grant, and the service principal etl-bot; bob owns the secret scope bob-scope) against the
// REST API, a worker and a raw Temporal client. Every finding of the identity, Temporal,
// run_job_task and limits items is reproduced here and shown refused or contained
// (docs/security.md points at each test).
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { ensurePythonSdk, pythonSdkDir, runCompatScript, runProgram } from '../helpers/compat';
import { principalKey, TaskUids } from '../../activities/sandbox/uids';
import { runIdFromString, runWorkflowId, type JobSettings, type RunAsIdentity } from '../../core';
import {
  configureTriggerSignal,
  controlSignalArg,
  fileArrivalWorkflowId,
  getTriggerStateQuery,
  JOB_RUN_WORKFLOW_TYPE,
  type JobRunInput,
} from '../../workflows/definitions';
import {
  job,
  latestByKey,
  principalTokens,
  sh,
  tokenOf,
  useApiServer,
  useEngine,
  waitFor,
  type TestPrincipal,
} from './harness';

const PRINCIPALS: TestPrincipal[] = [
  { who: 'alice' },
  { who: 'bob' },
  { who: 'mallory' },
  { who: 'bot', servicePrincipal: 'etl-bot' },
];
const BOB = 'bob@example.com';
type Failure = { type?: string; message?: string };
const SECRET = 'bob-only-s3cr3t-0f-b0b';
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

describe('hostile users', () => {
  const engine = useEngine('hostile users');
  const api = useApiServer(engine, PRINCIPALS);
  const alice = api.as('alice');
  const mallory = api.as('mallory');

  const bob = api.as('bob');
  const bot = api.as('bot');
  const admin = api.as('admin');
  const denied = { status: 403, body: { error_code: 'PERMISSION_DENIED' } };
  const finished = (runId: number) => engine.client.waitForRun(runId, { timeoutMs: 60_000 });
  /** A task that prints bob's secret, raw and base64-encoded (Databricks redacts only the literal). */
  const LEAK = 'echo "raw={{secrets/bob-scope/pw}}"; printf %s "{{secrets/bob-scope/pw}}" | base64; echo done';
  const leak = (key: string) => sh(key, LEAK);
  /** The task (printing `id -u`) ran sandboxed under the uid of `who`, the run's sealed identity. */
  const expectSandboxedAs = async (runId: number, key: string, who: RunAsIdentity) => {
    const attempt = (await engine.client.getRunState(runId)).tasks[key]!.attempts.at(-1)!;
    expect(attempt.sandbox).toBe('namespaces');
    const uid = new TaskUids(engine.dataDir).uidOf(principalKey(who));
    expect(uid).not.toBe(process.getuid!());
    expect((await engine.client.getRunOutput(runId, key)).logs?.trim()).toBe(String(uid));
  };

  beforeAll(async () => {
    // bob owns the secret scope bob-scope; nobody else may read it.
    await bob('POST', '/api/2.0/secrets/scopes/create', { scope: 'bob-scope' });
    expect(await bob('POST', '/api/2.0/secrets/put', { scope: 'bob-scope', key: 'pw', string_value: SECRET })).toEqual({
      status: 200,
      body: {},
    });
  });

  describe('identity that cannot be borrowed', () => {
    it('alice naming bob IS_OWNER (so that the run would take his identity) is refused on runs/submit and jobs/create', async () => {
      const acl = [{ user_name: BOB, permission_level: 'IS_OWNER' }];
      const submitted = await alice('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'as bob',
        tasks: [leak('t')],
        access_control_list: acl,
      });
      expect(submitted).toMatchObject({
        status: 403,
        body: {
          error_code: 'PERMISSION_DENIED',
          message: `alice@example.com cannot make ${BOB} the owner: only workspace admins can give a job or run to another principal.`,
        },
      });
      expect(
        await alice('POST', '/api/2.1/jobs/create', { ...job('as bob', [leak('t')]), access_control_list: acl })
      ).toMatchObject(denied);
      // Nor by run_as.
      expect(
        await alice('POST', '/api/2.1/jobs/runs/submit', {
          run_name: 'as bob',
          tasks: [leak('t')],
          run_as: { user_name: BOB },
        })
      ).toMatchObject({
        status: 403,
        body: {
          message: `alice@example.com cannot set run_as to the user ${BOB}: non-admin users can only set it to themselves.`,
        },
      });
      // A run_as naming nobody is refused as such (issue 35).
      expect(
        await admin('POST', '/api/2.1/jobs/runs/submit', {
          run_name: 'x',
          tasks: [sh('t', 'true')],
          run_as: { user_name: 'nobody@example.com' },
        })
      ).toMatchObject({
        status: 400,
        body: { message: 'run_as.user_name: no user named "nobody@example.com" exists' },
      });
      // alice's own run acts as alice: bob's secret is refused to it, and never printed.
      const own = await alice('POST', '/api/2.1/jobs/runs/submit', { run_name: 'as alice', tasks: [leak('t')] });
      const run = await finished(own.body.run_id as number);
      expect(run.run_as_user_name).toBe('alice@example.com');
      expect((await engine.client.getRunOutput(run.run_id, 't')).error).toBe(
        'Secret reference {{secrets/bob-scope/pw}}: alice@example.com does not have READ permission on secret scope bob-scope.'
      );
    });

    it('bob’s own run reads his secret, and neither the value nor its base64 reaches the output', async () => {
      const own = await bob('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'bob reads',
        tasks: [leak('t'), sh('uid', 'id -u')],
      });
      const run = await finished(own.body.run_id as number);
      expect(run.state.result_state).toBe('SUCCESS');
      const output = await engine.client.getRunOutput(latestByKey(run).t!.run_id);
      const text = JSON.stringify(output);
      expect(text).toContain('raw=[REDACTED]');
      expect(text).toContain('done');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 16));
      // It ran in the task sandbox, as bob: the uid of the identity the API sealed (docs/security.md).
      await expectSandboxedAs(run.run_id, 'uid', { kind: 'user', name: BOB });
    });

    it('an owner cannot hand a job (and whose identity its runs use) to someone else; an admin can, and the runs keep their identity', async () => {
      const created = await bob('POST', '/api/2.1/jobs/create', job('bob’s job', [sh('t', 'true')]));
      const jobId = created.body.job_id as number;
      const toAlice = { access_control_list: [{ user_name: 'alice@example.com', permission_level: 'IS_OWNER' }] };
      expect(await bob('PATCH', `/api/2.0/permissions/jobs/${jobId}`, toAlice)).toMatchObject({
        status: 403,
        body: { message: `Only an admin can change the owner of job ${jobId}.` },
      });
      expect((await admin('PATCH', `/api/2.0/permissions/jobs/${jobId}`, toAlice)).status).toBe(200);
      const got = await alice('GET', `/api/2.1/jobs/get?job_id=${jobId}`);
      expect(got.body).toMatchObject({ creator_user_name: BOB, run_as_user_name: BOB });
    });

    it('mallory, with CAN_MANAGE on a job that runs as bob, cannot change what it runs; she may take it over openly', async () => {
      const created = await bob('POST', '/api/2.1/jobs/create', {
        ...job('bob’s nightly', [sh('t', 'echo nightly')]),
        access_control_list: [{ user_name: 'mallory@example.com', permission_level: 'CAN_MANAGE' }],
      });
      const jobId = created.body.job_id as number;
      const edited = await mallory('POST', '/api/2.1/jobs/update', {
        job_id: jobId,
        new_settings: { tasks: [leak('t')] },
      });
      expect(edited).toMatchObject({
        status: 403,
        body: {
          message: `mallory@example.com cannot change tasks of job ${jobId}, which runs as ${BOB}: only its run_as principal or an admin can; set run_as to yourself in the same request to take the job's runs over.`,
        },
      });
      expect(
        (await mallory('POST', '/api/2.1/jobs/reset', { job_id: jobId, new_settings: job('x', [leak('t')]) })).status
      ).toBe(403);
      // What does not change what runs is hers to change.
      expect(
        await mallory('POST', '/api/2.1/jobs/update', { job_id: jobId, new_settings: { name: 'renamed' } })
      ).toEqual({
        status: 200,
        body: {},
      });
      // Taking it over openly: the job then runs as mallory, who cannot read bob's secret.
      expect(
        await mallory('POST', '/api/2.1/jobs/update', {
          job_id: jobId,
          new_settings: { tasks: [leak('t')], run_as: { user_name: 'mallory@example.com' } },
        })
      ).toEqual({ status: 200, body: {} });
      const started = await mallory('POST', '/api/2.1/jobs/run-now', { job_id: jobId });
      const run = await finished(started.body.run_id as number);
      expect(run.run_as_user_name).toBe('mallory@example.com');
      expect((await engine.client.getRunOutput(run.run_id, 't')).error).toBe(
        'Secret reference {{secrets/bob-scope/pw}}: mallory@example.com does not have READ permission on secret scope bob-scope.'
      );
    });

    it('alice may make a job run as etl-bot once an admin grants her roles/servicePrincipal.user (the Python SDK’s account access-control proxy), and not once it is revoked', async () => {
      ensurePythonSdk();
      const { code, output } = await runCompatScript('python3', 'service_principal_roles_compat.py', {
        DJOBS_HOST: api.base,
        ADMIN_TOKEN: tokenOf('admin'),
        ALICE_TOKEN: tokenOf('alice'),
        BOB_TOKEN: tokenOf('bob'),
        PYTHONPATH: pythonSdkDir,
      });
      expect(output).toContain('OK');
      expect(code).toBe(0);
      // The run alice made while she held the role acted as etl-bot, under its uid.
      const run = await engine.client.getRun(Number(/JOB_RUN=(\d+)/.exec(output)![1]));
      expect(run.run_as_user_name).toBe('etl-bot');
      await expectSandboxedAs(run.run_id, 'uid', { kind: 'service_principal', name: 'etl-bot' });
      // examples/service-principal-roles does the same grant and revocation.
      const example = (...args: string[]) =>
        runProgram('python3', [path.join(EXAMPLES, 'service-principal-roles', 'service_principal_user.py'), ...args], {
          DATABRICKS_HOST: api.base,
          DATABRICKS_TOKEN: tokenOf('admin'),
          PYTHONPATH: pythonSdkDir,
        });
      const asBot = { ...job('as bot', [sh('t', 'true')]), run_as: { service_principal_name: 'etl-bot' } };
      const granted = await example('etl-bot', 'alice@example.com');
      expect(granted.output.trim()).toBe('roles/servicePrincipal.user users/alice@example.com');
      expect(await alice('POST', '/api/2.1/jobs/create', asBot)).toMatchObject({ status: 200 });
      const revoked = await example('etl-bot', 'alice@example.com', '--revoke');
      expect(revoked).toMatchObject({ code: 0, output: '' });
      expect(await alice('POST', '/api/2.1/jobs/create', asBot)).toMatchObject({
        status: 403,
        body: {
          message:
            'alice@example.com cannot set run_as to the service principal etl-bot: that needs the servicePrincipal/user role on it.',
        },
      });
    }, 300_000);

    it('a service principal sees the run it submitted', async () => {
      const submitted = await bot('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'bot run',
        tasks: [sh('t', 'id -u')],
      });
      const runId = submitted.body.run_id as number;
      await finished(runId);
      // Its task ran as the service principal's uid, not a user's of that name.
      await expectSandboxedAs(runId, 't', { kind: 'service_principal', name: 'etl-bot' });
      const got = await bot('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      expect(got).toMatchObject({
        status: 200,
        body: { run_id: runId, creator_user_name: 'etl-bot', run_as_user_name: 'etl-bot' },
      });
      const listed = await waitFor(async () => {
        const r = await bot('GET', '/api/2.1/jobs/runs/list?run_type=SUBMIT_RUN&limit=25');
        return (r.body.runs as { run_id: number }[] | undefined)?.some((x) => x.run_id === runId);
      }, 'the service principal’s run to be listed');
      expect(listed).toBe(true);
      expect(await mallory('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).toMatchObject(denied);
    });

    it('run_job_task of a job mallory may not run is refused at save, and at start once her grant is gone, naming nothing of that job', async () => {
      const secretJob = await bob('POST', '/api/2.1/jobs/create', job('bob’s payroll', [leak('t')]));
      const calledId = secretJob.body.job_id as number;
      const caller = (name: string): JobSettings =>
        job(name, [{ task_key: 'call', run_job_task: { job_id: calledId } }]);
      const refusedAtSave = await mallory('POST', '/api/2.1/jobs/create', caller('call bob'));
      expect(refusedAtSave).toMatchObject({
        status: 403,
        body: {
          message: `tasks call.run_job_task: mallory@example.com (the run's run_as) does not have CAN_MANAGE_RUN permission on job ${calledId}, or it does not exist: a run_job_task needs it to start that job.`,
        },
      });
      expect(
        await mallory('POST', '/api/2.1/jobs/runs/submit', { ...caller('call bob'), run_name: 'x' })
      ).toMatchObject(denied);
      // With a grant she saves the caller; the grant is then taken back before it runs.
      const grant = { access_control_list: [{ user_name: 'mallory@example.com', permission_level: 'CAN_MANAGE_RUN' }] };
      expect((await bob('PATCH', `/api/2.0/permissions/jobs/${calledId}`, grant)).status).toBe(200);
      const saved = await mallory('POST', '/api/2.1/jobs/create', caller('call bob later'));
      expect(saved.status).toBe(200);
      expect((await bob('PUT', `/api/2.0/permissions/jobs/${calledId}`, { access_control_list: [] })).status).toBe(200);
      const started = await mallory('POST', '/api/2.1/jobs/run-now', { job_id: saved.body.job_id });
      const run = await finished(started.body.run_id as number);
      const call = latestByKey(run).call!;
      expect(call.state.state_message).toBe(
        `mallory@example.com (the run's run_as) does not have CAN_MANAGE_RUN permission on job ${calledId}, or it does not exist: a run_job_task needs it to start that job.`
      );
      expect(JSON.stringify(run)).not.toContain('payroll');
      expect(JSON.stringify(run)).not.toContain('bob-scope');
    });
  });

  describe('the Temporal boundary', () => {
    /** A run as a raw Temporal client writes it: no API, no seal. */
    const forged = (marker: string): JobRunInput => ({
      runId: runIdFromString(`forged ${marker} ${Date.now()}`),
      runName: 'forged',
      settings: { name: 'forged', tasks: [sh('t', `touch ${marker}; ${LEAK}`)] },
      trigger: 'ONE_TIME',
      runType: 'SUBMIT_RUN',
    });

    it('a jobRun started with a plaintext payload and a memo claiming bob is refused by the worker: no task runs', async () => {
      const marker = path.join(engine.workDir, 'forged-plain');
      const raw = new Client({ connection: engine.temporal.connection });
      const input = forged(marker);
      const handle = await raw.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
        workflowId: runWorkflowId(input.runId!),
        taskQueue: engine.taskQueue,
        args: [input],
        memo: { run_as_user_name: BOB, djobs_run_as: { kind: 'user', name: BOB } },
      });
      // Read with the key ring: the worker's failure message is encrypted like everything it writes.
      const failure = await engine.temporal.workflow
        .getHandle(handle.workflowId)
        .result()
        .then(
          () => undefined,
          (err: Failure & { cause?: Failure }) => err.cause ?? err
        );
      expect(failure?.type).toBe('UnencryptedPayloadRefused');
      expect(failure?.message).toContain('that is not encrypted: this worker encrypts');
      expect(fs.existsSync(marker)).toBe(false);
    });

    /** Send a signal (`send`), then wait until the worker has handled it: a workflow task completed after it. */
    const signalHandled = async (handle: WorkflowHandle, send: () => Promise<void>) => {
      const signals = async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const last = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes);
        return {
          count: events.filter((e) => e.workflowExecutionSignaledEventAttributes).length,
          handled: events.slice(last).some((e) => e.workflowTaskCompletedEventAttributes),
        };
      };
      const before = (await signals()).count;
      await send();
      await waitFor(async () => {
        const now = await signals();
        return now.count > before && now.handled;
      }, 'a workflow task after the signal');
    };

    it('a plaintext or argument-less signal to a trigger is dropped: a raw client cannot pause or stop a file-arrival trigger; the client stops it', async () => {
      const landing = fs.mkdtempSync(path.join(engine.workDir, 'landing-'));
      const { job_id } = await engine.client.createJob(
        job('watched', [sh('t', 'true')], { trigger: { file_arrival: { url: landing } } })
      );
      const withKey = engine.temporal.workflow.getHandle(fileArrivalWorkflowId(job_id));
      type TriggerState = { config: { paused: boolean } };
      const before = await waitFor(
        () => withKey.query(getTriggerStateQuery).catch(() => undefined) as Promise<TriggerState | undefined>,
        'the trigger to answer its state query'
      );
      expect(before.config.paused).toBe(false);
      const raw = new Client({ connection: engine.temporal.connection }).workflow.getHandle(withKey.workflowId);
      await signalHandled(withKey, () => raw.signal(configureTriggerSignal, { ...before.config, paused: true }));
      expect(((await withKey.query(getTriggerStateQuery)) as TriggerState).config.paused).toBe(false);
      // stopTrigger has nothing to say, yet without its argument (or with a plaintext one, or one
      // meant for another workflow) it is not the client's: the trigger keeps watching.
      for (const send of [
        () => raw.signal('stopTrigger'),
        () => raw.signal('stopTrigger', controlSignalArg('stopTrigger', withKey.workflowId)),
        () => withKey.signal('stopTrigger', controlSignalArg('stopTrigger', fileArrivalWorkflowId(job_id + 1))),
      ])
        await signalHandled(withKey, send);
      expect((await withKey.describe()).status.name).toBe('RUNNING');
      // The job's deletion stops it through the client.
      await engine.client.deleteJob(job_id);
      await waitFor(async () => (await withKey.describe()).status.name === 'COMPLETED', 'the stopped trigger');
    });

    it('an argument-less signal to a run is dropped: a raw client can neither pause nor resume it; the API can', async () => {
      const gate = path.join(engine.workDir, 'pause-gate');
      const submitted = await alice('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'paused by whom',
        tasks: [
          sh('first', `while [ ! -f ${gate} ]; do sleep 0.1; done`),
          sh('second', 'true', { depends_on: [{ task_key: 'first' }] }),
        ],
      });
      const runId = submitted.body.run_id as number;
      const withKey = engine.temporal.workflow.getHandle(runWorkflowId(runId));
      const raw = new Client({ connection: engine.temporal.connection }).workflow.getHandle(withKey.workflowId);
      const paused = async () => (await engine.client.getRunState(runId)).paused;
      await waitFor(
        async () => (await engine.client.getRun(runId)).tasks[0]!.state.life_cycle_state === 'RUNNING',
        'the first task running'
      );
      for (const send of [
        () => raw.signal('pause'),
        () => raw.signal('pause', controlSignalArg('pause', withKey.workflowId)),
        // Encrypted, as if copied from another run's history: bound to that run, it does nothing here.
        () => withKey.signal('pause', controlSignalArg('pause', runWorkflowId(runId + 1))),
      ])
        await signalHandled(withKey, send);
      expect(await paused()).toBe(false);
      await signalHandled(withKey, () =>
        alice('POST', '/api/2.1/jobs/runs/pause', { run_id: runId }).then(() => undefined)
      );
      expect(await paused()).toBe(true);
      for (const send of [
        () => raw.signal('resume'),
        // A pause's argument sent as resume: bound to its signal, it resumes nothing.
        () => withKey.signal('resume', controlSignalArg('pause', withKey.workflowId)),
      ])
        await signalHandled(withKey, send);
      expect(await paused()).toBe(true);
      fs.writeFileSync(gate, '');
      await waitFor(
        async () => (await engine.client.getRun(runId)).tasks[0]!.state.result_state === 'SUCCESS',
        'the first task done'
      );
      // Paused: the second task has not started.
      expect(latestByKey(await engine.client.getRun(runId)).second!.state.life_cycle_state).toBe('PENDING');
      await signalHandled(withKey, () =>
        alice('POST', '/api/2.1/jobs/runs/resume', { run_id: runId }).then(() => undefined)
      );
      const run = await finished(runId);
      expect(run.state.result_state).toBe('SUCCESS');
      expect(run.tasks.map((t) => t.task_key).sort()).toEqual(['first', 'second']);
    });

    it('an encrypted jobRun without a sealed identity, or with bob’s seal moved onto other settings, runs no task', async () => {
      // As if the attacker could encrypt (or copy encrypted payloads): the seal still holds.
      const withKey = engine.temporal;
      const bobsRun = await bob('POST', '/api/2.1/jobs/runs/submit', { run_name: 'bob’s', tasks: [sh('t', 'true')] });
      const bobs = await withKey.workflow.getHandle(runWorkflowId(bobsRun.body.run_id as number)).describe();
      await finished(bobsRun.body.run_id as number);
      const bobsInput = (await withKey.workflow.getHandle(runWorkflowId(bobsRun.body.run_id as number)).fetchHistory())
        .events![0]!.workflowExecutionStartedEventAttributes!.input!;
      const decoded = withKey.options.loadedDataConverter.payloadConverter.fromPayload<JobRunInput>(
        (await withKey.options.loadedDataConverter.payloadCodecs[0]!.decode(bobsInput.payloads!))[0]!
      );
      for (const [what, identity] of [
        ['no identity', undefined],
        ['bob’s seal', decoded.identity],
      ] as const) {
        const marker = path.join(engine.workDir, `forged-${what.replace(/\W/g, '')}`);
        const input = { ...forged(marker), ...(identity ? { identity } : {}) };
        const handle = await withKey.workflow.start(JOB_RUN_WORKFLOW_TYPE, {
          workflowId: runWorkflowId(input.runId!),
          taskQueue: engine.taskQueue,
          args: [input],
          memo: bobs.memo ?? {},
        });
        await handle.result().catch(() => undefined);
        const run = await engine.client.getRun(input.runId!);
        const t = latestByKey(run).t!;
        expect(t.state.result_state, what).toBe('FAILED');
        expect(t.state.state_message, what).toContain('does not say, in a form the API seals, who it acts as');
        expect(t.state.state_message, what).toContain(
          identity ? 'sealed for other settings' : 'it carries no identity'
        );
        expect(fs.existsSync(marker), what).toBe(false);
      }
    });
  });

  describe('SQL warehouses', () => {
    const sql = (key: string, warehouse?: string) => ({
      task_key: key,
      sql_task: { ...(warehouse ? { warehouse_id: warehouse } : {}), query: { query_text: 'SELECT 42 AS answer' } },
    });
    const sqlRun = (who: typeof alice, warehouse?: string) =>
      who('POST', '/api/2.1/jobs/runs/submit', { run_name: 'sql', tasks: [sql('q', warehouse)] });

    it('a warehouse_id is an identifier, refused with its JSON path when it is a path', async () => {
      expect(await sqlRun(mallory, '../../../tmp/escape')).toMatchObject({
        status: 400,
        body: {
          message:
            'tasks[0].sql_task.warehouse_id: expected a warehouse id of 1 to 64 letters, digits, "_" and "-", found "../../../tmp/escape"',
        },
      });
    });

    it('a warehouse is used only by identities its owner grants CAN_USE, at save and when the task runs', async () => {
      const created = await bob('POST', '/api/2.0/sql/warehouses', { name: 'bob’s warehouse', cluster_size: 'Small' });
      expect(created.status).toBe(200);
      const id = created.body.id as string;
      expect(await bob('GET', `/api/2.0/sql/warehouses/${id}`)).toMatchObject({
        status: 200,
        body: { id, name: 'bob’s warehouse', cluster_size: 'Small', state: 'RUNNING', creator_name: BOB },
      });
      // mallory can neither see it nor run SQL on it.
      expect(await mallory('GET', `/api/2.0/sql/warehouses/${id}`)).toMatchObject(denied);
      expect(await sqlRun(mallory, id)).toMatchObject({
        status: 403,
        body: {
          message: `tasks q: mallory@example.com does not have CAN_USE permission on SQL warehouse ${id}, or it does not exist.`,
        },
      });
      // bob grants alice CAN_USE (either permissions path Databricks serves).
      const grant = { access_control_list: [{ user_name: 'alice@example.com', permission_level: 'CAN_USE' }] };
      const granted = await bob('PATCH', `/api/2.0/permissions/sql/warehouses/${id}`, grant);
      expect(granted).toMatchObject({
        status: 200,
        body: { object_id: `/sql/warehouses/${id}`, object_type: 'warehouses' },
      });
      expect((await alice('GET', '/api/2.0/sql/warehouses')).body.warehouses).toEqual(
        expect.arrayContaining([expect.objectContaining({ id })])
      );
      const saved = await alice('POST', '/api/2.1/jobs/create', job('alice sql', [sql('q', id)]));
      expect(saved.status).toBe(200);
      const ok = await finished(
        (await alice('POST', '/api/2.1/jobs/run-now', { job_id: saved.body.job_id })).body.run_id as number
      );
      expect(ok.state.result_state).toBe('SUCCESS');
      // Revoked: the next run's task is refused by the worker, nothing runs on the warehouse.
      expect((await bob('PUT', `/api/2.0/permissions/warehouses/${id}`, { access_control_list: [] })).status).toBe(200);
      const refused = await finished(
        (await alice('POST', '/api/2.1/jobs/run-now', { job_id: saved.body.job_id })).body.run_id as number
      );
      expect(refused.state.result_state).toBe('FAILED');
      expect((await engine.client.getRunOutput(refused.run_id, 'q')).error).toBe(
        `alice@example.com does not have CAN_USE permission on SQL warehouse ${id}, or it does not exist.`
      );
      // Its owner is moved by admins only.
      expect(
        await bob('PATCH', `/api/2.0/permissions/warehouses/${id}`, {
          access_control_list: [{ user_name: 'alice@example.com', permission_level: 'IS_OWNER' }],
        })
      ).toMatchObject({ status: 403, body: { message: `Only an admin can change the owner of SQL warehouse ${id}.` } });
    });

    it('the default warehouse is everyone’s until an admin restricts it', async () => {
      expect((await finished((await sqlRun(mallory)).body.run_id as number)).state.result_state).toBe('SUCCESS');
      const restricted = { access_control_list: [{ user_name: 'alice@example.com', permission_level: 'CAN_USE' }] };
      expect(await mallory('PUT', '/api/2.0/permissions/warehouses/default', restricted)).toMatchObject(denied);
      expect((await admin('PUT', '/api/2.0/permissions/warehouses/default', restricted)).status).toBe(200);
      try {
        expect(await sqlRun(mallory)).toMatchObject({
          status: 403,
          body: {
            message:
              'tasks q: mallory@example.com does not have CAN_USE permission on SQL warehouse default, or it does not exist.',
          },
        });
        expect((await finished((await sqlRun(alice)).body.run_id as number)).state.result_state).toBe('SUCCESS');
      } finally {
        const open = { access_control_list: [{ group_name: 'users', permission_level: 'CAN_USE' }] };
        expect((await admin('PUT', '/api/2.0/permissions/warehouses/default', open)).status).toBe(200);
      }
    });
  });

  describe('limits and hygiene', () => {
    it('for_each inputs past Databricks’ 10,000 characters are refused at submit with a 400 naming the limit', async () => {
      const inputs = JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i));
      const res = await mallory('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'huge',
        tasks: [{ task_key: 'each', for_each_task: { inputs, task: sh('item', 'true') } }],
      });
      expect(res).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
      expect(res.body.message).toContain(
        "tasks[0].for_each_task.inputs: expected at most 10,000 characters (Databricks' limit on a for_each task's inputs array"
      );
    });

    it('for_each inputs a reference fills past 48 KiB fail the task at run time, naming the limit', async () => {
      const items = JSON.stringify(Array.from({ length: 12_000 }, (_, i) => i));
      const res = await alice('POST', '/api/2.1/jobs/runs/submit', {
        run_name: 'huge by reference',
        tasks: [
          sh('list', `python3 -c "print(1)"`),
          {
            task_key: 'each',
            depends_on: [{ task_key: 'list' }],
            for_each_task: { inputs: '{{job.parameters.items}}', task: sh('item', 'true') },
          },
        ],
        parameters: [{ name: 'items', default: items }],
      });
      expect(res.status).toBe(200);
      const run = await engine.client.waitForRun(res.body.run_id as number, { timeoutMs: 60_000 });
      const each = run.tasks.find((t) => t.task_key === 'each')!;
      expect(each.state.state_message).toBe(
        `for_each_task.inputs: the inputs resolved to ${Buffer.byteLength(items).toLocaleString('en-US')} bytes; Databricks' limit on a for_each task's inputs passed through a reference is 48 KiB (49,152 bytes)`
      );
    });

    it('runs/list refuses an offset past 1000 and times no date holds (they answered 500)', async () => {
      for (const q of ['offset=1001', 'start_time_from=8640000000000001', 'start_time_to=8640000000000001'])
        expect(await mallory('GET', `/api/2.1/jobs/runs/list?${q}`)).toMatchObject({
          status: 400,
          body: { error_code: 'INVALID_PARAMETER_VALUE' },
        });
    });

    it('a name filter with a backslash finds its job', async () => {
      const name = `back\\slash it's ${Date.now()}`;
      const created = await alice('POST', '/api/2.1/jobs/create', job(name, [sh('a', 'true')]));
      expect(created.status).toBe(200);
      const found = await waitFor(async () => {
        const r = await alice('GET', `/api/2.1/jobs/list?name=${encodeURIComponent(name)}`);
        return (r.body.jobs as { job_id: number }[] | undefined)?.length ? r.body.jobs : undefined;
      }, 'the job to be listed by its name');
      expect(found).toEqual([expect.objectContaining({ job_id: created.body.job_id })]);
    });

    it('failed authentications past the limit are answered 429 with Retry-After and logged; a valid token still passes', async () => {
      const log = new PassThrough();
      let logText = '';
      log.on('data', (d: Buffer) => (logText += d.toString()));
      const app: FastifyInstance = await createApiServer({
        client: engine.client,
        tokens: principalTokens(api.principalsFile),
        workspaceDir: engine.workDir,
        failedAuthLimit: { max: 20, windowMs: 60_000 },
        log: { level: 'info', stream: log },
      });
      try {
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const guess = (i: number) =>
          fetch(`${base}/api/2.1/jobs/list`, { headers: { authorization: `Bearer guess-${i}-0123456789abcdef` } });
        // 50 at once, then 50 more: 20 are answered 401, every one after them 429.
        const answers = [
          ...(await Promise.all(Array.from({ length: 50 }, (_, i) => guess(i)))),
          ...(await Promise.all(Array.from({ length: 50 }, (_, i) => guess(50 + i)))),
        ];
        const statuses = answers.map((r) => r.status);
        expect(statuses.filter((s) => s === 401)).toHaveLength(20);
        expect(statuses.filter((s) => s === 429)).toHaveLength(80);
        const limited = answers.find((r) => r.status === 429)!;
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await limited.json()).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
        const ok = await fetch(`${base}/api/2.1/jobs/list`, {
          headers: { authorization: `Bearer ${tokenOf('alice')}` },
        });
        expect(ok.status).toBe(200);
        expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
        expect(logText).toContain('too many failed authentications');
      } finally {
        await app.close();
      }
    });

    it('the codec server answers CORS without a credentials flag', async () => {
      const app = await createApiServer({
        client: engine.client,
        tokens: principalTokens(api.principalsFile),
        workspaceDir: engine.workDir,
        codec: { corsOrigins: ['http://localhost:8233'] },
        log: { level: 'silent' },
      });
      try {
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const res = await fetch(`${base}/codec/decode`, {
          method: 'OPTIONS',
          headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
        });
        expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      } finally {
        await app.close();
      }
    });
  });
});
