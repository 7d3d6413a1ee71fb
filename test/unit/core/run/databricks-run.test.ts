import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TERMINATION_CODES,
  terminationCodesTable,
  terminationOf,
  ClockedJson,
  liveRunView,
  resolvedValuesOf,
  runPageUrl,
  sqlOutputOf,
  runViewIsSettled,
  taskRunView,
  toDatabricksRun,
  withOneTimeRunJobId,
  withoutResolvedValues,
  withRepairHistory,
  type AttemptState,
  type RunState,
  type Task,
} from '../../../../core';

const SKIP_MESSAGE = 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.';

function runState(over: Partial<RunState> = {}): RunState {
  return {
    run_id: 5,
    job_id: 3,
    run_name: 'r',
    run_type: 'JOB_RUN',
    trigger: 'ONE_TIME',
    settings: { name: 'r', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] },
    job_parameters: {},
    start_time: 1000,
    end_time: 2000,
    paused: false,
    result: 'SUCCESS',
    state_message: '',
    userCanceledOrTimedOut: false,
    tasks: {
      a: {
        task_key: 'a',
        attempts: [
          {
            run_id: 77,
            attempt_number: 0,
            phase: 'TERMINATED',
            result: 'SUCCESS',
            state_message: '',
            start_time: 1100,
            end_time: 1900,
          },
        ],
      },
    },
    ...over,
  };
}

