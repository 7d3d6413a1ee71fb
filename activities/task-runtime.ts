// What an attempt needs before its command can be made (core/run/task-runtime.ts says what, from
// the job's settings): the run's Git checkout with the task's paths resolved in it, its Python
// environment, and its variables (the cluster's spark_env_vars, the selected
// environment_variables and their .env files, and for Spark the libraries and spark_conf it
// would load). A failure here fails the attempt with the termination code Databricks reports.
import fs from 'node:fs';
import path from 'node:path';
import { PathProblem, taskPath, type EnvironmentReadiness, type Task, type TaskAttemptInput } from '../core';
import { EnvironmentInstallError, readyEnvironment } from './environments';
import { checkoutCommit, GitCheckoutError } from './git-source';

/** The attempt cannot start: `terminationCode` is Databricks' code for why. */
export class RuntimeSetupError extends Error {
  constructor(
    message: string,
    readonly terminationCode: 'LIBRARY_INSTALLATION_ERROR' | 'REPOSITORY_CHECKOUT_FAILED' | 'INVALID_RUN_CONFIGURATION'
  ) {
    super(message);
    this.name = 'RuntimeSetupError';
  }
}

export interface PreparedRuntime {
  /** The task, its Git-sourced paths resolved in the run's checkout. */
  task: Task;
  /** The environment's interpreter, when the task has an environment. */
  python?: string;
  /** Variables for the task's process. */
  env: Record<string, string>;
  /** Directories the task reads but must never write (its environment, its checkout). */
  readOnlyPaths: string[];
  /** The run's Git checkout, when the task reads from Git: its files are the task's, whoever it runs as. */
  checkout?: string;
  environment?: EnvironmentReadiness;
}

export interface RuntimeContext {
  dataDir: string;
  basePython: string;
  log: (text: string) => void;
  signal?: AbortSignal;
  /**
   * The real file of a path the task names, for the run's principal (workspace/task-paths.ts);
   * throws when it names nothing the principal may read. Default: the path itself.
   */
  resolveFile?: (p: string, what: string, discoverExtension: boolean) => string;
}

/**
 * The requirement lines with the files they name (a wheel, `-r` a requirements file) as real paths:
 * a workspace, volume or DBFS path (`/Workspace/…/x.whl`, as a bundle deploy names its wheels) is
 * the workspace root's file, read for the run's principal like any task file.
 */
export function requirementsOnDisk(
  lines: readonly string[],
  resolve: NonNullable<RuntimeContext['resolveFile']>
): string[] {
  return lines.map((line) => {
    const m = /^(-r|--requirement)\s+(.+)$/.exec(line.trim());
    const target = (m ? m[2]! : line).trim();
    const where = taskPath(target);
    if (where === undefined || where instanceof PathProblem || where.kind !== 'root') return line;
    let real: string;
    try {
      real = resolve(target, 'Library', false);
    } catch (err) {
      throw new RuntimeSetupError((err as Error).message, 'LIBRARY_INSTALLATION_ERROR');
    }
    return m ? `${m[1]} ${real}` : real;
  });
}

/** Notebook extensions tried for a Git notebook path given without one, as for workspace paths. */
const NOTEBOOK_EXTENSIONS = ['.py', '.ipynb', '.sql', '.js', '.mjs', '.ts', '.sh'];

/** A path of the repository (relative, or absolute from its root) inside the checkout. */
function inCheckout(checkout: string, p: string, discoverExtension = false): string {
  const file = path.join(checkout, p.replace(/^\/+/, ''));
  if (!discoverExtension || path.extname(file) !== '' || fs.existsSync(file)) return file;
  return NOTEBOOK_EXTENSIONS.map((e) => file + e).find((f) => fs.existsSync(f)) ?? file;
}

/** The task with the paths it reads from Git resolved in `checkout`. */
export function withCheckoutPaths(task: Task, checkout: string): Task {
  if (task.notebook_task)
    return {
      ...task,
      notebook_task: {
        ...task.notebook_task,
        notebook_path: inCheckout(checkout, task.notebook_task.notebook_path, true),
      },
    };
  if (task.spark_python_task)
    return {
      ...task,
      spark_python_task: {
        ...task.spark_python_task,
        python_file: inCheckout(checkout, task.spark_python_task.python_file),
      },
    };
  if (task.sql_task?.file)
    return {
      ...task,
      sql_task: {
        ...task.sql_task,
        file: { ...task.sql_task.file, path: inCheckout(checkout, task.sql_task.file.path) },
      },
    };
  if (task.dbt_task) {
    const d = task.dbt_task;
    return {
      ...task,
      dbt_task: {
        ...d,
        // Without a project directory, a Git-sourced dbt project is the repository's root.
        project_directory: inCheckout(checkout, d.project_directory ?? ''),
        ...(d.profiles_directory !== undefined
          ? {
              profiles_directory: inCheckout(
                path.join(checkout, (d.project_directory ?? '').replace(/^\/+/, '')),
                d.profiles_directory
              ),
            }
          : {}),
      },
    };
  }
  return task;
}

