// One job: its DAG, the run matrix of its recent runs, its settings (JSON or YAML), permissions
// and triggers; run-now and pause where permitted.
import { useState } from 'preact/hooks';
import YAML from 'yaml';
import { can, jobLevel, type Principal } from '../access';
import { get, type AclEntry, type Job, type Run, type RunTask } from '../api';
import { RunNowButton } from '../components/actions';
import { Badge, ErrorNote, Loading, triggerOf } from '../components/common';
import { Dag } from '../components/dag';
import { RunMatrix } from '../components/matrix';
import { ago, duration, when } from '../format';
import { usePoll } from '../hooks';
import { go, href } from '../router';
import { latestAttempts, lookOf } from '../states';
import { PauseButton } from './jobs';

const TABS = [
  ['overview', 'Overview'],
  ['settings', 'Settings'],
  ['permissions', 'Permissions'],
  ['triggers', 'Triggers'],
] as const;

export function JobPage({ who, jobId, tab }: { who: Principal; jobId: number; tab: string }) {
  const job = usePoll(
    async () => {
      const [j, level] = await Promise.all([get<Job>('2.1/jobs/get', { job_id: jobId }), jobLevel(who, jobId)]);
      return { job: j, level };
    },
    [jobId],
    10_000
  );
  const runs = usePoll(
    async () =>
      (await get<{ runs?: Run[] }>('2.1/jobs/runs/list', { job_id: jobId, limit: 25, expand_tasks: true })).runs ?? [],
    [jobId],
    3000
  );
  if (job.error) return <ErrorNote error={job.error} />;
  if (!job.data) return <Loading />;
  const { job: j, level } = job.data;
  const t = triggerOf(j);
  const last = runs.data?.[0];
  const lastTasks = last ? latestAttempts(last) : new Map<string, RunTask>();
  return (
    <section aria-labelledby="job-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.jobs()}>Jobs</a> / <span>#{j.job_id}</span>
      </nav>
      <div class="page-head">
        <div>
          <h1 id="job-title">{j.settings.name ?? `Job ${j.job_id}`}</h1>
          <p class="muted">
            {t.words}
            {t.paused && <span class="tag paused">Paused</span>}
            {t.next ? ` · next run ${ago(t.next)} (${when(t.next)})` : ''} · owner {j.creator_user_name ?? '–'} · runs
            as {j.run_as_user_name ?? '–'}
            {last && (
              <>
                {' '}
                · last run <Badge look={lookOf(last)} />
              </>
            )}
          </p>
          {j.settings.description && <p>{j.settings.description}</p>}
        </div>
        <div class="actions">
          {can.run(level) && <RunNowButton job={j} />}
          {can.manage(level) && <PauseButton job={j} onDone={job.refresh} />}
          <a class="button" href={href.runs({ job_id: j.job_id })}>
            All runs
          </a>
        </div>
      </div>
      <div class="tabs" role="tablist" aria-label="Job views">
        {TABS.map(([id, label]) => (
          <a
            key={id}
            role="tab"
            aria-selected={tab === id}
            href={href.job(j.job_id, id)}
            class={tab === id ? 'active' : ''}
          >
            {label}
          </a>
        ))}
      </div>
      {tab === 'overview' && (
        <div role="tabpanel">
          <h2>Tasks</h2>
          <p class="muted small">
            {last ? `Colored by the latest run (${last.run_id}); a task opens it there.` : 'No runs yet.'}
          </p>
          <Dag
            tasks={j.settings.tasks.map((task) => {
              const t = lastTasks.get(task.task_key);
              return {
                key: task.task_key,
                deps: (task.depends_on ?? []).map((d) => d.task_key),
                ...(t ? { look: lookOf(t) } : {}),
                ...(t?.start_time ? { note: duration((t.end_time || Date.now()) - t.start_time) } : {}),
              };
            })}
            onSelect={(key) => last && go(href.run(last.run_id, key))}
          />
          <h2>Runs</h2>
          <ErrorNote error={runs.error} />
          {runs.data ? <RunMatrix runs={runs.data} taskKeys={j.settings.tasks.map((x) => x.task_key)} /> : <Loading />}
        </div>
      )}
      {tab === 'settings' && <SettingsView job={j} />}
      {tab === 'permissions' && <PermissionsView jobId={j.job_id} />}
      {tab === 'triggers' && <TriggersView job={j} />}
    </section>
  );
}

function SettingsView({ job }: { job: Job }) {
  const [format, setFormat] = useState<'json' | 'yaml'>('yaml');
  const text = format === 'json' ? JSON.stringify(job.settings, null, 2) : YAML.stringify(job.settings);
  return (
    <div role="tabpanel">
      <div class="segmented" role="group" aria-label="Format">
        {(['yaml', 'json'] as const).map((f) => (
          <button key={f} type="button" aria-pressed={format === f} onClick={() => setFormat(f)}>
            {f.toUpperCase()}
          </button>
        ))}
        <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
          Copy
        </button>
      </div>
      <pre class="code" tabIndex={0} aria-label={`Job settings as ${format.toUpperCase()}`}>
        {text}
      </pre>
    </div>
  );
}

function PermissionsView({ jobId }: { jobId: number }) {
  const perms = usePoll(() => get<{ access_control_list?: AclEntry[] }>(`2.0/permissions/jobs/${jobId}`), [jobId], 0);
  if (perms.error) return <ErrorNote error={perms.error} />;
  if (!perms.data) return <Loading />;
  return (
    <div role="tabpanel">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Kind</th>
            <th scope="col">Permission</th>
          </tr>
        </thead>
        <tbody>
          {(perms.data.access_control_list ?? []).flatMap((e) =>
            e.all_permissions.map((p) => (
              <tr key={`${e.user_name ?? e.group_name ?? e.service_principal_name}-${p.permission_level}`}>
                <td>{e.user_name ?? e.group_name ?? e.service_principal_name}</td>
                <td>{e.user_name ? 'user' : e.group_name ? 'group' : 'service principal'}</td>
                <td>
                  <code>{p.permission_level}</code>
                  {p.inherited && <span class="muted"> (inherited from {p.inherited_from_object?.join(', ')})</span>}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

function TriggersView({ job }: { job: Job }) {
  const s = job.settings;
  const t = triggerOf(job);
  const items: [string, unknown][] = [
    ['schedule', s.schedule],
    ['trigger', s.trigger],
    ['continuous', s.continuous],
  ];
  return (
    <div role="tabpanel">
      <p>
        Starts <strong>{t.words}</strong>
        {t.paused ? ' (paused)' : ''}
        {t.next ? `; next run ${when(t.next)}` : ''}. Runs can always be started by hand (run now) or through the API.
      </p>
      {s.max_concurrent_runs !== undefined && <p>At most {s.max_concurrent_runs} concurrent runs.</p>}
      {items
        .filter(([, v]) => v !== undefined)
        .map(([name, v]) => (
          <div key={name}>
            <h3>{name}</h3>
            <pre class="code">{YAML.stringify(v)}</pre>
          </div>
        ))}
    </div>
  );
}
