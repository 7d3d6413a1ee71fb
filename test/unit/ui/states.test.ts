import { describe, expect, it } from 'vitest';
import type { Run } from '../../../core';
import { latestAttempts, lookOf, repairSelection } from '../../../ui/src/states';

type RunTask = Run['tasks'][number];
const attempt = (task_key: string, attempt_number: number, result: string | undefined, deps: string[] = []) =>
  ({
    task_key,
    attempt_number,
    run_id: Math.floor(Math.random() * 1e9),
    depends_on: deps.map((task_key) => ({ task_key })),
    state: {
      life_cycle_state: result ? 'TERMINATED' : 'RUNNING',
      ...(result ? { result_state: result } : {}),
      state_message: '',
      user_cancelled_or_timedout: false,
    },
  }) as unknown as RunTask;

describe('web UI states', () => {
  it.each([
    [{ life_cycle_state: 'RUNNING' }, 'running'],
    [{ life_cycle_state: 'BLOCKED' }, 'blocked'],
    [{ life_cycle_state: 'QUEUED' }, 'queued'],
    [{ life_cycle_state: 'WAITING_FOR_RETRY' }, 'retry'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' }, 'success'],
    [{ life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED' }, 'failed'],
    [{ life_cycle_state: 'INTERNAL_ERROR' }, 'failed'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'UPSTREAM_FAILED' }, 'upstream'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'EXCLUDED' }, 'skipped'],
    [{ life_cycle_state: 'SKIPPED', result_state: 'MAXIMUM_CONCURRENT_RUNS_REACHED' }, 'skipped'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'TIMEDOUT' }, 'timedout'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' }, 'canceled'],
    [{ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS_WITH_FAILURES' }, 'partial'],
  ])('%j looks %s', (state, look) => {
    expect(lookOf({ state } as unknown as Pick<Run, 'state'>)).toBe(look);
  });

  it("a repair's attempts (numbered from 0 again) are the latest", () => {
    const tasks = [attempt('a', 0, 'FAILED'), attempt('a', 1, 'FAILED'), attempt('a', 0, 'SUCCESS')];
    expect(latestAttempts({ tasks }).get('a')).toBe(tasks[2]);
  });

  it('a repair preselects the failed tasks and everything downstream of them, nothing upstream or beside', () => {
    const tasks = [
      attempt('prepare', 0, 'SUCCESS'),
      attempt('sync', 0, 'FAILED', ['prepare']),
      attempt('publish', 0, 'UPSTREAM_FAILED', ['sync']),
      attempt('notify', 0, 'UPSTREAM_FAILED', ['publish', 'audit']),
      attempt('audit', 0, 'SUCCESS', ['prepare']),
    ];
    expect(repairSelection({ tasks }, ['sync']).sort()).toEqual(['notify', 'publish', 'sync']);
  });
});
