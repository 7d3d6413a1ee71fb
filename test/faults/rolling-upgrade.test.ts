// docs/operations.md's rolling upgrade, with runs in flight: a worker of an older build (OLD_COMMIT,
// built by test/helpers/old-build.ts) starts three runs — a DAG with a task running, a task waiting
// in its retry interval, a for_each with an iteration running — and is stopped with one SIGTERM
// (it drains: the running attempts finish, it polls no more); a worker of this tree's build takes
// the queue and every run finishes SUCCESS. The new worker replays the histories the old one wrote
// (its workflow tasks carry both workers' identities), so this is the replay corpus's promise
// (test/replay/) kept by a live fleet.
//
// OLD_COMMIT is main before patches-decided-first (workflows/patches.ts): the new build asks its
// patches the old way on these runs, which have no marker. Move it forward when the workflows change
// again; it must share this tree's package-lock.json (the old build links this tree's node_modules).
// In `faults`, not `integration`: the first run of the test on a machine compiles the old commit
// (about half a minute on 2 cores); later runs reuse the build.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../core';
import type { Run } from '../../core';
import { PATCHES_DECIDED_FIRST_PATCH as PATCHES_DECIDED_FIRST } from '../../workflows/patches';
import { oldBuildCli } from '../helpers/old-build';
import {
  attemptsOf,
  engineEnv,
  job,
  latestByKey,
  sh,
  startWorkerProcess,
  useEngine,
  waitFor,
} from '../integration/harness';

const OLD_COMMIT = '7591de7';

describe('a rolling upgrade with runs in flight', () => {
  const engine = useEngine('rolling upgrade', { worker: false });
  const workers: ChildProcess[] = [];
  let oldCli = '';
  beforeAll(() => {
    oldCli = oldBuildCli(OLD_COMMIT);
  }, 300_000);
  afterAll(() => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  });

  function lines(file: string): string[] {
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  }

  /** The identities that completed the workflow tasks of a workflow, and its patch markers. */
  async function historyFacts(workflowId: string): Promise<{ identities: Set<string>; patches: string[] }> {
    const history = await engine.temporal.workflow.getHandle(workflowId).fetchHistory();
    const identities = new Set<string>();
    const patches: string[] = [];
    for (const e of history.events ?? []) {
      const identity = e.workflowTaskCompletedEventAttributes?.identity;
      if (identity) identities.add(identity);
      const marker = e.markerRecordedEventAttributes;
      const data = marker?.markerName === 'core_patch' && marker.details?.['patch-data']?.payloads?.[0]?.data;
      if (data) patches.push((JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id);
    }
    return { identities, patches };
  }

  it('runs started on the old build finish SUCCESS on the new one: mid-DAG, in a retry interval, mid-for_each', async () => {
    const dir = engine.workDir;
    const gate = path.join(dir, 'gate');
    const waitGate = `while [ ! -e ${gate} ]; do sleep 0.1; done`;
    const dagMarks = path.join(dir, 'dag');
    const retryMarks = path.join(dir, 'retry');
    const loopMarks = path.join(dir, 'loop');

    const old = spawn(process.execPath, [oldCli, 'worker'], {
      env: engineEnv(engine),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(old);
    old.stderr.on('data', (d: Buffer) => process.stderr.write(`[old worker ${old.pid}] ${d.toString()}`));
    const oldExit = new Promise<number | null>((resolve) => old.once('exit', (code) => resolve(code)));

    const dag = await engine.client.submitRun(
      job('upgrade dag', [
        sh('a', `echo a >> ${dagMarks}`),
        sh('b', `echo b >> ${dagMarks}; ${waitGate}`, { depends_on: [{ task_key: 'a' }] }),
        sh('c', `echo c >> ${dagMarks}`, { depends_on: [{ task_key: 'b' }] }),
      ])
    );
    // Fails its first attempt; the next comes 15 s later, when the old worker is gone.
    const retry = await engine.client.submitRun(
      job('upgrade retry', [
        sh('flaky', `echo try >> ${retryMarks}; [ "$(wc -l < ${retryMarks})" -ge 2 ]`, {
          max_retries: 1,
          min_retry_interval_millis: 15_000,
        }),
      ])
    );
    const loop = await engine.client.submitRun(
      job('upgrade for_each', [
        {
          task_key: 'each',
          for_each_task: {
            inputs: '[1,2,3]',
            concurrency: 1,
            task: sh('it', `echo {{input}} >> ${loopMarks}; ${waitGate}`),
          },
        },
      ])
    );

    // Each run in flight on the old worker.
    await waitFor(() => lines(dagMarks).includes('b'), 'task b running on the old worker', 60_000);
    await waitFor(
      async () => {
        const run = await engine.client.getRun(retry.run_id);
        return attemptsOf(run, 'flaky')[0]?.state.result_state === 'FAILED';
      },
      'the first attempt of flaky failed on the old worker',
      60_000
    );
    await waitFor(() => lines(loopMarks).length === 1, 'the first iteration running on the old worker', 60_000);

    // One SIGTERM: the old worker stops polling and drains; the running attempts end once the gate opens.
    old.kill('SIGTERM');
    fs.writeFileSync(gate, '');
    expect(await oldExit).toBe(0);
    for (const file of [dagMarks, retryMarks, loopMarks]) fs.appendFileSync(file, 'upgraded\n');
    const fresh = startWorkerProcess(engine);
    workers.push(fresh);

    const finished: Run[] = [];
    for (const { run_id } of [dag, retry, loop])
      finished.push(await engine.client.waitForRun(run_id, { timeoutMs: 120_000 }));
    for (const run of finished) expect(run.state.result_state).toBe('SUCCESS');

    // What ran where: before the line `upgraded`, the old worker; after it, the new one.
    expect(lines(dagMarks)).toEqual(['a', 'b', 'upgraded', 'c']);
    expect(lines(retryMarks)).toEqual(['try', 'upgraded', 'try']);
    expect(lines(loopMarks)).toEqual(['1', 'upgraded', '2', '3']);
    const [dagRun, retryRun, loopRun] = finished;
    expect(
      Object.values(latestByKey(dagRun!)).map((t) => [t.task_key, t.attempt_number, t.state.result_state])
    ).toEqual([
      ['a', 0, 'SUCCESS'],
      ['b', 0, 'SUCCESS'],
      ['c', 0, 'SUCCESS'],
    ]);
    expect(attemptsOf(retryRun!, 'flaky').map((t) => [t.attempt_number, t.state.result_state])).toEqual([
      [0, 'FAILED'],
      [1, 'SUCCESS'],
    ]);
    expect(latestByKey(loopRun!).each!.for_each_task!.stats!.task_run_stats.succeeded_iterations).toBe(3);

    // The new build continued the old build's histories, on the old code's patch path.
    for (const { run_id } of [dag, retry, loop]) {
      const facts = await historyFacts(runWorkflowId(run_id));
      expect([...facts.identities].some((i) => i.startsWith(`${old.pid}@`))).toBe(true);
      expect([...facts.identities].some((i) => i.startsWith(`${fresh.pid}@`))).toBe(true);
      expect(facts.patches.length).toBeGreaterThan(0);
      expect(facts.patches).not.toContain(PATCHES_DECIDED_FIRST);
    }
    fresh.kill('SIGTERM');
    await waitFor(() => fresh.exitCode !== null, 'the new worker to stop', 30_000);
  }, 300_000);
});
