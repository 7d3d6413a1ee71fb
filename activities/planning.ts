// Local activities of the interpreter and the slot gate: facts about Temporal itself (which
// cluster queues have workers, a job's settings, which runs are alive), signal-with-start of a
// gate and giving a slot back. Their answers are recorded in history, so decisions built on them replay deterministically.
import { activityInfo, getClient } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  canonicalJson,
  clusterTaskQueue,
  principalOfIdentity,
  runJobTaskRefusal,
  type JobAccess,
  type RunAsIdentity,
  type SlotRequest,
} from '../core';
import type { KeyRing } from '../encryption/key-ring';
import { openIdentity } from '../encryption/sealed-identity';
import {
  SLOT_GATE_WORKFLOW_TYPE,
  releaseSlotSignal,
  requestSlotSignal,
  type CalledJob,
} from '../workflows/definitions';
import { DjobsViewers, WorkflowKind, kindAttribute } from '../workflows/search-attributes';

export function createPlanningActivities(
  namespace: string,
  opts: { poolMaxTasks?: Record<string, number>; ring?: KeyRing; groupsOf?: (name: string) => readonly string[] } = {}
) {
  const groupsOf = opts.groupsOf ?? (() => []);
  return {
    /**
     * Who a run acts as: its identity opened with this worker's key ring and checked against its
     * settings (encryption/sealed-identity.ts), or why none can be trusted. A job run saved
     * before identities were sealed acts as its job's stored identity when its settings are the
     * job's own (a scheduled or triggered run of a job not saved since).
     */
    async openRunIdentity(req: {
      identity?: string;
      settings: unknown;
      jobId?: number;
    }): Promise<{ runAs: RunAsIdentity } | { refused: string }> {
      const refused = (why: string) => ({
        refused: `This run does not say, in a form the API seals, who it acts as (${why}): no task of it runs. Start runs through the durable-jobs API, CLI or client.`,
      });
      if (req.identity !== undefined) {
        try {
          return { runAs: openIdentity(opts.ring, req.identity, canonicalJson(req.settings)) };
        } catch (err) {
          return refused((err as Error).message);
        }
      }
      if (req.jobId === undefined) return refused('it carries no identity');
      const job = await loadJob(req.jobId);
      if (!job || canonicalJson(job.settings) !== canonicalJson(req.settings))
        return refused('it carries no identity, and its settings are not those of its job');
      const runAs = legacyRunAs(job.memo);
      return runAs ? { runAs } : refused('it carries no identity, and its job records none');
    },
    /**
     * The job a run_job_task starts, once the run's identity is shown to hold CAN_MANAGE_RUN on
     * it (the refusal names nothing of the other job): its settings, the memo and viewers its
     * runs carry, and the identity they act as.
     */
    async loadCalledJob(req: { jobId: number; runAs?: RunAsIdentity }): Promise<CalledJob> {
      const job = await loadJob(req.jobId);
      if (req.runAs) {
        const access = job?.memo?.djobs_access as JobAccess | undefined;
        const refusal = runJobTaskRefusal(
          principalOfIdentity(req.runAs, groupsOf),
          req.jobId,
          job ? access : undefined
        );
        if (refusal) return { refused: refusal };
      }
      if (!job) return { missing: true };
      return job;
    },
    /** The worker pools' task caps this worker was configured with (DJOBS_POOL_MAX_TASKS). */
    async poolLimits(): Promise<Record<string, number>> {
      return opts.poolMaxTasks ?? {};
    },
    /** The current settings of a job (for run_job_task): what its schedule's action carries. */
    async loadJobSettings(jobId: number): Promise<CalledJob> {
      return (await loadJob(jobId)) ?? { missing: true };
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

type LoadedJob = Exclude<CalledJob, { missing: true } | { refused: string }>;

/** A job as its schedule's action carries it, or undefined when there is no such job. */
async function loadJob(jobId: number): Promise<LoadedJob | undefined> {
  try {
    const d = await getClient().schedule.getHandle(`djobs-job-${jobId}`).describe();
    // The viewers its scheduled runs start with, for the runs a trigger starts.
    // (A description's action holds them as TypedSearchAttributes, never as the pair list of options.)
    const attributes = d.action.typedSearchAttributes;
    const viewers = attributes && 'get' in attributes ? attributes.get(DjobsViewers) : undefined;
    const input = d.action.args?.[0] as { settings: unknown; identity?: string };
    return {
      settings: input.settings,
      ...(input.identity !== undefined ? { identity: input.identity } : {}),
      ...(d.action.memo ? { memo: d.action.memo } : {}),
      ...(viewers ? { viewers } : {}),
    };
  } catch (err) {
    if ((err as Error).name === 'ScheduleNotFoundError') return undefined;
    throw err;
  }
}

/** The identity a job's memo records: `djobs_run_as`, or (older jobs) the user `run_as_user_name`. */
function legacyRunAs(memo: Record<string, unknown> | undefined): RunAsIdentity | undefined {
  const stored = memo?.djobs_run_as as RunAsIdentity | undefined;
  if (stored && typeof stored.name === 'string') return stored;
  const name = memo?.run_as_user_name;
  return typeof name === 'string' ? { kind: 'user', name } : undefined;
}
