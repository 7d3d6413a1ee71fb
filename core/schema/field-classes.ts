// Every field of the Jobs API's job settings and run requests in one of three classes: it *acts*
// (durable-jobs does what Databricks documents), it is *kept* (stored and returned, as Databricks
// itself only stores it), or it is *refused* (a 400 INVALID_PARAMETER_VALUE naming the field, its
// JSON path and why). Validation refuses through this table, docs/api.md prints it
// (`npm run field-classes`), and a test compares it with the official Python SDK's dataclasses, so
// no field is accepted and ignored. Pure data and one walker.
import type { SpecProblem } from './validate';

export const FIELD_CLASSES = ['acts', 'kept', 'refused'] as const;
export type FieldClass = (typeof FIELD_CLASSES)[number];

export interface FieldRule {
  class: FieldClass;
  /** acts and kept: what durable-jobs does with the field; refused: why it is refused. */
  note: string;
  /** The object the field's value is (each item's, with `list`), itself classified. */
  of?: ObjectName;
  list?: boolean;
  /** Values refused although the field acts, each with the reason. */
  refusedValues?: Record<string, string>;
  /** Why the pinned official SDK does not have the field (a durable-jobs extension, a retired name). */
  outsideSdk?: string;
}

type Extra = Pick<FieldRule, 'of' | 'list' | 'refusedValues' | 'outsideSdk'>;
const acts = (note: string, extra: Extra = {}): FieldRule => ({ class: 'acts', note, ...extra });
const kept = (note: string, extra: Extra = {}): FieldRule => ({ class: 'kept', note, ...extra });
const refused = (reason: string, extra: Extra = {}): FieldRule => ({ class: 'refused', note: reason, ...extra });
const EXTENSION = 'a durable-jobs extension';

const NO_TASK_TYPE = (what: string) =>
  `durable-jobs has no ${what}; the task types it runs are notebook, spark_python, python_wheel, dbt, sql, shell_command (extension), condition, run_job and for_each`;
/** Databricks task types durable-jobs does not run, and what it lacks to run them. */
const NOT_RUN = {
  spark_jar_task: 'JVM task runner',
  spark_submit_task: 'spark-submit task runner',
  pipeline_task: 'Lakeflow Declarative Pipelines',
  dashboard_task: 'dashboards',
  clean_rooms_notebook_task: 'clean rooms',
  power_bi_task: 'Power BI connection',
  gen_ai_compute_task: 'GPU compute',
  alert_task: 'SQL alerts',
  dbt_platform_task: 'dbt platform connection',
  dbt_cloud_task: 'dbt Cloud connection',
  python_operator_task: 'Python operator runtime',
  ai_function_task: 'AI functions',
  ai_runtime_task: 'AI runtime',
};
const taskTypes: Record<string, FieldRule> = {
  notebook_task: acts('runs the notebook (Python, SQL) on the worker', { of: 'NotebookTask' }),
  spark_python_task: acts('runs the Python file', { of: 'SparkPythonTask' }),
  python_wheel_task: acts("calls the package's entry point", { of: 'PythonWheelTask' }),
  dbt_task: acts('runs the dbt commands on the warehouse', { of: 'DbtTask' }),
  sql_task: acts('runs the SQL on the warehouse (DuckDB)', { of: 'SqlTask' }),
  shell_command_task: acts('runs the command', { outsideSdk: EXTENSION }),
  condition_task: acts('evaluated in the workflow', { of: 'ConditionTask' }),
  run_job_task: acts('runs the job as a child run', { of: 'RunJobTask' }),
  ...Object.fromEntries(Object.entries(NOT_RUN).map(([type, what]) => [type, refused(NO_TASK_TYPE(what))])),
  genie_task: refused(NO_TASK_TYPE('Genie spaces'), { outsideSdk: 'a Databricks task type newer than the pinned SDK' }),
};

