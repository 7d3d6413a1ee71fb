// Text rendering of runs and jobs for humans; `-o json` bypasses all of it.
import type { Run, RunTask } from '../core';

/**
 * Each task's latest attempt. Not the highest `attempt_number`: a repair's attempts start at 0
 * again, after a failed retry numbered 1 or more. Task run ids grow with every attempt of a run,
 * repairs included (core/run/ids.ts), so the latest attempt has the largest one.
 */
export function latestTaskRuns(run: Run): RunTask[] {
  const latest = new Map<string, RunTask>();
  for (const t of run.tasks) {
    const prev = latest.get(t.task_key);
    if (!prev || t.run_id > prev.run_id) latest.set(t.task_key, t);
  }
  return [...latest.values()];
}

export function taskLabel(t: RunTask): string {
  return t.state.result_state ?? t.state.life_cycle_state;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** What a listing could not read (a run or a job under a key the ring lacks): one line each, after the table. */
export function readProblems(problems: (string | undefined)[]): string {
  const shown = problems.filter((p) => p !== undefined);
  return shown.length > 0 ? `\n${shown.join('\n')}\n` : '';
}

/** Why a listed run could not be read (its state message), if it could not (core `listedRun`). */
export function unreadableRun(run: Run): string | undefined {
  const s = run.state;
  return s.life_cycle_state === 'INTERNAL_ERROR' && !s.result_state
    ? `Run ${run.run_id}: ${s.state_message}`
    : undefined;
}

export function runTable(run: Run): string {
  const rows = latestTaskRuns(run).map((t) => [
    t.task_key,
    taskLabel(t),
    String(t.attempt_number),
    formatDuration(t.run_duration),
    t.state.state_message.slice(0, 80),
  ]);
  return table(['TASK', 'STATE', 'ATTEMPT', 'DURATION', 'MESSAGE'], rows);
}

export function runHeadline(run: Run): string {
  const state = run.state.result_state ?? run.state.life_cycle_state;
  return `Run ${run.run_id}${run.job_id !== undefined ? ` of job ${run.job_id}` : ''} "${run.run_name}": ${state}${
    run.state.state_message ? ` — ${run.state.state_message}` : ''
  }`;
}

/** Follows a run on a terminal: redraws the task table in place on a TTY, prints changes otherwise. */
export class RunFollower {
  private drawnLines = 0;
  private lastStates = new Map<string, string>();

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(run: Run): void {
    if (this.out.isTTY) {
      const text = `${runHeadline(run)}\n${runTable(run)}\n`;
      if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
      this.out.write(text);
      this.drawnLines = text.split('\n').length - 1;
      return;
    }
    for (const t of latestTaskRuns(run)) {
      const label = `${taskLabel(t)}#${t.attempt_number}`;
      if (this.lastStates.get(t.task_key) !== label) {
        this.lastStates.set(t.task_key, label);
        this.out.write(
          `${t.task_key}: ${taskLabel(t)}${t.attempt_number > 0 ? ` (attempt ${t.attempt_number})` : ''}\n`
        );
      }
    }
  }
}
