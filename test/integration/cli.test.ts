// The djobs CLI as users run it: real processes, real exit codes, JSON output.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job, Run } from '../../client';
import { freePort } from '../../config/dev-server';
import { startDjobsDev, useEngine, waitFor } from './harness';
import { run, type Result } from './processes';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');

function djobs(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Result> {
  return run(process.execPath, [cli, ...args], { ...process.env, ...env }, timeoutMs);
}

describe('djobs CLI', () => {
  const engine = useEngine('cli');
  let env: Record<string, string>;
  let okJob: string;
  let badJob: string;
  beforeAll(async () => {
    env = { TEMPORAL_ADDRESS: engine.address, DJOBS_TASK_QUEUE: engine.taskQueue, DJOBS_HOME: engine.dataDir };
    okJob = path.join(engine.workDir, 'ok.yaml');
    fs.writeFileSync(
      okJob,
      [
        'name: cli job',
        'parameters:',
        '  - name: who',
        '    default: world',
        'tasks:',
        '  - task_key: hello',
        '    shell_command_task:',
        '      command: echo "hello $(echo $DJOBS_PARAMS)"',
        '  - task_key: after',
        '    depends_on: [{ task_key: hello }]',
        '    shell_command_task: { command: "true" }',
      ].join('\n')
    );
    badJob = path.join(engine.workDir, 'bad.json');
    fs.writeFileSync(badJob, JSON.stringify({ tasks: [{ task_key: 'x', shell_command_task: { command: 'exit 4' } }] }));
  });

  it('validate: prints every problem with its path and exits 2', async () => {
    const file = path.join(engine.workDir, 'invalid.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        tasks: [
          { task_key: 'a', run_if: 'X', shell_command_task: { command: 'true' } },
          { task_key: 'b', depends_on: [{ task_key: 'zz' }] },
        ],
      })
    );
    const r = await djobs(['validate', file], {});
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      'error: tasks[0].run_if: expected one of ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, AT_LEAST_ONE_FAILED, ALL_FAILED, found "X"',
      'error: tasks[1]: expected exactly one task type (notebook_task, spark_python_task, python_wheel_task, dbt_task, sql_task, shell_command_task, condition_task, run_job_task, for_each_task), found none',
      'error: tasks[1].depends_on[0].task_key: expected the task_key of another task in this job, found "zz"',
    ]);
    const ok = await djobs(['validate', path.join(root, 'examples', 'etl', 'job.json')], {});
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('valid');
  });

  it('validate: pass-through values nested 2,000 levels deep are refused with their path (exit 2, no stack trace)', async () => {
    let deep: unknown = {};
    for (let i = 0; i < 2000; i++) deep = { a: deep };
    const file = path.join(engine.workDir, 'deep.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        name: 'deep',
        tasks: [{ task_key: 't', shell_command_task: { command: 'true' }, compute: deep }],
        deployment: deep,
        job_clusters: [{ job_cluster_key: 'c', new_cluster: deep }],
      })
    );
    const r = await djobs(['validate', file], {});
    expect(r.code).toBe(2);
    const at = (where: string) =>
      `error: ${where}${'.a'.repeat(32)}: expected at most 32 levels of nesting, found deeper`;
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [at('deployment'), at('tasks[0].compute'), at('job_clusters[0].new_cluster')].sort()
    );
    expect(r.stderr).not.toContain('    at ');
  });

  it('run: exit 0 on SUCCESS with the final Run as JSON; parameters reach the task', async () => {
    const r = await djobs(['run', okJob, '--param', 'who=cli', '-o', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as Run;
    expect(run.state.result_state).toBe('SUCCESS');
    expect(run.job_parameters).toEqual([{ name: 'who', default: 'world', value: 'cli' }]);
    const out = await djobs(['jobs', 'get-run-output', String(run.run_id), '--task', 'hello'], env);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('hello {"who":"cli"}');
  });

  it('run: exit 1 when the run fails', async () => {
    const r = await djobs(['run', badJob], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED');
  });

  it('exit 3 when Temporal cannot be reached', async () => {
    const r = await djobs(['jobs', 'list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }, 30_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('jobs create, get, list, run-now, list-runs, delete', async () => {
    const created = await djobs(['jobs', 'create', '--json', `@${okJob}`, '-o', 'json'], env);
    expect(created.code, created.stderr).toBe(0);
    const { job_id } = JSON.parse(created.stdout) as { job_id: number };
    const got = JSON.parse((await djobs(['jobs', 'get', String(job_id), '-o', 'json'], env)).stdout) as Job;
    expect(got.settings.name).toBe('cli job');
    const run = await djobs(['jobs', 'run-now', String(job_id), '--job-params', '{"who":"again"}', '-o', 'json'], env);
    expect(run.code, run.stderr).toBe(0);
    const finished = JSON.parse(run.stdout) as Run;
    expect(finished.job_id).toBe(job_id);
    expect(finished.job_parameters[0]!.value).toBe('again');
    const noWait = await djobs(['jobs', 'run-now', String(job_id), '--no-wait'], env);
    expect(noWait.stdout.trim()).toMatch(/^\d+$/);
    const getRun = JSON.parse(
      (await djobs(['jobs', 'get-run', noWait.stdout.trim(), '-o', 'json'], env)).stdout
    ) as Run;
    expect(getRun.run_id).toBe(Number(noWait.stdout.trim()));
    expect(await djobs(['jobs', 'delete', String(job_id)], env)).toMatchObject({ code: 0 });
    const gone = await djobs(['jobs', 'get', String(job_id)], env);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`Job ${job_id} does not exist.`);
  });

  it('jobs backfill: one run per fire time in the range, with its nominal trigger time', async () => {
    const spec = path.join(engine.workDir, 'nightly.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        name: 'nightly',
        schedule: { quartz_cron_expression: '0 0 2 * * ?', timezone_id: 'Europe/Paris', pause_status: 'PAUSED' },
        queue: { enabled: true },
        parameters: [{ name: 'env', default: 'dev' }],
        tasks: [
          {
            task_key: 't',
            shell_command_task: { command: 'echo {{job.trigger.time.iso_date}} {{job.parameters.env}}' },
          },
        ],
      })
    );
    const { job_id } = JSON.parse(
      (await djobs(['jobs', 'create', '--json', `@${spec}`, '-o', 'json'], env)).stdout
    ) as {
      job_id: number;
    };
    const r = await djobs(
      [
        'jobs',
        'backfill',
        String(job_id),
        '--from',
        '2026-11-20T00:00:00Z',
        '--to',
        '2026-11-21T23:59:59Z',
        '--job-params',
        '{"env":"prod"}',
        '-o',
        'json',
      ],
      env
    );
    expect(r.code, r.stderr).toBe(0);
    const { runs } = JSON.parse(r.stdout) as { runs: { run_id: number; trigger_time: number }[] };
    // 02:00 in Paris (UTC+1 in November).
    expect(runs.map((x) => new Date(x.trigger_time).toISOString())).toEqual([
      '2026-11-20T01:00:00.000Z',
      '2026-11-21T01:00:00.000Z',
    ]);
    const outputs = await Promise.all(
      runs.map(async (x) => {
        const run = await engine.client.waitForRun(x.run_id, { timeoutMs: 60_000 });
        return (await engine.client.getRunOutput(run.tasks[0]!.run_id)).logs;
      })
    );
    expect(outputs).toEqual(['2026-11-20 prod\n', '2026-11-21 prod\n']);
    const bad = await djobs(
      ['jobs', 'backfill', String(job_id), '--from', 'yesterday', '--to', '2026-11-21T00:00:00Z'],
      env
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: expected an ISO 8601 time, found "yesterday".');
    await engine.client.deleteJob(job_id);
  });

  it('without TEMPORAL_ADDRESS, run starts an embedded server with a persistent database and a worker', async () => {
    const home = path.join(engine.workDir, 'embedded-home');
    const r = await djobs(
      ['run', okJob, '-o', 'json'],
      { TEMPORAL_ADDRESS: '', DJOBS_HOME: home, DJOBS_PORT: '0', DJOBS_UI_PORT: '0' },
      120_000
    );
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Run).state.result_state).toBe('SUCCESS');
    expect(fs.existsSync(path.join(home, 'temporal.db'))).toBe(true);
  });

  it('dev serves the REST API with the DJOBS_API_TOKEN admin, and its worker runs what the API submits', async () => {
    const apiPort = await freePort();
    const token = 'dev-admin-token-0123456789';
    const dev = startDjobsDev({
      home: path.join(engine.workDir, 'dev-home'),
      apiPort,
      args: ['--no-mlflow'],
      env: { DJOBS_API_TOKEN: token },
    });
    try {
      const base = `http://127.0.0.1:${apiPort}/api/2.1/jobs`;
      const api = async (p: string, body?: unknown) => {
        const res = await fetch(`${base}/${p}`, {
          method: body ? 'POST' : 'GET',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      await waitFor(
        async () => (await api('runs/list')).status === 200,
        `the dev API to answer (${dev.output()})`,
        120_000
      );
      expect(dev.output()).toContain(`durable-jobs API at http://127.0.0.1:${apiPort}/api/2.1/jobs`);
      expect(dev.output()).not.toContain('Generated an admin token');
      const { body } = await api('runs/submit', {
        tasks: [{ task_key: 'hi', shell_command_task: { command: 'echo hi' } }],
      });
      const run = await waitFor(async () => {
        const r = await api(`runs/get?run_id=${body.run_id as number}`);
        return (r.body.status as { state: string }).state === 'TERMINATED' ? r.body : undefined;
      }, 'the submitted run to finish');
      expect(run.state).toMatchObject({ result_state: 'SUCCESS' });
      // run_page_url is the run's page in the jobs web UI dev serves on its API port.
      const runId = body.run_id as number;
      expect(run.run_page_url).toBe(`http://127.0.0.1:${apiPort}/#/runs/${runId}`);
      // The Temporal UI dev really started (DJOBS_UI_PORT=0: a free port) links the run back to it.
      const ui = /Web UI at (http:\/\/\S+?),/.exec(dev.output())?.[1];
      expect(ui, dev.output()).toMatch(/^http:\/\/localhost:\d+$/);
      // A command attached to dev (here the CLI) gives the same run page.
      const cliRun = await djobs(['jobs', 'get-run', String(runId), '-o', 'json'], {
        TEMPORAL_ADDRESS: '',
        DJOBS_HOME: path.join(engine.workDir, 'dev-home'),
      });
      expect(cliRun.code, cliRun.stderr).toBe(0);
      expect((JSON.parse(cliRun.stdout) as Run).run_page_url).toBe(run.run_page_url);
      expect((await fetch(`${base}/runs/list`)).status).toBe(401);
      // The web UI on the same port: the page itself needs no token.
      expect(dev.output()).toContain(`durable-jobs web UI at http://127.0.0.1:${apiPort}/`);
      const page = await fetch(`http://127.0.0.1:${apiPort}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app"></div>');
    } finally {
      await dev.stop();
    }
  });
});
