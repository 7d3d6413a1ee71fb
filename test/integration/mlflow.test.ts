// ML jobs with a real MLflow tracking server (MLflow from PyPI, SQLite store) and real
// scikit-learn: the ml-churn example end to end, the tags linking MLflow runs to job runs, task
// runs and attempts, registration gated by a condition task, and an s3:// model store on moto.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, loadJobSpecFile } from '../../client';
import { mlflowRunsOfJobRun } from '../../mlflow/rest-api';
import { jobScheduleId, runWorkflowId, type JobSettings, type Run } from '../../core';
import { DjobsViewers } from '../../workflows/search-attributes';
import { mlflowApi, startDevWithMlflow, type DevWithMlflow } from '../helpers/mlflow-server';
import { startS3Server, type S3Server } from '../helpers/s3-server';
import { attemptsOf, job, latestByKey, sh, startEngine, testDataConverter, waitFor, type Engine } from './harness';
import { temporalClientOf } from '../../client/jobs-client';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'ml-churn', 'job.json');
/** What the ml-churn example's tasks import. */
const ML_PRELOAD = ['mlflow', 'mlflow.sklearn', 'pandas', 'sklearn.linear_model', 'sklearn.model_selection'];

const S3_ENV = (endpoint: string) => ({
  MLFLOW_S3_ENDPOINT_URL: endpoint,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
});

interface ModelVersion {
  name: string;
  version: string;
  source: string;
  run_id: string;
  status: string;
}