describe('Databricks run shape', () => {
  it("gives the tasks of a run skipped at admission the run's own termination code", () => {
    const skippedTask = {
      run_id: 77,
      attempt_number: 0,
      phase: 'SKIPPED' as const,
      state_message: SKIP_MESSAGE,
      start_time: 0,
      end_time: 0,
    };
    const full = runState({
      result: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
      state_message: SKIP_MESSAGE,
      tasks: { a: { task_key: 'a', attempts: [skippedTask] } },
    });
    const run = toDatabricksRun(full, 3000);
    expect(run.status.termination_details).toEqual({
      code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
      type: 'CLIENT_ERROR',
      message: SKIP_MESSAGE,
    });
    expect(run.tasks[0]!.status).toEqual({
      state: 'TERMINATED',
      termination_details: { code: 'MAX_CONCURRENT_RUNS_EXCEEDED', type: 'CLIENT_ERROR', message: SKIP_MESSAGE },
    });
    // A full queue has its own code, on the run and on its tasks alike.
    const queueFull = toDatabricksRun({ ...full, termination_code: 'MAX_JOB_QUEUE_SIZE_EXCEEDED' }, 3000);
    expect(queueFull.tasks[0]!.status.termination_details!.code).toBe('MAX_JOB_QUEUE_SIZE_EXCEEDED');
    expect(queueFull.status.termination_details!.code).toBe('MAX_JOB_QUEUE_SIZE_EXCEEDED');
  });

  it("gives a run never repaired the single ORIGINAL history entry, and keeps a repaired run's history", () => {
    const run = toDatabricksRun(runState(), 3000);
    expect(run.repair_history).toBeUndefined();
    expect(withRepairHistory(run).repair_history).toEqual([
      { type: 'ORIGINAL', start_time: 1000, end_time: 2000, state: run.state, status: run.status, task_run_ids: [77] },
    ]);
    const repaired = toDatabricksRun(
      runState({
        repair_history: [
          { type: 'ORIGINAL', start_time: 1000, end_time: 1500, result: 'FAILED', task_run_ids: [76] },
          { type: 'REPAIR', id: 9, start_time: 1600, end_time: 2000, result: 'SUCCESS', task_run_ids: [77] },
        ],
      }),
      3000
    );
    expect(withRepairHistory(repaired)).toBe(repaired);
  });

  it('gives a one-time run its own id as job_id, and leaves job runs alone', () => {
    const submitted = toDatabricksRun(runState({ job_id: undefined, run_type: 'SUBMIT_RUN' }), 3000);
    expect(submitted.job_id).toBeUndefined();
    expect(withOneTimeRunJobId(submitted).job_id).toBe(5);
    const jobRun = toDatabricksRun(runState(), 3000);
    expect(withOneTimeRunJobId(jobRun)).toBe(jobRun);
  });

  it("gives each repair history entry its execution's state_message (the run's for entries recorded without one)", () => {
    const run = toDatabricksRun(
      runState({
        state_message: 'now',
        repair_history: [
          { type: 'ORIGINAL', start_time: 1000, end_time: 1500, result: 'FAILED', task_run_ids: [76] },
          {
            type: 'REPAIR',
            id: 8,
            start_time: 1600,
            end_time: 1700,
            result: 'FAILED',
            state_message: 'Task a failed with message: boom.',
            task_run_ids: [77],
          },
          { type: 'REPAIR', id: 9, start_time: 1800, end_time: 2000, result: 'SUCCESS', task_run_ids: [78] },
        ],
      }),
      3000
    );
    expect(run.repair_history!.map((h) => h.state.state_message)).toEqual([
      '',
      'Task a failed with message: boom.',
      'now',
    ]);
    expect(run.repair_history![1]!.status.termination_details?.message).toBe('Task a failed with message: boom.');
  });

  it("copies the job's description, schedule and job_clusters onto the run, and only when the job has them", () => {
    const settings = {
      ...runState().settings,
      description: 'nightly',
      schedule: { quartz_cron_expression: '0 0 1 * * ?', timezone_id: 'UTC' },
      job_clusters: [{ job_cluster_key: 'c', new_cluster: { spark_version: '15.4.x-scala2.12', num_workers: 1 } }],
    };
    const run = toDatabricksRun(runState({ settings }), 3000);
    expect(run.description).toBe('nightly');
    expect(run.schedule).toEqual(settings.schedule);
    expect(run.job_clusters).toEqual(settings.job_clusters);
    const bare = toDatabricksRun(runState(), 3000);
    expect(Object.keys(bare)).not.toEqual(expect.arrayContaining(['description']));
    expect('schedule' in bare || 'job_clusters' in bare).toBe(false);
  });

  it("gives every task its own page (the task's pane) when asked, and none otherwise", () => {
    const links = { webUiUrl: 'http://ui/', temporalUiUrl: 'http://t', namespace: 'default' };
    const run = toDatabricksRun(runState(), 3000, { taskPageUrl: (k) => runPageUrl(links, 5, k) });
    expect(run.tasks[0]!.run_page_url).toBe('http://ui/#/runs/5?task=a');
    expect(runPageUrl(links, 5, 'a b')).toBe('http://ui/#/runs/5?task=a%20b');
    expect(runPageUrl({ temporalUiUrl: 'http://t', namespace: 'default' }, 5, 'a')).toBe(
      'http://t/namespaces/default/workflows/djobs-run-5'
    );
    expect('run_page_url' in toDatabricksRun(runState(), 3000).tasks[0]!).toBe(false);
  });

  it('names the worker pool an attempt ran on as its cluster_instance, and none for workflow-run or unstarted tasks', () => {
    const clusterOf = (task: Partial<Task>, a: Partial<AttemptState> = {}) =>
      toDatabricksRun(
        runState({
          settings: { name: 'r', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' }, ...task }] },
          tasks: { a: { task_key: 'a', attempts: [{ ...runState().tasks.a!.attempts[0]!, ...a }] } },
        }),
        3000
      ).tasks[0]!.cluster_instance;
    expect(clusterOf({})).toEqual({ cluster_id: 'default' });
    expect(clusterOf({ job_cluster_key: 'etl' })).toEqual({ cluster_id: 'etl' });
    expect(clusterOf({ existing_cluster_id: 'shared' })).toEqual({ cluster_id: 'shared' });
    expect(clusterOf({}, { phase: 'PENDING', start_time: 0, end_time: 0 })).toBeUndefined();
    expect(
      clusterOf({ shell_command_task: undefined, condition_task: { op: 'EQUAL_TO', left: '1', right: '1' } })
    ).toBeUndefined();
  });

  it("gives a task run id the task run's own view, with its job run as job_run_id", () => {
    const failed: AttemptState = {
      run_id: 76,
      attempt_number: 0,
      phase: 'TERMINATED',
      result: 'FAILED',
      state_message: 'boom',
      start_time: 1100,
      end_time: 1400,
    };
    const retried: AttemptState = { ...runState().tasks.a!.attempts[0]!, attempt_number: 1, start_time: 1500 };
    const state = runState({ tasks: { a: { task_key: 'a', attempts: [failed, retried] } } });
    const run = { ...toDatabricksRun(state, 3000, { taskPageUrl: (k) => `page/${k}` }), run_page_url: 'page' };
    const view = taskRunView(run, 77)!;
    expect(view).toMatchObject({
      job_id: 3,
      run_id: 77,
      job_run_id: 5,
      attempt_number: 1,
      original_attempt_run_id: 76,
      run_name: 'a',
      start_time: 1500,
      end_time: 1900,
      run_duration: 400,
      run_page_url: 'page/a',
      state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' },
    });
    expect(view.tasks).toEqual([run.tasks[1]]);
    expect(taskRunView(run, 76)).toMatchObject({
      attempt_number: 0,
      original_attempt_run_id: 76,
      state: { result_state: 'FAILED', state_message: 'boom' },
    });
    expect(taskRunView(run, 99)).toBeUndefined();
  });

  it('reports the SINGLE_TASK format for runs of 2.0 single-task jobs', () => {
    const settings = { ...runState().settings, format: 'SINGLE_TASK' as const };
    expect(toDatabricksRun(runState({ settings }), 3000).format).toBe('SINGLE_TASK');
    expect(toDatabricksRun(runState(), 3000).format).toBe('MULTI_TASK');
  });
});

describe('a settled run view (kept once built, whatever the clock)', () => {
  const attempt = runState().tasks.a!.attempts[0]!;
  const runningAttempt = { ...attempt, phase: 'RUNNING' as const, result: undefined, end_time: 0 };
  const cases: { name: string; state: RunState; settled: boolean }[] = [
    { name: 'a finished run whose attempts all ended', state: runState(), settled: true },
    {
      name: 'a running run',
      state: runState({ end_time: 0, result: undefined, tasks: { a: { task_key: 'a', attempts: [runningAttempt] } } }),
      settled: false,
    },
    {
      name: 'a run waiting in its job queue',
      state: runState({
        end_time: 0,
        result: undefined,
        queued: { since: 900, reason: 'ACTIVE_RUNS_LIMIT_REACHED' },
        tasks: {},
      }),
      settled: false,
    },
    {
      name: 'a run ended from outside while an attempt was running',
      state: runState({ tasks: { a: { task_key: 'a', attempts: [runningAttempt] } } }),
      settled: false,
    },
  ];
  it.each(cases)('$name: settled is $settled, and then its view is the same at any time', ({ state, settled }) => {
    expect(runViewIsSettled(state)).toBe(settled);
    // Settled exactly when no clock enters the view: the same at two instants, or not.
    const early = toDatabricksRun(state, 3_000);
    const late = toDatabricksRun(state, 9_000_000);
    if (settled) expect(late).toEqual(early);
    else expect(late).not.toEqual(early);
  });
});

// A live run's view built once per state (core/run/live-run-view.ts) is, at every instant, the
// view built whole: the same fields with the same values in the same order, so the same JSON text.
const ended = (run_id: number, start_time: number, end_time: number): AttemptState => ({
  run_id,
  attempt_number: 0,
  phase: 'TERMINATED',
  result: 'SUCCESS',
  state_message: '',
  start_time,
  end_time,
});
const running = (run_id: number, start_time: number, attempt_number = 0): AttemptState => ({
  run_id,
  attempt_number,
  phase: 'RUNNING',
  state_message: 'In run',
  start_time,
  end_time: 0,
});
const failed = (run_id: number): AttemptState => ({ ...ended(run_id, 1200, 1300), result: 'FAILED' });
const pending = (run_id: number, state_message = ''): AttemptState => ({
  run_id,
  attempt_number: 0,
  phase: 'PENDING',
  state_message,
  start_time: 0,
  end_time: 0,
});

/** A running run of four tasks: one ended, one retried and running again, one running, one waiting. */
const liveState = (over: Partial<RunState> = {}): RunState =>
  runState({
    settings: {
      name: 'r',
      tasks: [
        { task_key: 'a', shell_command_task: { command: 'true' } },
        { task_key: 'b', depends_on: [{ task_key: 'a' }], shell_command_task: { command: 'sleep 9' } },
        { task_key: 'c', depends_on: [{ task_key: 'a' }], shell_command_task: { command: 'sleep 9' } },
        { task_key: 'd', depends_on: [{ task_key: 'b' }], shell_command_task: { command: 'true' } },
      ],
    },
    end_time: 0,
    result: undefined,
    tasks: {
      a: { task_key: 'a', attempts: [ended(71, 1100, 1900)] },
      b: { task_key: 'b', attempts: [failed(72), running(73, 2000, 1)] },
      c: { task_key: 'c', attempts: [running(74, 1950)] },
      d: { task_key: 'd', attempts: [pending(75, 'Waiting for upstream tasks to finish.')] },
    },
    ...over,
  });

const extra = { creator_user_name: 'alice@example.com', run_page_url: 'http://ui/runs/5' };

const cases: { name: string; state: RunState }[] = [
  { name: 'a run with two running attempts, one a retry', state: liveState() },
  {
    name: 'a run waiting in its job queue',
    state: liveState({ queued: { since: 900, reason: 'ACTIVE_RUNS_LIMIT_REACHED' }, tasks: {} }),
  },
  {
    name: 'a run whose tasks have not started',
    state: liveState({ tasks: { a: { task_key: 'a', attempts: [pending(71)] } } }),
  },
  {
    name: 'a run ended from outside while an attempt ran',
    state: liveState({
      end_time: 5000,
      result: 'CANCELED',
      tasks: { c: { task_key: 'c', attempts: [running(74, 1950)] } },
    }),
  },
  {
    name: 'a repaired run running again',
    state: liveState({
      repair_history: [
        { type: 'ORIGINAL', start_time: 1000, end_time: 1500, result: 'FAILED', task_run_ids: [71, 72] },
        { type: 'REPAIR', id: 9, start_time: 1900, end_time: 0, task_run_ids: [73, 74] },
      ],
    }),
  },
  {
    name: 'a finished run',
    state: liveState({
      end_time: 3000,
      result: 'SUCCESS',
      tasks: { a: { task_key: 'a', attempts: [ended(71, 1100, 1900)] } },
    }),
  },
];

describe('a live run view built once per state', () => {
  it.each(cases)('$name: the same view, to the byte, as one built whole at every instant', ({ state }) => {
    const at = liveRunView(state, extra);
    for (const now of [1000, 2500, 7_000, 86_400_000]) {
      const whole = { ...toDatabricksRun(state, now), ...extra };
      const view = at(now);
      expect(view).toEqual(whole);
      expect(JSON.stringify(view)).toBe(JSON.stringify(whole));
    }
  });

  it('moves only the durations the clock drives; the views share (frozen) everything else', () => {
    const at = liveRunView(liveState(), extra);
    const [early, late] = [at(3000), at(4000)];
    expect(late.run_duration - early.run_duration).toBe(1000);
    const moved = late.tasks.filter((t, i) => t.run_duration !== early.tasks[i]!.run_duration).map((t) => t.run_id);
    expect(moved).toEqual([73, 74]);
    expect(late.tasks[0]).toBe(early.tasks[0]);
    expect(late.state).toBe(early.state);
    expect(Object.isFrozen(late.tasks[0])).toBe(true);
    expect(() => {
      (late.state as { state_message: string }).state_message = 'changed';
    }).toThrow(TypeError);
  });
});

describe('a live run body serialised once (ClockedJson)', () => {
  const views = cases.map(({ name, state }) => ({ name, at: liveRunView(state, extra) }));
  it.each(views)('$name: filled in at any instant, the text of the view serialised then', ({ at }) => {
    const template = ClockedJson.of((now) => at(now))!;
    expect(template).toBeDefined();
    for (const now of [1000, 2500, 7_000, 1_796_000_000_000]) expect(template.at(now)).toBe(JSON.stringify(at(now)));
  });

  it('gives no template when the clock enters the text otherwise than as now - base', () => {
    expect(ClockedJson.of((now) => ({ twice: now * 2 - 5 }))).toBeUndefined();
    expect(ClockedJson.of((now) => ({ label: `at ${now / 1000}s` }))).toBeUndefined();
  });

  it('sees the clock only where it moves a number: a build that branches on it is not one to template', () => {
    // Why the API templates only `liveRunView`s, whose views depend on the clock through
    // `now - start` alone, and checks the template against the first read's own text.
    expect(ClockedJson.of((now) => ({ late: now > 1e15 ? 'yes' : 'no!' }))?.at(0)).toBe('{"late":"yes"}');
  });

  it('keeps numbers that look alike but do not move, and strings with digits', () => {
    const template = ClockedJson.of((now) => ({ id: 4_000_000_000_000_000, text: '4000000000000000', d: now - 7 }))!;
    expect(template.at(107)).toBe('{"id":4000000000000000,"text":"4000000000000000","d":100}');
    expect(template.at(3)).toBe('{"id":4000000000000000,"text":"4000000000000000","d":-4}');
  });
});

const endedAttempt = (over: Partial<AttemptState>): AttemptState => ({
  run_id: 77,
  attempt_number: 0,
  phase: 'TERMINATED',
  state_message: 'why',
  start_time: 1100,
  end_time: 1900,
  ...over,
});

const runOf = (a: AttemptState, over: Partial<RunState> = {}): RunState =>
  runState({ result: 'FAILED', state_message: 'run why', tasks: { a: { task_key: 'a', attempts: [a] } }, ...over });

const taskDetails = (a: AttemptState, over: Partial<RunState> = {}) =>
  toDatabricksRun(runOf(a, over), 3000).tasks[0]!.status.termination_details;

describe('termination codes as Databricks chooses them', () => {
  it('gives each code its Databricks type', () => {
    expect(Object.fromEntries(Object.entries(TERMINATION_CODES).map(([c, { type }]) => [c, type]))).toEqual({
      SUCCESS: 'SUCCESS',
      SUCCESS_WITH_FAILURES: 'SUCCESS',
      RUN_EXECUTION_ERROR: 'CLIENT_ERROR',
      RESOURCE_NOT_FOUND: 'CLIENT_ERROR',
      INVALID_RUN_CONFIGURATION: 'CLIENT_ERROR',
      LIBRARY_INSTALLATION_ERROR: 'CLIENT_ERROR',
      REPOSITORY_CHECKOUT_FAILED: 'CLIENT_ERROR',
      USER_CANCELED: 'CLIENT_ERROR',
      CANCELED: 'CLIENT_ERROR',
      SKIPPED: 'CLIENT_ERROR',
      DISABLED: 'CLIENT_ERROR',
      MAX_CONCURRENT_RUNS_EXCEEDED: 'CLIENT_ERROR',
      MAX_JOB_QUEUE_SIZE_EXCEEDED: 'CLIENT_ERROR',
      INTERNAL_ERROR: 'INTERNAL_ERROR',
    });
    expect(terminationOf('SOMETHING_NEWER')).toEqual({ code: 'SOMETHING_NEWER', type: 'CLIENT_ERROR' });
  });

  it.each([
    ['its own code failed', { result: 'FAILED' }, 'RUN_EXECUTION_ERROR', 'CLIENT_ERROR'],
    [
      'its file is missing',
      { result: 'FAILED', terminationCode: 'RESOURCE_NOT_FOUND' },
      'RESOURCE_NOT_FOUND',
      'CLIENT_ERROR',
    ],
    [
      'its configuration is invalid',
      { result: 'FAILED', terminationCode: 'INVALID_RUN_CONFIGURATION' },
      'INVALID_RUN_CONFIGURATION',
      'CLIENT_ERROR',
    ],
    [
      'its libraries failed to install',
      { result: 'FAILED', terminationCode: 'LIBRARY_INSTALLATION_ERROR' },
      'LIBRARY_INSTALLATION_ERROR',
      'CLIENT_ERROR',
    ],
    ['it timed out', { result: 'TIMEDOUT' }, 'CANCELED', 'CLIENT_ERROR'],
    ['a user canceled it', { result: 'CANCELED' }, 'USER_CANCELED', 'CLIENT_ERROR'],
    ['its upstream failed', { phase: 'SKIPPED', result: 'UPSTREAM_FAILED' }, 'SKIPPED', 'CLIENT_ERROR'],
    ['it is disabled', { phase: 'SKIPPED', result: 'DISABLED' }, 'DISABLED', 'CLIENT_ERROR'],
    ['durable-jobs failed', { result: 'FAILED', internalError: true }, 'INTERNAL_ERROR', 'INTERNAL_ERROR'],
    ['it succeeded', { result: 'SUCCESS' }, 'SUCCESS', 'SUCCESS'],
  ] as const)('a task: %s → %s (%s)', (_, over, code, type) => {
    expect(taskDetails(endedAttempt(over as Partial<AttemptState>))).toEqual({ code, type, message: 'why' });
  });

  it("a failed run is RUN_EXECUTION_ERROR whatever its task's code; a run's own code wins", () => {
    const a = endedAttempt({ result: 'FAILED', terminationCode: 'RESOURCE_NOT_FOUND' });
    expect(toDatabricksRun(runOf(a), 3000).status.termination_details).toEqual({
      code: 'RUN_EXECUTION_ERROR',
      type: 'CLIENT_ERROR',
      message: 'run why',
    });
    const skipped = runOf(endedAttempt({ phase: 'SKIPPED', state_message: 'full' }), {
      result: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
      termination_code: 'MAX_JOB_QUEUE_SIZE_EXCEEDED',
    });
    expect(toDatabricksRun(skipped, 3000).status.termination_details?.code).toBe('MAX_JOB_QUEUE_SIZE_EXCEEDED');
    expect(toDatabricksRun(skipped, 3000).tasks[0]!.status.termination_details?.code).toBe(
      'MAX_JOB_QUEUE_SIZE_EXCEEDED'
    );
  });

  it('docs/api.md prints the current table', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'api.md'), 'utf8');
    expect(doc).toContain(terminationCodesTable());
  });
});