const notificationEvents = (recipients: string, item?: ObjectName): Record<string, FieldRule> => {
  const list = item ? { of: item, list: true } : {};
  const never = (what: string) =>
    refused(`durable-jobs never raises this event: ${what}, so the ${recipients} would never be notified`);
  return {
    on_start: acts(`notifies the ${recipients} when the run (task) starts`, list),
    on_success: acts(`notifies the ${recipients} when it succeeds`, list),
    on_failure: acts(`notifies the ${recipients} when it fails`, list),
    on_duration_warning_threshold_exceeded: acts(
      `notifies the ${recipients} once when a RUN_DURATION_SECONDS health rule is exceeded`,
      list
    ),
    on_streaming_backlog_exceeded: never('no task reads a stream'),
    on_maintenance_start: never('it has no maintenance windows'),
    on_maintenance_complete: never('it has no maintenance windows'),
  };
};

const LEGACY_ON_CALLED_JOB = 'durable-jobs passes a called job its job_parameters only: give the values there';
const repairLegacy = (name: string) =>
  refused(`a repair reruns tasks with the run's own task parameters; ${name} is not applied to a repair`);

/** The official SDK's names for each object: dataclasses, or `JobsAPI.<method>` for request bodies. */
export const SDK_NAMES = {
  JobSettings: ['jobs.JobSettings'],
  Task: ['jobs.Task', 'jobs.SubmitTask'],
  TaskDependency: ['jobs.TaskDependency'],
  ForEachTask: ['jobs.ForEachTask'],
  NotebookTask: ['jobs.NotebookTask'],
  SparkPythonTask: ['jobs.SparkPythonTask'],
  PythonWheelTask: ['jobs.PythonWheelTask'],
  DbtTask: ['jobs.DbtTask'],
  SqlTask: ['jobs.SqlTask'],
  SqlTaskFile: ['jobs.SqlTaskFile'],
  SqlTaskQuery: ['jobs.SqlTaskQuery'],
  ConditionTask: ['jobs.ConditionTask'],
  RunJobTask: ['jobs.RunJobTask'],
  Library: ['compute.Library'],
  PythonPyPiLibrary: ['compute.PythonPyPiLibrary'],
  MavenLibrary: ['compute.MavenLibrary'],
  EmailNotifications: ['jobs.JobEmailNotifications', 'jobs.TaskEmailNotifications'],
  WebhookNotifications: ['jobs.WebhookNotifications'],
  Webhook: ['jobs.Webhook'],
  JobNotificationSettings: ['jobs.JobNotificationSettings'],
  TaskNotificationSettings: ['jobs.TaskNotificationSettings'],
  JobsHealthRules: ['jobs.JobsHealthRules'],
  JobsHealthRule: ['jobs.JobsHealthRule'],
  CronSchedule: ['jobs.CronSchedule'],
  Continuous: ['jobs.Continuous'],
  TriggerSettings: ['jobs.TriggerSettings'],
  FileArrivalTriggerConfiguration: ['jobs.FileArrivalTriggerConfiguration'],
  PeriodicTriggerConfiguration: ['jobs.PeriodicTriggerConfiguration'],
  ModelTriggerConfiguration: ['jobs.ModelTriggerConfiguration'],
  JobCluster: ['jobs.JobCluster'],
  JobEnvironment: ['jobs.JobEnvironment'],
  Environment: ['compute.Environment'],
  JobEnvironmentVariables: ['jobs.JobEnvironmentVariables'],
  JobEnvironmentVariablesSpec: ['jobs.JobEnvironmentVariablesSpec'],
  JobParameterDefinition: ['jobs.JobParameterDefinition'],
  JobRunAs: ['jobs.JobRunAs'],
  QueueSettings: ['jobs.QueueSettings'],
  GitSource: ['jobs.GitSource'],
  SparseCheckout: ['jobs.SparseCheckout'],
  RunNow: ['jobs.JobsAPI.run_now'],
  SubmitRun: ['jobs.JobsAPI.submit'],
  RepairRun: ['jobs.JobsAPI.repair_run'],
  GetJob: ['jobs.JobsAPI.get'],
  GetRun: ['jobs.JobsAPI.get_run'],
} as const;

export type ObjectName = keyof typeof SDK_NAMES;

