// A task attempt whose worker stopped heartbeating (killed, its host gone) stays RUNNING until
// Temporal's heartbeat timeout hands it to another worker. Meanwhile the run's view says so: the
// task's worker, lost, and when it was last heard from (docs/operations.md).
import type { Run, RunTask } from './databricks-run';

/** A worker that has not heartbeated this long is shown lost (workers heartbeat every second). */
export const LOST_WORKER_AFTER_MS = 10_000;

/** What the view says of the worker of a RUNNING attempt that has stopped heartbeating. */
export interface LostWorker {
  host: string;
  process: string;
  /** Epoch ms of its last heartbeat (or of the attempt's start, before its first one). */
  last_heard_time: number;
  lost: true;
}

export const isHeartbeatOverdue = (lastHeard: number, now: number): boolean => now - lastHeard > LOST_WORKER_AFTER_MS;

/** The state_message of a RUNNING task whose worker is lost. */
export const lostWorkerMessage = (w: LostWorker): string =>
  `Worker ${w.process} on ${w.host} lost; last heard ${new Date(w.last_heard_time).toISOString()}. The attempt runs again on another worker once its heartbeat times out.`;

/** The view with each RUNNING task whose task run id is in `lost` showing its worker lost. */
export function withLostWorkers(run: Run, lost: ReadonlyMap<number, LostWorker>): Run {
  if (lost.size === 0) return run;
  const mark = (t: RunTask): RunTask => {
    const worker = lost.get(t.run_id);
    return worker && t.state.life_cycle_state === 'RUNNING'
      ? { ...t, djobs_worker: worker, state: { ...t.state, state_message: lostWorkerMessage(worker) } }
      : t;
  };
  return { ...run, tasks: run.tasks.map(mark) };
}
