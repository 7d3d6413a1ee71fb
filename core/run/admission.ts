// Admission of runs (and task attempts) to a limited number of slots: Databricks'
// max_concurrent_runs with its queue. Pure: the slot-gate workflow holds one `GateState` per job
// (or worker pool) and feeds it requests and releases in the order Temporal delivers them, so two
// simultaneous starts can never both take the last slot.

/** Databricks' bound on queued runs per job; beyond it a run is skipped. */
export const MAX_QUEUED = 1000;

export interface SlotRequest {
  /**
   * The holder key: the requesting workflow's id (a continued-as-new run keeps its slot), or
   * `<workflow id>#<suffix>` for one of several holders in a workflow (task attempts).
   */
  workflowId: string;
  /** The limit in force for this request (the run's settings); the latest request's limit wins. */
  limit: number;
  /** Wait in the queue when the limit is reached (true) or be skipped at once (false). */
  queue: boolean;
}

/** The gate's answer to one request: a slot now, a place in the queue (a slot later), or never. */
export type SlotDecision =
  | { workflowId: string; verdict: 'GRANTED' }
  | { workflowId: string; verdict: 'QUEUED'; message: string }
  | {
      workflowId: string;
      verdict: 'SKIPPED';
      code: 'MAX_CONCURRENT_RUNS_EXCEEDED' | 'MAX_JOB_QUEUE_SIZE_EXCEEDED';
      message: string;
    };

export interface GateState {
  limit: number;
  /** Workflow ids holding a slot, in grant order. */
  active: string[];
  /** Waiting requests, first come first served. */
  queued: string[];
}

export const emptyGate = (): GateState => ({ limit: 1, active: [], queued: [] });

/** Grant queued requests while slots are free. */
function drain(gate: GateState): SlotDecision[] {
  const out: SlotDecision[] = [];
  while (gate.queued.length > 0 && gate.active.length < gate.limit) {
    const id = gate.queued.shift()!;
    gate.active.push(id);
    out.push({ workflowId: id, verdict: 'GRANTED' });
  }
  return out;
}

/** A request arrives: grant it, queue it, or skip it. Repeated requests are answered again, never doubled. */
export function requestSlot(gate: GateState, r: SlotRequest): SlotDecision[] {
  gate.limit = Math.max(0, r.limit);
  if (gate.active.includes(r.workflowId)) return [{ workflowId: r.workflowId, verdict: 'GRANTED' }];
  if (gate.queued.includes(r.workflowId))
    return [...drain(gate), { workflowId: r.workflowId, verdict: 'QUEUED', message: queueReason(gate.limit) }];
  const out = drain(gate); // a raised limit frees slots for those already waiting, first
  if (gate.active.length < gate.limit && gate.queued.length === 0) {
    gate.active.push(r.workflowId);
    return [...out, { workflowId: r.workflowId, verdict: 'GRANTED' }];
  }
  if (!r.queue || gate.limit === 0) {
    // max_concurrent_runs 0 skips every new run, queue or not.
    return [
      ...out,
      {
        workflowId: r.workflowId,
        verdict: 'SKIPPED',
        code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
        message: `Skipping this run because the limit of ${gate.limit} maximum concurrent runs has been reached.`,
      },
    ];
  }
  if (gate.queued.length >= MAX_QUEUED) {
    return [
      ...out,
      {
        workflowId: r.workflowId,
        verdict: 'SKIPPED',
        code: 'MAX_JOB_QUEUE_SIZE_EXCEEDED',
        message: `Skipping this run because the queue already holds ${MAX_QUEUED} runs.`,
      },
    ];
  }
  gate.queued.push(r.workflowId);
  return [...out, { workflowId: r.workflowId, verdict: 'QUEUED', message: queueReason(gate.limit) }];
}

/** A slot holder ended (or a queued request was withdrawn): free it and grant the next in line. */
export function releaseSlot(gate: GateState, workflowId: string): SlotDecision[] {
  gate.active = gate.active.filter((id) => id !== workflowId);
  gate.queued = gate.queued.filter((id) => id !== workflowId);
  return drain(gate);
}

/** The workflow to answer for a holder key (`<workflow id>` or `<workflow id>#<suffix>`). */
export const replyTo = (holder: string): string => holder.split('#')[0]!;

export const gateIdle = (gate: GateState): boolean => gate.active.length === 0 && gate.queued.length === 0;

export const queueReason = (limit: number): string => `Queued due to reaching maximum concurrent runs of ${limit}.`;
