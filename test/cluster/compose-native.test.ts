// docker-compose.yml run natively, end to end (no Docker engine here): PostgreSQL, the compose's
// schema setup, the Temporal server as its image runs it, the compose's namespace and search
// attribute setup (servers/native-cluster.ts), then the compose's djobs services as processes
// with the compose's environment: two workers (replicas: 2), the REST API reading its admin token
// from a secret file, and the CLI running the ETL example as the compose header says
// (`djobs-cli run /jobs/etl/job.json`). Then what production relies on: kill -9 of the Temporal
// server in the middle of a run, a restart on the same PostgreSQL, and the run still finishes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../servers/dev-server';
import { composeServices, startNativeCluster, type NativeCluster } from '../../servers/native-cluster';
import { findTemporalCli } from '../../servers/temporal-cli';
import { generateKeyLine } from '../../encryption/key-ring';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { indexedValueTypes } from '../../client/search-attributes';
import { waitFor } from '../integration/harness';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');
const TOKEN = 'compose-native-admin-token-0123456789';

interface RunBody {
  run_id: number;
  state: { life_cycle_state: string; result_state?: string };
  tasks: { task_key: string; state: { life_cycle_state: string; result_state?: string } }[];
}

describe('docker-compose.yml, run natively on PostgreSQL', () => {
  let cluster: NativeCluster;
  let dir: string;
  let apiBase: string;
  const children: ChildProcess[] = [];
  const output = new Map<ChildProcess, string>();
  /** The environment of compose service `name`, its /run/secrets and /jobs, /data and temporal:7233 mapped here. */
  let composeEnv: (name: string) => NodeJS.ProcessEnv;

  /** A compose djobs service as a process: `node dist/cli/index.js …args` with that service's environment. */
  function service(name: string, args: string[]): ChildProcess {
    const child = spawn(process.execPath, [cli, ...args], { env: composeEnv(name), stdio: ['ignore', 'pipe', 'pipe'] });
    output.set(child, '');
    const keep = (d: Buffer) => output.set(child, output.get(child)! + d.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    children.push(child);
    return child;
  }

  async function runsGet(runId: number): Promise<RunBody> {
    const res = await fetch(`${apiBase}/api/2.1/jobs/runs/get?run_id=${runId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as RunBody;
  }

  beforeAll(async () => {
    const temporalCli = await findTemporalCli({});
    if (!temporalCli) throw new Error('The temporal CLI was not found: run `npm run ensure-temporal`.');
    cluster = await startNativeCluster({ temporalCli });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-compose-'));
    // The compose's secret files and volumes: ./secrets/*, djobs-data (/data), ./examples (/jobs).
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'encryption-keys'), `${generateKeyLine('k1')}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, 'api-token'), `${TOKEN}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, 'codec-token'), `compose-native-codec-token-0123456789\n`, { mode: 0o600 });
    const jobs = path.join(dir, 'jobs');
    fs.cpSync(path.join(root, 'examples'), jobs, { recursive: true, filter: (src) => !src.includes('_output') });
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    const services = composeServices();
    composeEnv = (name) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      // Only what the compose file gives: no key ring or token from the test's own environment.
      for (const key of Object.keys(env)) if (key.startsWith('DJOBS_') || key.startsWith('TEMPORAL_')) delete env[key];
      for (const [key, value] of Object.entries(services[name]!.environment ?? {}))
        env[key] = value
          .replace('temporal:7233', cluster.address)
          .replace('/run/secrets/djobs-', `${secrets}/`)
          .replace(/^\/data$/, data)
          .replace(/^\/jobs$/, jobs);
      return env;
    };
  }, 900_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the setup registered the namespace and exactly the search attributes the engine uses', async () => {
    // Before any djobs process runs: workers and the API only check them (`djobs admin setup` registers).
    const connection = await Connection.connect({ address: cluster.address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(720 * 3600);
      // Each service caches namespaces (refreshed every few seconds): a namespace just created may
      // be unknown to the operator service for a moment.
      const { customAttributes } = await waitFor(
        () => connection.operatorService.listSearchAttributes({ namespace: 'default' }),
        'the operator service to know the namespace',
        60_000
      );
      expect(customAttributes).toEqual(indexedValueTypes(ALL_SEARCH_ATTRIBUTES));
    } finally {
      await connection.close();
    }
  });

  it('the ETL example runs through the CLI to SUCCESS on two workers, and the REST API reports it', async () => {
    const workers = [service('djobs-worker', ['worker']), service('djobs-worker', ['worker'])];
    for (const w of workers)
      await waitFor(() => output.get(w)!.includes('djobs worker:'), `a worker to start (${output.get(w)})`, 120_000);
    // compose: ['api', '--host', '0.0.0.0', '--port', '8080']; here on loopback and a free port.
    const port = await freePort();
    const api = service('djobs-api', ['api', '--host', '127.0.0.1', '--port', String(port)]);
    await waitFor(
      () => output.get(api)!.includes('durable-jobs API at'),
      `the API to start (${output.get(api)})`,
      120_000
    );
    // The token came from the secret file: the API generated none.
    expect(output.get(api)).not.toContain('Generated an admin token');
    apiBase = `http://127.0.0.1:${port}`;

    const { stdout } = await exec(
      process.execPath,
      [cli, 'run', path.join(dir, 'jobs', 'etl', 'job.json'), '-o', 'json'],
      {
        env: composeEnv('djobs-cli'),
        timeout: 300_000,
      }
    );
    const fromCli = JSON.parse(stdout) as RunBody;
    expect(fromCli.state.result_state).toBe('SUCCESS');

    const run = await runsGet(fromCli.run_id);
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' });
    expect(run.tasks.map((t) => [t.task_key, t.state.result_state])).toEqual([
      ['ingest_bronze', 'SUCCESS'],
      ['transform_silver', 'SUCCESS'],
      ['aggregate_gold', 'SUCCESS'],
    ]);
    const gold = fs.readFileSync(path.join(dir, 'jobs', 'etl', '_output', 'customers_by_country.csv'), 'utf8');
    expect(
      gold
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').slice(0, 2).join(','))
    ).toEqual(['GB,3', 'US,3', 'NL,1']);
  });

  it('kill -9 of the Temporal server mid-run: restarted on the same PostgreSQL, the run finishes', async () => {
    // In /jobs, the one volume the compose lets sandboxed tasks write (DJOBS_SANDBOX_READ_WRITE).
    const started = path.join(dir, 'jobs', 'started');
    const release = path.join(dir, 'jobs', 'release');
    const submit = await fetch(`${apiBase}/api/2.1/jobs/runs/submit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        run_name: 'survives a server crash',
        tasks: [
          {
            task_key: 'wait',
            shell_command_task: { command: `touch ${started}; while [ ! -e ${release} ]; do sleep 0.2; done` },
          },
          { task_key: 'after', depends_on: [{ task_key: 'wait' }], shell_command_task: { command: 'echo after' } },
        ],
      }),
    });
    expect(submit.status).toBe(200);
    const { run_id } = (await submit.json()) as { run_id: number };
    await waitFor(() => fs.existsSync(started), 'the first task to start', 120_000);

    const before = cluster.serverPid();
    await cluster.killServer();
    await cluster.restartServer();
    expect(cluster.serverPid()).not.toBe(before);
    fs.writeFileSync(release, '');

    // The workers and the API reconnect by themselves; the run was only in PostgreSQL meanwhile.
    const run = await waitFor(
      async () => {
        const r = await runsGet(run_id);
        return r.state.life_cycle_state === 'TERMINATED' ? r : undefined;
      },
      'the run to finish after the restart',
      240_000
    );
    expect(run.state.result_state).toBe('SUCCESS');
    expect(run.tasks.map((t) => [t.task_key, t.state.result_state])).toEqual([
      ['wait', 'SUCCESS'],
      ['after', 'SUCCESS'],
    ]);
  });
});
