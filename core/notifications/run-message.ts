// A run's notification as its senders receive it: the `NotificationMessage` built from the run's
// state at the time of the event, and the stable ids that make a redelivery recognisable. Pure, so
// the workflow builds messages deterministically and the tests read them without a server.
import { runStateV1 } from '../run/databricks-run';
import { latestAttempt, type RunState } from '../run/run-state';
import type { NotificationMessage } from './message';
import type { PlannedNotification } from './rules';

/** Which execution of the run raised the event: 0 for the original, n for the n-th repair. */
export function executionOf(state: RunState): number {
  return state.repair_history ? state.repair_history.length - 1 : 0;
}

/**
 * The id of a notified fact, unique per run execution, scope and event: task facts are about one
 * attempt (its task run id), except duration warnings, raised once per task.
 */
export function notificationFactId(state: RunState, n: PlannedNotification, taskRunId?: number): string {
  const scope =
    n.task_key === undefined
      ? 'job'
      : n.event === 'on_duration_warning_threshold_exceeded' || taskRunId === undefined
        ? `task-${n.task_key}`
        : `task-run-${taskRunId}`;
  return `djobs-run-${state.run_id}-x${executionOf(state)}-${scope}-${n.event}`;
}

/** A delivery target of a planned notification; its event id extends the fact's id. */
export type NotificationTarget = { type: 'email'; addresses: string[] } | { type: 'destination'; id: string };

export function targetsOf(n: PlannedNotification): NotificationTarget[] {
  return [
    ...(n.emails.length > 0 ? [{ type: 'email' as const, addresses: n.emails }] : []),
    ...n.destination_ids.map((id) => ({ type: 'destination' as const, id })),
  ];
}

export function eventIdFor(factId: string, target: NotificationTarget): string {
  return target.type === 'email' ? `${factId}-email` : `${factId}-destination-${target.id}`;
}

/** The message of a planned notification, from the run's state at `now` (`run_page_url` is the sender's to fill in). */
export function notificationMessage(
  state: RunState,
  n: PlannedNotification,
  eventId: string,
  now: number,
  facts: { taskRunId?: number; thresholdSeconds?: number } = {}
): NotificationMessage {
  const v1 = runStateV1(state);
  const ended = state.result !== undefined && n.task_key === undefined;
  const failed = state.settings.tasks.flatMap((t) => {
    const tr = state.tasks[t.task_key];
    if (!tr) return [];
    const a = latestAttempt(tr);
    if (a.result !== 'FAILED' && a.result !== 'TIMEDOUT') return [];
    return [{ task_key: t.task_key, error: a.errorMessage ?? a.state_message }];
  });
  const message: NotificationMessage = {
    event: n.event,
    event_id: eventId,
    // A submitted run has no job: its own id stands in, so receivers keyed by job (PagerDuty's
    // dedup_key) never merge two unrelated one-time runs.
    job: { job_id: state.job_id ?? state.run_id, name: state.run_name },
    run: {
      run_id: state.run_id,
      run_name: state.run_name,
      run_page_url: '',
      life_cycle_state: v1.life_cycle_state,
      ...(v1.result_state ? { result_state: v1.result_state } : {}),
      ...(v1.state_message ? { state_message: v1.state_message } : {}),
      start_time: state.start_time,
      ...(ended ? { end_time: state.end_time, duration_ms: state.end_time - state.start_time } : {}),
      ...(!ended ? { duration_ms: Math.max(0, now - state.start_time) } : {}),
      failed_tasks: failed,
    },
  };
  if (n.task_key !== undefined) {
    const tr = state.tasks[n.task_key];
    const attempt = tr?.attempts.find((a) => a.run_id === facts.taskRunId) ?? (tr ? latestAttempt(tr) : undefined);
    if (attempt)
      message.task = {
        task_key: n.task_key,
        run_id: attempt.run_id,
        attempt_number: attempt.attempt_number,
        ...(attempt.result ? { result_state: attempt.result } : {}),
        ...(attempt.result && attempt.result !== 'SUCCESS' && (attempt.errorMessage ?? attempt.state_message)
          ? { error: attempt.errorMessage ?? attempt.state_message }
          : {}),
      };
  }
  if (facts.thresholdSeconds !== undefined) message.threshold_seconds = facts.thresholdSeconds;
  return message;
}
