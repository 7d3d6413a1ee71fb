// Compatibility: the legacy databricks-cli (0.18, from PyPI into .tools/) drives the REST API
// unchanged on its default Jobs API 2.0: `jobs create` with a single-task job, `jobs get`,
// `jobs run-now --python-params`, `runs get`, `runs get-output`, `runs cancel`. The CLI drops the
// port from DATABRICKS_HOST, so the API listens on port 80 of a loopback address of its own
// (127.x.y.z: concurrent test runs never collide; binding port 80 needs root, as CI runs).
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { adminTokens, copyCompatWorkspace, runProgram } from '../helpers/compat';
import { pipInstallOnce } from '../../scripts/python-packages';
import { useEngine, waitFor } from './harness';

const root = path.resolve(__dirname, '..', '..');
const CLI_VERSION = '0.18.0';
const cliDir = path.join(root, '.tools', `databricks-cli-${CLI_VERSION}`);

/** Listen on port 80 of a random loopback address, trying others while one is taken. */
async function listenOnPort80(app: FastifyInstance): Promise<string> {
  for (let tries = 0; ; tries++) {
    const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    try {
      await app.listen({ port: 80, host });
      return host;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES')
        throw new Error('the legacy CLI test serves the API on port 80, which needs root (or CAP_NET_BIND_SERVICE)');
      if (code !== 'EADDRINUSE' || tries >= 10) throw err;
    }
  }
}

describe('legacy databricks-cli', () => {
  const engine = useEngine('legacy databricks cli');
  let app: FastifyInstance;
  let host: string;
  beforeAll(async () => {
    pipInstallOnce(cliDir, path.join(cliDir, 'databricks_cli', 'cli.py'), [`databricks-cli==${CLI_VERSION}`]);
    copyCompatWorkspace(engine.workDir);
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('cli-token'),
      workspaceDir: engine.workDir,
    });
    host = await listenOnPort80(app);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  /** `databricks <args>` with its JSON output parsed. */
  const databricks = async (...args: string[]): Promise<Record<string, unknown>> => {
    const r = await runProgram(
      'python3',
      ['-m', 'databricks_cli.cli', ...args],
      { PYTHONPATH: cliDir, DATABRICKS_HOST: `http://${host}`, DATABRICKS_TOKEN: 'cli-token', HOME: engine.workDir },
      120_000
    );
    if (r.code !== 0) throw new Error(`databricks ${args.join(' ')} failed (${r.code}): ${r.output}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };
  const finished = (runId: number) =>
    waitFor(async () => {
      const run = await databricks('runs', 'get', '--run-id', String(runId));
      return (run.state as { life_cycle_state: string }).life_cycle_state === 'TERMINATED' ? run : undefined;
    }, `run ${runId} to finish`);

  it('creates a 2.0 single-task job, runs it with --python-params, reads the run and its output', async () => {
    const jobFile = path.join(engine.workDir, 'legacy-job.json');
    fs.writeFileSync(
      jobFile,
      JSON.stringify({
        name: 'legacy cli job',
        existing_cluster_id: 'legacy-cluster',
        spark_python_task: { python_file: 'hello.py', parameters: ['from-settings'] },
        libraries: [{ pypi: { package: 'requests' } }],
        max_retries: 1,
      })
    );
    const { job_id } = (await databricks('jobs', 'create', '--json-file', jobFile)) as { job_id: number };
    const job = await databricks('jobs', 'get', '--job-id', String(job_id));
    expect(job.settings).toEqual({
      name: 'legacy cli job',
      format: 'SINGLE_TASK',
      existing_cluster_id: 'legacy-cluster',
      spark_python_task: { python_file: path.join(engine.workDir, 'hello.py'), parameters: ['from-settings'] },
      libraries: [{ pypi: { package: 'requests' } }],
      max_retries: 1,
    });
    // The same job on 2.1 is a one-task job named after the job.
    expect((await engine.client.getJob(job_id)).settings.tasks.map((t) => t.task_key)).toEqual(['legacy_cli_job']);

    const { run_id } = (await databricks(
      'jobs',
      'run-now',
      '--job-id',
      String(job_id),
      '--python-params',
      '["x", "y z"]'
    )) as {
      run_id: number;
    };
    const run = await finished(run_id);
    expect(run).toMatchObject({
      job_id,
      run_id,
      format: 'SINGLE_TASK',
      state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' },
      task: { spark_python_task: { parameters: ['x', 'y z'] } },
      cluster_spec: { existing_cluster_id: 'legacy-cluster', libraries: [{ pypi: { package: 'requests' } }] },
      overriding_parameters: { python_params: ['x', 'y z'] },
      attempt_number: 0,
    });
    expect(run.tasks).toBeUndefined();
    const output = await databricks('runs', 'get-output', '--run-id', String(run_id));
    expect(output.logs).toBe('hello x y z\n');
  }, 300_000);

  it('cancels a running run', async () => {
    const jobFile = path.join(engine.workDir, 'legacy-gate.json');
    fs.writeFileSync(
      jobFile,
      JSON.stringify({ name: 'legacy gate', spark_python_task: { python_file: 'gate.py', parameters: ['never'] } })
    );
    const { job_id } = (await databricks('jobs', 'create', '--json-file', jobFile)) as { job_id: number };
    const { run_id } = (await databricks('jobs', 'run-now', '--job-id', String(job_id))) as { run_id: number };
    await waitFor(async () => {
      const run = await databricks('runs', 'get', '--run-id', String(run_id));
      return (run.state as { life_cycle_state: string }).life_cycle_state === 'RUNNING' ? run : undefined;
    }, 'the gated run to start');
    await databricks('runs', 'cancel', '--run-id', String(run_id));
    const run = await finished(run_id);
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
  }, 300_000);
});
