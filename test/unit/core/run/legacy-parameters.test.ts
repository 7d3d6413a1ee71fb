import { describe, expect, it } from 'vitest';
import { applyLegacyTaskParameters, readLegacyTaskParameters, type JobSettings } from '../../../../core';

const settings: JobSettings = {
  name: 'legacy',
  tasks: [
    { task_key: 'nb', notebook_task: { notebook_path: 'nb', base_parameters: { a: '1', b: '2' } } },
    { task_key: 'py', spark_python_task: { python_file: 'main.py', parameters: ['old'] } },
    { task_key: 'sql', sql_task: { query: { query_text: 'select 1' }, parameters: { day: 'mon' } } },
    { task_key: 'sh', shell_command_task: { command: 'true' } },
  ],
};
const apply = (p: Parameters<typeof applyLegacyTaskParameters>[1], s = settings, jobParametersGiven = false) =>
  applyLegacyTaskParameters(s, p, { jobId: 7, jobParametersGiven });

describe('legacy run-now task parameters', () => {
  it('merge maps into the tasks of their type (the run wins) and replace lists', () => {
    const { settings: applied, problems } = apply({
      notebook_params: { b: 'run', c: '3' },
      python_params: ['x', 'y'],
      sql_params: { day: 'tue' },
    });
    expect(problems).toEqual([]);
    expect(applied.tasks).toEqual([
      { task_key: 'nb', notebook_task: { notebook_path: 'nb', base_parameters: { a: '1', b: 'run', c: '3' } } },
      { task_key: 'py', spark_python_task: { python_file: 'main.py', parameters: ['x', 'y'] } },
      { task_key: 'sql', sql_task: { query: { query_text: 'select 1' }, parameters: { day: 'tue' } } },
      { task_key: 'sh', shell_command_task: { command: 'true' } },
    ]);
    expect(settings.tasks[0]!.notebook_task!.base_parameters).toEqual({ a: '1', b: '2' }); // not mutated
  });

  it('leave the settings alone when none is given', () => {
    expect(apply({})).toEqual({ settings, problems: [] });
  });

  it('refuse, every problem at once, what cannot apply', () => {
    expect(apply({ jar_params: ['a'], notebook_params: { x: '1' }, spark_submit_params: ['--v'] }).problems).toEqual([
      'jar_params and notebook_params cannot be combined.',
      'jar_params: job 7 has no spark_jar_task to apply them to.',
      'spark_submit_params: job 7 has no spark_submit_task to apply them to.',
    ]);
    expect(apply({ python_named_params: { a: '1' } }, settings, true).problems).toEqual([
      'job_parameters cannot be combined with task parameters (python_named_params).',
      'python_named_params: job 7 has no python_wheel_task to apply them to.',
    ]);
    const withJobParameters = {
      ...settings,
      parameters: [
        { name: 'env', default: 'dev' },
        { name: 'day', default: 'mon' },
      ],
    };
    expect(apply({ python_params: ['x'] }, withJobParameters).problems).toEqual([
      'Task parameters (python_params) cannot be used: job 7 defines job parameters (env, day); pass job_parameters instead.',
    ]);
  });

  it('are read from a request with every shape problem and its field', () => {
    expect(
      readLegacyTaskParameters({
        python_params: ['a', 1, true],
        notebook_params: { n: 2 },
        sql_params: ['no'],
        jar_params: [{}],
        spark_submit_params: ['ünï'],
        python_named_params: null,
        job_id: 1,
      })
    ).toEqual({
      parameters: {
        python_params: ['a', '1', 'true'],
        notebook_params: { n: '2' },
        spark_submit_params: ['ünï'],
      },
      problems: [
        'jar_params: expected an array of strings, found [{}]',
        'spark_submit_params: only ASCII characters are allowed',
        'sql_params: expected an object of strings, found ["no"]',
      ],
    });
    expect(readLegacyTaskParameters({ python_params: ['x'.repeat(10_001)] }).problems).toEqual([
      'python_params: must be at most 10000 bytes of JSON',
    ]);
  });
});
