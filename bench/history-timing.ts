// Where the time between two tasks goes, read from a workflow history's event timestamps: each
// gap between consecutive events from one task's end (ActivityTaskCompleted) to the next task's
// start (ActivityTaskStarted) is named after the pair of events around it, so the server's
// round trips (dispatch of a workflow task, of an activity task), the worker's activations and
// any extra workflow tasks or markers per edge show up as separate rows.
import { temporal as proto } from '@temporalio/proto';

/** What is read of a history event (a protobuf IHistoryEvent: seconds are a Long there). */
export interface TimedEvent {
  eventType?: number | null;
  eventTime?: { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null;
}
type HistoryEvent = TimedEvent;
const T = proto.api.enums.v1.EventType;

const SHORT: Record<number, string> = {
  [T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]: 'activity completed',
  [T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]: 'activity scheduled',
  [T.EVENT_TYPE_ACTIVITY_TASK_STARTED]: 'activity started',
  [T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]: 'workflow task scheduled',
  [T.EVENT_TYPE_WORKFLOW_TASK_STARTED]: 'workflow task started',
  [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]: 'workflow task completed',
  [T.EVENT_TYPE_MARKER_RECORDED]: 'marker (local activity)',
  [T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]: 'search attributes upserted',
  [T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED]: 'memo upserted',
};

/** What each gap means, for the rows people read first. */
const MEANING: Record<string, string> = {
  'activity completed → workflow task scheduled': 'server: the result becomes a workflow task',
  'workflow task scheduled → workflow task started': 'server → worker: workflow task dispatch (poll)',
  'workflow task started → workflow task completed': 'worker: activation (our interpreter + SDK) and the round trip',
  'workflow task completed → activity scheduled': 'server: the command is recorded',
  'activity scheduled → activity started': 'server → worker: activity dispatch (eager when 0)',
  'activity started → activity completed': 'worker: the task itself (process start to exit) and its round trip',
};

const seconds = (s: number | { toNumber(): number } | null | undefined) =>
  typeof s === 'number' ? s : (s?.toNumber() ?? 0);
const ms = (e: HistoryEvent) => seconds(e.eventTime?.seconds) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
const name = (e: HistoryEvent) =>
  SHORT[e.eventType ?? 0] ??
  String(T[e.eventType ?? 0])
    .replace('EVENT_TYPE_', '')
    .toLowerCase();

export interface EdgeBreakdown {
  /** Edges (task end → next task start) measured. */
  edges: number;
  /** Median time from a task's end to the next task's start. */
  betweenMedianMs: number;
  /** Median time from a task's start to its end (the task and its own round trip). */
  taskMedianMs: number;
  /** Workflow tasks per edge (one is the minimum: the result must reach the workflow). */
  workflowTasksPerEdge: number;
  /** Mean ms per edge of each gap kind, including the task's own start → end. */
  gaps: { gap: string; meaning: string; mean_ms: number; per_edge: number }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The breakdown of a chain's history: edges are successive activities (one at a time). */
export function chainEdgeBreakdown(events: HistoryEvent[]): EdgeBreakdown {
  const completed: number[] = [];
  events.forEach((e, i) => {
    if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) completed.push(i);
  });
  const sums = new Map<string, { total: number; count: number }>();
  const add = (gap: string, value: number) => {
    const s = sums.get(gap) ?? { total: 0, count: 0 };
    s.total += value;
    s.count++;
    sums.set(gap, s);
  };
  const between: number[] = [];
  const tasks: number[] = [];
  let workflowTasks = 0;
  let edges = 0;
  for (let k = 0; k + 1 < completed.length; k++) {
    const from = completed[k]!;
    const to = completed[k + 1]!;
    const started = events.slice(from, to + 1).findIndex((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    if (started < 0) continue;
    edges++;
    between.push(ms(events[from + started]!) - ms(events[from]!));
    tasks.push(ms(events[to]!) - ms(events[from + started]!));
    for (let i = from; i < to; i++) {
      const a = events[i]!;
      const b = events[i + 1]!;
      if (b.eventType === T.EVENT_TYPE_WORKFLOW_TASK_STARTED) workflowTasks++;
      add(`${name(a)} → ${name(b)}`, ms(b) - ms(a));
    }
  }
  return {
    edges,
    betweenMedianMs: median(between),
    taskMedianMs: median(tasks),
    workflowTasksPerEdge: edges ? workflowTasks / edges : NaN,
    gaps: [...sums.entries()]
      .map(([gap, s]) => ({
        gap,
        meaning: MEANING[gap] ?? '',
        mean_ms: edges ? s.total / edges : NaN,
        per_edge: edges ? s.count / edges : NaN,
      }))
      .sort((a, b) => b.mean_ms - a.mean_ms),
  };
}
