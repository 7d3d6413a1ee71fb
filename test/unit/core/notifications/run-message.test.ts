// The message a run's notification carries, and the stable ids that make redeliveries recognisable.
import { describe, expect, it } from 'vitest';
import {
  eventIdFor,
  notificationFactId,
  notificationMessage,
  targetsOf,
  type PlannedNotification,
  type RunState,
} from '../../../../core';
import { emailBody, emailMessageId, emailSubject } from '../../../../notifications/email';

const state = (extra: Partial<RunState> = {}): RunState => ({
  run_id: 7,
  job_id: 3,
  run_name: 'nightly',
  run_type: 'JOB_RUN',
  trigger: 'ONE_TIME',
  settings: {
    name: 'nightly',
    tasks: [
      { task_key: 'load', shell_command_task: { command: 'false' } },
      { task_key: 'ok', shell_command_task: { command: 'true' } },
    ],
  },
  job_parameters: {},
  start_time: 1_000,
  end_time: 0,
  paused: false,
  state_message: '',
  userCanceledOrTimedOut: false,
  tasks: {
    load: {
      task_key: 'load',
      attempts: [
        {
          run_id: 901,
          attempt_number: 0,
          phase: 'TERMINATED',
          result: 'FAILED',
          state_message: 'exit 1',
          errorMessage: 'boom',
          start_time: 1_000,
          end_time: 2_000,
        },
      ],
    },
    ok: {
      task_key: 'ok',
      attempts: [
        {
          run_id: 902,
          attempt_number: 0,
          phase: 'TERMINATED',
          result: 'SUCCESS',
          state_message: '',
          start_time: 1,
          end_time: 2,
        },
      ],
    },
  },
  ...extra,
});
const failure: PlannedNotification = { event: 'on_failure', emails: ['ops@example.com'], destination_ids: ['pd'] };

describe('notification ids', () => {
  it('are unique per execution, scope and event, and per target', () => {
    const fact = notificationFactId(state(), failure);
    expect(fact).toBe('djobs-run-7-x0-job-on_failure');
    expect(targetsOf(failure).map((t) => eventIdFor(fact, t))).toEqual([
      'djobs-run-7-x0-job-on_failure-email',
      'djobs-run-7-x0-job-on_failure-destination-pd',
    ]);
    const repaired = state({
      repair_history: [
        { type: 'ORIGINAL', start_time: 1, end_time: 2, task_run_ids: [] },
        { type: 'REPAIR', id: 5, start_time: 3, end_time: 0, task_run_ids: [] },
      ],
    });
    expect(notificationFactId(repaired, failure)).toBe('djobs-run-7-x1-job-on_failure');
    // A task attempt's facts are about that attempt; a task's duration warning is raised once.
    expect(notificationFactId(state(), { ...failure, task_key: 'load' }, 901)).toBe(
      'djobs-run-7-x0-task-run-901-on_failure'
    );
    expect(
      notificationFactId(
        state(),
        { ...failure, event: 'on_duration_warning_threshold_exceeded', task_key: 'load' },
        901
      )
    ).toBe('djobs-run-7-x0-task-load-on_duration_warning_threshold_exceeded');
  });
});

describe('the message of a finished run', () => {
  const ended = state({ result: 'FAILED', end_time: 4_500, state_message: 'load failed' });
  const message = notificationMessage(ended, failure, 'id-1', 9_999);

  it('carries the result, times and each failed task with its error', () => {
    expect(message).toEqual({
      event: 'on_failure',
      event_id: 'id-1',
      job: { job_id: 3, name: 'nightly' },
      run: {
        run_id: 7,
        run_name: 'nightly',
        run_page_url: '',
        life_cycle_state: 'INTERNAL_ERROR',
        result_state: 'FAILED',
        state_message: 'load failed',
        start_time: 1_000,
        end_time: 4_500,
        duration_ms: 3_500,
        failed_tasks: [{ task_key: 'load', error: 'boom' }],
      },
    });
  });

  it('renders as an email naming the job, the event and the result', () => {
    const m = { ...message, run: { ...message.run, run_page_url: 'http://ui/runs/7' } };
    expect(emailSubject(m)).toBe('[durable-jobs] Run of nightly failed: run 7, FAILED');
    expect(emailMessageId(m)).toBe('<id-1@durable-jobs>');
    expect(emailBody(m)).toBe(
      [
        'Run of nightly failed: run 7, FAILED',
        '',
        'Job: nightly (job_id 3)',
        'Run: nightly (run_id 7)',
        'Event: on_failure',
        'State: INTERNAL_ERROR / FAILED',
        'Message: load failed',
        'Run page: http://ui/runs/7',
        'Started: 1970-01-01T00:00:01.000Z',
        'Ended: 1970-01-01T00:00:04.500Z',
        'Duration: 3.5 s',
        '',
        'Failed tasks:',
        '- load: boom',
        '',
        'Event id: id-1',
        '',
      ].join('\n')
    );
  });

  it('a running task attempt and a duration threshold are part of the message', () => {
    const warning = notificationMessage(
      state(),
      {
        event: 'on_duration_warning_threshold_exceeded',
        task_key: 'load',
        emails: ['x@example.com'],
        destination_ids: [],
      },
      'id-2',
      31_000,
      { taskRunId: 901, thresholdSeconds: 30 }
    );
    expect(warning.run.duration_ms).toBe(30_000);
    expect(warning.run.end_time).toBeUndefined();
    expect(warning.threshold_seconds).toBe(30);
    expect(warning.task).toEqual({
      task_key: 'load',
      run_id: 901,
      attempt_number: 0,
      result_state: 'FAILED',
      error: 'boom',
    });
    expect(emailSubject(warning)).toBe(
      '[durable-jobs] Task load of nightly is running longer than expected (over 30 s): run 7, FAILED'
    );
  });
});
