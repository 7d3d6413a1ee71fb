// A live run's Databricks view at any moment, for readers who ask again and again (SDK waiters
// poll runs/get). Between two changes of the run's state only the durations the clock drives move:
// the run's `run_duration` (until it ends), its `queue_duration` (while it waits in its job's
// queue) and both durations of each running attempt. So the rest is built once per state, frozen
// and shared by every view; a view at `now` copies only the top level and the entries of running
// attempts, with their durations at `now`. It is `toDatabricksRun(state, now, options)` with `extra`
// appended, field for field and in the same order (test/unit/core/run/databricks-run.test.ts).
import {
  attemptDurationMoves,
  attemptsInViewOrder,
  queueDurationAt,
  runDurationAt,
  toDatabricksRun,
  type Run,
  type RunViewOptions,
} from './databricks-run';
import type { RunState } from './run-state';

/** Freeze `value` and everything it holds: a view shared by many readers must not change under them. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The view of `state` (with `extra` fields appended, e.g. who started the run) as a function of
 * the clock: `{ ...toDatabricksRun(state, now), ...extra }` for every `now`, built whole once.
 * The views share their unchanging parts, which are frozen.
 */
export function liveRunView<E extends object>(
  state: RunState,
  extra: E,
  options: RunViewOptions = {}
): (now: number) => Run & E {
  const base: Run & E = deepFreeze({ ...toDatabricksRun(state, state.start_time, options), ...extra });
  /** Indices in `tasks` of the attempts whose durations move, with their start times. */
  const moving: { index: number; start: number }[] = [];
  let index = 0;
  for (const { attempt } of attemptsInViewOrder(state)) {
    if (attemptDurationMoves(attempt)) moving.push({ index, start: attempt.start_time });
    index++;
  }
  return (now) => {
    let tasks = base.tasks;
    if (moving.length > 0) {
      tasks = tasks.slice();
      for (const { index, start } of moving) {
        const duration = now - start;
        tasks[index] = { ...tasks[index]!, execution_duration: duration, run_duration: duration };
      }
    }
    return { ...base, run_duration: runDurationAt(state, now), queue_duration: queueDurationAt(state, now), tasks };
  };
}
