// Local activities of the interpreter and the slot gate: facts about Temporal itself (which
// cluster queues have workers, a job's settings, which runs are alive), signal-with-start of a
// gate and giving a slot back. Their answers are recorded in history, so decisions built on them replay deterministically.
import { activityInfo, getClient } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { clusterTaskQueue, type SlotRequest } from '../core';
import { SLOT_GATE_WORKFLOW_TYPE, releaseSlotSignal, requestSlotSignal } from '../workflows/definitions';
import { DjobsViewers, WorkflowKind, kindAttribute } from '../workflows/search-attributes';

export function createPlanningActivities(namespace: string, opts: { poolMaxTasks?: Record<string, number> } = {}) {
  return {
    /** The worker pools' task caps this worker was configured with (DJOBS_POOL_MAX_TASKS). */
    async poolLimits(): Promise<Record<string, number>> {
      return opts.poolMaxTasks ?? {};
    },
    /** The current settings of a job (for run_job_task): what its schedule's action carries. */
    async loadJobSettings(
      jobId: number
    ): Promise<{ settings: unknown; memo?: Record<string, unknown>; viewers?: string[] } | { missing: true }> {
      try {
        const d = await getClient().schedule.getHandle(`djobs-job-${jobId}`).describe();
        // The viewers its scheduled runs start with, for the runs a trigger starts.
        // (A description's action holds them as TypedSearchAttributes, never as the pair list of options.)
        const attributes = d.action.typedSearchAttributes;
        const viewers = attributes && 'get' in attributes ? attributes.get(DjobsViewers) : undefined;
        return {
          settings: (d.action.args?.[0] as { settings: unknown }).settings,
          ...(d.action.memo ? { memo: d.action.memo } : {}),
          ...(viewers ? { viewers } : {}),
        };
      } catch (err) {
        if ((err as Error).name === 'ScheduleNotFoundError') return { missing: true };
        throw err;
      }
    },
    async requestSlot(gateWorkflowId: string, request: SlotRequest): Promise<void> {
      await getClient().workflow.signalWithStart(SLOT_GATE_WORKFLOW_TYPE, {
        workflowId: gateWorkflowId,
        taskQueue: activityInfo().taskQueue,
        args: [{}],
        signal: requestSlotSignal,
        signalArgs: [request],
        typedSearchAttributes: [kindAttribute(WorkflowKind.GATE)],
        staticSummary: 'max_concurrent_runs gate',
      });
    },
    /**
     * Give `holder`'s slot back to its gate. A gate that is gone holds nothing any more; a release
     * sent twice (a retried local activity) frees nothing the second time.
     */
    async releaseSlot(gateWorkflowId: string, holder: string): Promise<void> {
      try {
        await getClient().workflow.getHandle(gateWorkflowId).signal(releaseSlotSignal, { workflowId: holder });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
    async runningWorkflows(workflowIds: string[]): Promise<string[]> {
      const running: string[] = [];
      for (const id of workflowIds) {
        try {
          const d = await getClient().workflow.getHandle(id).describe();
          if (d.status.name === 'RUNNING') running.push(id);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return running;
    },
    async clustersWithWorkers(clusters: string[]): Promise<string[]> {
      const service = getClient().workflowService;
      const served: string[] = [];
      for (const cluster of clusters) {
        const res = await service.describeTaskQueue({
          namespace,
          taskQueue: {
            name: clusterTaskQueue(cluster),
            kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
          },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        if ((res.pollers?.length ?? 0) > 0) served.push(cluster);
      }
      return served;
    },
  };
}
