// The run's notifications, driven from the interpreter: the facts the run reports (it started or
// ended, a task attempt started or ended) become deliveries, one activity per notification and
// target (`deliverNotification`, its own type in the Temporal UI, retried with exponential backoff),
// so a crash of the worker or the server between the event and the delivery loses nothing.
// Duration health rules are timers that raise their warning once. Which notifications a fact
// raises is decided in core/notifications/rules.ts; this module only does what must be Temporal.
// A delivery that fails after its retries is recorded on the run, never changing its result.
import { CancellationScope, isCancellation, log, proxyActivities, sleep } from '@temporalio/workflow';
import {
  durationThresholdSeconds,
  eventIdFor,
  hasNotifications,
  notificationFactId,
  notificationMessage,
  notificationsFor,
  targetsOf,
  type AttemptState,
  type RunNotificationFact,
  type RunNotifications,
  type RunState,
  type Task,
} from '../core/model';
import type { NotificationActivities } from './definitions';
import { NOTIFICATION_REJECTED } from './definitions';
import { isPatched } from './patches';

/** patched() id of run notifications (email_notifications, webhook_notifications, health rules). */
export const RUN_NOTIFICATIONS_PATCH = 'run-notifications';

export class RunNotifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<string, CancellationScope>();
  private readonly deliver: NotificationActivities['deliverNotification'];

  /** Runs whose settings name no recipient issue no new command. */
  static for(state: RunState, heartbeatTimeoutSeconds: number | undefined): RunNotifier | undefined {
    if (!hasNotifications(state.settings) || !isPatched(RUN_NOTIFICATIONS_PATCH)) return undefined;
    return new RunNotifier(state, heartbeatTimeoutSeconds ?? 30);
  }

  private constructor(
    private readonly state: RunState,
    heartbeatTimeoutSeconds: number
  ) {
    this.deliver = proxyActivities<NotificationActivities>({
      // The sender heartbeats while it waits on its receiver: a lost worker is noticed quickly.
      heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
      startToCloseTimeout: '2m',
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '1m',
        maximumAttempts: 10,
        nonRetryableErrorTypes: [NOTIFICATION_REJECTED],
      },
    }).deliverNotification;
    state.notifications ??= { raised: [], deliveries: [] };
  }

  private get record(): RunNotifications {
    return this.state.notifications!;
  }

  /** The run started (after admission; not again when it continues as new): on_start and the run's duration rule. */
  runStarted(): void {
    this.raise({ kind: 'run_started' });
    this.watchRunDuration();
  }

  /** The run continued as new: its duration rule keeps counting from the run's start. */
  runContinued(): void {
    this.watchRunDuration();
  }

  /** The run has its result: on_success or on_failure, then wait for every delivery. */
  async runEnded(): Promise<void> {
    this.stopTimers();
    if (this.state.result !== undefined) this.raise({ kind: 'run_ended', result: this.state.result });
    await this.settled();
  }

  /** Wait for every delivery raised so far (before the run ends or continues as new). */
  async settled(): Promise<void> {
    this.stopTimers();
    await CancellationScope.nonCancellable(async () => {
      while (this.pending.size > 0) await Promise.all([...this.pending]);
    });
  }

  taskStarted(task: Task, attempt: AttemptState): void {
    this.raise({ kind: 'task_started', task, attempt_number: attempt.attempt_number }, attempt.run_id);
    const threshold = durationThresholdSeconds(task);
    if (threshold !== undefined)
      this.watch(`task-${attempt.run_id}`, threshold * 1000, () =>
        this.raise({ kind: 'task_duration_exceeded', task }, attempt.run_id, threshold)
      );
  }

  /** An attempt ended (`retried`: the task runs again). */
  taskEnded(task: Task, attempt: AttemptState, retried: boolean): void {
    this.timers.get(`task-${attempt.run_id}`)?.cancel();
    if (attempt.result === undefined || attempt.start_time === 0) return;
    this.raise({ kind: 'task_ended', task, result: attempt.result, retries_left: retried }, attempt.run_id);
  }

  private watchRunDuration(): void {
    const threshold = durationThresholdSeconds(this.state.settings);
    if (threshold === undefined) return;
    const remaining = this.state.start_time + threshold * 1000 - Date.now();
    this.watch('run', Math.max(1, remaining), () =>
      this.raise({ kind: 'run_duration_exceeded' }, undefined, threshold)
    );
  }

  private watch(id: string, ms: number, fire: () => void): void {
    const scope = new CancellationScope();
    this.timers.set(id, scope);
    scope
      .run(() => sleep(ms, { summary: 'health rule RUN_DURATION_SECONDS' }))
      .then(
        () => {
          this.timers.delete(id);
          fire();
        },
        (err: unknown) => {
          this.timers.delete(id);
          if (!isCancellation(err)) throw err;
        }
      );
  }

  private stopTimers(): void {
    for (const scope of this.timers.values()) scope.cancel();
    this.timers.clear();
  }

  private raise(fact: RunNotificationFact, taskRunId?: number, thresholdSeconds?: number): void {
    const now = Date.now();
    for (const n of notificationsFor(this.state.settings, fact)) {
      const factId = notificationFactId(this.state, n, taskRunId);
      if (this.record.raised.includes(factId)) continue;
      this.record.raised.push(factId);
      for (const target of targetsOf(n)) {
        const message = notificationMessage(this.state, n, eventIdFor(factId, target), now, {
          ...(taskRunId !== undefined ? { taskRunId } : {}),
          ...(thresholdSeconds !== undefined ? { thresholdSeconds } : {}),
        });
        const base = {
          event_id: message.event_id,
          event: n.event,
          ...(n.task_key !== undefined ? { task_key: n.task_key } : {}),
          target,
        };
        const delivery: Promise<void> = CancellationScope.nonCancellable(() => this.deliver({ message, target })).then(
          (result) => {
            // An email written to the outbox (no SMTP server configured) reached no one yet.
            const outbox = result?.outboxFile;
            this.record.deliveries.push({
              ...base,
              ...(outbox ? { status: 'WRITTEN_TO_OUTBOX', outbox_file: outbox } : { status: 'DELIVERED' }),
              time: Date.now(),
            });
          },
          (err: unknown) => {
            const error = deliveryError(err);
            log.warn('notification delivery failed', { event_id: message.event_id, error });
            this.record.deliveries.push({ ...base, status: 'FAILED', error, time: Date.now() });
          }
        );
        this.pending.add(delivery);
        void delivery.finally(() => this.pending.delete(delivery));
      }
    }
  }
}

/** The receiver's own words: an activity failure's cause, else its message. */
function deliveryError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}
