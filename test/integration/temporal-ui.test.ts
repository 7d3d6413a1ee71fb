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
import { job, sh, useEngine, waitFor } from './harness';

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
