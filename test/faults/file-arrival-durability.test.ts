// A file-arrival trigger survives kill -9 of its worker and of the Temporal server (persistent
// SQLite): files that land while both are down start a run once both are back, and no file
// ever starts two runs.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupNamespace } from '../../client';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';
import { job, sh, testDataConverter, testEncryptionKeys, waitFor } from '../integration/harness';
import { temporalClientOf } from '../../client/jobs-client';

const root = path.resolve(__dirname, '..', '..');

const dead = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

describe('file arrival across crashes', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-fa-'));
  const taskQueue = `fa-durable-${process.pid}`;
  // What the task writes: a directory of its own (sandboxed tasks may write only where they are given).
  const files = path.join(work, 'files');
  fs.mkdirSync(files);
  let server: DevServer | undefined;
  let worker: ChildProcess | undefined;
  let client: DurableJobsClient | undefined;

  afterAll(async () => {
    if (worker && !dead(worker)) worker.kill('SIGKILL');
    await client?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const startServer = async (port: number) => {
    const cliPath = await findTemporalCli({
      ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
    });
    if (!cliPath) throw new Error('temporal CLI not found');
    const s = await startDevServer({
      cliPath,
      dbFilename: path.join(work, 'temporal.db'),
      port,
      headless: true,
      logFile: path.join(work, 'server.log'),
    });
    expect(s.address).toBe(`127.0.0.1:${port}`);
    // Idempotent: the restarted server keeps its database, and with it the setup.
    await setupNamespace({ address: s.address });
    return s;
  };
  const startWorker = (address: string) => {
    const w = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'index.js'), 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        DJOBS_TASK_QUEUE: taskQueue,
        DJOBS_HOME: path.join(work, 'home'),
        DJOBS_SANDBOX_READ_WRITE: files,
        DJOBS_ENCRYPTION_KEYS: testEncryptionKeys(),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    w.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker ${w.pid}] ${d.toString()}`));
    return w;
  };
  const connect = (address: string) =>
    DurableJobsClient.connect({
      address,
      taskQueue,
      dataConverter: testDataConverter(),
      triggers: { fileArrivalPollSeconds: 0.2 },
    });

  it('kill -9 of the worker and of the server loses and repeats no trigger', async () => {
    const port = await freePort();
    server = await startServer(port);
    worker = startWorker(server.address);
    client = await connect(server.address);
    const dir = path.join(work, 'landing');
    const out = path.join(files, 'seen.txt');
    fs.mkdirSync(dir);
    const { job_id } = await client.createJob(
      job('durable arrivals', [sh('t', `echo '{{job.trigger.file_arrival.files}}' >> ${out}`)], {
        trigger: { file_arrival: { url: dir } },
        queue: { enabled: true },
      })
    );
    const watcher = `djobs-watch-${job_id}`;
    const c = () => client!;
    await waitFor(
      async () =>
        (
          await temporalClientOf(c())
            .workflow.getHandle(watcher)
            .query<{ state: { baselined: boolean } }>('getTriggerState')
        ).state.baselined,
      'the watcher to take stock',
      60_000
    );
    const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n') : []);
    fs.writeFileSync(path.join(dir, 'a.csv'), 'a');
    const [first] = await waitFor(
      async () => {
        const runs = await c().listRuns({ jobId: job_id });
        return runs.length > 0 ? runs : undefined;
      },
      'the run for a.csv',
      60_000
    );
    await c().waitForRun(first!.run_id, { timeoutMs: 60_000 });

    // Worker down: b arrives. Server down too (kill -9): c arrives.
    worker.kill('SIGKILL');
    await waitFor(() => dead(worker!), 'the worker to die');
    fs.writeFileSync(path.join(dir, 'b.csv'), 'b');
    process.kill(server.pid, 'SIGKILL');
    await waitFor(async () => {
      try {
        process.kill(server!.pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the server to die');
    fs.writeFileSync(path.join(dir, 'c.csv'), 'c');
    await client.close().catch(() => undefined);

    server = await startServer(port);
    worker = startWorker(server.address);
    client = await connect(server.address);
    await waitFor(
      () => lines().join('').includes('c.csv') && lines().join('').includes('b.csv'),
      'runs for b.csv and c.csv',
      120_000
    );
    // Several polls later, still nothing twice.
    const polls = async () => (await temporalClientOf(c()).workflow.getHandle(watcher).describe()).historyLength ?? 0;
    const before = await polls();
    await waitFor(async () => (await polls()) > before + 20, 'more polls', 60_000);
    // Each file started exactly one run (what triggered each run is in its trigger_info)…
    const runs = await c().listRuns({ jobId: job_id, limit: 25 });
    expect(runs.every((r) => r.trigger === 'FILE_ARRIVAL')).toBe(true);
    const triggered = (
      await Promise.all(runs.map(async (r) => (await c().waitForRun(r.run_id, { timeoutMs: 60_000 })).trigger_info))
    ).flatMap((t) => t?.file_arrival?.files ?? []);
    expect(triggered.map((f) => path.basename(f)).sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
    // …and every run's task saw its files.
    const seen = new Set(lines().flatMap((l) => JSON.parse(l) as string[]));
    expect([...seen].map((f) => path.basename(f)).sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
    await c().deleteJob(job_id);
  }, 300_000);
});
