import { describe, expect, it } from 'vitest';
import { latestRepairIdProblem, repairSelection, type TaskResultState } from '../../../../core';

const tasks = [
  { task_key: 'a' },
  { task_key: 'b', depends_on: [{ task_key: 'a' }] },
  { task_key: 'c', depends_on: [{ task_key: 'b' }] },
  { task_key: 'd' },
];
const results: Record<string, TaskResultState> = { a: 'SUCCESS', b: 'FAILED', c: 'UPSTREAM_FAILED', d: 'EXCLUDED' };
const latest = (k: string) => results[k];

describe('repairSelection', () => {
  it('takes the named tasks, in the order given', () => {
    expect(repairSelection(tasks, latest, { rerunTasks: ['b', 'a'] }, 1)).toEqual({ ok: true, tasks: ['b', 'a'] });
  });
  it('adds every downstream task in spec order when asked', () => {
    expect(repairSelection(tasks, latest, { rerunTasks: ['a'], rerunDependentTasks: true }, 1)).toEqual({
      ok: true,
      tasks: ['a', 'b', 'c'],
    });
  });
  it('takes every task that did not succeed (excluded and disabled count as done), and new tasks', () => {
    expect(repairSelection([...tasks, { task_key: 'e' }], latest, { rerunAllFailedTasks: true }, 1)).toEqual({
      ok: true,
      tasks: ['b', 'c', 'e'],
    });
  });
  it('refuses duplicates, unknown keys, no choice, and nothing to run, with Databricks texts', () => {
    expect(repairSelection(tasks, latest, { rerunTasks: ['a', 'a'] }, 1)).toEqual({
      ok: false,
      error: 'rerun_tasks cannot contain duplicate task keys.',
    });
    expect(repairSelection(tasks, latest, { rerunTasks: ['x', 'y'] }, 1)).toEqual({
      ok: false,
      error: 'rerun_tasks names unknown tasks: x, y.',
    });
    expect(repairSelection(tasks, latest, {}, 1)).toEqual({
      ok: false,
      error: 'Repair needs rerun_tasks or rerun_all_failed_tasks.',
    });
    expect(repairSelection(tasks, () => 'SUCCESS', { rerunAllFailedTasks: true }, 9)).toEqual({
      ok: false,
      error: 'Run 9 has no failed tasks to repair.',
    });
  });
});

describe('latestRepairIdProblem', () => {
  const original = { type: 'ORIGINAL' };
  it.each([
    ['no id given', [original], undefined, undefined],
    [
      'an id on a run never repaired',
      [original],
      12345,
      'latest_repair_id 12345 names no repair: run 7 has not been repaired.',
    ],
    ['the latest repair', [original, { type: 'REPAIR', id: 5 }, { type: 'REPAIR', id: 9 }], 9, undefined],
    [
      'a stale repair',
      [original, { type: 'REPAIR', id: 5 }, { type: 'REPAIR', id: 9 }],
      5,
      'latest_repair_id 5 is not the latest repair of run 7: the latest is 9.',
    ],
  ] as const)('%s', (_title, history, id, problem) => {
    expect(latestRepairIdProblem(history, id, 7)).toBe(problem);
  });
});
