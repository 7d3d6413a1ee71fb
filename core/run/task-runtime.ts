// What one task runs with, beyond its own fields, read from the job's settings: the Python
// packages its environment installs (its `environment_key`'s spec or its `libraries`), the
// variables its process gets (its cluster's `spark_env_vars`, its `environment_variables_key`'s
// spec), what Spark would load (jar and maven libraries, `spark_conf`), and whether its paths are
// read from the run's Git checkout. Pure; the workflow hands the result to the task's activity.
import type { JobSettings, Library, Task } from '../schema';
import type { TaskAttemptInput } from './task-attempt';

/** The dbt the embedded warehouse runs: dbt-core with the DuckDB adapter, on DuckDB's storage version of the SQL runner. */
export const DBT_REQUIREMENTS = ['dbt-core==1.11.16', 'dbt-duckdb==1.11.1', 'duckdb==1.5.6'] as const;

/** Python packages to install into a task's environment, as pip requirement lines. */
export interface PythonEnvironmentSpec {
  /** The job's `environment_key`, when the packages come from one of its environments. */
  environmentKey?: string;
  /** Databricks serverless environment version (`environment_version`, or the older `client`). */
  version?: string;
  /** pip requirement lines in order: specifiers, wheel paths, `-r file`, options such as `--index-url`. */
  requirements: string[];
}

/** What Spark loads for a task on a cluster, kept for the Spark runtime. */
export interface SparkLibraries {
  jars: string[];
  /** Maven coordinates (`group:artifact:version`), as `spark.jars.packages` takes them. */
  packages: string[];
  repositories: string[];
  /** `group:artifact` exclusions, as `spark.jars.excludes` takes them. */
  exclusions: string[];
}

export interface TaskRuntime {
  environment?: PythonEnvironmentSpec;
  /** The `spark_env_vars` of the task's cluster, for the task's process. */
  clusterVariables: Record<string, string>;
  /**
   * The selected environment_variables: its `.env` files, read when the attempt starts, then its
   * `variables`, which win over the files and over the cluster's.
   */
  variables: Record<string, string>;
  variableFiles: string[];
  /** The task's cluster `spark_conf` (a job cluster's or its own new_cluster's). */
  sparkConf?: Record<string, string>;
  sparkLibraries?: SparkLibraries;
  /** The task reads its paths from the run's Git checkout. */
  fromGit: boolean;
}

type Raw = Record<string, unknown>;
const stringsOf = (v: unknown): Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Raw).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

/** The cluster spec the task runs on: its job cluster's new_cluster, else its own. */
function clusterSpecOf(settings: JobSettings, task: Task): Raw | undefined {
  if (task.job_cluster_key !== undefined)
    return settings.job_clusters?.find((c) => c.job_cluster_key === task.job_cluster_key)?.new_cluster;
  return task.new_cluster;
}

/**
 * Whether the task reads its paths from Git. As Databricks defaults them: notebooks, SQL files
 * and dbt projects come from Git when the job has a git_source and the task names no source;
 * a spark_python_task only when it says `source: GIT`.
 */
export function isGitSourced(hasGitSource: boolean, task: Task): boolean {
  const byDefault = (source: 'WORKSPACE' | 'GIT' | undefined) =>
    source === 'GIT' || (source === undefined && hasGitSource);
  if (task.notebook_task) return byDefault(task.notebook_task.source);
  if (task.sql_task?.file) return byDefault(task.sql_task.file.source);
  if (task.dbt_task) return byDefault(task.dbt_task.source);
  if (task.spark_python_task) return task.spark_python_task.source === 'GIT';
  return false;
}

function libraryRequirements(libraries: readonly Library[]): string[] {
  const lines: string[] = [];
  for (const lib of libraries) {
    if (lib.pypi) {
      // A library's own repository is one more index to look in, as pip's --extra-index-url.
      if (lib.pypi.repo) lines.push(`--extra-index-url ${lib.pypi.repo}`);
      lines.push(lib.pypi.package);
    }
    if (lib.whl) lines.push(lib.whl);
    if (lib.requirements) lines.push(`-r ${lib.requirements}`);
  }
  return lines;
}

