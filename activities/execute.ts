// One attempt of one task, without Temporal: spawn the process tree, stream its output to the
// attempt's log file, enforce the timeout, collect task values. The activity wraps this.
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_WAREHOUSE_ID,
  LOG_TAIL_BYTES,
  TASK_VALUE_MAX_BYTES,
  runLogDirName,
  type JsonValue,
  type RunAsIdentity,
  type TaskAttemptInput,
  type TaskAttemptRecord,
  type SqlResultSummary,
} from '../core';
import { START_TRACE_VARIABLE, type AttemptTrace } from './attempt-trace';
import { taskCommand, TaskInvalidError, type CommandContext, type TaskCommand } from './commands';
import { createContainment, type Containment, type ContainmentChoice, type ContainmentMechanism } from './containment';
import { mlflowTaskEnv, prepareExperiment } from './mlflow-env';
import { endStream, runProcess, spawnSupervisor, Tail, type SupervisorStarter } from './process';
import type { ForkedTask } from './python-fork-server';
import type { PythonForkServers } from './python-fork-servers';
import { prestartedTask } from './prestarted';
import { pythonInstall } from './python-interpreter';
import type { OutputFilter } from './redaction';
import { createScratch, removeScratch, scratchDir, writeScratchFile, type Owner } from './sandbox/scratch';
import { principalKey, TaskUids, warehouseKey } from './sandbox/uids';
import {
  DEFAULT_SANDBOX,
  sandboxSpec,
  sandboxView,
  taskFiles,
  type SandboxKind,
  type SandboxSettings,
  type SandboxView,
} from './sandbox/view';
import { prepareTaskRuntime, RuntimeSetupError } from './task-runtime';
import { warehouseFile, warehousePath } from './warehouses';

export type AttemptFailureKind = 'FAILED' | 'TIMEDOUT' | 'INVALID' | 'CANCELED';

/** The attempt did not succeed; `record` is what it left behind (logs, timing). */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: AttemptFailureKind,
    message: string,
    readonly record: TaskAttemptRecord
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }
}

export interface ExecuteContext {
  dataDir: string;
  signal: AbortSignal;
  python?: string;
  /** MLflow tracking server of the tasks, unless the environment sets MLFLOW_TRACKING_URI. */
  mlflowTrackingUri?: string;
  /** Called with the supervisor's pid (its process group) and container once the attempt started. */
  onStart?: (pid: number, containment: Containment) => void;
  /** @default DJOBS_CONTAINMENT, else auto */
  containment?: ContainmentChoice;
  /** More environment for the task's process (resolved secrets for dbutils). */
  env?: Record<string, string>;
  /** Rewrites output before it reaches the log and the tail (secret redaction). */
  outputFilter?: OutputFilter;
  /** The worker's Python fork servers; without them every Python attempt starts a fresh interpreter. */
  pythonForkServers?: PythonForkServers;
  /** Marks where the attempt's time goes (the bench; its file goes to the task's environment). */
  trace?: AttemptTrace;
  /** How attempts are sandboxed (activities/sandbox/view.ts). @default on, network on, no extra paths */
  sandbox?: SandboxSettings;
  /**
   * Who the attempt acts as, the identity its run's workflow opened from the API's seal
   * (`attemptIdentity`, run-as.ts): whose uid it runs as. @default nobody's: an anonymous principal
   */
  runAs?: RunAsIdentity;
  /** The uids of principals (one registry per worker). @default one in `dataDir` */
  uids?: TaskUids;
  /**
   * The real path of a file the task names, for the run's principal (activities/task-files.ts).
   * @default the file itself, which must exist (the local admin's view)
   */
  resolveFile?: CommandContext['resolveFile'];
  /**
   * Workspace directories the run's principal may read and write (`taskWorkspacePaths`,
   * task-files.ts): shown in its sandbox even inside DJOBS_HOME. @default none
   */
  workspacePaths?: { readable: string[]; writable: string[] };
  /**
   * Warehouses the task could use unnamed (a Python notebook's `%sql`, a dbt task's generated
   * profile) that its run's identity may not use: its sandbox does not show them. @default none
   */
  unusableWarehouses?: string[];
}

/** Any existing file, as named: the local admin's view. */
const existingFile: CommandContext['resolveFile'] = (p, what) => {
  if (!fs.existsSync(p) || !fs.statSync(p).isFile())
    throw new TaskInvalidError(`${what} ${p} does not exist.`, 'RESOURCE_NOT_FOUND');
  return p;
};

