// Every run the principal may view, newest first, paged: filters by job, state, run type and
// start time go to runs/list; the trigger filter applies to the page shown.
import { useMemo } from 'preact/hooks';
import { get, listAllJobs, type Run } from '../api';
import { Badge, ErrorNote, Loading, TemporalRunsLink } from '../components/common';
import { duration, when } from '../format';
import { usePoll } from '../hooks';
import { go, href } from '../router';
import { lookOf } from '../states';

const TRIGGERS = ['ONE_TIME', 'PERIODIC', 'FILE_ARRIVAL', 'CONTINUOUS', 'RUN_JOB_TASK', 'RETRY'];
const PAGE = 25;

const toMs = (local: string | null) => (local ? new Date(local).getTime() : undefined);

export function RunsPage({ query }: { query: URLSearchParams }) {
  const q = Object.fromEntries(query) as Record<string, string | undefined>;
  const page = Number(q.page ?? 0);
  const jobs = usePoll(() => listAllJobs(), [], 0);
  const runs = usePoll(
    () =>
      get<{ runs?: Run[]; has_more: boolean }>('2.1/jobs/runs/list', {
        job_id: q.job_id,
        active_only: q.state === 'active' || undefined,
        completed_only: q.state === 'completed' || undefined,
        run_type: q.run_type,
        start_time_from: toMs(query.get('from')),
        start_time_to: toMs(query.get('to')),
        offset: page * PAGE,
        limit: PAGE,
      }),
    [query.toString()],
    3000
  );
  const shown = useMemo(
    () => (runs.data?.runs ?? []).filter((r) => !q.trigger || r.trigger === q.trigger),
    [runs.data, q.trigger]
  );
  const set = (k: string, v: string) => go(href.runs({ ...q, [k]: v || undefined, page: undefined }));
  const onChange = (k: string) => (e: Event) => set(k, (e.currentTarget as HTMLInputElement).value);
  const jobName = (id: number | undefined) => jobs.data?.find((j) => j.job_id === id)?.settings.name;
  return (
    <section aria-labelledby="runs-title">
      <div class="page-head">
        <h1 id="runs-title">Runs</h1>
        <TemporalRunsLink />
      </div>
      <form class="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Job
          <select value={q.job_id ?? ''} onChange={onChange('job_id')}>
            <option value="">All jobs</option>
            {(jobs.data ?? []).map((j) => (
              <option key={j.job_id} value={j.job_id}>
                {j.settings.name ?? `Job ${j.job_id}`}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={q.state ?? ''} onChange={onChange('state')}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="completed">Completed</option>
          </select>
        </label>
        <label>
          Trigger
          <select value={q.trigger ?? ''} onChange={onChange('trigger')}>
            <option value="">Any</option>
            {TRIGGERS.map((t) => (
              <option key={t} value={t}>
                {t.replace(/_/g, ' ').toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select value={q.run_type ?? ''} onChange={onChange('run_type')}>
            <option value="">Any</option>
            <option value="JOB_RUN">Job runs</option>
            <option value="SUBMIT_RUN">One-time runs</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={q.from ?? ''} onChange={onChange('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={q.to ?? ''} onChange={onChange('to')} />
        </label>
      </form>
      <ErrorNote error={runs.error} />
      {!runs.data && !runs.error && <Loading />}
      {runs.data && (
        <>
          <table class="list runs-table">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {shown.length === 0 && (
                <tr>
                  <td colSpan={6} class="muted">
                    No runs match.
                  </td>
                </tr>
              )}
              {shown.map((r) => (
                <tr key={r.run_id} data-run-id={r.run_id}>
                  <td data-label="Run">
                    <a href={href.run(r.run_id)}>{r.run_name}</a>
                    <div class="muted small">#{r.run_id}</div>
                  </td>
                  <td data-label="Job">
                    {r.job_id !== undefined ? (
                      <a href={href.job(r.job_id)}>{jobName(r.job_id) ?? `#${r.job_id}`}</a>
                    ) : (
                      <span class="muted">one-time</span>
                    )}
                  </td>
                  <td data-label="State">
                    <Badge look={lookOf(r)} />
                    {/* A run listed though its records cannot be read says why (docs/api.md). */}
                    {r.state.life_cycle_state === 'INTERNAL_ERROR' && !r.state.result_state && (
                      <div class="muted small">{r.state.state_message}</div>
                    )}
                  </td>
                  <td data-label="Trigger">{r.trigger.replace(/_/g, ' ').toLowerCase()}</td>
                  <td data-label="Started">{when(r.start_time)}</td>
                  <td data-label="Duration">{duration(r.run_duration)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={page === 0}
              onClick={() => go(href.runs({ ...q, page: page - 1 || undefined }))}
            >
              ← Newer
            </button>
            <span class="muted">Page {page + 1}</span>
            <button
              type="button"
              disabled={!runs.data.has_more}
              onClick={() => go(href.runs({ ...q, page: page + 1 }))}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
