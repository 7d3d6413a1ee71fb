// Everything a task starts dies with its attempt, under both containment mechanisms (a cgroup v2
// per attempt, and the subreaper supervisor alone): processes that leave the task's session
// (setsid) or daemonize (double fork) on cancel, on timeout and when the task exits 0, and the
// whole tree when the worker is killed with -9, so a retried attempt never overlaps the first.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainmentMechanism } from '../../activities/containment';
import { runProcess } from '../../activities/process';
import { alive, job, latestByKey, sh, startWorkerProcess, useEngine, waitFor } from './harness';

/** Shell lines that start `cmd` in a new session, record its pid in `pidFile`, and wait for it. */
function escaped(pidFile: string, cmd: string): string {
  return `setsid sh -c 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec ${cmd}' &
while [ ! -s ${pidFile} ]; do sleep 0.05; done`;
}

const pidIn = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

/** Correctness bound for a run to end once its task is done, canceled or timed out (not a performance target). */
const END_BOUND_MS = 30_000;

describe.each<ContainmentMechanism>(['cgroup', 'subreaper'])('containment: %s', (mechanism) => {
  const engine = useEngine(`containment ${mechanism}`, { containment: mechanism });

  const attemptContainment = async (runId: number, key: string) =>
    (await engine.client.getRunState(runId)).tasks[key]!.attempts.at(-1)!.containment;

  it('cancel kills a setsid process holding the output pipe; the run ends CANCELED', async () => {
    const pidFile = path.join(engine.workDir, `cancel-${mechanism}`);
    const { run_id } = await engine.client.submitRun(
      job('cancel escaped', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\nsleep 300.5`)])
    );
    await waitFor(() => fs.existsSync(pidFile), 'the escaped process to start', 60_000);
    const straggler = pidIn(pidFile);
    expect(alive(straggler)).toBe(true);
    await engine.client.cancelRun(run_id);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(run.state.result_state).toBe('CANCELED');
    expect(latestByKey(run).t!.state.result_state).toBe('CANCELED');
    expect(alive(straggler)).toBe(false);
  });

  it('timeout kills a setsid process holding the output pipe; the task ends TIMEDOUT', async () => {
    const pidFile = path.join(engine.workDir, `timeout-${mechanism}`);
    const { run_id } = await engine.client.submitRun(
      job('timeout escaped', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\nsleep 300.5`, { timeout_seconds: 2 })])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(latestByKey(run).t!.state.result_state).toBe('TIMEDOUT');
    expect(alive(pidIn(pidFile))).toBe(false);
    expect(await attemptContainment(run_id, 't')).toBe(mechanism);
  });

  it('a task that exits 0 while a setsid child lingers on its output succeeds, and the child is killed', async () => {
    const pidFile = path.join(engine.workDir, `linger-${mechanism}`);
    const { run_id } = await engine.client.submitRun(
      job('exit with lingering child', [sh('t', `${escaped(pidFile, 'sleep 302.5')}\necho done`)])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(latestByKey(run).t!.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(run_id, 't')).logs).toContain('done');
    expect(alive(pidIn(pidFile))).toBe(false);
    expect(await attemptContainment(run_id, 't')).toBe(mechanism);
  });

  it('a double-fork daemon (new session, stdio detached) dies when its task ends', async () => {
    const pidFile = path.join(engine.workDir, `daemon-${mechanism}`);
    // The subshell forks the daemon and exits at once: the daemon is an orphan in its own session.
    const daemonize = `( setsid sh -c 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec sleep 303.5' </dev/null >/dev/null 2>&1 & )
while [ ! -s ${pidFile} ]; do sleep 0.05; done
echo started`;
    const { run_id } = await engine.client.submitRun(job('daemon', [sh('t', daemonize)]));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(latestByKey(run).t!.state.result_state).toBe('SUCCESS');
    expect(alive(pidIn(pidFile))).toBe(false);
  });
});

describe.each<ContainmentMechanism>(['cgroup', 'subreaper'])('containment when the worker dies: %s', (mechanism) => {
  // No in-process worker: the test kills `djobs worker` processes; the engine's own stop comes
  // after this file's afterAll (hooks after tests run in reverse order), once they are dead.
  const engine = useEngine(`worker death ${mechanism}`, { worker: false, heartbeatTimeoutSeconds: 3 });
  const workers: ChildProcess[] = [];
  afterAll(() => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  });

  it('kill -9 of the worker kills the task tree within a second; the retried attempt never overlaps it', async () => {
    const events = path.join(engine.workDir, 'events');
    // Every process of the attempt logs its start and end (epoch ms) with its pid; one escapes the session.
    const log = (what: string) => `echo "${what} $$ $(date +%s%3N)" >> ${events}`;
    const task = `${log('start')}
setsid sh -c '${log('start')}; sleep 4; ${log('end')}' &
sleep 4
wait
${log('end')}`;
    const { run_id } = await engine.client.submitRun(job('worker dies', [sh('t', task)]));
    const read = () =>
      (fs.existsSync(events) ? fs.readFileSync(events, 'utf8').trim().split('\n') : []).map((l) => {
        const [what, pid, at] = l.split(' ');
        return { what: what!, pid: Number(pid), at: Number(at) };
      });
    const first = startWorkerProcess(engine, { DJOBS_CONTAINMENT: mechanism });
    workers.push(first);
    const firstPids = await waitFor(
      () => {
        const started = read().filter((e) => e.what === 'start');
        return started.length === 2 ? started.map((e) => e.pid) : undefined;
      },
      'both processes of the first attempt to start',
      60_000
    );
    expect(firstPids.every(alive)).toBe(true);

    first.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => !firstPids.some(alive), 'the first attempt to die with its worker', 5_000);
    const deadAt = Date.now();
    expect(deadAt - killedAt).toBeLessThan(1_000);

    workers.push(startWorkerProcess(engine, { DJOBS_CONTAINMENT: mechanism }));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    // The lost worker does not consume the task's retry budget: one attempt, run again from the start.
    expect(latestByKey(run).t!.attempt_number).toBe(0);

    const all = read();
    const firstAttempt = all.filter((e) => firstPids.includes(e.pid));
    const second = all.filter((e) => !firstPids.includes(e.pid));
    // The first attempt's interval ends when its processes died: none of them ever logged an end.
    expect(firstAttempt.map((e) => e.what)).toEqual(['start', 'start']);
    // The second attempt ran whole, and all of its interval lies after the first one's end.
    expect(second.map((e) => e.what).sort()).toEqual(['end', 'end', 'start', 'start']);
    for (const e of second) expect(e.at).toBeGreaterThanOrEqual(deadAt);
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