/**
 * Files of the run's Git checkout are the task's to read whoever it runs as (their real path stays
 * in the checkout: a symlink of the repository cannot lead out); other paths as `resolve` decides.
 */
function inCheckoutOr(
  checkout: string | undefined,
  resolve: CommandContext['resolveFile']
): CommandContext['resolveFile'] {
  if (checkout === undefined) return resolve;
  const root = fs.realpathSync(checkout);
  return (p, what, discoverExtension) => {
    if (!path.isAbsolute(p) || !(p === checkout || p.startsWith(`${checkout}/`)))
      return resolve(p, what, discoverExtension);
    const real = fs.existsSync(p) ? fs.realpathSync(p) : undefined;
    if (!real || !real.startsWith(`${root}/`) || !fs.statSync(real).isFile())
      throw new TaskInvalidError(`${what} ${p} does not exist.`, 'RESOURCE_NOT_FOUND');
    return real;
  };
}

/**
 * An attempt's files are named by its task run id, which no other attempt of the run shares:
 * attempt numbers start at 0 again in a repair, and a repair must not write over the log of the
 * attempt it repairs. Runs record each attempt's log path, so logs written under the older
 * `attempt-<n>.log` names stay readable.
 */
export function attemptLogPath(dataDir: string, input: Pick<TaskAttemptInput, 'runId' | 'task' | 'taskRunId'>): string {
  return path.join(dataDir, 'logs', runLogDirName(input.runId), input.task.task_key, `${input.taskRunId}.log`);
}

/** The log of what an attempt's setup did (its environment's install, its checkout), beside its log. */
export const setupLogPath = (logPath: string): string => logPath.replace(/\.log$/, '.setup.log');

/** dbt_task: where the attempt's dbt artifacts are kept once its scratch directory is gone. */
const dbtArtifactsPath = (logPath: string): string => logPath.replace(/\.log$/, '.dbt-artifacts.tar.gz');

