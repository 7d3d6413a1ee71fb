import { describe, expect, it } from 'vitest';
import {
  LOST_WORKER_AFTER_MS,
  isHeartbeatOverdue,
  toDatabricksRun,
  withLostWorkers,
  type AttemptState,
  type LostWorker,
  type RunState,
} from '../../../../core';

const attempt = (run_id: number, over: Partial<AttemptState>): AttemptState => ({
  run_id,
  attempt_number: 0,
  phase: 'RUNNING',
  state_message: '',
  start_time: 1000,
  end_time: 0,
  ...over,
});

const state: RunState = {
  run_id: 5,
  run_name: 'r',
  run_type: 'SUBMIT_RUN',
  trigger: 'ONE_TIME',
  settings: {
    name: 'r',
    tasks: [
      { task_key: 'a', shell_command_task: { command: 'sleep 60' } },
      { task_key: 'b', shell_command_task: { command: 'true' } },
    ],
  },
  job_parameters: {},
  start_time: 1000,
  end_time: 0,
  paused: false,
  state_message: '',
  userCanceledOrTimedOut: false,
  tasks: {
    a: { task_key: 'a', attempts: [attempt(71, {})] },
    b: {
      task_key: 'b',
      attempts: [
        attempt(72, {
          phase: 'TERMINATED',
          result: 'SUCCESS',
          end_time: 1500,
          worker: { host: 'h2', process: '12@h2' },
        }),
      ],
    },
  },
};

describe('lost workers in the run view', () => {
  const lost: LostWorker = { host: 'h1', process: '11@h1', last_heard_time: 4000, lost: true };

  it('shows the RUNNING attempt whose worker stopped heartbeating lost, and the worker that ran an ended one', () => {
    const run = withLostWorkers(toDatabricksRun(state, 20_000), new Map([[71, lost]]));
    const byKey = Object.fromEntries(run.tasks.map((t) => [t.task_key, t]));
    expect(byKey.a!.djobs_worker).toEqual(lost);
    expect(byKey.a!.state.life_cycle_state).toBe('RUNNING');
    expect(byKey.a!.state.state_message).toBe(
      'Worker 11@h1 on h1 lost; last heard 1970-01-01T00:00:04.000Z. The attempt runs again on another worker once its heartbeat times out.'
    );
    expect(byKey.b!.djobs_worker).toEqual({ host: 'h2', process: '12@h2' });
  });

  it('marks no ended attempt lost, and leaves the view itself when no worker is lost', () => {
    const view = toDatabricksRun(state, 20_000);
    expect(withLostWorkers(view, new Map())).toBe(view);
    const marked = withLostWorkers(view, new Map([[72, lost]]));
    expect(marked.tasks.find((t) => t.run_id === 72)!.djobs_worker).toEqual({ host: 'h2', process: '12@h2' });
  });

  it('calls a heartbeat overdue past the bound only', () => {
    expect(isHeartbeatOverdue(1000, 1000 + LOST_WORKER_AFTER_MS)).toBe(false);
    expect(isHeartbeatOverdue(1000, 1001 + LOST_WORKER_AFTER_MS)).toBe(true);
  });
});
