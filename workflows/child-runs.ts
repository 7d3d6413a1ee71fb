// The task kinds whose attempt is a child workflow: run_job_task (another job's run, linked in the
// Temporal UI) and for_each_task (its iterations in a `forEachRun` child, so that thousands of
// inputs leave the parent's history small).
import {
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  proxyLocalActivities,
} from '@temporalio/workflow';
import {
  forEachInputsLimitProblem,
  attemptRuntime,
  parseForEachInputs,
  runIdFromString,
  type AttemptOutcome,
  type AttemptState,
  type JobSettings,
  type JsonValue,
  type RunState,
  type Task,
} from '../core/model';
import { forEachWorkflowId, JOB_RUN_WORKFLOW_TYPE, type JobRunInput, type PlanningActivities } from './definitions';
import { forEachRun } from './for-each';
import { childKind } from './child-kind';
import { DjobsJobId, DjobsJobName, DjobsRunId, DjobsTrigger, DjobsViewers, WorkflowKind } from './search-attributes';
import { poolOf, type RunContext } from './run-context';
import { DEFAULT_HEARTBEAT_TIMEOUT_SECONDS } from './task-attempt-options';
import { isPatched } from './patches';

/**
 * patched() id of child runs that start with their job's viewers (`DjobsViewers` of its schedule),
 * as run-now's, scheduled and trigger runs do, so runs/list's index finds them for a non-admin
 * (absent from older histories, whose child runs are listed through the no-viewers clause).
 */
export const RUN_JOB_TASK_VIEWERS_PATCH = 'run-job-task-viewers';

/**
 * patched() id of Databricks' 48 KiB limit on a for_each task's inputs once its references are
 * resolved (called only for inputs over it, which started their iterations before the patch).
 */
export const FOR_EACH_INPUTS_LIMIT_PATCH = 'for-each-inputs-limit';

/**
 * patched() id of the start-time permission check of run_job_task: the called job is loaded by
 * `loadCalledJob`, which refuses it unless the run's identity holds CAN_MANAGE_RUN on it (the
 * refusal names nothing of the other job); the child carries the job's memo.
 */
export const RUN_JOB_TASK_PERMISSION_PATCH = 'run-job-task-permission';

/** run_job_task: the other job's current settings run as a child run, linked in the Temporal UI. */
export async function runChildJob(
  ctx: RunContext,
  task: Task,
  rj: NonNullable<Task['run_job_task']>,
  attempt: AttemptState
): Promise<AttemptOutcome> {
  const { loadJobSettings, loadCalledJob } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });
  // The run's identity must hold CAN_MANAGE_RUN on the called job now, as when the job was saved.
  const checked = isPatched(RUN_JOB_TASK_PERMISSION_PATCH);
  const loaded = checked
    ? await loadCalledJob({ jobId: rj.job_id, ...(ctx.runAs ? { runAs: ctx.runAs } : {}) })
    : await loadJobSettings(rj.job_id);
  if ('refused' in loaded) return { end: 'INVALID', message: loaded.refused };
  if ('missing' in loaded) return { end: 'INVALID', message: `Job ${rj.job_id} does not exist.` };
  const childSettings = loaded.settings as JobSettings;
  const childRunId = runIdFromString(`${ctx.runId}/${attempt.run_id}`);
  const childName = childSettings.name ?? 'Untitled';
  const viewers = isPatched(RUN_JOB_TASK_VIEWERS_PATCH) ? loaded.viewers : undefined;
  ctx.run.childRunStarted(task.task_key, childRunId);
  try {
    // By type name: the child is this same interpreter (workflows/job-run.ts).
    await executeChild<(input: JobRunInput) => Promise<RunState>>(JOB_RUN_WORKFLOW_TYPE, {
      workflowId: `djobs-run-${childRunId}`,
      taskQueue: ctx.info.taskQueue,
      args: [
        {
          runId: childRunId,
          jobId: rj.job_id,
          runName: childName,
          settings: childSettings,
          // The called job's sealed identity: its run acts as that job does, as a run-now of it would.
          ...(loaded.identity !== undefined ? { identity: loaded.identity } : {}),
          ...(rj.job_parameters ? { jobParameters: rj.job_parameters } : {}),
          trigger: 'RUN_JOB_TASK',
          triggerInfo: { run_id: attempt.run_id },
          runType: 'JOB_RUN',
          options: ctx.options,
        },
      ],
      typedSearchAttributes: [
        ...childKind(WorkflowKind.RUN),
        { key: DjobsJobId, value: rj.job_id },
        { key: DjobsRunId, value: childRunId },
        { key: DjobsJobName, value: childName },
        { key: DjobsTrigger, value: 'RUN_JOB_TASK' },
        ...(viewers ? [{ key: DjobsViewers, value: viewers }] : []),
      ],
      // Who the child acts as and the job's access, shown by runs/get as for any run of the job.
      ...(checked && loaded.memo ? { memo: loaded.memo } : {}),
      staticSummary: `${childName} · run ${childRunId} of job ${rj.job_id} · from run ${ctx.runId} task ${task.task_key}`,
      // Canceling this run (or its job timeout) cancels the child run and waits for it to stop.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    return { end: 'SUCCESS', message: '' };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    return {
      end: 'FAILED',
      message: `Run ${childRunId} of job ${rj.job_id} did not succeed: ${cause?.message ?? String(err)}`,
    };
  }
}