describe('resolved_values: the parameters each task received', () => {
  it.each([
    [
      { notebook_task: { notebook_path: 'n', base_parameters: { a: '1' } } },
      { notebook_task: { base_parameters: { a: '1' } } },
    ],
    [{ notebook_task: { notebook_path: 'n' } }, { notebook_task: { base_parameters: {} } }],
    [
      { python_wheel_task: { package_name: 'p', entry_point: 'e', named_parameters: { k: 'v' } } },
      { python_wheel_task: { named_parameters: { k: 'v' } } },
    ],
    [{ spark_python_task: { python_file: 'f.py', parameters: ['x'] } }, { spark_python_task: { parameters: ['x'] } }],
    [
      { sql_task: { warehouse_id: 'w', query: { query_text: 'select 1' }, parameters: { p: 'q' } } },
      { sql_task: { parameters: { p: 'q' } } },
    ],
    [{ condition_task: { op: 'EQUAL_TO', left: '1', right: '2' } }, { condition_task: { left: '1', right: '2' } }],
    [{ run_job_task: { job_id: 4, job_parameters: { j: 'k' } } }, { run_job_task: { job_parameters: { j: 'k' } } }],
    [{ dbt_task: { commands: ['dbt run'] } }, { dbt_task: { commands: ['dbt run'] } }],
    [{ shell_command_task: { command: 'true' } }, undefined],
  ] as const)('%j → %j', (kind, values) => {
    expect(resolvedValuesOf({ task_key: 't', ...kind } as Task)).toEqual(values);
  });

  it('are recorded as an attempt starts with its references resolved, shown on the task, and dropped unless asked', () => {
    const a = endedAttempt({ result: 'SUCCESS', resolvedValues: { notebook_task: { base_parameters: { who: 'x' } } } });
    const run = toDatabricksRun(runOf(a), 3000);
    expect(run.tasks[0]!.resolved_values).toEqual({ notebook_task: { base_parameters: { who: 'x' } } });
    expect('resolved_values' in withoutResolvedValues(run).tasks[0]!).toBe(false);
    const bare = toDatabricksRun(runState(), 3000);
    expect(withoutResolvedValues(bare)).toBe(bare);
  });
});

