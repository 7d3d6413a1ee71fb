// Finding a run: the workflow execution behind a run id (`djobs-run-<run_id>`, or the
// schedule-made id of a scheduled run, found once by search attribute and remembered) and the
// run's state read from it (client/run-snapshots.ts).
import { WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { runWorkflowId } from '../core';
import type { ClientContext } from './context';
import { NotFoundError } from './errors';
import { LruCache } from './lru-cache';
import { RunSnapshots, type RunExecution, type RunSnapshot } from './run-snapshots';
import { decodedRecord, listExecutions } from './undecodable-records';

/** Run snapshots kept by default (`runCacheEntries`). */
const RUN_CACHE_ENTRIES = 1000;
/** Workflow ids of scheduled runs remembered (a number and a short string each). */
const SCHEDULED_RUN_IDS = 10_000;

export class RunLookup {
  /** Runs' states by execution and history length (client/run-snapshots.ts). */
  private readonly snapshots: RunSnapshots;
  /** Run id → workflow id, for runs a schedule started (their ids are not `runWorkflowId`). */
  private readonly scheduledRunWorkflowIds = new LruCache<number, string>(SCHEDULED_RUN_IDS);

  constructor(private readonly ctx: ClientContext) {
    this.snapshots = new RunSnapshots(ctx, ctx.options.runCacheEntries ?? RUN_CACHE_ENTRIES);
  }

  /** The run's snapshot; one written with a key the ring lacks is an `UndecodableRecordError`. */
  snapshot(jobRunId: number, execution: RunExecution): Promise<RunSnapshot> {
    return decodedRecord(`Run ${jobRunId}`, () => this.snapshots.snapshot(execution));
  }

  /** The run's workflow handle and its description (one describe call when its id is ours). */
  async findRun(jobRunId: number): Promise<{ handle: WorkflowHandle; desc: WorkflowExecutionDescription }> {
    return this.locateRun(jobRunId, async (workflowId) => {
      const handle = this.ctx.temporal.workflow.getHandle(workflowId);
      return { handle, desc: await decodedRecord(`Run ${jobRunId}`, () => handle.describe()) };
    });
  }

  /** The run's current execution, described without decoding its memo (the hot path of runs/get). */
  findExecution(jobRunId: number): Promise<RunExecution> {
    return this.locateRun(jobRunId, (workflowId) => this.snapshots.describe(workflowId));
  }

  /**
   * Describe a run's workflow: `djobs-run-<run_id>` for the runs this client starts; a run started
   * by a schedule has a schedule-made workflow id, found once by search attribute and remembered
   * (a run id never moves to another workflow id; a deleted one is looked up again).
   */
  private async locateRun<T>(jobRunId: number, describe: (workflowId: string) => Promise<T>): Promise<T> {
    const tryDescribe = async (workflowId: string) => {
      try {
        return { found: await describe(workflowId) };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return undefined;
      }
    };
    const own = await tryDescribe(runWorkflowId(jobRunId));
    if (own) return own.found;
    const remembered = this.scheduledRunWorkflowIds.get(jobRunId);
    if (remembered !== undefined) {
      const again = await tryDescribe(remembered);
      if (again) return again.found;
      this.scheduledRunWorkflowIds.delete(jobRunId);
    }
    for await (const wf of listExecutions(this.ctx, { query: `DjobsRunId = ${jobRunId}` })) {
      const listed = await tryDescribe(wf.workflowId); // undefined: deleted; visibility lags behind
      if (listed) {
        this.scheduledRunWorkflowIds.set(jobRunId, wf.workflowId);
        return listed.found;
      }
    }
    throw new NotFoundError('Run', jobRunId);
  }
}
