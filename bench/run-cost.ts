// What one workflow run costs the server and the worker, read from its history: events, workflow
// tasks, local activities and patch markers (both marker events, told apart by their name),
// search-attribute and memo upserts, signals, and the bytes of the history and of the payloads in
// it (the workflow's input and result, activities' inputs and results). Averaged over a sample of
// runs, ours beside the hand-written workflow doing the same activities, so that what is ours per
// run shows as the difference.
import fs from 'node:fs';
import { temporal as proto } from '@temporalio/proto';

type HistoryEvent = proto.api.history.v1.IHistoryEvent;
type Payloads = proto.api.common.v1.IPayloads | null | undefined;
const T = proto.api.enums.v1.EventType;

export interface RunCost {
  events: number;
  workflow_tasks: number;
  activities: number;
  local_activities: number;
  patch_markers: number;
  search_attribute_upserts: number;
  memo_upserts: number;
  signals: number;
  timers: number;
  history_bytes: number;
  workflow_input_bytes: number;
  workflow_result_bytes: number;
  activity_input_bytes: number;
  activity_result_bytes: number;
}

// The only two marker names the SDK's core records (sdk-core's `crates/protos/src/protos/constants.rs`:
// `LOCAL_ACTIVITY_MARKER_NAME`, `PATCH_MARKER_NAME`).
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
const PATCH_MARKER = 'core_patch';

const payloadBytes = (p: Payloads) => (p?.payloads ?? []).reduce((n, x) => n + (x.data?.length ?? 0), 0);

/** The cost of one run from its history's events. */
export function runCost(events: HistoryEvent[]): RunCost {
  const cost: RunCost = {
    events: events.length,
    workflow_tasks: 0,
    activities: 0,
    local_activities: 0,
    patch_markers: 0,
    search_attribute_upserts: 0,
    memo_upserts: 0,
    signals: 0,
    timers: 0,
    history_bytes: proto.api.history.v1.History.encode({ events }).finish().length,
    workflow_input_bytes: 0,
    workflow_result_bytes: 0,
    activity_input_bytes: 0,
    activity_result_bytes: 0,
  };
  for (const e of events) {
    switch (e.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        cost.workflow_input_bytes += payloadBytes(e.workflowExecutionStartedEventAttributes?.input);
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        cost.workflow_result_bytes += payloadBytes(e.workflowExecutionCompletedEventAttributes?.result);
        break;
      case T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        cost.workflow_tasks++;
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        cost.activities++;
        cost.activity_input_bytes += payloadBytes(e.activityTaskScheduledEventAttributes?.input);
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        cost.activity_result_bytes += payloadBytes(e.activityTaskCompletedEventAttributes?.result);
        break;
      case T.EVENT_TYPE_MARKER_RECORDED: {
        const name = e.markerRecordedEventAttributes?.markerName;
        if (name === LOCAL_ACTIVITY_MARKER) cost.local_activities++;
        else if (name === PATCH_MARKER) cost.patch_markers++;
        break;
      }
      case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        cost.search_attribute_upserts++;
        break;
      case T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        cost.memo_upserts++;
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      case T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        cost.signals++;
        break;
      case T.EVENT_TYPE_TIMER_STARTED:
        cost.timers++;
        break;
    }
  }
  return cost;
}

/** The mean of each figure over several runs. */
export function meanCost(costs: RunCost[]): RunCost {
  const mean = { ...costs[0]! };
  for (const key of Object.keys(mean) as (keyof RunCost)[])
    mean[key] = costs.reduce((n, c) => n + c[key], 0) / Math.max(1, costs.length);
  return mean;
}

/**
 * A process's /proc stat: its parent, and its CPU seconds (user + system), its own and its reaped
 * children's. Fields after the command name (which may hold spaces, hence the last ')'): ppid is
 * the 4th, utime/stime the 14th/15th, cutime/cstime the 16th/17th.
 */
function procStat(pid: number, readStat: (path: string) => string) {
  const stat = readStat(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(f[1]),
    seconds: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND,
    reapedSeconds: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS_PER_SECOND,
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function processCpuSeconds(pid: number, readStat: (path: string) => string): number | undefined {
  try {
    return procStat(pid, readStat).seconds;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process and its children, live and reaped: the PostgreSQL server, whose
 * backends are processes forked by the postmaster.
 */
export function processTreeCpuSeconds(
  pid: number,
  readStat: (path: string) => string,
  listPids: () => number[] = () =>
    fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
): number | undefined {
  const withReaped = (p: number) => {
    const { ppid, seconds, reapedSeconds } = procStat(p, readStat);
    return { ppid, seconds: seconds + reapedSeconds };
  };
  try {
    let total = withReaped(pid).seconds;
    for (const other of listPids()) {
      if (other === pid) continue;
      try {
        const child = withReaped(other);
        if (child.ppid === pid) total += child.seconds;
      } catch {
        // gone meanwhile
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

/** USER_HZ, 100 on every Linux the bench runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
