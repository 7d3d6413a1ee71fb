// Run-now (with job parameters) and the run actions, each shown only when the signed-in
// principal's level allows it (the API checks again; a refusal is shown, never hidden).
import { useState } from 'preact/hooks';
import { post, type Job, type Run } from '../api';
import { go, href } from '../router';
import { Dialog } from './dialog';

export function useAction(): [
  busy: string | undefined,
  error: string | undefined,
  act: (name: string, f: () => Promise<unknown>) => Promise<void>,
] {
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const act = async (name: string, f: () => Promise<unknown>) => {
    setBusy(name);
    setError(undefined);
    try {
      await f();
    } catch (err) {
      setError(`${name}: ${(err as Error).message}`);
    } finally {
      setBusy(undefined);
    }
  };
  return [busy, error, act];
}

/** The parameters of a job with their defaults, or of a run with its values. */
function ParamFields({
  params,
  values,
  onChange,
}: {
  params: { name: string; default: string }[];
  values: Record<string, string>;
  onChange: (v: Record<string, string>) => void;
}) {
  if (params.length === 0) return null;
  return (
    <fieldset>
      <legend>Job parameters</legend>
      {params.map((p) => (
        <label key={p.name} class="field">
          <span>{p.name}</span>
          <input
            value={values[p.name] ?? p.default}
            onInput={(e) => onChange({ ...values, [p.name]: e.currentTarget.value })}
          />
        </label>
      ))}
    </fieldset>
  );
}

/** "Run now": at once for a job without parameters, else through a dialog to edit them. */
export function RunNowButton({
  job,
  onStarted,
}: {
  job: Pick<Job, 'job_id' | 'settings'>;
  onStarted?: (runId: number) => void;
}) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, error, act] = useAction();
  const params = job.settings.parameters ?? [];
  const start = () =>
    act('Run now', async () => {
      const { run_id } = await post<{ run_id: number }>('2.1/jobs/run-now', {
        job_id: job.job_id,
        ...(params.length ? { job_parameters: values } : {}),
      });
      setOpen(false);
      if (onStarted) onStarted(run_id);
      else go(href.run(run_id));
    });
  return (
    <>
      <button
        type="button"
        class="primary"
        disabled={busy !== undefined}
        onClick={() => (params.length ? setOpen(true) : void start())}
        data-action="run-now"
      >
        ▶ Run now
      </button>
      {error && !open && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
      {open && (
        <Dialog title={`Run ${job.settings.name ?? `job ${job.job_id}`}`} onClose={() => setOpen(false)}>
          <form
            method="dialog"
            onSubmit={(e) => {
              e.preventDefault();
              void start();
            }}
          >
            <ParamFields params={params} values={values} onChange={setValues} />
            {error && (
              <p class="error" role="alert">
                {error}
              </p>
            )}
            <div class="dialog-actions">
              <button type="submit" class="primary" disabled={busy !== undefined}>
                Run
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </>
  );
}

export function RepairDialog({
  run,
  preselected,
  onClose,
  onRepaired,
}: {
  run: Run;
  preselected: string[];
  onClose: () => void;
  onRepaired: () => void;
}) {
  const keys = [...new Set(run.tasks.map((t) => t.task_key))];
  const [chosen, setChosen] = useState(new Set(preselected));
  const [values, setValues] = useState<Record<string, string>>(
    Object.fromEntries(run.job_parameters.map((p) => [p.name, p.value]))
  );
  const [busy, error, act] = useAction();
  const submit = () =>
    act('Repair', async () => {
      await post('2.1/jobs/runs/repair', {
        run_id: run.run_id,
        rerun_tasks: keys.filter((k) => chosen.has(k)),
        ...(run.job_parameters.length ? { job_parameters: values } : {}),
      });
      onRepaired();
    });
  return (
    <Dialog title={`Repair run ${run.run_id}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset class="task-picks">
          <legend>Tasks to re-run (failed tasks and their dependents are selected)</legend>
          {keys.map((k) => (
            <label key={k} class="check">
              <input
                type="checkbox"
                name="rerun"
                value={k}
                checked={chosen.has(k)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.currentTarget.checked) next.add(k);
                  else next.delete(k);
                  setChosen(next);
                }}
              />
              {k}
            </label>
          ))}
        </fieldset>
        <ParamFields params={run.job_parameters} values={values} onChange={setValues} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button
            type="submit"
            class="primary"
            disabled={busy !== undefined || chosen.size === 0}
            data-action="repair-submit"
          >
            Repair {chosen.size} task{chosen.size === 1 ? '' : 's'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
