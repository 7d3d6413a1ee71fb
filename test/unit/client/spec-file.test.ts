import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadJobSpecFile, resolveJobSpec, SpecValidationError } from '../../../client';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-spec-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string) => {
  const f = path.join(dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  return f;
};

async function problemsOf(file: string) {
  try {
    await loadJobSpecFile(file);
  } catch (err) {
    if (err instanceof SpecValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadJobSpecFile', () => {
  it('reads JSON and resolves notebook paths next to the file, discovering the extension', async () => {
    write('nb/ingest.py', 'print(1)');
    write('q.sql', 'select 1');
    const f = write(
      'job.json',
      JSON.stringify({
        tasks: [
          { task_key: 'a', notebook_task: { notebook_path: './nb/ingest' } },
          { task_key: 'b', sql_task: { file: { path: 'q.sql' } } },
        ],
      })
    );
    const { settings } = await loadJobSpecFile(f);
    expect(settings.tasks[0]!.notebook_task!.notebook_path).toBe(path.join(dir, 'nb', 'ingest.py'));
    expect(settings.tasks[1]!.sql_task!.file!.path).toBe(path.join(dir, 'q.sql'));
  });

  it('reads YAML', async () => {
    write('run.sh', 'echo hi');
    const f = write('job.yaml', 'name: y\ntasks:\n  - task_key: a\n    notebook_task:\n      notebook_path: run\n');
    const { settings } = await loadJobSpecFile(f);
    expect(settings.name).toBe('y');
    expect(settings.tasks[0]!.notebook_task!.notebook_path).toBe(path.join(dir, 'run.sh'));
  });

  it('reports a missing notebook with the extensions it tried', async () => {
    const f = write(
      'job.json',
      JSON.stringify({ tasks: [{ task_key: 'a', notebook_task: { notebook_path: './missing' } }] })
    );
    expect(await problemsOf(f)).toEqual([
      {
        path: 'tasks[0].notebook_task.notebook_path',
        message: `expected a file at ${path.join(dir, 'missing')} (tried .py, .sql, .ipynb, .js, .mjs, .ts, .sh), found none`,
      },
    ]);
  });

  it('reports an ambiguous notebook path', async () => {
    write('x.py', '');
    write('x.sql', '');
    const f = write('job.json', JSON.stringify({ tasks: [{ task_key: 'a', notebook_task: { notebook_path: 'x' } }] }));
    expect(await problemsOf(f)).toEqual([
      {
        path: 'tasks[0].notebook_task.notebook_path',
        message: `ambiguous notebook path: x.py and x.sql both exist next to ${path.join(dir, 'x')}`,
      },
    ]);
  });

  it('reports file problems together with schema problems', async () => {
    const f = write(
      'job.json',
      JSON.stringify({ tasks: [{ task_key: 'a', notebook_task: { notebook_path: 'nope' }, run_if: 'NEVER' }] })
    );
    expect((await problemsOf(f)).map((p) => p.path)).toEqual([
      'tasks[0].run_if',
      'tasks[0].notebook_task.notebook_path',
    ]);
  });

  it('reports JSON and YAML syntax errors', async () => {
    const j = write('bad.json', '{"tasks": [');
    expect((await problemsOf(j))[0]!.message).toMatch(/^invalid JSON: /);
    const y = write('bad.yaml', 'tasks:\n  - task_key: a\n   bad: [');
    expect((await problemsOf(y))[0]!.message).toMatch(/^invalid YAML at line \d+, column \d+: /);
  });

  // Every place a spec names a file resolves against the spec's directory, by one function.
  const pathPlaces = [
    {
      where: 'notebook_task.notebook_path',
      file: 'nb/echo.py',
      given: './nb/echo',
      type: { notebook_task: { notebook_path: './nb/echo' } },
    },
    {
      where: 'spark_python_task.python_file',
      file: 'py/main.py',
      given: 'py/main.py',
      type: { spark_python_task: { python_file: 'py/main.py' } },
    },
    {
      where: 'sql_task.file.path',
      file: 'sql/q.sql',
      given: './sql/q.sql',
      type: { sql_task: { file: { path: './sql/q.sql' } } },
    },
  ];
  const at = (task: unknown, keys: string[]) =>
    keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], task) as string;

  it.each(pathPlaces)('resolves $where in a top-level task and in a for_each_task nested task', async (place) => {
    write(place.file, '');
    const f = write(
      'spec/../job.json',
      JSON.stringify({
        tasks: [
          { task_key: 'top', ...place.type },
          { task_key: 'loop', for_each_task: { inputs: '[1,2]', task: { task_key: 'it', ...place.type } } },
        ],
      })
    );
    const { settings } = await loadJobSpecFile(f);
    const keys = place.where.split('.');
    expect(at(settings.tasks[0], keys)).toBe(path.join(dir, place.file));
    expect(at(settings.tasks[1]!.for_each_task!.task, keys)).toBe(path.join(dir, place.file));
  });

  it.each(pathPlaces)('reports a missing $where in a nested task with its JSON path', async (place) => {
    const f = write(
      'job.json',
      JSON.stringify({
        tasks: [{ task_key: 'loop', for_each_task: { inputs: '[1]', task: { task_key: 'it', ...place.type } } }],
      })
    );
    const problems = await problemsOf(f);
    expect(problems.map((p) => p.path)).toEqual([`tasks[0].for_each_task.task.${place.where}`]);
    expect(problems[0]!.message).toMatch(
      new RegExp(`^expected a file at ${path.join(dir, place.given).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
    );
  });

  it('resolves a relative file-arrival location against the spec directory, and leaves URLs alone', async () => {
    const local = write(
      'local.json',
      JSON.stringify({
        trigger: { file_arrival: { url: './inbox/' } },
        tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }],
      })
    );
    expect((await loadJobSpecFile(local)).settings.trigger!.file_arrival!.url).toBe(path.join(dir, 'inbox'));
    const s3 = write(
      's3.json',
      JSON.stringify({
        trigger: { file_arrival: { url: 's3://bucket/p/' } },
        tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }],
      })
    );
    expect((await loadJobSpecFile(s3)).settings.trigger!.file_arrival!.url).toBe('s3://bucket/p/');
  });

  it('lets an author without local files name what tasks install and read only under the code roots', async () => {
    const code = path.join(dir, 'code');
    write('code/main.py', 'print(1)');
    const settings = (libraries: unknown[], dependencies: string[], files: string[], project: string) => ({
      environments: [{ environment_key: 'default', spec: { environment_version: '2', dependencies } }],
      environment_variables: [{ environment_variables_key: 'vars', spec: { files } }],
      tasks: [
        {
          task_key: 'a',
          spark_python_task: { python_file: path.join(code, 'main.py') },
          environment_key: 'default',
          environment_variables_key: 'vars',
        },
        { task_key: 'b', spark_python_task: { python_file: path.join(code, 'main.py') }, libraries },
        { task_key: 'd', dbt_task: { commands: ['dbt run'], project_directory: project } },
      ],
    });
    const rights = { localFiles: false, codeRoots: [code] };
    const problemsOf = async (raw: unknown) => {
      try {
        await resolveJobSpec(raw, dir, rights);
        return [];
      } catch (err) {
        if (err instanceof SpecValidationError) return err.problems.map((p) => p.path);
        throw err;
      }
    };
    expect(
      await problemsOf(
        settings(
          [{ whl: '/etc/x.whl' }, { requirements: 'reqs.txt' }, { pypi: { package: 'six' } }],
          ['six==1.16.0', '-r /etc/reqs.txt', 'pkg @ file:///srv/pkg', 'https://example.com/x.whl'],
          ['/etc/environment'],
          '/srv/project'
        )
      )
    ).toEqual([
      'tasks[1].libraries[0].whl',
      'tasks[1].libraries[1].requirements',
      'tasks[2].dbt_task.project_directory',
      'environments[0].spec.dependencies[1]',
      'environments[0].spec.dependencies[2]',
      'environment_variables[0].spec.files[0]',
    ]);
    expect(
      await problemsOf(
        settings(
          [{ whl: path.join(code, 'x.whl') }, { requirements: 'code/reqs.txt' }],
          ['six==1.16.0', `-r ${path.join(code, 'reqs.txt')}`, './code/dist/pkg.whl'],
          ['code/.env'],
          'code/project'
        )
      )
    ).toEqual([]);
  });
});
