import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { chainEdgeBreakdown } from '../../../bench/history-timing';

const T = temporal.api.enums.v1.EventType;
const at = (eventType: number, ms: number) => ({
  eventType,
  eventTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
});

/** One activity's life, then the workflow task that schedules the next one, from `t` on. */
function edge(t: number, taskMs: number, dispatchMs: number, activationMs: number) {
  return [
    at(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, t),
    at(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, t + taskMs),
    at(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, t + taskMs),
    at(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, t + taskMs + dispatchMs),
    at(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, t + taskMs + dispatchMs + activationMs),
    at(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, t + taskMs + dispatchMs + activationMs),
  ];
}

describe('per-edge breakdown from history timestamps', () => {
  it('names each gap between a task’s end and the next one’s start, per edge', () => {
    const events = [
      at(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 1000),
      ...edge(1000, 5, 20, 10),
      ...edge(1035, 5, 30, 10),
      ...edge(1080, 5, 0, 0).slice(0, 2),
    ];
    const b = chainEdgeBreakdown(events);
    expect(b.edges).toBe(2);
    expect(b.betweenMedianMs).toBe(40); // 20 + 10 and 30 + 10: the larger of two is the median index
    expect(b.taskMedianMs).toBe(5);
    expect(b.workflowTasksPerEdge).toBe(1);
    expect(Object.fromEntries(b.gaps.map((g) => [g.gap, g.mean_ms]))).toEqual({
      'workflow task scheduled → workflow task started': 25,
      'workflow task started → workflow task completed': 10,
      'activity started → activity completed': 5,
      'activity completed → workflow task scheduled': 0,
      'workflow task completed → activity scheduled': 0,
      'activity scheduled → activity started': 0,
    });
  });
});
