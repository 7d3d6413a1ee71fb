// docs/operations.md's key rotation through to dropping the old key: after a rotation `djobs admin
// keys` shows what still uses the old key, `djobs admin reencrypt` writes the stored records again
// with the new one, and with the old key gone from the ring the jobs, secrets and destinations still
// load and the jobs still run. In a namespace of its own: re-encrypting touches every record there.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupTemporal, type KeyUse } from '../../client';
import { djobsDataConverter } from '../../encryption/data-converter';
import { generateKeyLine, parseKeyRing } from '../../encryption/key-ring';
import { engineEnv, job, safeName, sh, startEngine, waitFor, type Engine } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

/** A finished `djobs` command: its exit code and output. */
function djobs(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return {
    child,
    out,
    exit: new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, ...out }))
    ),
  };
}

const ADMIN = { name: 'ops-admin', kind: 'user' as const, groups: [], admin: false };

describe('djobs admin keys and reencrypt after a key rotation', () => {
  let engine: Engine | undefined;
  const clients: DurableJobsClient[] = [];
  let worker: ReturnType<typeof djobs> | undefined;
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await Promise.all(clients.map((c) => c.close()));
    await engine?.stop();
  });

  it('lists what still uses the old key, re-encrypts it, and everything loads and runs without it', async () => {
    engine = await startEngine('admin keys', { worker: false });
    const namespace = `keys-${safeName('ns')}`;
    const connection = await Connection.connect({ address: engine.address });
    await setupTemporal(connection, namespace);
    await connection.close();
    const oldKey = generateKeyLine('k-old');
    const newKey = generateKeyLine('k-new');
    const connect = async (keys: string) => {
      const client = await DurableJobsClient.connect({
        address: engine!.address,
        namespace,
        taskQueue: engine!.taskQueue,
        user: ADMIN.name,
        dataConverter: djobsDataConverter(parseKeyRing(keys, 'test')),
      });
      clients.push(client);
      return client;
    };
    const env = (keys: string): NodeJS.ProcessEnv => ({
      ...engineEnv(engine!),
      TEMPORAL_NAMESPACE: namespace,
      DJOBS_ENCRYPTION_KEYS: keys,
    });
    const keysOf = async (keys: string): Promise<KeyUse[]> => {
      const r = await djobs(['-o', 'json', 'admin', 'keys'], env(keys)).exit;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { keys: KeyUse[] }).keys;
    };

    // Before the rotation: two jobs (one with a cron schedule), a secret scope, a destination.
    const before = await connect(oldKey);
    const marker = fs.mkdtempSync(path.join(engine.workDir, 'ran-'));
    const { job_id: first } = await before.createJob(job('keys first', [sh('t', `touch ${marker}/first`)]));
    const { job_id: second } = await before.createJob(
      job('keys second', [sh('t', `touch ${marker}/second`)], {
        schedule: { quartz_cron_expression: '0 0 3 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' },
      })
    );
    await before.secretScopes.createScope('ops-scope', ADMIN.name);
    await before.secretScopes.putSecret('ops-scope', 'token', Buffer.from('s3cret'));
    const destination = await before.notificationDestinations.create({
      display_name: 'ops slack',
      config: { slack: { url: 'https://hooks.slack.example/ops' } },
    });

    // An open run started before the rotation, on a worker with the old ring.
    const oldWorker = djobs(['worker'], env(oldKey));
    const { run_id: open } = await before.submitRun(job('keys open', [sh('t', 'sleep 600')]));
    await waitFor(async () => (await before.getRun(open)).state.life_cycle_state === 'RUNNING', 'the open run running');

    // Rotated: the new key appended; a job saved now uses it.
    const rotated = `${oldKey},${newKey}`;
    const after = await connect(rotated);
    const { job_id: third } = await after.createJob(job('keys third', [sh('t', `touch ${marker}/third`)]));
    const zero = { secret_scopes: 0, notification_destinations: 0, other_records: 0, open_runs: 0 };
    expect(await keysOf(rotated)).toEqual([
      {
        key_id: 'k-old',
        in_key_ring: true,
        primary: false,
        ...zero,
        jobs: 2,
        secret_scopes: 1,
        notification_destinations: 1,
        open_runs: 1,
        other_open_workflows: 0,
      },
      { key_id: 'k-new', in_key_ring: true, primary: true, ...zero, jobs: 1, other_open_workflows: 0 },
    ]);
    const table = await djobs(['admin', 'keys'], env(rotated)).exit;
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(
        /^KEY\s+JOBS\s+SECRET_SCOPES\s+DESTINATIONS\s+OTHER_RECORDS\s+OPEN_RUNS\s+OTHER_OPEN_WORKFLOWS$/
      ),
      expect.stringMatching(/^k-old\s+2\s+1\s+1\s+0\s+1\s+0$/),
      expect.stringMatching(/^k-new \(primary\)\s+1\s+0\s+0\s+0\s+0\s+0$/),
    ]);

    // Runs are not re-encrypted: the open one needs the old key until it ends.
    await before.cancelRun(open);
    expect((await before.waitForRun(open, { timeoutMs: 60_000 })).state.result_state).toBe('CANCELED');
    oldWorker.child.kill('SIGTERM');
    await oldWorker.exit;

    const reencrypt = await djobs(['admin', 'reencrypt'], env(rotated)).exit;
    expect(reencrypt.stderr).toBe('');
    expect(reencrypt.stdout).toBe(
      're-encrypted: 2 jobs, 1 secret scopes, 1 notification destinations, 0 other records; 1 already used the primary key\n'
    );
    expect(reencrypt.code).toBe(0);
    const used = await keysOf(rotated);
    expect(used.find((k) => k.key_id === 'k-old')).toMatchObject({
      jobs: 0,
      secret_scopes: 0,
      notification_destinations: 0,
      other_records: 0,
    });
    expect(used.find((k) => k.key_id === 'k-new')).toMatchObject({
      jobs: 3,
      secret_scopes: 1,
      notification_destinations: 1,
    });

    // The old key dropped: everything loads, the schedule is kept, and the jobs run.
    const onlyNew = await connect(newKey);
    expect((await onlyNew.listJobs()).map((j) => j.settings?.name).sort()).toEqual([
      'keys first',
      'keys second',
      'keys third',
    ]);
    const kept = await onlyNew.getJob(second);
    expect(kept.settings.schedule).toEqual({
      quartz_cron_expression: '0 0 3 * * ?',
      timezone_id: 'UTC',
      pause_status: 'PAUSED',
    });
    expect(kept.creator_user_name).toBe(ADMIN.name);
    expect(await onlyNew.secretScopes.readValue('ops-scope', 'token', ADMIN)).toBe('s3cret');
    expect(await onlyNew.notificationDestinations.readForDelivery(destination.id)).toMatchObject({
      url: 'https://hooks.slack.example/ops',
    });
    worker = djobs(['worker'], env(newKey));
    for (const [jobId, file] of [
      [first, 'first'],
      [second, 'second'],
      [third, 'third'],
    ] as const) {
      const { run_id } = await onlyNew.runNow(jobId);
      const run = await onlyNew.waitForRun(run_id, { timeoutMs: 90_000 });
      expect(run.state.result_state, `${file}: ${JSON.stringify(run.state)}`).toBe('SUCCESS');
      expect(fs.existsSync(path.join(marker, file))).toBe(true);
    }
    const finalKeys = await keysOf(newKey);
    expect(finalKeys).toEqual([expect.objectContaining({ key_id: 'k-new', jobs: 3 })]);
  }, 240_000);
});
