// Small shared pieces: state badges, run cells, errors, the trigger of a job in words, links to
// the Temporal UI.
import type { ComponentChildren } from 'preact';
import { nextFireTime } from '../../../core/cron/describe';
import { jobTriggerInWords } from '../../../core/cron/job-trigger';
import type { Job, Run } from '../api';
import { duration, when } from '../format';
import { href } from '../router';
import { LOOK_LABEL, lookOf, type Look } from '../states';

export function Badge({ look, children }: { look: Look; children?: ComponentChildren }) {
  return (
    <span class={`badge s-${look}`} data-state={look}>
      <i class="dot" aria-hidden="true" />
      {children ?? LOOK_LABEL[look]}
    </span>
  );
}

/** A run as one colored cell linking to it (the last runs of a job). */
export function RunCell({ run }: { run: Run }) {
  const look = lookOf(run);
  const label = `Run ${run.run_id}: ${LOOK_LABEL[look]}, ${when(run.start_time)}, ${duration(run.run_duration)}`;
  return <a class={`cell s-${look}`} href={href.run(run.run_id)} title={label} aria-label={label} data-state={look} />;
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  );
}

/** How a job starts, in words: its schedule, file arrival, continuous, or by hand. */
export function triggerOf(job: Job): { words: string; paused: boolean | undefined; next?: number } {
  const s = job.settings;
  const trigger = jobTriggerInWords(s);
  const next =
    s.schedule && !trigger.paused
      ? nextFireTime(s.schedule.quartz_cron_expression, s.schedule.timezone_id, Date.now())
      : undefined;
  return { ...trigger, ...(next !== undefined ? { next } : {}) };
}

/** The Temporal Web UI of this server's namespace (e.g. http://localhost:8233/namespaces/default), when known. */
export const temporalUi = () => document.querySelector<HTMLMetaElement>('meta[name="djobs-temporal-ui"]')?.content;

/**
 * The Temporal UI's workflow list filtered to runs, without the gates, triggers and for_each
 * children beside them (the `DjobsKind` search attribute, workflows/search-attributes.ts).
 */
export const TEMPORAL_RUNS_QUERY = "DjobsKind = 'run'";

export function TemporalRunsLink() {
  const ui = temporalUi();
  if (!ui) return null;
  return (
    <a
      class="button"
      href={`${ui}/workflows?query=${encodeURIComponent(TEMPORAL_RUNS_QUERY)}`}
      target="_blank"
      rel="noreferrer"
      title={`The Temporal UI's workflows, filtered with ${TEMPORAL_RUNS_QUERY}`}
    >
      Runs in Temporal UI ↗
    </a>
  );
}
