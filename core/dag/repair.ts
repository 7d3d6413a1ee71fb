// Which tasks a repair runs again (https://docs.databricks.com/api/workspace/jobs/repairrun): the tasks named, or every
// task whose latest attempt did not succeed, optionally with everything downstream of them.
import { downstreamOf, type GraphTask } from './graph';
import type { TaskResultState } from './states';

export interface RepairChoice {
  /** Task keys to run again. */
  rerunTasks?: readonly string[];
  /** Every task whose latest attempt did not succeed (failed, timed out, canceled, upstream-failed/canceled). */
  rerunAllFailedTasks?: boolean;
  /** Also every task downstream of the chosen ones, even if it succeeded. */
  rerunDependentTasks?: boolean;
}

/** A finished task's latest result, if it ran or was skipped. */
export type LatestResult = (taskKey: string) => TaskResultState | undefined;

const DONE_WELL: ReadonlySet<string> = new Set(['SUCCESS', 'EXCLUDED', 'DISABLED']);

/** The tasks to run again in spec order, or why the choice is invalid. */
export function repairSelection(
  tasks: readonly GraphTask[],
  latest: LatestResult,
  choice: RepairChoice,
  runId: number
): { ok: true; tasks: string[] } | { ok: false; error: string } {
  const keys = tasks.map((t) => t.task_key);
  let chosen: readonly string[];
  if (choice.rerunTasks && choice.rerunTasks.length > 0) {
    const named = choice.rerunTasks;
    if (named.some((k, i) => named.indexOf(k) !== i))
      return { ok: false, error: 'rerun_tasks cannot contain duplicate task keys.' };
    const unknown = named.filter((k) => !keys.includes(k));
    if (unknown.length > 0)
      return {
        ok: false,
        error: `rerun_tasks names unknown task${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`,
      };
    chosen = named;
  } else if (choice.rerunAllFailedTasks) {
    chosen = keys.filter((k) => !DONE_WELL.has(latest(k) ?? ''));
  } else {
    return { ok: false, error: 'Repair needs rerun_tasks or rerun_all_failed_tasks.' };
  }
  if (choice.rerunDependentTasks) {
    const down = downstreamOf(tasks);
    const all = new Set(chosen);
    const stack = [...chosen];
    while (stack.length > 0) {
      for (const d of down.get(stack.pop()!) ?? []) {
        if (all.has(d)) continue;
        all.add(d);
        stack.push(d);
      }
    }
    chosen = keys.filter((k) => all.has(k));
  }
  if (chosen.length === 0) return { ok: false, error: `Run ${runId} has no failed tasks to repair.` };
  return { ok: true, tasks: [...chosen] };
}

/**
 * Why a repair's `latest_repair_id` is refused, if it is: Databricks orders repairs by it, so an id
 * must name the run's latest repair. A run never repaired has no repair to name. (Databricks also
 * requires the id from the second repair on; durable-jobs orders repairs itself and does not.)
 */
export function latestRepairIdProblem(
  history: readonly { type: string; id?: number }[] | undefined,
  latestRepairId: number | undefined,
  runId: number
): string | undefined {
  if (latestRepairId === undefined) return undefined;
  const latest = [...(history ?? [])].reverse().find((h) => h.type === 'REPAIR')?.id;
  if (latest === undefined)
    return `latest_repair_id ${latestRepairId} names no repair: run ${runId} has not been repaired.`;
  if (latest !== latestRepairId)
    return `latest_repair_id ${latestRepairId} is not the latest repair of run ${runId}: the latest is ${latest}.`;
  return undefined;
}
