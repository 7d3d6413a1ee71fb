// python_wheel_task: the package's entry point, run by runtime/python/djobs_wheel.py under the
// Python task runner (so it starts as a fork of the environment's warm interpreter, with dbutils).
import path from 'node:path';
import type { PythonWheelTask } from '../core';
import { projectRoot } from '../config/project-root';
import type { TaskCommand } from './commands';

const wheelRunner = () => path.join(projectRoot(), 'activities', 'runtime', 'python', 'djobs_wheel.py');

/**
 * The entry point's argv, as Databricks passes them: `parameters` as given, or each of
 * `named_parameters` as `--name=value`.
 */
export function wheelArguments(t: PythonWheelTask): string[] {
  if (t.named_parameters) return Object.entries(t.named_parameters).map(([k, v]) => `--${k}=${v}`);
  return t.parameters ?? [];
}

export function wheelCommand(
  t: PythonWheelTask,
  pythonRunner: string,
  python: string,
  jobParameters: Record<string, string>
): TaskCommand {
  return {
    command: python,
    args: [pythonRunner, wheelRunner(), t.package_name, t.entry_point, ...wheelArguments(t)],
    cwd: process.cwd(),
    params: { ...jobParameters },
    forkable: true,
  };
}
