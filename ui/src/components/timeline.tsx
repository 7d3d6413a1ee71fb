// The run's Gantt: one row per task, one bar per attempt (colored by its result), the wait before
// each retry hatched, the run's time in the job queue on the first row. Rows are virtualized so a
// 1000-task run scrolls as smoothly as a 10-task one.
import { useMemo, useState } from 'preact/hooks';
import type { Run, RunTask } from '../api';
import { duration, when } from '../format';
import { LOOK_LABEL, lookOf } from '../states';

const ROW = 26;
const VIEW_ROWS = 16;

interface Row {
  key: string;
  attempts: RunTask[];
}

function ticks(span: number): number[] {
  const steps = [1e3, 2e3, 5e3, 1e4, 3e4, 6e4, 12e4, 3e5, 6e5, 18e5, 36e5, 72e5, 216e5, 864e5];
  const step = steps.find((s) => span / s <= 6) ?? 864e5;
  const out: number[] = [];
  for (let t = step; t < span; t += step) out.push(t);
  return out;
}

export function Timeline({
  run,
  now,
  selected,
  onSelect,
}: {
  run: Run;
  now: number;
  selected?: string | undefined;
  onSelect: (key: string, attemptRunId?: number) => void;
}) {
  const rows = useMemo(() => {
    const by = new Map<string, RunTask[]>();
    for (const t of run.tasks) by.set(t.task_key, [...(by.get(t.task_key) ?? []), t]);
    const list: Row[] = [...by].map(([key, attempts]) => ({ key, attempts }));
    const first = (r: Row) => r.attempts.find((a) => a.start_time)?.start_time ?? Number.MAX_SAFE_INTEGER;
    return list.sort((a, b) => first(a) - first(b));
  }, [run]);
  const [top, setTop] = useState(0);
  const start = run.start_time;
  const end = Math.max(run.end_time || now, ...run.tasks.map((t) => t.end_time || (t.start_time ? now : 0)));
  const span = Math.max(1000, end - start);
  const pct = (t: number) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `${Math.max(0.25, ((b - a) / span) * 100).toFixed(3)}%`;
  const first = Math.max(0, Math.floor(top / ROW) - 4);
  const shown = rows.slice(first, first + VIEW_ROWS + 8);
  const queued = run.queue_duration > 0 ? run.queue_duration : 0;
  return (
    <div class="timeline" aria-label="Timeline of task attempts">
      <div class="tl-row tl-axis" aria-hidden="true">
        <span class="tl-label muted">{when(start)}</span>
        <span class="tl-track">
          {ticks(span).map((t) => (
            <span key={t} class="tick" style={{ left: pct(start + t) }}>
              +{duration(t)}
            </span>
          ))}
        </span>
      </div>
      <div class="tl-row tl-run">
        <span class="tl-label">run</span>
        <span class="tl-track">
          {queued > 0 && (
            <span
              class="bar s-queued"
              style={{ left: pct(start), width: width(start, start + queued) }}
              title={`Queued ${duration(queued)}`}
            />
          )}
          <span
            class={`bar s-${lookOf(run)}`}
            style={{ left: pct(start + queued), width: width(start + queued, run.end_time || now) }}
            title={`Run ${LOOK_LABEL[lookOf(run)]}, ${duration((run.end_time || now) - start)}`}
          />
        </span>
      </div>
      <div
        class="tl-body"
        style={{ height: `${Math.min(rows.length, VIEW_ROWS) * ROW}px` }}
        onScroll={(e) => setTop((e.currentTarget as HTMLElement).scrollTop)}
      >
        <div style={{ height: `${rows.length * ROW}px`, position: 'relative' }}>
          {shown.map((r, i) => (
            <div
              key={r.key}
              class={`tl-row${selected === r.key ? ' selected' : ''}`}
              style={{ position: 'absolute', top: `${(first + i) * ROW}px`, left: 0, right: 0 }}
              data-timeline-task={r.key}
            >
              <button type="button" class="tl-label linkish" onClick={() => onSelect(r.key)} title={r.key}>
                {r.key}
              </button>
              <span class="tl-track">
                {r.attempts.map((a, j) => {
                  const next = r.attempts[j + 1];
                  const look = lookOf(a);
                  const aEnd = a.end_time || (a.start_time ? now : 0);
                  return (
                    <>
                      {a.start_time > 0 && (
                        <button
                          type="button"
                          key={a.run_id}
                          class={`bar s-${look}`}
                          style={{ left: pct(a.start_time), width: width(a.start_time, aEnd) }}
                          title={`${r.key} attempt ${a.attempt_number + 1}: ${LOOK_LABEL[look]}, ${duration(aEnd - a.start_time)}`}
                          aria-label={`${r.key} attempt ${a.attempt_number + 1}: ${LOOK_LABEL[look]}`}
                          data-attempt={a.attempt_number}
                          onClick={() => onSelect(r.key, a.run_id)}
                        />
                      )}
                      {next && a.end_time > 0 && (
                        <span
                          class="bar wait"
                          style={{ left: pct(a.end_time), width: width(a.end_time, next.start_time || now) }}
                          title={`Waiting ${duration((next.start_time || now) - a.end_time)} before the next attempt`}
                          data-retry-wait={j + 1}
                        />
                      )}
                    </>
                  );
                })}
              </span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
