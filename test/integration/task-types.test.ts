// Every task type and notebook kind through the whole engine: parameters as widgets, argv and env;
// dbutils task values flowing downstream; notebook.exit; SQL on the DuckDB warehouse; logs.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../client';
import { loadJobSpecFile } from '../../client';
import { resultsByKey, useEngine } from './harness';

describe('task types', () => {
  const engine = useEngine('task types');
  let run: Run;
  let dir: string;
  beforeAll(async () => {
    dir = path.join(engine.workDir, 'ws');
    const w = (name: string, content: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    };
    w(
      'producer.py',
      [
        '# Databricks notebook source',
        'import os',
        'dbutils.widgets.text("greeting", "hi")',
        'print("widget", dbutils.widgets.get("greeting"), "env", dbutils.widgets.get("env"))',
        'print("cwd", os.getcwd())',
        '# COMMAND ----------',
        'dbutils.jobs.taskValues.set("count", 42)',
        'dbutils.jobs.taskValues.set("meta", {"source": "producer"})',
        'dbutils.notebook.exit("produced")',
        'print("never printed")',
      ].join('\n')
    );
    w(
      'consumer.ipynb',
      JSON.stringify({
        cells: [
          { cell_type: 'markdown', source: ['# consumer'] },
          { cell_type: 'code', source: ['n = dbutils.jobs.taskValues.get("producer", "count", default=0)\n'] },
          { cell_type: 'code', source: '%md\nnot code' },
          {
            cell_type: 'code',
            source: ['assert n == 42, n\n', 'print("consumed", n)\n', 'dbutils.jobs.taskValues.set("doubled", n * 2)'],
          },
        ],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5,
      })
    );
    w(
      'node_task.js',
      'const v = dbutils.jobs.taskValues.get("consumer", "doubled", 0);\nconsole.log("node sees", v, dbutils.widgets.get("env"));\ndbutils.jobs.taskValues.set("from_node", v + 1);\n'
    );
    w(
      'ts_task.ts',
      'const n: number = dbutils.jobs.taskValues.get("node", "from_node", 0);\nconsole.log(`typescript sees ${n}`);\n'
    );
    w('script.sh', 'echo "shell params: $DJOBS_PARAMS"; test "$1" = "" \n');
    w(
      'argv.py',
      'import sys\nprint("argv", sys.argv[1:])\nassert sys.argv[1:] == ["--date", "2026-11-24"], sys.argv\n'
    );
    w(
      'sql/load.sql',
      "CREATE OR REPLACE TABLE nums AS SELECT * FROM read_csv('data.csv');\nSELECT sum(n) AS total, getvariable('env') AS env, '{{env}}' AS legacy FROM nums;\n"
    );
    w('sql/data.csv', 'n\n1\n2\n3\n');
    w('fails.py', 'def f():\n    return 1 / 0\nf()\n');
    w(
      'job.yaml',
      [
        'name: all task types',
        'parameters: [{ name: env, default: test }]',
        'tasks:',
        '  - task_key: producer',
        '    notebook_task: { notebook_path: producer, base_parameters: { greeting: hello, env: overridden } }',
        '  - task_key: consumer',
        '    depends_on: [{ task_key: producer }]',
        '    notebook_task: { notebook_path: ./consumer }',
        '  - task_key: node',
        '    depends_on: [{ task_key: consumer }]',
        '    notebook_task: { notebook_path: node_task }',
        '  - task_key: ts',
        '    depends_on: [{ task_key: node }]',
        '    notebook_task: { notebook_path: ts_task }',
        '  - task_key: sh',
        '    notebook_task: { notebook_path: script }',
        '  - task_key: argv',
        '    spark_python_task: { python_file: argv.py, parameters: ["--date", "2026-11-24"] }',
        '  - task_key: sql_file',
        '    sql_task: { file: { path: sql/load.sql } }',
        '  - task_key: sql_inline',
        '    depends_on: [{ task_key: sql_file }]',
        '    sql_task: { query: { query_text: "SELECT count(*) AS n FROM nums" } }',
        '  - task_key: fails',
        '    spark_python_task: { python_file: fails.py }',
        '  - task_key: cleanup',
        '    depends_on: [{ task_key: fails }]',
        '    run_if: ALL_DONE',
        '    shell_command_task: { command: ["echo", "cleanup ran"] }',
      ].join('\n')
    );
    const { settings } = await loadJobSpecFile(path.join(dir, 'job.yaml'));
    const { run_id } = await engine.client.submitRun(settings);
    run = await engine.client.waitForRun(run_id, { timeoutMs: 120_000 });
  });

  const output = (key: string) => engine.client.getRunOutput(run.run_id, key);

  it('every task reached the expected state', () => {
    expect(resultsByKey(run)).toEqual({
      producer: 'SUCCESS',
      consumer: 'SUCCESS',
      node: 'SUCCESS',
      ts: 'SUCCESS',
      sh: 'SUCCESS',
      argv: 'SUCCESS',
      sql_file: 'SUCCESS',
      sql_inline: 'SUCCESS',
      fails: 'FAILED',
      cleanup: 'SUCCESS',
    });
    expect(run.state.result_state).toBe('SUCCESS_WITH_FAILURES');
  });

  it('Python notebook: widgets (job parameters win over base_parameters), working directory, notebook.exit', async () => {
    const out = await output('producer');
    expect(out.logs).toContain('widget hello env test');
    expect(out.logs).toContain(`cwd ${dir}`);
    expect(out.logs).not.toContain('never printed');
    expect(out.notebook_output).toEqual({ result: 'produced', truncated: false });
    const state = await engine.client.getRunState(run.run_id);
    expect(state.tasks.producer!.taskValues).toEqual({ count: 42, meta: { source: 'producer' } });
  });

  it('task values flow through ipynb, JavaScript and TypeScript tasks', async () => {
    expect((await output('consumer')).logs).toContain('consumed 42');
    expect((await output('node')).logs).toContain('node sees 84 test');
    expect((await output('ts')).logs).toContain('typescript sees 85');
  });

  it('shell notebooks see parameters in DJOBS_PARAMS; spark_python_task gets argv', async () => {
    expect((await output('sh')).logs).toContain('shell params: {"env":"test"}');
    expect((await output('argv')).logs).toContain("argv ['--date', '2026-11-24']");
  });

  it('SQL runs on the DuckDB warehouse with relative paths and parameters', async () => {
    const logs = (await output('sql_file')).logs ?? '';
    expect(logs).toMatch(/total\s*\|\s*env\s*\|\s*legacy/);
    expect(logs).toMatch(/6\s*\|\s*test\s*\|\s*test/);
    expect((await output('sql_inline')).logs).toMatch(/n\s*\n[-+]+\s*\n3/);
  });

  it('a Python failure reports the exception line, and its full log', async () => {
    const out = await output('fails');
    expect(out.error).toBe('ZeroDivisionError: division by zero');
    expect(out.logs).toContain('Traceback (most recent call last):');
    expect(fs.readFileSync(out.log_path!, 'utf8')).toBe(out.logs);
  });

  it('a task value over 48 KiB fails its task with a clear error', async () => {
    const big = `python3 -c 'import json,os; open(os.environ["DJOBS_TASK_VALUES_OUT"],"a").write(json.dumps({"key":"blob","value":"x"*50000})+"\\n")'`;
    const { run_id } = await engine.client.submitRun({
      name: 'big value',
      tasks: [{ task_key: 'big', shell_command_task: { command: big } }],
    });
    const r = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(r.state.result_state).toBe('FAILED');
    expect((await engine.client.getRunOutput(run_id, 'big')).error).toBe(
      'Task value "blob" is 50002 bytes of JSON; the limit is 49152 bytes (48 KiB).'
    );
  });
});
