// Reading a run's state cheaply. A run's state is a function of its workflow execution's history:
// the same execution (Temporal run id) at the same history length has the same state, memo and
// result. So one describe (a single read of the execution's mutable state, no worker involved)
// tells whether the last state read is still the run's state; only when the history has grown, or
// a repair or continue-as-new made a new execution, is the state read again (the result or failure
// of a closed execution, a query through a worker for a live one). A terminated run's history never
// grows, so it is read once; a live run is queried only after something happened in it.
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { RunState } from '../core';
import { getRunStateQuery } from '../workflows/definitions';
import { DjobsJobId } from '../workflows/search-attributes';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode, GrpcStatus } from './errors';
import { FreshReads } from './fresh-reads';
import { LruCache } from './lru-cache';
import { typedSearchAttribute } from './search-attributes';
import { storedRunState } from './stored-records';
import { decodedMemo, isDecryptionFailure } from './undecodable-records';

/** One describe of a run's current execution. Its memo is decoded (decrypted) only when asked for. */
export interface RunExecution {
  workflowId: string;
  /** Temporal's id of this execution: a repair or a continue-as-new is a new one. */
  executionRunId: string;
  /** RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, CONTINUED_AS_NEW or TIMED_OUT. */
  status: string;
  historyLength: number;
  jobId?: number;
  /** The execution's memo (who started the run, its access), decoded on first use. */
  memo(): Promise<Record<string, unknown> | undefined>;
  /** Its pending activities as described (task attempts, with their heartbeats still encoded). */
  pendingActivities: readonly temporal.api.workflow.v1.IPendingActivityInfo[];
}

/** A run's state and the memo of the execution it was read from. */
export interface RunSnapshot {
  state: RunState;
  memo?: Record<string, unknown>;
}

interface CachedSnapshot {
  executionRunId: string;
  historyLength: number;
  snapshot: Promise<RunSnapshot>;
}

const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';

export class RunSnapshots {
  /** By workflow id: the snapshot last read of one execution at one history length. */
  private readonly cache: LruCache<string, CachedSnapshot>;
  /** Describes in flight, by workflow id. */
  private readonly describes = new FreshReads<string, RunExecution>();

  constructor(
    private readonly ctx: ClientContext,
    capacity: number
  ) {
    this.cache = new LruCache(capacity);
  }

  /**
   * Describe a run's current execution (throws `WorkflowNotFoundError` when there is none). Readers
   * of one run together share describes sent after they asked (`FreshReads`): each answer is as
   * fresh as a describe of its own, and a burst of readers costs at most two per round trip.
   */
  describe(workflowId: string): Promise<RunExecution> {
    return this.describes.get(workflowId, (id) => this.describeNow(id));
  }

  private async describeNow(workflowId: string): Promise<RunExecution> {
    let raw: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
    try {
      raw = await this.ctx.temporal.workflowService.describeWorkflowExecution({
        namespace: this.ctx.namespace,
        execution: { workflowId },
      });
    } catch (err) {
      if ((err as { code?: number }).code === GrpcStatus.NOT_FOUND)
        throw new WorkflowNotFoundError(`Workflow ${workflowId} not found`, workflowId, undefined);
      throw err;
    }
    const info = raw.workflowExecutionInfo!;
    const statusName = temporal.api.enums.v1.WorkflowExecutionStatus[info.status ?? 0] ?? 'UNSPECIFIED';
    let memo: Promise<Record<string, unknown> | undefined> | undefined;
    return {
      workflowId,
      executionRunId: info.execution?.runId ?? '',
      status: statusName.replace(STATUS_PREFIX, ''),
      // Long → number directly: Number(long) goes through its decimal string.
      historyLength: info.historyLength?.toNumber() ?? 0,
      jobId: typedSearchAttribute(info.searchAttributes?.indexedFields, DjobsJobId),
      memo: () => (memo ??= decodedMemo(this.ctx, info.memo?.fields, workflowId)),
      pendingActivities: raw.pendingActivities ?? [],
    };
  }

  /**
   * The run's state at the described execution and history length: from the cache when it was read
   * there before, else read now. Reads of the same execution in flight together share one.
   */
  snapshot(execution: RunExecution): Promise<RunSnapshot> {
    const { workflowId, executionRunId, historyLength } = execution;
    const hit = this.cache.get(workflowId);
    if (hit && hit.executionRunId === executionRunId && hit.historyLength === historyLength) return hit.snapshot;
    const snapshot = (async () => {
      const [state, memo] = await Promise.all([this.readState(execution), execution.memo()]);
      return { state, ...(memo ? { memo } : {}) };
    })();
    this.cache.set(workflowId, { executionRunId, historyLength, snapshot });
    snapshot.catch(() => {
      if (this.cache.get(workflowId)?.snapshot === snapshot) this.cache.delete(workflowId);
    });
    return snapshot;
  }

  /** Read the state of this very execution (not a later one): its result, its failure, or a query. */
  private async readState(execution: RunExecution): Promise<RunState> {
    const handle = this.ctx.temporal.workflow.getHandle(execution.workflowId, execution.executionRunId, {
      followRuns: false,
    });
    const status = execution.status;
    if (status === 'RUNNING') return this.ask(handle);
    if (status === 'COMPLETED') return storedRunState(await handle.result(), handle.workflowId);
    if (status === 'FAILED' || status === 'CANCELED') {
      try {
        await handle.result();
      } catch (err) {
        if (isDecryptionFailure(err)) throw err; // a worker could not decode it either
        const details =
          err instanceof WorkflowFailedError ? (err.cause as { details?: unknown[] })?.details : undefined;
        if (details?.[0]) return storedRunState(details[0], handle.workflowId);
      }
    }
    // Canceled or terminated from outside: ask a worker to replay the run for its last state.
    return this.ask(handle);
  }

  /** A running run (or a canceled one, replayed) answers through a worker: say so when none does. */
  private async ask(handle: WorkflowHandle): Promise<RunState> {
    try {
      const answer: unknown = await this.ctx.temporal.withDeadline(Date.now() + 10_000, () =>
        handle.query(getRunStateQuery)
      );
      return storedRunState(answer, handle.workflowId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      throw new DjobsError(
        ErrorCode.TEMPORAL_UNAVAILABLE,
        `No worker answered for the state of ${handle.workflowId}; is a worker serving its task queue? (${(err as Error).message})`
      );
    }
  }
}
