// `djobs dev` stops on SIGTERM whatever state its Temporal server is in: killed, or hung
// (SIGSTOP), with a task in flight. The task's processes go with it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableJobsClient, type JobSettings } from '../../client';
import { alive, job, sh, waitFor } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
/** Correctness bound on how long dev may take to stop (not a performance target). */
const STOP_BOUND_MS = 10_000;

/** The processes whose /proc stat fields (state, ppid, pgrp) and command line `keep` accepts. */
function processesWhere(keep: (p: { state: string; ppid: number; pgrp: number; cmdline: () => string }) => boolean) {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
        const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmdline = () => fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
        return keep({ state: state!, ppid: Number(ppid), pgrp: Number(pgrp), cmdline });
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Child processes of `pid` whose command line contains `needle`. */
const childrenOf = (pid: number, needle: string) =>
  processesWhere((p) => p.ppid === pid && p.cmdline().includes(needle));

/** Live (not zombie) processes of process group `pgid`. */
const groupMembers = (pgid: number) => processesWhere((p) => p.pgrp === pgid && p.state !== 'Z');

/**
 * `djobs dev` started in a home of its own: the process, its output so far, its exit, its address.
 * Its MLflow server only with `mlflow` (on a free port), so the other tests start none.
 */
function startDev(prefix: string, opts: { mlflow?: boolean } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DJOBS_HOME: home,
    DJOBS_PORT: '0',
    DJOBS_UI_PORT: '0',
    DJOBS_MLFLOW_PORT: '0',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.MLFLOW_TRACKING_URI;
  const mlflow = opts.mlflow ? '--mlflow' : '--no-mlflow';
  const dev: ChildProcess = spawn(process.execPath, [cli, 'dev', '--api-port', '0', mlflow], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((r) => dev.once('exit', () => r(Date.now())));
  const stop = () => {
    if (dev.exitCode === null && dev.signalCode === null) dev.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  };
  const address = waitFor(() => /Temporal at (127\.0\.0\.1:\d+)/.exec(out)?.[1], 'djobs dev to start', 60_000);
  address.catch(() => {}); // awaited by the test; a failed start is reported there
  /** Send `signal` to dev: it must exit, within STOP_BOUND_MS of the signal. */
  const stopsOn = async (signal: NodeJS.Signals) => {
    const signaledAt = Date.now();
    dev.kill(signal);
    const exitedAt = await Promise.race([
      exited,
      new Promise<number>((r) => setTimeout(() => r(-1), STOP_BOUND_MS * 2)),
    ]);
    expect(exitedAt, `djobs dev did not exit; output: ${out}`).toBeGreaterThan(0);
    expect(exitedAt - signaledAt).toBeLessThan(STOP_BOUND_MS);
  };
  return { home, dev, stop, address, stopsOn, output: () => out };
}

/** Submit a one-time run to the dev server at `address` (its default queue). */
async function submitTo(address: string, settings: JobSettings): Promise<void> {
  const client = await DurableJobsClient.connect({ address, taskQueue: 'djobs' });
  try {
    await client.submitRun(settings);
  } finally {
    await client.close();
  }
}

describe('djobs dev stops on SIGTERM', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it.each([
    ['killed', 'SIGKILL'],
    ['hung', 'SIGSTOP'],
  ] as const)('with its Temporal server %s and a task in flight', async (_state, serverSignal) => {
    const { home, dev, stop, address: started, stopsOn } = startDev('djobs-dev-stop-');
    const owned = { server: 0 };
    cleanups.push(() => {
      if (owned.server && alive(owned.server)) process.kill(owned.server, 'SIGKILL');
      stop();
    });
    const address = await started;
    const server = childrenOf(dev.pid!, 'start-dev')[0]!;
    expect(server).toBeDefined();
    owned.server = server;

    const pidFile = path.join(home, 'task.pid');
    await submitTo(
      address,
      job('in flight', [sh('t', `echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; sleep 300`)])
    );
    await waitFor(() => fs.existsSync(pidFile), 'the task to start', 60_000);
    const task = Number(fs.readFileSync(pidFile, 'utf8'));

    process.kill(server, serverSignal);
    await stopsOn('SIGTERM');
    await waitFor(() => !alive(task), 'the task in flight to die with dev', 5_000);
    // A hung server is not left behind either.
    await waitFor(() => !alive(server), 'the Temporal server to be gone', 5_000);
  });
});

describe('djobs dev stops on Ctrl-C', () => {
  it('after a Python task ran, with its fork server holding a spare supervisor', async () => {
    const { home, dev, stop, address: started, stopsOn } = startDev('djobs-dev-sigint-');
    try {
      const address = await started;
      const script = path.join(home, 'hello.py');
      const ran = path.join(home, 'ran');
      fs.writeFileSync(script, `open(${JSON.stringify(ran)}, "w").close()\n`);
      await submitTo(
        address,
        job('python then ctrl-c', [{ task_key: 'py', spark_python_task: { python_file: script } }])
      );
      await waitFor(() => fs.existsSync(ran), 'the Python task to run', 60_000);
      // The fork server has forked the next attempt's supervisor ahead of it.
      const forkServer = await waitFor(() => childrenOf(dev.pid!, 'forkserver.py')[0], 'the fork server');
      await waitFor(() => childrenOf(forkServer, 'forkserver.py').length > 0, 'a spare supervisor');

      await stopsOn('SIGINT');
      await waitFor(() => !alive(forkServer), 'the fork server to be gone with dev', 5_000);
    } finally {
      stop();
    }
  });
});

describe('djobs dev --mlflow leaves no MLflow server behind', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it.each([
    ['killed with SIGKILL (its parent gone, no handler run)', 'SIGKILL', undefined],
    ['stopped by SIGTERM with its Temporal server hung (the hard stop)', 'SIGTERM', 'SIGSTOP'],
    ['stopped by Ctrl-C', 'SIGINT', undefined],
  ] as const)('%s', async (_how, devSignal, serverSignal) => {
    const { dev, stop, address, output } = startDev('djobs-dev-mlflow-', { mlflow: true });
    const owned = { group: 0, server: 0 };
    cleanups.push(() => {
      if (owned.server && alive(owned.server)) process.kill(owned.server, 'SIGKILL');
      if (owned.group && groupMembers(owned.group).length > 0) process.kill(-owned.group, 'SIGKILL');
      stop();
    });
    await address;
    // MLflow is up (its first start migrates its database): the server and its uvicorn worker.
    await waitFor(() => output().includes('MLflow UI: http://127.0.0.1:'), 'the MLflow server to answer', 180_000);
    // The group's leader: the watchdog that starts `mlflow server` (config/mlflow-server.ts).
    const group = childrenOf(dev.pid!, '"mlflow", "server"')[0]!;
    expect(group, output()).toBeDefined();
    owned.group = group;
    await waitFor(() => groupMembers(group).length >= 3, 'the MLflow server and its uvicorn worker');
    owned.server = childrenOf(dev.pid!, 'start-dev')[0]!; // left running by a killed dev: ended here
    if (serverSignal) process.kill(owned.server, serverSignal);
    dev.kill(devSignal);
    await waitFor(() => dev.exitCode !== null || dev.signalCode !== null, 'djobs dev to exit', 30_000);
    await waitFor(() => groupMembers(group).length === 0, `the MLflow process group ${group} to be gone`, 30_000);
  });
});
