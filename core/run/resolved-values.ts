// Databricks `resolved_values` of a task run (runs/get?include_resolved_values=true): the
// parameters the task received, its `{{…}}` references resolved, in the shape Databricks gives
// each task type (the SDK's ResolvedValues). The workflow records them as it starts an attempt.
import type { Task } from '../schema';

export interface ResolvedValues {
  notebook_task?: { base_parameters?: Record<string, string> };
  python_wheel_task?: { parameters?: string[]; named_parameters?: Record<string, string> };
  spark_python_task?: { parameters?: string[] };
  sql_task?: { parameters?: Record<string, string> };
  condition_task?: { left?: string; right?: string };
  run_job_task?: { job_parameters?: Record<string, string> };
  dbt_task?: { commands?: string[] };
}

/** The resolved values of `task` (its references already resolved); undefined for a type Databricks gives none. */
export function resolvedValuesOf(task: Task): ResolvedValues | undefined {
  /** The values without their absent fields. */
  const pick = <T extends object>(values: T): T =>
    Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as T;
  if (task.notebook_task) return { notebook_task: pick({ base_parameters: task.notebook_task.base_parameters ?? {} }) };
  if (task.python_wheel_task) {
    const { parameters, named_parameters } = task.python_wheel_task;
    return { python_wheel_task: pick({ parameters, named_parameters }) };
  }
  if (task.spark_python_task)
    return { spark_python_task: pick({ parameters: task.spark_python_task.parameters ?? [] }) };
  if (task.sql_task) return { sql_task: pick({ parameters: task.sql_task.parameters ?? {} }) };
  if (task.condition_task)
    return { condition_task: { left: task.condition_task.left, right: task.condition_task.right } };
  if (task.run_job_task) return { run_job_task: pick({ job_parameters: task.run_job_task.job_parameters ?? {} }) };
  if (task.dbt_task) return { dbt_task: { commands: [...task.dbt_task.commands] } };
  return undefined;
}