const ENV_LINE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const MAX_ENV_FILE_BYTES = 32 * 1024;
const MAX_ENV_LINE_BYTES = 1024;

/** A `.env` file as Databricks reads one: `KEY=VALUE` lines, blank lines and `#` comments; nothing else. */
export function parseEnvFile(file: string): Record<string, string> {
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined)
    throw new RuntimeSetupError(`Environment variables file ${file} does not exist.`, 'INVALID_RUN_CONFIGURATION');
  if (size > MAX_ENV_FILE_BYTES)
    throw new RuntimeSetupError(`Environment variables file ${file} is over 32 KiB.`, 'INVALID_RUN_CONFIGURATION');
  const vars: Record<string, string> = {};
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      const m = ENV_LINE.exec(line);
      if (!m || Buffer.byteLength(line) > MAX_ENV_LINE_BYTES)
        throw new RuntimeSetupError(
          `${file} line ${i + 1}: expected KEY=VALUE (a name matching ^[A-Za-z_][A-Za-z0-9_]*$, at most 1 KiB), found ${JSON.stringify(line.slice(0, 60))}`,
          'INVALID_RUN_CONFIGURATION'
        );
      vars[m[1]!] = m[2]!;
    });
  return vars;
}

/** Variables naming what Spark loads for the task, for the Spark runtime that starts it. */
function sparkVariables(runtime: NonNullable<TaskAttemptInput['runtime']>): Record<string, string> {
  const env: Record<string, string> = {};
  const libs = runtime.sparkLibraries;
  if (libs?.jars.length) env.DJOBS_SPARK_JARS = libs.jars.join(',');
  if (libs?.packages.length) env.DJOBS_SPARK_PACKAGES = libs.packages.join(',');
  if (libs?.repositories.length) env.DJOBS_SPARK_REPOSITORIES = libs.repositories.join(',');
  if (libs?.exclusions.length) env.DJOBS_SPARK_EXCLUDES = libs.exclusions.join(',');
  if (runtime.sparkConf) env.DJOBS_SPARK_CONF = JSON.stringify(runtime.sparkConf);
  return env;
}

export async function prepareTaskRuntime(input: TaskAttemptInput, ctx: RuntimeContext): Promise<PreparedRuntime> {
  const runtime = input.runtime;
  let task = input.task;
  const readOnlyPaths: string[] = [];
  let checkout: string | undefined;
  if (input.git) {
    if ('error' in input.git) throw new RuntimeSetupError(input.git.error, 'REPOSITORY_CHECKOUT_FAILED');
    try {
      checkout = await checkoutCommit(ctx.dataDir, input.git, ctx.signal);
    } catch (err) {
      if (err instanceof GitCheckoutError) throw new RuntimeSetupError(err.message, 'REPOSITORY_CHECKOUT_FAILED');
      throw err;
    }
    ctx.log(`djobs: ${input.git.url} at ${input.git.commit}\n`);
    task = withCheckoutPaths(task, checkout);
    readOnlyPaths.push(checkout);
  }
  const git = checkout !== undefined ? { checkout } : {};
  if (!runtime) return { task, env: {}, readOnlyPaths, ...git };
  const env: Record<string, string> = { ...runtime.clusterVariables };
  for (const file of runtime.variableFiles) Object.assign(env, parseEnvFile(file));
  Object.assign(env, runtime.variables, sparkVariables(runtime));
  if (!runtime.environment) return { task, env, readOnlyPaths, ...git };
  const spec = ctx.resolveFile
    ? { ...runtime.environment, requirements: requirementsOnDisk(runtime.environment.requirements, ctx.resolveFile) }
    : runtime.environment;
  let ready;
  try {
    ready = await readyEnvironment(spec, {
      dataDir: ctx.dataDir,
      basePython: ctx.basePython,
      log: ctx.log,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    if (err instanceof EnvironmentInstallError) throw new RuntimeSetupError(err.message, 'LIBRARY_INSTALLATION_ERROR');
    throw err;
  }
  readOnlyPaths.push(ready.dir);
  // The environment's programs (dbt, console scripts) come first, as in an activated environment.
  env.VIRTUAL_ENV = ready.dir;
  env.PATH = `${ready.bin}${path.delimiter}${env.PATH ?? process.env.PATH ?? ''}`;
  return {
    task,
    python: ready.python,
    env,
    readOnlyPaths,
    ...git,
    environment: { key: ready.key, reused: ready.reused, setupMs: ready.setupMs },
  };
}