const jobSettings: Record<string, FieldRule> = {
  name: acts('the job’s name, in lists, the UI and notifications'),
  description: kept('stored and returned'),
  tasks: acts('the tasks the run runs', { of: 'Task', list: true }),
  job_clusters: acts('named clusters tasks run on', { of: 'JobCluster', list: true }),
  environments: acts('Python environments built with uv', { of: 'JobEnvironment', list: true }),
  environment_variables: acts('variables for tasks that select them', {
    of: 'JobEnvironmentVariables',
    list: true,
  }),
  parameters: acts('job parameters with defaults', { of: 'JobParameterDefinition', list: true }),
  timeout_seconds: acts('the run is timed out after it'),
  max_concurrent_runs: acts('the job’s slot gate'),
  tags: kept('stored and returned (Databricks uses them for cluster tags and billing)'),
  schedule: acts('a Temporal Schedule fires runs', { of: 'CronSchedule' }),
  trigger: acts('file arrival, periodic and model triggers', { of: 'TriggerSettings' }),
  continuous: acts('a new run starts when the previous one ends', { of: 'Continuous' }),
  triggers: refused('the multiple-triggers preview: use one of schedule, trigger or continuous'),
  email_notifications: acts('sent over SMTP', { of: 'EmailNotifications' }),
  webhook_notifications: acts('sent to notification destinations', { of: 'WebhookNotifications' }),
  notification_settings: acts('filters the notifications', { of: 'JobNotificationSettings' }),
  health: acts('duration rules', { of: 'JobsHealthRules' }),
  queue: acts('runs over max_concurrent_runs wait QUEUED instead of SKIPPED', { of: 'QueueSettings' }),
  run_as: acts('the principal the run’s tasks act as', { of: 'JobRunAs' }),
  git_source: acts('source GIT paths are read from a checkout of it', { of: 'GitSource' }),
  format: acts('SINGLE_TASK jobs are shown in the 2.0 shape'),
  edit_mode: kept('stored and returned (the Databricks UI reads it)'),
  deployment: kept('stored and returned (bundles write it)'),
  budget_policy_id: kept('stored and returned (a Databricks billing attribute)'),
  usage_policy_id: kept('stored and returned (a Databricks billing attribute)'),
  performance_target: kept('stored and returned (a serverless performance mode)'),
  duration_target: kept('stored and returned (a serverless cost-optimisation window)'),
  parent_path: kept('stored and returned (the job’s workspace folder)'),
};

/**
 * Each object's fields. Names are the official SDK's (`databricks.sdk.service.jobs`, `compute`);
 * the request bodies (RunNow, SubmitRun, RepairRun, GetJob, GetRun) are its methods' parameters.
 */
