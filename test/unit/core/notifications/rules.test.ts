// Which notifications a run raises, without a server: every run result × no_alert_* setting, every
// task result × retries left × alert_on_last_attempt, condition tasks, scopes and recipients.
import { describe, expect, it } from 'vitest';
import {
  RunResultState,
  TaskResultState,
  durationThresholdSeconds,
  hasNotifications,
  notificationsFor,
  type JobSettings,
  type Task,
} from '../../../../core';

const everyEvent = (who: string) => ({
  on_start: [`${who}-start@example.com`],
  on_success: [`${who}-success@example.com`],
  on_failure: [`${who}-failure@example.com`],
  on_duration_warning_threshold_exceeded: [`${who}-slow@example.com`],
});
const hooks = (who: string) => ({
  on_start: [{ id: `${who}-start` }],
  on_success: [{ id: `${who}-success` }],
  on_failure: [{ id: `${who}-failure` }],
  on_duration_warning_threshold_exceeded: [{ id: `${who}-slow` }],
});
const task = (extra: Partial<Task> = {}): Task => ({
  task_key: 't',
  shell_command_task: { command: 'true' },
  email_notifications: everyEvent('task'),
  webhook_notifications: hooks('task'),
  ...extra,
});
const job = (extra: Partial<JobSettings> = {}): JobSettings => ({
  name: 'nightly',
  tasks: [task()],
  email_notifications: everyEvent('job'),
  webhook_notifications: hooks('job'),
  ...extra,
});
const events = (settings: JobSettings, fact: Parameters<typeof notificationsFor>[1]) =>
  notificationsFor(settings, fact).map((n) => n.event);

describe('run-level notifications', () => {
  const ended = (result: RunResultState, extra: Partial<JobSettings> = {}) =>
    events(job(extra), { kind: 'run_ended', result });

  it.each([
    [RunResultState.SUCCESS, ['on_success']],
    [RunResultState.SUCCESS_WITH_FAILURES, ['on_success']],
    [RunResultState.FAILED, ['on_failure']],
    [RunResultState.TIMEDOUT, ['on_failure']],
    [RunResultState.CANCELED, ['on_failure']],
    [RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED, ['on_failure']],
  ] as const)('a run ending %s raises %j by default', (result, expected) => {
    expect(ended(result)).toEqual(expected);
  });

  it('no_alert_for_canceled_runs silences canceled runs only', () => {
    const quiet = { notification_settings: { no_alert_for_canceled_runs: true } };
    expect(ended(RunResultState.CANCELED, quiet)).toEqual([]);
    expect(ended(RunResultState.FAILED, quiet)).toEqual(['on_failure']);
    expect(ended(RunResultState.TIMEDOUT, quiet)).toEqual(['on_failure']);
    expect(ended(RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED, quiet)).toEqual(['on_failure']);
  });

  it('no_alert_for_skipped_runs (and its deprecated email_notifications twin) silences skipped runs only', () => {
    const quiet = { notification_settings: { no_alert_for_skipped_runs: true } };
    expect(ended(RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED, quiet)).toEqual([]);
    expect(ended(RunResultState.CANCELED, quiet)).toEqual(['on_failure']);
    const deprecated = { email_notifications: { ...everyEvent('job'), no_alert_for_skipped_runs: true } };
    expect(ended(RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED, deprecated)).toEqual([]);
    // notification_settings wins when both are set.
    const both = { ...deprecated, notification_settings: { no_alert_for_skipped_runs: false } };
    expect(ended(RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED, both)).toEqual(['on_failure']);
  });

  it('a run start and a run duration warning notify the job-level recipients, with no task scope', () => {
    expect(notificationsFor(job(), { kind: 'run_started' })).toEqual([
      { event: 'on_start', emails: ['job-start@example.com'], destination_ids: ['job-start'] },
    ]);
    expect(notificationsFor(job(), { kind: 'run_duration_exceeded' })).toEqual([
      {
        event: 'on_duration_warning_threshold_exceeded',
        emails: ['job-slow@example.com'],
        destination_ids: ['job-slow'],
      },
    ]);
  });

  it('raises nothing for an event with no recipients, and drops duplicate recipients', () => {
    const settings = job({
      email_notifications: { on_failure: ['a@example.com', 'a@example.com', 'b@example.com'] },
      webhook_notifications: { on_failure: [{ id: 'x' }, { id: 'x' }] },
    });
    expect(notificationsFor(settings, { kind: 'run_started' })).toEqual([]);
    expect(notificationsFor(settings, { kind: 'run_ended', result: RunResultState.SUCCESS })).toEqual([]);
    expect(notificationsFor(settings, { kind: 'run_ended', result: RunResultState.FAILED })).toEqual([
      { event: 'on_failure', emails: ['a@example.com', 'b@example.com'], destination_ids: ['x'] },
    ]);
    // Email only, or webhooks only, is one notification too.
    expect(
      notificationsFor(job({ email_notifications: {}, webhook_notifications: { on_start: [{ id: 'w' }] } }), {
        kind: 'run_started',
      })
    ).toEqual([{ event: 'on_start', emails: [], destination_ids: ['w'] }]);
  });

  it('task facts never reach the job-level recipients (a retried task failure raises no job notification)', () => {
    const settings = job({ tasks: [task({ email_notifications: {}, webhook_notifications: {} })] });
    const t = settings.tasks[0]!;
    expect(notificationsFor(settings, { kind: 'task_started', task: t, attempt_number: 0 })).toEqual([]);
    expect(
      notificationsFor(settings, { kind: 'task_ended', task: t, result: TaskResultState.FAILED, retries_left: true })
    ).toEqual([]);
    expect(
      notificationsFor(settings, { kind: 'task_ended', task: t, result: TaskResultState.FAILED, retries_left: false })
    ).toEqual([]);
  });
});

