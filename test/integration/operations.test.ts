// What an operator relies on (docs/operations.md): probes on the API and on a worker, ready and
// then not ready when Temporal stops; one JSON line per attempt start and end; a start-up that
// fails fails fast with one line; one SIGTERM stops a busy worker.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TokenMap } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient, setupTemporal } from '../../client';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { processesWhere } from '../helpers/dev-process';
import {
  engineEnv,
  job,
  safeName,
  sh,
  startEngine,
  testDataConverter,
  testEncryptionKeys,
  waitFor,
  type Engine,
} from './harness';
import { inject } from 'vitest';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

/** A `djobs` process with its output so far and its exit (code, when). */
function djobs(args: string[], env: NodeJS.ProcessEnv) {
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - started }))
  );
  return { child, out, exit };
}

/** The environment of a `djobs` process that reaches Temporal at `address` with the test key ring. */
function envFor(address: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-ops-'));
  return {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    DJOBS_HOME: home,
    DJOBS_ENCRYPTION_KEYS: testEncryptionKeys(),
    ...extra,
  };
}

const probe = async (base: string, p: string) => {
  const res = await fetch(`${base}${p}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('probes on the API and on a worker', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-probes-'));
  let server: DevServer | undefined;
  let client: DurableJobsClient | undefined;
  let api: FastifyInstance | undefined;
  let worker: ReturnType<typeof djobs> | undefined;
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await api?.close();
    await client?.close();
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('answer without a token, ready while Temporal answers, 503 with the reason once it stops', async () => {
    const cliPath = await findTemporalCli({
      ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
    });
    if (!cliPath) throw new Error('temporal CLI not found');
    // A server of this test's own, since it is stopped.
    server = await startDevServer({ cliPath, port: await freePort(), headless: true, logFile: path.join(work, 'log') });
    const connection = await Connection.connect({ address: server.address });
    await setupTemporal(connection, 'default');
    await connection.close();
    const taskQueue = `t-${safeName('probes')}`;
    client = await DurableJobsClient.connect({
      address: server.address,
      taskQueue,
      dataConverter: testDataConverter(),
    });
    api = await createApiServer({ client, tokens: new TokenMap(), workspaceDir: work, log: { level: 'silent' } });
    const apiBase = await api.listen({ port: 0, host: '127.0.0.1' });

    worker = djobs(['worker', '--health-port', '0'], envFor(server.address, { DJOBS_TASK_QUEUE: taskQueue }));
    const workerBase = await waitFor(
      () => /health at (http:\/\/\S+)/.exec(worker!.out.stdout)?.[1],
      `the worker's health address (stderr: ${worker.out.stderr})`
    );

    expect(await probe(apiBase, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await probe(apiBase, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { temporal: 'ok', namespace: 'ok' } });
    expect((ready.body.checks as Record<string, string>).key_ring).toMatch(/^ok \(1 key, primary test-run\)$/);
    expect(await probe(workerBase, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const workerReady = await probe(workerBase, '/readyz');
    expect(workerReady.status).toBe(200);
    expect(workerReady.body.checks).toMatchObject({ worker: 'ok (polling)', temporal: 'ok', namespace: 'ok' });

    // One JSON line per attempt start and end on the worker's stdout.
    const { run_id } = await client.submitRun(job('attempt log', [sh('hello', 'echo hi')]));
    expect((await client.waitForRun(run_id)).state.result_state).toBe('SUCCESS');
    const lines = await waitFor(() => {
      const events = worker!.out.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.run_id === run_id);
      return events.length === 2 && events;
    }, 'the attempt start and end lines');
    expect(lines.map((e) => e.event)).toEqual(['attempt_started', 'attempt_ended']);
    expect(lines[1]).toMatchObject({ task_key: 'hello', attempt_number: 0, outcome: 'SUCCESS' });
    expect(lines[1]!.duration_ms).toEqual(expect.any(Number));

    await server.stop();
    const notReady = await waitFor(async () => {
      const r = await probe(apiBase, '/readyz');
      return r.status === 503 && r;
    }, 'the API not ready');
    expect(notReady.body).toMatchObject({
      status: 'not ready',
      reason: expect.stringMatching(/^temporal: unreachable/),
    });
    const workerNotReady = await waitFor(async () => {
      const r = await probe(workerBase, '/readyz');
      return r.status === 503 && r;
    }, 'the worker not ready');
    expect(workerNotReady.body.reason).toMatch(/^temporal: unreachable/);
    // Alive all the same: a supervisor restarts nothing while Temporal is away.
    expect((await probe(apiBase, '/healthz')).status).toBe(200);
    expect((await probe(workerBase, '/healthz')).status).toBe(200);
  }, 120_000);
});

