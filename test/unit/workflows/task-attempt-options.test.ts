// The one classifier of failed task attempts (top-level tasks and for_each iterations), per
// failure kind, on the failure objects Temporal hands the workflow; and the shared activity options.
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { TaskFailureType, type TaskAttemptRecord } from '../../../core';
import {
  LOST_WORKER_ATTEMPTS,
  classifyTaskFailure,
  taskAttemptActivityOptions,
} from '../../../workflows/task-attempt-options';

const record: TaskAttemptRecord = {
  startTime: 1,
  endTime: 2,
  exitCode: 1,
  logPath: '/tmp/x.log',
  logTail: 'boom',
  logTruncated: false,
  taskValues: {},
  errorMessage: 'ZeroDivisionError: division by zero',
};

/** How a failed activity reaches the workflow: an ActivityFailure whose cause is the real failure. */
const activityFailure = (cause: Error) =>
  new ActivityFailure('Activity task failed', 'runTaskAttempt', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', cause);
const app = (type: string, details: unknown[] = [record]) =>
  activityFailure(ApplicationFailure.create({ type, message: `${type} message`, nonRetryable: true, details }));

describe('classifyTaskFailure', () => {
  it.each([
    [
      'the task failed',
      app(TaskFailureType.TASK_FAILED),
      { end: 'FAILED', record, message: 'Workload failed, see run output for details' },
    ],
    [
      'the task timed out',
      app(TaskFailureType.TASK_TIMED_OUT),
      { end: 'TIMEDOUT', record, message: 'ZeroDivisionError: division by zero' },
    ],
    [
      'the task is invalid',
      app(TaskFailureType.TASK_INVALID),
      { end: 'INVALID', record, message: 'ZeroDivisionError: division by zero' },
    ],
    [
      'the task is invalid, with no record',
      app(TaskFailureType.TASK_INVALID, []),
      { end: 'INVALID', message: 'TaskInvalid message' },
    ],
    [
      'an unexpected error in the activity',
      app('TypeError', []),
      { end: 'INTERNAL_ERROR', message: 'Internal error while running the task: TypeError message' },
    ],
    [
      "Temporal's lost-worker retries exhausted (heartbeat timeout)",
      activityFailure(new TimeoutFailure('heartbeat', undefined, 'HEARTBEAT')),
      { end: 'INTERNAL_ERROR', message: 'The worker running this task was lost repeatedly.' },
    ],
    [
      'the start-to-close backstop',
      activityFailure(new TimeoutFailure('start to close', undefined, 'START_TO_CLOSE')),
      { end: 'TIMEDOUT', message: 'Task timed out (the worker did not report in time).' },
    ],
    [
      'anything else',
      new Error('socket hang up'),
      { end: 'INTERNAL_ERROR', message: 'Internal error while running the task: socket hang up' },
    ],
  ])('%s', (_kind, err, expected) => {
    expect(classifyTaskFailure(err)).toEqual(expected);
  });
});

describe('taskAttemptActivityOptions', () => {
  it('retries only lost workers, with backoff, and leaves the task failure types to the workflow', () => {
    const o = taskAttemptActivityOptions({
      taskQueue: 'q',
      timeoutSeconds: 10,
      heartbeatTimeoutSeconds: 5,
      summary: 's',
    });
    expect(o).toMatchObject({
      taskQueue: 'q',
      startToCloseTimeout: '70s',
      heartbeatTimeout: '5s',
      summary: 's',
      retry: {
        maximumAttempts: LOST_WORKER_ATTEMPTS,
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '30s',
        nonRetryableErrorTypes: ['TaskFailed', 'TaskTimedOut', 'TaskInvalid', 'TemporalTimeout:StartToClose'],
      },
    });
    expect(
      taskAttemptActivityOptions({
        taskQueue: undefined,
        timeoutSeconds: 0,
        heartbeatTimeoutSeconds: undefined,
        summary: 's',
      })
    ).toMatchObject({ startToCloseTimeout: '3650 days', heartbeatTimeout: '30s' });
  });
});