export async function executeTaskAttempt(input: TaskAttemptInput, ctx: ExecuteContext): Promise<TaskAttemptRecord> {
  const startTime = Date.now();
  ctx.trace?.mark('worker: attempt starts');
  const logPath = attemptLogPath(ctx.dataDir, input);
  fs.mkdirSync(path.dirname(logPath), { recursive: true, mode: 0o700 });
  fs.rmSync(setupLogPath(logPath), { force: true });
  const settings = ctx.sandbox ?? DEFAULT_SANDBOX;
  const uids = settings.enabled ? (ctx.uids ?? new TaskUids(ctx.dataDir, settings.uidBase)) : undefined;
  const uid = uids?.uidOf(principalKey(ctx.runAs));
  const owner: Owner | undefined = uid !== undefined ? { uid, gid: uid } : undefined;
  const scratch = createScratch(
    ctx.dataDir,
    `run-${input.runId}-${input.taskRunId}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    owner
  );

  const log = fs.createWriteStream(logPath, { mode: 0o600 });
  const tail = new Tail(LOG_TAIL_BYTES);
  // Known once the attempt starts.
  const contained: { mechanism?: ContainmentMechanism; sandbox?: SandboxKind } = {};
  const facts: Partial<TaskAttemptRecord> = {}; // its environment, its dbt artifacts
  const record = (extra: Partial<TaskAttemptRecord> = {}): TaskAttemptRecord => ({
    startTime,
    endTime: Date.now(),
    logPath,
    logTail: tail.text(),
    logTruncated: tail.truncated,
    taskValues: {},
    ...(contained.mechanism ? { containment: contained.mechanism } : {}),
    ...(contained.sandbox ? { sandbox: contained.sandbox } : {}),
    ...facts,
    ...extra,
  });
  const emit = (chunk: Buffer) => {
    tail.push(chunk);
    log.write(chunk);
  };
  const write = (chunk: Buffer) => emit(ctx.outputFilter ? ctx.outputFilter.push(chunk) : chunk);
  const closeLog = async () => {
    if (ctx.outputFilter) emit(ctx.outputFilter.flush());
    await endStream(log);
  };

  try {
    const baseInstall = await pythonInstall(ctx.python ?? process.env.DJOBS_PYTHON ?? 'python3');
    let prepared;
    try {
      prepared = await prepareTaskRuntime(input, {
        dataDir: ctx.dataDir,
        basePython: baseInstall.executable,
        // Installs and checkouts write to a log of their own: the task's log stays its program's.
        log: (text) => fs.appendFileSync(setupLogPath(logPath), text, { mode: 0o600 }),
        signal: ctx.signal,
        resolveFile: ctx.resolveFile ?? existingFile,
      });
    } catch (err) {
      if (err instanceof RuntimeSetupError) write(Buffer.from(`${err.message}\n`));
      await closeLog();
      if (ctx.signal.aborted) throw new AttemptFailure('CANCELED', 'Task was canceled.', record());
      if (!(err instanceof RuntimeSetupError)) throw err;
      const failed = record({ errorMessage: err.message, terminationCode: err.terminationCode });
      throw new AttemptFailure('FAILED', err.message, failed);
    }
    if (prepared.environment) facts.environment = prepared.environment;
    // An environment's interpreter runs the task (and has a fork server of its own).
    const install = prepared.python ? await pythonInstall(prepared.python) : baseInstall;
    const python = install.executable;
    let cmd: TaskCommand;
    let warehouse: { dir: string; gid?: number } | undefined;
    try {
      cmd = taskCommand(prepared.task, input.jobParameters, {
        python,
        resolveFile: inCheckoutOr(prepared.checkout, ctx.resolveFile ?? existingFile),
        warehouseFile: (id) => {
          // A sandboxed task writes its warehouse as a member of the warehouse's group (once
          // the id is shown to be a warehouse id, never a path: checked again for older runs).
          const named = warehousePath(ctx.dataDir, id);
          // One the run's identity may not use (and did not name) is never shown to the task.
          if (ctx.unusableWarehouses?.includes(id ?? DEFAULT_WAREHOUSE_ID)) return named;
          const gid = uids?.uidOf(warehouseKey(id));
          const file = warehouseFile(ctx.dataDir, id, gid);
          warehouse = { dir: path.dirname(file), ...(gid !== undefined ? { gid } : {}) };
          return file;
        },
        scratchFile: (name, content) => writeScratchFile(scratch, name, content, owner),
        scratchDir: (name) => scratchDir(scratch, name, owner),
      });
      cmd.readOnlyPaths = [...(cmd.readOnlyPaths ?? []), ...prepared.readOnlyPaths];
    } catch (err) {
      const message = err instanceof TaskInvalidError ? err.message : String(err);
      write(Buffer.from(`${message}\n`));
      await closeLog();
      const code = err instanceof TaskInvalidError ? { terminationCode: err.terminationCode } : {};
      throw new AttemptFailure('INVALID', message, record({ errorMessage: message, ...code }));
    }

    const valuesOut = path.join(scratch.dir, 'task-values-out.jsonl');
    const exitFile = path.join(scratch.dir, 'notebook-exit');
    const sqlResultFile = path.join(scratch.dir, 'sql-result.json');
    // The runtime's own words for a failure (a notebook names the cell), preferred to the log's tail.
    const errorFile = path.join(scratch.dir, 'task-error');
    const runContext: Record<string, string> = {
      DJOBS_RUN_ID: String(input.runId),
      DJOBS_JOB_ID: input.jobId !== undefined ? String(input.jobId) : '',
      DJOBS_JOB_NAME: input.jobName,
      DJOBS_TASK_KEY: input.task.task_key,
      DJOBS_TASK_RUN_ID: String(input.taskRunId),
      DJOBS_ATTEMPT_NUMBER: String(input.attemptNumber),
      DJOBS_PARAMS: JSON.stringify(cmd.params),
      DJOBS_TASK_VALUES_IN: writeScratchFile(
        scratch,
        'task-values-in.json',
        JSON.stringify(input.upstreamTaskValues),
        owner
      ),
      DJOBS_TASK_VALUES_OUT: valuesOut,
      DJOBS_NOTEBOOK_EXIT: exitFile,
      DJOBS_SQL_RESULT: sqlResultFile,
      DJOBS_TASK_ERROR_FILE: errorFile,
      ...(ctx.env?.DJOBS_SECRETS !== undefined ? { DJOBS_SECRETS: ctx.env.DJOBS_SECRETS } : {}),
      ...(ctx.trace ? { [START_TRACE_VARIABLE]: ctx.trace.file } : {}),
    };
    const { DJOBS_SECRETS: _secrets, ...ownEnv } = ctx.env ?? {};
    // The run's checkout is the task's code, whoever it runs as (a `%run` of a Git notebook too).
    if (prepared.checkout)
      ownEnv.DJOBS_CODE_ROOTS = [ownEnv.DJOBS_CODE_ROOTS, prepared.checkout]
        .filter((d) => d !== undefined && d !== '')
        .join(',');
    if (ctx.trace) {
      fs.closeSync(fs.openSync(ctx.trace.file, 'a'));
      if (owner) fs.chownSync(ctx.trace.file, owner.uid, owner.gid); // the forked processes append to it
    }
    const view = sandboxView({
      settings,
      dataDir: ctx.dataDir,
      ...(ctx.runAs ? { principal: ctx.runAs } : {}),
      uid: uid ?? -1,
      scratch,
      code: taskFiles(prepared.task, inCheckoutOr(prepared.checkout, ctx.resolveFile ?? existingFile)),
      cwd: cmd.cwd,
      python: install,
      ...(warehouse ? { warehouse } : {}),
      extra: { own: ctx.trace ? [ctx.trace.file] : [] },
      granted: {
        readOnly: [...(cmd.readOnlyPaths ?? []), ...(ctx.workspacePaths?.readable ?? [])],
        readWrite: ctx.workspacePaths?.writable ?? [],
      },
      taskEnv: {
        ...mlflowTaskEnv(input, process.env, ctx.mlflowTrackingUri),
        ...prepared.env,
        ...(cmd.env ?? {}),
        ...ownEnv,
      },
      runContext,
    });
    const env = view.env;
    await prepareExperiment(env);
    const start = await starter(cmd, python, view, ctx.pythonForkServers);
    const timeoutSeconds = input.task.timeout_seconds ?? 0;
    const box = createContainment(
      `${input.taskRunId}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      ctx.containment
    );
    contained.mechanism = box.mechanism;
    contained.sandbox = view.kind;
    let outcome;
    try {
      outcome = await runProcess(
        {
          command: cmd.command,
          args: cmd.args,
          cwd: view.cwd,
          env,
          output: write,
          timeoutMs: timeoutSeconds * 1000,
          signal: ctx.signal,
          python,
          containment: box,
          sandbox: sandboxSpec(view),
          onStart: (pid, containment) => ctx.onStart?.(pid, containment),
          ...(ctx.trace ? { trace: (moment: string) => ctx.trace!.mark(moment) } : {}),
        },
        start
      );
    } catch (err) {
      const message = `Could not start ${cmd.command}: ${(err as Error).message}`;
      write(Buffer.from(`${message}\n`));
      await closeLog();
      throw new AttemptFailure('INVALID', message, record({ errorMessage: message }));
    }
    await closeLog();
    ctx.trace?.mark('worker: log closed');
    if (cmd.dbtArtifacts && fs.existsSync(cmd.dbtArtifacts)) {
      // Kept beside the log: the scratch directory goes with the attempt.
      fs.copyFileSync(cmd.dbtArtifacts, dbtArtifactsPath(logPath));
      facts.dbtArtifacts = dbtArtifactsPath(logPath);
    }
    contained.mechanism = outcome.containment; // the cgroup may have been refused to the task

    if (outcome.canceled) throw new AttemptFailure('CANCELED', 'Task was canceled.', record());
    if (outcome.timedOut) {
      const message = `Task timed out after ${timeoutSeconds} seconds`;
      throw new AttemptFailure('TIMEDOUT', message, record({ errorMessage: message, exitCode: outcome.exitCode }));
    }
    const notebookResult = fs.existsSync(exitFile) ? fs.readFileSync(exitFile, 'utf8') : undefined;
    if (outcome.exitCode !== 0) {
      const reported = fs.existsSync(errorFile) ? fs.readFileSync(errorFile, 'utf8').trim() : '';
      const message = reported || errorMessageOf(tail.text(), outcome.exitCode, outcome.signal);
      throw new AttemptFailure('FAILED', message, record({ errorMessage: message, exitCode: outcome.exitCode }));
    }
    let taskValues: Record<string, JsonValue>;
    try {
      taskValues = readTaskValues(valuesOut);
    } catch (err) {
      const message = (err as Error).message;
      throw new AttemptFailure('FAILED', message, record({ errorMessage: message, exitCode: 0 }));
    }
    // Only a sql_task's (a notebook's %sql cells run the same runner).
    const sqlResult = input.task.sql_task ? readSqlResult(sqlResultFile) : undefined;
    return record({
      exitCode: 0,
      taskValues,
      ...(notebookResult !== undefined ? { notebookResult } : {}),
      ...(sqlResult ? { sqlResult } : {}),
    });
  } finally {
    if (!log.closed) log.destroy();
    removeScratch(scratch);
  }
}

