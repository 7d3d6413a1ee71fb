// The Temporal Schedule that stores a job (stores/schedule-records.ts keeps it): its spec (the
// job's cron schedule or periodic trigger), its action (the jobRun workflow a fire starts, with
// the job's settings as its input and its access in the run's memo) and its search attributes.
import { ScheduleOverlapPolicy, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { translateQuartzCron, type JobAccess, type JobSettings, type RunAsIdentity } from '../core';
import { JOB_RUN_WORKFLOW_TYPE, type JobRunInput } from '../workflows/definitions';
import {
  DjobsBundleDeployment,
  DjobsJobId,
  DjobsJobName,
  DjobsTrigger,
  NOT_YET_ADMITTED,
  WorkflowKind,
  kindAttribute,
} from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { SpecValidationError } from './errors';
import { runMemo } from './stored-records';
import { viewersAttribute } from './viewer-query';

const UNIT_MS = { MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 604_800_000 } as const;
/** How late a missed scheduled run may still start after an outage. */
const SCHEDULE_CATCHUP_WINDOW = '10 minutes';

/**
 * The schedule that stores a job. A job without a cron schedule (or with pause_status PAUSED)
 * is a paused schedule: Temporal deletes idle unpaused schedules with no future actions after
 * about a week, and a paused one never, so jobs never vanish.
 */
export function jobScheduleFields(
  ctx: ClientContext,
  jobId: number,
  settings: JobSettings,
  access: JobAccess,
  creator: string | undefined,
  runAs: RunAsIdentity
) {
  const input: JobRunInput = {
    jobId,
    settings,
    // Sealed with the settings: a scheduled run (and one a trigger starts) acts as the job's identity.
    identity: ctx.sealIdentity(runAs, settings),
    trigger: 'PERIODIC',
    runType: 'JOB_RUN',
    ...(ctx.options.runOptions ? { options: ctx.options.runOptions } : {}),
  };
  let spec: ScheduleSpec = {};
  const periodic = settings.trigger?.periodic;
  if (periodic) {
    const every = Math.max(1000, Math.round(periodic.interval * UNIT_MS[periodic.unit] * ctx.triggerTiming.timeScale));
    spec = { intervals: [{ every }] };
  }
  if (settings.schedule) {
    const cron = translateQuartzCron(settings.schedule.quartz_cron_expression);
    if (!cron.ok) {
      throw new SpecValidationError(
        cron.errors.map((message: string) => ({ path: 'schedule.quartz_cron_expression', message }))
      );
    }
    spec = { calendars: cron.calendars as ScheduleSpec['calendars'], timezone: settings.schedule.timezone_id };
  }
  const paused = settings.schedule
    ? settings.schedule.pause_status === 'PAUSED'
    : !periodic || settings.trigger?.pause_status === 'PAUSED';
  const name = settings.name ?? 'Untitled';
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: JOB_RUN_WORKFLOW_TYPE,
    taskQueue: ctx.taskQueue,
    workflowId: `djobs-sched-${jobId}`,
    args: [input],
    // Every scheduled run records who it runs as and the job's access at its start.
    memo: { ...runMemo(access, runAs, creator), ...NOT_YET_ADMITTED.memo },
    typedSearchAttributes: [
      kindAttribute(WorkflowKind.RUN),
      { key: DjobsJobId, value: jobId },
      { key: DjobsJobName, value: name },
      { key: DjobsTrigger, value: 'PERIODIC' },
      NOT_YET_ADMITTED.searchAttribute,
      // Who may see the run, as of its start (runs/list's prefilter for a non-admin).
      viewersAttribute(access),
    ],
    staticSummary: `${name} · scheduled run of job ${jobId}`,
  };
  return {
    spec,
    action,
    policies: {
      // Every fire starts a run; the job's slot gate applies max_concurrent_runs and its queue
      // to it exactly as to run-now, recording a skipped run where Databricks does.
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      catchupWindow: SCHEDULE_CATCHUP_WINDOW,
    },
    state: {
      paused,
      note: settings.schedule
        ? `durable-jobs job ${jobId}: ${settings.schedule.quartz_cron_expression} (${settings.schedule.timezone_id})`
        : `durable-jobs job ${jobId}: no schedule; kept paused so Temporal keeps it`,
    },
    typedSearchAttributes: [
      { key: DjobsJobId, value: jobId },
      { key: DjobsJobName, value: name },
      viewersAttribute(access),
      ...bundleDeploymentAttribute(settings),
    ],
  };
}

/** The bundle deployment a job's settings name (Databricks' `deployment` of kind BUNDLE), indexed on its schedule. */
function bundleDeploymentAttribute(settings: JobSettings) {
  const d = settings.deployment as { kind?: unknown; metadata_file_path?: unknown } | undefined;
  return d?.kind === 'BUNDLE' && typeof d.metadata_file_path === 'string' && d.metadata_file_path !== ''
    ? [{ key: DjobsBundleDeployment, value: d.metadata_file_path }]
    : [];
}

/** The job id of a durable-jobs schedule id (`jobScheduleId`); undefined for other schedules. */
export function jobIdOfSchedule(scheduleId: string | null | undefined): number | undefined {
  const m = /^djobs-job-(\d+)$/.exec(scheduleId ?? '');
  return m ? Number(m[1]) : undefined;
}
