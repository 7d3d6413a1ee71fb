// One embedded Temporal server per DJOBS_HOME: commands started while `djobs dev` starts wait for
// it and use it; two `djobs run` in one home queue for the embedded server; a `djobs dev` killed
// with -9 leaves no lock (and no orphaned server) that blocks the next start. Real processes, each
// test in a fresh home, every port chosen free.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, waitFor } from './harness';
import { run, type Result } from './processes';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');

/** The environment of a user with only DJOBS_HOME set (no TEMPORAL_ADDRESS), on free ports. */
function homeEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DJOBS_HOME: home, DJOBS_PORT: '0', DJOBS_UI_PORT: '0' };
  delete env.TEMPORAL_ADDRESS;
  return env;
}

const djobs = (args: string[], home: string) => run(process.execPath, [cli, ...args], homeEnv(home), 120_000);

interface Dev {
  child: ChildProcess;
  out: () => string;
}

function startDev(home: string): Dev {
  // No MLflow server: these tests are about Temporal's (and a default port 5000 is shared).
  const child = spawn(process.execPath, [cli, 'dev', '--api-port', '0', '--no-mlflow'], {
    env: homeEnv(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** Wait for dev's ready line; a dev that exits first, or never says it, fails with its output. */
async function untilReady(dev: Dev, which: string): Promise<void> {
  const outcome = await waitFor(
    () => (dev.out().includes('Press Ctrl-C') ? 'ready' : exited(dev.child) ? 'exited' : undefined),
    () => `${which} to be ready; its output so far:\n${dev.out()}`,
    90_000
  );
  expect(outcome, `${which} exited before it was ready; its output:\n${dev.out()}`).toBe('ready');
}

describe('one embedded server per DJOBS_HOME', () => {
  const devs: ChildProcess[] = [];
  const homes: string[] = [];
  const freshHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-home-'));
    homes.push(home);
    return home;
  };
  afterEach(async () => {
    for (const d of devs.splice(0)) {
      if (!exited(d)) d.kill('SIGINT');
      await waitFor(() => exited(d), 'djobs dev to stop', 30_000).catch(() => d.kill('SIGKILL'));
    }
    for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
  });

  it('jobs list polled every 200 ms from the launch of djobs dev: dev comes up and every command works', async () => {
    const home = freshHome();
    const dev = startDev(home);
    devs.push(dev.child);
    const results: Result[] = [];
    let afterReady = 0;
    while (afterReady < 3) {
      expect(exited(dev.child), dev.out()).toBe(false);
      const ready = dev.out().includes('Press Ctrl-C');
      results.push(await djobs(['-o', 'json', 'jobs', 'list'], home));
      if (ready) afterReady++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n')
    ).toEqual(results.map(() => 0));
    for (const r of results) expect(JSON.parse(r.stdout)).toEqual({ jobs: [] });
    expect(exited(dev.child), dev.out()).toBe(false);
    expect(fs.readFileSync(path.join(home, 'server.log'), 'utf8')).not.toContain('no such table');
    dev.child.kill('SIGINT');
    await waitFor(() => exited(dev.child), 'djobs dev to stop', 30_000);
    expect(dev.child.exitCode).toBe(0);
    expect(fs.existsSync(path.join(home, 'server.lock'))).toBe(false);
  });

  it('two concurrent djobs run in one fresh home both succeed', async () => {
    const home = freshHome();
    const spec = path.join(home, 'job.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({ name: 'two', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] })
    );
    const [a, b] = await Promise.all([
      djobs(['-o', 'json', 'run', spec], home),
      djobs(['-o', 'json', 'run', spec], home),
    ]);
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { state: { result_state: string } }).state.result_state).toBe('SUCCESS');
    }
    // One of them queued for the other's embedded server, and said so.
    expect(`${a.stderr}${b.stderr}`).toContain('to finish with the embedded Temporal server of');
    expect(fs.existsSync(path.join(home, 'server.lock'))).toBe(false);
  });

  it('djobs dev killed with -9 leaves no lock or server that blocks the next start', async () => {
    const home = freshHome();
    const first = startDev(home);
    devs.push(first.child);
    await untilReady(first, 'the first djobs dev');
    const { serverPid } = JSON.parse(fs.readFileSync(path.join(home, 'server.lock'), 'utf8')) as { serverPid: number };
    first.child.kill('SIGKILL');
    await waitFor(() => exited(first.child), 'the first djobs dev to die');

    const second = startDev(home);
    devs.push(second.child);
    await untilReady(second, 'the second djobs dev');
    // The orphaned server of the killed dev was stopped, not left running on the same database.
    expect(alive(serverPid)).toBe(false);
    const list = await djobs(['jobs', 'list'], home);
    expect(list.code, list.stderr).toBe(0);
  });
});
