// Databricks task and run states as const objects with derived unions (see `RunLifeCycleState`,
// `RunResultState` in https://docs.databricks.com/api/workspace/jobs/getrun). Every switch over
// them ends in assertNever, so a new state fails compilation instead of production.

/** The space-separated words of a string literal type, as a union. */
type Words<S extends string> = S extends `${infer H} ${infer T}` ? H | Words<T> : S;

/** An `as const` object whose keys are its values: `enumOf('A B')` is `{ A: 'A', B: 'B' }`. */
export function enumOf<const S extends string>(names: S): { readonly [K in Words<S>]: K } {
  return Object.fromEntries(names.split(' ').map((v) => [v, v])) as { readonly [K in Words<S>]: K };
}

export const RunIf = enumOf('ALL_SUCCESS AT_LEAST_ONE_SUCCESS NONE_FAILED ALL_DONE AT_LEAST_ONE_FAILED ALL_FAILED');
export type RunIf = (typeof RunIf)[keyof typeof RunIf];
export const RUN_IF_VALUES = Object.values(RunIf);

/** Terminal result of one task (its latest attempt). */
export const TaskResultState = enumOf(
  'SUCCESS FAILED TIMEDOUT CANCELED EXCLUDED UPSTREAM_FAILED UPSTREAM_CANCELED DISABLED'
);
export type TaskResultState = (typeof TaskResultState)[keyof typeof TaskResultState];

/** Terminal result of a whole job run. */
export const RunResultState = enumOf(
  'SUCCESS SUCCESS_WITH_FAILURES FAILED TIMEDOUT CANCELED MAXIMUM_CONCURRENT_RUNS_REACHED'
);
export type RunResultState = (typeof RunResultState)[keyof typeof RunResultState];

export const LifeCycleState = enumOf(
  'QUEUED PENDING RUNNING TERMINATING TERMINATED SKIPPED INTERNAL_ERROR BLOCKED WAITING_FOR_RETRY'
);
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
