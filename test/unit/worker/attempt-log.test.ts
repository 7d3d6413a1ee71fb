// The outcome a worker's attempt log gives each way an attempt can end (worker/attempt-log.ts).
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { TaskFailureType } from '../../../core';
import { attemptOutcome } from '../../../worker/attempt-log';

describe('attemptOutcome', () => {
  const failure = (type: string) => ApplicationFailure.create({ type, message: 'm', nonRetryable: true });
  it.each([
    ['a result', undefined, 'SUCCESS'],
    ['TaskFailed', failure(TaskFailureType.TASK_FAILED), 'FAILED'],
    ['TaskTimedOut', failure(TaskFailureType.TASK_TIMED_OUT), 'TIMEDOUT'],
    ['TaskInvalid', failure(TaskFailureType.TASK_INVALID), 'INVALID'],
    ['a cancellation', new CancelledFailure('canceled'), 'CANCELED'],
    ['any other error', new Error('boom'), 'INTERNAL_ERROR'],
  ])('%s: %s', (_what, err, outcome) => {
    expect(attemptOutcome(err)).toBe(outcome);
  });
});
