// Every job the principal may view: how it starts (schedule in words, next fire), paused or not,
// its last 20 runs as cells, and run-now / pause where permitted; search and filter.
import { useMemo, useState } from 'preact/hooks';
import { can, jobLevel, type PermissionLevel, type Principal } from '../access';
import { get, listAllJobs, post, type Job, type Run } from '../api';
import { RunNowButton, useAction } from '../components/actions';
import { ErrorNote, Loading, RunCell, triggerOf } from '../components/common';
import { ago, when } from '../format';
import { usePoll } from '../hooks';
import { href } from '../router';
import { lookOf } from '../states';

interface Row {
  job: Job;
  runs: Run[];
  level: PermissionLevel | undefined;
}

async function loadRows(who: Principal): Promise<Row[]> {
  const jobs = await listAllJobs();
  return Promise.all(
    jobs.map(async (job) => {
      const [page, level] = await Promise.all([
        get<{ runs?: Run[] }>('2.1/jobs/runs/list', { job_id: job.job_id, limit: 20 }).catch(() => ({ runs: [] })),
        jobLevel(who, job.job_id),
      ]);
      return { job, runs: page.runs ?? [], level };
    })
  );
}

type Filter = 'all' | 'scheduled' | 'paused' | 'failing' | 'running';

/** The job's pause switch: a schedule, trigger or continuous setting (jobs/update, CAN_MANAGE). */
function pauseChange(job: Job, pause: boolean): Record<string, unknown> | undefined {
  const status = pause ? 'PAUSED' : 'UNPAUSED';
  const s = job.settings;
  if (s.schedule) return { schedule: { ...s.schedule, pause_status: status } };
  if (s.trigger) return { trigger: { ...s.trigger, pause_status: status } };
  if (s.continuous) return { continuous: { ...s.continuous, pause_status: status } };
  return undefined;
}

export function PauseButton({ job, onDone }: { job: Job; onDone: () => void }) {
  const [busy, error, act] = useAction();
  const paused = triggerOf(job).paused;
  if (paused === undefined) return null;
  return (
    <>
      <button
        type="button"
        disabled={busy !== undefined}
        data-action={paused ? 'unpause' : 'pause'}
        onClick={() =>
          void act(paused ? 'Resume' : 'Pause', async () => {
            await post('2.1/jobs/update', { job_id: job.job_id, new_settings: pauseChange(job, !paused) });
            onDone();
          })
        }
      >
        {paused ? 'Resume schedule' : 'Pause schedule'}
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

export function JobsPage({ who }: { who: Principal }) {
  const { data, error, refresh } = usePoll(() => loadRows(who), [who.name], 5000);
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (data ?? [])
      .filter(
        (r) =>
          !q ||
          `${r.job.settings.name ?? ''} ${r.job.job_id} ${r.job.creator_user_name ?? ''}`.toLowerCase().includes(q)
      )
      .filter((r) => {
        const t = triggerOf(r.job);
        const last = r.runs[0];
        switch (filter) {
          case 'all':
            return true;
          case 'scheduled':
            return t.paused === false;
          case 'paused':
            return t.paused === true;
          case 'failing':
            return last !== undefined && ['failed', 'timedout'].includes(lookOf(last));
          case 'running':
            return r.runs.some((x) => ['running', 'queued', 'pending'].includes(lookOf(x)));
        }
      })
      .sort((a, b) => (a.job.settings.name ?? '').localeCompare(b.job.settings.name ?? ''));
  }, [data, search, filter]);
  return (
    <section aria-labelledby="jobs-title">
      <div class="page-head">
        <h1 id="jobs-title">Jobs</h1>
        <div class="filters" role="search">
          <input
            type="search"
            placeholder="Search jobs by name, id or creator"
            aria-label="Search jobs"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <select aria-label="Filter jobs" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
            <option value="all">All jobs</option>
            <option value="running">Running now</option>
            <option value="failing">Last run failed</option>
            <option value="scheduled">Scheduled</option>
            <option value="paused">Paused</option>
          </select>
        </div>
      </div>
      <ErrorNote error={error} />
      {!data && !error && <Loading />}
      {data && (
        <table class="list jobs-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Trigger</th>
              <th scope="col">Next run</th>
              <th scope="col">Recent runs</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={5} class="muted">
                  {data.length === 0
                    ? 'No jobs yet. Create one with the API or `djobs jobs create`.'
                    : 'No job matches.'}
                </td>
              </tr>
            )}
            {rows.map(({ job, runs, level }) => {
              const t = triggerOf(job);
              return (
                <tr key={job.job_id} data-job-id={job.job_id}>
                  <td data-label="Name">
                    <a href={href.job(job.job_id)} class="job-name">
                      {job.settings.name ?? `Job ${job.job_id}`}
                    </a>
                    <div class="muted small">
                      #{job.job_id} · {job.settings.tasks.length} task{job.settings.tasks.length === 1 ? '' : 's'} ·{' '}
                      {job.creator_user_name ?? ''}
                    </div>
                  </td>
                  <td data-label="Trigger">
                    {t.words}
                    {t.paused && <span class="tag paused">Paused</span>}
                  </td>
                  <td data-label="Next run" title={t.next ? when(t.next) : ''}>
                    {t.next ? ago(t.next) : <span class="muted">–</span>}
                  </td>
                  <td data-label="Recent runs">
                    <div class="cells" aria-label={`Last ${runs.length} runs`}>
                      {[...runs].reverse().map((r) => (
                        <RunCell key={r.run_id} run={r} />
                      ))}
                    </div>
                  </td>
                  <td class="actions">
                    {can.run(level) && <RunNowButton job={job} />}
                    {can.manage(level) && <PauseButton job={job} onDone={refresh} />}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