/**
 * How the attempt's supervisor starts: forked by the worker's Python fork server while one runs
 * (a fresh interpreter if the fork fails before the task ran), else a fresh interpreter. A Python
 * command runs in the fork itself; a SQL or Node.js one in a Node.js task host the fork server
 * started ahead (prestarted.ts); every other command is executed by the fork. DJOBS_PYTHON_START
 * tells a Python task which (`fork-server` or `interpreter`).
 */
async function starter(
  cmd: TaskCommand,
  python: string,
  view: SandboxView,
  servers: PythonForkServers | undefined
): Promise<SupervisorStarter> {
  const isPython = cmd.forkable !== undefined;
  const fresh: SupervisorStarter = isPython
    ? (opts) => spawnSupervisor({ ...opts, env: { ...opts.env, DJOBS_PYTHON_START: 'interpreter' } })
    : spawnSupervisor;
  if (cmd.forkable === false) return fresh;
  const server = await servers?.serverFor(python, view.env);
  if (!server) return fresh;
  const task: ForkedTask = isPython
    ? { python: cmd.args.slice(1) }
    : (prestartedTask(cmd) ?? { exec: [cmd.command, ...cmd.args] });
  return (opts) =>
    server
      .launch(isPython ? { ...opts, env: { ...opts.env, DJOBS_PYTHON_START: 'fork-server' } } : opts, task)
      .catch((err: Error) => {
        process.stderr.write(`djobs worker: a forked attempt did not start (${err.message}); it starts afresh\n`);
        return fresh(opts);
      });
}

