// The workflows other than runs that the replay corpus records (scripts/record-histories.ts):
// the trigger workflows (file arrival, continuous, model) and the gate of a capped worker pool,
// each driven through a scenario on real processes, then recorded once finished.
import fs from 'node:fs';
import path from 'node:path';
import { createDjobsWorker } from '../worker';
import { DurableJobsClient } from '../client';
import { temporalClientOf } from '../client/jobs-client';
import { runWorkflowId } from '../core';
import { ensureMlflow, startMlflowServer } from '../servers/mlflow-server';
import {
  continuousWorkflowId,
  fileArrivalWorkflowId,
  modelTriggerWorkflowId,
  poolGateWorkflowId,
} from '../workflows/definitions';
import { sh, waitUntil, type RecordingContext } from './history-scenarios';

/** Each recorded workflow by name; `close` stops what the scenarios share. */
export async function workflowScenarios(ctx: RecordingContext): Promise<{
  scenarios: Record<string, () => Promise<void>>;
  close: () => Promise<void>;
}> {
  const { client, address, taskQueue, connection, home, recordWorkflow } = ctx;
  const temporal = temporalClientOf(client);
  const triggerClient = await DurableJobsClient.connect({
    address,
    taskQueue,
    runOptions: { heartbeatTimeoutSeconds: 5 },
    triggers: { fileArrivalPollSeconds: 0.2, continuousBackoffSeconds: 1 },
  });
  const runsOf = async (jobId: number, n: number) => {
    let runs: { run_id: number }[] = [];
    await waitUntil(async () => (runs = await client.listRuns({ jobId })).length >= n, 60_000);
    for (const r of runs) await client.waitForRun(r.run_id, { timeoutMs: 60_000 });
  };
  /** A job with a file-arrival trigger on `dir`, once its watcher has taken stock. */
  const watchedJob = async (dir: string) => {
    const { job_id } = await triggerClient.createJob({
      name: 'watched',
      tasks: [sh('t', 'true')],
      trigger: { file_arrival: { url: dir } },
    });
    const watcher = fileArrivalWorkflowId(job_id);
    await waitUntil(
      async () =>
        (await temporal.workflow.getHandle(watcher).query<{ state: { baselined: boolean } }>('getTriggerState')).state
          .baselined
    );
    return { job_id, watcher };
  };
  /** A file-arrival watcher that starts one run for one file, recorded as `name`. */
  const fileArrivesOnce = async (name: string) => {
    const dir = path.join(home, `landing-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const { job_id, watcher } = await watchedJob(dir);
    fs.writeFileSync(path.join(dir, 'a.csv'), 'a');
    await runsOf(job_id, 1);
    await triggerClient.deleteJob(job_id);
    await recordWorkflow(name, watcher);
  };
  /** A continuous job's supervisor through a failure, a backoff, then successes, recorded as `name`. */
  const continuousFailsThenSucceeds = async (name: string) => {
    const marker = path.join(home, `${name}-ok`);
    const { job_id } = await triggerClient.createJob({
      name: 'continuous',
      tasks: [sh('t', `if [ -f ${marker} ]; then exit 0; fi; touch ${marker}; exit 1`)],
      continuous: { pause_status: 'UNPAUSED' },
    });
    await runsOf(job_id, 3);
    await triggerClient.deleteJob(job_id);
    await recordWorkflow(name, continuousWorkflowId(job_id));
  };
  /** A model trigger on a real MLflow registry, recorded as `name`: a version there before, then a new one. */
  const modelVersionArrives = async (name: string) => {
    // A registry of its own: each recording starts from no registered model.
    const mlflow = await startMlflowServer({ python: ensureMlflow(), home: path.join(home, name), port: 0 });
    await mlflow.ready;
    const api = async (endpoint: string, body: Record<string, unknown>) => {
      const res = await fetch(`${mlflow.url}/api/2.0/mlflow/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${endpoint}: ${res.status} ${await res.text()}`);
    };
    const modelQueue = `${taskQueue}-${name}`;
    const modelWorker = await createDjobsWorker({
      connection,
      namespace: 'default',
      taskQueue: modelQueue,
      dataDir: home,
      mlflowTrackingUri: mlflow.url,
    });
    const modelClient = await DurableJobsClient.connect({
      address,
      taskQueue: modelQueue,
      triggers: { modelPollSeconds: 0.2 },
    });
    try {
      await modelWorker.runUntil(async () => {
        await api('registered-models/create', { name: 'recorded' });
        await api('model-versions/create', { name: 'recorded', source: 's3://models/recorded/1' });
        const { job_id } = await modelClient.createJob({
          name: 'model watched',
          tasks: [sh('t', 'echo {{job.trigger.model.updates}}')],
          trigger: { model: { condition: 'MODEL_VERSION_READY', securable_name: 'recorded' } },
        });
        const watcher = modelTriggerWorkflowId(job_id);
        await waitUntil(
          async () =>
            (await temporal.workflow.getHandle(watcher).query<{ state: { baselined: boolean } }>('getTriggerState'))
              .state.baselined
        );
        await api('model-versions/create', { name: 'recorded', source: 's3://models/recorded/2' });
        let runs: { run_id: number }[] = [];
        await waitUntil(async () => (runs = await modelClient.listRuns({ jobId: job_id })).length >= 1, 60_000);
        for (const r of runs) await modelClient.waitForRun(r.run_id, { timeoutMs: 60_000 });
        await modelClient.deleteJob(job_id);
        await recordWorkflow(name, watcher);
      });
    } finally {
      await modelClient.close();
      await mlflow.stop();
    }
  };
  /** A run of two tasks in a worker pool capped at one, recorded as `name` with its pool's gate. */
  const poolCappedRun = async (name: string) => {
    const poolQueue = `${taskQueue}-${name}`;
    const poolWorker = await createDjobsWorker({
      connection,
      namespace: 'default',
      taskQueue: poolQueue,
      dataDir: home,
      poolMaxTasks: { default: 1 },
    });
    const poolClient = await DurableJobsClient.connect({ address, taskQueue: poolQueue });
    await poolWorker.runUntil(async () => {
      const { run_id } = await poolClient.submitRun({
        name: 'capped',
        tasks: [sh('a', 'sleep 0.3'), sh('b', 'sleep 0.3')],
      });
      await poolClient.waitForRun(run_id, { timeoutMs: 60_000 });
      await recordWorkflow(name, runWorkflowId(run_id));
      await recordWorkflow(`${name}-gate`, poolGateWorkflowId(poolQueue));
    });
    await poolClient.close();
  };
  // The trigger workflows and a run in a capped worker pool.
  const workflowScenarios: Record<string, () => Promise<void>> = {
    'file-arrival-watcher': () => fileArrivesOnce('file-arrival-watcher'),
    // After 'file-arrival-listing-changes': polls carry a digest and the changes only.
    'file-arrival-watcher-changes': async () => {
      const dir = path.join(home, 'landing-changes');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'old-1.csv'), 'old');
      fs.writeFileSync(path.join(dir, 'old-2.csv'), 'old');
      const { job_id, watcher } = await watchedJob(dir);
      fs.rmSync(path.join(dir, 'old-1.csv'));
      fs.writeFileSync(path.join(dir, 'a.csv'), 'a');
      await runsOf(job_id, 1);
      await triggerClient.deleteJob(job_id);
      await recordWorkflow('file-arrival-watcher-changes', watcher);
    },
    // After 'trigger-run-viewers': the run it starts carries the job's viewers (DjobsViewers).
    'file-arrival-watcher-viewers': () => fileArrivesOnce('file-arrival-watcher-viewers'),
    // After 'workflow-kind-attribute': the run it starts carries DjobsKind = 'run'.
    'file-arrival-watcher-kind': () => fileArrivesOnce('file-arrival-watcher-kind'),
    // After 'control-signal-argument': the job's deletion stops it with stopTrigger's argument.
    'file-arrival-watcher-control-arg': () => fileArrivesOnce('file-arrival-watcher-control-arg'),
    'continuous-supervisor': () => continuousFailsThenSucceeds('continuous-supervisor'),
    // After 'trigger-run-viewers': runs it follows (executeChild) carry the job's viewers.
    'continuous-supervisor-viewers': () => continuousFailsThenSucceeds('continuous-supervisor-viewers'),
    'model-trigger-watcher': () => modelVersionArrives('model-trigger-watcher'),
    // After 'patches-decided-first': each trigger workflow asks every patch at its start.
    'model-trigger-watcher-patches-decided-first': () =>
      modelVersionArrives('model-trigger-watcher-patches-decided-first'),
    'pool-capped-run': () => poolCappedRun('pool-capped-run'),
    // After 'patches-decided-first': the run and its pool's gate ask every patch at their start.
    'pool-capped-run-patches-decided-first': () => poolCappedRun('pool-capped-run-patches-decided-first'),
    // After 'patches-decided-first', the shape that needs it: a runs/get waiting on the server
    // arrives with the run's first workflow task, which then ends after the first local activity.
    'patches-decided-first': async () => {
      const lateQueue = `${taskQueue}-late`;
      const lateClient = await DurableJobsClient.connect({ address, taskQueue: lateQueue });
      try {
        const { run_id } = await lateClient.submitRun({ name: 'early query', tasks: [sh('t', 'true')] });
        // Sent before the worker exists (creating it bundles the workflow code).
        const query = lateClient.getRun(run_id);
        const lateWorker = await createDjobsWorker({
          connection,
          namespace: 'default',
          taskQueue: lateQueue,
          dataDir: home,
        });
        await lateWorker.runUntil(async () => {
          await query;
          await lateClient.waitForRun(run_id, { timeoutMs: 60_000 });
        });
        await recordWorkflow('patches-decided-first', runWorkflowId(run_id));
      } finally {
        await lateClient.close();
      }
    },
    // After 'patches-decided-first', as the model trigger's.
    'file-arrival-watcher-patches-decided-first': () => fileArrivesOnce('file-arrival-watcher-patches-decided-first'),
    'continuous-supervisor-patches-decided-first': () =>
      continuousFailsThenSucceeds('continuous-supervisor-patches-decided-first'),
  };
  return { scenarios: workflowScenarios, close: () => triggerClient.close() };
}
