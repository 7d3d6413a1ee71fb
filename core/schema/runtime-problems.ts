// Cross-field checks of what a task runs with: its libraries, its environment and environment
// variables, its Git source, and the fields of python_wheel_task and dbt_task that exclude each
// other. Each problem names its JSON path; run on the raw input, tolerant of shapes zod reported.
import type { SpecProblem } from './validate';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Task types whose attempts run Python, so a Python environment (libraries, environment_key) applies. */
const PYTHON_TASK_TYPES = [
  'notebook_task',
  'spark_python_task',
  'python_wheel_task',
  'dbt_task',
  'shell_command_task',
] as const;
/** Task types with a `source` (or `file.source`) naming where their paths are read from. */
const SOURCED = [
  ['notebook_task', 'source'],
  ['spark_python_task', 'source'],
  ['dbt_task', 'source'],
  ['sql_task', 'file', 'source'],
] as const;

/** A task on classic compute (a cluster), where Spark would load jar and maven libraries. */
export const runsOnCluster = (t: Raw): boolean =>
  t.job_cluster_key !== undefined || t.existing_cluster_id !== undefined || t.new_cluster !== undefined;

/** Every task with its JSON path: top-level tasks and for_each nested tasks. */
function tasksWithPaths(input: Raw): { task: Raw; at: string }[] {
  return list(input.tasks).flatMap((t, i) => {
    if (!isObject(t)) return [];
    const nested = isObject(t.for_each_task) && isObject(t.for_each_task.task) ? t.for_each_task.task : undefined;
    return [
      { task: t, at: `tasks[${i}]` },
      ...(nested ? [{ task: nested, at: `tasks[${i}].for_each_task.task` }] : []),
    ];
  });
}

/** Keys declared by a list of objects under `keyField`, with duplicates reported. */
function declaredKeys(items: unknown, keyField: string, at: string, problems: SpecProblem[]): Set<string> {
  const keys = new Set<string>();
  list(items).forEach((item, i) => {
    if (!isObject(item) || typeof item[keyField] !== 'string') return;
    const k = item[keyField];
    if (keys.has(k)) problems.push({ path: `${at}[${i}].${keyField}`, message: `duplicate ${keyField} "${k}"` });
    keys.add(k);
  });
  return keys;
}

export function runtimeProblems(input: Raw): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const environments = declaredKeys(input.environments, 'environment_key', 'environments', problems);
  const variableSets = declaredKeys(
    input.environment_variables,
    'environment_variables_key',
    'environment_variables',
    problems
  );
  list(input.environment_variables).forEach((v, i) => {
    const vars = isObject(v) && isObject(v.spec) && isObject(v.spec.variables) ? v.spec.variables : {};
    for (const name of Object.keys(vars))
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,255}$/.test(name))
        problems.push({
          path: `environment_variables[${i}].spec.variables.${name}`,
          message: `expected a variable name matching ^[A-Za-z_][A-Za-z0-9_]*$ (at most 256 characters), found "${name}"`,
        });
  });
  list(input.environments).forEach((e, i) => {
    if (isObject(e) && isObject(e.spec)) problems.push(...environmentSpecProblems(e.spec, `environments[${i}].spec`));
  });
  problems.push(...gitSourceProblems(input.git_source));
  const hasGit = input.git_source !== undefined;
  for (const { task, at } of tasksWithPaths(input)) {
    const key = task.environment_key;
    if (typeof key === 'string' && !environments.has(key))
      problems.push({
        path: `${at}.environment_key`,
        message: `expected an environment_key declared in environments, found "${key}"`,
      });
    const vars = task.environment_variables_key;
    if (typeof vars === 'string' && !variableSets.has(vars))
      problems.push({
        path: `${at}.environment_variables_key`,
        message: `expected an environment_variables_key declared in environment_variables, found "${vars}"`,
      });
    problems.push(...libraryProblems(task, at));
    const python = PYTHON_TASK_TYPES.some((ty) => task[ty] !== undefined);
    if (!python && task.for_each_task === undefined)
      for (const f of ['libraries', 'environment_key'] as const)
        if (task[f] !== undefined)
          problems.push({
            path: `${at}.${f}`,
            message: `${f} applies to tasks that run Python (${PYTHON_TASK_TYPES.join(', ')}), not to this task's type`,
          });
    for (const path of SOURCED) {
      const holder = path.slice(0, -1).reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), task);
      if (isObject(holder) && holder.source === 'GIT' && !hasGit)
        problems.push({
          path: `${at}.${path.join('.')}`,
          message: 'source GIT needs the job to define git_source, found none',
        });
    }
    const wheel = task.python_wheel_task;
    if (isObject(wheel) && wheel.parameters !== undefined && wheel.named_parameters !== undefined)
      problems.push({
        path: `${at}.python_wheel_task`,
        message: 'expected parameters or named_parameters, found both',
      });
    const dbt = task.dbt_task;
    if (isObject(dbt) && dbt.warehouse_id !== undefined && dbt.profiles_directory !== undefined)
      problems.push({
        path: `${at}.dbt_task.profiles_directory`,
        message: 'profiles_directory can only be given without warehouse_id (a warehouse gets a generated profile)',
      });
  }
  return problems;
}

function environmentSpecProblems(spec: Raw, at: string): SpecProblem[] {
  // java_dependencies, base_environment and project_environment are refused by field-classes.ts.
  const problems: SpecProblem[] = [];
  if (
    typeof spec.client === 'string' &&
    typeof spec.environment_version === 'string' &&
    spec.client !== spec.environment_version
  )
    problems.push({
      path: `${at}.client`,
      message: `expected client (the older name of environment_version) to equal environment_version "${spec.environment_version}", found "${spec.client}"`,
    });
  return problems;
}

function gitSourceProblems(git: unknown): SpecProblem[] {
  if (!isObject(git)) return [];
  const problems: SpecProblem[] = [];
  const refs = ['git_branch', 'git_tag', 'git_commit'].filter((k) => git[k] !== undefined);
  if (refs.length !== 1)
    problems.push({
      path: 'git_source',
      message: `expected exactly one of git_branch, git_tag, git_commit, found ${refs.length === 0 ? 'none' : refs.join(' and ')}`,
    });
  return problems;
}

function libraryProblems(task: Raw, at: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const libraries = list(task.libraries);
  if (libraries.length > 0 && task.environment_key !== undefined)
    problems.push({
      path: `${at}.libraries`,
      message:
        'a task with an environment_key takes its packages from the environment: list them in its spec.dependencies',
    });
  libraries.forEach((lib, j) => {
    if (!isObject(lib)) return;
    const path = `${at}.libraries[${j}]`;
    const kinds = Object.keys(lib);
    if (kinds.length !== 1)
      problems.push({
        path,
        message: `expected exactly one of pypi, whl, requirements, jar, maven, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      });
    // egg and cran are refused by field-classes.ts.
    for (const spark of ['jar', 'maven'] as const)
      if (lib[spark] !== undefined && !runsOnCluster(task))
        problems.push({
          path: `${path}.${spark}`,
          message: `${spark} libraries are loaded by Spark: only a task on a cluster (job_cluster_key, existing_cluster_id, new_cluster) can have them`,
        });
  });
  return problems;
}
