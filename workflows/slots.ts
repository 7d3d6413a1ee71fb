// The run side of slot gates (workflows/slot-gate.ts): ask for a slot, wait for the answer, give
// the slot back. One signal handler per workflow receives every gate's answers, keyed by holder:
// the workflow id for a job run's slot, `<workflow id>#<task run id>` for a task attempt's slot
// in a worker pool.
import { acceptSignal } from './refused-payloads';
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { SlotDecision, SlotRequest } from '../core/model';
import { releaseSlotSignal, slotDecisionSignal, type PlanningActivities } from './definitions';
import { isPatched } from './patches';

/**
 * patched() id of giving a slot back through a local activity (a client signal to the gate)
 * rather than a signal-external command: the command's outcome comes back as a new event and
 * costs the run one more workflow task (its last, when a job run ends); the local activity ends
 * inside the workflow task that issued it.
 */
export const SLOT_RELEASE_PATCH = 'slot-release-by-local-activity';

export interface SlotClient {
  /**
   * Ask `gateId` for a slot for `request.workflowId` (the holder key) and wait for a final answer
   * (GRANTED or SKIPPED) for at most `maxWaitMs`; `onQueued` runs if the gate queues the request
   * first. A cancellation while waiting gives the place back and rethrows.
   */
  acquire(
    gateId: string,
    request: SlotRequest,
    opts?: { maxWaitMs?: number; onQueued?: (message: string) => void }
  ): Promise<SlotDecision | 'EXPIRED'>;
  release(gateId: string, holder: string): Promise<void>;
}

export function slotClient(): SlotClient {
  const decisions = new Map<string, SlotDecision>();
  setHandler(slotDecisionSignal, (d) => {
    if (!acceptSignal('slotDecision', d)) return;
    const prev = decisions.get(d.workflowId);
    if (!prev || prev.verdict === 'QUEUED') decisions.set(d.workflowId, d);
  });
  const { requestSlot, releaseSlot } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });

  async function release(gateId: string, holder: string): Promise<void> {
    decisions.delete(holder);
    if (isPatched(SLOT_RELEASE_PATCH)) return releaseSlot(gateId, holder);
    try {
      await getExternalWorkflowHandle(gateId).signal(releaseSlotSignal, { workflowId: holder });
    } catch {
      // The gate is gone: it holds no slot for this holder any more.
    }
  }

  return {
    release,
    async acquire(gateId, request, opts = {}) {
      const holder = request.workflowId;
      decisions.delete(holder);
      try {
        await requestSlot(gateId, request);
        await condition(() => decisions.has(holder));
        if (decisions.get(holder)!.verdict === 'QUEUED') {
          opts.onQueued?.((decisions.get(holder) as { message: string }).message);
          const final = () => decisions.get(holder)!.verdict !== 'QUEUED';
          const answered =
            opts.maxWaitMs !== undefined ? await condition(final, opts.maxWaitMs) : (await condition(final), true);
          if (!answered) {
            await release(gateId, holder);
            return 'EXPIRED';
          }
        }
        return decisions.get(holder)!;
      } catch (err) {
        if (isCancellation(err)) await CancellationScope.nonCancellable(() => release(gateId, holder));
        throw err;
      }
    },
  };
}
