// Records the replay corpus (test/replay/histories/*.json): representative runs executed on a real
// server, saved with their full event history. Run after a deliberate, patched() interpreter change:
//   TEMPORAL_ADDRESS=127.0.0.1:7233 node dist/scripts/record-histories.js
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { DurableJobsClient } from '../client';
import { runWorkflowId, type JobSettings, type Task } from '../core';
import { createDjobsWorker } from '../worker';
import { ensureMlflow } from '../config/mlflow-install';
import { startMlflowServer } from '../config/mlflow-server';
import {
  continuousWorkflowId,
  fileArrivalWorkflowId,
  modelTriggerWorkflowId,
  jobGateWorkflowId,
  poolGateWorkflowId,
} from '../workflows/definitions';

const sh = (task_key: string, command: string, extra: Partial<Task> = {}): Task => ({
  task_key,
  shell_command_task: { command },
  ...extra,
});

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const taskQueue = `record-${Date.now()}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-record-'));
  const connection = await NativeConnection.connect({ address });
  const worker = await createDjobsWorker({ connection, namespace: 'default', taskQueue, dataDir: home });
  const client = await DurableJobsClient.connect({ address, taskQueue, runOptions: { heartbeatTimeoutSeconds: 5 } });
  const out = path.resolve(__dirname, '..', '..', 'test', 'replay', 'histories');
  fs.mkdirSync(out, { recursive: true });
  const flag = path.join(home, 'flaky');
  const gate = path.join(home, 'gate');

  /** A job to call, and the settings of a run that calls it (run_job_task), then runs one more task. */
  const callerOfAJob = async (): Promise<JobSettings> => {
    const { job_id } = await client.createJob({
      name: 'called',
      tasks: [sh('hello', 'echo {{job.parameters.who}}')],
      parameters: [{ name: 'who', default: 'x' }],
    });
    return {
      name: 'caller',
      tasks: [
        { task_key: 'call', run_job_task: { job_id, job_parameters: { who: 'caller' } } },
        sh('after', 'true', { depends_on: [{ task_key: 'call' }] }),
      ],
    };
  };

  const scenarios: {
    name: string;
    settings: JobSettings;
    during?: (runId: number) => Promise<void>;
    after?: (runId: number) => Promise<void>;
    firstExecution?: boolean;
    /** Builds the settings when they need something created first (e.g. a job to call). */
    prepare?: () => Promise<JobSettings>;
    /** Starts the recorded run itself (a job run rather than a submitted one); returns its id. */
    start?: () => Promise<number>;
    /** Also record this workflow (by id) once the run is done, as `<name>-gate`. */
    gateOf?: () => string;
  }[] = [
    {
      name: 'chain',
      settings: {
        name: 'chain',
        tasks: [
          sh('a', 'echo a'),
          sh('b', 'echo b', { depends_on: [{ task_key: 'a' }] }),
          sh('c', 'echo c', { depends_on: [{ task_key: 'b' }] }),
        ],
      },
    },
    {
      name: 'fan-out-fan-in',
      settings: {
        name: 'fan',
        tasks: [
          sh('root', 'true'),
          ...['x', 'y', 'z'].map((k) => sh(k, 'true', { depends_on: [{ task_key: 'root' }] })),
          sh('sink', 'true', { depends_on: ['x', 'y', 'z'].map((task_key) => ({ task_key })) }),
        ],
      },
    },
    {
      name: 'failure-retry-run-if',
      settings: {
        name: 'retry',
        tasks: [
          sh('flaky', `if [ -f ${flag} ]; then exit 0; fi; touch ${flag}; exit 1`, {
            max_retries: 1,
            min_retry_interval_millis: 500,
          }),
          sh('bad', 'exit 2'),
          sh('cleanup', 'true', { depends_on: [{ task_key: 'bad' }, { task_key: 'flaky' }], run_if: 'ALL_DONE' }),
          sh('skipped', 'true', { depends_on: [{ task_key: 'bad' }] }),
          sh('on_fail', 'true', { depends_on: [{ task_key: 'bad' }], run_if: 'AT_LEAST_ONE_FAILED' }),
        ],
      },
    },
    // After 'retry-interval-workflow-clock': the interval counts from the workflow's own clock.
    {
      name: 'retry-interval',
      settings: {
        name: 'retry interval',
        tasks: [
          sh('flaky', `if [ -f ${flag}-interval ]; then exit 0; fi; touch ${flag}-interval; exit 1`, {
            max_retries: 1,
            min_retry_interval_millis: 1500,
          }),
        ],
      },
    },
    {
      name: 'task-timeout',
      settings: {
        name: 'timeout',
        tasks: [sh('slow', 'sleep 30', { timeout_seconds: 1, max_retries: 1, retry_on_timeout: true })],
      },
    },
    {
      name: 'job-timeout',
      settings: {
        name: 'job timeout',
        timeout_seconds: 1,
        tasks: [sh('slow', 'sleep 30'), sh('next', 'true', { depends_on: [{ task_key: 'slow' }] })],
      },
    },
    {
      name: 'cancel',
      settings: {
        name: 'cancel',
        tasks: [sh('long', 'sleep 60'), sh('after', 'true', { depends_on: [{ task_key: 'long' }] })],
      },
      during: async (runId) => {
        await waitUntil(async () => (await client.getRun(runId)).tasks[0]!.state.life_cycle_state === 'RUNNING');
        await client.cancelRun(runId);
      },
    },
    {
      name: 'pause-resume',
      settings: {
        name: 'pause',
        tasks: [
          sh('first', `while [ ! -f ${gate} ]; do sleep 0.1; done`),
          sh('second', 'true', { depends_on: [{ task_key: 'first' }] }),
        ],
      },
      during: async (runId) => {
        await waitUntil(async () => (await client.getRun(runId)).tasks[0]!.state.life_cycle_state === 'RUNNING');
        await client.pauseRun(runId);
        fs.writeFileSync(gate, '');
        await waitUntil(async () => (await client.getRun(runId)).tasks[0]!.state.result_state === 'SUCCESS');
        await client.resumeRun(runId);
      },
    },
  ];

  scenarios.push(
    {
      name: 'if-else',
      settings: {
        name: 'if-else',
        parameters: [{ name: 'threshold', default: '5' }],
        tasks: [
          sh('count', `echo '{"key":"rows","value":12}' >> "$DJOBS_TASK_VALUES_OUT"`),
          {
            task_key: 'check',
            depends_on: [{ task_key: 'count' }],
            condition_task: {
              op: 'GREATER_THAN',
              left: '{{tasks.count.values.rows}}',
              right: '{{job.parameters.threshold}}',
            },
          },
          sh('yes', 'echo {{tasks.count.values.rows}}', { depends_on: [{ task_key: 'check', outcome: 'true' }] }),
          sh('no', 'true', { depends_on: [{ task_key: 'check', outcome: 'false' }] }),
        ],
      },
    },
    {
      name: 'repair',
      settings: {
        name: 'repair',
        tasks: [
          sh('a', 'true'),
          sh('b', `test -f ${path.join(home, 'repaired')}`, { depends_on: [{ task_key: 'a' }] }),
          sh('c', 'true', { depends_on: [{ task_key: 'b' }] }),
        ],
      },
      after: async (runId) => {
        fs.writeFileSync(path.join(home, 'repaired'), '');
        await client.repairRun(runId, { rerunAllFailedTasks: true });
        await client.waitForRun(runId, { timeoutMs: 60_000 });
      },
    },
    {
      // Needs a server that suggests continue-as-new early (as the test server does: 2,000 events).
      name: 'continue-as-new',
      settings: {
        name: 'wide',
        tasks: Array.from({ length: 1000 }, (_, i) => ({
          task_key: `t${i}`,
          shell_command_task: { command: ['true'] },
        })),
      },
      firstExecution: true,
    }
  );
  scenarios.push(
    {
      name: 'for-each',
      settings: {
        name: 'for-each',
        tasks: [
          {
            task_key: 'each',
            for_each_task: {
              inputs: '[1,2,3,4,5]',
              concurrency: 2,
              task: sh(
                'item',
                `[ {{input}} != 3 ] || [ -f ${path.join(home, 'third')} ] || (touch ${path.join(home, 'third')}; exit 1)`,
                { max_retries: 1 }
              ),
            },
          },
        ],
      },
    },
    { name: 'run-job-task', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob },
    // After 'run-job-task-viewers': the child run starts with the called job's viewers.
    { name: 'run-job-task-viewers', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob }
  );
  // After 'git-source-checkout': the run decides its commit of git_source once (an activity) and
  // its Git-sourced task reads the checkout; a repair (recorded on its own: the repair's execution)
  // reuses the commit without deciding again.
  const gitSourced = (name: string) => async (): Promise<JobSettings> => {
    const repo = path.join(home, `${name}.git`);
    const clone = path.join(home, `${name}-clone`);
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=r', '-c', 'user.email=r@example.com', ...args], { cwd });
    git(home, 'init', '-q', '--bare', '-b', 'main', repo);
    git(home, 'clone', '-q', repo, clone);
    fs.writeFileSync(path.join(clone, 'hello.sql'), 'SELECT 1 AS one;\n');
    git(clone, 'add', '.');
    git(clone, 'commit', '-qm', 'first');
    git(clone, 'push', '-q', 'origin', 'main');
    return {
      name,
      git_source: { git_url: `file://${repo}`, git_provider: 'gitHub', git_branch: 'main' },
      tasks: [
        { task_key: 'query', sql_task: { file: { path: 'hello.sql' } } },
        sh('flaky', `test -f ${flag}-${name} || (touch ${flag}-${name}; exit 1)`, {
          depends_on: [{ task_key: 'query' }],
        }),
      ],
    };
  };
  scenarios.push(
    { name: 'git-source', settings: { name: 'placeholder', tasks: [] }, prepare: gitSourced('git-source') },
    {
      name: 'git-source-repair',
      settings: { name: 'placeholder', tasks: [] },
      prepare: gitSourced('git-source-repair'),
      after: async (runId) => {
        await client.repairRun(runId, { rerunAllFailedTasks: true });
        await client.waitForRun(runId, { timeoutMs: 60_000 });
      },
    }
  );
  // After 'run-notifications': deliveries of on_start, a retried task's on_failure, duration
  // warnings (job and task health rules) and the run's on_failure, to the worker's outbox.
  const ops = ['ops@example.com'];
  const slowRule = { rules: [{ metric: 'RUN_DURATION_SECONDS' as const, op: 'GREATER_THAN' as const, value: 1 }] };
  scenarios.push({
    name: 'notifications',
    settings: {
      name: 'notified',
      email_notifications: { on_start: ops, on_failure: ops, on_duration_warning_threshold_exceeded: ops },
      health: slowRule,
      tasks: [
        sh('flaky', `if [ -f ${flag}-notified ]; then exit 0; fi; touch ${flag}-notified; exit 1`, {
          max_retries: 1,
          min_retry_interval_millis: 500,
          email_notifications: { on_start: ops, on_failure: ops, on_success: ops },
          notification_settings: { alert_on_last_attempt: true },
        }),
        sh('slow', 'sleep 2; exit 1', {
          health: slowRule,
          email_notifications: { on_duration_warning_threshold_exceeded: ops },
        }),
      ],
    },
  });
  let gateJob = 0;
  const jobRuns = (queue: boolean) => async () => {
    const { job_id } = await client.createJob({
      name: 'gated',
      tasks: [sh('work', 'sleep 1')],
      queue: { enabled: queue },
    });
    gateJob = job_id;
    await client.runNow(job_id); // holds the only slot
    return (await client.runNow(job_id)).run_id; // queued, or skipped without a queue
  };
  scenarios.push(
    {
      name: 'queued-job-run',
      settings: { name: 'placeholder', tasks: [] },
      start: jobRuns(true),
      gateOf: () => jobGateWorkflowId(gateJob),
    },
    { name: 'skipped-job-run', settings: { name: 'placeholder', tasks: [] }, start: jobRuns(false) },
    // After 'run-marked-until-admitted': the queued run marks itself QUEUED, then clears the mark.
    {
      name: 'admission-marked-job-run',
      settings: { name: 'placeholder', tasks: [] },
      start: jobRuns(true),
    },
    // After 'slot-release-by-local-activity' and 'gate-answers-at-once': the queued run gives its
    // slot back through a local activity; its gate answers each batch of requests at once.
    {
      name: 'released-job-run',
      settings: { name: 'placeholder', tasks: [] },
      start: jobRuns(true),
      gateOf: () => jobGateWorkflowId(gateJob),
    }
  );
  /** Record a finished workflow (not a run) under `name`, with the workflow id it ran under. */
  const recordWorkflow = async (name: string, workflowId: string) => {
    await waitUntil(
      async () => (await client.temporal.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING',
      60_000
    );
    const h = await client.temporal.workflow.getHandle(workflowId).fetchHistory();
    fs.writeFileSync(path.join(out, `${name}.json`), historyToJSON(h));
    const idsFile = path.join(out, '..', 'workflow-ids.json');
    const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as Record<string, string>;
    ids[name] = workflowId;
    fs.writeFileSync(idsFile, `${JSON.stringify(ids, null, 2)}\n`);
    console.log(`recorded ${name} (${h.events?.length ?? 0} events)`);
  };
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
        (await client.temporal.workflow.getHandle(watcher).query<{ state: { baselined: boolean } }>('getTriggerState'))
          .state.baselined
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
    'continuous-supervisor': () => continuousFailsThenSucceeds('continuous-supervisor'),
    // After 'trigger-run-viewers': runs it follows (executeChild) carry the job's viewers.
    'continuous-supervisor-viewers': () => continuousFailsThenSucceeds('continuous-supervisor-viewers'),
    // A model trigger on a real MLflow registry: a version there before, then a new one.
    'model-trigger-watcher': async () => {
      const mlflow = await startMlflowServer({ python: ensureMlflow(), home, port: 0 });
      await mlflow.ready;
      const api = async (endpoint: string, body: Record<string, unknown>) => {
        const res = await fetch(`${mlflow.url}/api/2.0/mlflow/${endpoint}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${endpoint}: ${res.status} ${await res.text()}`);
      };
      const modelQueue = `${taskQueue}-model`;
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
              (
                await client.temporal.workflow
                  .getHandle(watcher)
                  .query<{ state: { baselined: boolean } }>('getTriggerState')
              ).state.baselined
          );
          await api('model-versions/create', { name: 'recorded', source: 's3://models/recorded/2' });
          let runs: { run_id: number }[] = [];
          await waitUntil(async () => (runs = await modelClient.listRuns({ jobId: job_id })).length >= 1, 60_000);
          for (const r of runs) await modelClient.waitForRun(r.run_id, { timeoutMs: 60_000 });
          await modelClient.deleteJob(job_id);
          await recordWorkflow('model-trigger-watcher', watcher);
        });
      } finally {
        await modelClient.close();
        await mlflow.stop();
      }
    },
    'pool-capped-run': async () => {
      const poolQueue = `${taskQueue}-pool`;
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
        await recordWorkflow('pool-capped-run', runWorkflowId(run_id));
        await recordWorkflow('pool-capped-run-gate', poolGateWorkflowId(poolQueue));
      });
      await poolClient.close();
    },
  };
  const only = process.argv.slice(2);
  await worker.runUntil(async () => {
    for (const s of scenarios.filter((x) => only.length === 0 || only.includes(x.name))) {
      const run_id = s.start
        ? await s.start()
        : (await client.submitRun(s.prepare ? await s.prepare() : s.settings)).run_id;
      await s.during?.(run_id);
      await client.waitForRun(run_id, { timeoutMs: 120_000 });
      await s.after?.(run_id);
      let runIdOfExecution: string | undefined;
      if (s.firstExecution) {
        // Visibility is eventually consistent: wait for the continued execution to be listed.
        await waitUntil(async () => {
          for await (const wf of client.temporal.workflow.list({
            query: `WorkflowId = '${runWorkflowId(run_id)}' AND ExecutionStatus = 'ContinuedAsNew'`,
          }))
            runIdOfExecution = wf.runId;
          return runIdOfExecution !== undefined;
        });
      }
      const history = await client.temporal.workflow.getHandle(runWorkflowId(run_id), runIdOfExecution).fetchHistory();
      fs.writeFileSync(path.join(out, `${s.name}.json`), historyToJSON(history));
      const idsFile = path.join(out, '..', 'workflow-ids.json');
      const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as Record<string, string>;
      ids[s.name] = runWorkflowId(run_id);
      fs.writeFileSync(idsFile, `${JSON.stringify(ids, null, 2)}\n`);
      console.log(`recorded ${s.name} (${history.events?.length ?? 0} events)`);
      if (s.gateOf) {
        const gateId = s.gateOf();
        await waitUntil(
          async () => (await client.temporal.workflow.getHandle(gateId).describe()).status.name !== 'RUNNING'
        );
        const h = await client.temporal.workflow.getHandle(gateId).fetchHistory();
        fs.writeFileSync(path.join(out, `${s.name}-gate.json`), historyToJSON(h));
        console.log(`recorded ${s.name}-gate (${h.events?.length ?? 0} events)`);
      }
      // The for_each child workflow (its iterations) is recorded too.
      for await (const child of client.temporal.workflow.list({
        query: `WorkflowId STARTS_WITH '${runWorkflowId(run_id)}-foreach-'`,
      })) {
        const h = await client.temporal.workflow.getHandle(child.workflowId, child.runId).fetchHistory();
        fs.writeFileSync(path.join(out, `${s.name}-iterations.json`), historyToJSON(h));
        console.log(`recorded ${s.name}-iterations (${h.events?.length ?? 0} events)`);
      }
    }
    for (const [name, scenario] of Object.entries(workflowScenarios))
      if (only.length === 0 || only.includes(name)) await scenario();
  });
  await triggerClient.close();
  await client.close();
  await connection.close();
}

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
