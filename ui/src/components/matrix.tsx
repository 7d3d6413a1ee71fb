// The run matrix (Airflow's grid): recent runs as columns, oldest on the left, tasks as rows in
// the job's order; each cell is the task's latest attempt in that run, colored by its result,
// with its duration. A cell opens that task of that run.
import type { Run } from '../api';
import { duration, when } from '../format';
import { href } from '../router';
import { LOOK_LABEL, latestAttempts, lookOf } from '../states';

export function RunMatrix({ runs, taskKeys }: { runs: Run[]; taskKeys: string[] }) {
  const columns = [...runs].sort((a, b) => a.start_time - b.start_time);
  const cells = columns.map((r) => latestAttempts(r));
  // Tasks the job no longer has still show for the runs that had them.
  const keys = [...taskKeys, ...new Set(columns.flatMap((r) => r.tasks.map((t) => t.task_key)))].filter(
    (k, i, all) => all.indexOf(k) === i
  );
  if (columns.length === 0) return <p class="muted">No runs yet.</p>;
  return (
    <div class="matrix-wrap">
      <table class="matrix" aria-label="Run matrix: runs as columns, tasks as rows">
        <thead>
          <tr>
            <th scope="col" class="mx-key">
              Task
            </th>
            {columns.map((r) => {
              const look = lookOf(r);
              return (
                <th scope="col" key={r.run_id} data-run-column={r.run_id}>
                  <a
                    class={`mx-run s-${look}`}
                    href={href.run(r.run_id)}
                    title={`Run ${r.run_id}: ${LOOK_LABEL[look]}, started ${when(r.start_time)}, ${duration(r.run_duration)}`}
                  >
                    <span class="mx-bar" />
                    <span class="mx-time">{duration(r.run_duration)}</span>
                  </a>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key}>
              <th scope="row" class="mx-key" title={key}>
                {key}
              </th>
              {columns.map((r, i) => {
                const t = cells[i]!.get(key);
                if (!t) return <td key={r.run_id} class="mx-empty" />;
                const look = lookOf(t);
                const label = `${key} in run ${r.run_id}: ${LOOK_LABEL[look]}${t.attempt_number > 0 ? ` after ${t.attempt_number} retries` : ''}, ${duration(t.run_duration)}`;
                return (
                  <td key={r.run_id}>
                    <a class={`mx-cell s-${look}`} href={href.run(r.run_id, key)} title={label} aria-label={label}>
                      {t.start_time ? duration(t.run_duration) : ''}
                      {t.attempt_number > 0 && <sup>↻{t.attempt_number}</sup>}
                    </a>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
