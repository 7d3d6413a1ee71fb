// Issue 25, tried as hostile users would: four principals (users alice, bob and mallory, who holds
// no grant, and the service principal etl-bot; bob owns the secret scope bob-scope) against the
// REST API, a worker and a raw Temporal client. Every finding of the identity, Temporal,
// run_job_task and limits items is reproduced here and shown refused or contained
// (docs/security.md points at each test).
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { job, principalTokens, sh, tokenOf, useApiServer, useEngine, waitFor, type TestPrincipal } from './harness';

const PRINCIPALS: TestPrincipal[] = [
  { who: 'alice' },
  { who: 'bob' },
  { who: 'mallory' },
  { who: 'bot', servicePrincipal: 'etl-bot' },
];

describe('hostile users', () => {
  const engine = useEngine('hostile users');
  const api = useApiServer(engine, PRINCIPALS);
  const alice = api.as('alice');
  const mallory = api.as('mallory');

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
