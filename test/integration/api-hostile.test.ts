// A hostile-request corpus over real HTTP: malformed JSON, wrong types for every field, deep
// nesting, huge bodies, unicode and NUL, path tricks, numeric edge cases, wrong methods and
// broken HTTP. Every request gets a 4xx with a Databricks error body, every request is logged
// with its request id, and the server is healthy afterwards. A server error is logged with the
// request id its body carries.
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { adminTokens, useEngine } from './harness';

const TOKEN = 'hostile-token';

interface Reply {
  status: number;
  body: string;
  requestId?: string;
  /** The X-Content-Type-Options header: every answer says nosniff. */
  nosniff?: string;
}

/** One request with the path sent as is (no URL normalisation, unlike fetch). */
function send(base: URL, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: Buffer.concat(chunks).toString(),
            ...(typeof res.headers['x-request-id'] === 'string' ? { requestId: res.headers['x-request-id'] } : {}),
            ...(res.headers['x-content-type-options']
              ? { nosniff: String(res.headers['x-content-type-options']) }
              : {}),
          })
        );
      }
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Raw bytes on a socket (for what no HTTP client sends: a wrong Content-Length); the first response. */
function sendRaw(base: URL, bytes: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(base.port), base.hostname, () => socket.write(bytes));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, head));
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) {
        socket.destroy();
        const nosniff = /^x-content-type-options: (\S+)/im.exec(text.slice(0, head))?.[1];
        resolve({
          status: Number(text.split(' ')[1]),
          body: text.slice(head + 4, head + 4 + Number(length[1])),
          ...(nosniff ? { nosniff } : {}),
        });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed without a full response: ${JSON.stringify(text)}`)));
  });
}

function deep(levels: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const task = { task_key: 't', shell_command_task: { command: 'true' } };
const settings = (extra: Record<string, unknown>) => JSON.stringify({ name: 'hostile', tasks: [task], ...extra });

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  raw?: string;
  /** A part of the message, where the exact text matters. */
  message?: string;
  /** The error_code, where it matters. */
  code?: string;
}

function corpus(jobId: number): Case[] {
  const cases: Case[] = [];
  const post = (name: string, path: string, body: string, message?: string) =>
    cases.push({ name, method: 'POST', path, body, ...(message ? { message } : {}) });

  // Malformed JSON, and bodies that are JSON but not objects.
  for (const body of [
    '{',
    '{"name":}',
    '{"name": "x",}',
    "{'name': 'x'}",
    '[1,',
    'nul',
    '{"a":1}}',
    '\u0000',
    '{"name":"x"',
  ]) {
    cases.push({
      name: `malformed JSON ${JSON.stringify(body)}`,
      method: 'POST',
      path: '/api/2.1/jobs/create',
      body,
      code: 'MALFORMED_REQUEST',
    });
  }
  for (const body of ['[]', '1', '"x"', 'true', '[{"name":"x"}]'])
    post(`non-object body ${body}`, '/api/2.1/jobs/create', body, 'The request body must be a JSON object.');

  // Wrong types for every field of the job settings.
  const wrong: [string, unknown][] = [
    ['name', 5],
    ['name', { a: 1 }],
    ['tasks', 'x'],
    ['tasks', [1]],
    ['tasks', [{ ...task, task_key: 5 }]],
    ['tasks', [{ ...task, depends_on: 'a' }]],
    ['tasks', [{ ...task, timeout_seconds: '10' }]],
    ['tasks', [{ ...task, max_retries: 1.5 }]],
    ['tasks', [{ ...task, run_if: 'SOMETIMES' }]],
    ['tasks', [{ ...task, shell_command_task: { command: 5 } }]],
    ['timeout_seconds', -1],
    ['timeout_seconds', 'forever'],
    ['max_concurrent_runs', '1'],
    ['max_concurrent_runs', -5],
    ['tags', [1]],
    ['tags', { a: 1 }],
    ['schedule', 'daily'],
    ['schedule', { quartz_cron_expression: 5, timezone_id: 'UTC' }],
    ['schedule', { quartz_cron_expression: '0 0 * * * ?', timezone_id: 'Mars/Olympus' }],
    ['email_notifications', 1],
    ['webhook_notifications', 'x'],
    ['notification_settings', []],
    ['parameters', {}],
    ['parameters', [{ name: 1, default: 'x' }]],
    ['queue', 1],
    ['queue', { enabled: 'yes' }],
    ['trigger', 1],
    ['continuous', 'on'],
    ['health', 1],
    ['run_as', 'me'],
    ['format', 'XML'],
    ['edit_mode', 5],
    ['description', 5],
    ['git_source', 'https://example.com/repo.git'],
    ['environments', 'x'],
    ['job_clusters', {}],
    ['job_clusters', [{ job_cluster_key: 1 }]],
    ['access_control_list', 1],
    ['access_control_list', [{ user_name: 'a', permission_level: 'CAN_EVERYTHING' }]],
    ['unknown_field', 1],
  ];
  for (const [field, value] of wrong)
    post(`jobs/create ${field}: ${JSON.stringify(value)}`, '/api/2.1/jobs/create', settings({ [field]: value }));

  // Deep nesting, in pass-through fields and anywhere else, on every route that takes settings.
  const d = deep(2000);
  const nested: [string, Record<string, unknown>, string][] = [
    ['deployment', { deployment: d }, 'deployment.a.a'],
    ['environments[0].spec', { environments: [{ environment_key: 'e', spec: d }] }, 'environments[0].spec.a'],
    ['job_clusters[0].new_cluster', { job_clusters: [{ job_cluster_key: 'c', new_cluster: d }] }, 'job_clusters[0]'],
    ['tasks[0].new_cluster', { tasks: [{ ...task, new_cluster: d }] }, 'tasks[0].new_cluster.a'],
    ['tasks[0].libraries[0]', { tasks: [{ ...task, libraries: [d] }] }, 'tasks[0].libraries[0].a'],
  ];
  for (const [where, extra, message] of nested) {
    post(`jobs/create: 2,000 levels in ${where}`, '/api/2.1/jobs/create', settings(extra), message);
    post(`runs/submit: 2,000 levels in ${where}`, '/api/2.1/jobs/runs/submit', settings(extra), message);
    post(
      `jobs/reset: 2,000 levels in ${where}`,
      '/api/2.1/jobs/reset',
      JSON.stringify({ job_id: jobId, new_settings: JSON.parse(settings(extra)) as unknown }),
      message
    );
  }
  // jobs/update checks the merged settings: the pass-through limits name the field.
  post(
    'jobs/update: 2,000 levels in deployment',
    '/api/2.1/jobs/update',
    JSON.stringify({ job_id: jobId, new_settings: { deployment: d } }),
    'deployment.a.a'
  );
  const bodyDepth = 'The request body is nested more than 64 levels deep';
  post(
    '65 levels in job_parameters',
    '/api/2.1/jobs/run-now',
    JSON.stringify({ job_id: jobId, job_parameters: deep(65) }),
    bodyDepth
  );
  post(
    '2,000 levels in rerun_tasks',
    '/api/2.1/jobs/runs/repair',
    JSON.stringify({ run_id: 1, rerun_tasks: [deep(2000)] }),
    bodyDepth
  );
  post('100,000 nested arrays', '/api/2.1/jobs/create', '['.repeat(100_000) + ']'.repeat(100_000));
  post('100,000 nested objects', '/api/2.1/jobs/create', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));

  // Huge bodies and values.
  post('an 11 MiB body', '/api/2.1/jobs/create', settings({ description: 'x'.repeat(11 * 1024 * 1024) }));
  post(
    'a 300 KiB new_cluster',
    '/api/2.1/jobs/create',
    settings({ job_clusters: [{ job_cluster_key: 'c', new_cluster: { spark_conf: { k: 'x'.repeat(300 * 1024) } } }] }),
    'expected at most 262144 bytes of JSON'
  );
  post(
    '10,000 tasks',
    '/api/2.1/jobs/create',
    settings({ tasks: Array.from({ length: 10_000 }, (_, i) => ({ ...task, task_key: `t${i}` })) })
  );

  // Unicode and NUL.
  post('task_key with NUL', '/api/2.1/jobs/create', settings({ tasks: [{ ...task, task_key: 'a\u0000b' }] }));
  post('task_key in Cyrillic', '/api/2.1/jobs/create', settings({ tasks: [{ ...task, task_key: 'ключ' }] }));
  post('task_key emoji', '/api/2.1/jobs/create', settings({ tasks: [{ ...task, task_key: '🚀' }] }));
  post(
    'depends_on a NUL key',
    '/api/2.1/jobs/create',
    settings({ tasks: [{ ...task, depends_on: [{ task_key: '\u0000' }] }] })
  );
  post('job_id with NUL', '/api/2.1/jobs/run-now', JSON.stringify({ job_id: '1\u0000' }));
  post('job_id in Arabic digits', '/api/2.1/jobs/run-now', JSON.stringify({ job_id: '١٢' }));
  cases.push({ name: 'run_id %00 in the query', method: 'GET', path: '/api/2.1/jobs/runs/get?run_id=%00' });
  cases.push({
    name: 'job_id full-width digits',
    method: 'GET',
    path: `/api/2.1/jobs/get?job_id=${encodeURIComponent('１２')}`,
  });
  post(
    'a lone surrogate in a task key',
    '/api/2.1/jobs/create',
    settings({ tasks: [{ ...task, task_key: '\ud800' }] })
  );

  // Path tricks.
  for (const path of [
    '/api/2.1/jobs/../jobs/get?job_id=1',
    '/api/2.1/jobs/%2e%2e/jobs/get',
    '/api/2.1//jobs/get?job_id=1',
    '/api/2.1/jobs/get/?job_id=1',
    '/api/2.1/jobs/get%00?job_id=1',
    '/api/2.1/JOBS/GET?job_id=1',
    '/api/9.9/jobs/get?job_id=1',
    '/api/2.1/jobs',
    '/api/2.1/jobs/get/../../../../etc/passwd',
    '/api/2.0/permissions/jobs/abc',
    '/api/2.0/permissions/jobs/-1',
    '/api/2.0/permissions/jobs/1.5',
    '/%zz',
    '/api/2.1/jobs/get?job_id=%zz',
  ])
    cases.push({ name: `path ${path}`, method: 'GET', path });

  // Numeric edge cases.
  // As JSON text: some are numbers JavaScript cannot hold (2^53 + 1, 1e400).
  for (const id of [
    '-1',
    '1.5',
    '1e21',
    '1e400',
    '9007199254740993',
    '"0x"',
    '"NaN"',
    '"Infinity"',
    '""',
    '" "',
    'true',
    '[]',
    '{}',
    'null',
  ])
    post(`job_id ${id}`, '/api/2.1/jobs/run-now', `{"job_id": ${id}}`);
  for (const q of [
    'limit=0',
    'limit=-1',
    'limit=101',
    'limit=1.5',
    'limit=1e2x',
    'offset=-1',
    'offset=1001',
    'page_token=%00',
  ])
    cases.push({ name: `jobs/list ${q}`, method: 'GET', path: `/api/2.1/jobs/list?${q}` });
  for (const q of [
    'limit=26',
    'start_time_from=-5',
    'run_type=NOPE',
    'active_only=true&completed_only=true',
    // Past Databricks' cap on the legacy offset, and times no date can hold (these answered 500).
    'offset=1001',
    'start_time_from=8640000000000001',
    'start_time_to=253402300800000',
  ])
    cases.push({ name: `runs/list ${q}`, method: 'GET', path: `/api/2.1/jobs/runs/list?${q}` });
  post(
    'timeout_seconds 2^64',
    '/api/2.1/jobs/create',
    settings({}).replace('{', '{"timeout_seconds": 18446744073709551616, ')
  );
  post('max_retries -0.5', '/api/2.1/jobs/create', settings({ tasks: [{ ...task, max_retries: -0.5 }] }));

  // Loose checks: values that must be refused rather than coerced.
  post(
    'job_parameters value an object',
    '/api/2.1/jobs/run-now',
    JSON.stringify({ job_id: jobId, job_parameters: { p: { x: 1 } } }),
    'Invalid value for job_parameters.p: expected a string, found an object'
  );
  post(
    'job_parameters value null',
    '/api/2.1/jobs/run-now',
    JSON.stringify({ job_id: jobId, job_parameters: { p: null } }),
    'Invalid value for job_parameters.p: expected a string, found null'
  );
  post(
    'job_parameters an array',
    '/api/2.1/jobs/run-now',
    JSON.stringify({ job_id: jobId, job_parameters: ['a'] }),
    'expected an object of strings'
  );
  post(
    'idempotency_token 5 (run-now)',
    '/api/2.1/jobs/run-now',
    JSON.stringify({ job_id: jobId, idempotency_token: 5 }),
    'Invalid value for idempotency_token: expected a string, found 5'
  );
  post(
    'idempotency_token 5 (submit)',
    '/api/2.1/jobs/runs/submit',
    settings({ idempotency_token: 5 }),
    'Invalid value for idempotency_token: expected a string, found 5'
  );
  post(
    'run_name an object',
    '/api/2.1/jobs/runs/submit',
    settings({ run_name: {} }),
    'Invalid value for run_name: expected a string, found an object'
  );
  post(
    'fields_to_remove 5',
    '/api/2.1/jobs/update',
    JSON.stringify({ job_id: jobId, fields_to_remove: 5 }),
    'Invalid value for fields_to_remove: expected an array of strings, found 5'
  );
  post(
    'fields_to_remove [1]',
    '/api/2.1/jobs/update',
    JSON.stringify({ job_id: jobId, fields_to_remove: [1] }),
    'Invalid value for fields_to_remove: expected an array of strings, found an array'
  );
  post(
    'new_settings "x" (update)',
    '/api/2.1/jobs/update',
    JSON.stringify({ job_id: jobId, new_settings: 'x' }),
    'Invalid value for new_settings: expected an object, found "x"'
  );
  post(
    'new_settings [] (reset)',
    '/api/2.1/jobs/reset',
    JSON.stringify({ job_id: jobId, new_settings: [] }),
    'Invalid value for new_settings: expected an object, found an array'
  );
  post(
    'rerun_tasks "a"',
    '/api/2.1/jobs/runs/repair',
    JSON.stringify({ run_id: 1, rerun_tasks: 'a' }),
    'Invalid value for rerun_tasks: expected an array of strings, found "a"'
  );
  cases.push({
    name: 'jobs/list name=[]',
    method: 'POST',
    path: '/api/2.1/jobs/list',
    body: JSON.stringify({ name: [] }),
    message: 'Invalid value for name',
  });

  // Wrong methods.
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'GET'])
    cases.push({ name: `${method} jobs/create`, method, path: '/api/2.1/jobs/create' });
  cases.push({ name: 'DELETE permissions', method: 'DELETE', path: `/api/2.0/permissions/jobs/${jobId}` });
  cases.push({ name: 'POST permissions', method: 'POST', path: `/api/2.0/permissions/jobs/${jobId}`, body: '{}' });

  // Broken HTTP: no client sends these, a hostile one does.
  const head = (extra: string) =>
    `POST /api/2.1/jobs/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${extra}`;
  cases.push({ name: 'Content-Length not a number', path: '', raw: `${head('Content-Length: abc\r\n\r\n')}{}` });
  cases.push({ name: 'Content-Length negative', path: '', raw: `${head('Content-Length: -1\r\n\r\n')}{}` });
  cases.push({
    name: 'two Content-Lengths',
    path: '',
    raw: `${head('Content-Length: 2\r\nContent-Length: 3\r\n\r\n')}{}`,
  });
  cases.push({
    name: 'Content-Length shorter than the body',
    path: '',
    raw: `${head('Content-Length: 5\r\n\r\n')}{"name": "x"}`,
  });
  cases.push({
    name: 'Content-Length with chunked',
    path: '',
    raw: `${head('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n')}2\r\n{}\r\n0\r\n\r\n`,
  });
  cases.push({
    name: 'malformed chunk size',
    path: '',
    raw: `${head('Transfer-Encoding: chunked\r\n\r\n')}zz\r\n{}\r\n0\r\n\r\n`,
  });
  cases.push({
    name: 'a header line without a colon',
    path: '',
    raw: `${head('Broken header\r\nContent-Length: 2\r\n\r\n')}{}`,
  });
  cases.push({
    name: '100 KiB of headers',
    path: '',
    raw: `${head(`X-Big: ${'x'.repeat(100 * 1024)}\r\nContent-Length: 2\r\n\r\n`)}{}`,
  });
  return cases;
}

describe('hostile requests', () => {
  const engine = useEngine('hostile api');
  let app: FastifyInstance;
  let base: URL;
  const log = new PassThrough();
  let logText = '';
  log.on('data', (d: Buffer) => (logText += d.toString()));

  beforeAll(async () => {
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens(TOKEN),
      workspaceDir: engine.workDir,
      log: { level: 'debug', stream: log },
    });
    base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers every request of the corpus with a 4xx and a Databricks error body; stays healthy', async () => {
    const created = await send(base, 'POST', '/api/2.1/jobs/create', settings({}));
    expect(created.status).toBe(200);
    const jobId = (JSON.parse(created.body) as { job_id: number }).job_id;
    const cases = corpus(jobId);
    expect(cases.length).toBeGreaterThanOrEqual(100);

    const failures: string[] = [];
    const requestIds: string[] = [];
    for (const c of cases) {
      let reply: Reply;
      try {
        reply =
          c.raw !== undefined ? await sendRaw(base, c.raw) : await send(base, c.method!, c.path, c.body, c.headers);
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`);
        continue;
      }
      let body: { error_code?: unknown; message?: unknown } = {};
      try {
        body = JSON.parse(reply.body) as typeof body;
      } catch {
        // reported below
      }
      const ok =
        reply.status >= 400 &&
        reply.status < 500 &&
        typeof body.error_code === 'string' &&
        /^[A-Z_]+$/.test(body.error_code) &&
        typeof body.message === 'string' &&
        (c.message === undefined || body.message.includes(c.message)) &&
        (c.code === undefined || body.error_code === c.code) &&
        reply.nosniff === 'nosniff';
      if (!ok) failures.push(`${c.name}: ${reply.status} ${reply.body.slice(0, 300)}`);
      if (reply.requestId) requestIds.push(reply.requestId);
    }
    expect(failures).toEqual([]);

    // Every request that reached the router was logged once at debug level with its request id.
    const lines = logText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; reqId?: string; msg: string; status?: number });
    const logged = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.reqId));
    expect(requestIds.length).toBeGreaterThan(cases.length - 20);
    expect(requestIds.filter((id) => !logged.has(id))).toEqual([]);
    // None of them was a server error.
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);

    // Healthy afterwards: create, get, run, list.
    const again = await send(base, 'POST', '/api/2.1/jobs/create', settings({ name: 'after the storm' }));
    expect(again.status).toBe(200);
    const id = (JSON.parse(again.body) as { job_id: number }).job_id;
    const got = await send(base, 'GET', `/api/2.1/jobs/get?job_id=${id}`);
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ job_id: id, settings: { name: 'after the storm' } });
    const run = await send(base, 'POST', '/api/2.1/jobs/run-now', JSON.stringify({ job_id: id }));
    expect(run.status).toBe(200);
    const runId = (JSON.parse(run.body) as { run_id: number }).run_id;
    const finished = await engine.client.waitForRun(runId, { timeoutMs: 60_000 });
    expect(finished.state.result_state).toBe('SUCCESS');
    expect((await send(base, 'GET', '/api/2.1/jobs/list')).status).toBe(200);
  });

  it('a server error is logged with the request id that its response body carries', async () => {
    // A client whose connection to Temporal is closed: every lookup fails inside the server.
    const closed = await DurableJobsClient.connect({ address: engine.address, taskQueue: engine.taskQueue });
    await closed.close();
    const errors = new PassThrough();
    let errorLog = '';
    errors.on('data', (d: Buffer) => (errorLog += d.toString()));
    const broken = await createApiServer({
      client: closed,
      tokens: adminTokens(TOKEN),
      workspaceDir: engine.workDir,
      log: { level: 'info', stream: errors },
    });
    try {
      const url = new URL(await broken.listen({ port: 0, host: '127.0.0.1' }));
      const reply = await send(url, 'GET', '/api/2.1/jobs/get?job_id=1');
      expect(reply.status).toBeGreaterThanOrEqual(500);
      const body = JSON.parse(reply.body) as { error_code: string; message: string; details: { request_id: string }[] };
      expect(reply.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.details).toContainEqual({
        '@type': 'type.googleapis.com/google.rpc.RequestInfo',
        request_id: reply.requestId,
        serving_data: '',
      });
      const logged = errorLog
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: number; reqId: string; msg: string; err?: { stack?: string } });
      const line = logged.find((l) => l.reqId === reply.requestId);
      expect(line).toMatchObject({ level: 50, msg: 'request failed' });
      expect(line!.err?.stack).toBeTruthy();
      // Requests are logged at debug level only: at info, the error is the request's only line.
      expect(logged.filter((l) => l.reqId !== undefined)).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });
});