/** Correctness bound on a start-up that cannot succeed (the "within seconds"), not a performance target. */
const FAIL_FAST_MS = 10_000;

describe('a start-up that cannot succeed', () => {
  const cases: { what: string; args?: string[]; env: () => Promise<NodeJS.ProcessEnv>; code: number; line: RegExp }[] =
    [
      {
        what: 'a worker without its key file',
        env: async () => ({ DJOBS_ENCRYPTION_KEYS: '', DJOBS_ENCRYPTION_KEY_FILE: '/nonexistent/encryption-keys' }),
        code: 2,
        line: /^Error: invalid durable-jobs configuration: No encryption key: \/nonexistent\/encryption-keys does not exist\./,
      },
      {
        what: 'a worker whose TLS file is missing',
        env: async () => ({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }),
        code: 2,
        line: /^Error: invalid durable-jobs configuration: cannot read TEMPORAL_TLS_CA \/nonexistent\/ca.pem: ENOENT/,
      },
      {
        what: 'a worker with bad configuration',
        env: async () => ({ DJOBS_WORKER_MAX_TASKS: 'many' }),
        code: 2,
        line: /^Error: invalid durable-jobs configuration: DJOBS_WORKER_MAX_TASKS: /,
      },
      {
        what: 'a worker that cannot reach Temporal within its budget',
        env: async () => ({
          TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
          DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS: '2',
        }),
        code: 3,
        line: /^Error: Cannot reach Temporal at 127\.0\.0\.1:\d+: /,
      },
      {
        what: 'an API whose certificate file is missing',
        args: ['api', '--port', '0'],
        env: async () => ({ DJOBS_API_TLS_CERT: '/nonexistent/api.pem', DJOBS_API_TLS_KEY: '/nonexistent/api.key' }),
        code: 2,
        line: /^Error: invalid durable-jobs configuration: cannot read DJOBS_API_TLS_CERT \/nonexistent\/api.pem: ENOENT/,
      },
    ];
  for (const c of cases)
    it(`${c.what} prints one line and exits ${c.code} within seconds`, async () => {
      const p = djobs(c.args ?? ['worker'], envFor(inject('temporalAddress'), await c.env()));
      const exit = await p.exit;
      expect(p.out.stderr).toMatch(c.line);
      expect(p.out.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(exit).toMatchObject({ code: c.code, signal: null });
      expect(exit.ms).toBeLessThan(FAIL_FAST_MS);
    }, 30_000);
});

describe('stopping a worker', () => {
  let engine: Engine | undefined;
  afterAll(() => engine?.stop());

  it('one SIGTERM stops a busy worker: it drains, kills the running attempt and exits 0', async () => {
    engine = await startEngine('sigterm busy worker', { worker: false });
    const marker = `djobs-busy-${safeName('marker')}`;
    const worker = djobs(['worker'], engineEnv(engine));
    const { run_id } = await engine.client.submitRun(job('busy', [sh('sleeper', `sleep 300 && echo ${marker}`)]));
    await waitFor(
      () => worker.out.stdout.includes(`"event":"attempt_started","run_id":${run_id}`),
      'the attempt to start'
    );
    await waitFor(() => processesWhere((p) => p.cmdline().includes(marker)).length > 0, 'the task process');
    worker.child.kill('SIGTERM');
    const exit = await worker.exit;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // The attempt's processes die with it (its supervisor's parent-death signal or the cancellation).
    await waitFor(() => processesWhere((p) => p.cmdline().includes(marker)).length === 0, 'the task processes gone');
  }, 90_000);
});

describe('a bare Temporal namespace', () => {
  const address = () => inject('temporalAddress');
  const notSetUp = (namespace: string, missing: string) =>
    new RegExp(
      `^Error: Temporal is not set up for durable-jobs: ${missing}\\. Run \`djobs admin setup\` once, with Temporal operator rights \\(docs/operations\\.md\\)\\.\\n$`.replace(
        'NS',
        namespace
      )
    );
  const finished = async (args: string[], env: NodeJS.ProcessEnv) => {
    const p = djobs(args, env);
    return { ...(await p.exit), ...p.out };
  };

  it('refuses commands, workers and the API with exit 3 naming `djobs admin setup`, and works after it', async () => {
    const namespace = `bare-${safeName('ns')}`;
    const env = envFor(address(), { TEMPORAL_NAMESPACE: namespace, DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS: '2' });
    const missing = notSetUp(namespace, `namespace "NS" does not exist`);
    for (const args of [['jobs', 'list'], ['worker'], ['api', '--port', '0']]) {
      const r = await finished(args, env);
      expect(r.stderr, args.join(' ')).toMatch(missing);
      expect(r.code, args.join(' ')).toBe(3);
    }

    const setup = await finished(['admin', 'setup', '--retention', '7'], env);
    expect(setup.stderr).toBe('');
    // Every attribute of workflows/search-attributes.ts, those of other features (bundles) included.
    expect(setup.stdout).toBe(
      `namespace ${namespace}: created, retention 7 days\nsearch attributes: registered ${ALL_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}\n`
    );
    expect(setup.stdout).toContain('DjobsBundleDeployment');
    expect(setup.code).toBe(0);
    // Once is enough; a second setup changes nothing.
    const again = await finished(['admin', 'setup'], env);
    expect(again.stdout).toBe(
      `namespace ${namespace}: exists, retention 7 days\nsearch attributes: all registered already\n`
    );

    const created = await finished(
      ['jobs', 'create', '--json', JSON.stringify(job('after setup', [sh('t', 'true')]))],
      env
    );
    expect(created.code).toBe(0);
    const listed = await finished(['-o', 'json', 'jobs', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('after setup');
    const worker = djobs(['worker', '--health-port', '0'], env);
    try {
      const base = await waitFor(() => /health at (http:\/\/\S+)/.exec(worker.out.stdout)?.[1], 'the worker started');
      expect((await probe(base, '/readyz')).status).toBe(200);
    } finally {
      worker.child.kill('SIGTERM');
      expect((await worker.exit).code).toBe(0);
    }
  }, 120_000);

  it('names the search attributes a namespace made without `djobs admin setup` lacks', async () => {
    const namespace = `nosa-${safeName('ns')}`;
    const connection = await Connection.connect({ address: address() });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(86_400_000),
      });
    } finally {
      await connection.close();
    }
    const env = envFor(address(), { TEMPORAL_NAMESPACE: namespace });
    const r = await waitFor(async () => {
      // A namespace just registered takes a moment to be known everywhere.
      const res = await finished(['jobs', 'list'], env);
      return !res.stderr.includes('does not exist') && res;
    }, 'the namespace known');
    expect(r.stderr).toMatch(
      notSetUp(
        namespace,
        `search attributes ${ALL_SEARCH_ATTRIBUTES.map((key) => key.name).join(', ')} are not registered in namespace "NS"`
      )
    );
    expect(r.code).toBe(3);
  }, 60_000);
});

