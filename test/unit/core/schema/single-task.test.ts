import { describe, expect, it } from 'vitest';
import {
  fromSingleTaskFormat,
  singleTaskKey,
  toSingleTaskRun,
  toSingleTaskSettings,
  validateJobSettings,
} from '../../../../core';

const legacy = {
  name: 'nightly etl (v2)',
  timeout_seconds: 600,
  spark_python_task: { python_file: 'etl.py', parameters: ['--full'] },
  existing_cluster_id: 'gpu',
  libraries: [{ pypi: { package: 'requests' } }],
  max_retries: 2,
  min_retry_interval_millis: 1000,
  retry_on_timeout: true,
};

describe('Jobs API 2.0 single-task format', () => {
  it('becomes a one-task job named after the job; job-level fields stay on the job', () => {
    const converted = fromSingleTaskFormat(legacy);
    expect(converted).toEqual({
      name: 'nightly etl (v2)',
      timeout_seconds: 600,
      format: 'SINGLE_TASK',
      tasks: [
        {
          task_key: 'nightly_etl__v2_',
          spark_python_task: { python_file: 'etl.py', parameters: ['--full'] },
          existing_cluster_id: 'gpu',
          libraries: [{ pypi: { package: 'requests' } }],
          max_retries: 2,
          min_retry_interval_millis: 1000,
          retry_on_timeout: true,
        },
      ],
    });
    expect(validateJobSettings(converted).ok).toBe(true);
  });

  it('leaves multi-task settings, and settings with no task type, unchanged', () => {
    const multi = { name: 'm', tasks: [{ task_key: 't', shell_command_task: { command: 'true' } }] };
    expect(fromSingleTaskFormat(multi)).toBe(multi);
    expect(fromSingleTaskFormat({ name: 'nothing' })).toEqual({ name: 'nothing' });
    expect(fromSingleTaskFormat([legacy])).toEqual([legacy]);
  });

  it('names the task after the job, Untitled without a name, at most 100 characters', () => {
    expect(singleTaskKey('daily-report_1')).toBe('daily-report_1');
    expect(singleTaskKey(undefined)).toBe('Untitled');
    expect(singleTaskKey('  ')).toBe('Untitled');
    expect(singleTaskKey('x'.repeat(150))).toHaveLength(100);
  });

  it('shows a single-task job and its run in the 2.0 shape again, and others as they are', () => {
    const stored = fromSingleTaskFormat(legacy) as Parameters<typeof toSingleTaskSettings>[0];
    expect(toSingleTaskSettings(stored)).toEqual({ ...legacy, format: 'SINGLE_TASK' });
    const multi = { tasks: [{ task_key: 'a' }], format: 'MULTI_TASK' };
    expect(toSingleTaskSettings(multi)).toBe(multi);

    const attempt = (n: number) => ({
      task_key: 'nightly_etl__v2_',
      spark_python_task: { python_file: 'etl.py' },
      existing_cluster_id: 'gpu',
      run_id: 100 + n,
      attempt_number: n,
      setup_duration: 0,
      execution_duration: 10 * (n + 1),
      cleanup_duration: 0,
    });
    const run = {
      run_id: 9,
      format: 'SINGLE_TASK',
      state: { life_cycle_state: 'TERMINATED' },
      tasks: [attempt(0), attempt(1)],
    };
    expect(toSingleTaskRun(run)).toEqual({
      run_id: 9,
      format: 'SINGLE_TASK',
      state: { life_cycle_state: 'TERMINATED' },
      task: { spark_python_task: { python_file: 'etl.py' } },
      cluster_spec: { existing_cluster_id: 'gpu' },
      attempt_number: 1,
      setup_duration: 0,
      execution_duration: 20,
      cleanup_duration: 0,
    });
    const multiRun = { ...run, format: 'MULTI_TASK' };
    expect(toSingleTaskRun(multiRun)).toBe(multiRun);
  });
});
