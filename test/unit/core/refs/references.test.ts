import { describe, expect, it } from 'vitest';
import { resolveReferences, resolveTask, validateJobSettings, type ReferenceContext } from '../../../../core';

// 2026-11-24T13:05:09.123Z is a Tuesday.
const start = Date.UTC(2026, 10, 24, 13, 5, 9, 123);
const trigger = Date.UTC(2026, 10, 22, 6, 0, 0); // a Sunday
const ctx: ReferenceContext = {
  job: {
    id: 42,
    name: 'ETL',
    runId: 777,
    repairCount: 1,
    startTime: start,
    triggerType: 'PERIODIC',
    triggerTime: trigger,
    parameters: { env: 'prod', 'my-param': 'x' },
  },
  task: { name: 'load', runId: 777 * 2 ** 17 + 3, executionCount: 2, notebookPath: '/w/load.py' },
  tasks: {
    ingest: {
      runId: 101,
      resultState: 'success',
      executionCount: 1,
      notebookPath: '/w/ingest.py',
      values: { rows: 10, meta: { a: 1 }, name: 'n' },
    },
    bad: { runId: 102, resultState: 'failed', errorCode: 'FAILED', executionCount: 3, values: {} },
  },
};

describe('resolveReferences: every dynamic value reference', () => {
  const cases: [string, string][] = [
    ['{{job.id}}', '42'],
    ['{{job.name}}', 'ETL'],
    ['{{job.run_id}}', '777'],
    ['{{job.repair_count}}', '1'],
    ['{{job.start_time.iso_date}}', '2026-11-24'],
    ['{{job.start_time.iso_datetime}}', '2026-11-24T13:05:09+00:00'],
    ['{{job.start_time.timestamp_ms}}', String(start)],
    ['{{job.start_time.year}}-{{job.start_time.month}}-{{job.start_time.day}}', '2026-11-24'],
    ['{{job.start_time.hour}}:{{job.start_time.minute}}:{{job.start_time.second}}', '13:5:9'],
    ['{{job.start_time.iso_weekday}} {{job.start_time.is_weekday}} {{job.start_time.is_business_day}}', '2 true true'],
    ['{{job.trigger.type}}', 'periodic'],
    [
      '{{job.trigger.time.iso_date}} {{job.trigger.time.is_weekday}} {{job.trigger.time.iso_weekday}}',
      '2026-11-22 false 7',
    ],
    ['{{job.parameters.env}}', 'prod'],
    ['{{job.parameters.`my-param`}}', 'x'],
    ['{{task.name}}', 'load'],
    ['{{task.run_id}}', String(777 * 2 ** 17 + 3)],
    ['{{task.execution_count}}', '2'],
    ['{{task.notebook_path}}', '/w/load.py'],
    ['{{tasks.ingest.run_id}}', '101'],
    ['{{tasks.bad.result_state}}', 'failed'],
    ['{{tasks.bad.error_code}}', 'FAILED'],
    ['{{tasks.ingest.error_code}}', ''],
    ['{{tasks.bad.execution_count}}', '3'],
    ['{{tasks.ingest.notebook_path}}', '/w/ingest.py'],
    ['{{tasks.ingest.values.rows}}', '10'],
    ['{{tasks.ingest.values.meta}}', '{"a":1}'],
    ['{{ tasks.ingest.values.name }}', 'n'],
    ['{{job_id}} {{parent_run_id}} {{start_date}} {{task_key}} {{task_retry_count}}', '42 777 2026-11-24 load 1'],
    ['no references', 'no references'],
    ['{{unknown.namespace}} and {{ malformed', '{{unknown.namespace}} and {{ malformed'],
  ];
  for (const [text, expected] of cases)
    it(text, () => expect(resolveReferences(text, ctx)).toEqual({ ok: true, value: expected }));

  it('{{job.trigger.model.updates}}: the updates of a model-trigger run as JSON, [] otherwise', () => {
    const updates = [
      { full_name: 'churn', version: 3 },
      { full_name: 'm', version: 2, alias_name: 'prod' },
    ];
    expect(
      resolveReferences('{{job.trigger.model.updates}}', { ...ctx, job: { ...ctx.job, modelUpdates: updates } })
    ).toEqual({ ok: true, value: JSON.stringify(updates) });
    expect(resolveReferences('{{job.trigger.model.updates}}', ctx)).toEqual({ ok: true, value: '[]' });
  });

  it('a value that was never set is an error naming the reference', () => {
    expect(resolveReferences('{{tasks.ingest.values.nope}}', ctx)).toEqual({
      ok: false,
      error: 'reference {{tasks.ingest.values.nope}}: task "ingest" set no value "nope"',
    });
    expect(resolveReferences('{{tasks.later.run_id}}', ctx)).toEqual({
      ok: false,
      error: 'reference {{tasks.later.run_id}}: task "later" has not run yet in this run',
    });
  });

  it('resolves every parameter field of a task, leaving the original untouched', () => {
    const task = {
      task_key: 't',
      notebook_task: { notebook_path: '/n', base_parameters: { d: '{{job.start_time.iso_date}}' } },
    };
    expect(resolveTask(task, ctx)).toEqual({
      ok: true,
      task: { task_key: 't', notebook_task: { notebook_path: '/n', base_parameters: { d: '2026-11-24' } } },
    });
    expect(task.notebook_task.base_parameters.d).toBe('{{job.start_time.iso_date}}');
    const cond = resolveTask(
      { task_key: 'c', condition_task: { op: 'GREATER_THAN', left: '{{tasks.ingest.values.rows}}', right: '5' } },
      ctx
    );
    expect(cond.ok && cond.task.condition_task.left).toBe('10');
  });
});

describe('validation of references', () => {
  const base = (extra: object) => ({
    parameters: [{ name: 'env', default: 'dev' }],
    tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }, extra],
  });
  const problems = (command: string) => {
    const r = validateJobSettings(
      base({ task_key: 'b', depends_on: [{ task_key: 'a' }], shell_command_task: { command } })
    );
    return r.ok ? [] : r.errors;
  };
  it('accepts known references', () => {
    expect(
      problems('echo {{job.run_id}} {{tasks.a.values.x}} {{job.parameters.env}} {{job.start_time.iso_date}}')
    ).toEqual([]);
    expect(problems('echo {{job.trigger.model.updates}}')).toEqual([]);
  });
  it('reports an unknown name in a known namespace, an undefined parameter and an unknown task before the run starts', () => {
    expect(problems('echo {{job.naem}}')).toEqual([
      { path: 'tasks[1].shell_command_task.command', message: 'unknown reference {{job.naem}}' },
    ]);
    expect(problems('echo {{job.parameters.nope}}')).toEqual([
      {
        path: 'tasks[1].shell_command_task.command',
        message: 'reference {{job.parameters.nope}} names job parameter "nope", which the job does not define',
      },
    ]);
    expect(problems('echo {{tasks.zz.values.x}}')).toEqual([
      {
        path: 'tasks[1].shell_command_task.command',
        message: 'reference {{tasks.zz.values.x}} names task "zz", which is not in this job',
      },
    ]);
    expect(problems('echo {{job.start_time.fortnight}}')).toEqual([
      {
        path: 'tasks[1].shell_command_task.command',
        message:
          'unknown reference {{job.start_time.fortnight}}: expected {{job.start_time.<iso_weekday|is_weekday|is_business_day|iso_date|iso_datetime|year|month|day|hour|minute|second|timestamp_ms>}}',
      },
    ]);
  });
});