function sparkLibrariesOf(libraries: readonly Library[]): SparkLibraries | undefined {
  const spark: SparkLibraries = { jars: [], packages: [], repositories: [], exclusions: [] };
  for (const lib of libraries) {
    if (lib.jar) spark.jars.push(lib.jar);
    if (lib.maven) {
      spark.packages.push(lib.maven.coordinates);
      if (lib.maven.repo && !spark.repositories.includes(lib.maven.repo)) spark.repositories.push(lib.maven.repo);
      spark.exclusions.push(...(lib.maven.exclusions ?? []));
    }
  }
  return spark.jars.length + spark.packages.length > 0 ? spark : undefined;
}

/** The environment, variables and Spark libraries of one task of `settings`. */
export function taskRuntimeOf(settings: JobSettings, task: Task): TaskRuntime {
  const libraries = task.libraries ?? [];
  let environment: PythonEnvironmentSpec | undefined;
  if (task.environment_key !== undefined) {
    const spec = settings.environments?.find((e) => e.environment_key === task.environment_key)?.spec;
    const version = spec?.environment_version ?? spec?.client;
    environment = {
      environmentKey: task.environment_key,
      ...(version !== undefined ? { version } : {}),
      requirements: [...(spec?.dependencies ?? [])],
    };
  } else {
    const requirements = libraryRequirements(libraries);
    if (requirements.length > 0) environment = { requirements };
  }
  if (task.dbt_task) {
    // dbt runs from the task's environment: the embedded warehouse's adapter unless one is named.
    environment ??= { requirements: [] };
    const named = environment.requirements.some((r) => /^dbt-(?!core)[\w-]+/i.test(r.trim()));
    if (!named) environment.requirements.push(...DBT_REQUIREMENTS);
  }
  const cluster = clusterSpecOf(settings, task);
  const selected =
    task.environment_variables_key !== undefined
      ? settings.environment_variables?.find((v) => v.environment_variables_key === task.environment_variables_key)
          ?.spec
      : undefined;
  const sparkConf = stringsOf(cluster?.spark_conf);
  const sparkLibraries = sparkLibrariesOf(libraries);
  return {
    ...(environment ? { environment } : {}),
    clusterVariables: stringsOf(cluster?.spark_env_vars),
    variables: { ...(selected?.variables ?? {}) },
    variableFiles: [...(selected?.files ?? [])],
    ...(Object.keys(sparkConf).length > 0 ? { sparkConf } : {}),
    ...(sparkLibraries ? { sparkLibraries } : {}),
    fromGit: isGitSourced(settings.git_source !== undefined, task),
  };
}

/** Whether a task's runtime needs anything of its activity beyond its own fields. */
const isPlain = (r: TaskRuntime): boolean =>
  !r.environment &&
  !r.fromGit &&
  !r.sparkConf &&
  !r.sparkLibraries &&
  r.variableFiles.length === 0 &&
  Object.keys(r.variables).length === 0 &&
  Object.keys(r.clusterVariables).length === 0;

/**
 * The `runtime` and `git` of a task attempt's input: nothing for a task that needs neither (most
 * tasks, so their history stays as it was), the run's checkout (or why there is none) for a
 * Git-sourced task.
 */
export function attemptRuntime(
  state: { settings: JobSettings; git_snapshot?: { used_commit: string }; git_error?: string },
  task: Task
): Pick<TaskAttemptInput, 'runtime' | 'git'> {
  const runtime = taskRuntimeOf(state.settings, task);
  if (isPlain(runtime)) return {};
  const source = state.settings.git_source;
  if (!runtime.fromGit || !source) return { runtime };
  if (!state.git_snapshot)
    return { runtime, git: { error: state.git_error ?? 'The run has no checkout of its git_source.' } };
  const patterns = source.sparse_checkout?.patterns;
  return {
    runtime,
    git: {
      url: source.git_url,
      commit: state.git_snapshot.used_commit,
      ...(patterns ? { sparsePatterns: patterns } : {}),
    },
  };
}
