// No-op task starts per task type, sandboxed (the default) and not (`--no-sandbox`), side by side
// in the same run: a Python file, a shell command, a SQL file on the DuckDB warehouse and a Node.js
// file, from attempt start to exit (executeTaskAttempt, no Temporal), each through its warm path
// (the worker's fork server: a Python fork, a forked command, a Node.js task host started ahead).
// Target: ≤ 25 ms sandboxed (issue 25).
//
// Two figures per row. `p50_ms` is an attempt that finds its spare ready, as one does whenever its
// worker's previous attempt of that kind started more than a spare's start ago (the fork server
// prepares the next attempt's supervisor, and for SQL and Node.js its task host, while one runs):
// the bench waits for the spare before each such attempt. `back_to_back_p50_ms` starts each
// attempt as soon as the previous one ended, so that an attempt may wait for its spare: on a
// loaded 2-core machine a Node.js task host takes longer to start than a no-op attempt lasts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Task, TaskAttemptInput } from '../core';
import { DEFAULT_SANDBOX } from '../config/sandbox';
import { executeTaskAttempt } from '../activities/execute';
import type { PrestartKind } from '../activities/python-fork-server';
import { PythonForkServers } from '../activities/python-fork-servers';

export const SANDBOXED_TASK_START_TARGET_MS = 25;

type TaskType = 'python' | 'shell' | 'sql' | 'node';
const TYPES: TaskType[] = ['python', 'shell', 'sql', 'node'];
/** Which spare each type's attempt takes. */
const SPARE: Record<TaskType, 'fork' | PrestartKind> = { python: 'fork', shell: 'fork', sql: 'sql', node: 'node' };

export interface TaskStartRow {
  type: TaskType;
  sandbox: 'on' | 'off';
  samples: number;
  p50_ms: number;
  p90_ms: number;
  back_to_back_p50_ms: number;
  /** Sandboxed over unsandboxed, measured in the same run: p50_ms, then back_to_back_p50_ms. */
  vs_unsandboxed: string;
  target_ms: number | string;
  met: string;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;

function noopTasks(code: string): Record<TaskType, Task> {
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(code, name), text);
    return path.join(code, name);
  };
  return {
    python: { task_key: 'python', spark_python_task: { python_file: file('noop.py', 'pass\n') } },
    shell: { task_key: 'shell', shell_command_task: { command: ['true'] } },
    sql: { task_key: 'sql', sql_task: { file: { path: file('noop.sql', 'SELECT 1;\n') } } },
    node: { task_key: 'node', notebook_task: { notebook_path: file('noop.js', '\n') } },
  };
}

/** No-op attempts of every type, `samples` each way, after a warm-up, sandboxed and not. */
export async function taskStarts(samples = 20): Promise<TaskStartRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-starts-'));
  fs.chmodSync(dir, 0o755); // the tasks' code: read by their uid as by any other user
  const code = path.join(dir, 'code');
  const home = path.join(dir, 'home');
  fs.mkdirSync(code);
  fs.mkdirSync(home, { mode: 0o700 });
  const tasks = noopTasks(code);
  const rows: TaskStartRow[] = [];
  let n = 0;
  try {
    for (const sandboxed of [true, false]) {
      const servers = new PythonForkServers();
      const attempt = async (type: TaskType) => {
        const input: TaskAttemptInput = {
          runId: 1,
          jobName: 'bench',
          taskRunId: 2 ** 17 + n,
          attemptNumber: n++,
          jobParameters: {},
          upstreamTaskValues: {},
          task: tasks[type],
        };
        const t0 = performance.now();
        const record = await executeTaskAttempt(input, {
          dataDir: home,
          signal: new AbortController().signal,
          pythonForkServers: servers,
          sandbox: { ...DEFAULT_SANDBOX, enabled: sandboxed },
          runAs: { kind: 'user', name: 'bench@example.com' },
        });
        if (record.exitCode !== 0) throw new Error(`the no-op ${type} task failed: ${record.logTail}`);
        return performance.now() - t0;
      };
      const spareReady = async (type: TaskType) => {
        const deadline = Date.now() + 60_000;
        while (!servers.servers.some((s) => s.spareReadyFor(SPARE[type]))) {
          if (Date.now() > deadline) throw new Error(`no spare for ${type} attempts within 60 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      try {
        for (const type of TYPES) {
          await attempt(type); // starts the fork server and the first spare of the kind
          const warm: number[] = [];
          for (let i = 0; i < samples; i++) {
            await spareReady(type);
            warm.push(await attempt(type));
          }
          const backToBack: number[] = [];
          for (let i = 0; i < samples; i++) backToBack.push(await attempt(type));
          const p50 = +quantile(warm, 0.5).toFixed(1);
          rows.push({
            type,
            sandbox: sandboxed ? 'on' : 'off',
            samples,
            p50_ms: p50,
            p90_ms: +quantile(warm, 0.9).toFixed(1),
            back_to_back_p50_ms: +quantile(backToBack, 0.5).toFixed(1),
            vs_unsandboxed: '',
            target_ms: sandboxed ? SANDBOXED_TASK_START_TARGET_MS : '-',
            met: sandboxed ? (p50 <= SANDBOXED_TASK_START_TARGET_MS ? 'yes' : 'NO') : '',
          });
        }
      } finally {
        servers.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const ratio = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
  for (const on of rows.filter((r) => r.sandbox === 'on')) {
    const off = rows.find((r) => r.sandbox === 'off' && r.type === on.type)!;
    on.vs_unsandboxed = `${ratio(on.p50_ms, off.p50_ms)}, ${ratio(on.back_to_back_p50_ms, off.back_to_back_p50_ms)}`;
  }
  return rows;
}
