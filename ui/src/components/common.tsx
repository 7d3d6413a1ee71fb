// Small shared pieces: state badges, run cells, errors, the trigger of a job in words.
import type { ComponentChildren } from 'preact';
import { describeQuartzCron, nextFireTime } from '../../../core/cron/describe';
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
  if (s.schedule) {
    const paused = s.schedule.pause_status === 'PAUSED';
    const next = paused
      ? undefined
      : nextFireTime(s.schedule.quartz_cron_expression, s.schedule.timezone_id, Date.now());
    return {
      words: describeQuartzCron(s.schedule.quartz_cron_expression, s.schedule.timezone_id),
      paused,
      ...(next !== undefined ? { next } : {}),
    };
  }
  if (s.trigger?.file_arrival)
    return { words: `when files arrive in ${s.trigger.file_arrival.url}`, paused: s.trigger.pause_status === 'PAUSED' };
  if (s.trigger?.periodic)
    return {
      words: `every ${s.trigger.periodic.interval} ${s.trigger.periodic.unit.toLowerCase()}`,
      paused: s.trigger.pause_status === 'PAUSED',
    };
  if (s.continuous) return { words: 'continuously', paused: s.continuous.pause_status === 'PAUSED' };
  return { words: 'manually', paused: undefined };
}
