import { describe, expect, it } from 'vitest';
import {
  runViewIsSettled,
  toDatabricksRun,
  withOneTimeRunJobId,
  withRepairHistory,
  type RunState,
} from '../../../../core';

const SKIP_MESSAGE = 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.';

function runState(over: Partial<RunState> = {}): RunState {
  return {
    run_id: 5,
    job_id: 3,
    run_name: 'r',
    run_type: 'JOB_RUN',
    trigger: 'ONE_TIME',
    settings: { name: 'r', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] },
    job_parameters: {},
    start_time: 1000,
    end_time: 2000,
    paused: false,
    result: 'SUCCESS',
    state_message: '',
    userCanceledOrTimedOut: false,
    tasks: {
      a: {
        task_key: 'a',
        attempts: [
          {
            run_id: 77,
            attempt_number: 0,
            phase: 'TERMINATED',
            result: 'SUCCESS',
            state_message: '',
            start_time: 1100,
            end_time: 1900,
          },
        ],
      },
    },
    ...over,
  };
}

describe('Databricks run shape', () => {
  it("gives the tasks of a run skipped at admission the run's own termination code", () => {
    const skippedTask = {
      run_id: 77,
      attempt_number: 0,
      phase: 'SKIPPED' as const,
      state_message: SKIP_MESSAGE,
      start_time: 0,
      end_time: 0,
    };
    const full = runState({
      result: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
      state_message: SKIP_MESSAGE,
      tasks: { a: { task_key: 'a', attempts: [skippedTask] } },
    });
    const run = toDatabricksRun(full, 3000);
    expect(run.status.termination_details).toEqual({
      code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
      type: 'CLIENT_ERROR',
      message: SKIP_MESSAGE,
    });
    expect(run.tasks[0]!.status).toEqual({
      state: 'TERMINATED',
      termination_details: { code: 'MAX_CONCURRENT_RUNS_EXCEEDED', type: 'CLIENT_ERROR', message: SKIP_MESSAGE },
    });
    // A full queue has its own code, on the run and on its tasks alike.
    const queueFull = toDatabricksRun({ ...full, termination_code: 'MAX_JOB_QUEUE_SIZE_EXCEEDED' }, 3000);
    expect(queueFull.tasks[0]!.status.termination_details!.code).toBe('MAX_JOB_QUEUE_SIZE_EXCEEDED');
    expect(queueFull.status.termination_details!.code).toBe('MAX_JOB_QUEUE_SIZE_EXCEEDED');
  });

  it("gives a run never repaired the single ORIGINAL history entry, and keeps a repaired run's history", () => {
    const run = toDatabricksRun(runState(), 3000);
    expect(run.repair_history).toBeUndefined();
    expect(withRepairHistory(run).repair_history).toEqual([
      { type: 'ORIGINAL', start_time: 1000, end_time: 2000, state: run.state, status: run.status, task_run_ids: [77] },
    ]);
    const repaired = toDatabricksRun(
      runState({
        repair_history: [
          { type: 'ORIGINAL', start_time: 1000, end_time: 1500, result: 'FAILED', task_run_ids: [76] },
          { type: 'REPAIR', id: 9, start_time: 1600, end_time: 2000, result: 'SUCCESS', task_run_ids: [77] },
        ],
      }),
      3000
    );
    expect(withRepairHistory(repaired)).toBe(repaired);
  });

  it('gives a one-time run its own id as job_id, and leaves job runs alone', () => {
    const submitted = toDatabricksRun(runState({ job_id: undefined, run_type: 'SUBMIT_RUN' }), 3000);
    expect(submitted.job_id).toBeUndefined();
    expect(withOneTimeRunJobId(submitted).job_id).toBe(5);
    const jobRun = toDatabricksRun(runState(), 3000);
    expect(withOneTimeRunJobId(jobRun)).toBe(jobRun);
  });

  it('reports the SINGLE_TASK format for runs of 2.0 single-task jobs', () => {
    const settings = { ...runState().settings, format: 'SINGLE_TASK' as const };
    expect(toDatabricksRun(runState({ settings }), 3000).format).toBe('SINGLE_TASK');
    expect(toDatabricksRun(runState(), 3000).format).toBe('MULTI_TASK');
  });
});

describe('a settled run view (kept once built, whatever the clock)', () => {
  const attempt = runState().tasks.a!.attempts[0]!;
  const runningAttempt = { ...attempt, phase: 'RUNNING' as const, result: undefined, end_time: 0 };
  const cases: { name: string; state: RunState; settled: boolean }[] = [
    { name: 'a finished run whose attempts all ended', state: runState(), settled: true },
    {
      name: 'a running run',
      state: runState({ end_time: 0, result: undefined, tasks: { a: { task_key: 'a', attempts: [runningAttempt] } } }),
      settled: false,
    },
    {
      name: 'a run waiting in its job queue',
      state: runState({
        end_time: 0,
        result: undefined,
        queued: { since: 900, reason: 'ACTIVE_RUNS_LIMIT_REACHED' },
        tasks: {},
      }),
      settled: false,
    },
    {
      name: 'a run ended from outside while an attempt was running',
      state: runState({ tasks: { a: { task_key: 'a', attempts: [runningAttempt] } } }),
      settled: false,
    },
  ];
  it.each(cases)('$name: settled is $settled, and then its view is the same at any time', ({ state, settled }) => {
    expect(runViewIsSettled(state)).toBe(settled);
    // Settled exactly when no clock enters the view: the same at two instants, or not.
    const early = toDatabricksRun(state, 3_000);
    const late = toDatabricksRun(state, 9_000_000);
    if (settled) expect(late).toEqual(early);
    else expect(late).not.toEqual(early);
  });
});
