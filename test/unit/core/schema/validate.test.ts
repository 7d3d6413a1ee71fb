import { describe, expect, it } from 'vitest';
import { validateJobSettings, type SpecProblem } from '../../../../core';

const SEED = {
  name: 'ETL Workflow',
  tasks: [
    { task_key: 'ingest_bronze', notebook_task: { notebook_path: './bronze_ingest' } },
    {
      task_key: 'transform_silver',
      depends_on: [{ task_key: 'ingest_bronze' }],
      notebook_task: { notebook_path: './silver_transform' },
    },
    {
      task_key: 'aggregate_gold',
      depends_on: [{ task_key: 'transform_silver' }],
      notebook_task: { notebook_path: './gold_aggregate' },
    },
  ],
};
const sh = (task_key: string, extra: Record<string, unknown> = {}) => ({
  task_key,
  shell_command_task: { command: 'true' },
  ...extra,
});
const errorsOf = (input: unknown): SpecProblem[] => {
  const r = validateJobSettings(input);
  return r.ok ? [] : r.errors;
};

describe('validateJobSettings', () => {
  it('accepts the seed payload exactly as written, with no warnings', () => {
    expect(validateJobSettings(SEED)).toEqual({ ok: true, settings: SEED });
  });

  const cases: [string, unknown, SpecProblem[]][] = [
    ['not an object', [1], [{ path: '', message: 'expected a JSON object of job settings, found an array' }]],
    ['no tasks', { name: 'x' }, [{ path: 'tasks', message: 'required field missing: expected an array' }]],
    ['empty tasks', { tasks: [] }, [{ path: 'tasks', message: 'expected at least 1 tasks, found 0' }]],
    ['unknown field', { tasks: [sh('a')], colour: 'red' }, [{ path: 'colour', message: 'unknown field "colour"' }]],
    [
      'unknown task field',
      { tasks: [sh('a', { retries: 3 })] },
      [{ path: 'tasks[0].retries', message: 'unknown field "retries"' }],
    ],
    [
      'malformed task_key',
      { tasks: [sh('bad key')] },
      [{ path: 'tasks[0].task_key', message: 'expected a task_key of letters, digits, "_" and "-", found "bad key"' }],
    ],
    [
      'duplicate task_key',
      { tasks: [sh('a'), sh('b'), sh('a')] },
      [{ path: 'tasks[2].task_key', message: 'duplicate task_key "a" (already used by tasks[0])' }],
    ],
    [
      'unknown dependency',
      { tasks: [sh('a'), sh('b', { depends_on: [{ task_key: 'c' }] })] },
      [
        {
          path: 'tasks[1].depends_on[0].task_key',
          message: 'expected the task_key of another task in this job, found "c"',
        },
      ],
    ],
    [
      'self dependency',
      { tasks: [sh('a', { depends_on: [{ task_key: 'a' }] })] },
      [{ path: 'tasks[0].depends_on[0].task_key', message: 'a task cannot depend on itself ("a")' }],
    ],
    [
      'cycle',
      {
        tasks: [
          sh('a', { depends_on: [{ task_key: 'c' }] }),
          sh('b', { depends_on: [{ task_key: 'a' }] }),
          sh('c', { depends_on: [{ task_key: 'b' }] }),
        ],
      },
      [{ path: 'tasks[0].depends_on', message: 'dependency cycle a → b → c → a' }],
    ],
    [
      'no task type',
      { tasks: [{ task_key: 'a' }] },
      [
        {
          path: 'tasks[0]',
          message:
            'expected exactly one task type (notebook_task, spark_python_task, python_wheel_task, dbt_task, sql_task, shell_command_task, condition_task, run_job_task, for_each_task), found none',
        },
      ],
    ],
    [
      'two task types',
      { tasks: [{ task_key: 'a', shell_command_task: { command: 'x' }, notebook_task: { notebook_path: 'n' } }] },
      [{ path: 'tasks[0]', message: 'expected exactly one task type, found 2: notebook_task, shell_command_task' }],
    ],
    [
      'unsupported task type',
      { tasks: [{ task_key: 'a', pipeline_task: { pipeline_id: 'p' } }] },
      [
        {
          path: 'tasks[0].pipeline_task',
          message:
            'task type pipeline_task is not supported by durable-jobs yet (supported: notebook_task, spark_python_task, python_wheel_task, dbt_task, sql_task, shell_command_task, condition_task, run_job_task, for_each_task)',
        },
      ],
    ],
    [
      'bad run_if',
      { tasks: [sh('a', { run_if: 'SOMETIMES' })] },
      [
        {
          path: 'tasks[0].run_if',
          message:
            'expected one of ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, AT_LEAST_ONE_FAILED, ALL_FAILED, found "SOMETIMES"',
        },
      ],
    ],
    [
      'bad pause_status',
      {
        tasks: [sh('a')],
        schedule: { quartz_cron_expression: '0 0 1 * * ?', timezone_id: 'UTC', pause_status: 'STOPPED' },
      },
      [{ path: 'schedule.pause_status', message: 'expected one of PAUSED, UNPAUSED, found "STOPPED"' }],
    ],
    [
      'negative task timeout',
      { tasks: [sh('a', { timeout_seconds: -1 })] },
      [{ path: 'tasks[0].timeout_seconds', message: 'expected a number ≥ 0, found -1' }],
    ],
    [
      'negative job timeout',
      { tasks: [sh('a')], timeout_seconds: -5 },
      [{ path: 'timeout_seconds', message: 'expected a number ≥ 0, found -5' }],
    ],
    [
      'max_retries below -1',
      { tasks: [sh('a', { max_retries: -2 })] },
      [{ path: 'tasks[0].max_retries', message: 'expected a number ≥ -1, found -2' }],
    ],
    [
      'wrong type',
      { tasks: [sh('a', { max_retries: 'three' })] },
      [{ path: 'tasks[0].max_retries', message: 'expected a number, found "three"' }],
    ],
    [
      'invalid cron',
      { tasks: [sh('a')], schedule: { quartz_cron_expression: '0 0 12 * * *', timezone_id: 'UTC' } },
      [
        {
          path: 'schedule.quartz_cron_expression',
          message: 'fields day-of-month and day-of-week: "*" and "*" — Quartz needs "?" in exactly one of them',
        },
      ],
    ],
    [
      'invalid time zone',
      { tasks: [sh('a')], schedule: { quartz_cron_expression: '0 0 12 * * ?', timezone_id: 'Mars/Olympus' } },
      [
        {
          path: 'schedule.timezone_id',
          message: 'expected a time zone id such as "UTC" or "America/New_York", found "Mars/Olympus"',
        },
      ],
    ],
    [
      'outcome on a non-condition upstream',
      { tasks: [sh('a'), sh('b', { depends_on: [{ task_key: 'a', outcome: 'true' }] })] },
      [
        {
          path: 'tasks[1].depends_on[0].outcome',
          message: 'outcome is only allowed on a dependency on a condition_task, but "a" is a shell_command_task',
        },
      ],
    ],
    [
      'undeclared job cluster',
      { tasks: [sh('a', { job_cluster_key: 'big' })] },
      [
        {
          path: 'tasks[0].job_cluster_key',
          message: 'expected a job_cluster_key declared in job_clusters, found "big"',
        },
      ],
    ],
    [
      'duplicate job parameter',
      {
        tasks: [sh('a')],
        parameters: [
          { name: 'p', default: '1' },
          { name: 'p', default: '2' },
        ],
      },
      [{ path: 'parameters[1].name', message: 'duplicate job parameter "p" (already defined by parameters[0])' }],
    ],
    [
      'a condition task inside for_each',
      {
        tasks: [
          {
            task_key: 'f',
            for_each_task: {
              inputs: '[1]',
              task: { task_key: 'c', condition_task: { op: 'EQUAL_TO', left: '1', right: '1' } },
            },
          },
        ],
      },
      [
        {
          path: 'tasks[0].for_each_task.task.condition_task',
          message: 'condition_task is not supported inside a for_each_task yet',
        },
      ],
    ],
    [
      'for_each inputs that are not a JSON array',
      {
        tasks: [
          {
            task_key: 'f',
            for_each_task: { inputs: '{"a":1}', task: { task_key: 'n', shell_command_task: { command: 'true' } } },
          },
        ],
      },
      [
        {
          path: 'tasks[0].for_each_task.inputs',
          message: 'expected a JSON array or a reference to one, found "{\\"a\\":1}"',
        },
      ],
    ],
    [
      "for_each inputs longer than Databricks' 10,000 characters (200,000 inputs)",
      {
        tasks: [
          {
            task_key: 'f',
            for_each_task: {
              inputs: JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i)),
              task: { task_key: 'n', shell_command_task: { command: 'true' } },
            },
          },
        ],
      },
      [
        {
          path: 'tasks[0].for_each_task.inputs',
          message:
            "expected at most 10,000 characters (Databricks' limit on a for_each task's inputs array; pass lookup keys and read the details from a file), found 1,288,891",
        },
      ],
    ],
    [
      'a warehouse_id that is a path',
      {
        tasks: [
          { task_key: 'q', sql_task: { warehouse_id: '../../etc/x', query: { query_text: 'select 1' } } },
          { task_key: 'n', notebook_task: { notebook_path: '/nb.sql', warehouse_id: 'a b' } },
        ],
      },
      [
        {
          path: 'tasks[0].sql_task.warehouse_id',
          message: 'expected a warehouse id of 1 to 64 letters, digits, "_" and "-", found "../../etc/x"',
        },
        {
          path: 'tasks[1].notebook_task.warehouse_id',
          message: 'expected a warehouse id of 1 to 64 letters, digits, "_" and "-", found "a b"',
        },
      ],
    ],
    [
      'sql task with neither file nor query',
      { tasks: [{ task_key: 'q', sql_task: { warehouse_id: 'w' } }] },
      [{ path: 'tasks[0].sql_task', message: 'expected exactly one of file or query, found none' }],
    ],
    [
      'sql saved query',
      { tasks: [{ task_key: 'q', sql_task: { query: { query_id: '123' } } }] },
      [
        {
          path: 'tasks[0].sql_task.query.query_id',
          message:
            'saved Databricks queries do not exist in durable-jobs: use query.query_text (extension) or file.path',
        },
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(`reports ${name}`, () => expect(errorsOf(input)).toEqual(expected));
  }

  it('reports more than 1000 tasks', () => {
    const tasks = Array.from({ length: 1001 }, (_, i) => sh(`t${i}`));
    expect(errorsOf({ tasks })).toEqual([{ path: 'tasks', message: 'expected at most 1000 tasks, found 1001' }]);
  });

  it('accepts 1000 tasks in a chain', () => {
    const tasks = Array.from({ length: 1000 }, (_, i) =>
      sh(`t${i}`, i ? { depends_on: [{ task_key: `t${i - 1}` }] } : {})
    );
    expect(validateJobSettings({ tasks }).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    const problems = errorsOf({
      tasks: [sh('a b'), sh('c', { depends_on: [{ task_key: 'zz' }], run_if: 'X' }), { task_key: 'd' }],
      timeout_seconds: -1,
      surprise: true,
    });
    expect(problems.map((p) => p.path)).toEqual([
      'tasks[0].task_key',
      'tasks[1].run_if',
      'timeout_seconds',
      'surprise',
      'tasks[2]',
      'tasks[1].depends_on[0].task_key',
    ]);
  });

  it('refuses the fields it does not act on, every one at once with its path and reason', () => {
    const r = validateJobSettings({
      tasks: [
        sh('a', { compute: { hardware_accelerator: 'GPU_1xA10' }, disable_auto_optimization: true }),
        sh('b', { email_notifications: { on_maintenance_start: ['ops@example.com'] } }),
      ],
      email_notifications: { on_failure: ['ops@example.com'], on_streaming_backlog_exceeded: ['ops@example.com'] },
      notification_settings: { no_alert_for_canceled_runs: true },
      health: { rules: [{ metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 60 }] },
      queue: { enabled: true },
      max_concurrent_runs: 3,
      continuous: { task_retry_mode: 'ON_FAILURE', maintenance_window: { week_day_based_schedule: {} } },
      job_clusters: [{ job_cluster_key: 'c', serverless_compute_id: 'sc-1' }],
      triggers: [{ periodic: { interval: 1, unit: 'HOURS' } }],
    });
    expect(r.ok ? [] : r.errors).toEqual([
      {
        path: 'tasks[0].compute',
        message:
          'not supported: durable-jobs runs tasks on its workers: there is no serverless or GPU compute to choose',
      },
      {
        path: 'tasks[0].disable_auto_optimization',
        message: 'not supported: durable-jobs has no serverless auto optimization to disable',
      },
      {
        path: 'tasks[1].email_notifications.on_maintenance_start',
        message:
          'not supported: durable-jobs never raises this event: it has no maintenance windows, so the addresses would never be notified',
      },
      {
        path: 'email_notifications.on_streaming_backlog_exceeded',
        message:
          'not supported: durable-jobs never raises this event: no task reads a stream, so the addresses would never be notified',
      },
      {
        path: 'continuous.task_retry_mode',
        message:
          'ON_FAILURE is not supported: durable-jobs restarts a failed continuous run as a whole: retry tasks with their max_retries',
      },
      {
        path: 'continuous.maintenance_window',
        message: 'not supported: durable-jobs has no maintenance windows',
      },
      {
        path: 'job_clusters[0].serverless_compute_id',
        message: 'not supported: durable-jobs has no serverless compute',
      },
      {
        path: 'triggers',
        message: 'not supported: the multiple-triggers preview: use one of schedule, trigger or continuous',
      },
    ]);
  });

  it('keeps the metadata Databricks also only stores, with no problem', () => {
    const settings = {
      tasks: [sh('a', { description: 'the task' })],
      description: 'the job',
      tags: { team: 'data' },
      edit_mode: 'UI_LOCKED',
      deployment: { kind: 'BUNDLE', metadata_file_path: '/x/metadata.json' },
      budget_policy_id: 'b-1',
      usage_policy_id: 'u-1',
      performance_target: 'STANDARD',
      duration_target: '4h',
      parent_path: '/Workspace/Users/a',
      continuous: { task_retry_mode: 'NEVER' },
    };
    expect(validateJobSettings(settings)).toEqual({ ok: true, settings });
  });

  it('refuses health rules on streaming backlog metrics, which durable-jobs cannot measure', () => {
    const r = validateJobSettings({
      health: { rules: [{ metric: 'STREAMING_BACKLOG_BYTES', op: 'GREATER_THAN', value: 1 }] },
      tasks: [
        sh('a', {
          health: {
            rules: [
              { metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 10 },
              { metric: 'STREAMING_BACKLOG_FILES', op: 'GREATER_THAN', value: 5 },
            ],
          },
        }),
      ],
    });
    expect(r.ok ? [] : r.errors).toEqual([
      {
        path: 'health.rules[0].metric',
        message:
          'expected RUN_DURATION_SECONDS (durable-jobs cannot measure streaming backlog metrics: no task reads a stream), found STREAMING_BACKLOG_BYTES',
      },
      {
        path: 'tasks[0].health.rules[1].metric',
        message:
          'expected RUN_DURATION_SECONDS (durable-jobs cannot measure streaming backlog metrics: no task reads a stream), found STREAMING_BACKLOG_FILES',
      },
    ]);
  });

  it('triggers: one way to start, a supported kind, a local url, Databricks bounds', () => {
    const problems = (extra: Record<string, unknown>) => {
      const r = validateJobSettings({ tasks: [sh('a')], ...extra });
      return r.ok ? [] : r.errors;
    };
    expect(problems({ trigger: { periodic: { interval: 2, unit: 'HOURS' }, pause_status: 'PAUSED' } })).toEqual([]);
    expect(
      problems({ trigger: { file_arrival: { url: 'file:///data/in', wait_after_last_change_seconds: 60 } } })
    ).toEqual([]);
    expect(problems({ continuous: { pause_status: 'UNPAUSED' } })).toEqual([]);
    expect(
      problems({
        schedule: { quartz_cron_expression: '0 0 * * * ?', timezone_id: 'UTC' },
        continuous: {},
      })
    ).toEqual([
      {
        path: 'continuous',
        message: 'a job has at most one of schedule, trigger and continuous, found schedule and continuous',
      },
    ]);
    expect(problems({ trigger: { pause_status: 'PAUSED' } })).toEqual([
      { path: 'trigger', message: 'expected exactly one of file_arrival, periodic, table_update, model, found none' },
    ]);
    expect(problems({ trigger: { table_update: { table_names: ['a.b.c'] } } })).toEqual([
      {
        path: 'trigger.table_update',
        message: 'table_update triggers are not supported by durable-jobs (supported: file_arrival, periodic, model)',
      },
    ]);
    expect(
      problems({ trigger: { model: { condition: 'MODEL_VERSION_READY', securable_name: 'customer_churn_model' } } })
    ).toEqual([]);
    expect(problems({ trigger: { model: { condition: 'MODEL_ALIAS_SET', aliases: ['champion'] } } })).toEqual([]);
    expect(
      problems({
        trigger: { model: { condition: 'MODEL_ALIAS_SET', wait_after_last_change_seconds: 30 } },
      })
    ).toEqual([
      {
        path: 'trigger.model.wait_after_last_change_seconds',
        message: 'expected a number ≥ 60, found 30',
      },
      {
        path: 'trigger.model.aliases',
        message: 'expected at least one alias to watch with condition MODEL_ALIAS_SET, found none',
      },
    ]);
    expect(problems({ trigger: { model: { condition: 'MODEL_CREATED', aliases: ['prod'] } } })).toEqual([
      {
        path: 'trigger.model.aliases',
        message: 'aliases can only be used with condition MODEL_ALIAS_SET, found condition MODEL_CREATED',
      },
    ]);
    expect(problems({ trigger: { file_arrival: { url: 's3://bucket/in/' } } })).toEqual([]);
    expect(problems({ trigger: { file_arrival: { url: 's3://bucket' } } })).toEqual([]);
    expect(problems({ trigger: { file_arrival: { url: 'gs://bucket/in' } } })).toEqual([
      {
        path: 'trigger.file_arrival.url',
        message: 'expected a local directory path, a file:// URL or an s3://bucket/prefix/ URL, found "gs://bucket/in"',
      },
    ]);
    expect(problems({ trigger: { file_arrival: { url: 's3://My_Bucket/in' } } })).toEqual([
      {
        path: 'trigger.file_arrival.url',
        message:
          "expected s3://<bucket>/<prefix>/ with a valid bucket name (3-63 of a-z, 0-9, '.', '-'), found \"s3://My_Bucket/in\"",
      },
    ]);
    expect(
      problems({ trigger: { file_arrival: { url: '/in', min_time_between_triggers_seconds: 5 } } }).map((p) => p.path)
    ).toEqual(['trigger.file_arrival.min_time_between_triggers_seconds']);
    expect(problems({ trigger: { periodic: { interval: 0, unit: 'YEARS' } } }).map((p) => p.path)).toEqual([
      'trigger.periodic.interval',
      'trigger.periodic.unit',
    ]);
  });

  it('accepts the documented extensions: inline SQL and shell commands', () => {
    expect(
      validateJobSettings({ tasks: [{ task_key: 'q', sql_task: { query: { query_text: 'SELECT 1' } } }, sh('s')] }).ok
    ).toBe(true);
  });
});

describe('pass-through values are bounded', () => {
  const nested = (levels: number) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < levels; i++) v = { k: v };
    return v as Record<string, unknown>;
  };

  it('accepts 32 levels, refuses 33 with the path where the nesting goes too deep', () => {
    expect(errorsOf({ name: 'j', tasks: [sh('t')], deployment: nested(32) })).toEqual([]);
    expect(errorsOf({ name: 'j', tasks: [sh('t')], deployment: nested(33) })).toEqual([
      { path: `deployment${'.k'.repeat(32)}`, message: 'expected at most 32 levels of nesting, found deeper' },
    ]);
  });

  it('finds the path in arrays, and on a stack that would overflow a recursive walk', () => {
    const arrays: unknown[] = [];
    let cur = arrays;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    expect(errorsOf({ name: 'j', tasks: [{ ...sh('t'), new_cluster: { k: arrays } }] })).toEqual([
      {
        path: `tasks[0].new_cluster.k${'[0]'.repeat(31)}`,
        message: 'expected at most 32 levels of nesting, found deeper',
      },
    ]);
  });

  it('refuses a value over 256 KiB of JSON, with its size', () => {
    const big = { spark_conf: { k: 'x'.repeat(256 * 1024) } };
    expect(
      errorsOf({ name: 'j', tasks: [sh('t')], job_clusters: [{ job_cluster_key: 'c', new_cluster: big }] })
    ).toEqual([
      { path: 'job_clusters[0].new_cluster', message: 'expected at most 262144 bytes of JSON, found 262167 bytes' },
    ]);
  });
});