/** for_each_task: the iterations run in a child workflow; this task aggregates them. */
export async function runForEach(
  ctx: RunContext,
  task: Task,
  fe: NonNullable<Task['for_each_task']>,
  attempt: AttemptState
): Promise<AttemptOutcome> {
  const tooLong = forEachInputsLimitProblem(fe.inputs, 'resolved');
  if (tooLong && isPatched(FOR_EACH_INPUTS_LIMIT_PATCH))
    return { end: 'INVALID', message: `for_each_task.inputs: ${tooLong}` };
  const inputs = parseForEachInputs(fe.inputs);
  if (inputs === undefined) {
    return {
      end: 'INVALID',
      message: `for_each_task.inputs must be a JSON array, found ${JSON.stringify(fe.inputs.slice(0, 80))}`,
    };
  }
  const refs = ctx.references.context(ctx.run.state, task, attempt);
  const pool = poolOf(ctx, task);
  const kind = childKind(WorkflowKind.FOR_EACH);
  // The nested task's environment and checkout, when it needs them (other inputs stay as they were).
  const nested = attemptRuntime(ctx.run.state, fe.task);
  const result = await executeChild(forEachRun, {
    workflowId: forEachWorkflowId(ctx.runId, attempt.run_id),
    ...(kind.length > 0 ? { typedSearchAttributes: kind } : {}),
    taskQueue: ctx.info.taskQueue,
    args: [
      {
        runId: ctx.runId,
        ...(ctx.input.jobId !== undefined ? { jobId: ctx.input.jobId } : {}),
        jobName: ctx.run.state.run_name,
        taskKey: task.task_key,
        taskRunId: attempt.run_id,
        inputs: inputs as JsonValue[],
        concurrency: fe.concurrency ?? 1,
        task: fe.task,
        jobParameters: ctx.jobParameters,
        upstreamTaskValues: ctx.run.upstreamValues(task),
        ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
        ...(Object.keys(nested).length > 0 ? { attemptRuntime: nested } : {}),
        references: { job: refs.job, tasks: refs.tasks },
        heartbeatTimeoutSeconds: ctx.options.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
        taskQueue: ctx.taskQueues.get(task.task_key) ?? ctx.info.taskQueue,
        ...(pool ? { pool } : {}),
      },
    ],
    staticSummary: `for_each ${task.task_key} of run ${ctx.runId} · ${inputs.length} inputs`,
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const forEachStats = result.stats;
  if (result.stats.failed_iterations === 0) return { end: 'SUCCESS', message: '', forEachStats };
  const first = result.failures[0];
  return {
    end: 'FAILED',
    message: `${result.stats.failed_iterations} of ${result.stats.total_iterations} iterations failed${first ? `; iteration ${first.index}: ${first.error}` : ''}`,
    forEachStats,
  };
}
