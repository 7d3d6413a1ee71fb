// Controlling runs: runs/cancel, runs/delete, and the pause/resume extension. Runs are found
// without decoding their memo, so a run written with a key since removed can still be canceled
// and deleted.
import { jobRunIdOf } from '../core';
import { controlSignalArg, pauseSignal, resumeSignal } from '../workflows/definitions';
import type { ClientContext } from './context';
import { GrpcStatus, InvalidStateError } from './errors';
import type { RunLookup } from './run-lookup';
import { listExecutions } from './undecodable-records';

export class RunControl {
  constructor(
    private readonly ctx: ClientContext,
    private readonly lookup: RunLookup
  ) {}

  /** runs/cancel: running task processes are killed; the run ends CANCELED. */
  async cancelRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId);
    if (handle) await handle.cancel();
  }

  /**
   * runs/delete: a finished run and its history go (every execution, repairs included). Its log
   * files stay on the workers' disks until they are cleaned up with DJOBS_HOME.
   */
  async deleteRun(runId: number): Promise<void> {
    const jobRunId = jobRunIdOf(runId);
    // Described without decoding its memo: a run written with a key since removed can be deleted.
    const { workflowId, status } = await this.lookup.findExecution(jobRunId);
    if (status === 'RUNNING')
      throw new InvalidStateError(
        `Run ${jobRunId} is still active; cancel it or wait for it to finish before deleting it.`
      );
    // The current execution, then every earlier one (a repaired run has one per repair).
    const executions: { workflowId: string; runId?: string }[] = [{ workflowId }];
    for await (const wf of listExecutions(this.ctx, { query: `WorkflowId = '${workflowId}'` }))
      executions.push({ workflowId: wf.workflowId, runId: wf.runId });
    for (const execution of executions) {
      try {
        await this.ctx.temporal.workflowService.deleteWorkflowExecution({
          namespace: this.ctx.namespace,
          workflowExecution: execution,
        });
      } catch (err) {
        if ((err as { code?: number }).code !== GrpcStatus.NOT_FOUND) throw err; // gone already
      }
    }
  }

  /** Extension: no new task starts until `resumeRun`; running tasks finish. */
  async pauseRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId, true);
    await handle!.signal(pauseSignal, controlSignalArg('pause', handle!.workflowId));
  }

  /** Extension: start tasks again after `pauseRun`. */
  async resumeRun(runId: number): Promise<void> {
    const handle = await this.activeRunHandle(runId, true);
    await handle!.signal(resumeSignal, controlSignalArg('resume', handle!.workflowId));
  }

  /** Described without decoding its memo: a run written with a key since removed can be canceled. */
  private async activeRunHandle(runId: number, mustBeActive = false) {
    const { workflowId, status } = await this.lookup.findExecution(jobRunIdOf(runId));
    if (status !== 'RUNNING') {
      if (mustBeActive) throw new InvalidStateError(`Run ${jobRunIdOf(runId)} is not active (${status}).`);
      return undefined;
    }
    return this.ctx.temporal.workflow.getHandle(workflowId);
  }
}