export const OBJECT_FIELDS: Record<ObjectName, Record<string, FieldRule>> = {
  JobSettings: jobSettings,
  Task: {
    task_key: acts('names the task'),
    description: kept('stored and returned'),
    depends_on: acts('the DAG', { of: 'TaskDependency', list: true }),
    run_if: acts('when a task whose dependencies finished runs'),
    disabled: acts('the task is EXCLUDED'),
    timeout_seconds: acts('each attempt is timed out after it'),
    max_retries: acts('attempts after a failure'),
    min_retry_interval_millis: acts('the wait between attempts'),
    retry_on_timeout: acts('a timed-out attempt is retried'),
    job_cluster_key: acts('the task runs on the workers of that cluster'),
    existing_cluster_id: acts('the task runs on the workers serving that cluster name'),
    new_cluster: acts(
      'its spark_env_vars reach the task’s process and its spark_conf the task’s Spark; the machines are the workers'
    ),
    environment_key: acts('the task runs in that environment'),
    environment_variables_key: acts('the task gets those variables'),
    compute: refused('durable-jobs runs tasks on its workers: there is no serverless or GPU compute to choose'),
    libraries: acts('installed for the task', { of: 'Library', list: true }),
    email_notifications: acts('sent over SMTP', { of: 'EmailNotifications' }),
    webhook_notifications: acts('sent to notification destinations', { of: 'WebhookNotifications' }),
    notification_settings: acts('filters the notifications', { of: 'TaskNotificationSettings' }),
    health: acts('duration rules', { of: 'JobsHealthRules' }),
    disable_auto_optimization: refused('durable-jobs has no serverless auto optimization to disable'),
    for_each_task: acts('runs its task once per input', { of: 'ForEachTask' }),
    ...taskTypes,
  },
  TaskDependency: {
    task_key: acts('the upstream task'),
    outcome: acts('the condition_task outcome it needs'),
  },
  ForEachTask: {
    inputs: acts('the items, a JSON array or a reference to one'),
    concurrency: acts('iterations at a time'),
    task: acts('the nested task', { of: 'Task' }),
  },
  NotebookTask: {
    notebook_path: acts('the notebook'),
    base_parameters: acts('widgets'),
    source: acts('WORKSPACE or GIT'),
    warehouse_id: acts('a SQL notebook’s warehouse'),
    fresh_interpreter: acts('starts in a new interpreter rather than a fork', { outsideSdk: EXTENSION }),
  },
  SparkPythonTask: {
    python_file: acts('the file'),
    parameters: acts('its argv'),
    source: acts('WORKSPACE or GIT'),
    fresh_interpreter: acts('starts in a new interpreter rather than a fork', { outsideSdk: EXTENSION }),
  },
  PythonWheelTask: {
    package_name: acts('the package'),
    entry_point: acts('the function called'),
    parameters: acts('its argv'),
    named_parameters: acts('--name=value arguments'),
  },
  DbtTask: {
    commands: acts('the dbt commands'),
    project_directory: acts('the dbt project'),
    profiles_directory: acts('the profiles'),
    schema: acts('the target schema'),
    catalog: acts('the target catalog'),
    warehouse_id: acts('the warehouse'),
    source: acts('WORKSPACE or GIT'),
  },
  SqlTask: {
    warehouse_id: acts('the warehouse (a DuckDB database)'),
    file: acts('a SQL file', { of: 'SqlTaskFile' }),
    query: acts('inline SQL', { of: 'SqlTaskQuery' }),
    parameters: acts('the query’s parameters'),
    dashboard: refused('durable-jobs has no SQL dashboards'),
    alert: refused('durable-jobs has no SQL alerts'),
  },
  SqlTaskFile: {
    path: acts('the file'),
    source: acts('WORKSPACE or GIT'),
  },
  SqlTaskQuery: {
    query_id: refused('saved Databricks queries do not exist in durable-jobs: use query_text or file.path'),
    query_text: acts('the SQL', { outsideSdk: EXTENSION }),
  },
  ConditionTask: {
    op: acts('the comparison'),
    left: acts('the left operand'),
    right: acts('the right operand'),
  },
  RunJobTask: {
    job_id: acts('the job run as a child'),
    job_parameters: acts('its job parameters'),
    notebook_params: refused(LEGACY_ON_CALLED_JOB),
    python_params: refused(LEGACY_ON_CALLED_JOB),
    python_named_params: refused(LEGACY_ON_CALLED_JOB),
    jar_params: refused(LEGACY_ON_CALLED_JOB),
    spark_submit_params: refused(LEGACY_ON_CALLED_JOB),
    sql_params: refused(LEGACY_ON_CALLED_JOB),
    dbt_commands: refused(LEGACY_ON_CALLED_JOB),
    pipeline_params: refused(LEGACY_ON_CALLED_JOB),
  },
  Library: {
    pypi: acts('installed with uv', { of: 'PythonPyPiLibrary' }),
    whl: acts('installed with uv'),
    requirements: acts('installed with uv'),
    jar: acts('loaded by the Spark of a task on a cluster'),
    maven: acts('loaded by the Spark of a task on a cluster', { of: 'MavenLibrary' }),
    egg: refused('Databricks removed egg libraries: build a wheel'),
    cran: refused('durable-jobs has no R runtime'),
  },
  PythonPyPiLibrary: {
    package: acts('the requirement'),
    repo: acts('the index it is installed from'),
  },
  MavenLibrary: {
    coordinates: acts('the artifact'),
    repo: acts('the repository'),
    exclusions: acts('left out dependencies'),
  },
  EmailNotifications: {
    ...notificationEvents('addresses'),
    no_alert_for_skipped_runs: acts('no mail for skipped runs'),
  },
  WebhookNotifications: notificationEvents('destinations', 'Webhook'),
  Webhook: { id: acts('the notification destination') },
  JobNotificationSettings: {
    no_alert_for_skipped_runs: acts('no notification for skipped runs'),
    no_alert_for_canceled_runs: acts('no notification for canceled runs'),
    alert_on_last_attempt: refused('a task setting: give it in a task’s notification_settings', {
      outsideSdk: 'a task setting durable-jobs once accepted on jobs too',
    }),
  },
  TaskNotificationSettings: {
    no_alert_for_skipped_runs: acts('no notification for skipped runs'),
    no_alert_for_canceled_runs: acts('no notification for canceled runs'),
    alert_on_last_attempt: acts('failures are notified only after the last retry'),
  },
  JobsHealthRules: { rules: acts('the rules', { of: 'JobsHealthRule', list: true }) },
  JobsHealthRule: {
    metric: acts('RUN_DURATION_SECONDS', {
      refusedValues: Object.fromEntries(
        ['BYTES', 'RECORDS', 'SECONDS', 'FILES'].map((m) => [
          `STREAMING_BACKLOG_${m}`,
          'durable-jobs cannot measure streaming backlog metrics: no task reads a stream',
        ])
      ),
    }),
    op: acts('GREATER_THAN'),
    value: acts('the threshold'),
  },
  CronSchedule: {
    quartz_cron_expression: acts('the fire times'),
    timezone_id: acts('their time zone'),
    pause_status: acts('a paused schedule fires nothing'),
    sql_condition: refused(
      'durable-jobs does not evaluate SQL conditions before a cron fire: every fire would run; check the condition in a condition_task'
    ),
  },
  Continuous: {
    pause_status: acts('a paused continuous job starts no runs'),
    task_retry_mode: acts('NEVER (the default): a failed run is followed by a new run, with backoff', {
      refusedValues: {
        ON_FAILURE: 'durable-jobs restarts a failed continuous run as a whole: retry tasks with their max_retries',
      },
    }),
    maintenance_window: refused('durable-jobs has no maintenance windows'),
  },
  TriggerSettings: {
    pause_status: acts('a paused trigger starts no runs'),
    file_arrival: acts('new files start a run', { of: 'FileArrivalTriggerConfiguration' }),
    periodic: acts('a run every interval', { of: 'PeriodicTriggerConfiguration' }),
    model: acts('model registry events start a run', { of: 'ModelTriggerConfiguration' }),
    table_update: refused('durable-jobs has no Unity Catalog tables to watch'),
    table: refused('durable-jobs has no Unity Catalog tables to watch', {
      outsideSdk: 'the older name of table_update',
    }),
    job_completion: refused('durable-jobs does not watch other jobs’ runs: end the upstream job with a run_job_task'),
    sql_condition: refused('durable-jobs does not evaluate SQL conditions'),
  },
  FileArrivalTriggerConfiguration: {
    url: acts('the directory or s3:// prefix watched'),
    min_time_between_triggers_seconds: acts('the least time between runs'),
    wait_after_last_change_seconds: acts('the quiet time before a run'),
  },
  PeriodicTriggerConfiguration: {
    interval: acts('how many units'),
    unit: acts('MINUTES, HOURS, DAYS or WEEKS'),
  },
  ModelTriggerConfiguration: {
    condition: acts('the event'),
    securable_name: acts('the model or prefix'),
    aliases: acts('the aliases watched'),
    min_time_between_triggers_seconds: acts('the least time between runs'),
    wait_after_last_change_seconds: acts('the quiet time before a run'),
  },
  JobCluster: {
    job_cluster_key: acts('the name tasks use'),
    new_cluster: acts(
      'its spark_env_vars reach the tasks’ processes and its spark_conf their Spark; the machines are the workers serving the key'
    ),
    serverless_compute: refused('durable-jobs has no serverless compute'),
    serverless_compute_id: refused('durable-jobs has no serverless compute'),
  },
  JobEnvironment: {
    environment_key: acts('the name tasks use'),
    spec: acts('the environment', { of: 'Environment' }),
  },
  Environment: {
    environment_version: acts('the Python version the worker uses when it has it'),
    client: acts('the older name of environment_version'),
    dependencies: acts('installed with uv'),
    java_dependencies: refused(
      'serverless Java dependencies need a serverless Spark, which durable-jobs environments do not have; use libraries (jar, maven) on a task that runs on a cluster'
    ),
    base_environment: refused(
      'base environments are workspace objects durable-jobs does not have; list the packages in dependencies'
    ),
    project_environment: refused(
      'durable-jobs does not read project environments (pyproject.toml): list the packages in dependencies'
    ),
  },
  JobEnvironmentVariables: {
    environment_variables_key: acts('the name tasks use'),
    spec: acts('the variables', { of: 'JobEnvironmentVariablesSpec' }),
  },
  JobEnvironmentVariablesSpec: {
    variables: acts('set in the task’s process'),
    files: acts('.env files read when the task starts'),
  },
  JobParameterDefinition: {
    name: acts('the parameter'),
    default: acts('its value unless a run gives one'),
  },
  JobRunAs: {
    user_name: acts('a user of the principals file'),
    service_principal_name: acts('a service principal of the principals file'),
    group_name: acts('a group of the principals file'),
  },
  QueueSettings: { enabled: acts('queue runs over the limit') },
  GitSource: {
    git_url: acts('the repository'),
    git_provider: acts('checked against Databricks’ providers'),
    git_branch: acts('checked out at its head when the run starts'),
    git_tag: acts('checked out'),
    git_commit: acts('checked out'),
    git_snapshot: kept('read-only: the commit a run used, which clients copy back'),
    sparse_checkout: acts('only these paths are checked out', { of: 'SparseCheckout' }),
    job_source: refused('durable-jobs does not read job definitions from Git'),
  },
  SparseCheckout: { patterns: acts('the paths') },
  RunNow: {
    job_id: acts('the job'),
    job_parameters: acts('the run’s job parameters'),
    idempotency_token: acts('a retried request returns the first run'),
    notebook_params: acts('applied to the notebook tasks'),
    python_params: acts('applied to the spark_python and python_wheel tasks'),
    python_named_params: acts('applied to the python_wheel tasks'),
    sql_params: acts('applied to the sql tasks'),
    dbt_commands: acts('replace the dbt tasks’ commands'),
    jar_params: refused('durable-jobs has no spark_jar_task to apply them to'),
    spark_submit_params: refused('durable-jobs has no spark_submit_task to apply them to'),
    pipeline_params: refused('durable-jobs has no pipeline_task to apply them to'),
    only: acts('runs only those tasks: `+key` with everything upstream, `key+` downstream'),
    queue: acts('this run queues behind max_concurrent_runs (or is skipped) whatever the job says', {
      of: 'QueueSettings',
    }),
    performance_target: kept('stored with the run’s settings (a serverless performance mode)'),
    duration_target: kept('stored with the run’s settings (a serverless cost-optimisation window)'),
  },
  SubmitRun: {
    run_name: acts('the run’s name'),
    tasks: acts('the tasks', { of: 'Task', list: true }),
    idempotency_token: acts('a retried request returns the first run'),
    access_control_list: acts('the run’s permissions'),
    queue: kept('stored with the run: a submitted run has no job limit to queue behind', { of: 'QueueSettings' }),
    // The rest of a submit request is job settings, validated as such.
    ...Object.fromEntries(
      (
        [
          'run_as',
          'timeout_seconds',
          'environments',
          'environment_variables',
          'git_source',
          'health',
          'email_notifications',
          'webhook_notifications',
          'notification_settings',
          'budget_policy_id',
          'usage_policy_id',
          'performance_target',
          'duration_target',
        ] as const
      ).map((f) => [f, jobSettings[f]!])
    ),
  },
  RepairRun: {
    run_id: acts('the run repaired'),
    rerun_tasks: acts('the tasks run again'),
    rerun_all_failed_tasks: acts('every unsuccessful task runs again'),
    rerun_dependent_tasks: acts('their downstream tasks run again too'),
    job_parameters: acts('the repair’s job parameters'),
    latest_repair_id: acts('must name the run’s latest repair: a stale or unknown id is refused'),
    notebook_params: repairLegacy('notebook_params'),
    python_params: repairLegacy('python_params'),
    python_named_params: repairLegacy('python_named_params'),
    jar_params: repairLegacy('jar_params'),
    spark_submit_params: repairLegacy('spark_submit_params'),
    sql_params: repairLegacy('sql_params'),
    dbt_commands: repairLegacy('dbt_commands'),
    pipeline_params: refused('durable-jobs has no pipeline_task to apply them to'),
    performance_target: refused('a repair runs with the run’s own performance target'),
    duration_target: refused('a repair runs with the run’s own duration target'),
  },
  GetJob: {
    job_id: acts('the job'),
    page_token: acts('the next page of its tasks'),
    include_trigger_state: acts("adds the file-arrival trigger's trigger_state"),
  },
  GetRun: {
    run_id: acts("the run; a task run id gives that task run's own view, with its job run as job_run_id"),
    include_history: acts('adds repair_history'),
    page_token: acts('the next page of its tasks'),
    include_resolved_values: acts("adds each task's resolved_values: the parameters it received, references resolved"),
  },
};

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Given: not absent, null, false or an empty list (clients send those for a field they leave unset). */
const given = (v: unknown) => v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0);

