// How each task type runs: the command line, working directory and widget parameters.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { taskTypeOf, type Task } from '../core';
import { projectRoot } from '../config/project-root';
import { dbtCommand } from './dbt';
import { TaskInvalidError } from './task-invalid';
import { wheelCommand } from './wheel-task';

export interface TaskCommand {
  command: string;
  args: string[];
  cwd: string;
  /** Widget parameters (`dbutils.widgets.get`), job parameters over task parameters. */
  params: Record<string, string>;
  env?: Record<string, string>;
  /**
   * A `python djobs_run.py ...` command the worker's Python fork server may start as a fork of its
   * warm interpreter (false: the task asked for a fresh interpreter).
   */
  forkable?: boolean;
  /** Directories the task reads and must not write: its Python environment, its Git checkout. */
  readOnlyPaths?: string[];
  /** dbt_task: where the runner leaves the archive of the dbt artifacts. */
  dbtArtifacts?: string;
}

export { TaskInvalidError } from './task-invalid';

export const runtimeDir = (): string => path.join(projectRoot(), 'activities', 'runtime');
const pythonRunner = () => path.join(runtimeDir(), 'python', 'djobs_run.py');
const sqlRunner = () => path.join(runtimeDir(), 'sql-runner.cjs');
export const nodeShim = (): string => path.join(runtimeDir(), 'node', 'dbutils.cjs');

function requireFile(file: string, what: string): void {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile())
    throw new TaskInvalidError(`${what} ${file} does not exist.`);
}

export interface CommandContext {
  python: string;
  /** DuckDB database file of the task's warehouse. */
  warehouseFile: (warehouseId: string | undefined) => string;
  /** Where an inline SQL query is written for the runner. */
  scratchFile: (name: string, content: string) => string;
  /** A fresh directory of the attempt's own (a dbt project's copy and its artifacts). */
  scratchDir: (name: string) => string;
}

export function taskCommand(task: Task, jobParameters: Record<string, string>, ctx: CommandContext): TaskCommand {
  const type = taskTypeOf(task);
  switch (type) {
    case 'notebook_task': {
      const nb = task.notebook_task!;
      const file = nb.notebook_path;
      requireFile(file, 'Notebook');
      const params = { ...(nb.base_parameters ?? {}), ...jobParameters };
      const command = fileCommand(file, [], ctx, nb.warehouse_id);
      return { ...command, params, ...(command.forkable && nb.fresh_interpreter ? { forkable: false } : {}) };
    }
    case 'spark_python_task': {
      const t = task.spark_python_task!;
      requireFile(t.python_file, 'Python file');
      return {
        command: ctx.python,
        args: [pythonRunner(), t.python_file, ...(t.parameters ?? [])],
        cwd: path.dirname(t.python_file),
        params: { ...jobParameters },
        forkable: t.fresh_interpreter !== true,
      };
    }
    case 'python_wheel_task':
      return wheelCommand(task.python_wheel_task!, pythonRunner(), ctx.python, jobParameters);
    case 'dbt_task':
      return dbtCommand(task.dbt_task!, ctx, jobParameters);
    case 'sql_task': {
      const t = task.sql_task!;
      const params = { ...(t.parameters ?? {}), ...jobParameters };
      if (t.file) {
        requireFile(t.file.path, 'SQL file');
        return { ...sqlCommand(t.file.path, ctx.warehouseFile(t.warehouse_id)), params };
      }
      const text = t.query?.query_text;
      if (text === undefined)
        throw new TaskInvalidError('sql_task needs file.path or query.query_text (saved queries do not exist here).');
      const file = ctx.scratchFile('query.sql', text);
      return { ...sqlCommand(file, ctx.warehouseFile(t.warehouse_id)), cwd: process.cwd(), params };
    }
    case 'condition_task':
    case 'run_job_task':
    case 'for_each_task':
      throw new TaskInvalidError(`${type} is run by the workflow, never by a worker.`);
    case 'shell_command_task': {
      const t = task.shell_command_task!;
      const [command, ...args] = typeof t.command === 'string' ? ['bash', '-c', t.command] : t.command;
      if (!command) throw new TaskInvalidError('shell_command_task.command is empty.');
      return { command, args, cwd: process.cwd(), params: { ...jobParameters }, ...(t.env ? { env: t.env } : {}) };
    }
  }
}

function sqlCommand(file: string, db: string): Omit<TaskCommand, 'params'> {
  return { command: process.execPath, args: [sqlRunner(), '--file', file, '--db', db], cwd: path.dirname(file) };
}

function fileCommand(
  file: string,
  argv: string[],
  ctx: CommandContext,
  warehouseId: string | undefined
): Omit<TaskCommand, 'params'> {
  const cwd = path.dirname(file);
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.py':
      return { command: ctx.python, args: [pythonRunner(), file, ...argv], cwd, forkable: true };
    case '.ipynb':
      return { command: ctx.python, args: [pythonRunner(), '--ipynb', file], cwd, forkable: true };
    case '.sql':
      return sqlCommand(file, ctx.warehouseFile(warehouseId));
    case '.js':
    case '.mjs':
    case '.cjs':
      return { command: process.execPath, args: ['--require', nodeShim(), file, ...argv], cwd };
    case '.ts':
      return {
        command: process.execPath,
        // tsx's main entry registers both its ESM and CommonJS loaders.
        args: [
          '--require',
          nodeShim(),
          '--import',
          pathToFileURL(path.join(projectRoot(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
          file,
          ...argv,
        ],
        cwd,
      };
    case '.sh':
      return { command: 'bash', args: [file, ...argv], cwd };
    default:
      throw new TaskInvalidError(
        `Notebook ${file} has an unsupported extension "${ext}" (expected .py, .ipynb, .sql, .js, .mjs, .ts or .sh).`
      );
  }
}
