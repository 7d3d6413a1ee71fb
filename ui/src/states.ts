// One visual state per Databricks state pair (life cycle + result), shared by every view so a
// color means the same thing in the matrix, the DAG and the timeline. Pure (no DOM): unit-tested.
import type { Run } from '../../core/run/databricks-run';

type RunTask = Run['tasks'][number];

export type Look =
  | 'success'
  | 'failed'
  | 'running'
  | 'pending'
  | 'blocked'
  | 'queued'
  | 'retry'
  | 'skipped'
  | 'upstream'
  | 'canceled'
  | 'timedout'
  | 'partial';

export const LOOK_LABEL: Record<Look, string> = {
  success: 'Succeeded',
  failed: 'Failed',
  running: 'Running',
  pending: 'Pending',
  blocked: 'Blocked',
  queued: 'Queued',
  retry: 'Waiting for retry',
  skipped: 'Skipped',
  upstream: 'Upstream failed',
  canceled: 'Canceled',
  timedout: 'Timed out',
  partial: 'Succeeded with failures',
};

export function lookOf(s: Pick<Run, 'state'> | Pick<RunTask, 'state'>): Look {
  const { life_cycle_state: life, result_state: result } = s.state;
  switch (life) {
    case 'RUNNING':
    case 'TERMINATING':
      return 'running';
    case 'PENDING':
      return 'pending';
    case 'BLOCKED':
      return 'blocked';
    case 'QUEUED':
      return 'queued';
    case 'WAITING_FOR_RETRY':
      return 'retry';
    default:
      break;
  }
  switch (result) {
    case 'SUCCESS':
      return 'success';
    case 'SUCCESS_WITH_FAILURES':
      return 'partial';
    case 'FAILED':
      return 'failed';
    case 'TIMEDOUT':
      return 'timedout';
    case 'CANCELED':
    case 'UPSTREAM_CANCELED':
      return 'canceled';
    case 'UPSTREAM_FAILED':
      return 'upstream';
    case 'EXCLUDED':
    case 'MAXIMUM_CONCURRENT_RUNS_REACHED':
      return 'skipped';
    default:
      return life === 'SKIPPED' ? 'skipped' : life === 'INTERNAL_ERROR' ? 'failed' : 'pending';
  }
}

export const isActive = (run: Pick<Run, 'state'>) =>
  !['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'].includes(run.state.life_cycle_state);

/** Looks a repair re-runs by default: the task did not succeed. */
export const NEEDS_REPAIR: ReadonlySet<Look> = new Set<Look>(['failed', 'timedout', 'canceled', 'upstream']);

/**
 * The latest attempt of each task, by key. runs/get lists each task's attempts oldest first, and
 * a repair's attempts after the ones it repairs (their attempt_number starts again at 0).
 */
export function latestAttempts(run: Pick<Run, 'tasks'>): Map<string, RunTask> {
  const out = new Map<string, RunTask>();
  for (const t of run.tasks) out.set(t.task_key, t);
  return out;
}

/** Every attempt of one task, oldest first (repairs included). */
export const attemptsOf = (run: Pick<Run, 'tasks'>, key: string): RunTask[] =>
  run.tasks.filter((t) => t.task_key === key);

/** Tasks a repair re-runs by default: those that did not succeed, and everything downstream of them. */
export function repairSelection(run: Pick<Run, 'tasks'>, failed: string[]): string[] {
  const children = new Map<string, string[]>();
  for (const t of run.tasks)
    for (const d of t.depends_on ?? []) children.set(d.task_key, [...(children.get(d.task_key) ?? []), t.task_key]);
  const out = new Set<string>();
  const visit = (k: string) => {
    if (out.has(k)) return;
    out.add(k);
    for (const c of children.get(k) ?? []) visit(c);
  };
  failed.forEach(visit);
  return [...out];
}