describe("docs/operations.md's TLS recipe", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-tls-recipe-'));
  let api: FastifyInstance | undefined;
  let client: DurableJobsClient | undefined;
  afterAll(async () => {
    await api?.close();
    await client?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('makes a certificate the API serves HTTPS with, trusted through ca.pem alone', async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
    const recipe = /<!-- tls-recipe[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(recipe).toBeDefined();
    await promisify(execFile)('bash', ['-euc', recipe!], { cwd: work });
    client = await DurableJobsClient.connect({
      address: inject('temporalAddress'),
      dataConverter: testDataConverter(),
    });
    api = await createApiServer({
      client,
      tokens: new TokenMap(),
      workspaceDir: work,
      log: { level: 'silent' },
      https: { cert: fs.readFileSync(path.join(work, 'api.pem')), key: fs.readFileSync(path.join(work, 'api.key')) },
    });
    const address = await api.listen({ port: 0, host: '127.0.0.1' });
    const port = new URL(address).port;
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/healthz',
            ca: fs.readFileSync(path.join(work, 'ca.pem')),
            servername: 'localhost',
          },
          (res) => {
            let data = '';
            res.on('data', (d: Buffer) => (data += d.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${data}`));
          }
        )
        .on('error', reject);
    });
    expect(body).toBe('200 {"status":"ok"}');
  }, 60_000);
});
