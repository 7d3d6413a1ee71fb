// Which notifications a run raises, as Databricks defines them
// (https://docs.databricks.com/en/jobs/notifications.html and the `email_notifications`,
// `webhook_notifications`, `notification_settings` and `health` fields of
// https://docs.databricks.com/api/workspace/jobs/create). Pure: the interpreter reports what
// happened (a run or task attempt started or ended, a duration threshold was crossed) and gets back
// the notifications to deliver, each with its recipients; it never decides anything itself.
import type { JobSettings, Task } from '../schema';
import { RunResultState, TaskResultState, assertNever } from '../dag/states';
import type { NotificationEvent } from './message';

/** The fields that name recipients, at job or task level. */
type Recipients = Pick<JobSettings, 'email_notifications' | 'webhook_notifications' | 'notification_settings'>;

/** What happened, as the interpreter saw it. */
export type RunNotificationFact =
  | { kind: 'run_started' }
  /** `result` is the run's result state; a run refused by its job's gate ends MAXIMUM_CONCURRENT_RUNS_REACHED (life cycle SKIPPED). */
  | { kind: 'run_ended'; result: RunResultState }
  | { kind: 'run_duration_exceeded' }
  /** `attempt_number` 0 is the first attempt; higher numbers are retries. */
  | { kind: 'task_started'; task: Task; attempt_number: number }
  /** `retries_left`: the task will run again after this attempt (a retry is already decided). */
  | { kind: 'task_ended'; task: Task; result: TaskResultState; retries_left: boolean }
  | { kind: 'task_duration_exceeded'; task: Task };

/** One notification to deliver: an event, its scope, and who receives it. */
export interface PlannedNotification {
  event: NotificationEvent;
  /** The task the notification is about; absent for the whole run (job-level settings). */
  task_key?: string;
  /** Email recipients, in the order the settings list them, without duplicates. */
  emails: string[];
  /** Notification destination ids (`webhook_notifications`), without duplicates. */
  destination_ids: string[];
}

/**
 * The notifications a fact raises: none, or one carrying every recipient of the event at the
 * scope the fact is about (job-level settings for run facts, the task's own for task facts).
 */
export function notificationsFor(settings: JobSettings, fact: RunNotificationFact): PlannedNotification[] {
  switch (fact.kind) {
    case 'run_started':
      return planned(settings, 'on_start');
    case 'run_duration_exceeded':
      return planned(settings, 'on_duration_warning_threshold_exceeded');
    case 'run_ended': {
      const event = runEndEvent(settings, fact.result);
      return event ? planned(settings, event) : [];
    }
    case 'task_started':
      if (fact.task.condition_task) return [];
      // alert_on_last_attempt: on_start is not sent for retries.
      if (fact.attempt_number > 0 && fact.task.notification_settings?.alert_on_last_attempt) return [];
      return planned(fact.task, 'on_start', fact.task.task_key);
    case 'task_duration_exceeded':
      if (fact.task.condition_task) return [];
      return planned(fact.task, 'on_duration_warning_threshold_exceeded', fact.task.task_key);
    case 'task_ended': {
      if (fact.task.condition_task) return [];
      const event = taskEndEvent(fact.task, fact.result, fact.retries_left);
      return event ? planned(fact.task, event, fact.task.task_key) : [];
    }
    default:
      return assertNever(fact, 'notification fact');
  }
}

/**
 * on_success: the run TERMINATED with SUCCESS (SUCCESS_WITH_FAILURES is a success too: its leaf
 * tasks succeeded). on_failure: FAILED, TIMEDOUT, canceled (unless no_alert_for_canceled_runs) and
 * skipped runs (unless no_alert_for_skipped_runs, also read from the deprecated
 * email_notifications.no_alert_for_skipped_runs).
 */
function runEndEvent(settings: Recipients, result: RunResultState): NotificationEvent | undefined {
  switch (result) {
    case RunResultState.SUCCESS:
    case RunResultState.SUCCESS_WITH_FAILURES:
      return 'on_success';
    case RunResultState.FAILED:
    case RunResultState.TIMEDOUT:
      return 'on_failure';
    case RunResultState.CANCELED:
      return settings.notification_settings?.no_alert_for_canceled_runs ? undefined : 'on_failure';
    case RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED:
      return noAlertForSkipped(settings) ? undefined : 'on_failure';
    default:
      return assertNever(result, 'run result state');
  }
}

/**
 * A task attempt's end. A failure that will be retried alerts only without alert_on_last_attempt;
 * tasks that never ran (excluded, upstream failed or canceled, disabled) raise nothing.
 */
function taskEndEvent(task: Task, result: TaskResultState, retriesLeft: boolean): NotificationEvent | undefined {
  switch (result) {
    case TaskResultState.SUCCESS:
      return 'on_success';
    case TaskResultState.FAILED:
    case TaskResultState.TIMEDOUT:
      return retriesLeft && task.notification_settings?.alert_on_last_attempt ? undefined : 'on_failure';
    case TaskResultState.CANCELED:
      return task.notification_settings?.no_alert_for_canceled_runs ? undefined : 'on_failure';
    case TaskResultState.EXCLUDED:
    case TaskResultState.UPSTREAM_FAILED:
    case TaskResultState.UPSTREAM_CANCELED:
    case TaskResultState.DISABLED:
      return undefined;
    default:
      return assertNever(result, 'task result state');
  }
}

function noAlertForSkipped(settings: Recipients): boolean {
  return (
    settings.notification_settings?.no_alert_for_skipped_runs ??
    settings.email_notifications?.no_alert_for_skipped_runs ??
    false
  );
}

function planned(where: Recipients, event: NotificationEvent, taskKey?: string): PlannedNotification[] {
  const emails = unique(where.email_notifications?.[event] ?? []);
  const destinationIds = unique((where.webhook_notifications?.[event] ?? []).map((d) => d.id));
  if (emails.length === 0 && destinationIds.length === 0) return [];
  return [{ event, ...(taskKey !== undefined ? { task_key: taskKey } : {}), emails, destination_ids: destinationIds }];
}

const unique = (xs: string[]) => [...new Set(xs)];

/** The RUN_DURATION_SECONDS threshold of a job's or task's health rules (the lowest, if several). */
export function durationThresholdSeconds(where: Pick<JobSettings, 'health'>): number | undefined {
  const values = (where.health?.rules ?? []).filter((r) => r.metric === 'RUN_DURATION_SECONDS').map((r) => r.value);
  return values.length > 0 ? Math.min(...values) : undefined;
}

/** Whether a run's settings raise any notification at all (so runs without them issue no new commands). */
export function hasNotifications(settings: JobSettings): boolean {
  const any = (w: Recipients & Pick<JobSettings, 'health'>) =>
    Object.values(w.email_notifications ?? {}).some((v) => Array.isArray(v) && v.length > 0) ||
    Object.values(w.webhook_notifications ?? {}).some((v) => Array.isArray(v) && v.length > 0);
  return any(settings) || settings.tasks.some(any);
}
