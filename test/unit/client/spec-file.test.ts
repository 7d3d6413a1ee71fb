import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadJobSpecFile, SpecValidationError } from '../../../client';

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
});