/** Last value per key wins; a value over 48 KiB of JSON fails the attempt, as in Databricks. */
export function readTaskValues(file: string): Record<string, JsonValue> {
  const values: Record<string, JsonValue> = {};
  if (!fs.existsSync(file)) return values;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const { key, value } = JSON.parse(line) as { key: string; value: JsonValue };
    const size = Buffer.byteLength(JSON.stringify(value));
    if (size > TASK_VALUE_MAX_BYTES) {
      throw new Error(
        `Task value "${key}" is ${size} bytes of JSON; the limit is ${TASK_VALUE_MAX_BYTES} bytes (48 KiB).`
      );
    }
    values[key] = value;
  }
  return values;
}

/** Python: the exception line of the last traceback; SQL: the runner's error; otherwise the exit. */
export function errorMessageOf(tail: string, exitCode: number | null, signal: NodeJS.Signals | null): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  const tb = tail.lastIndexOf('Traceback (most recent call last):');
  if (tb >= 0) {
    const after = tail
      .slice(tb)
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean);
    const exc = [...after].reverse().find((l) => !l.startsWith(' ') && /^[A-Za-z_][\w.]*(:|$)/.test(l));
    if (exc) return exc;
  }
  const sqlError = [...lines].reverse().find((l) => l.startsWith('SQL error'));
  if (sqlError) return sqlError;
  return signal ? `Command was killed by signal ${signal}` : `Command exited with code ${exitCode}`;
}

/** Past this size a summary is not the runner's (it caps rows and values): the run's history does not take it. */
const MAX_SQL_RESULT_BYTES = 64 * 1024;

/**
 * The SQL runner's summary of what a sql_task's statements gave, when it wrote one. The file is in
 * the task's scratch directory, so the task's own code could write it too: anything but a small
 * summary of the right shape is left out rather than failing the task.
 */
function readSqlResult(file: string): SqlResultSummary | undefined {
  if (!fs.existsSync(file) || fs.statSync(file).size > MAX_SQL_RESULT_BYTES) return undefined;
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as SqlResultSummary;
    const shaped =
      Number.isInteger(s.statements) &&
      Number.isInteger(s.row_count) &&
      Array.isArray(s.columns) &&
      Array.isArray(s.rows) &&
      s.rows.every((r) => Array.isArray(r));
    return shaped ? s : undefined;
  } catch {
    return undefined;
  }
}
