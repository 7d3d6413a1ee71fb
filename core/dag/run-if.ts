// `run_if` semantics, evaluated once every dependency of a task is terminal
// (https://docs.databricks.com/jobs/run-if.html). Pure and table-tested in test/unit/core/dag/run-if.test.ts.
import type { DependencyRef } from './graph';
import { DependencyOutcome, RunIf, TaskResultState, assertNever } from './states';

/** What the scheduler knows about a finished task. */
export interface TerminalTask {
  result: TaskResultState;
  /** For condition tasks: the branch that was taken. */
  conditionOutcome?: 'true' | 'false';
}

/** How a finished upstream task counts for the downstream task's `run_if`. */
export function dependencyOutcome(dep: DependencyRef, upstream: TerminalTask): DependencyOutcome {
  // A dependency on one branch of a condition task is satisfied only when that branch was taken;
  // the branch not taken is reported as excluded (Databricks "if/else" semantics).
  if (dep.outcome !== undefined && upstream.result === TaskResultState.SUCCESS) {
    return upstream.conditionOutcome === dep.outcome ? DependencyOutcome.SUCCEEDED : DependencyOutcome.EXCLUDED;
  }
  switch (upstream.result) {
    case TaskResultState.SUCCESS:
      return DependencyOutcome.SUCCEEDED;
    case TaskResultState.FAILED:
    case TaskResultState.TIMEDOUT:
    case TaskResultState.UPSTREAM_FAILED:
      return DependencyOutcome.FAILED;
    case TaskResultState.CANCELED:
    case TaskResultState.UPSTREAM_CANCELED:
      return DependencyOutcome.CANCELED;
    case TaskResultState.EXCLUDED:
    case TaskResultState.DISABLED:
      return DependencyOutcome.EXCLUDED;
    default:
      return assertNever(upstream.result, 'task result state');
  }
}

export type RunIfDecision =
  | { action: 'run' }
  | {
      action: 'skip';
      result:
        | typeof TaskResultState.EXCLUDED
        | typeof TaskResultState.UPSTREAM_FAILED
        | typeof TaskResultState.UPSTREAM_CANCELED;
      reason: string;
    };

const RUN: RunIfDecision = { action: 'run' };

/**
 * Decide whether a task whose dependencies are all terminal runs, or which skipped state it takes.
 * Rules: a task with no dependencies runs; if every dependency is excluded the task is excluded
 * whatever its run_if; excluded dependencies count as successful; a failed upstream wins over a
 * canceled one when a task cannot run because of both.
 */
export function decideRunIf(runIf: RunIf, outcomes: readonly DependencyOutcome[]): RunIfDecision {
  if (outcomes.length === 0) return RUN;
  const count = (o: DependencyOutcome) => outcomes.filter((x) => x === o).length;
  const succeeded = count(DependencyOutcome.SUCCEEDED);
  const failed = count(DependencyOutcome.FAILED);
  const canceled = count(DependencyOutcome.CANCELED);
  const excluded = count(DependencyOutcome.EXCLUDED);
  if (excluded === outcomes.length) {
    return { action: 'skip', result: TaskResultState.EXCLUDED, reason: 'All dependencies were excluded.' };
  }
  const upstreamProblem = (): RunIfDecision =>
    failed > 0
      ? { action: 'skip', result: TaskResultState.UPSTREAM_FAILED, reason: `Upstream task failed (run_if ${runIf}).` }
      : {
          action: 'skip',
          result: TaskResultState.UPSTREAM_CANCELED,
          reason: `Upstream task was canceled (run_if ${runIf}).`,
        };
  const notMet = (why: string): RunIfDecision => ({
    action: 'skip',
    result: TaskResultState.EXCLUDED,
    reason: `Condition run_if ${runIf} was not met: ${why}.`,
  });

  switch (runIf) {
    case RunIf.ALL_SUCCESS:
      return failed + canceled === 0 ? RUN : upstreamProblem();
    case RunIf.AT_LEAST_ONE_SUCCESS:
      return succeeded + excluded > 0 ? RUN : upstreamProblem();
    case RunIf.NONE_FAILED:
      return failed + canceled === 0 && succeeded > 0 ? RUN : upstreamProblem();
    case RunIf.ALL_DONE:
      return RUN;
    case RunIf.AT_LEAST_ONE_FAILED:
      return failed > 0 ? RUN : notMet('no dependency failed');
    case RunIf.ALL_FAILED:
      return failed === outcomes.length ? RUN : notMet('not every dependency failed');
    default:
      return assertNever(runIf, 'run_if');
  }
}
