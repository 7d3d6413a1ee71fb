// What every chat and incident receiver says about a notification, in one place: a headline and
// the facts (job, run, state, start, duration, failed tasks). Each sender lays these out in its
// receiver's format.
import type { NotificationMessage } from '../core/notifications/message';

/** `Job "nightly" run 42 failed`, `Task "ingest" of job "nightly" (run 42) failed`, … */
export function headline(m: NotificationMessage): string {
  const what = m.task
    ? `Task "${m.task.task_key}" of job "${m.job.name}" (run ${m.run.run_id})`
    : `Job "${m.job.name}" run ${m.run.run_id}`;
  return `${what} ${happened(m)}`;
}

function happened(m: NotificationMessage): string {
  const result = m.task?.result_state ?? m.run.result_state;
  switch (m.event) {
    case 'on_start':
      return 'started';
    case 'on_success':
      return result && result !== 'SUCCESS' ? `succeeded (${result})` : 'succeeded';
    case 'on_failure':
      return result && result !== 'FAILED' ? `failed (${result})` : 'failed';
    case 'on_duration_warning_threshold_exceeded':
      return `has been running longer than ${m.threshold_seconds ?? '?'} s`;
    default:
      return m.event satisfies never;
  }
}

/** Label/value pairs shown under the headline. */
export function facts(m: NotificationMessage): [string, string][] {
  const state = [m.run.life_cycle_state, m.run.result_state].filter(Boolean).join(' / ');
  const out: [string, string][] = [
    ['Job', `${m.job.name} (${m.job.job_id})`],
    ['Run', `${m.run.run_name} (${m.run.run_id})`],
  ];
  if (m.task) out.push(['Task', `${m.task.task_key} (run ${m.task.run_id}, attempt ${m.task.attempt_number})`]);
  out.push(['State', state], ['Started', new Date(m.run.start_time).toISOString()]);
  if (m.run.duration_ms !== undefined) out.push(['Duration', formatDuration(m.run.duration_ms)]);
  if (m.run.state_message) out.push(['Message', m.run.state_message]);
  return out;
}

/** One line per failed task: `ingest: ValueError: bad row`. */
export function failedTaskLines(m: NotificationMessage): string[] {
  const tasks = m.task?.error ? [{ task_key: m.task.task_key, error: m.task.error }] : m.run.failed_tasks;
  return tasks.map((t) => `${t.task_key}: ${firstLine(t.error)}`);
}

/** `1 h 2 min 3 s` */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts = [
    [Math.floor(s / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`);
  return shown.length > 0 ? shown.join(' ') : '0 s';
}

const firstLine = (text: string) => {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
};
