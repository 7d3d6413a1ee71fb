// The Jobs API 2.0 single-task format: a job whose one task's fields (`spark_python_task`,
// `existing_cluster_id`, `max_retries`, …) sit at the top level of its settings, as the legacy
// databricks-cli sends them by default. On the way in it becomes a one-task job (marked
// `format: SINGLE_TASK`); 2.0 responses show such a job, and its runs, in the 2.0 shape again.
import { KEY_PATTERN } from './job-settings';

type Json = Record<string, unknown>;

/** Top-level fields of 2.0 settings that belong to the job's one task. */
export const SINGLE_TASK_FIELDS = [
  'notebook_task',
  'spark_python_task',
  'spark_jar_task',
  'spark_submit_task',
  'python_wheel_task',
  'pipeline_task',
  'sql_task',
  'dbt_task',
  'shell_command_task',
  'existing_cluster_id',
  'new_cluster',
  'libraries',
  'max_retries',
  'min_retry_interval_millis',
  'retry_on_timeout',
] as const;
const TASK_TYPE_FIELDS = SINGLE_TASK_FIELDS.slice(0, 9);
/** Fields of a run's one task that 2.0 reports in `cluster_spec`. */
const CLUSTER_SPEC_FIELDS = ['existing_cluster_id', 'new_cluster', 'libraries'] as const;

/** Settings in the 2.0 single-task format: a task type at the top level and no `tasks`. */
export function isSingleTaskFormat(settings: unknown): settings is Json {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return false;
  const s = settings as Json;
  return s.tasks === undefined && TASK_TYPE_FIELDS.some((f) => s[f] !== undefined);
}

/**
 * The task key Databricks gives the one task of a single-task job: the job's name, with the
 * characters a task key cannot hold replaced by `_` (`Untitled` for a job with no name).
 */
export function singleTaskKey(name: unknown): string {
  const raw = typeof name === 'string' && name.trim() !== '' ? name.trim() : 'Untitled';
  const key = [...raw].map((c) => (KEY_PATTERN.test(c) ? c : '_')).join('');
  return key.slice(0, 100);
}

/** 2.0 single-task settings as a one-task job; other settings unchanged. */
export function fromSingleTaskFormat(settings: unknown): unknown {
  if (!isSingleTaskFormat(settings)) return settings;
  const job: Json = {};
  const task: Json = { task_key: singleTaskKey(settings.name) };
  for (const [field, value] of Object.entries(settings)) {
    if ((SINGLE_TASK_FIELDS as readonly string[]).includes(field)) task[field] = value;
    else job[field] = value;
  }
  return { ...job, tasks: [task], format: 'SINGLE_TASK' };
}

/** A stored single-task job's settings in the 2.0 shape (its task's fields at the top level). */
export function toSingleTaskSettings<S extends { tasks: readonly object[]; format?: string }>(settings: S): Json {
  if (settings.format !== 'SINGLE_TASK' || settings.tasks.length !== 1) return settings;
  const { tasks, ...job } = settings;
  const task = { ...(tasks[0] as Json) };
  for (const f of ['task_key', 'depends_on', 'run_if']) delete task[f];
  return { ...job, ...task };
}

/**
 * A run of a single-task job (`format: SINGLE_TASK`) in the 2.0 shape: its one task's type under
 * `task`, its cluster under `cluster_spec`, the latest attempt's timings at the top level, no
 * `tasks`. Other runs unchanged.
 */
export function toSingleTaskRun<R extends { tasks: readonly object[]; format: string }>(run: R): Json {
  if (run.format !== 'SINGLE_TASK' || run.tasks.length === 0) return run;
  const { tasks, ...rest } = run as R & Json;
  const last = tasks[tasks.length - 1] as Json;
  const pick = (fields: readonly string[]) =>
    Object.fromEntries(fields.filter((f) => last[f] !== undefined).map((f) => [f, last[f]]));
  const clusterSpec = pick(CLUSTER_SPEC_FIELDS);
  return {
    ...rest,
    task: pick(TASK_TYPE_FIELDS),
    ...(Object.keys(clusterSpec).length > 0 ? { cluster_spec: clusterSpec } : {}),
    attempt_number: last.attempt_number,
    setup_duration: last.setup_duration,
    execution_duration: last.execution_duration,
    cleanup_duration: last.cleanup_duration,
  };
}
