// `djobs dev` as a child process of a test, in a home of its own, and the /proc reads the tests
// use to find what it started (its Temporal server, fork server, MLflow process group): shared by
// the stop tests (test/integration/dev-stop.test.ts) and the MLflow fault tests
// (test/faults/dev-stop-mlflow.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { DurableJobsClient, type JobSettings } from '../../client';
import { loadConfig } from '../../config';
import { dataConverterFor } from '../../encryption/key-file';
import { waitFor } from '../integration/harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
/** Correctness bound on how long dev may take to stop (not a performance target). */
export const STOP_BOUND_MS = 10_000;

/** The processes whose /proc stat fields (state, ppid, pgrp) and command line `keep` accepts. */
export function processesWhere(
  keep: (p: { state: string; ppid: number; pgrp: number; cmdline: () => string }) => boolean
) {
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
export const childrenOf = (pid: number, needle: string) =>
  processesWhere((p) => p.ppid === pid && p.cmdline().includes(needle));

/** `pid`'s children, their children, and so on. */
export function descendantsOf(pid: number): number[] {
  const children = processesWhere((p) => p.ppid === pid);
  return [...children, ...children.flatMap(descendantsOf)];
}

/** Live (not zombie) processes of process group `pgid`. */
export const groupMembers = (pgid: number) => processesWhere((p) => p.pgrp === pgid && p.state !== 'Z');

/**
 * `djobs dev` started in a home of its own: the process, its output so far, its exit, its address,
 * a directory for the test's files (its tasks' read-write path), and `submit`, which starts a run
 * the way a client of that dev does. `stop` kills dev and everything it started (its Temporal
 * server, fork server, tasks), so a failed test leaves nothing running.
 * Its MLflow server only with `mlflow` (on a free port), so the other tests start none; its REST
 * API only on `apiPort`.
 */
export function startDev(prefix: string, opts: { mlflow?: boolean; apiPort?: number } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The test's own files, which its (sandboxed) tasks may read and write: never DJOBS_HOME.
  const files = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}files-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DJOBS_HOME: home,
    DJOBS_SANDBOX_READ_WRITE: files,
    DJOBS_PORT: '0',
    DJOBS_UI_PORT: '0',
    DJOBS_MLFLOW_PORT: '0',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.MLFLOW_TRACKING_URI;
  const mlflow = opts.mlflow ? '--mlflow' : '--no-mlflow';
  const dev: ChildProcess = spawn(process.execPath, [cli, 'dev', '--api-port', String(opts.apiPort ?? 0), mlflow], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((r) => dev.once('exit', () => r(Date.now())));
  const stop = () => {
    if (dev.exitCode === null && dev.signalCode === null) {
      // Dev killed with SIGKILL stops nothing it started: its processes go first (SIGKILL also ends a stopped one).
      for (const pid of descendantsOf(dev.pid!)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      dev.kill('SIGKILL');
    }
    for (const dir of [home, files]) fs.rmSync(dir, { recursive: true, force: true });
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
  /**
   * Submit a one-time run to dev (its task queue) as a client in dev's environment does
   * (examples/client/run-job.ts): with the key ring dev made in its home, since its worker acts on
   * nothing that is not encrypted.
   */
  const submit = async (settings: JobSettings): Promise<void> => {
    const config = loadConfig(env);
    const dataConverter = dataConverterFor(config, { createIfMissing: false });
    const client = await DurableJobsClient.connect({
      address: await address,
      taskQueue: config.taskQueue,
      dataConverter,
    });
    try {
      await client.submitRun(settings);
    } finally {
      await client.close();
    }
  };
  return { home, files, dev, stop, address, stopsOn, submit, output: () => out };
}
