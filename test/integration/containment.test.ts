// Everything a task starts dies with its attempt, under both containment mechanisms (a cgroup v2
// per attempt, and the subreaper supervisor alone): processes that leave the task's session
// (setsid) or daemonize (double fork) on cancel, on timeout and when the task exits 0, with and
// without the task sandbox. The whole
// tree dying with a worker killed with -9 is a fault test: test/faults/containment-worker-death.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainmentMechanism } from '../../activities/containment';
import { runProcess } from '../../activities/process';
import { job, latestByKey, sh, SHELL_SELF, taskAlive, taskProcesses, useEngine, waitFor } from './harness';

/** Shell lines that start `cmd` in a new session, record which process it is in `pidFile`, and wait for it. */
function escaped(pidFile: string, cmd: string): string {
  return `setsid sh -c 'echo ${SHELL_SELF} > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec ${cmd}' &
while [ ! -s ${pidFile} ]; do sleep 0.05; done`;
}

const processIn = (file: string) => taskProcesses(fs.readFileSync(file, 'utf8'))[0]!;

/** Correctness bound for a run to end once its task is done, canceled or timed out (not a performance target). */
const END_BOUND_MS = 30_000;

// With the sandbox (the default) and without it (`--no-sandbox`), whose tasks share the worker's
// PID namespace: each mechanism must contain them alone.
describe.each<[ContainmentMechanism, boolean]>([
  ['cgroup', true],
  ['subreaper', true],
  ['cgroup', false],
  ['subreaper', false],
])('containment: %s, sandboxed %s', (mechanism, sandboxed) => {
  const engine = useEngine(`containment ${mechanism} ${sandboxed}`, {
    containment: mechanism,
    sandbox: { enabled: sandboxed },
  });

  /** How the attempt was contained and isolated, as its record says. */
  const attemptContainment = async (runId: number, key: string) => {
    const attempt = (await engine.client.getRunState(runId)).tasks[key]!.attempts.at(-1)!;
    expect(attempt.sandbox).toBe(sandboxed ? 'namespaces' : 'none');
    return attempt.containment;
  };

  it('cancel kills a setsid process holding the output pipe; the run ends CANCELED', async () => {
    const pidFile = path.join(engine.workDir, 'cancel');
    const { run_id } = await engine.client.submitRun(
      job('cancel escaped', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\nsleep 300.5`)])
    );
    await waitFor(() => fs.existsSync(pidFile), 'the escaped process to start', 60_000);
    const straggler = processIn(pidFile);
    expect(taskAlive(straggler)).toBe(true);
    await engine.client.cancelRun(run_id);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(run.state.result_state).toBe('CANCELED');
    expect(latestByKey(run).t!.state.result_state).toBe('CANCELED');
    expect(taskAlive(straggler)).toBe(false);
  });

  it('timeout kills a setsid process holding the output pipe; the task ends TIMEDOUT', async () => {
    const pidFile = path.join(engine.workDir, 'timeout');
    const { run_id } = await engine.client.submitRun(
      job('timeout escaped', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\nsleep 300.5`, { timeout_seconds: 2 })])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(latestByKey(run).t!.state.result_state).toBe('TIMEDOUT');
    expect(taskAlive(processIn(pidFile))).toBe(false);
    expect(await attemptContainment(run_id, 't')).toBe(mechanism);
  });

  it('a task that exits 0 while a setsid child lingers on its output succeeds, and the child is killed', async () => {
    const pidFile = path.join(engine.workDir, 'linger');
    const { run_id } = await engine.client.submitRun(
      job('exit with lingering child', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\necho done`)])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(latestByKey(run).t!.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(run_id, 't')).logs).toContain('done');
    expect(taskAlive(processIn(pidFile))).toBe(false);
    expect(await attemptContainment(run_id, 't')).toBe(mechanism);
  });

  it('a double-fork daemon (new session, stdio detached) dies when its task ends', async () => {
    const pidFile = path.join(engine.workDir, 'daemon');
    // The subshell forks the daemon and exits at once: the daemon is an orphan in its own session.
    const daemonize = `( setsid sh -c 'echo ${SHELL_SELF} > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec sleep 303.5' </dev/null >/dev/null 2>&1 & )
while [ ! -s ${pidFile} ]; do sleep 0.05; done
echo started`;
    const { run_id } = await engine.client.submitRun(job('daemon', [sh('t', daemonize)]));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(latestByKey(run).t!.state.result_state).toBe('SUCCESS');
    expect(taskAlive(processIn(pidFile))).toBe(false);
  });
});

describe('containment fallback', () => {
  it('a task that may not join its cgroup still runs, contained by the subreaper, and says so', async () => {
    const chunks: Buffer[] = [];
    const outcome = await runProcess({
      command: 'sh',
      args: ['-c', 'echo contained'],
      cwd: os.tmpdir(),
      env: process.env,
      output: (c) => chunks.push(c),
      timeoutMs: 0,
      signal: new AbortController().signal,
      python: process.env.DJOBS_PYTHON ?? 'python3',
      // A cgroup directory the task cannot move into (here: one that does not exist).
      containment: { mechanism: 'cgroup', cgroup: path.join(os.tmpdir(), `no-such-cgroup-${process.pid}`) },
    });
    expect(outcome).toEqual({ exitCode: 0, signal: null, timedOut: false, canceled: false, containment: 'subreaper' });
    expect(Buffer.concat(chunks).toString()).toBe('contained\n');
  });
});
