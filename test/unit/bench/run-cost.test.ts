import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { meanCost, processCpuSeconds, processTreeCpuSeconds, runCost } from '../../../bench/run-cost';

const T = temporal.api.enums.v1.EventType;
const payloads = (bytes: number) => ({ payloads: [{ data: new Uint8Array(bytes) }] });

describe('the cost of one run from its history', () => {
  it('counts workflow tasks, activities, local activities apart from patch markers, upserts, signals and payload bytes', () => {
    const events = [
      {
        eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflowExecutionStartedEventAttributes: { input: payloads(300) },
      },
      { eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
      { eventType: T.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_patch' } },
      {
        eventType: T.EVENT_TYPE_MARKER_RECORDED,
        markerRecordedEventAttributes: { markerName: 'core_local_activity' },
      },
      { eventType: T.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_patch' } },
      {
        eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activityTaskScheduledEventAttributes: { input: payloads(40) },
      },
      {
        eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        activityTaskCompletedEventAttributes: { result: payloads(7) },
      },
      { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED },
      { eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
      { eventType: T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES },
      { eventType: T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED },
      {
        eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        workflowExecutionCompletedEventAttributes: { result: payloads(90) },
      },
    ];
    const cost = runCost(events);
    expect({ ...cost, history_bytes: undefined }).toEqual({
      events: 12,
      workflow_tasks: 2,
      activities: 1,
      local_activities: 1,
      patch_markers: 2,
      search_attribute_upserts: 1,
      memo_upserts: 1,
      signals: 1,
      timers: 0,
      history_bytes: undefined,
      workflow_input_bytes: 300,
      workflow_result_bytes: 90,
      activity_input_bytes: 40,
      activity_result_bytes: 7,
    });
    expect(cost.history_bytes).toBeGreaterThan(437);
    expect(meanCost([cost, { ...cost, events: 20 }]).events).toBe(16);
  });

  it('reads a process’s CPU seconds from /proc/<pid>/stat, whatever its command name holds', () => {
    const stat = '42 (temporal server) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0';
    expect(processCpuSeconds(42, () => stat)).toBe(3);
    expect(
      processCpuSeconds(42, () => {
        throw new Error('no /proc');
      })
    ).toBeUndefined();
  });

  it('a process tree: the process, its reaped children and its live children, not the others', () => {
    // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const stat = (ppid: number, ticks: [number, number, number, number]) =>
      `(postgres: x) S ${ppid} 1 1 0 -1 0 0 0 0 0 ${ticks.join(' ')} 20 0`;
    const stats: Record<number, string> = {
      10: stat(1, [100, 50, 30, 20]), // the postmaster: 1.5 s own, 0.5 s of exited backends
      11: stat(10, [40, 10, 0, 0]), // a backend
      12: stat(10, [5, 5, 0, 0]), // another
      13: stat(1, [900, 900, 0, 0]), // not a child
    };
    const read = (p: string) => {
      const pid = Number(p.split('/')[2]);
      if (!(pid in stats)) throw new Error('gone');
      return stats[pid]!;
    };
    expect(processTreeCpuSeconds(10, read, () => [10, 11, 12, 13, 14])).toBeCloseTo(2.6);
    expect(processTreeCpuSeconds(99, read, () => [10])).toBeUndefined();
  });
});
