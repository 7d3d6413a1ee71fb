// The Databricks Jobs API 2.1/2.2 `JobSettings` and `Task` as zod schemas: one schema gives the
// runtime check, the TypeScript type and a JSON Schema for editors. Objects are strict: an
// unknown field is a problem, never a silent drop. Cross-field rules (one task type, known
// dependencies, cycles, cron) live in validate.ts.
import { z } from 'zod';
import { CONDITION_OPS } from '../dag/condition';
import { RUN_IF_VALUES } from '../dag/states';
import { opaqueValueProblem } from './json-limits';

export const KEY_PATTERN = /^[\w-]+$/;
const key = (what: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(KEY_PATTERN, { message: `expected a ${what} of letters, digits, "_" and "-"` });
const nonNegativeInt = z.number().int().min(0);
const stringMap = z.record(z.string(), z.string());
const source = z.enum(['WORKSPACE', 'GIT']);
/** Shapes we accept and pass through without interpreting (compute specs, libraries), bounded. */
const opaque = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = opaqueValueProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, params: { exact: true } });
});

export const DependsOn = z.strictObject({
  task_key: z.string(),
  outcome: z.enum(['true', 'false']).optional(),
});
export type DependsOn = z.infer<typeof DependsOn>;

export const NotebookTask = z.strictObject({
  notebook_path: z.string().min(1),
  base_parameters: stringMap.optional(),
  source: source.optional(),
  warehouse_id: z.string().optional(),
  /** durable-jobs extension: start a Python notebook in a fresh interpreter, not as a fork of the worker's warm one. */
  fresh_interpreter: z.boolean().optional(),
});
export type NotebookTask = z.infer<typeof NotebookTask>;

export const SparkPythonTask = z.strictObject({
  python_file: z.string().min(1),
  parameters: z.array(z.string()).optional(),
  source: source.optional(),
  /** durable-jobs extension: start the file in a fresh interpreter, not as a fork of the worker's warm one. */
  fresh_interpreter: z.boolean().optional(),
});
export type SparkPythonTask = z.infer<typeof SparkPythonTask>;

export const SqlTask = z.strictObject({
  /** Optional here: the default warehouse is an embedded DuckDB database. */
  warehouse_id: z.string().optional(),
  file: z.strictObject({ path: z.string().min(1), source: source.optional() }).optional(),
  /** `query_text` (inline SQL) is a durable-jobs extension; `query_id` names a Databricks saved query. */
  query: z.strictObject({ query_id: z.string().optional(), query_text: z.string().optional() }).optional(),
  dashboard: opaque.optional(),
  alert: opaque.optional(),
  parameters: stringMap.optional(),
});
export type SqlTask = z.infer<typeof SqlTask>;

/** durable-jobs extension: run an arbitrary command (a string runs in bash, an array is exec'd). */
export const ShellCommandTask = z.strictObject({
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
  env: stringMap.optional(),
});
export type ShellCommandTask = z.infer<typeof ShellCommandTask>;

/**
 * Runs a function of an installed Python package: `entry_point` is looked up in the package's
 * entry-point metadata, else called as `package_name.entry_point()`. The package comes from the
 * task's `libraries` (`whl`, `pypi`) or its environment's `dependencies`.
 */
export const PythonWheelTask = z.strictObject({
  package_name: z.string().min(1),
  entry_point: z.string().min(1),
  /** sys.argv[1:] as given; exclusive with named_parameters. */
  parameters: z.array(z.string()).optional(),
  /** Passed as `--name=value` arguments; exclusive with parameters. */
  named_parameters: stringMap.optional(),
});
export type PythonWheelTask = z.infer<typeof PythonWheelTask>;

/** dbt commands in a dbt project, on the task's warehouse (the embedded DuckDB one by default). */
export const DbtTask = z.strictObject({
  commands: z
    .array(z.string().regex(/^\s*dbt(\s|$)/, { message: 'expected a command starting with "dbt"' }))
    .min(1)
    .max(10),
  project_directory: z.string().optional(),
  profiles_directory: z.string().optional(),
  schema: z.string().min(1).optional(),
  catalog: z.string().min(1).optional(),
  warehouse_id: z.string().optional(),
  source: source.optional(),
});
export type DbtTask = z.infer<typeof DbtTask>;

