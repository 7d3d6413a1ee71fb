// PRELIMINARY CONTRACT (to be replaced by the zod schema): the shapes other modules rely on.
import type { RunIf } from '../dag/states';

export interface DependsOn {
  task_key: string;
  outcome?: 'true' | 'false';
}
export interface NotebookTask {
  notebook_path: string;
  base_parameters?: Record<string, string>;
  source?: 'WORKSPACE' | 'GIT';
  warehouse_id?: string;
}
export interface SparkPythonTask {
  python_file: string;
  parameters?: string[];
  source?: 'WORKSPACE' | 'GIT';
}
export interface SqlTask {
  warehouse_id?: string;
  file?: { path: string; source?: 'WORKSPACE' | 'GIT' };
  /** `query_text` is a durable-jobs extension (inline SQL); `query_id` is Databricks' saved query. */
  query?: { query_id?: string; query_text?: string };
  parameters?: Record<string, string>;
}
/** durable-jobs extension: run an arbitrary command. */
export interface ShellCommandTask {
  command: string | string[];
  env?: Record<string, string>;
}
export interface Task {
  task_key: string;
  description?: string;
  depends_on?: DependsOn[];
  run_if?: RunIf;
  disabled?: boolean;
  timeout_seconds?: number;
  max_retries?: number;
  min_retry_interval_millis?: number;
  retry_on_timeout?: boolean;
  job_cluster_key?: string;
  existing_cluster_id?: string;
  notebook_task?: NotebookTask;
  spark_python_task?: SparkPythonTask;
  sql_task?: SqlTask;
  shell_command_task?: ShellCommandTask;
}
export const TASK_TYPES = ['notebook_task', 'spark_python_task', 'sql_task', 'shell_command_task'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export function taskTypeOf(task: Task): TaskType {
  const found = TASK_TYPES.find((t) => task[t] !== undefined);
  if (!found) throw new Error(`task ${task.task_key} has no task type`);
  return found;
}
export interface JobParameterDefinition {
  name: string;
  default: string;
}
export interface CronSchedule {
  quartz_cron_expression: string;
  timezone_id: string;
  pause_status?: 'PAUSED' | 'UNPAUSED';
}
export interface JobSettings {
  name?: string;
  description?: string;
  tasks: Task[];
  job_clusters?: { job_cluster_key: string; new_cluster?: Record<string, unknown> }[];
  parameters?: JobParameterDefinition[];
  timeout_seconds?: number;
  max_concurrent_runs?: number;
  tags?: Record<string, string>;
  schedule?: CronSchedule;
}
export interface SpecProblem {
  /** JSON path such as `tasks[1].depends_on[0].task_key`; empty for the document root. */
  path: string;
  /** A sentence saying what was expected and what was found. */
  message: string;
}
export type ValidationResult =
  | { ok: true; settings: JobSettings; warnings: SpecProblem[] }
  | { ok: false; errors: SpecProblem[]; warnings: SpecProblem[] };
export declare function validateJobSettings(input: unknown): ValidationResult;
