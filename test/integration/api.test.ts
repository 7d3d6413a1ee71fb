// The Databricks Jobs REST API over real HTTP: create, get, list with pagination, run-now and
// wait through runs/get, get-output, submit, cancel, repair, and the error bodies.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server';
import { adminTokens, job, sh, useEngine, waitFor } from './harness';

const TOKEN = 'test-token';

describe('REST API', () => {
  const engine = useEngine('rest api');
  let app: FastifyInstance;
  let base: string;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Poll runs/get until the run is terminal; its last body. */
  const finished = (runId: number, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const r = await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
        return (r.body.status as { state: string }).state === 'TERMINATED' ? r.body : undefined;
      },
      `run ${runId} to finish`,
      timeoutMs
    );
  beforeAll(async () => {
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens(TOKEN),
      workspaceDir: engine.workDir,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('create, get, run-now, poll runs/get to the end, get-output, delete — on 2.0, 2.1 and 2.2 paths', async () => {
    const created = await call(
      'POST',
      '/api/2.1/jobs/create',
      job('api job', [sh('hello', 'echo hello {{job.parameters.who}}')], {
        parameters: [{ name: 'who', default: 'world' }],
      })
    );
    expect(created.status).toBe(200);
    const jobId = created.body.job_id as number;
    const got = await call('GET', `/api/2.2/jobs/get?job_id=${jobId}`);
    expect(got.body).toMatchObject({ job_id: jobId, settings: { name: 'api job' } });
    expect(got.body.settings).not.toHaveProperty('queue'); // created through 2.1
    const started = await call('POST', '/api/2.0/jobs/run-now', {
      job_id: jobId,
      job_parameters: { who: 'api' },
      idempotency_token: 'once',
    });
    const again = await call('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      job_parameters: { who: 'api' },
      idempotency_token: 'once',
    });
    expect(again.body.run_id).toBe(started.body.run_id);
    const runId = started.body.run_id as number;
    const run = await waitFor(async () => {
      const r = await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      const state = r.body.state as { life_cycle_state: string; result_state?: string };
      expect(r.body.status).toBeDefined();
      return state.life_cycle_state === 'TERMINATED' ? r.body : undefined;
    }, 'the run to finish');
    expect((run.state as { result_state: string }).result_state).toBe('SUCCESS');
    const taskRunId = (run.tasks as { run_id: number }[])[0]!.run_id;
    const out = await call('GET', `/api/2.1/jobs/runs/get-output?run_id=${taskRunId}`);
    expect(out.body.logs).toBe('hello api\n');
    expect(await call('POST', '/api/2.1/jobs/delete', { job_id: jobId })).toEqual({ status: 200, body: {} });
    expect((await call('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).status).toBe(404);
  });

  it('reads GET parameters from a JSON body (the Airflow async hook sends runs/get so), and include_history gives ORIGINAL', async () => {
    /** A GET with a JSON body and no query string (fetch cannot send one). */
    const getWithBody = (path: string, body: unknown) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const text = JSON.stringify(body);
        const req = http.request(
          `${base}${path}`,
          {
            method: 'GET',
            headers: {
              authorization: `Bearer ${TOKEN}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(text),
            },
          },
          (res) => {
            let data = '';
            res.on('data', (d: Buffer) => (data += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, body: JSON.parse(data) as Record<string, unknown> })
            );
          }
        );
        req.on('error', reject);
        req.end(text);
      });
    const name = `body params ${Date.now()}`;
    const jobId = (await call('POST', '/api/2.1/jobs/create', job(name, [sh('hi', 'echo hi')]))).body.job_id as number;
    expect((await getWithBody('/api/2.2/jobs/get', { job_id: jobId })).body).toMatchObject({ job_id: jobId });
    const listed = await waitFor(async () => {
      const r = await getWithBody('/api/2.2/jobs/list', { name });
      return (r.body.jobs as { job_id: number }[] | undefined)?.length === 1 ? r.body : undefined;
    }, 'the job to be listed by its name');
    expect((listed.jobs as { job_id: number }[]).map((j) => j.job_id)).toEqual([jobId]);
    const runId = (await call('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).body.run_id as number;
    await finished(runId);
    const run = await getWithBody('/api/2.2/jobs/runs/get', { run_id: runId, include_history: true });
    expect(run.status).toBe(200);
    const tasks = run.body.tasks as { run_id: number }[];
    expect(run.body.repair_history).toEqual([
      {
        type: 'ORIGINAL',
        start_time: run.body.start_time,
        end_time: run.body.end_time,
        state: run.body.state,
        status: run.body.status,
        task_run_ids: tasks.map((t) => t.run_id),
      },
    ]);
    expect((await getWithBody('/api/2.2/jobs/runs/get', {})).body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Missing required field: run_id',
    });
    expect((await getWithBody('/api/2.2/jobs/runs/get', [1])).body).toEqual({
      error_code: 'MALFORMED_REQUEST',
      message: 'The request body must be a JSON object.',
    });
    // Legacy per-task parameters: what cannot apply is refused, every problem at once.
    expect(
      await call('POST', '/api/2.1/jobs/run-now', { job_id: jobId, python_params: ['a'], notebook_params: { x: 1 } })
    ).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `notebook_params: job ${jobId} has no notebook_task to apply them to. python_params: job ${jobId} has no spark_python_task or python_wheel_task to apply them to.`,
      },
    });
    // Fields durable-jobs does not act on are refused by name and path, every one at once.
    const refusal = await call('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      jar_params: ['a'],
      pipeline_params: { full_refresh: true },
      performance_target: 'STANDARD',
    });
    const refused = {
      jar_params: 'not supported: durable-jobs has no spark_jar_task to apply them to',
      pipeline_params: 'not supported: durable-jobs has no pipeline_task to apply them to',
    };
    expect(refusal).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: Object.entries(refused)
          .map(([f, m]) => `${f}: ${m}`)
          .join('; '),
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            field_violations: Object.entries(refused).map(([field, description]) => ({ field, description })),
          },
        ],
      },
    });
    // include_resolved_values acts (test/compat/run_views_compat.py reads the values through the SDK).
    expect(
      (await getWithBody('/api/2.2/jobs/runs/get', { run_id: runId, include_resolved_values: true })).body.run_id
    ).toBe(runId);
    expect((await call('GET', `/api/2.2/jobs/get?job_id=${jobId}&include_trigger_state=false`)).status).toBe(200);
    // A job without a file-arrival trigger has no trigger_state (run_views_compat.py reads one through the SDK).
    const withState = await call('GET', `/api/2.2/jobs/get?job_id=${jobId}&include_trigger_state=true`);
    expect([withState.status, 'trigger_state' in (withState.body as object)]).toEqual([200, false]);
    expect(await call('POST', '/api/2.1/jobs/run-now', { job_id: jobId, python_params: 'a' })).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'python_params: expected an array of strings, found "a"',
      },
    });
  });

  it('lists jobs with pagination and no empty next_page_token', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await call('POST', '/api/2.1/jobs/create', job(`page-${i}`, [sh('t', 'true')]))).body.job_id as number);
    await waitFor(
      async () =>
        (((await call('GET', '/api/2.1/jobs/list?limit=100')).body.jobs as unknown[] | undefined)?.length ?? 0) >= 3,
      'jobs to be listed'
    );
    const first = await call('GET', '/api/2.1/jobs/list?limit=2');
    expect((first.body.jobs as unknown[]).length).toBe(2);
    expect(first.body.has_more).toBe(true);
    const token = first.body.next_page_token as string;
    expect(token).toBeTruthy();
    const rest = await call('GET', `/api/2.1/jobs/list?limit=100&page_token=${token}`);
    expect(rest.body.has_more).toBe(false);
    expect('next_page_token' in rest.body).toBe(false);
    for (const id of ids) await call('POST', '/api/2.1/jobs/delete', { job_id: id });
  });

  it('submit, cancel and repair', async () => {
    const submitted = await call('POST', '/api/2.1/jobs/runs/submit', {
      run_name: 'one-off',
      tasks: [sh('slow', 'sleep 60')],
    });
    const runId = submitted.body.run_id as number;
    await waitFor(
      async () =>
        (
          (await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body.tasks as {
            state: { life_cycle_state: string };
          }[]
        )[0]!.state.life_cycle_state === 'RUNNING',
      'the task to run'
    );
    expect(
      (await call('POST', '/api/2.1/jobs/runs/repair', { run_id: runId, rerun_all_failed_tasks: true })).body.error_code
    ).toBe('INVALID_STATE');
    await call('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    const canceled = await waitFor(async () => {
      const r = await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`);
      return (r.body.state as { result_state?: string }).result_state === 'CANCELED' ? r.body : undefined;
    }, 'the run to be canceled');
    expect(canceled.run_name).toBe('one-off');
  });

  it('update merges tasks by task_key, fields_to_remove drops one task, and 2.2 pages 100 tasks at a time', async () => {
    const many = Array.from({ length: 120 }, (_, i) => sh(`t${String(i).padStart(3, '0')}`, 'true'));
    const created = await call('POST', '/api/2.2/jobs/create', job('wide', many, { max_concurrent_runs: 1 }));
    const jobId = created.body.job_id as number;
    expect(
      await call('POST', '/api/2.2/jobs/update', {
        job_id: jobId,
        new_settings: { tasks: [sh('t000', 'echo changed'), sh('extra', 'true')], max_concurrent_runs: 2 },
        fields_to_remove: ['tasks/t001'],
      })
    ).toEqual({ status: 200, body: {} });
    const full = await call('GET', `/api/2.1/jobs/get?job_id=${jobId}`);
    const settings = full.body.settings as {
      tasks: { task_key: string; shell_command_task: { command: string } }[];
      max_concurrent_runs: number;
    };
    expect(settings.max_concurrent_runs).toBe(2);
    // Created through 2.2: queueing on by default, as on Databricks.
    expect((full.body.settings as { queue?: unknown }).queue).toEqual({ enabled: true });
    expect(settings.tasks).toHaveLength(120);
    expect(settings.tasks[0]).toMatchObject({ task_key: 't000', shell_command_task: { command: 'echo changed' } });
    expect(settings.tasks.some((t) => t.task_key === 't001')).toBe(false);
    expect(settings.tasks.at(-1)!.task_key).toBe('extra');
    expect(full.body.has_more).toBeUndefined();

    const first = await call('GET', `/api/2.2/jobs/get?job_id=${jobId}`);
    expect((first.body.settings as { tasks: unknown[] }).tasks).toHaveLength(100);
    expect(first.body.has_more).toBe(true);
    const second = await call(
      'GET',
      `/api/2.2/jobs/get?job_id=${jobId}&page_token=${first.body.next_page_token as string}`
    );
    expect((second.body.settings as { tasks: { task_key: string }[] }).tasks.map((t) => t.task_key).at(-1)).toBe(
      'extra'
    );
    expect(second.body).not.toHaveProperty('next_page_token');

    const { body } = await call('POST', '/api/2.2/jobs/run-now', { job_id: jobId });
    const runId = body.run_id as number;
    await finished(runId, 120_000);
    const tasks: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await call('GET', `/api/2.2/jobs/runs/get?run_id=${runId}${token ? `&page_token=${token}` : ''}`);
      expect(page.body.state).toMatchObject({ result_state: 'SUCCESS' });
      tasks.push(...(page.body.tasks as unknown[]));
      token = page.body.next_page_token as string | undefined;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(tasks).toHaveLength(120);
    expect(((await call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body.tasks as unknown[]).length).toBe(120);
  });

  it('runs/export gives a task HTML view; runs/list filters by run_type and start time; runs/delete refuses an active run', async () => {
    const started = Date.now();
    const submitted = await call('POST', '/api/2.1/jobs/runs/submit', {
      run_name: 'export me',
      tasks: [sh('say', 'echo "<b>bold</b> & done"')],
    });
    const runId = submitted.body.run_id as number;
    await finished(runId);
    const exported = await call('GET', `/api/2.0/jobs/runs/export?run_id=${runId}&views_to_export=CODE`);
    const views = exported.body.views as { name: string; type: string; content: string }[];
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ name: 'say', type: 'NOTEBOOK' });
    expect(views[0]!.content).toContain('<pre>&lt;b&gt;bold&lt;/b&gt; &amp; done\n</pre>');
    expect((await call('GET', `/api/2.0/jobs/runs/export?run_id=${runId}&views_to_export=DASHBOARDS`)).body).toEqual({
      views: [],
    });
    expect((await call('GET', `/api/2.0/jobs/runs/export?run_id=${runId}&views_to_export=PDF`)).status).toBe(400);

    // Other tests run at the same time: follow the pages.
    const listAll = async (query: string) => {
      const all: { run_id: number; run_type: string; start_time: number }[] = [];
      let token: string | undefined;
      do {
        const r = await call('GET', `/api/2.1/jobs/runs/list?${query}${token ? `&page_token=${token}` : ''}`);
        all.push(...((r.body.runs as typeof all | undefined) ?? []));
        token = r.body.next_page_token as string | undefined;
      } while (token);
      return all;
    };
    const listed = await waitFor(async () => {
      const runs = await listAll(`run_type=SUBMIT_RUN&start_time_from=${started}`);
      return runs.some((x) => x.run_id === runId) ? runs : undefined;
    }, 'the run to be listed');
    expect(listed.every((r) => r.run_type === 'SUBMIT_RUN' && r.start_time >= started)).toBe(true);
    const before = await call('GET', `/api/2.1/jobs/runs/list?run_type=SUBMIT_RUN&start_time_to=${started - 1}`);
    expect((before.body.runs as { run_id: number }[] | undefined)?.some((x) => x.run_id === runId) ?? false).toBe(
      false
    );
    const { job_id } = await engine.client.createJob(job('expand me', [sh('t', 'true')]));
    await finished((await engine.client.runNow(job_id)).run_id);
    const jobRuns = await waitFor(async () => {
      const r = await call('GET', `/api/2.1/jobs/runs/list?job_id=${job_id}&run_type=JOB_RUN&expand_tasks=true`);
      return (r.body.runs as { run_type: string; tasks: { task_key: string }[] }[] | undefined)?.[0]?.tasks.length
        ? (r.body.runs as { run_type: string; tasks: { task_key: string }[] }[])
        : undefined;
    }, 'the job run to be listed with its tasks');
    expect(jobRuns.map((r) => [r.run_type, r.tasks.map((t) => t.task_key)])).toEqual([['JOB_RUN', ['t']]]);
    expect((await call('GET', `/api/2.1/jobs/runs/list?job_id=${job_id}&run_type=SUBMIT_RUN`)).body).toEqual({
      has_more: false,
    });
    const slow = await call('POST', '/api/2.1/jobs/runs/submit', { tasks: [sh('slow', 'sleep 60')] });
    const slowId = slow.body.run_id as number;
    expect(await call('POST', '/api/2.1/jobs/runs/delete', { run_id: slowId })).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_STATE' },
    });
    await call('POST', '/api/2.1/jobs/runs/cancel', { run_id: slowId });
  });

  it('QUEUED runs are listed as such, and cancel-all with all_queued_runs cancels only them', async () => {
    const { job_id } = await engine.client.createJob(
      job('queued via api', [sh('t', 'sleep 60')], { queue: { enabled: true } })
    );
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await call('POST', '/api/2.1/jobs/run-now', { job_id })).body.run_id as number);
    const queued = await waitFor(async () => {
      const r = await call('GET', `/api/2.1/jobs/runs/list?job_id=${job_id}&active_only=true`);
      const runs = (r.body.runs as { run_id: number; state: { life_cycle_state: string } }[] | undefined) ?? [];
      return runs.filter((x) => x.state.life_cycle_state === 'QUEUED').length === 2 ? runs : undefined;
    }, 'two queued runs');
    const running = queued.find((x) => x.state.life_cycle_state !== 'QUEUED')!.run_id;
    // (Without job_id this would cancel every queued run in the namespace, other tests' too.)
    expect(await call('POST', '/api/2.1/jobs/runs/cancel-all', { job_id, all_queued_runs: true })).toEqual({
      status: 200,
      body: {},
    });
    for (const id of ids.filter((x) => x !== running)) {
      const r = await finished(id);
      expect(r.state).toMatchObject({ result_state: 'CANCELED' });
    }
    expect(
      ((await call('GET', `/api/2.1/jobs/runs/get?run_id=${running}`)).body.status as { state: string }).state
    ).toBe('RUNNING');
    await call('POST', '/api/2.1/jobs/runs/cancel-all', { job_id });
    await finished(running);
    await engine.client.deleteJob(job_id);
  });

  it('answers /.well-known/databricks-config without a token', async () => {
    const res = await fetch(`${base}/.well-known/databricks-config`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ host: base, workspace_id: '0', cloud: 'durable-jobs' });
  });

  it('errors use the Databricks body and status', async () => {
    expect(await call('GET', '/api/2.1/jobs/get?job_id=1', undefined, null)).toMatchObject({
      status: 401,
      body: { error_code: 'UNAUTHENTICATED' },
    });
    expect(await call('GET', '/api/2.1/jobs/get?job_id=1', undefined, 'wrong')).toMatchObject({
      status: 401,
      body: { error_code: 'UNAUTHENTICATED' },
    });
    expect(await call('GET', '/api/2.1/jobs/get?job_id=987654321')).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Job 987654321 does not exist.' },
    });
    expect(await call('GET', '/api/2.1/jobs/get')).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Missing required field: job_id' },
    });
    const invalid = await call('POST', '/api/2.1/jobs/create', {
      tasks: [{ task_key: 'a', run_if: 'NEVER', shell_command_task: { command: 'true' } }],
    });
    expect(invalid).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(invalid.body.message).toContain('tasks[0].run_if: expected one of ALL_SUCCESS');
    expect(await call('POST', '/api/2.1/jobs/create', '{"tasks": [')).toMatchObject({
      status: 400,
      body: { error_code: 'MALFORMED_REQUEST' },
    });
    // Bodies are JSON whatever the Content-Type says, as on Databricks (the legacy databricks-cli
    // sends text/json; scripts often send none).
    // The body names a job that does not exist: a 404 proves it was read (ignored, it would be a
    // 400 for the missing job_id).
    for (const type of ['text/json', 'text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await fetch(`${base}/api/2.1/jobs/get`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, ...(type ? { 'content-type': type } : {}) },
        body: JSON.stringify({ job_id: 987654321 }),
      });
      expect({ type, status: res.status, body: await res.json() }).toEqual({
        type,
        status: 404,
        body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Job 987654321 does not exist.' },
      });
    }
    const notJson = await fetch(`${base}/api/2.1/jobs/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/json' },
      body: 'name=x',
    });
    expect({ status: notJson.status, body: await notJson.json() }).toMatchObject({
      status: 400,
      body: { error_code: 'MALFORMED_REQUEST' },
    });
    expect(await call('GET', '/api/2.1/jobs/nope')).toMatchObject({
      status: 404,
      body: { error_code: 'ENDPOINT_NOT_FOUND' },
    });
    expect(
      await call('POST', '/api/2.1/jobs/create', JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024) }))
    ).toMatchObject({ status: 413, body: { error_code: 'REQUEST_LIMIT_EXCEEDED' } });
  });
});