/** The rules of one object's fields. */
export const fieldsOf = (object: ObjectName): Readonly<Record<string, FieldRule>> => OBJECT_FIELDS[object];

/**
 * Every refused field (or refused value) given in `value`, an `object`, and in the objects it
 * holds, each with its JSON path under `at` and the reason. Fields the table does not know are
 * left to the schema, which reports them as unknown.
 */
export function refusedFieldProblems(object: ObjectName, value: unknown, at = ''): SpecProblem[] {
  if (!isObject(value)) return [];
  const rules = fieldsOf(object);
  const problems: SpecProblem[] = [];
  for (const [field, v] of Object.entries(value)) {
    const rule = rules[field];
    if (!rule || !given(v)) continue;
    const path = at ? `${at}.${field}` : field;
    if (rule.class === 'refused') {
      problems.push({ path, message: `not supported: ${rule.note}` });
      continue;
    }
    const valueReason = typeof v === 'string' ? rule.refusedValues?.[v] : undefined;
    if (valueReason) problems.push({ path, message: `${String(v)} is not supported: ${valueReason}` });
    if (!rule.of) continue;
    if (rule.list && Array.isArray(v))
      v.forEach((item, i) => problems.push(...refusedFieldProblems(rule.of!, item, `${path}[${i}]`)));
    else if (!rule.list) problems.push(...refusedFieldProblems(rule.of, v, path));
  }
  return problems;
}

