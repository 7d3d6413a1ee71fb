// The job shapes the benchmark sections run, each with the hand-written Temporal workflow that
// does the same work (bench/workflows.ts) where one exists.
import { FOR_EACH_INPUTS_MAX_CHARACTERS, type JobSettings } from '../core';

/** n shell tasks, each depending on the one before. */
export function chainSpec(n: number, command = 'true'): JobSettings {
  return {
    name: `chain-${n}`,
    tasks: Array.from({ length: n }, (_, i) => ({
      task_key: `t${i}`,
      shell_command_task: { command },
      ...(i > 0 ? { depends_on: [{ task_key: `t${i - 1}` }] } : {}),
    })),
  };
}

/** A root, `width` tasks depending on it, and a sink depending on all of them. */
export function fanSpec(width: number, command = 'true'): JobSettings {
  const mids = Array.from({ length: width }, (_, i) => ({
    task_key: `m${i}`,
    shell_command_task: { command },
    depends_on: [{ task_key: 'root' }],
  }));
  return {
    name: `fan-${width}`,
    tasks: [
      { task_key: 'root', shell_command_task: { command } },
      ...mids,
      { task_key: 'sink', shell_command_task: { command }, depends_on: mids.map((m) => ({ task_key: m.task_key })) },
    ],
  };
}

/** The same fixed-seed random DAG for both engines: each task depends on up to three earlier ones. */
export function randomDeps(n: number, seed: number): number[][] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<number>();
    const k = i === 0 ? 0 : Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) deps.add(Math.floor(rand() * i));
    return [...deps];
  });
}

export function dagSpec(deps: number[][]): JobSettings {
  return {
    name: `random-${deps.length}`,
    tasks: deps.map((ds, i) => ({
      task_key: `t${i}`,
      shell_command_task: { command: 'true' },
      ...(ds.length > 0 ? { depends_on: ds.map((d) => ({ task_key: `t${d}` })) } : {}),
    })),
  };
}

/**
 * One for_each task over n inputs, `concurrency` iterations at once. An array longer than
 * Databricks' 10,000 characters inline (10,000 inputs) is passed through a job parameter, which
 * Databricks allows up to 48 KiB.
 */
export function forEachSpec(n: number, concurrency: number): JobSettings {
  const items = JSON.stringify(Array.from({ length: n }, (_, i) => i));
  const inline = items.length <= FOR_EACH_INPUTS_MAX_CHARACTERS;
  return {
    name: `for-each-${n}`,
    ...(inline ? {} : { parameters: [{ name: 'items', default: items }] }),
    tasks: [
      {
        task_key: 'each',
        for_each_task: {
          inputs: inline ? items : '{{job.parameters.items}}',
          concurrency,
          task: { task_key: 'item', shell_command_task: { command: 'true' } },
        },
      },
    ],
  };
}
