// Databricks task and run states as const objects with derived unions (see `RunLifeCycleState`,
// `RunResultState` in https://docs.databricks.com/api/workspace/jobs/getrun). Every switch over them ends in assertNever,
// so a new state fails compilation instead of production.

export const RunIf = {
  ALL_SUCCESS: 'ALL_SUCCESS',
  AT_LEAST_ONE_SUCCESS: 'AT_LEAST_ONE_SUCCESS',
  NONE_FAILED: 'NONE_FAILED',
  ALL_DONE: 'ALL_DONE',
  AT_LEAST_ONE_FAILED: 'AT_LEAST_ONE_FAILED',
  ALL_FAILED: 'ALL_FAILED',
} as const;
export type RunIf = (typeof RunIf)[keyof typeof RunIf];
export const RUN_IF_VALUES = Object.values(RunIf);

/** Terminal result of one task (its latest attempt). */
export const TaskResultState = {
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  TIMEDOUT: 'TIMEDOUT',
  CANCELED: 'CANCELED',
  EXCLUDED: 'EXCLUDED',
  UPSTREAM_FAILED: 'UPSTREAM_FAILED',
  UPSTREAM_CANCELED: 'UPSTREAM_CANCELED',
  DISABLED: 'DISABLED',
} as const;
export type TaskResultState = (typeof TaskResultState)[keyof typeof TaskResultState];

/** Terminal result of a whole job run. */
export const RunResultState = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
  FAILED: 'FAILED',
  TIMEDOUT: 'TIMEDOUT',
  CANCELED: 'CANCELED',
  MAXIMUM_CONCURRENT_RUNS_REACHED: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
} as const;
export type RunResultState = (typeof RunResultState)[keyof typeof RunResultState];

export const LifeCycleState = {
  QUEUED: 'QUEUED',
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  TERMINATING: 'TERMINATING',
  TERMINATED: 'TERMINATED',
  SKIPPED: 'SKIPPED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  BLOCKED: 'BLOCKED',
  WAITING_FOR_RETRY: 'WAITING_FOR_RETRY',
} as const;
export type LifeCycleState = (typeof LifeCycleState)[keyof typeof LifeCycleState];

/** How one finished dependency counts for `run_if`. */
export const DependencyOutcome = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELED: 'canceled',
  EXCLUDED: 'excluded',
} as const;
export type DependencyOutcome = (typeof DependencyOutcome)[keyof typeof DependencyOutcome];

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${String(value)}`);
}
