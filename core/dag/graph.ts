// Graph facts about a job's tasks: which keys exist, who depends on whom, leaves, cycles.
// Pure: the schema validator, the workflow and the client all use it.

export interface DependencyRef {
  task_key: string;
  /** Only for dependencies on a condition task: the branch this edge follows. */
  outcome?: string;
}

export interface GraphTask {
  task_key: string;
  depends_on?: readonly DependencyRef[];
}

/** Tasks that no other task depends on; their results decide the run's result (Databricks §4.5). */
export function leafTaskKeys(tasks: readonly GraphTask[]): string[] {
  const upstream = new Set<string>();
  for (const t of tasks) for (const d of t.depends_on ?? []) upstream.add(d.task_key);
  return tasks.map((t) => t.task_key).filter((k) => !upstream.has(k));
}

/** Map from task key to the keys of tasks that depend on it, in spec order. */
export function downstreamOf(tasks: readonly GraphTask[]): Map<string, string[]> {
  const down = new Map<string, string[]>(tasks.map((t) => [t.task_key, []]));
  for (const t of tasks) for (const d of t.depends_on ?? []) down.get(d.task_key)?.push(t.task_key);
  return down;
}

/**
 * Every cycle's task keys in dependency order, each cycle reported once, starting from its
 * first task in spec order, e.g. ['a', 'b', 'c'] for a → b → c → a. Unknown keys are ignored
 * (they are reported separately). Self-dependencies are cycles of length one.
 */
export function findCycles(tasks: readonly GraphTask[]): string[][] {
  const byKey = new Map(tasks.map((t) => [t.task_key, t]));
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>(tasks.map((t) => [t.task_key, WHITE]));
  const cycles: string[][] = [];
  const stack: string[] = [];

  // Iterative DFS over "depends on" edges; the stack holds the current path.
  for (const root of tasks) {
    if (color.get(root.task_key) !== WHITE) continue;
    const frames: { key: string; next: number }[] = [{ key: root.task_key, next: 0 }];
    color.set(root.task_key, GREY);
    stack.push(root.task_key);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const deps = byKey.get(frame.key)?.depends_on ?? [];
      if (frame.next >= deps.length) {
        color.set(frame.key, BLACK);
        stack.pop();
        frames.pop();
        continue;
      }
      const dep = deps[frame.next++]!.task_key;
      const c = color.get(dep);
      if (c === undefined || c === BLACK) continue;
      if (c === GREY) {
        // The path from dep to the top of the stack, reversed, is the cycle in "runs before" order.
        const from = stack.lastIndexOf(dep);
        const cycle = stack.slice(from).reverse();
        cycles.push(rotateToFirst(cycle, tasks));
        continue;
      }
      color.set(dep, GREY);
      stack.push(dep);
      frames.push({ key: dep, next: 0 });
    }
  }
  return dedupeCycles(cycles);
}

function rotateToFirst(cycle: string[], tasks: readonly GraphTask[]): string[] {
  const order = new Map(tasks.map((t, i) => [t.task_key, i]));
  let best = 0;
  for (let i = 1; i < cycle.length; i++) if (order.get(cycle[i]!)! < order.get(cycle[best]!)!) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

function dedupeCycles(cycles: string[][]): string[][] {
  const seen = new Set<string>();
  return cycles.filter((c) => {
    const id = c.join('\u0000');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Human form of a cycle: "a → b → c → a". */
export function describeCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' → ');
}

/** Every task that `key` transitively depends on, in spec order. */
export function ancestorsOf(tasks: readonly GraphTask[], key: string): string[] {
  const byKey = new Map(tasks.map((t) => [t.task_key, t]));
  const seen = new Set<string>();
  const stack = [...(byKey.get(key)?.depends_on ?? []).map((d) => d.task_key)];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (seen.has(k)) continue;
    seen.add(k);
    for (const d of byKey.get(k)?.depends_on ?? []) stack.push(d.task_key);
  }
  return tasks.map((t) => t.task_key).filter((k) => seen.has(k));
}
