// run_job_task: another job runs as a child run (its own run, trigger RUN_JOB_TASK, linked to the
// parent in the Temporal UI); parameters pass down; canceling the top run cancels the whole chain.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Task } from '../../core';
import { job, latestByKey, sh, useEngine, waitFor, SHELL_SELF, taskAlive, taskProcesses } from './harness';

const runJob = (task_key: string, job_id: number, extra: Partial<Task> = {}): Task => ({
  task_key,
  run_job_task: { job_id },
  ...extra,
});

describe('run_job_task', () => {
  const engine = useEngine('run job task');

  it('runs the other job as its own run, with parameters passed down', async () => {
    const child = await engine.client.createJob(
      job('child job', [sh('echo', 'echo "child got {{job.parameters.from}}"')], {
        parameters: [{ name: 'from', default: 'nobody' }],
      })
    );
    const parentSettings = job('parent job', [
      {
        task_key: 'call',
        run_job_task: { job_id: child.job_id, job_parameters: { from: 'run {{job.run_id}}' } },
      },
      sh('after', 'true', { depends_on: [{ task_key: 'call' }] }),
    ]);
    const { run_id } = await engine.client.submitRun(parentSettings);
    const parent = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(parent.state.result_state).toBe('SUCCESS');
    const out = await engine.client.getRunOutput(run_id, 'call');
    const childRunId = out.run_job_output!.run_id;
    const childRun = await engine.client.getRun(childRunId);
    expect(childRun).toMatchObject({ job_id: child.job_id, trigger: 'RUN_JOB_TASK', run_type: 'JOB_RUN' });
    expect(childRun.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(childRunId, 'echo')).logs).toBe(`child got run ${run_id}\n`);
    const desc = await engine.temporal.workflow.getHandle(`djobs-run-${childRunId}`).describe();
    expect(desc.parentExecution?.workflowId).toBe(`djobs-run-${run_id}`);
    await engine.client.deleteJob(child.job_id);
  });

  it('a failed child run fails the task', async () => {
    const child = await engine.client.createJob(job('failing child', [sh('boom', 'exit 9')]));
    const { run_id } = await engine.client.submitRun(job('parent', [runJob('call', child.job_id)]));
    const parent = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(latestByKey(parent).call!.state.result_state).toBe('FAILED');
    expect(parent.state.result_state).toBe('FAILED');
    await engine.client.deleteJob(child.job_id);
  });

  it('canceling the top run cancels nested child runs and kills their processes', async () => {
    const pids = path.join(engine.workDir, 'leaf-pid');
    const leaf = await engine.client.createJob(
      job('leaf', [sh('sleepy', `echo ${SHELL_SELF} > ${pids}; exec sleep 300`)])
    );
    const middle = await engine.client.createJob(job('middle', [runJob('to_leaf', leaf.job_id)]));
    const { run_id } = await engine.client.submitRun(job('top', [runJob('to_middle', middle.job_id)]));
    const pid = await waitFor(
      () => (fs.existsSync(pids) ? taskProcesses(fs.readFileSync(pids, 'utf8'))[0] : undefined),
      'the leaf task to start'
    );
    expect(taskAlive(pid)).toBe(true);
    await engine.client.cancelRun(run_id);
    await waitFor(() => !taskAlive(pid), 'the leaf process to die', 10_000);
    const top = await engine.client.waitForRun(run_id, { timeoutMs: 30_000 });
    expect(top.state.result_state).toBe('CANCELED');
    const middleRunId = (await engine.client.getRunOutput(run_id, 'to_middle')).run_job_output!.run_id;
    const middleRun = await engine.client.waitForRun(middleRunId, { timeoutMs: 30_000 });
    expect(middleRun.state.result_state).toBe('CANCELED');
    const leafRunId = (await engine.client.getRunOutput(middleRunId, 'to_leaf')).run_job_output!.run_id;
    expect((await engine.client.waitForRun(leafRunId, { timeoutMs: 30_000 })).state.result_state).toBe('CANCELED');
    for (const j of [leaf, middle]) await engine.client.deleteJob(j.job_id);
  });
});
