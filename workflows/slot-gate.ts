// The slot gate: one long-lived workflow per job (djobs-gate-job-<id>) that admits runs to
// max_concurrent_runs slots, queueing or skipping the rest (core/run/admission.ts decides).
// Temporal delivers its signals one at a time, so simultaneous starts are serialised here and can
// never exceed the limit. Runs ask through a local activity (signal-with-start), get their answer
// as a signal (every answer of a batch in one workflow task), and give their slot back with a
// signal when they end (from a local activity, workflows/slots.ts). When the gate has nothing
// left to do it completes; the next request starts it again.
import { acceptSignal } from './refused-payloads';
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  emptyGate,
  gateIdle,
  releaseSlot,
  replyTo,
  requestSlot,
  type GateState,
  type SlotDecision,
} from '../core/model';
import {
  getGateQuery,
  releaseSlotSignal,
  requestSlotSignal,
  slotDecisionSignal,
  type PlanningActivities,
} from './definitions';
import { decidePatches, isPatched } from './patches';

/** How often a gate with waiting requests checks that its slot holders still exist. */
const LIVENESS_CHECK_MS = 30_000;
/** Signals handled per execution before continuing as new with the state. */
const SIGNALS_PER_EXECUTION = 500;
/**
 * patched() id of answering every decision of a batch at once: one signal-external command each,
 * all in one workflow task, instead of one workflow task per answer (a burst of run-now requests
 * on one job arrives as one batch).
 */
const GATE_ANSWERS_AT_ONCE_PATCH = 'gate-answers-at-once';

export interface SlotGateInput {
  state?: GateState;
}

export async function slotGate(input: SlotGateInput = {}): Promise<void> {
  decidePatches([GATE_ANSWERS_AT_ONCE_PATCH]);
  const gate = input.state ?? emptyGate();
  const outbox: SlotDecision[] = [];
  let handled = 0;
  setHandler(requestSlotSignal, (r) => {
    if (!acceptSignal('requestSlot', r)) return;
    handled++;
    outbox.push(...requestSlot(gate, r));
  });
  setHandler(releaseSlotSignal, (r) => {
    if (!acceptSignal('releaseSlot', r)) return;
    handled++;
    outbox.push(...releaseSlot(gate, r.workflowId));
  });
  setHandler(getGateQuery, () => gate);
  const { runningWorkflows } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });
  const answer = async (d: SlotDecision) => {
    try {
      await getExternalWorkflowHandle(replyTo(d.workflowId)).signal(slotDecisionSignal, d);
    } catch {
      // The run is gone (terminated from outside): its slot or queue place is free.
      outbox.push(...releaseSlot(gate, d.workflowId));
    }
  };

  for (;;) {
    await condition(() => outbox.length > 0 || gateIdle(gate) || handled >= SIGNALS_PER_EXECUTION, LIVENESS_CHECK_MS);
    while (outbox.length > 0) {
      const batch = isPatched(GATE_ANSWERS_AT_ONCE_PATCH) ? outbox.splice(0) : outbox.splice(0, 1);
      await Promise.all(batch.map(answer));
    }
    if (gateIdle(gate) && outbox.length === 0) return;
    if (gate.queued.length > 0 && gate.active.length >= gate.limit && gate.active.length > 0) {
      // Slot holders that ended without releasing (terminated by an operator) must not block the queue.
      const alive = new Set(await runningWorkflows([...new Set(gate.active.map(replyTo))]));
      for (const id of gate.active.filter((x) => !alive.has(replyTo(x)))) outbox.push(...releaseSlot(gate, id));
    }
    if (outbox.length === 0 && (handled >= SIGNALS_PER_EXECUTION || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof slotGate>({ state: gate });
    }
  }
}
