import { describe, expect, it } from 'vitest';
import { decideRunIf, dependencyOutcome, DependencyOutcome as O, RunIf, TaskResultState as R } from '../../../../core';

const S = O.SUCCEEDED;
const F = O.FAILED;
const C = O.CANCELED;
const X = O.EXCLUDED;

type Expect = 'run' | 'EXCLUDED' | 'UPSTREAM_FAILED' | 'UPSTREAM_CANCELED';

// Every run_if × every multiset of one or two upstream outcomes, written out by hand from the
// Databricks rules (https://docs.databricks.com/jobs/run-if.html): excluded counts as success, all-excluded
// excludes, failed wins over canceled for the skip reason.
const matrix: [O[], Record<RunIf, Expect>][] = [
  [
    [S],
    {
      ALL_SUCCESS: 'run',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'run',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [F],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_FAILED',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'run',
      ALL_FAILED: 'run',
    },
  ],
  [
    [C],
    {
      ALL_SUCCESS: 'UPSTREAM_CANCELED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_CANCELED',
      NONE_FAILED: 'UPSTREAM_CANCELED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [X],
    {
      ALL_SUCCESS: 'EXCLUDED',
      AT_LEAST_ONE_SUCCESS: 'EXCLUDED',
      NONE_FAILED: 'EXCLUDED',
      ALL_DONE: 'EXCLUDED',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [S, S],
    {
      ALL_SUCCESS: 'run',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'run',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [S, F],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'run',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [S, C],
    {
      ALL_SUCCESS: 'UPSTREAM_CANCELED',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'UPSTREAM_CANCELED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [S, X],
    {
      ALL_SUCCESS: 'run',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'run',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [F, F],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_FAILED',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'run',
      ALL_FAILED: 'run',
    },
  ],
  [
    [F, C],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_FAILED',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'run',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [F, X],
    {
      ALL_SUCCESS: 'UPSTREAM_FAILED',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'UPSTREAM_FAILED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'run',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [C, C],
    {
      ALL_SUCCESS: 'UPSTREAM_CANCELED',
      AT_LEAST_ONE_SUCCESS: 'UPSTREAM_CANCELED',
      NONE_FAILED: 'UPSTREAM_CANCELED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [C, X],
    {
      ALL_SUCCESS: 'UPSTREAM_CANCELED',
      AT_LEAST_ONE_SUCCESS: 'run',
      NONE_FAILED: 'UPSTREAM_CANCELED',
      ALL_DONE: 'run',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
  [
    [X, X],
    {
      ALL_SUCCESS: 'EXCLUDED',
      AT_LEAST_ONE_SUCCESS: 'EXCLUDED',
      NONE_FAILED: 'EXCLUDED',
      ALL_DONE: 'EXCLUDED',
      AT_LEAST_ONE_FAILED: 'EXCLUDED',
      ALL_FAILED: 'EXCLUDED',
    },
  ],
];

describe('decideRunIf: every run_if × upstream outcomes', () => {
  for (const [outcomes, expected] of matrix) {
    for (const runIf of Object.values(RunIf)) {
      it(`${runIf} with upstream [${outcomes.join(', ')}] → ${expected[runIf]}`, () => {
        const d = decideRunIf(runIf, outcomes);
        expect(d.action === 'run' ? 'run' : d.result).toBe(expected[runIf]);
        // Order of dependencies never matters.
        const r = decideRunIf(runIf, [...outcomes].reverse());
        expect(r.action === 'run' ? 'run' : r.result).toBe(expected[runIf]);
      });
    }
  }

  it('a task without dependencies always runs', () => {
    for (const runIf of Object.values(RunIf)) expect(decideRunIf(runIf, [])).toEqual({ action: 'run' });
  });

  it('explains a skip in words', () => {
    expect(decideRunIf('ALL_FAILED', [S, F])).toEqual({
      action: 'skip',
      result: 'EXCLUDED',
      reason: 'Condition run_if ALL_FAILED was not met: not every dependency failed.',
    });
    expect(decideRunIf('ALL_SUCCESS', [F])).toEqual({
      action: 'skip',
      result: 'UPSTREAM_FAILED',
      reason: 'Upstream task failed (run_if ALL_SUCCESS).',
    });
  });
});

describe('dependencyOutcome', () => {
  const cases: [R, O][] = [
    [R.SUCCESS, S],
    [R.FAILED, F],
    [R.TIMEDOUT, F],
    [R.UPSTREAM_FAILED, F],
    [R.CANCELED, C],
    [R.UPSTREAM_CANCELED, C],
    [R.EXCLUDED, X],
    [R.DISABLED, X],
  ];
  for (const [result, outcome] of cases) {
    it(`${result} counts as ${outcome}`, () => expect(dependencyOutcome({ task_key: 'u' }, { result })).toBe(outcome));
  }
  it('a condition branch that was taken counts as succeeded, the other as excluded', () => {
    const up = { result: R.SUCCESS, conditionOutcome: 'true' as const };
    expect(dependencyOutcome({ task_key: 'c', outcome: 'true' }, up)).toBe(S);
    expect(dependencyOutcome({ task_key: 'c', outcome: 'false' }, up)).toBe(X);
  });
  it('a failed condition task counts as failed whatever the branch', () => {
    expect(dependencyOutcome({ task_key: 'c', outcome: 'true' }, { result: R.FAILED })).toBe(F);
  });
});
