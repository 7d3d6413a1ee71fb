// The one shape a notification has between the run that raises it and the sender that delivers it.
// The run side (`workflows/`, `activities/`) builds a `NotificationMessage` from the run model; each
// sender (`notifications/`: email, Slack, Microsoft Teams, PagerDuty, generic webhook) renders it in
// the format its receiver accepts. Event names follow the Databricks Jobs API's notification fields
// (https://docs.databricks.com/api/workspace/jobs/create: `email_notifications`,
// `webhook_notifications`); the generic webhook's `event_type` is `jobs.<event>` as in
// https://docs.databricks.com/en/jobs/notifications.html.

/** The Databricks notification events a run or a task can raise. */
export const NOTIFICATION_EVENTS = [
  'on_start',
  'on_success',
  'on_failure',
  'on_duration_warning_threshold_exceeded',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** A task that failed, as a notification reports it. */
export interface FailedTaskSummary {
  task_key: string;
  /** The task's last error message (already redacted of secret values). */
  error: string;
}

export interface NotificationMessage {
  event: NotificationEvent;
  /** Unique per (run execution, scope, event, destination): the receivers' idempotency key. */
  event_id: string;
  job: { job_id: number; name: string };
  run: {
    run_id: number;
    run_name: string;
    run_page_url: string;
    /** Databricks life cycle and result states at the time of the event. */
    life_cycle_state: string;
    result_state?: string;
    state_message?: string;
    /** Epoch milliseconds. */
    start_time: number;
    end_time?: number;
    duration_ms?: number;
    failed_tasks: FailedTaskSummary[];
  };
  /** Set when the event is about one task (task-level notifications), absent for the whole run. */
  task?: {
    task_key: string;
    run_id: number;
    attempt_number: number;
    result_state?: string;
    error?: string;
  };
  /** For a duration warning: the health rule's threshold in seconds. */
  threshold_seconds?: number;
}
