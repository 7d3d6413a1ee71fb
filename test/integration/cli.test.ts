// The djobs CLI as users run it: real processes, real exit codes, JSON output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job, Run } from '../../client';
import type { NotificationDelivery } from '../../core';
import { freePort } from '../../servers/dev-server';
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
  /** A job spec written as JSON to the test's directory. */
  const specFile = (name: string, spec: unknown): string => {
    const file = path.join(engine.workDir, name);
    fs.writeFileSync(file, JSON.stringify(spec));
    return file;
  };
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
        tasks: [{ task_key: 't', shell_command_task: { command: 'true' }, new_cluster: deep }],
        deployment: deep,
        job_clusters: [{ job_cluster_key: 'c', new_cluster: deep }],
      })
    );
    const r = await djobs(['validate', file], {});
    expect(r.code).toBe(2);
    const at = (where: string) =>
      `error: ${where}${'.a'.repeat(32)}: expected at most 32 levels of nesting, found deeper`;
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [at('deployment'), at('tasks[0].new_cluster'), at('job_clusters[0].new_cluster')].sort()
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

  it('repair-run and get-run show the repaired task at its latest attempt, after a retry numbered higher', async () => {
    // load fails twice (attempts 0 and 1) until fixed; the repair's attempt is numbered 0 again.
    const fixed = path.join(engine.workDir, 'load-fixed');
    const spec = specFile('repaired.json', {
      name: 'repaired',
      tasks: [
        { task_key: 'extract', shell_command_task: { command: 'true' } },
        {
          task_key: 'load',
          depends_on: [{ task_key: 'extract' }],
          max_retries: 1,
          shell_command_task: { command: `test -f ${fixed}` },
        },
      ],
    });
    const failed = await djobs(['run', spec, '-o', 'json'], env);
    expect(failed.code, failed.stderr).toBe(1);
    const runId = String((JSON.parse(failed.stdout) as Run).run_id);
    fs.writeFileSync(fixed, '');
    const repaired = await djobs(['jobs', 'repair-run', runId, '--rerun-all-failed-tasks'], env);
    expect(repaired.code, repaired.stderr).toBe(0);
    const taskLine = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(`${key} `));
    expect(repaired.stdout).toMatch(/: SUCCESS\n/);
    expect(taskLine(repaired.stdout, 'load')).toMatch(/^load\s+SUCCESS\s+0\s/);
    // The live lines (stderr is no TTY here) follow the repaired task to its end.
    expect(repaired.stderr.split('\n')).toContain('load: SUCCESS');
    const got = await djobs(['jobs', 'get-run', runId], env);
    expect(got.stdout).toMatch(/: SUCCESS\n/);
    expect(taskLine(got.stdout, 'load')).toMatch(/^load\s+SUCCESS\s+0\s/);
    expect(taskLine(got.stdout, 'extract')).toMatch(/^extract\s+SUCCESS\s+0\s/);
  });

  it('get-run --wait follows a run started elsewhere with its live task lines, to its exit code', async () => {
    const go = path.join(engine.workDir, 'follow-go');
    const spec = specFile('followed.json', {
      name: 'followed',
      tasks: [{ task_key: 'wait', shell_command_task: { command: `while [ ! -f ${go} ]; do sleep 0.1; done` } }],
    });
    const started = await djobs(['run', spec, '--no-wait'], env);
    expect(started.code, started.stderr).toBe(0);
    const runId = started.stdout.trim();
    const follower = spawn(process.execPath, [cli, 'jobs', 'get-run', runId, '--wait'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    follower.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    follower.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    try {
      // The run is still going when the follower shows it running; only then may it end.
      await waitFor(
        () => stderr.split('\n').includes('wait: RUNNING'),
        `the follower to show the task running (${stderr})`
      );
      fs.writeFileSync(go, '');
      expect(await exited, stderr).toBe(0);
    } finally {
      follower.kill();
    }
    expect(stderr.split('\n')).toContain('wait: SUCCESS');
    expect(stdout).toMatch(new RegExp(`^Run ${runId} "followed": SUCCESS\n`));
    expect(stdout).toMatch(/\nwait\s+SUCCESS\s+0\s/);
  });

  it('jobs get shows the next runs in the schedule time zone and UTC; jobs list shows each trigger in words', async () => {
    const spec = specFile('scheduled.json', {
      name: 'cli scheduled',
      schedule: { quartz_cron_expression: '0 30 6 * * ?', timezone_id: 'America/New_York', pause_status: 'UNPAUSED' },
      tasks: [{ task_key: 't', shell_command_task: { command: 'true' } }],
    });
    const created = await djobs(['jobs', 'create', '--json', `@${spec}`], env);
    expect(created.code, created.stderr).toBe(0);
    const jobId = created.stdout.trim();
    try {
      const got = await djobs(['jobs', 'get', jobId], env);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout).toContain('\ntrigger: every day at 06:30, America/New_York\n');
      const next = got.stdout.split('next runs (America/New_York, UTC beside):\n')[1]!.trim().split('\n');
      expect(next.length).toBeGreaterThan(0);
      for (const line of next) {
        // 06:30 in New York is 10:30 or 11:30 UTC, by daylight saving time.
        const m = /^(\d{4}-\d\d-\d\d) 06:30:00 (-04:00|-05:00) {2}\((\S+)\)$/.exec(line.trim());
        expect(m, line).not.toBeNull();
        expect(new Date(`${m![1]}T06:30:00${m![2]}`).toISOString()).toBe(m![3]);
      }
      const listed = await djobs(['jobs', 'list', '--name', 'cli scheduled'], env);
      expect(listed.stdout.split('\n')[0]).toMatch(/^JOB_ID\s+NAME\s+TRIGGER\s+CREATED$/);
      expect(listed.stdout).toMatch(
        new RegExp(`\n${jobId}\\s+cli scheduled\\s+every day at 06:30, America/New_York\\s+\\d{4}-`)
      );
    } finally {
      await djobs(['jobs', 'delete', jobId], env);
    }
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
        () => `the dev API to answer (${dev.output()})`,
        120_000
      );
      expect(dev.output()).toContain(`durable-jobs API at http://127.0.0.1:${apiPort}/api/2.1/jobs`);
      expect(dev.output()).not.toContain('Generated an admin token');
      const { body } = await api('runs/submit', {
        tasks: [{ task_key: 'hi', shell_command_task: { command: 'echo hi' } }],
        email_notifications: { on_success: ['team@example.com'] },
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
      // Its notification links to that page too (here an email in dev's outbox, with no SMTP server),
      // and the delivery says the email went to the outbox, not to anyone.
      const delivered = await waitFor(async () => {
        const r = await api(`runs/get?run_id=${runId}`);
        return (r.body.notification_deliveries as NotificationDelivery[] | undefined)?.[0];
      }, 'the success email to be delivered');
      const outbox = path.join(engine.workDir, 'dev-home', 'outbox');
      const mail = path.join(outbox, `${delivered.event_id}.eml`);
      expect(fs.readFileSync(mail, 'utf8')).toContain(`Run page: ${run.run_page_url as string}\n`);
      expect(delivered).toMatchObject({ event: 'on_success', status: 'WRITTEN_TO_OUTBOX', outbox_file: mail });
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

  it('dev prints a sign-in link, never its admin token; djobs ui mints links, shows and rotates the token', async () => {
    const apiPort = await freePort();
    const home = path.join(engine.workDir, 'dev-link-home');
    const base = `http://127.0.0.1:${apiPort}`;
    const linkPattern = new RegExp(`^http://127\\.0\\.0\\.1:${apiPort}/#/sign-in\\?code=([\\w-]+)$`);
    const exchange = (code: string) =>
      fetch(`${base}/ui/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    const runsList = (token: string) =>
      fetch(`${base}/api/2.1/jobs/runs/list`, { headers: { authorization: `Bearer ${token}` } });
    const uiEnv = { TEMPORAL_ADDRESS: '', DJOBS_HOME: home, DJOBS_API_TOKEN: '' };
    const dev = startDjobsDev({ home, apiPort, args: ['--no-mlflow'], env: { DJOBS_API_TOKEN: '' } });
    try {
      await waitFor(
        () => dev.output().includes('Press Ctrl-C'),
        () => `dev to be ready (${dev.output()})`,
        120_000
      );
      const link = /Sign in to the web UI: (\S+)/.exec(dev.output())?.[1] ?? '';
      const code = linkPattern.exec(link)?.[1];
      expect(code, dev.output()).toBeDefined();
      // The admin token is kept in the data directory, owner-only, and printed nowhere.
      const tokenFile = path.join(home, 'admin-token');
      const token = fs.readFileSync(tokenFile, 'utf8').trim();
      expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect(dev.output()).not.toContain(token);
      expect((await runsList(token)).status).toBe(200);

      // The printed link's code is exchanged once for a session; a second use is refused.
      const first = await exchange(code!);
      expect(first.status).toBe(200);
      const session = ((await first.json()) as { token: string }).token;
      expect((await runsList(session)).status).toBe(200);
      expect((await exchange(code!)).status).toBe(401);

      // djobs ui: a fresh link of the running dev.
      const fresh = await djobs(['ui'], uiEnv);
      expect(fresh.code, fresh.stderr).toBe(0);
      const freshCode = linkPattern.exec(fresh.stdout.trim())?.[1];
      expect(freshCode, fresh.stdout).toBeDefined();
      expect((await exchange(freshCode!)).status).toBe(200);
      expect(await djobs(['ui', '--token'], uiEnv)).toMatchObject({ code: 0, stdout: `${token}\n` });

      // Rotation: the new token works, the old one, its sessions and unused links no longer do.
      const unused = linkPattern.exec((await djobs(['ui'], uiEnv)).stdout.trim())![1]!;
      const rotated = await djobs(['ui', '--rotate-token'], uiEnv);
      expect(rotated.code, rotated.stderr).toBe(0);
      const newToken = rotated.stdout.trim();
      expect(newToken).not.toBe(token);
      expect(fs.readFileSync(tokenFile, 'utf8').trim()).toBe(newToken);
      expect((await runsList(newToken)).status).toBe(200);
      expect((await runsList(token)).status).toBe(401);
      expect((await runsList(session)).status).toBe(401);
      expect((await exchange(unused)).status).toBe(401);
    } finally {
      await dev.stop();
    }
    const none = await djobs(['ui'], uiEnv);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`No djobs dev with a web UI is running for DJOBS_HOME ${home}`);
  });
});
