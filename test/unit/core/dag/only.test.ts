import { describe, expect, it } from 'vitest';
import { onlyTasks } from '../../../../core';

// a → b → c, and d alone
const tasks = [
  { task_key: 'a' },
  { task_key: 'b', depends_on: [{ task_key: 'a' }] },
  { task_key: 'c', depends_on: [{ task_key: 'b' }] },
  { task_key: 'd' },
];
const keys = (only: string[]) => {
  const r = onlyTasks(tasks, only);
  return r.ok ? r.tasks : r.error;
};

describe('onlyTasks (run-now only)', () => {
  it.each([
    [['b'], [{ task_key: 'b' }]],
    [['+b'], [{ task_key: 'a' }, { task_key: 'b', depends_on: [{ task_key: 'a' }] }]],
    [['b+'], [{ task_key: 'b' }, { task_key: 'c', depends_on: [{ task_key: 'b' }] }]],
    [['+b+'], tasks.slice(0, 3)],
    [
      ['c', 'a'],
      [{ task_key: 'a' }, { task_key: 'c' }],
    ],
    [['d', 'd'], [{ task_key: 'd' }]],
  ])('%j runs the tasks it names, with their dependencies among them', (only, expected) => {
    expect(keys(only)).toEqual(expected);
  });

  it('refuses keys the job does not have, and an empty list', () => {
    expect(keys(['x', '+b', 'y+'])).toBe('only names tasks the job does not have: x, y+.');
    expect(keys([])).toBe('only must name at least one task.');
  });
});
