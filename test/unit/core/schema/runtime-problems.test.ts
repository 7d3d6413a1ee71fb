import { describe, expect, it } from 'vitest';
import { validateJobSettings, type SpecProblem } from '../../../../core';

const py = (task_key: string, extra: Record<string, unknown> = {}) => ({
  task_key,
  spark_python_task: { python_file: 'main.py' },
  ...extra,
});
const errorsOf = (input: unknown): SpecProblem[] => {
  const r = validateJobSettings(input);
  return r.ok ? [] : r.errors;
};

describe('what a task runs with: environments, libraries, variables, Git', () => {
  it('accepts an environment, libraries and environment variables that tasks name', () => {
    const r = validateJobSettings({
      environments: [{ environment_key: 'default', spec: { environment_version: '2', dependencies: ['six==1.16.0'] } }],
      environment_variables: [
        { environment_variables_key: 'vars', spec: { variables: { MY_VAR: 'x' }, files: ['a.env'] } },
      ],
      tasks: [
        py('a', { environment_key: 'default', environment_variables_key: 'vars' }),
        py('b', {
          libraries: [{ pypi: { package: 'six', repo: 'https://pypi.example/simple' } }, { whl: 'dist/x.whl' }],
        }),
        {
          task_key: 'w',
          environment_key: 'default',
          python_wheel_task: { package_name: 'pkg', entry_point: 'main', named_parameters: { a: '1' } },
        },
        { task_key: 'd', dbt_task: { commands: ['dbt seed', 'dbt run'], project_directory: 'proj' } },
      ],
    });
    expect(r.ok).toBe(true);
  });

  it('reports an unknown environment_key or environment_variables_key with its path, in nested tasks too', () => {
    expect(
      errorsOf({
        environments: [{ environment_key: 'default' }],
        tasks: [
          py('a', { environment_key: 'gpu', environment_variables_key: 'nope' }),
          {
            task_key: 'loop',
            for_each_task: { inputs: '[1]', task: py('inner', { environment_key: 'other' }) },
          },
        ],
      })
    ).toEqual([
      {
        path: 'tasks[0].environment_key',
        message: 'expected an environment_key declared in environments, found "gpu"',
      },
      {
        path: 'tasks[0].environment_variables_key',
        message: 'expected an environment_variables_key declared in environment_variables, found "nope"',
      },
      {
        path: 'tasks[1].for_each_task.task.environment_key',
        message: 'expected an environment_key declared in environments, found "other"',
      },
    ]);
  });

  it('refuses what it cannot act on, saying why', () => {
    const errors = errorsOf({
      environments: [
        {
          environment_key: 'a',
          spec: { java_dependencies: ['/x.jar'], base_environment: 'b', client: '1', environment_version: '2' },
        },
        { environment_key: 'a' },
      ],
      git_source: {
        git_url: 'file:///r.git',
        git_provider: 'gitHub',
        git_branch: 'main',
        git_tag: 'v1',
        job_source: {},
      },
      tasks: [
        py('jar', {
          libraries: [
            { jar: '/x.jar' },
            { egg: '/x.egg' },
            { cran: { package: 'x' } },
            { pypi: { package: 'x' }, whl: 'y' },
          ],
        }),
        py('spark', { job_cluster_key: 'c', libraries: [{ maven: { coordinates: 'g:a:1' } }] }),
        { task_key: 'sql', sql_task: { query: { query_text: 'select 1' } }, libraries: [{ pypi: { package: 'x' } }] },
        py('both', { environment_key: 'a', libraries: [{ pypi: { package: 'x' } }] }),
        {
          task_key: 'w',
          python_wheel_task: { package_name: 'p', entry_point: 'm', parameters: [], named_parameters: {} },
        },
        { task_key: 'd', dbt_task: { commands: ['run'], warehouse_id: 'w', profiles_directory: 'p' } },
      ],
      job_clusters: [{ job_cluster_key: 'c' }],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'tasks[5].dbt_task.commands[0]',
      'environments[1].environment_key',
      'environments[0].spec.client',
      'git_source',
      'tasks[0].libraries[0].jar',
      'tasks[0].libraries[3]',
      'tasks[2].libraries',
      'tasks[3].libraries',
      'tasks[4].python_wheel_task',
      'tasks[5].dbt_task.profiles_directory',
      'environments[0].spec.java_dependencies',
      'environments[0].spec.base_environment',
      'git_source.job_source',
      'tasks[0].libraries[1].egg',
      'tasks[0].libraries[2].cran',
    ]);
    expect(errors.find((e) => e.path === 'tasks[0].libraries[0].jar')?.message).toBe(
      'jar libraries are loaded by Spark: only a task on a cluster (job_cluster_key, existing_cluster_id, new_cluster) can have them'
    );
  });

  it('needs a git_source for source GIT', () => {
    expect(errorsOf({ tasks: [{ task_key: 'n', notebook_task: { notebook_path: 'nb', source: 'GIT' } }] })).toEqual([
      { path: 'tasks[0].notebook_task.source', message: 'source GIT needs the job to define git_source, found none' },
    ]);
  });

  it('reads variable names and the git provider as Databricks does', () => {
    expect(
      errorsOf({
        environment_variables: [{ environment_variables_key: 'v', spec: { variables: { '1BAD': 'x' } } }],
        git_source: { git_url: 'https://example.com/r.git', git_provider: 'GITHUB', git_commit: 'abc' },
        tasks: [py('a')],
      })
    ).toEqual([
      {
        path: 'environment_variables[0].spec.variables.1BAD',
        message: 'expected a variable name matching ^[A-Za-z_][A-Za-z0-9_]*$ (at most 256 characters), found "1BAD"',
      },
    ]);
  });
});
