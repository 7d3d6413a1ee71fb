// Databricks secrets end to end: the Secrets API 2.0 with scope ACLs, `{{secrets/…}}` references
// and dbutils.secrets.get in Python and Node tasks, READ checked against the run's principal,
// values redacted from logs, output and errors, and absent from history; the `djobs secrets` CLI.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { runWorkflowId } from '../../core';
import { latestByKey, readableText, startEngine, waitFor, type Engine, engineEnv } from './harness';

const exec = promisify(execFile);
const SECRET = 's3cr3t-value-71b9';
const SECRET_SHA256 = createHash('sha256').update(SECRET).digest('hex');
const TOKENS = {
  admin: 'secrets-admin-token-000001',
  alice: 'secrets-alice-token-000001',
  bob: 'secrets-bob-token-0000001',
};

describe('secrets', () => {
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  const call = async (who: keyof typeof TOKENS, method: 'GET' | 'POST', p: string, body?: unknown) => {
    const res = await fetch(`${base}/api/2.0/secrets/${p}`, {
      method,
      headers: { authorization: `Bearer ${TOKENS[who]}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const jobsCall = async (who: keyof typeof TOKENS, p: string, body: unknown) => {
    const res = await fetch(`${base}/api/2.1/jobs/${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS[who]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const scope = `prod-${Date.now()}`;

  beforeAll(async () => {
    engine = await startEngine('secrets');
    const tokens = new TokenMap();
    tokens.add({ plain: TOKENS.admin }, adminPrincipal());
    tokens.add(
      { plain: TOKENS.alice },
      { name: 'alice@example.com', kind: 'user', groups: ['data-eng'], admin: false }
    );
    tokens.add({ plain: TOKENS.bob }, { name: 'bob@example.com', kind: 'user', groups: [], admin: false });
    // alice's notebooks are files of the test's folder: a code root every principal may name.
    app = await createApiServer({
      client: engine.client,
      tokens,
      workspaceDir: engine.workDir,
      workspaceRoot: path.join(engine.dataDir, 'workspace'),
      codeRoots: [engine.workDir],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
  });

  it('Secrets API 2.0: the creator manages the scope; a user without READ can neither list nor read', async () => {
    expect(await call('alice', 'POST', 'scopes/create', { scope })).toEqual({ status: 200, body: {} });
    expect(await call('alice', 'POST', 'scopes/create', { scope })).toEqual({
      status: 409,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Scope ${scope} already exists!` },
    });
    expect(await call('alice', 'POST', 'put', { scope, key: 'db-password', string_value: SECRET })).toEqual({
      status: 200,
      body: {},
    });
    expect(await call('alice', 'POST', 'put', { scope, key: 'bad/key', string_value: 'x' })).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `Invalid secret key "bad/key": expected 1-128 letters, digits, '-', '_' or '.'.`,
      },
    });
    const listed = await call('alice', 'GET', `list?scope=${scope}`);
    expect((listed.body.secrets as { key: string }[]).map((s) => s.key)).toEqual(['db-password']);
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    expect((await call('alice', 'GET', `acls/list?scope=${scope}`)).body).toEqual({
      items: [{ principal: 'alice@example.com', permission: 'MANAGE' }],
    });

    const denied = (needed: string) => ({
      status: 403,
      body: {
        error_code: 'PERMISSION_DENIED',
        message: `User bob@example.com does not have ${needed} permission on scope ${scope}`,
      },
    });
    expect(await call('bob', 'GET', `list?scope=${scope}`)).toEqual(denied('READ'));
    expect(await call('bob', 'GET', `acls/list?scope=${scope}`)).toEqual(denied('MANAGE'));
    expect(await call('bob', 'GET', `acls/get?scope=${scope}&principal=bob@example.com`)).toEqual(denied('MANAGE'));
    expect(await call('bob', 'POST', 'put', { scope, key: 'db-password', string_value: 'overwrite' })).toEqual(
      denied('WRITE')
    );
    expect(await call('bob', 'POST', 'acls/put', { scope, principal: 'bob@example.com', permission: 'READ' })).toEqual(
      denied('MANAGE')
    );
    // No endpoint returns a value, for anyone.
    expect((await call('admin', 'GET', `get?scope=${scope}&key=db-password`)).status).toBe(404);
    const scopes = (await call('bob', 'GET', 'scopes/list')).body.scopes as { name: string }[];
    expect(scopes).toContainEqual({ name: scope, backend_type: 'DATABRICKS' });

    // Group grants count: a READ for data-eng lets its members list.
    expect(await call('alice', 'POST', 'acls/put', { scope, principal: 'data-eng', permission: 'READ' })).toEqual({
      status: 200,
      body: {},
    });
    expect((await call('alice', 'GET', `acls/get?scope=${scope}&principal=data-eng`)).body).toEqual({
      principal: 'data-eng',
      permission: 'READ',
    });
  });

  it('tasks read secrets by reference and with dbutils in Python and Node; every trace is redacted', async () => {
    const dir = engine.workDir;
    fs.writeFileSync(
      path.join(dir, 'py_nb.py'),
      [
        '# Databricks notebook source',
        `v = dbutils.secrets.get("${scope}", "db-password")`,
        `assert v == "${SECRET}", "python got the wrong value"`,
        'print("py sees", v)',
        'dbutils.jobs.taskValues.set("leak", v)',
        'dbutils.notebook.exit("exit " + v)',
      ].join('\n')
    );
    fs.writeFileSync(
      path.join(dir, 'node_nb.js'),
      [
        `const v = dbutils.secrets.get('${scope}', 'db-password');`,
        `if (v !== '${SECRET}') throw new Error('node got the wrong value');`,
        `console.log('node sees', v, 'env has', process.env.DJOBS_SECRETS === undefined ? 'no secrets' : 'secrets');`,
      ].join('\n')
    );
    fs.writeFileSync(
      path.join(dir, 'fails.py'),
      [
        '# Databricks notebook source',
        `raise ValueError("bad password " + dbutils.secrets.get("${scope}", "db-password"))`,
      ].join('\n')
    );
    const created = await jobsCall('alice', 'runs/submit', {
      run_name: 'secrets',
      tasks: [
        {
          task_key: 'ref',
          shell_command_task: {
            // The spec holds no value: the environment is checked by its digest.
            command: `echo "arg={{secrets/${scope}/db-password}}"; test "$(printf %s "$PW" | sha256sum | cut -c1-64)" = "${SECRET_SHA256}" && echo env-ok`,
            env: { PW: `{{secrets/${scope}/db-password}}` },
          },
        },
        { task_key: 'py', notebook_task: { notebook_path: path.join(dir, 'py_nb.py') } },
        { task_key: 'node', notebook_task: { notebook_path: path.join(dir, 'node_nb.js') } },
        { task_key: 'fails', notebook_task: { notebook_path: path.join(dir, 'fails.py') } },
      ],
    });
    const runId = created.run_id as number;
    const run = await engine.client.waitForRun(runId, { timeoutMs: 120_000 });
    const t = latestByKey(run);
    expect([t.ref, t.py, t.node, t.fails].map((x) => x!.state.result_state)).toEqual([
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
      'FAILED',
    ]);
    const out = async (key: string) => engine.client.getRunOutput(runId, key);
    expect((await out('ref')).logs).toBe('arg=[REDACTED]\nenv-ok\n');
    expect((await out('py')).logs).toContain('py sees [REDACTED]');
    expect((await out('py')).notebook_output).toEqual({ result: 'exit [REDACTED]', truncated: false });
    expect((await engine.client.getRunState(runId)).tasks.py!.taskValues).toEqual({ leak: '[REDACTED]' });
    expect((await out('node')).logs).toContain('node sees [REDACTED] env has no secrets');
    // A notebook's error names the cell that raised.
    expect((await out('fails')).error).toBe(
      `Cell 1 of ${path.join(dir, 'fails.py')}: ValueError: bad password [REDACTED]`
    );

    const everything = JSON.stringify(await Promise.all(['ref', 'py', 'node', 'fails'].map(out)));
    expect(everything).not.toContain(SECRET);
    for (const key of ['ref', 'py', 'node', 'fails'])
      expect(fs.readFileSync((await out(key)).log_path!, 'utf8')).not.toContain(SECRET);
    const history = await engine.temporal.workflow.getHandle(runWorkflowId(runId)).fetchHistory();
    expect(readableText(JSON.parse(historyToJSON(history)))).not.toContain(SECRET);
    // Decoded with the key ring (as the codec server would), the scope record still hides the value.
    const record = await engine.temporal.schedule.getHandle(`djobs-secret-scope-${scope}`).describe();
    expect(JSON.stringify(record.action)).toContain('db-password');
    expect(JSON.stringify(record.action)).not.toContain(SECRET);
  }, 180_000);

  it('a run whose principal lacks READ fails the task and says why', async () => {
    const { job_id } = (await jobsCall('admin', 'create', {
      name: 'no read',
      run_as: { user_name: 'bob@example.com' },
      tasks: [{ task_key: 't', shell_command_task: { command: `echo {{secrets/${scope}/db-password}}` } }],
    })) as { job_id: number };
    const { run_id } = (await jobsCall('admin', 'run-now', { job_id })) as { run_id: number };
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('FAILED');
    expect((await engine.client.getRunOutput(run_id, 't')).error).toBe(
      `Secret reference {{secrets/${scope}/db-password}}: bob@example.com does not have READ permission on secret scope ${scope}.`
    );
  });

  it('djobs secrets: the Databricks CLI verbs, values from stdin, never printed back', async () => {
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
    const env = engineEnv(engine);
    const djobs = (...args: string[]) => exec(process.execPath, [cli, 'secrets', ...args], { env, timeout: 60_000 });
    const cliScope = `${scope}-cli`;
    await djobs('create-scope', cliScope);
    const put = execFile(process.execPath, [cli, 'secrets', 'put-secret', cliScope, 'token'], { env });
    put.stdin!.end('from-stdin-value-4410');
    await new Promise<void>((resolve, reject) =>
      put.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))))
    );
    const listed = await djobs('list-secrets', cliScope, '-o', 'json');
    expect((JSON.parse(listed.stdout) as { secrets: { key: string }[] }).secrets.map((s) => s.key)).toEqual(['token']);
    expect(listed.stdout).not.toContain('from-stdin-value-4410');
    await djobs('put-acl', cliScope, 'users', 'READ');
    expect(JSON.parse((await djobs('get-acl', cliScope, 'users', '-o', 'json')).stdout)).toEqual({
      principal: 'users',
      permission: 'READ',
    });
    expect((await djobs('list-scopes')).stdout).toContain(cliScope);
    const bad = await djobs('put-acl', cliScope, 'users', 'OWNER').then(
      () => '',
      (e: { stderr: string }) => e.stderr
    );
    expect(bad).toBe('Error: Invalid permission "OWNER": expected READ, WRITE or MANAGE.\n');
    await djobs('delete-scope', cliScope);
    await waitFor(async () => !(await djobs('list-scopes')).stdout.includes(cliScope), 'the scope to be gone');
  }, 120_000);
});
