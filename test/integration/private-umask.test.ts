// `djobs dev` keeps DJOBS_HOME private with a umask of 077, as do `djobs api` and `djobs worker`
// (config/data-dir.ts). What these processes write for sandboxed tasks must still be readable by
// the tasks' own uids: a task environment the worker builds, a notebook imported through the
// Workspace API, a file put through the DBFS API. The other integration tests run their engines in
// the test process, with the machine's umask, so this file starts a real `djobs dev`.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devAdminTokenFile } from '../../cli/commands/ui';
import { freePort } from '../../servers/dev-server';
import { startDev } from '../helpers/dev-process';
import { buildFixtureWheel } from '../helpers/python-build';
import { waitFor } from './harness';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('djobs dev with its private umask', () => {
  let dev: ReturnType<typeof startDev> | undefined;
  afterAll(() => dev?.stop());

  it('gives sandboxed tasks the environments, notebooks and DBFS files it wrote', async () => {
    const port = await freePort();
    dev = startDev('djobs-umask-', { apiPort: port });
    await dev.address;
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => /Sign in to the web UI/.test(dev!.output()), 'the REST API of djobs dev', 60_000);
    const token = fs.readFileSync(devAdminTokenFile(dev.home), 'utf8').trim();
    const api = async <T>(route: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${route}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      expect(res.status, `${route}: ${text}`).toBe(200);
      return JSON.parse(text) as T;
    };
    const wheel = buildFixtureWheel('hello-wheel', path.join(dev.files, 'dist'));

    await api('/api/2.0/dbfs/put', { path: '/umask/data.txt', contents: b64('written-through-dbfs'), overwrite: true });
    await api('/api/2.0/workspace/mkdirs', { path: '/Shared/umask' });
    await api('/api/2.0/workspace/import', {
      path: '/Shared/umask/reader',
      format: 'SOURCE',
      language: 'PYTHON',
      overwrite: true,
      content: b64('# Databricks notebook source\nprint("notebook read", dbutils.fs.head("dbfs:/umask/data.txt"))\n'),
    });
    const { run_id } = await api<{ run_id: number }>('/api/2.1/jobs/runs/submit', {
      run_name: 'private umask',
      environments: [{ environment_key: 'wheel', spec: { client: '1', dependencies: [wheel] } }],
      tasks: [
        { task_key: 'notebook', notebook_task: { notebook_path: '/Shared/umask/reader' } },
        {
          task_key: 'wheel',
          environment_key: 'wheel',
          python_wheel_task: { package_name: 'hello_wheel', entry_point: 'hello' },
        },
      ],
    });
    interface Run {
      state: { life_cycle_state: string; result_state?: string; state_message?: string };
      tasks: { task_key: string; run_id: number }[];
    }
    const run = await waitFor(
      async () => {
        const r = await api<Run>(`/api/2.1/jobs/runs/get?run_id=${run_id}`);
        return ['TERMINATED', 'INTERNAL_ERROR', 'SKIPPED'].includes(r.state.life_cycle_state) ? r : undefined;
      },
      'the run to end',
      300_000
    );
    const output = async (key: string) => {
      const task = run.tasks.find((t) => t.task_key === key)!;
      return api<{ logs?: string; error?: string }>(`/api/2.1/jobs/runs/get-output?run_id=${task.run_id}`);
    };
    const [notebook, wheelTask] = [await output('notebook'), await output('wheel')];
    expect(run.state.result_state, JSON.stringify({ state: run.state, notebook, wheelTask })).toBe('SUCCESS');
    expect(notebook.logs).toContain('notebook read written-through-dbfs');
    expect(wheelTask.logs).toContain('hello_wheel.main argv');
  }, 400_000);
});
