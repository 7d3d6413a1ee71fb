// The workflows that drive a job's triggers (file arrival, continuous, model): started, handed the
// job's new configuration, or stopped, as the job's settings change; the job's schedule itself
// fires periodic and cron runs (client/job-schedule.ts).
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  fileArrivalTriggerState,
  type FileArrivalState,
  type FileArrivalTriggerStateView,
  type JobSettings,
} from '../core';
import {
  CONTINUOUS_WORKFLOW_TYPE,
  FILE_ARRIVAL_WORKFLOW_TYPE,
  MODEL_TRIGGER_WORKFLOW_TYPE,
  configureTriggerSignal,
  continuousWorkflowId,
  controlSignalArg,
  fileArrivalWorkflowId,
  getTriggerStateQuery,
  modelTriggerWorkflowId,
  stopTriggerSignal,
  type ContinuousConfig,
  type FileArrivalConfig,
  type ModelTriggerConfig,
} from '../workflows/definitions';
import { DjobsJobId, WorkflowKind, kindAttribute } from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { modelTriggerConfig } from './model-trigger';

/** The DjobsKind of each trigger workflow type. */
const TRIGGER_KINDS: Record<string, WorkflowKind> = {
  [FILE_ARRIVAL_WORKFLOW_TYPE]: WorkflowKind.FILE_ARRIVAL,
  [CONTINUOUS_WORKFLOW_TYPE]: WorkflowKind.CONTINUOUS,
  [MODEL_TRIGGER_WORKFLOW_TYPE]: WorkflowKind.MODEL_TRIGGER,
};

/**
 * File-arrival and continuous jobs are driven by a workflow of their own: start it, or hand it
 * the job's new configuration (it keeps its memory of seen files), or stop it when the job no
 * longer has that trigger. Pausing keeps it, paused. A job just created has none to stop, so
 * creating a job without triggers is one round trip.
 */
export async function syncTriggerWorkflows(
  ctx: ClientContext,
  jobId: number,
  settings: JobSettings,
  o: { created?: boolean } = {}
): Promise<void> {
  const t = ctx.triggerTiming;
  const fa = settings.trigger?.file_arrival;
  const continuous = settings.continuous;
  const model = modelTriggerConfig(settings, t);
  const triggers: {
    type: string;
    workflowId: string;
    config?: FileArrivalConfig | ContinuousConfig | ModelTriggerConfig;
    summary: string;
  }[] = [
    {
      type: FILE_ARRIVAL_WORKFLOW_TYPE,
      workflowId: fileArrivalWorkflowId(jobId),
      ...(fa && {
        config: {
          url: fa.url,
          paused: settings.trigger?.pause_status === 'PAUSED',
          minBetweenMs: (fa.min_time_between_triggers_seconds ?? 0) * 1000 * t.timeScale,
          waitAfterChangeMs: (fa.wait_after_last_change_seconds ?? 0) * 1000 * t.timeScale,
          pollMs: t.fileArrivalPollSeconds * 1000,
        },
      }),
      summary: `file arrival trigger of job ${jobId}: ${fa?.url}`,
    },
    {
      type: CONTINUOUS_WORKFLOW_TYPE,
      workflowId: continuousWorkflowId(jobId),
      ...(continuous && {
        config: {
          paused: continuous.pause_status === 'PAUSED',
          backoffInitialMs: t.continuousBackoffSeconds * 1000,
          backoffMaxMs: t.continuousBackoffMaxSeconds * 1000,
        },
      }),
      summary: `continuous job ${jobId}`,
    },
    {
      type: MODEL_TRIGGER_WORKFLOW_TYPE,
      workflowId: modelTriggerWorkflowId(jobId),
      ...(model && { config: model }),
      summary: `model trigger of job ${jobId}: ${model?.condition} ${model?.scope || '(every model)'}`,
    },
  ];
  for (const trigger of triggers) {
    if (trigger.config)
      await configureTriggerWorkflow(ctx, trigger.type, trigger.workflowId, jobId, trigger.config, trigger.summary);
    else if (!o.created) await stopTriggerWorkflow(ctx, trigger.workflowId);
  }
}

/** Start a job's trigger workflow with `config`, or hand a running one its new `config`. */
async function configureTriggerWorkflow(
  ctx: ClientContext,
  type: string,
  workflowId: string,
  jobId: number,
  config: FileArrivalConfig | ContinuousConfig | ModelTriggerConfig,
  summary: string
): Promise<void> {
  await ctx.temporal.workflow.signalWithStart(type, {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ jobId, config, ...(ctx.options.runOptions ? { options: ctx.options.runOptions } : {}) }],
    signal: configureTriggerSignal,
    signalArgs: [config],
    typedSearchAttributes: [kindAttribute(TRIGGER_KINDS[type]!), { key: DjobsJobId, value: jobId }],
    staticSummary: summary,
  });
}

/**
 * A file-arrival job's `trigger_state` (jobs/get?include_trigger_state=true), from its watcher's
 * state query; undefined when no watcher runs for it.
 */
export async function fileArrivalTriggerStateOf(
  ctx: ClientContext,
  jobId: number,
  settings: JobSettings
): Promise<FileArrivalTriggerStateView | undefined> {
  if (!settings.trigger?.file_arrival) return undefined;
  try {
    const answer = (await ctx.temporal.workflow.getHandle(fileArrivalWorkflowId(jobId)).query(getTriggerStateQuery)) as
      { state?: FileArrivalState } | undefined;
    return fileArrivalTriggerState(settings.trigger.pause_status === 'PAUSED', answer?.state);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function stopTriggerWorkflow(ctx: ClientContext, workflowId: string): Promise<void> {
  try {
    await ctx.temporal.workflow
      .getHandle(workflowId)
      .signal(stopTriggerSignal, controlSignalArg('stopTrigger', workflowId));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err; // none, or finished
  }
}

/** A deleted job's trigger workflows stop (those it never had are not found: nothing to do). */
export async function stopTriggerWorkflows(ctx: ClientContext, jobId: number): Promise<void> {
  await stopTriggerWorkflow(ctx, fileArrivalWorkflowId(jobId));
  await stopTriggerWorkflow(ctx, continuousWorkflowId(jobId));
  await stopTriggerWorkflow(ctx, modelTriggerWorkflowId(jobId));
}
