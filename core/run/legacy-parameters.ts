// The legacy per-task parameters of `jobs/run-now` (Jobs API 2.0/2.1: `notebook_params`,
// `python_params`, …), which the legacy databricks-cli and the Airflow operators still send.
// Databricks applies each to the tasks of its type for that run only and reports them as the run's
// `overriding_parameters`; what cannot apply is refused here, never dropped.
import type { JobSettings, Task } from '../schema';

/** Each legacy field, its shape, and the task types (and their field) it overrides. */
export const LEGACY_TASK_PARAMETERS = {
  notebook_params: { shape: 'map', taskTypes: ['notebook_task'] },
  python_params: { shape: 'list', taskTypes: ['spark_python_task', 'python_wheel_task'] },
  python_named_params: { shape: 'map', taskTypes: ['python_wheel_task'] },
  jar_params: { shape: 'list', taskTypes: ['spark_jar_task'] },
  spark_submit_params: { shape: 'list', taskTypes: ['spark_submit_task'] },
  sql_params: { shape: 'map', taskTypes: ['sql_task'] },
  dbt_commands: { shape: 'list', taskTypes: ['dbt_task'] },
} as const;
export type LegacyParameterName = keyof typeof LEGACY_TASK_PARAMETERS;
const NAMES = Object.keys(LEGACY_TASK_PARAMETERS) as LegacyParameterName[];

/** Databricks `RunParameters` as run-now takes them and runs/get reports them (`overriding_parameters`). */
export interface LegacyTaskParameters {
  notebook_params?: Record<string, string>;
  python_params?: string[];
  python_named_params?: Record<string, string>;
  jar_params?: string[];
  spark_submit_params?: string[];
  sql_params?: Record<string, string>;
  dbt_commands?: string[];
}

/** Databricks' limit on each legacy field, as JSON. */
const MAX_JSON_BYTES = 10_000;
const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The legacy fields of a run-now request, checked: values are strings (numbers and booleans are written as strings). */
export function readLegacyTaskParameters(request: Record<string, unknown>): {
  parameters: LegacyTaskParameters;
  problems: string[];
} {
  const parameters: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of NAMES) {
    const v = request[name];
    if (v === undefined || v === null) continue;
    const { shape } = LEGACY_TASK_PARAMETERS[name];
    if (shape === 'list') {
      if (!Array.isArray(v) || !v.every(scalar)) {
        problems.push(`${name}: expected an array of strings, found ${JSON.stringify(v)}`);
        continue;
      }
      const list = v.map(String);
      if (
        (name === 'python_params' || name === 'spark_submit_params') &&
        list.some((s) => [...s].some((c) => c.charCodeAt(0) > 0x7f))
      )
        problems.push(`${name}: only ASCII characters are allowed`);
      if (
        name === 'dbt_commands' &&
        (list.length === 0 || list.length > 10 || list.some((c) => !/^\s*dbt(\s|$)/.test(c)))
      )
        problems.push(`${name}: expected 1 to 10 commands, each starting with "dbt"`);
      parameters[name] = list;
    } else {
      if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(scalar)) {
        problems.push(`${name}: expected an object of strings, found ${JSON.stringify(v)}`);
        continue;
      }
      parameters[name] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
    if (new TextEncoder().encode(JSON.stringify(parameters[name])).length > MAX_JSON_BYTES)
      problems.push(`${name}: must be at most ${MAX_JSON_BYTES} bytes of JSON`);
  }
  return { parameters: parameters, problems };
}

/**
 * The settings of one run with the legacy parameters applied: maps merge into the task's own
 * (the run's value wins), lists replace the task's. Problems: parameters for a task type the job
 * has none of, `jar_params` with `notebook_params`, and any legacy parameter on a job that defines
 * job parameters or beside `job_parameters` (Databricks superseded one by the other).
 */
export function applyLegacyTaskParameters(
  settings: JobSettings,
  parameters: LegacyTaskParameters,
  context: { jobId: number; jobParametersGiven: boolean }
): { settings: JobSettings; problems: string[] } {
  const given = NAMES.filter((n) => parameters[n] !== undefined);
  if (given.length === 0) return { settings, problems: [] };
  const problems: string[] = [];
  const list = given.join(', ');
  if (parameters.jar_params && parameters.notebook_params)
    problems.push('jar_params and notebook_params cannot be combined.');
  if (context.jobParametersGiven) problems.push(`job_parameters cannot be combined with task parameters (${list}).`);
  const defined = (settings.parameters ?? []).map((p) => p.name);
  if (defined.length > 0)
    problems.push(
      `Task parameters (${list}) cannot be used: job ${context.jobId} defines job parameters (${defined.join(', ')}); pass job_parameters instead.`
    );
  for (const name of given) {
    const types = LEGACY_TASK_PARAMETERS[name].taskTypes;
    // Unsupported task types are typed as absent; their fields are read as plain object keys.
    if (!settings.tasks.some((t) => types.some((type) => (t as Record<string, unknown>)[type] !== undefined)))
      problems.push(`${name}: job ${context.jobId} has no ${types.join(' or ')} to apply them to.`);
  }
  if (problems.length > 0) return { settings, problems };
  return { settings: { ...settings, tasks: settings.tasks.map((t) => withParameters(t, parameters)) }, problems };
}

/** One task with the parameters of its type (only the types durable-jobs runs can match). */
function withParameters(task: Task, p: LegacyTaskParameters): Task {
  if (task.notebook_task && p.notebook_params)
    return {
      ...task,
      notebook_task: {
        ...task.notebook_task,
        base_parameters: { ...task.notebook_task.base_parameters, ...p.notebook_params },
      },
    };
  if (task.spark_python_task && p.python_params)
    return { ...task, spark_python_task: { ...task.spark_python_task, parameters: p.python_params } };
  if (task.python_wheel_task && (p.python_params || p.python_named_params)) {
    // Positional parameters replace the task's; named ones merge over its named ones.
    const { parameters, named_parameters, ...rest } = task.python_wheel_task;
    return {
      ...task,
      python_wheel_task: p.python_named_params
        ? { ...rest, named_parameters: { ...named_parameters, ...p.python_named_params } }
        : { ...rest, parameters: p.python_params ?? parameters ?? [] },
    };
  }
  if (task.dbt_task && p.dbt_commands) return { ...task, dbt_task: { ...task.dbt_task, commands: p.dbt_commands } };
  if (task.sql_task && p.sql_params)
    return { ...task, sql_task: { ...task.sql_task, parameters: { ...task.sql_task.parameters, ...p.sql_params } } };
  return task;
}
