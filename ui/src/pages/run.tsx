// One run, live: the DAG colored by task state, the Gantt of every attempt, and the task pane
// (parameters, error, log tail following live). Cancel, pause, resume, repair and run-now appear
// only when the principal may use them; a link opens the run in the Temporal UI.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can, runLevel, type Principal } from '../access';
import { get, post, type Run, type RunOutput, type RunTask } from '../api';
import { RepairDialog, RunNowButton, useAction } from '../components/actions';
import { Badge, ErrorNote, Loading, temporalUi } from '../components/common';
import { Dag } from '../components/dag';
import { Timeline } from '../components/timeline';
import { duration, when } from '../format';
import { useNow, usePoll } from '../hooks';
import { go, href } from '../router';
import { NEEDS_REPAIR, attemptsOf, isActive, latestAttempts, lookOf, repairSelection } from '../states';

export function RunPage({ who, runId, task }: { who: Principal; runId: number; task: string | undefined }) {
  const active = useRef(true);
  const run = usePoll(
    async () => {
      const r = await get<Run>('2.1/jobs/runs/get', { run_id: runId });
      active.current = isActive(r);
      return { run: r, level: await runLevel(who, r) };
    },
    [runId],
    () => (active.current ? 1000 : 5000)
  );
  const now = useNow(1000);
  const [attempt, setAttempt] = useState<number | undefined>(undefined);
  const [repairing, setRepairing] = useState(false);
  const [busy, error, act] = useAction();
  const data = run.data;
  const latest = useMemo(() => (data ? latestAttempts(data.run) : new Map<string, RunTask>()), [data]);
  const dagTasks = useMemo(() => {
    if (!data) return [];
    return [...latest.values()].map((t) => ({
      key: t.task_key,
      deps: (t.depends_on ?? []).map((d) => d.task_key),
      look: lookOf(t),
      ...(t.start_time ? { note: duration((t.end_time || Date.now()) - t.start_time) } : {}),
    }));
  }, [data, latest]);
  if (run.error && !data) return <ErrorNote error={run.error} />;
  if (!data) return <Loading />;
  const { run: r, level } = data;
  const look = lookOf(r);
  const paused = isActive(r) && r.state.state_message.startsWith('Paused');
  const selectedKey = task ?? [...latest.values()].find((t) => NEEDS_REPAIR.has(lookOf(t)))?.task_key;
  const select = (key: string, n?: number) => {
    setAttempt(n);
    go(href.run(r.run_id, key));
  };
  const failed = [...latest.values()].filter((t) => NEEDS_REPAIR.has(lookOf(t))).map((t) => t.task_key);
  const action = (name: string, path: string) =>
    act(name, async () => {
      await post(`2.1/jobs/runs/${path}`, { run_id: r.run_id });
      run.refresh();
    });
  const ui = temporalUi();
  return (
    <section aria-labelledby="run-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.jobs()}>Jobs</a> /{' '}
        {r.job_id !== undefined ? <a href={href.job(r.job_id)}>#{r.job_id}</a> : <a href={href.runs()}>Runs</a>} /{' '}
        <span>run {r.run_id}</span>
      </nav>
      <div class="page-head">
        <div>
          <h1 id="run-title">
            {r.run_name} <Badge look={look}>{paused ? 'Paused' : undefined}</Badge>
          </h1>
          <p class="muted">
            Run {r.run_id} · {r.trigger.replace(/_/g, ' ').toLowerCase()} · started {when(r.start_time)} by{' '}
            {r.creator_user_name ?? '–'} · {duration(r.run_duration || now - r.start_time)}
            {r.queue_duration > 0 ? ` · queued ${duration(r.queue_duration)}` : ''}
            {r.repair_history
              ? ` · ${r.repair_history.length - 1} repair${r.repair_history.length === 2 ? '' : 's'}`
              : ''}
          </p>
          {r.state.state_message && <p class="state-message">{r.state.state_message}</p>}
        </div>
        <div class="actions">
          {can.run(level) && isActive(r) && (
            <>
              <button
                type="button"
                data-action="cancel"
                disabled={!!busy}
                onClick={() => void action('Cancel', 'cancel')}
              >
                Cancel
              </button>
              {paused ? (
                <button
                  type="button"
                  data-action="resume"
                  disabled={!!busy}
                  onClick={() => void action('Resume', 'resume')}
                >
                  ▶ Resume
                </button>
              ) : (
                <button
                  type="button"
                  data-action="pause"
                  disabled={!!busy}
                  onClick={() => void action('Pause', 'pause')}
                >
                  Pause
                </button>
              )}
            </>
          )}
          {can.run(level) && !isActive(r) && (
            <button
              type="button"
              class={look === 'success' ? '' : 'primary'}
              data-action="repair"
              onClick={() => setRepairing(true)}
            >
              ↻ Repair run
            </button>
          )}
          {can.run(level) && r.job_id !== undefined && (
            <RunNowButton
              job={{
                job_id: r.job_id,
                settings: {
                  tasks: [],
                  parameters: r.job_parameters.map(({ name, default: d }) => ({ name, default: d })),
                },
              }}
            />
          )}
          {ui && (
            <a class="button" href={`${ui}/workflows/djobs-run-${r.run_id}`} target="_blank" rel="noreferrer">
              Temporal UI ↗
            </a>
          )}
        </div>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {repairing && (
        <RepairDialog
          run={r}
          preselected={repairSelection(r, failed)}
          onClose={() => setRepairing(false)}
          onRepaired={() => {
            setRepairing(false);
            run.refresh();
          }}
        />
      )}
      <div class="run-grid">
        <div class="run-main">
          <h2>Graph</h2>
          <Dag tasks={dagTasks} selected={selectedKey} onSelect={(k) => select(k)} />
          <h2>Timeline</h2>
          <Timeline run={r} now={now} selected={selectedKey} onSelect={select} />
          {r.job_parameters.length > 0 && (
            <>
              <h2>Parameters</h2>
              <dl class="facts">
                {r.job_parameters.map((p) => (
                  <>
                    <dt>{p.name}</dt>
                    <dd>
                      <code>{p.value}</code>
                      {p.value !== p.default && <span class="muted"> (default {p.default})</span>}
                    </dd>
                  </>
                ))}
              </dl>
            </>
          )}
        </div>
        <aside class="task-pane" aria-label="Task">
          {selectedKey && latest.get(selectedKey) ? (
            <TaskPane run={r} taskKey={selectedKey} attempt={attempt} onAttempt={setAttempt} now={now} />
          ) : (
            <p class="muted">Select a task in the graph or the timeline to see its parameters, error and log.</p>
          )}
        </aside>
      </div>
    </section>
  );
}

/** "Try 1", "Retry 1", and "Repair 1 · try 1" for the attempts a repair started. */
function attemptLabel(attempts: RunTask[], a: RunTask): string {
  const i = attempts.indexOf(a);
  const executions = attempts.slice(0, i + 1).filter((x) => x.attempt_number === 0).length - 1;
  const own = a.attempt_number === 0 ? 'first try' : `retry ${a.attempt_number}`;
  return executions === 0 ? own.replace(/^f/, 'F').replace(/^r/, 'R') : `Repair ${executions} · ${own}`;
}

/** The task's settings without the fields every task has: what it runs and with which parameters. */
function taskParameters(t: RunTask): Record<string, unknown> {
  const {
    task_key: _k,
    depends_on: _d,
    run_if: _r,
    run_id: _id,
    attempt_number: _a,
    state: _s,
    status: _st,
    start_time: _st2,
    end_time: _e,
    setup_duration: _sd,
    execution_duration: _ed,
    cleanup_duration: _cd,
    run_duration: _rd,
    queue_duration: _qd,
    run_page_url: _u,
    cluster_instance: _ci,
    djobs_worker: _w,
    djobs_lost_workers: _lw,
    ...rest
  } = t;
  return rest;
}

function TaskPane({
  run,
  taskKey,
  attempt,
  onAttempt,
  now,
}: {
  run: Run;
  taskKey: string;
  attempt: number | undefined;
  onAttempt: (n: number) => void;
  now: number;
}) {
  const attempts = attemptsOf(run, taskKey);
  const t = attempts.find((a) => a.run_id === attempt) ?? attempts[attempts.length - 1]!;
  const look = lookOf(t);
  const live = look === 'running';
  const [follow, setFollow] = useState(true);
  const output = usePoll(
    () =>
      t.start_time
        ? get<RunOutput>('2.1/jobs/runs/get-output', { run_id: t.run_id })
        : Promise.resolve({} as RunOutput),
    [t.run_id, look],
    live ? 1500 : 0
  );
  const logRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (follow && logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
  }, [output.data?.logs, follow]);
  return (
    <div data-task-pane={taskKey}>
      <h2 class="pane-title">
        {taskKey} <Badge look={look} />
      </h2>
      {attempts.length > 1 && (
        <div class="segmented" role="group" aria-label="Attempts">
          {attempts.map((a) => (
            <button
              key={a.run_id}
              type="button"
              aria-pressed={a.run_id === t.run_id}
              class={`s-${lookOf(a)}`}
              onClick={() => onAttempt(a.run_id)}
            >
              {attemptLabel(attempts, a)}
            </button>
          ))}
        </div>
      )}
      <dl class="facts">
        <dt>Task run</dt>
        <dd>{t.run_id}</dd>
        <dt>Started</dt>
        <dd>{when(t.start_time)}</dd>
        <dt>Duration</dt>
        <dd>{t.start_time ? duration((t.end_time || now) - t.start_time) : '–'}</dd>
        <dt>Depends on</dt>
        <dd>{(t.depends_on ?? []).map((d) => d.task_key).join(', ') || '–'}</dd>
        <dt>Run if</dt>
        <dd>{t.run_if}</dd>
        {t.state.state_message && (
          <>
            <dt>Message</dt>
            <dd>{t.state.state_message}</dd>
          </>
        )}
        {t.djobs_worker && (
          <>
            <dt>Worker</dt>
            <dd data-task-worker>
              {t.djobs_worker.process}
              {t.djobs_worker.lost ? `, lost: last heard ${when(t.djobs_worker.last_heard_time)}` : ''}
            </dd>
          </>
        )}
        {(t.djobs_lost_workers ?? []).map((w) => (
          <>
            <dt>Lost worker</dt>
            <dd data-lost-worker>
              {w.process}, last heard {when(w.last_heard_time)}
            </dd>
          </>
        ))}
      </dl>
      <h3>Parameters</h3>
      <pre class="code small">{JSON.stringify(taskParameters(t), null, 2)}</pre>
      {output.data?.error && (
        <>
          <h3>Error</h3>
          <pre class="code error-box" data-task-error>
            {output.data.error}
          </pre>
        </>
      )}
      {output.data?.task_values && (
        <>
          <h3>Task values</h3>
          <dl class="facts" data-task-values>
            {Object.entries(output.data.task_values).map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>
                  <code>{JSON.stringify(v)}</code>
                </dd>
              </>
            ))}
          </dl>
        </>
      )}
      {output.data?.notebook_output?.result !== undefined && (
        <>
          <h3>Result</h3>
          <pre class="code small">{output.data.notebook_output.result}</pre>
        </>
      )}
      {(output.data?.djobs_lost_workers ?? []).map((w) => (
        <>
          <h3>Log on lost worker {w.process} (its last heartbeat's tail)</h3>
          <pre class="code log small" data-lost-worker-log>
            {w.logs || 'No output.'}
          </pre>
        </>
      ))}
      <div class="log-head">
        <h3>Log{output.data?.logs_truncated ? ' (tail)' : ''}</h3>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          Follow
        </label>
      </div>
      <pre
        class="code log"
        ref={logRef}
        tabIndex={0}
        aria-label={`Log of ${taskKey}`}
        aria-live={live ? 'polite' : 'off'}
        data-task-log
      >
        {output.data?.logs ?? (t.start_time ? (live ? 'Waiting for output…' : 'No output.') : 'Not started.')}
      </pre>
      <ErrorNote error={output.error} />
    </div>
  );
}
