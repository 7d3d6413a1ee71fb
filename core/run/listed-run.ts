// The listed view of a run: runs/list's `Run` from what a run's visibility record tells (no tasks,
// no worker asked), and the markdown summary of a run's tasks the Temporal UI shows as the run's
// current details.
import { LifeCycleState, RunResultState } from '../dag/states';
import { taskStateV1, toDatabricksRun, type Run } from './databricks-run';
import { latestAttempt, type RunState, type TriggerType } from './run-state';

/** What a run's visibility record tells without asking its workflow (runs/list). */
export interface ListedRunFacts {
  runId: number;
  jobId?: number;
  runName: string;
  trigger: TriggerType;
  startTime: number;
  /** 0 while running. */
  endTime: number;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, … */
  status: string;
  /** Not yet admitted by its job's gate: PENDING until the gate answers, QUEUED once it queued the run. */
  admission?: 'PENDING' | 'QUEUED';
  /** The result the run recorded as it ended, if it did. */
  result?: string;
  /** Why the run's own records (memo, state) cannot be read, e.g. a key missing from the key ring. */
  unreadable?: string;
}

/**
 * The run-list view of a run, mapped like `toDatabricksRun` (same life cycle, status and
 * termination) from a summary state: no tasks, and a result taken from the recorded one or else
 * from how the workflow closed (completed ⇒ SUCCESS; canceled or terminated from outside ⇒ CANCELED).
 * A run whose records cannot be read is INTERNAL_ERROR, its `state_message` saying why.
 */
export function listedRun(facts: ListedRunFacts, now: number): Run {
  const running = facts.status === 'RUNNING';
  const recorded = Object.values(RunResultState).find((r) => r === facts.result);
  const result = running ? undefined : (recorded ?? (facts.status === 'COMPLETED' ? 'SUCCESS' : 'CANCELED'));
  const summary: RunState = {
    run_id: facts.runId,
    ...(facts.jobId !== undefined ? { job_id: facts.jobId } : {}),
    run_name: facts.runName,
    run_type: facts.jobId !== undefined ? 'JOB_RUN' : 'SUBMIT_RUN',
    trigger: facts.trigger,
    settings: { tasks: [] },
    job_parameters: {},
    start_time: facts.startTime,
    end_time: facts.endTime,
    paused: false,
    ...(result ? { result } : {}),
    state_message: '',
    userCanceledOrTimedOut: result === 'CANCELED' || result === 'TIMEDOUT',
    tasks: {},
    ...(running && facts.admission === 'QUEUED' ? { queued: { since: facts.startTime, reason: '' } } : {}),
    ...(running && facts.admission === 'PENDING' ? { awaiting_admission: true } : {}),
  };
  const run = toDatabricksRun(summary, now);
  if (facts.unreadable === undefined) return run;
  // Listed all the same, so one unreadable run does not hide the others: an error of the platform.
  const message = `This run cannot be read: ${facts.unreadable}`;
  return {
    ...run,
    state: {
      life_cycle_state: LifeCycleState.INTERNAL_ERROR,
      state_message: message,
      user_cancelled_or_timedout: false,
    },
    status: { state: 'TERMINATED', termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR', message } },
  };
}

/** A compact markdown table of task states for the Temporal UI's "current details". */
export function runDetailsMarkdown(state: RunState, now: number): string {
  const head = `**${state.run_name}** · run ${state.run_id}${state.job_id !== undefined ? ` · job ${state.job_id}` : ''} · ${
    state.result ?? (state.paused ? 'PAUSED' : 'RUNNING')
  }`;
  const rows: string[] = [];
  const counts = new Map<string, number>();
  for (const spec of state.settings.tasks) {
    const tr = state.tasks[spec.task_key];
    if (!tr) continue;
    const a = latestAttempt(tr);
    const label = a.result ?? (a.phase === 'PENDING' ? taskStateV1(a).life_cycle_state : a.phase);
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if (rows.length < 50) {
      const dur = a.start_time ? `${(((a.end_time || now) - a.start_time) / 1000).toFixed(1)}s` : '';
      rows.push(`| ${spec.task_key} | ${label} | ${a.attempt_number} | ${dur} |`);
    }
  }
  const summary = [...counts.entries()].map(([k, v]) => `${k}: ${v}`).join(' · ');
  const more =
    state.settings.tasks.length > rows.length ? `\n\n…and ${state.settings.tasks.length - rows.length} more tasks` : '';
  return `${head}\n\n${summary}\n\n| task | state | attempt | duration |\n|---|---|---|---|\n${rows.join('\n')}${more}`;
}
