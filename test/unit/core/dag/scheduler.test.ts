import { describe, expect, it } from 'vitest';
import {
  allTerminal,
  ancestorsOf,
  describeCycle,
  findCycles,
  initialProgress,
  leafTaskKeys,
  nextSteps,
  runOutcome,
  type Progress,
  type SchedulerTask,
  type TaskResultState,
} from '../../../../core';

const t = (task_key: string, deps: string[] = [], extra: Partial<SchedulerTask> = {}): SchedulerTask => ({
  task_key,
  depends_on: deps.map((k) => ({ task_key: k })),
  ...extra,
});
const done = (result: TaskResultState) => ({ phase: 'TERMINAL' as const, terminal: { result } });

describe('nextSteps', () => {
  const diamond = [t('a'), t('b', ['a']), t('c', ['a']), t('d', ['b', 'c'])];

  it('starts roots first, in spec order', () => {
    expect(nextSteps(diamond, initialProgress(diamond))).toEqual({ start: ['a'], skip: [] });
  });

  it('starts every task whose dependencies are finished', () => {
    const p: Progress = { ...initialProgress(diamond), a: done('SUCCESS') };
    expect(nextSteps(diamond, p)).toEqual({ start: ['b', 'c'], skip: [] });
  });

  it('waits for all dependencies of a join', () => {
    const p: Progress = {
      ...initialProgress(diamond),
      a: done('SUCCESS'),
      b: done('SUCCESS'),
      c: { phase: 'RUNNING' },
    };
    expect(nextSteps(diamond, p)).toEqual({ start: [], skip: [] });
  });

  it('cascades skips to a fixpoint', () => {
    const p: Progress = { ...initialProgress(diamond), a: done('FAILED') };
    const steps = nextSteps(diamond, p);
    expect(steps.start).toEqual([]);
    expect(steps.skip.map((s) => [s.task_key, s.result])).toEqual([
      ['b', 'UPSTREAM_FAILED'],
      ['c', 'UPSTREAM_FAILED'],
      ['d', 'UPSTREAM_FAILED'],
    ]);
  });

  it('runs a cleanup task after a failure and excludes a failure handler after success', () => {
    const tasks = [
      t('a'),
      t('on_fail', ['a'], { run_if: 'AT_LEAST_ONE_FAILED' }),
      t('cleanup', ['a'], { run_if: 'ALL_DONE' }),
    ];
    expect(nextSteps(tasks, { ...initialProgress(tasks), a: done('FAILED') }).start).toEqual(['on_fail', 'cleanup']);
    const ok = nextSteps(tasks, { ...initialProgress(tasks), a: done('SUCCESS') });
    expect(ok.start).toEqual(['cleanup']);
    expect(ok.skip).toEqual([
      {
        task_key: 'on_fail',
        result: 'EXCLUDED',
        reason: 'Condition run_if AT_LEAST_ONE_FAILED was not met: no dependency failed.',
      },
    ]);
  });

  it('a task whose dependencies are all excluded is excluded, whatever its run_if', () => {
    const tasks = [t('a'), t('h', ['a'], { run_if: 'AT_LEAST_ONE_FAILED' }), t('after', ['h'], { run_if: 'ALL_DONE' })];
    const steps = nextSteps(tasks, { ...initialProgress(tasks), a: done('SUCCESS') });
    expect(steps.skip.map((s) => [s.task_key, s.result])).toEqual([
      ['h', 'EXCLUDED'],
      ['after', 'EXCLUDED'],
    ]);
  });

  it('disabled tasks are skipped as DISABLED and count as excluded downstream', () => {
    const tasks = [t('a', [], { disabled: true }), t('b', ['a'])];
    const steps = nextSteps(tasks, initialProgress(tasks));
    expect(steps.skip.map((s) => [s.task_key, s.result])).toEqual([
      ['a', 'DISABLED'],
      ['b', 'EXCLUDED'],
    ]);
  });

  it('does not change the progress it is given', () => {
    const p = initialProgress(diamond);
    nextSteps(diamond, p);
    expect(p).toEqual(initialProgress(diamond));
  });
});

describe('runOutcome (job result from leaf tasks)', () => {
  const chain = [t('a'), t('b', ['a'])];
  const withCleanup = [t('a'), t('cleanup', ['a'], { run_if: 'ALL_DONE' })];
  const cases: [string, SchedulerTask[], Record<string, TaskResultState>, string][] = [
    ['all succeeded', chain, { a: 'SUCCESS', b: 'SUCCESS' }, 'SUCCESS'],
    ['a leaf failed', chain, { a: 'SUCCESS', b: 'FAILED' }, 'FAILED'],
    ['a leaf timed out', chain, { a: 'SUCCESS', b: 'TIMEDOUT' }, 'FAILED'],
    ['an upstream failed so the leaf was skipped', chain, { a: 'FAILED', b: 'UPSTREAM_FAILED' }, 'FAILED'],
    [
      'a failure absorbed by an ALL_DONE leaf',
      withCleanup,
      { a: 'FAILED', cleanup: 'SUCCESS' },
      'SUCCESS_WITH_FAILURES',
    ],
    [
      'excluded leaves count as success',
      [t('a'), t('h', ['a'], { run_if: 'ALL_FAILED' })],
      { a: 'SUCCESS', h: 'EXCLUDED' },
      'SUCCESS',
    ],
    ['a canceled leaf', chain, { a: 'SUCCESS', b: 'CANCELED' }, 'CANCELED'],
  ];
  for (const [name, tasks, results, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const p: Progress = {};
      for (const [k, r] of Object.entries(results)) p[k] = done(r);
      expect(allTerminal(tasks, p)).toBe(true);
      expect(runOutcome(tasks, p, undefined).result).toBe(expected);
    });
  }
  it('user cancel and job timeout decide the result outright', () => {
    const p: Progress = { a: done('SUCCESS'), b: done('SUCCESS') };
    expect(runOutcome(chain, p, 'CANCELED').result).toBe('CANCELED');
    expect(runOutcome(chain, p, 'TIMEDOUT').result).toBe('TIMEDOUT');
  });
  it('names the failed task and its message, as Databricks does', () => {
    const p: Progress = { a: done('FAILED'), b: done('UPSTREAM_FAILED') };
    expect(runOutcome(chain, p, undefined, (k) => (k === 'a' ? 'boom' : undefined)).message).toBe(
      'Task a failed with message: boom. This caused all downstream tasks to get skipped.'
    );
  });
});

describe('graph', () => {
  it('finds leaves', () => expect(leafTaskKeys([t('a'), t('b', ['a']), t('c', ['a'])])).toEqual(['b', 'c']));
  it('names every cycle once, from its first task in spec order', () => {
    const cycles = findCycles([t('a', ['c']), t('b', ['a']), t('c', ['b']), t('d', ['d']), t('e')]);
    expect(cycles.map(describeCycle)).toEqual(['a → b → c → a', 'd → d']);
  });
  it('finds no cycle in a DAG', () => expect(findCycles([t('a'), t('b', ['a']), t('c', ['a', 'b'])])).toEqual([]));
  it('lists ancestors in spec order', () =>
    expect(ancestorsOf([t('a'), t('b', ['a']), t('x'), t('c', ['b'])], 'c')).toEqual(['a', 'b']));
});
