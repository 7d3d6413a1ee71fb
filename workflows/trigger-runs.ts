// How a trigger starts a run: one run of the job with its current settings, an abandoned child
// (it outlives the trigger's continue-as-new, pause or reset) whose id derives from the trigger's
// workflow id and its durable count, so a replayed or restarted trigger never starts it twice.
import { ParentClosePolicy, executeChild, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import {
  runIdFromString,
  runWorkflowId,
  type JobSettings,
  type RunState,
  type TriggerInfo,
  type TriggerType,
} from '../core/model';
import type { JobRunOptions, PlanningActivities } from './definitions';
import { jobRun } from './job-run';
import {
  DjobsJobId,
  DjobsJobName,
  DjobsRunId,
  DjobsTrigger,
  DjobsViewers,
  NOT_YET_ADMITTED,
  WorkflowKind,
} from './search-attributes';
import { WORKFLOW_KIND_PATCH, childKind } from './child-kind';
import { isPatched } from './patches';

/**
 * patched() id of runs that start with their job's viewers (`DjobsViewers`), as run-now's and
 * scheduled runs do, so runs/list's index finds them for a non-admin (absent from older histories).
 */
const TRIGGER_RUN_VIEWERS_PATCH = 'trigger-run-viewers';

const { loadJobSettings } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });

/** The patches startJobRun may ask: each trigger workflow decides them first (workflows/patches.ts). */
export const TRIGGER_RUN_PATCHES = [TRIGGER_RUN_VIEWERS_PATCH, WORKFLOW_KIND_PATCH];

type Started = { missing: true } | { runId: number; state?: RunState; failed?: boolean };

/** Start (and with `wait`, follow) one run of a job with its current settings. */
export async function startJobRun(
  jobId: number,
  key: string,
  trigger: TriggerType,
  options: JobRunOptions | undefined,
  extra: { triggerInfo?: TriggerInfo; wait: boolean }
): Promise<Started> {
  const loaded = await loadJobSettings(jobId);
  if ('missing' in loaded || 'refused' in loaded) return { missing: true };
  const settings = loaded.settings as JobSettings;
  const runId = runIdFromString(`${workflowInfo().workflowId}/${key}`);
  const name = settings.name ?? 'Untitled';
  const viewers = isPatched(TRIGGER_RUN_VIEWERS_PATCH) ? loaded.viewers : undefined;
  const child = {
    workflowId: runWorkflowId(runId),
    taskQueue: workflowInfo().taskQueue,
    args: [
      {
        runId,
        jobId,
        runName: name,
        settings,
        // The job's own sealed identity: the run acts as the job does.
        ...(loaded.identity !== undefined ? { identity: loaded.identity } : {}),
        trigger,
        ...(extra.triggerInfo ? { triggerInfo: extra.triggerInfo } : {}),
        runType: 'JOB_RUN' as const,
        ...(options ? { options } : {}),
      },
    ] as [Parameters<typeof jobRun>[0]],
    memo: { ...loaded.memo, ...NOT_YET_ADMITTED.memo },
    typedSearchAttributes: [
      ...childKind(WorkflowKind.RUN),
      { key: DjobsJobId, value: jobId },
      { key: DjobsRunId, value: runId },
      { key: DjobsJobName, value: name },
      { key: DjobsTrigger, value: trigger },
      NOT_YET_ADMITTED.searchAttribute,
      ...(viewers ? [{ key: DjobsViewers, value: viewers }] : []),
    ],
    staticSummary: `${name} · run ${runId} of job ${jobId} · ${trigger.toLowerCase()}`,
    // The run outlives this trigger workflow (continue-as-new, pause, job reset).
    parentClosePolicy: ParentClosePolicy.ABANDON,
  };
  if (!extra.wait) {
    await startChild(jobRun, child);
    return { runId };
  }
  try {
    return { runId, state: await executeChild(jobRun, child) };
  } catch (err) {
    const details = (err as { cause?: { details?: unknown[] } }).cause?.details;
    return { runId, failed: true, ...(details?.[0] ? { state: details[0] as RunState } : {}) };
  }
}
