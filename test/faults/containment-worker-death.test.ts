// Everything a task starts dies with its worker when the worker is killed with -9, under both
// containment mechanisms (a cgroup v2 per attempt, and the subreaper supervisor alone), so the
// retried attempt never overlaps the first (the other containment cases:
// test/integration/containment.test.ts).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainmentMechanism } from '../../activities/containment';
import {
  job,
  latestByKey,
  sh,
  SHELL_SELF,
  startWorkerProcess,
  taskAlive,
  useEngine,
  waitFor,
} from '../integration/harness';

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
    // Every process of the attempt logs its start and end (epoch ms) with which process it is (its
    // PID namespace and pid, SHELL_SELF, and when it started, in clock ticks since boot: the kernel
    // reuses a dead namespace's number, and the retried attempt's processes, in a fresh namespace,
    // get the same pids); one escapes the session.
    const log = (what: string) =>
      `echo "${what} ${SHELL_SELF} $(cut -d\\  -f22 /proc/$$/stat) $(date +%s%3N)" >> ${events}`;
    const task = `${log('start')}
setsid sh -c '${log('start')}; sleep 4; ${log('end')}' &
sleep 4
wait
${log('end')}`;
    const { run_id } = await engine.client.submitRun(job('worker dies', [sh('t', task)]));
    const read = () =>
      (fs.existsSync(events) ? fs.readFileSync(events, 'utf8').trim().split('\n') : []).map((l) => {
        const [what, ns, pid, started, at] = l.split(' ');
        return { what: what!, process: { ns: ns!, pid: Number(pid) }, id: `${ns} ${pid} ${started}`, at: Number(at) };
      });
    const first = startWorkerProcess(engine, { DJOBS_CONTAINMENT: mechanism });
    workers.push(first);
    const firstPids = await waitFor(
      () => {
        const started = read().filter((e) => e.what === 'start');
        return started.length === 2 ? started : undefined;
      },
      'both processes of the first attempt to start',
      60_000
    );
    expect(firstPids.every((e) => taskAlive(e.process))).toBe(true);

    first.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      () => !firstPids.some((e) => taskAlive(e.process)),
      'the first attempt to die with its worker',
      5_000
    );
    const deadAt = Date.now();
    expect(deadAt - killedAt).toBeLessThan(1_000);

    workers.push(startWorkerProcess(engine, { DJOBS_CONTAINMENT: mechanism }));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    // The lost worker does not consume the task's retry budget: one attempt, run again from the start.
    expect(latestByKey(run).t!.attempt_number).toBe(0);

    const all = read();
    const firstIds = firstPids.map((e) => e.id);
    const firstAttempt = all.filter((e) => firstIds.includes(e.id));
    const second = all.filter((e) => !firstIds.includes(e.id));
    // The first attempt's interval ends when its processes died: none of them ever logged an end.
    expect(firstAttempt.map((e) => e.what)).toEqual(['start', 'start']);
    // The second attempt ran whole, and all of its interval lies after the first one's end.
    expect(second.map((e) => e.what).sort()).toEqual(['end', 'end', 'start', 'start']);
    for (const e of second) expect(e.at).toBeGreaterThanOrEqual(deadAt);
  });
});
