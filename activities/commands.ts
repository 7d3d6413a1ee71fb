// How each task type runs: the command line, working directory and widget parameters.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourceNotebookLanguage, taskTypeOf, type NotebookLanguage, type Task } from '../core';
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

export interface CommandContext {
  python: string;
  /**
   * The real path of a file the task names, for the run's principal (activities/task-files.ts);
   * throws TaskInvalidError `<what> <path> does not exist.` when it is missing or forbidden.
   */
  resolveFile: (p: string, what: string, discoverExtension: boolean) => string;
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
      const file = ctx.resolveFile(nb.notebook_path, 'Notebook', true);
      const params = { ...(nb.base_parameters ?? {}), ...jobParameters };
      const command = fileCommand(file, [], ctx, nb.warehouse_id);
      return {
        ...command,
        params,
        env: { ...command.env, DJOBS_NOTEBOOK_PATH: nb.notebook_path },
        ...(command.forkable && nb.fresh_interpreter ? { forkable: false } : {}),
      };
    }
    case 'spark_python_task': {
      const t = task.spark_python_task!;
      const file = ctx.resolveFile(t.python_file, 'Python file', false);
      return {
        command: ctx.python,
        args: [pythonRunner(), file, ...(t.parameters ?? [])],
        cwd: path.dirname(file),
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
        const file = ctx.resolveFile(t.file.path, 'SQL file', false);
        return { ...sqlCommand(file, ctx.warehouseFile(t.warehouse_id)), params };
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
  // A notebook's `%sql` cells run on its warehouse, through the SQL tasks' runner.
  const notebook = () => ({
    command: ctx.python,
    args: [pythonRunner(), file, ...argv],
    cwd,
    forkable: true,
    env: { DJOBS_WAREHOUSE_DB: ctx.warehouseFile(warehouseId) },
  });
  switch (ext) {
    case '.py':
    case '.ipynb':
      return notebook();
    case '.sql':
      return notebookLanguageOf(file) === 'SQL' ? notebook() : sqlCommand(file, ctx.warehouseFile(warehouseId));
    case '.scala':
    case '.r': {
      const language = notebookLanguageOf(file);
      if (language)
        throw new TaskInvalidError(
          `Notebook ${file} is a ${language === 'SCALA' ? 'Scala' : 'R'} notebook: durable-jobs runs Python and SQL notebooks only (no ${language === 'SCALA' ? 'Scala' : 'R'} runtime).`
        );
      throw new TaskInvalidError(`Notebook ${file} has an unsupported extension "${ext}".`);
    }
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

/** The language of a source-format notebook file (its first line), or undefined for a plain file. */
function notebookLanguageOf(file: string): NotebookLanguage | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(100);
    const first =
      buf
        .subarray(0, fs.readSync(fd, buf, 0, buf.length, 0))
        .toString('utf8')
        .split('\n', 1)[0] ?? '';
    return sourceNotebookLanguage(path.basename(file), first);
  } finally {
    fs.closeSync(fd);
  }
}
