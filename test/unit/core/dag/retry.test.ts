import { describe, expect, it } from 'vitest';
import { retryDelayMillis, shouldRetry } from '../../../../core';

describe('shouldRetry', () => {
  const cases: [string, Parameters<typeof shouldRetry>[0], Parameters<typeof shouldRetry>[1], number, boolean][] = [
    ['default policy never retries', {}, 'FAILED', 0, false],
    ['max_retries 2 retries the first failure', { max_retries: 2 }, 'FAILED', 0, true],
    ['max_retries 2 retries the second failure', { max_retries: 2 }, 'FAILED', 1, true],
    ['max_retries 2 stops after the third attempt', { max_retries: 2 }, 'FAILED', 2, false],
    ['-1 retries forever', { max_retries: -1 }, 'FAILED', 1000, true],
    ['timeouts are not retried by default', { max_retries: 3 }, 'TIMEDOUT', 0, false],
    ['retry_on_timeout retries timeouts', { max_retries: 3, retry_on_timeout: true }, 'TIMEDOUT', 0, true],
    ['canceled attempts are never retried', { max_retries: 3 }, 'CANCELED', 0, false],
    ['a task that cannot run is never retried', { max_retries: 3 }, 'INVALID', 0, false],
    ['internal errors are retried like failures', { max_retries: 1 }, 'INTERNAL_ERROR', 0, true],
    ['success is never retried', { max_retries: 3 }, 'SUCCESS', 0, false],
  ];
  for (const [name, policy, end, attempt, expected] of cases)
    it(name, () => expect(shouldRetry(policy, end, attempt)).toBe(expected));
});

describe('retryDelayMillis', () => {
  it('counts the interval from the start of the failed attempt', () => {
    expect(retryDelayMillis({ min_retry_interval_millis: 5000 }, 1000, 4000)).toBe(2000);
  });
  it('is zero once the interval has passed or when none is set', () => {
    expect(retryDelayMillis({ min_retry_interval_millis: 1000 }, 1000, 9000)).toBe(0);
    expect(retryDelayMillis({}, 1000, 1000)).toBe(0);
  });
});
