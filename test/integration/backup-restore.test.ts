// docs/operations.md's backup and restore, end to end: a Temporal server on a SQLite file, a job
// with a cron schedule and a finished run; the server stopped, its database, the key ring and the
// log store copied away and the originals destroyed; restored in place, the server started again:
// the old run reads back (its state and its log) and the schedule is there and fires.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupNamespace } from '../../client';
import { djobsDataConverter } from '../../encryption/data-converter';
import { generateKeyLine, parseKeyRing } from '../../encryption/key-ring';
import { type DevServer } from '../../servers/dev-server';
import { startSqliteDevServer } from '../helpers/sqlite-dev-server';
import { job, safeName, sh, waitFor } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

describe('backup and restore', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-backup-'));
  const home = path.join(work, 'home');
  const backup = path.join(work, 'backup');
  const db = path.join(home, 'temporal.db');
  const keyFile = path.join(home, 'encryption-keys');
  let server: DevServer | undefined;
  let worker: ChildProcess | undefined;
  let client: DurableJobsClient | undefined;
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await client?.close();
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const taskQueue = `t-${safeName('backup')}`;
  const startServer = () => startSqliteDevServer(db, work);
  /** A `djobs worker` and a client of the server, both with the key ring of `home` only. */
  const attach = async (address: string) => {
    worker = spawn(process.execPath, [cli, 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        DJOBS_HOME: home,
        DJOBS_TASK_QUEUE: taskQueue,
        DJOBS_ENCRYPTION_KEYS: '',
        DJOBS_ENCRYPTION_KEY_FILE: keyFile,
        DJOBS_SANDBOX_READ_WRITE: work,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    client = await DurableJobsClient.connect({
      address,
      taskQueue,
      dataConverter: djobsDataConverter(parseKeyRing(fs.readFileSync(keyFile, 'utf8'), keyFile)),
    });
  };
  const detach = async () => {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker!.kill('SIGTERM');
    await exited;
    await client!.close();
    client = undefined;
    await server!.stop();
  };

  it('restores runs, their logs and schedules from the database, the key ring and the log store', async () => {
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyFile, `${generateKeyLine('k-backup')}\n`, { mode: 0o600 });
    server = await startServer();
    await setupNamespace({ address: server.address });
    await attach(server.address);

    // A job that fires every 10 seconds, and one run of it finished with a log. Concurrent runs
    // allowed: a cron fire at the moment of the run-now would otherwise skip the run-now's run.
    const { job_id } = await client!.createJob(
      job('backed up', [sh('t', 'echo backed-up-output')], {
        max_concurrent_runs: 5,
        schedule: { quartz_cron_expression: '0/10 * * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' },
      })
    );
    const { run_id } = await client!.runNow(job_id);
    expect((await client!.waitForRun(run_id, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
    const before = await client!.getRunOutput(run_id);
    expect(before.logs).toContain('backed-up-output');
    await detach();

    // Back up what docs/operations.md names, with the server stopped; then destroy the originals.
    fs.mkdirSync(backup);
    for (const f of fs.readdirSync(home).filter((f) => f.startsWith('temporal.db')))
      fs.copyFileSync(path.join(home, f), path.join(backup, f));
    fs.copyFileSync(keyFile, path.join(backup, 'encryption-keys'));
    fs.cpSync(path.join(home, 'logs'), path.join(backup, 'logs'), { recursive: true });
    fs.rmSync(home, { recursive: true, force: true });

    // Restore in place (runs name their log files by path), and start everything again.
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    for (const f of fs.readdirSync(backup).filter((f) => f.startsWith('temporal.db')))
      fs.copyFileSync(path.join(backup, f), path.join(home, f));
    fs.copyFileSync(path.join(backup, 'encryption-keys'), keyFile);
    fs.cpSync(path.join(backup, 'logs'), path.join(home, 'logs'), { recursive: true });
    server = await startServer();
    await attach(server.address);
    const restoredAt = Date.now();

    const old = await client!.getRun(run_id);
    expect(old.state.result_state).toBe('SUCCESS');
    expect(old.job_id).toBe(job_id);
    const after = await client!.getRunOutput(run_id);
    expect(after.logs).toBe(before.logs);
    expect((await client!.getJob(job_id)).settings.schedule?.quartz_cron_expression).toBe('0/10 * * * * ?');
    // The schedule fires again: a scheduled run started after the restore succeeds.
    const fired = await waitFor(
      async () =>
        (await client!.listRuns({ jobId: job_id, startTimeFrom: restoredAt })).find(
          (r) => r.trigger === 'PERIODIC' && r.state.result_state === 'SUCCESS'
        ),
      'a scheduled run after the restore',
      90_000
    );
    expect(fired.run_id).not.toBe(run_id);
  }, 300_000);
});
