import { describe, expect, it } from 'vitest';
import {
  DBT_REQUIREMENTS,
  applyLegacyTaskParameters,
  attemptRuntime,
  isGitSourced,
  taskRuntimeOf,
  type JobSettings,
  type Task,
} from '../../../../core';

const job = (extra: Partial<JobSettings>, ...tasks: Task[]): JobSettings => ({ tasks, ...extra });

describe('what a task runs with', () => {
  it('a task with nothing of its own needs nothing of its activity', () => {
    const t: Task = { task_key: 'a', spark_python_task: { python_file: '/x.py' } };
    expect(attemptRuntime({ settings: job({}, t) }, t)).toEqual({});
  });

  it("an environment_key's dependencies and version; libraries as requirement lines", () => {
    const env: Task = { task_key: 'a', environment_key: 'e', spark_python_task: { python_file: '/x.py' } };
    const libs: Task = {
      task_key: 'b',
      spark_python_task: { python_file: '/x.py' },
      libraries: [
        { pypi: { package: 'six==1.16.0', repo: 'https://idx/simple' } },
        { whl: '/w.whl' },
        { requirements: '/r.txt' },
      ],
    };
    const settings = job(
      { environments: [{ environment_key: 'e', spec: { client: '1', dependencies: ['a==1'] } }] },
      env,
      libs
    );
    expect(taskRuntimeOf(settings, env).environment).toEqual({
      environmentKey: 'e',
      version: '1',
      requirements: ['a==1'],
    });
    expect(taskRuntimeOf(settings, libs).environment).toEqual({
      requirements: ['--extra-index-url https://idx/simple', 'six==1.16.0', '/w.whl', '-r /r.txt'],
    });
  });

  it('a dbt task gets dbt with the DuckDB adapter unless its environment names an adapter', () => {
    const dbt: Task = { task_key: 'd', dbt_task: { commands: ['dbt run'], project_directory: '/p' } };
    expect(taskRuntimeOf(job({}, dbt), dbt).environment).toEqual({ requirements: [...DBT_REQUIREMENTS] });
    const own: Task = { ...dbt, environment_key: 'e' };
    const settings = job(
      { environments: [{ environment_key: 'e', spec: { dependencies: ['dbt-postgres==1.9.0'] } }] },
      own
    );
    expect(taskRuntimeOf(settings, own).environment?.requirements).toEqual(['dbt-postgres==1.9.0']);
  });

  it("variables: the cluster's spark_env_vars, the selected environment_variables, and Spark's libraries and conf", () => {
    const t: Task = {
      task_key: 'a',
      job_cluster_key: 'c',
      environment_variables_key: 'v',
      spark_python_task: { python_file: '/x.py' },
      libraries: [{ jar: '/l.jar' }, { maven: { coordinates: 'g:a:1', repo: 'https://m', exclusions: ['g:x'] } }],
    };
    const settings = job(
      {
        job_clusters: [
          {
            job_cluster_key: 'c',
            new_cluster: { spark_env_vars: { MY_VAR: 'cluster', OTHER: 'o' }, spark_conf: { 'spark.x': '1' } },
          },
        ],
        environment_variables: [
          { environment_variables_key: 'v', spec: { variables: { MY_VAR: 'task' }, files: ['/a.env'] } },
        ],
      },
      t
    );
    expect(taskRuntimeOf(settings, t)).toEqual({
      clusterVariables: { MY_VAR: 'cluster', OTHER: 'o' },
      variables: { MY_VAR: 'task' },
      variableFiles: ['/a.env'],
      sparkConf: { 'spark.x': '1' },
      sparkLibraries: { jars: ['/l.jar'], packages: ['g:a:1'], repositories: ['https://m'], exclusions: ['g:x'] },
      fromGit: false,
    });
  });

  it('Git: notebooks, SQL files and dbt projects by default when the job has git_source, spark_python_task only when it says so', () => {
    const nb: Task = { task_key: 'n', notebook_task: { notebook_path: 'nb' } };
    const py: Task = { task_key: 'p', spark_python_task: { python_file: 'x.py' } };
    expect([isGitSourced(true, nb), isGitSourced(false, nb), isGitSourced(true, py)]).toEqual([true, false, false]);
    expect(isGitSourced(true, { ...py, spark_python_task: { python_file: 'x.py', source: 'GIT' } })).toBe(true);
    expect(isGitSourced(true, { ...nb, notebook_task: { notebook_path: 'nb', source: 'WORKSPACE' } })).toBe(false);
    const settings = job({ git_source: { git_url: 'file:///r.git', git_provider: 'gitHub', git_branch: 'main' } }, nb);
    expect(attemptRuntime({ settings, git_snapshot: { used_commit: 'abc' } }, nb).git).toEqual({
      url: 'file:///r.git',
      commit: 'abc',
    });
    expect(attemptRuntime({ settings, git_error: 'no branch main' }, nb).git).toEqual({ error: 'no branch main' });
  });

  it("run-now's dbt_commands replace a dbt task's commands; python_named_params merge into a wheel task's", () => {
    const settings = job(
      {},
      { task_key: 'd', dbt_task: { commands: ['dbt run'], project_directory: '/p' } },
      {
        task_key: 'w',
        python_wheel_task: { package_name: 'p', entry_point: 'm', named_parameters: { a: '1', b: '2' } },
      }
    );
    const applied = applyLegacyTaskParameters(
      settings,
      { dbt_commands: ['dbt seed', 'dbt test'], python_named_params: { b: '3' } },
      { jobId: 1, jobParametersGiven: false }
    );
    expect(applied.problems).toEqual([]);
    expect(applied.settings.tasks[0]!.dbt_task!.commands).toEqual(['dbt seed', 'dbt test']);
    expect(applied.settings.tasks[1]!.python_wheel_task!.named_parameters).toEqual({ a: '1', b: '3' });
  });
});