describe('task-level notifications', () => {
  const ended = (result: TaskResultState, retriesLeft: boolean, extra: Partial<Task> = {}) => {
    const t = task(extra);
    return events(job({ tasks: [t] }), { kind: 'task_ended', task: t, result, retries_left: retriesLeft });
  };
  const lastAttemptOnly = { notification_settings: { alert_on_last_attempt: true } };

  it.each([
    [TaskResultState.SUCCESS, false, {}, ['on_success']],
    [TaskResultState.FAILED, false, {}, ['on_failure']],
    [TaskResultState.FAILED, true, {}, ['on_failure']],
    [TaskResultState.TIMEDOUT, true, {}, ['on_failure']],
    [TaskResultState.FAILED, true, lastAttemptOnly, []],
    [TaskResultState.TIMEDOUT, true, lastAttemptOnly, []],
    [TaskResultState.FAILED, false, lastAttemptOnly, ['on_failure']],
    [TaskResultState.TIMEDOUT, false, lastAttemptOnly, ['on_failure']],
    [TaskResultState.CANCELED, false, {}, ['on_failure']],
    [TaskResultState.CANCELED, false, { notification_settings: { no_alert_for_canceled_runs: true } }, []],
    [TaskResultState.EXCLUDED, false, {}, []],
    [TaskResultState.UPSTREAM_FAILED, false, {}, []],
    [TaskResultState.UPSTREAM_CANCELED, false, {}, []],
    [TaskResultState.DISABLED, false, {}, []],
  ] as const)('an attempt ending %s (retries left: %s, settings %j) raises %j', (result, left, extra, expected) => {
    expect(ended(result, left, extra as Partial<Task>)).toEqual(expected);
  });

  it('on_start goes out for every attempt, or only the first with alert_on_last_attempt', () => {
    const started = (attempt: number, extra: Partial<Task> = {}) => {
      const t = task(extra);
      return events(job({ tasks: [t] }), { kind: 'task_started', task: t, attempt_number: attempt });
    };
    expect(started(0)).toEqual(['on_start']);
    expect(started(2)).toEqual(['on_start']);
    expect(started(0, lastAttemptOnly)).toEqual(['on_start']);
    expect(started(1, lastAttemptOnly)).toEqual([]);
  });

  it('notifies the task-level recipients, scoped to the task', () => {
    const t = task();
    expect(notificationsFor(job({ tasks: [t] }), { kind: 'task_duration_exceeded', task: t })).toEqual([
      {
        event: 'on_duration_warning_threshold_exceeded',
        task_key: 't',
        emails: ['task-slow@example.com'],
        destination_ids: ['task-slow'],
      },
    ]);
  });

  it('condition tasks raise nothing', () => {
    const c = task({ shell_command_task: undefined, condition_task: { op: 'EQUAL_TO', left: '1', right: '1' } });
    const settings = job({ tasks: [c] });
    expect(notificationsFor(settings, { kind: 'task_started', task: c, attempt_number: 0 })).toEqual([]);
    expect(
      notificationsFor(settings, { kind: 'task_ended', task: c, result: TaskResultState.SUCCESS, retries_left: false })
    ).toEqual([]);
    expect(notificationsFor(settings, { kind: 'task_duration_exceeded', task: c })).toEqual([]);
  });
});

describe('health rules and whether a run notifies at all', () => {
  it('takes the lowest RUN_DURATION_SECONDS threshold', () => {
    expect(durationThresholdSeconds({})).toBeUndefined();
    expect(
      durationThresholdSeconds({
        health: {
          rules: [
            { metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 90 },
            { metric: 'RUN_DURATION_SECONDS', op: 'GREATER_THAN', value: 30 },
          ],
        },
      })
    ).toBe(30);
  });

  it('a run notifies when any recipient is named, at job or task level', () => {
    const bare: JobSettings = { name: 'x', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] };
    expect(hasNotifications(bare)).toBe(false);
    expect(hasNotifications({ ...bare, email_notifications: { no_alert_for_skipped_runs: true } })).toBe(false);
    expect(hasNotifications({ ...bare, email_notifications: { on_failure: [] } })).toBe(false);
    expect(hasNotifications({ ...bare, email_notifications: { on_failure: ['a@example.com'] } })).toBe(true);
    expect(hasNotifications({ ...bare, tasks: [task()] })).toBe(true);
  });
});
