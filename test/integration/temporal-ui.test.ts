// What the Temporal Web UI shows for a run (summaries, live details, search attributes), and
// routing of job-cluster tasks to `djobs worker --cluster NAME` workers.
import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../core';
import { createDjobsWorker } from '../../worker';
import { isEncrypted } from '../../encryption/aes-gcm-codec';
import { jobGateWorkflowId, fileArrivalWorkflowId } from '../../workflows/definitions';
import { DjobsKind } from '../../workflows/search-attributes';
import { attemptsOf, job, sh, useEngine, waitFor } from './harness';

describe('Temporal UI metadata and search attributes', () => {
  const engine = useEngine('ui');

  it('names the job and run, each activity its task, and keeps a live task table', async () => {
    const { job_id } = await engine.client.createJob(
      job('ui job', [sh('extract', 'true'), sh('load', 'true', { depends_on: [{ task_key: 'extract' }] })])
    );
    const { run_id } = await engine.client.runNow(job_id);
    await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const handle = engine.temporal.workflow.getHandle(runWorkflowId(run_id));
    const desc = await handle.describe();
    expect(await desc.staticSummary()).toBe(`ui job · run ${run_id} of job ${job_id}`);
    const sa = desc.typedSearchAttributes;
    expect([
      sa.get({ name: 'DjobsJobId', type: 'INT' } as never),
      sa.get({ name: 'DjobsRunId', type: 'INT' } as never),
    ]).toEqual([job_id, run_id]);

    const meta = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain(`**ui job** · run ${run_id} · job ${job_id} · SUCCESS`);
    expect(meta.currentDetails).toMatch(/\| extract \| SUCCESS \| 0 \|/);
    expect(meta.currentDetails).toMatch(/\| load \| SUCCESS \| 0 \|/);

    const history = await handle.fetchHistory();
    const raw = (history.events ?? [])
      .filter(
        (e) =>
          e.activityTaskScheduledEventAttributes &&
          e.activityTaskScheduledEventAttributes.activityType?.name === 'runTaskAttempt'
      )
      .map((e) => e.userMetadata!.summary!);
    // Summaries are payloads, hence encrypted: the UI shows them through the codec server.
    expect(raw.every(isEncrypted)).toBe(true);
    const [codec] = engine.temporal.options.loadedDataConverter.payloadCodecs;
    const summaries = (await codec!.decode(raw)).map((p) => defaultPayloadConverter.fromPayload(p));
    expect(summaries).toEqual(['extract', 'load']);

    await waitFor(async () => {
      const found = await engine.temporal.workflow.count(
        `DjobsJobId = ${job_id} AND DjobsResultState = 'SUCCESS' AND DjobsTrigger = 'ONE_TIME'`
      );
      return found.count === 1;
    }, 'the run to be searchable by job id, result and trigger');
    await engine.client.deleteJob(job_id);
  });

  it('marks every djobs workflow with its kind, so a DjobsKind filter lists runs without gates and watchers', async () => {
    const called = await engine.client.createJob(job('kind called', [sh('t', 'true')]));
    const { job_id } = await engine.client.createJob(
      job('kind caller', [
        { task_key: 'call', run_job_task: { job_id: called.job_id } },
        { task_key: 'each', for_each_task: { inputs: '[1,2]', task: sh('item', 'true') } },
      ])
    );
    const landing = fs.mkdtempSync(path.join(engine.workDir, 'landing-'));
    const watched = await engine.client.createJob(
      job('kind watched', [sh('t', 'true')], { trigger: { file_arrival: { url: `file://${landing}` } } })
    );
    const { run_id } = await engine.client.runNow(job_id);
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const kindOf = async (workflowId: string) =>
      (await engine.temporal.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(DjobsKind);
    const each = attemptsOf(run, 'each')[0]!;
    const child = (await engine.client.getRunOutput(attemptsOf(run, 'call')[0]!.run_id)).run_job_output!.run_id;
    expect({
      run: await kindOf(runWorkflowId(run_id)),
      childRun: await kindOf(runWorkflowId(child)),
      forEach: await kindOf(`${runWorkflowId(run_id)}-foreach-${each.run_id}`),
      gate: await kindOf(jobGateWorkflowId(job_id)),
      watcher: await kindOf(fileArrivalWorkflowId(watched.job_id)),
    }).toEqual({ run: 'run', childRun: 'run', forEach: 'for_each', gate: 'gate', watcher: 'file_arrival' });

    // The Temporal UI's list with the web UI's filter: the two runs, none of the other workflows.
    const ids = [job_id, called.job_id, watched.job_id].join(', ');
    await waitFor(async () => {
      const listed: string[] = [];
      for await (const wf of engine.temporal.workflow.list({
        query: `DjobsKind = 'run' AND DjobsJobId IN (${ids})`,
      }))
        listed.push(`${wf.type}:${wf.workflowId}`);
      return (
        listed.sort().join(',') ===
        [`jobRun:${runWorkflowId(run_id)}`, `jobRun:${runWorkflowId(child)}`].sort().join(',')
      );
    }, 'the DjobsKind filter to list the two runs only');
    for (const id of [job_id, called.job_id, watched.job_id]) await engine.client.deleteJob(id);
  });
});

describe('job clusters', () => {
  const engine = useEngine('clusters');
  let clusterHome: string;
  let stopCluster: () => Promise<void>;
  beforeAll(async () => {
    clusterHome = path.join(engine.workDir, 'gpu-worker');
    const connection = await NativeConnection.connect({ address: engine.address });
    const worker = await createDjobsWorker({
      connection,
      namespace: 'default',
      taskQueue: engine.taskQueue,
      cluster: 'gpu',
      dataDir: clusterHome,
      dataConverter: engine.dataConverter,
    });
    const running = worker.run();
    stopCluster = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  });
  afterAll(async () => {
    await stopCluster?.();
  });

  it('tasks on a cluster with a dedicated worker run there; others run on the default worker', async () => {
    const { run_id } = await engine.client.submitRun(
      job(
        'clusters',
        [
          sh('on_gpu', 'echo gpu', { job_cluster_key: 'gpu' }),
          sh('on_cpu', 'echo cpu', { job_cluster_key: 'cpu' }),
          sh('anywhere', 'echo default'),
        ],
        { job_clusters: [{ job_cluster_key: 'gpu' }, { job_cluster_key: 'cpu' }] }
      )
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const logOf = async (k: string) => (await engine.client.getRunOutput(run_id, k)).log_path!;
    expect((await logOf('on_gpu')).startsWith(clusterHome)).toBe(true);
    expect((await logOf('on_cpu')).startsWith(engine.dataDir)).toBe(true);
    expect((await logOf('anywhere')).startsWith(engine.dataDir)).toBe(true);
    expect(fs.readFileSync(await logOf('on_gpu'), 'utf8')).toBe('gpu\n');
  });
});