/** A task library (Databricks `compute.Library`): exactly one kind per entry (validate.ts). */
export const Library = z.strictObject({
  pypi: z.strictObject({ package: z.string().min(1), repo: z.string().min(1).optional() }).optional(),
  whl: z.string().min(1).optional(),
  requirements: z.string().min(1).optional(),
  /** Spark tasks only (a task on a cluster): kept for the Spark runtime, which loads them. */
  jar: z.string().min(1).optional(),
  maven: z
    .strictObject({
      coordinates: z.string().min(1),
      repo: z.string().min(1).optional(),
      exclusions: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  /** Refused (validate.ts): Databricks removed egg libraries; R has no runtime here. */
  egg: z.string().optional(),
  cran: z.strictObject({ package: z.string().min(1), repo: z.string().optional() }).optional(),
});
export type Library = z.infer<typeof Library>;
export const LIBRARY_KINDS = ['pypi', 'whl', 'requirements', 'jar', 'maven', 'egg', 'cran'] as const;

/** Evaluated inside the workflow, with no activity: strings compare exactly, orderings numerically. */
export const ConditionTask = z.strictObject({
  op: z.enum(CONDITION_OPS),
  left: z.string(),
  right: z.string(),
});
export type ConditionTask = z.infer<typeof ConditionTask>;

/** Runs another job as a child run (trigger RUN_JOB_TASK), linked to this run in the Temporal UI. */
export const RunJobTask = z.strictObject({
  job_id: z.number().int().positive(),
  job_parameters: stringMap.optional(),
});
export type RunJobTask = z.infer<typeof RunJobTask>;

export const TASK_TYPES = [
  'notebook_task',
  'spark_python_task',
  'python_wheel_task',
  'dbt_task',
  'sql_task',
  'shell_command_task',
  'condition_task',
  'run_job_task',
  'for_each_task',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];
/** Databricks task types this engine does not run yet: recognised, and reported as unsupported. */
export const UNSUPPORTED_TASK_TYPES = [
  'spark_jar_task',
  'spark_submit_task',
  'pipeline_task',
  'dashboard_task',
  'clean_rooms_notebook_task',
  'power_bi_task',
  'gen_ai_compute_task',
  'alert_task',
  'dbt_platform_task',
  'dbt_cloud_task',
  'genie_task',
  'python_operator_task',
  'ai_function_task',
  'ai_runtime_task',
] as const;

const Notifications = z.strictObject({
  on_start: z.array(z.string()).optional(),
  on_success: z.array(z.string()).optional(),
  on_failure: z.array(z.string()).optional(),
  on_duration_warning_threshold_exceeded: z.array(z.string()).optional(),
  on_streaming_backlog_exceeded: z.array(z.string()).optional(),
  on_maintenance_start: z.array(z.string()).optional(),
  on_maintenance_complete: z.array(z.string()).optional(),
  no_alert_for_skipped_runs: z.boolean().optional(),
});
const webhookList = z.array(z.strictObject({ id: z.string() })).max(3);
const WebhookNotifications = z.strictObject({
  on_start: webhookList.optional(),
  on_success: webhookList.optional(),
  on_failure: webhookList.optional(),
  on_duration_warning_threshold_exceeded: webhookList.optional(),
  on_streaming_backlog_exceeded: webhookList.optional(),
});
const NotificationSettings = z.strictObject({
  no_alert_for_skipped_runs: z.boolean().optional(),
  no_alert_for_canceled_runs: z.boolean().optional(),
  alert_on_last_attempt: z.boolean().optional(),
});
const Health = z.strictObject({
  rules: z.array(
    z.strictObject({
      metric: z.enum([
        'RUN_DURATION_SECONDS',
        'STREAMING_BACKLOG_BYTES',
        'STREAMING_BACKLOG_RECORDS',
        'STREAMING_BACKLOG_SECONDS',
        'STREAMING_BACKLOG_FILES',
      ]),
      op: z.enum(['GREATER_THAN']),
      value: z.number().int(),
    })
  ),
});

const taskShape = {
  task_key: key('task_key'),
  description: z.string().max(1000).optional(),
  depends_on: z.array(DependsOn).optional(),
  run_if: z.enum(RUN_IF_VALUES).optional(),
  disabled: z.boolean().optional(),
  timeout_seconds: nonNegativeInt.optional(),
  max_retries: z.number().int().min(-1).optional(),
  min_retry_interval_millis: nonNegativeInt.optional(),
  retry_on_timeout: z.boolean().optional(),
  job_cluster_key: key('job_cluster_key').optional(),
  existing_cluster_id: z.string().min(1).optional(),
  new_cluster: opaque.optional(),
  environment_key: key('environment_key').optional(),
  environment_variables_key: key('environment_variables_key').optional(),
  compute: opaque.optional(),
  libraries: z.array(Library).optional(),
  email_notifications: Notifications.optional(),
  webhook_notifications: WebhookNotifications.optional(),
  notification_settings: NotificationSettings.optional(),
  health: Health.optional(),
  disable_auto_optimization: z.boolean().optional(),
  notebook_task: NotebookTask.optional(),
  spark_python_task: SparkPythonTask.optional(),
  python_wheel_task: PythonWheelTask.optional(),
  dbt_task: DbtTask.optional(),
  sql_task: SqlTask.optional(),
  shell_command_task: ShellCommandTask.optional(),
  condition_task: ConditionTask.optional(),
  run_job_task: RunJobTask.optional(),
  ...Object.fromEntries(UNSUPPORTED_TASK_TYPES.map((t) => [t, z.unknown().optional()])),
} as const;
/** The nested task of a for_each_task: any task but another for_each_task. */
const NestedTask = z.strictObject(taskShape);

/** Runs its nested task once per input, `concurrency` at a time, in a child workflow. */
export const ForEachTask = z.strictObject({
  /** A JSON array literal, or a reference such as {{tasks.list.values.items}} resolving to one. */
  inputs: z.string().min(1),
  concurrency: z.number().int().min(1).max(100).optional(),
  task: NestedTask,
});
export type ForEachTask = z.infer<typeof ForEachTask>;

export const Task = z.strictObject({ ...taskShape, for_each_task: ForEachTask.optional() });
export type Task = z.infer<typeof Task>;

export const JobParameterDefinition = z.strictObject({
  name: z.string().regex(/^[\w\-.]+$/, { message: 'expected a parameter name of letters, digits, "_", "-" and "."' }),
  default: z.string(),
});
export type JobParameterDefinition = z.infer<typeof JobParameterDefinition>;

export const CronSchedule = z.strictObject({
  quartz_cron_expression: z.string().min(1),
  timezone_id: z.string().min(1),
  pause_status: z.enum(['PAUSED', 'UNPAUSED']).optional(),
  sql_condition: opaque.optional(),
});
export type CronSchedule = z.infer<typeof CronSchedule>;

const PauseStatus = z.enum(['PAUSED', 'UNPAUSED']);

/**
 * A serverless environment (Databricks `compute.Environment`): pip `dependencies` installed into
 * an environment of the worker's, keyed by this spec's content. `environment_version` (or the
 * older `client`) names Databricks' Python of that version, used when the worker has it.
 */
export const EnvironmentSpec = z.strictObject({
  client: z.string().regex(/^\d+$/, { message: 'expected an environment version number such as "2"' }).optional(),
  environment_version: z
    .string()
    .regex(/^\d+$/, { message: 'expected an environment version number such as "2"' })
    .optional(),
  dependencies: z.array(z.string().min(1)).optional(),
  /** Refused (validate.ts): no serverless Spark here to load them into. */
  java_dependencies: z.array(z.string()).optional(),
  /** Refused (validate.ts): list the dependencies in `dependencies`. */
  base_environment: z.string().optional(),
  project_environment: z.string().optional(),
});
export type EnvironmentSpec = z.infer<typeof EnvironmentSpec>;

/** Variables a task selects with `environment_variables_key` (Databricks `JobEnvironmentVariables`). */
export const JobEnvironmentVariables = z.strictObject({
  environment_variables_key: key('environment_variables_key'),
  spec: z
    .strictObject({
      /** Names are checked in runtime-problems.ts (^[A-Za-z_][A-Za-z0-9_]*$, 1 to 256 characters). */
      variables: z.record(z.string(), z.string().max(512)).optional(),
      /** `.env` files (`KEY=VALUE` lines), read when the task starts; `variables` win over them. */
      files: z.array(z.string().min(1)).max(5).optional(),
    })
    .optional(),
});
export type JobEnvironmentVariables = z.infer<typeof JobEnvironmentVariables>;

export const GIT_PROVIDERS = [
  'gitHub',
  'gitHubEnterprise',
  'bitbucketCloud',
  'bitbucketServer',
  'azureDevOpsServices',
  'gitLab',
  'gitLabEnterpriseEdition',
  'awsCodeCommit',
] as const;
/** The repository a job's `source: GIT` paths are read from, checked out at one commit per run. */
export const GitSource = z.strictObject({
  git_url: z.string().min(1).max(300),
  git_provider: z.string().refine((p) => GIT_PROVIDERS.some((g) => g.toLowerCase() === p.toLowerCase()), {
    message: `expected one of ${GIT_PROVIDERS.join(', ')}`,
  }),
  git_branch: z.string().min(1).max(255).optional(),
  git_tag: z.string().min(1).max(255).optional(),
  git_commit: z.string().min(1).max(64).optional(),
  /** Read-only: what a run used. Echoed by clients that copy a run's settings; never acted on. */
  git_snapshot: z.strictObject({ used_commit: z.string().optional() }).optional(),
  sparse_checkout: z.strictObject({ patterns: z.array(z.string().min(1)).min(1) }).optional(),
  /** Refused (validate.ts): job definitions kept in Git. */
  job_source: opaque.optional(),
});
export type GitSource = z.infer<typeof GitSource>;

/** New files at a location start a run (`url`: a local path, a file:// URL or s3://bucket/prefix/). */
export const FileArrivalTrigger = z.strictObject({
  url: z.string().min(1),
  min_time_between_triggers_seconds: z.number().int().min(60).optional(),
  wait_after_last_change_seconds: z.number().int().min(60).optional(),
});

/** A run every `interval` `unit`s. */
export const PeriodicTrigger = z.strictObject({
  interval: z.number().int().min(1),
  unit: z.enum(['MINUTES', 'HOURS', 'DAYS', 'WEEKS']),
});

/**
 * A registered model gets a new version, an alias, or is created (Databricks `trigger.model`).
 * `securable_name`: a model name, or a `catalog.schema` prefix of names; absent: every model.
 */
export const ModelTrigger = z.strictObject({
  condition: z.enum(['MODEL_CREATED', 'MODEL_VERSION_READY', 'MODEL_ALIAS_SET']),
  securable_name: z.string().optional(),
  aliases: z.array(z.string().min(1)).max(10).optional(),
  min_time_between_triggers_seconds: z.number().int().min(60).optional(),
  wait_after_last_change_seconds: z.number().int().min(60).optional(),
});
export type ModelTrigger = z.infer<typeof ModelTrigger>;

export const TriggerSettings = z.strictObject({
  pause_status: PauseStatus.optional(),
  file_arrival: FileArrivalTrigger.optional(),
  periodic: PeriodicTrigger.optional(),
  table_update: opaque.optional(),
  table: opaque.optional(),
  model: ModelTrigger.optional(),
  sql_condition: opaque.optional(),
});
export type TriggerSettings = z.infer<typeof TriggerSettings>;

/** Always one run: a new one starts when the previous ends (with backoff after failures). */
export const Continuous = z.strictObject({
  pause_status: PauseStatus.optional(),
  task_retry_mode: z.enum(['NEVER', 'ON_FAILURE']).optional(),
  maintenance_window: opaque.optional(),
});

/** A serverless run's performance mode and cost window: kept, as there is no serverless compute here. */
export const PERFORMANCE_TARGETS = ['PERFORMANCE_OPTIMIZED', 'STANDARD'] as const;
export const DURATION_TARGETS = ['NO_FLEXIBILITY', '4h', '12h', '24h', '72h'] as const;

export const JobSettings = z.strictObject({
  name: z.string().max(4096).optional(),
  description: z.string().max(27700).optional(),
  tasks: z.array(Task).min(1).max(1000),
  job_clusters: z
    .array(
      z.strictObject({
        job_cluster_key: key('job_cluster_key'),
        new_cluster: opaque.optional(),
        serverless_compute_id: z.string().optional(),
      })
    )
    .max(100)
    .optional(),
  environments: z
    .array(z.strictObject({ environment_key: key('environment_key'), spec: EnvironmentSpec.optional() }))
    .max(10)
    .optional(),
  environment_variables: z.array(JobEnvironmentVariables).max(10).optional(),
  parameters: z.array(JobParameterDefinition).optional(),
  timeout_seconds: nonNegativeInt.optional(),
  max_concurrent_runs: z.number().int().min(0).max(1000).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  schedule: CronSchedule.optional(),
  trigger: TriggerSettings.optional(),
  continuous: Continuous.optional(),
  triggers: z.array(opaque).optional(),
  email_notifications: Notifications.optional(),
  webhook_notifications: WebhookNotifications.optional(),
  notification_settings: NotificationSettings.optional(),
  health: Health.optional(),
  queue: z.strictObject({ enabled: z.boolean() }).optional(),
  run_as: z
    .strictObject({
      user_name: z.string().optional(),
      service_principal_name: z.string().optional(),
      group_name: z.string().optional(),
    })
    .optional(),
  git_source: GitSource.optional(),
  format: z.enum(['SINGLE_TASK', 'MULTI_TASK']).optional(),
  edit_mode: z.enum(['UI_LOCKED', 'EDITABLE']).optional(),
  deployment: opaque.optional(),
  budget_policy_id: z.string().optional(),
  usage_policy_id: z.string().optional(),
  performance_target: z.enum(PERFORMANCE_TARGETS).optional(),
  duration_target: z.enum(DURATION_TARGETS).optional(),
  parent_path: z.string().optional(),
});
export type JobSettings = z.infer<typeof JobSettings>;

export function taskTypeOf(task: Task): TaskType {
  const found = TASK_TYPES.find((t) => task[t] !== undefined);
  if (!found) throw new Error(`task ${task.task_key} has no supported task type`);
  return found;
}

/** JSON Schema of JobSettings, for editors and docs. */
export function jobSettingsJsonSchema(): unknown {
  return z.toJSONSchema(JobSettings, { unrepresentable: 'any' });
}
