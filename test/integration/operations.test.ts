// What an operator relies on (docs/operations.md): probes on the API and on a worker, ready and
// then not ready when Temporal stops; one JSON line per attempt start and end; a start-up that
// fails fails fast with one line; one SIGTERM stops a busy worker.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TokenMap } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient, setupTemporal } from '../../client';
import { Connection } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';
import { job, safeName, sh, testDataConverter, testEncryptionKeys, waitFor } from './harness';

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
