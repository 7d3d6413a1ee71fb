// Which task commands a Node.js task host started ahead of its attempt can run instead
// (runtime/node/task-host.cjs, kept ready by the fork server): the SQL runner (`node
// sql-runner.cjs --file F --db D`) and a Node.js file with dbutils preloaded (`node --require
// dbutils.cjs FILE ARGS...`). Anything else (a TypeScript notebook, which needs tsx's loaders from
// the start) is executed as it is.
import path from 'node:path';
import { nodeShim, runtimeDir, type TaskCommand } from './commands';
import type { ForkedTask } from './python-fork-server';

export function prestartedTask(cmd: TaskCommand): Extract<ForkedTask, { prestarted: unknown }> | undefined {
  if (cmd.command !== process.execPath) return undefined;
  const [first, second, third] = cmd.args;
  if (first === path.join(runtimeDir(), 'sql-runner.cjs')) return { prestarted: 'sql', argv: cmd.args.slice(1) };
  if (first === '--require' && second === nodeShim() && third !== undefined && !third.startsWith('-'))
    return { prestarted: 'node', argv: cmd.args.slice(2) };
  return undefined;
}
