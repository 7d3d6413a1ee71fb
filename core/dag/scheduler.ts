// The DAG core as a small state machine. Every task is PENDING, RUNNING or TERMINAL; the workflow
// asks `nextSteps` what to do, applies it, and reports results back. Read this file and you read
// the scheduling semantics; the workflow only drives it.
import { leafTaskKeys, type GraphTask } from './graph';
import { decideRunIf, dependencyOutcome, type TerminalTask } from './run-if';
import { RunIf, RunResultState, TaskResultState, assertNever, type RunIf as RunIfT } from './states';

export interface SchedulerTask extends GraphTask {
  run_if?: RunIfT;
  disabled?: boolean;
}

export type TaskProgress =
  { phase: 'PENDING' } | { phase: 'RUNNING' } | { phase: 'TERMINAL'; terminal: TerminalTask; reason?: string };

export type Progress = Record<string, TaskProgress>;

export interface SkipStep {
  task_key: string;
  result: TaskResultState;
  reason: string;
}

export interface NextSteps {
  /** Tasks whose dependencies are terminal and whose run_if holds, in spec order. */
  start: string[];
  /** Tasks that became terminal without running (excluded, upstream failed/canceled, disabled). */
  skip: SkipStep[];
}

export function initialProgress(tasks: readonly SchedulerTask[]): Progress {
  const progress: Progress = {};
  for (const t of tasks) progress[t.task_key] = { phase: 'PENDING' };
  return progress;
}

export const isTerminal = (p: TaskProgress | undefined): p is Extract<TaskProgress, { phase: 'TERMINAL' }> =>
  p?.phase === 'TERMINAL';

/**
 * Decide what happens next. Skips cascade: a task skipped here can make its dependents decidable,
 * so the loop runs to a fixpoint. `progress` is not modified; apply the returned steps.
 */
export function nextSteps(tasks: readonly SchedulerTask[], progress: Readonly<Progress>): NextSteps {
  // Changes decided in this call overlay `progress` (copying 1000 entries per call was the
  // scheduler's main cost on large jobs).
  const overlay = new Map<string, TaskProgress>();
  const view = (key: string): TaskProgress | undefined => overlay.get(key) ?? progress[key];
  const start: string[] = [];
  const skip: SkipStep[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of tasks) {
      const key = task.task_key;
      if (view(key)?.phase !== 'PENDING') continue;
      const deps = task.depends_on ?? [];
      if (!deps.every((d) => isTerminal(view(d.task_key)))) continue;
      if (task.disabled) {
        const step = { task_key: key, result: TaskResultState.DISABLED, reason: 'Task is disabled.' };
        skip.push(step);
        overlay.set(key, { phase: 'TERMINAL', terminal: { result: step.result }, reason: step.reason });
        changed = true;
        continue;
      }
      const outcomes = deps.map((d) => {
        const up = view(d.task_key);
        if (!isTerminal(up)) throw new Error(`dependency ${d.task_key} is not terminal`);
        return dependencyOutcome(d, up.terminal);
      });
      const decision = decideRunIf(task.run_if ?? RunIf.ALL_SUCCESS, outcomes);
      if (decision.action === 'run') {
        start.push(key);
        overlay.set(key, { phase: 'RUNNING' });
      } else {
        skip.push({ task_key: key, result: decision.result, reason: decision.reason });
        overlay.set(key, { phase: 'TERMINAL', terminal: { result: decision.result }, reason: decision.reason });
        changed = true;
      }
    }
  }
  return { start, skip };
}

export function allTerminal(tasks: readonly SchedulerTask[], progress: Readonly<Progress>): boolean {
  return tasks.every((t) => isTerminal(progress[t.task_key]));
}

export interface RunOutcome {
  result: RunResultState;
  message: string;
}

/** How the run ended from outside the DAG (user cancel, job timeout), if it did. */
export type RunInterruption = 'CANCELED' | 'TIMEDOUT' | undefined;

const FAILED_RESULTS: ReadonlySet<TaskResultState> = new Set([
  TaskResultState.FAILED,
  TaskResultState.TIMEDOUT,
  TaskResultState.UPSTREAM_FAILED,
]);
const CANCELED_RESULTS: ReadonlySet<TaskResultState> = new Set([
  TaskResultState.CANCELED,
  TaskResultState.UPSTREAM_CANCELED,
]);

/**
 * The job run's result from its leaf tasks (https://docs.databricks.com/jobs/run-if.html): all leaves fine ⇒
 * SUCCESS, or SUCCESS_WITH_FAILURES when some non-leaf task failed; a failed leaf ⇒ FAILED;
 * a canceled leaf ⇒ CANCELED. A user cancel or the job timeout decides the result outright.
 */
export function runOutcome(
  tasks: readonly SchedulerTask[],
  progress: Readonly<Progress>,
  interruption: RunInterruption,
  errorOf: (taskKey: string) => string | undefined = () => undefined
): RunOutcome {
  switch (interruption) {
    case 'CANCELED':
      return { result: RunResultState.CANCELED, message: 'Run was canceled.' };
    case 'TIMEDOUT':
      return { result: RunResultState.TIMEDOUT, message: 'Run timed out: the job timeout_seconds was reached.' };
    case undefined:
      break;
    default:
      return assertNever(interruption, 'interruption');
  }
  const resultOf = (key: string): TaskResultState | undefined => {
    const p = progress[key];
    return isTerminal(p) ? p.terminal.result : undefined;
  };
  const leaves = leafTaskKeys(tasks);
  const firstFailed = tasks.find((t) => {
    const r = resultOf(t.task_key);
    return r === TaskResultState.FAILED || r === TaskResultState.TIMEDOUT;
  });
  const describeFailure = () => {
    if (!firstFailed) return 'A task failed.';
    const msg = errorOf(firstFailed.task_key);
    return msg ? `Task ${firstFailed.task_key} failed with message: ${msg}.` : `Task ${firstFailed.task_key} failed.`;
  };
  if (leaves.some((k) => FAILED_RESULTS.has(resultOf(k) as TaskResultState))) {
    const skipped = tasks.some((t) => resultOf(t.task_key) === TaskResultState.UPSTREAM_FAILED);
    return {
      result: RunResultState.FAILED,
      message: describeFailure() + (skipped ? ' This caused all downstream tasks to get skipped.' : ''),
    };
  }
  if (leaves.some((k) => CANCELED_RESULTS.has(resultOf(k) as TaskResultState))) {
    return { result: RunResultState.CANCELED, message: 'A task was canceled.' };
  }
  const anyProblem = tasks.some((t) => {
    const r = resultOf(t.task_key);
    return r !== undefined && (FAILED_RESULTS.has(r) || CANCELED_RESULTS.has(r));
  });
  if (anyProblem) {
    return { result: RunResultState.SUCCESS_WITH_FAILURES, message: describeFailure() + ' All leaf tasks succeeded.' };
  }
  return { result: RunResultState.SUCCESS, message: '' };
}