describe('ML jobs with MLflow', () => {
  let mlflow: DevWithMlflow;
  let s3: S3Server;
  let engine: Engine;
  let settings: JobSettings;
  let jobId: number;
  let firstRun: Run;
  const versions = async (name: string) =>
    (
      await mlflowApi<{ model_versions?: ModelVersion[] }>(
        mlflow.url,
        `model-versions/search?filter=${encodeURIComponent(`name='${name}'`)}`
      )
    ).model_versions ?? [];

  const devHome = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-dev-mlflow-'));
  beforeAll(async () => {
    // The MLflow server of a `djobs dev` session; this file's runs use a worker of their own on it.
    [mlflow, s3] = await Promise.all([startDevWithMlflow(devHome), startS3Server()]);
    // Tasks reach the S3-compatible store as MLflow and boto3 users configure it: in the worker's
    // environment, passed to its sandboxed tasks by name (DJOBS_SANDBOX_ENV, docs/ml.md).
    Object.assign(process.env, S3_ENV(s3.endpoint));
    // The worker's fork server imports MLflow and scikit-learn once (DJOBS_PYTHON_PRELOAD, as
    // docs/ml.md suggests), instead of each of this file's dozen Python attempts importing them
    // again (seconds each); the fresh-import path is the `djobs dev` worker's, in the last test.
    engine = await startEngine('mlflow', {
      python: mlflow.python,
      mlflowTrackingUri: mlflow.url,
      pythonForkServer: { preload: ML_PRELOAD },
      sandbox: { passEnv: Object.keys(S3_ENV(s3.endpoint)) },
    });
    ({ settings } = await loadJobSpecFile(example));
    ({ job_id: jobId } = await engine.client.createJob(settings));
  }, 600_000);
  afterAll(async () => {
    await engine?.stop();
    await mlflow?.stop();
    await s3?.stop();
    fs.rmSync(devHome, { recursive: true, force: true });
  });

  it('runs the churn pipeline: metric, tags back to the run, a new model version, and get-run links', async () => {
    const { run_id } = await engine.client.runNow(jobId);
    firstRun = await engine.client.waitForRun(run_id, { timeoutMs: 400_000 });
    const tasks = latestByKey(firstRun);
    expect(firstRun.state.result_state, JSON.stringify(firstRun.state)).toBe('SUCCESS');
    expect(tasks.register_model!.state.result_state).toBe('SUCCESS');

    // One experiment per job, holding one MLflow run per Python task, each tagged back to its task run.
    const { experiment } = await mlflowApi<{ experiment: { experiment_id: string } }>(
      mlflow.url,
      `experiments/get-by-name?experiment_name=${encodeURIComponent(`/djobs/Customer churn model (job ${jobId})`)}`
    );
    const runs = await mlflowRunsOfJobRun(mlflow.url, run_id);
    expect(runs.map((r) => r.task_key)).toEqual(['feature_engineering', 'train', 'evaluate']);
    for (const r of runs) {
      expect(r.experiment_id).toBe(experiment.experiment_id);
      expect(r.task_run_id).toBe(tasks[r.task_key]!.run_id);
      expect(r.attempt_number).toBe(0);
      expect(r.status).toBe('FINISHED');
      expect(r.url).toBe(`${mlflow.url}/#/experiments/${experiment.experiment_id}/runs/${r.run_id}`);
    }
    const { run } = await mlflowApi<{ run: { data: { tags: { key: string; value: string }[] } } }>(
      mlflow.url,
      `runs/get?run_id=${runs[2]!.run_id}`
    );
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'djobs.job_id': String(jobId),
      'djobs.job_run_id': String(run_id),
      'djobs.task_run_id': String(tasks.evaluate!.run_id),
      'djobs.task_key': 'evaluate',
      'djobs.attempt_number': '0',
      'mlflow.source.type': 'JOB',
    });
    const accuracy = runs[2]!.metrics.accuracy!;
    expect(accuracy).toBeGreaterThan(0.8);
    expect(accuracy).toBeLessThanOrEqual(1);

    // The condition took the true branch and register_model made version 1 from the training run.
    const [v1, ...more] = await versions('customer_churn_model');
    expect(more).toEqual([]);
    expect(v1).toMatchObject({ version: '1', status: 'READY', run_id: runs[1]!.run_id });

    // get-run shows the MLflow runs with their links.
    const out = spawnSync(
      process.execPath,
      [path.join(root, 'dist', 'cli', 'index.js'), 'jobs', 'get-run', String(run_id)],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: engine.address,
          MLFLOW_TRACKING_URI: mlflow.url,
          DJOBS_HOME: engine.dataDir,
        },
      }
    );
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('MLflow runs:');
    for (const r of runs) expect(out.stdout).toContain(r.url);
    expect(out.stdout).toMatch(new RegExp(`evaluate\\s+0\\s+evaluate\\s+accuracy=${Number(accuracy.toPrecision(4))}`));
  }, 480_000);

  it('a higher threshold skips registration (EXCLUDED) and creates no version', async () => {
    const { run_id } = await engine.client.runNow(jobId, { jobParameters: { accuracy_threshold: '0.999' } });
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 400_000 });
    const tasks = latestByKey(run);
    expect(run.state.result_state, JSON.stringify(run.state)).toBe('SUCCESS');
    expect(tasks.accuracy_above_threshold!.state.result_state).toBe('SUCCESS');
    expect(tasks.register_model!.state.result_state).toBe('EXCLUDED');
    expect((await versions('customer_churn_model')).map((v) => v.version)).toEqual(['1']);
    expect((await mlflowRunsOfJobRun(mlflow.url, run_id)).map((r) => r.task_key)).toEqual([
      'feature_engineering',
      'train',
      'evaluate',
    ]);
  }, 480_000);

  it('a retried task makes one MLflow run per attempt, each tagged with its attempt', async () => {
    const file = path.join(engine.workDir, 'flaky_train.py');
    fs.writeFileSync(
      file,
      [
        'import os, mlflow',
        'with mlflow.start_run():',
        '    mlflow.log_param("attempt", os.environ["DJOBS_ATTEMPT_NUMBER"])',
        '    if os.environ["DJOBS_ATTEMPT_NUMBER"] == "0":',
        '        raise RuntimeError("first attempt fails")',
      ].join('\n')
    );
    const { run_id } = await engine.client.submitRun({
      name: 'flaky training',
      tasks: [
        { task_key: 'train', spark_python_task: { python_file: file }, max_retries: 1, min_retry_interval_millis: 0 },
      ],
    });
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 120_000 });
    expect(run.state.result_state).toBe('SUCCESS');
    const attempts = attemptsOf(run, 'train');
    expect(attempts.map((a) => a.state.result_state)).toEqual(['FAILED', 'SUCCESS']);
    const runs = await mlflowRunsOfJobRun(mlflow.url, run_id);
    expect(runs.map((r) => [r.task_key, r.attempt_number, r.task_run_id, r.status])).toEqual([
      ['train', 0, attempts[0]!.run_id, 'FAILED'],
      ['train', 1, attempts[1]!.run_id, 'FINISHED'],
    ]);
  }, 180_000);

  it('register_model from an s3:// model URI on an S3-compatible store', async () => {
    const store = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    try {
      await store.send(new CreateBucketCommand({ Bucket: 'models' }));
      // Repair the first run: register again (with its trained model) into the S3 model store.
      await engine.client.repairRun(firstRun.run_id, {
        rerunTasks: ['register_model'],
        jobParameters: { model_store: 's3://models/churn', model_name: 'customer_churn_model_s3' },
      });
      const repaired = await engine.client.waitForRun(firstRun.run_id, { timeoutMs: 180_000 });
      expect(attemptsOf(repaired, 'register_model').at(-1)!.state.result_state).toBe('SUCCESS');
      const [v] = await versions('customer_churn_model_s3');
      const prefix = `churn/run-${firstRun.run_id}/model`;
      expect(v).toMatchObject({ version: '1', status: 'READY', source: `s3://models/${prefix}` });
      const listed = await store.send(new ListObjectsV2Command({ Bucket: 'models', Prefix: prefix }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toContain(`${prefix}/MLmodel`);
      // The registered version loads from S3 and predicts.
      const load = spawnSync(
        mlflow.python,
        [
          '-c',
          'import mlflow, pandas as pd; m = mlflow.pyfunc.load_model("models:/customer_churn_model_s3/1"); ' +
            'print(len(m.predict(pd.DataFrame([[0.0] * 7], columns=m.metadata.get_input_schema().input_names()))))',
        ],
        { encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_URI: mlflow.url } }
      );
      expect(load.status, load.stderr).toBe(0);
      expect(load.stdout.trim()).toBe('1');
    } finally {
      store.destroy();
    }
  }, 300_000);

  it('a model trigger starts one run per new version, also across kill -9 of its worker', async () => {
    const model = 'trigger_model';
    const newVersion = async () =>
      (
        await mlflowApi<{ model_version: { version: string } }>(mlflow.url, 'model-versions/create', {
          name: model,
          source: `s3://models/${model}/${Date.now()}`,
        })
      ).model_version.version;
    await mlflowApi(mlflow.url, 'registered-models/create', { name: model });
    await newVersion(); // there before the job: not an update
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-model-trigger-'));
    // What the task writes: its own directory, as tasks never see DJOBS_HOME.
    const files = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-model-trigger-files-'));
    const taskQueue = `model-trigger-${process.pid}`;
    const dead = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;
    const startWorker = () => {
      const w = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'index.js'), 'worker'], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: engine.address,
          DJOBS_TASK_QUEUE: taskQueue,
          DJOBS_HOME: home,
          DJOBS_SANDBOX_READ_WRITE: files,
          MLFLOW_TRACKING_URI: mlflow.url,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      w.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker ${w.pid}] ${d.toString()}`));
      return w;
    };
    let worker = startWorker();
    const client = await DurableJobsClient.connect({
      address: engine.address,
      taskQueue,
      triggers: { modelPollSeconds: 0.3 },
      dataConverter: testDataConverter(),
    });
    try {
      const out = path.join(files, 'updates.txt');
      const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n') : []);
      const { job_id } = await client.createJob(
        job('on new model version', [sh('t', `echo '{{job.trigger.model.updates}}' >> ${out}`)], {
          trigger: { model: { condition: 'MODEL_VERSION_READY', securable_name: model } },
          queue: { enabled: true },
        })
      );
      const watcher = temporalClientOf(client).workflow.getHandle(`djobs-model-watch-${job_id}`);
      await waitFor(
        async () => (await watcher.query<{ state: { baselined: boolean } }>('getTriggerState')).state.baselined,
        'the model trigger to take stock',
        60_000
      );
      expect(await newVersion()).toBe('2');
      await waitFor(() => lines().length === 1, 'the run for version 2', 120_000);
      // The run must have ended before the kill: a task whose completion the killed worker had not
      // yet reported runs again (task side effects are at-least-once when a worker is lost), and
      // its line would be written twice although the trigger fired once.
      const [first] = await client.listRuns({ jobId: job_id });
      await client.waitForRun(first!.run_id, { timeoutMs: 60_000 });

      // Worker killed: version 3 lands while nothing watches; the restarted worker picks it up.
      worker.kill('SIGKILL');
      await waitFor(() => dead(worker), 'the worker to die');
      expect(await newVersion()).toBe('3');
      worker = startWorker();
      await waitFor(() => lines().length === 2, 'the run for version 3', 120_000);
      // Many polls later, nothing ran twice.
      const events = async () => (await watcher.describe()).historyLength ?? 0;
      const before = await events();
      await waitFor(async () => (await events()) > before + 30, 'more polls', 60_000);
      expect(lines().map((l) => JSON.parse(l) as unknown)).toEqual([
        [{ full_name: model, version: 2 }],
        [{ full_name: model, version: 3 }],
      ]);
      const runs = await client.listRuns({ jobId: job_id });
      expect(runs.map((r) => r.trigger)).toEqual(['MODEL', 'MODEL']);
      const infos = await Promise.all(
        runs.map(async (r) => (await client.waitForRun(r.run_id, { timeoutMs: 60_000 })).trigger_info?.model)
      );
      expect(infos.map((m) => m?.updates[0]?.version).sort()).toEqual([2, 3]);
      // Each run started with its job's viewers, as the job's schedule names them (runs/list's index).
      const jobViewers = (
        await temporalClientOf(client).schedule.getHandle(jobScheduleId(job_id)).describe()
      ).typedSearchAttributes.get(DjobsViewers);
      expect(jobViewers?.length).toBeGreaterThan(0);
      for (const r of runs)
        expect(
          (
            await temporalClientOf(client).workflow.getHandle(runWorkflowId(r.run_id)).describe()
          ).typedSearchAttributes.get(DjobsViewers)
        ).toEqual(jobViewers);
      await client.deleteJob(job_id);
    } finally {
      if (!dead(worker)) worker.kill('SIGKILL');
      await client.close();
      for (const dir of [home, files]) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);

  it('djobs dev --mlflow prints the MLflow UI address, and the runs its worker runs log there', async () => {
    expect(mlflow.output()).toContain(`MLflow UI: ${mlflow.url}`);
    expect((await fetch(`${mlflow.url}/health`)).ok).toBe(true);
    expect(fs.existsSync(path.join(devHome, 'mlflow', 'mlflow.db'))).toBe(true);
    const cli = path.join(root, 'dist', 'cli', 'index.js');
    const script = path.join(mlflow.files, 'log_metric.py');
    fs.writeFileSync(script, 'import mlflow\nwith mlflow.start_run():\n    mlflow.log_metric("rmse", 0.25)\n');
    const spec = path.join(mlflow.files, 'job.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({ name: 'dev metric', tasks: [{ task_key: 'fit', spark_python_task: { python_file: script } }] })
    );
    const run = spawnSync(process.execPath, [cli, 'run', spec, '-o', 'json'], { env: mlflow.env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const { run_id } = JSON.parse(run.stdout) as Run;
    const shown = spawnSync(process.execPath, [cli, 'jobs', 'get-run', String(run_id)], {
      env: mlflow.env,
      encoding: 'utf8',
    });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(`fit\\s+0\\s+\\S+\\s+rmse=0.25\\s+${mlflow.url}/#/experiments/\\d+/runs/\\w+`)
    );
  }, 300_000);
});