describe('sql_output of a SQL task run', () => {
  const result = {
    statements: 2,
    columns: ['i', 'n'],
    row_count: 25,
    rows: [
      ['0', null],
      ['1', 'x'],
    ],
  };
  it("gives a file's statements and the last result set's first rows, truncated past them", () => {
    expect(sqlOutputOf({ file: { path: '/q.sql' } }, 77, result)).toEqual({
      file_output: {
        warehouse_id: 'default',
        sql_statements: [{ lookup_key: '77-1' }, { lookup_key: '77-2' }],
        djobs_row_count: 25,
        query_result: {
          columns: [{ name: 'i' }, { name: 'n' }],
          rows: [{ values: [{ string_value: '0' }, {}] }, { values: [{ string_value: '1' }, { string_value: 'x' }] }],
          truncated: true,
        },
      },
    });
  });
  it('gives an inline query its text, and its rows as an extension; a whole result is not truncated', () => {
    const all = { ...result, statements: 1, row_count: 2 };
    const out = sqlOutputOf({ warehouse_id: 'w', query: { query_text: 'select 1' } }, 78, all).query_output!;
    expect(out).toMatchObject({ warehouse_id: 'w', query_text: 'select 1', sql_statements: [{ lookup_key: '78-1' }] });
    expect(out.djobs_query_result.truncated).toBe(false);
  });
});
