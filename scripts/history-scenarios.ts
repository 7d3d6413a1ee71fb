// The runs the replay corpus records (test/replay/histories/*.json; scripts/record-histories.ts
// records them): one scenario per interpreter path worth proving, each a job run or a submitted run
// with what happens during it and after it. Scenarios named after a patch record the new path;
// the histories recorded before it stay, so both paths replay.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import type { DurableJobsClient } from '../client';
import type { JobSettings, Task } from '../core';
import { jobGateWorkflowId } from '../workflows/definitions';

/** What the scenarios record with: the recording's client and worker connection, its own temp dir. */
export interface RecordingContext {
  client: DurableJobsClient;
  address: string;
  taskQueue: string;
  connection: NativeConnection;
  home: string;
  /** Record a finished workflow (not a run) under `name`, with the workflow id it ran under. */
  recordWorkflow: (name: string, workflowId: string) => Promise<void>;
}

export interface RunScenario {
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
}

export const sh = (task_key: string, command: string, extra: Partial<Task> = {}): Task => ({
  task_key,
  shell_command_task: { command },
  ...extra,
});

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The recorded runs, in the order they are recorded. */
export function runScenarios({ client, home }: RecordingContext): RunScenario[] {
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

  /** A run paused while its first task runs and resumed once it succeeded, recorded as `name`. */
  const pauseResume = (name: string): RunScenario => {
    const gateFile = `${gate}-${name}`;
    return {
      name,
      settings: {
        name: 'pause',
        tasks: [
          sh('first', `while [ ! -f ${gateFile} ]; do sleep 0.1; done`),
          sh('second', 'true', { depends_on: [{ task_key: 'first' }] }),
        ],
      },
      during: async (runId) => {
        await waitUntil(async () => (await client.getRun(runId)).tasks[0]!.state.life_cycle_state === 'RUNNING');
        await client.pauseRun(runId);
        fs.writeFileSync(gateFile, '');
        await waitUntil(async () => (await client.getRun(runId)).tasks[0]!.state.result_state === 'SUCCESS');
        await client.resumeRun(runId);
      },
    };
  };

  const scenarios: RunScenario[] = [
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
    pauseResume('pause-resume'),
    // After 'control-signal-argument': pause and resume carry their name and workflow id.
    pauseResume('pause-resume-control-arg'),
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
  /** A for_each of five inputs, two at a time; the third fails once (the file `third` marks it). */
  const forEachSettings = (third: string): JobSettings => ({
    name: 'for-each',
    tasks: [
      {
        task_key: 'each',
        for_each_task: {
          inputs: '[1,2,3,4,5]',
          concurrency: 2,
          task: sh('item', `[ {{input}} != 3 ] || [ -f ${third} ] || (touch ${third}; exit 1)`, { max_retries: 1 }),
        },
      },
    ],
  });
  scenarios.push(
    { name: 'for-each', settings: forEachSettings(path.join(home, 'third')) },
    // After 'workflow-kind-attribute': the for_each child starts with DjobsKind = 'for_each'.
    { name: 'for-each-kind', settings: forEachSettings(path.join(home, 'third-kind')) },
    // After 'patches-decided-first': the for_each child asks its patches at its start.
    { name: 'for-each-patches-decided-first', settings: forEachSettings(path.join(home, 'third-decided')) },
    { name: 'run-job-task', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob },
    // After 'run-job-task-viewers': the child run starts with the called job's viewers.
    { name: 'run-job-task-viewers', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob },
    // After 'workflow-kind-attribute': the child run starts with DjobsKind = 'run'.
    { name: 'run-job-task-kind', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob },
    // After 'run-job-task-permission': the called job is loaded once the run's identity is shown
    // to hold CAN_MANAGE_RUN on it, and the child carries the job's memo.
    { name: 'run-job-task-permission', settings: { name: 'placeholder', tasks: [] }, prepare: callerOfAJob },
    // After 'sealed-run-identity': the run opens its sealed identity before anything runs.
    {
      name: 'sealed-run-identity',
      settings: { name: 'sealed', tasks: [sh('a', 'true'), sh('b', 'true', { depends_on: [{ task_key: 'a' }] })] },
    },
    // After 'for-each-inputs-limit': inputs a reference fills past 48 KiB end the task INVALID.
    {
      name: 'for-each-inputs-limit',
      settings: {
        name: 'too many inputs',
        parameters: [{ name: 'items', default: JSON.stringify(Array.from({ length: 12_000 }, (_, i) => i)) }],
        tasks: [
          {
            task_key: 'each',
            for_each_task: { inputs: '{{job.parameters.items}}', task: sh('item', 'true') },
          },
        ],
      },
    }
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
  return scenarios;
}
