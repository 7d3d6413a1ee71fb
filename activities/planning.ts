// Local activity of the interpreter: which cluster task queues have a dedicated worker right now.
// Its answer is recorded in history, so the routing decision stays deterministic on replay.
import { getClient } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { clusterTaskQueue } from '../spec';

export function createPlanningActivities(namespace: string) {
  return {
    /** The current settings of a job (for run_job_task): what its schedule's action carries. */
    async loadJobSettings(jobId: number): Promise<{ settings: unknown } | { missing: true }> {
      try {
        const d = await getClient().schedule.getHandle(`djobs-job-${jobId}`).describe();
        return { settings: (d.action.args?.[0] as { settings: unknown }).settings };
      } catch (err) {
        if ((err as Error).name === 'ScheduleNotFoundError') return { missing: true };
        throw err;
      }
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
