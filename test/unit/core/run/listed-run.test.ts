// The run-list view comes from the same mapping as runs/get (toDatabricksRun).
import { describe, expect, it } from 'vitest';
import { listedRun, type ListedRunFacts } from '../../../../core';

const facts = (extra: Partial<ListedRunFacts>): ListedRunFacts => ({
  runId: 5,
  jobId: 7,
  runName: 'nightly',
  trigger: 'PERIODIC',
  startTime: 1000,
  endTime: 0,
  status: 'RUNNING',
  ...extra,
});

describe('listedRun', () => {
  it('maps a running, a queued and a finished run like runs/get', () => {
    expect(listedRun(facts({}), 3000)).toMatchObject({
      job_id: 7,
      run_id: 5,
      run_type: 'JOB_RUN',
      state: { life_cycle_state: 'RUNNING' },
      status: { state: 'RUNNING' },
      run_duration: 2000,
      tasks: [],
    });
    expect(listedRun(facts({ admission: 'QUEUED' }), 3000)).toMatchObject({
      state: { life_cycle_state: 'QUEUED' },
      status: { state: 'QUEUED' },
      queue_duration: 2000,
    });
    expect(listedRun(facts({ admission: 'PENDING' }), 3000)).toMatchObject({
      state: { life_cycle_state: 'PENDING' },
      status: { state: 'PENDING' },
    });
    expect(listedRun(facts({ status: 'FAILED', result: 'FAILED', endTime: 2000 }), 3000)).toMatchObject({
      state: { life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED', user_cancelled_or_timedout: false },
      status: { state: 'TERMINATED', termination_details: { code: 'RUN_EXECUTION_ERROR' } },
      run_duration: 1000,
    });
    expect(listedRun(facts({ status: 'COMPLETED', result: 'MAXIMUM_CONCURRENT_RUNS_REACHED' }), 3000)).toMatchObject({
      state: { life_cycle_state: 'SKIPPED', result_state: 'MAXIMUM_CONCURRENT_RUNS_REACHED' },
    });
  });

  it('takes the result from how the workflow closed when none was recorded', () => {
    expect(listedRun(facts({ status: 'COMPLETED', jobId: undefined }), 3000)).toMatchObject({
      run_type: 'SUBMIT_RUN',
      state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' },
    });
    expect(listedRun(facts({ status: 'TERMINATED' }), 3000)).toMatchObject({
      state: { life_cycle_state: 'TERMINATED', result_state: 'CANCELED', user_cancelled_or_timedout: true },
    });
  });

  it('lists a run whose records cannot be read as INTERNAL_ERROR, saying why, whatever its workflow does', () => {
    const why = 'Cannot decrypt a payload encrypted with key "old": that key is not in the key ring (known: new).';
    const message = `This run cannot be read: ${why}`;
    for (const status of ['RUNNING', 'COMPLETED'])
      expect(listedRun(facts({ status, unreadable: why }), 3000)).toMatchObject({
        job_id: 7,
        run_id: 5,
        run_name: 'nightly',
        state: { life_cycle_state: 'INTERNAL_ERROR', state_message: message, user_cancelled_or_timedout: false },
        status: {
          state: 'TERMINATED',
          termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR', message },
        },
      });
    expect(listedRun(facts({ unreadable: why }), 3000).state.result_state).toBeUndefined();
  });
});