/** Where docs/api.md holds the table `fieldClassesMarkdown` prints. */
export const FIELD_CLASSES_DOC_MARKERS = {
  start: '<!-- field-classes: generated by `npm run field-classes` from core/schema/field-classes.ts -->',
  end: '<!-- /field-classes -->',
} as const;

const OBJECT_TITLES: Partial<Record<ObjectName, string>> = {
  RunNow: 'jobs/run-now request',
  SubmitRun: 'jobs/runs/submit request',
  RepairRun: 'jobs/runs/repair request',
  GetJob: 'jobs/get request',
  GetRun: 'jobs/runs/get request',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** Every object's fields as Markdown tables: field, class, and what happens to it (or why it is refused). */
export function fieldClassesMarkdown(): string {
  const out: string[] = [];
  for (const object of Object.keys(OBJECT_FIELDS) as ObjectName[]) {
    const sdk = SDK_NAMES[object].map((n) => `\`${n}\``).join(', ');
    out.push(`**${OBJECT_TITLES[object] ?? `\`${object}\``}** (SDK: ${sdk})`, '');
    out.push('| field | class | what durable-jobs does, or why it refuses it |', '|---|---|---|');
    for (const [field, rule] of Object.entries(fieldsOf(object))) {
      const values = Object.entries(rule.refusedValues ?? {}).map(([v, why]) => `; refused: \`${v}\` (${why})`);
      const outside = rule.outsideSdk ? ` (${rule.outsideSdk})` : '';
      const of = rule.of ? `; see \`${rule.of}\`` : '';
      out.push(`| \`${field}\` | ${rule.class} | ${cell(`${rule.note}${values.join('')}${of}${outside}`)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
