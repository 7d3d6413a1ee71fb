// run-now's `only` (https://docs.databricks.com/api/workspace/jobs/runnow): the tasks a run runs.
// `key` runs that task alone, `+key` also everything upstream of it, `key+` everything downstream,
// `+key+` both. The run's settings keep the chosen tasks only, so the run shows and runs them
// alone; a dependency on a task left out is dropped, since that task does not run in this run.
import { ancestorsOf, downstreamOf, type GraphTask } from './graph';

/** The chosen tasks in spec order, each without its dependencies on tasks left out, or why `only` is invalid. */
export function onlyTasks<T extends GraphTask>(
  tasks: readonly T[],
  only: readonly string[]
): { ok: true; tasks: T[] } | { ok: false; error: string } {
  const keys = new Set(tasks.map((t) => t.task_key));
  const chosen = new Set<string>();
  const unknown: string[] = [];
  const down = downstreamOf(tasks);
  for (const entry of only) {
    const up = entry.startsWith('+');
    const downstream = entry.length > 1 && entry.endsWith('+');
    const key = entry.slice(up ? 1 : 0, downstream ? -1 : undefined);
    if (!keys.has(key)) {
      unknown.push(entry);
      continue;
    }
    chosen.add(key);
    if (up) for (const k of ancestorsOf(tasks, key)) chosen.add(k);
    if (downstream) {
      const stack = [key];
      while (stack.length > 0)
        for (const d of down.get(stack.pop()!) ?? [])
          if (!chosen.has(d)) {
            chosen.add(d);
            stack.push(d);
          }
    }
  }
  if (unknown.length > 0)
    return {
      ok: false,
      error: `only names ${unknown.length > 1 ? 'tasks' : 'a task'} the job does not have: ${unknown.join(', ')}.`,
    };
  if (chosen.size === 0) return { ok: false, error: 'only must name at least one task.' };
  return {
    ok: true,
    tasks: tasks
      .filter((t) => chosen.has(t.task_key))
      .map((t) => {
        if (!t.depends_on?.some((d) => !chosen.has(d.task_key))) return t;
        const kept = t.depends_on.filter((d) => chosen.has(d.task_key));
        const { depends_on: _dropped, ...rest } = t;
        return (kept.length > 0 ? { ...rest, depends_on: kept } : rest) as T;
      }),
  };
}
