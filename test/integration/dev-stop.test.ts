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

/** Child processes of `pid` whose command line contains `needle`. */
function childrenOf(pid: number, needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid && fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `djobs dev` started in a home of its own: the process, its output so far, its exit, its address. */
function startDev(prefix: string) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, DJOBS_HOME: home, DJOBS_PORT: '0', DJOBS_UI_PORT: '0' };
  delete env.TEMPORAL_ADDRESS;
  const dev: ChildProcess = spawn(process.execPath, [cli, 'dev', '--api-port', '0'], {
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
  return { home, dev, stop, address, stopsOn };
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
