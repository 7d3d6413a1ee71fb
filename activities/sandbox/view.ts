// What one task attempt can reach: its files, its environment and its identity, built here and
// nowhere else, from allowlists. activities/runtime/sandbox.py makes it so (mount, PID and IPC
// namespaces, the mounts below, the uid); docs/security.md, "The task sandbox", says what it
// stops, and test/integration/sandbox.test.ts proves it.
//
// Files, in the attempt's own mount namespace (nothing else of the host exists for the task):
// - read-only: the system (/usr, /etc, /sys and the top-level symlinks into /usr), the runtimes
//   (the task's Python installation, Node.js, the project's task runtime, node_modules and
//   compiled core/, the worker's PATH directories), the job's code (the directories of the task's
//   files), what the worker grants the attempt (its Python environment, the run's Git checkout,
//   the workspace folders its principal may read), and the worker's and the caller's extra
//   read-only paths;
// - read-write: the attempt's scratch directory (its HOME and TMPDIR, owned by its uid), the
//   warehouse directory of a SQL task (as a member of the warehouse's group, warehouses.ts), the
//   volumes, DBFS and workspace folders its principal may edit (granted by the worker), and
//   the worker's and the caller's extra read-write paths, written as the path's owner (idmapped
//   mounts); the job's directory too, as its owner, when the
//   run's principal is the OS user that runs the worker and owns that directory (the machine's own
//   user running its own jobs: `djobs run`, the local client);
// - fresh: /tmp, /var/tmp, /dev/shm (empty tmpfs), /dev (null, zero, full, random, urandom, tty),
//   /proc (of the attempt's PID namespace: only its own processes);
// - never: DJOBS_HOME (keys, principals, temporal.db, logs, other attempts' scratch, other
//   warehouses) and the worker's other secret files, even inside a path that is given (they are
//   hidden under an empty read-only tmpfs or an empty file), nor anything reached through them.
// Environment: the allowlist below; never the worker's own variables (tokens, keys, passwords).
// Identity: one uid per principal (sandbox/uids.ts), no supplementary group but a SQL task's
// warehouse's, no privileges.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunAsIdentity, Task } from '../../core';
import type { SandboxSettings } from '../../config/sandbox';
import { projectRoot } from '../../config/project-root';
import type { PythonInstall } from '../python-interpreter';
import { ANONYMOUS_PRINCIPAL } from './uids';

export { DEFAULT_SANDBOX, type SandboxSettings } from '../../config/sandbox';

/** How an attempt was isolated: its own namespaces and uid, or nothing (`--no-sandbox`). */
export type SandboxKind = 'namespaces' | 'none';

export type Mount =
  | { kind: 'ro' | 'rw' | 'owner'; source: string; target: string }
  | { kind: 'tmpfs'; target: string; mode?: number; readOnly?: boolean }
  | { kind: 'symlink'; source: string; target: string }
  | { kind: 'file'; target: string; content: string }
  | { kind: 'dev' | 'proc'; target: string };

/** The attempt's scratch directory (owned by its uid) and its HOME and TMPDIR inside it. */
export interface Scratch {
  dir: string;
  home: string;
  tmp: string;
}

export interface ViewRequest {
  settings: SandboxSettings;
  /** DJOBS_HOME: hidden, but for the attempt's own scratch directory and warehouse. */
  dataDir: string;
  /** Who the attempt acts as (activities/run-as.ts); none: an anonymous principal. */
  principal?: RunAsIdentity;
  uid: number;
  scratch: Scratch;
  /** The task's files (notebook, Python file, SQL file): their directories are its code. */
  code: string[];
  /** Where the task's command wants to start; its scratch directory when the sandbox hides it. */
  cwd: string;
  python: PythonInstall;
  /** The directory of the SQL warehouse the task uses, and its group (warehouses.ts). */
  warehouse?: { dir: string; gid?: number };
  /**
   * The caller's paths: read-only, read-write (written as their owner), and `own`, files the
   * worker has given the attempt's uid (its start trace). Workspaces, volumes and clusters add theirs.
   */
  extra?: { readOnly?: string[]; readWrite?: string[]; own?: string[] };
  /**
   * What the worker itself grants the attempt, shown even inside DJOBS_HOME (never DJOBS_HOME
   * itself): read-only its Python environment and the run's Git checkout; the workspace
   * directories its principal may read (`readOnly`) and write (`readWrite`, as their owner:
   * volumes, DBFS, folders it may edit).
   */
  granted?: { readOnly?: string[]; readWrite?: string[] };
  /** The task's own variables (its environment_variables, MLflow's, its resolved secrets). */
  taskEnv: Record<string, string>;
  /** The run context (DJOBS_RUN_ID, DJOBS_PARAMS, ...): RUN_CONTEXT names only. */
  runContext: Record<string, string>;
  /** The worker's environment, where the allowlisted variables come from. */
  workerEnv?: NodeJS.ProcessEnv;
}

export interface SandboxView {
  kind: SandboxKind;
  uid: number;
  gid: number;
  /** Supplementary groups: its warehouse's, for a SQL task. */
  groups: number[];
  /** The task's user name (its passwd entry, USER and LOGNAME). */
  user: string;
  cwd: string;
  env: Record<string, string>;
  network: boolean;
  /** What every attempt of the worker sees (a spare builds it ahead of its attempt). */
  base: Mount[];
  /** The attempt's own mounts, made after the base. */
  mounts: Mount[];
}

/** The run context a task gets: ids, parameters, its task value, notebook-exit and SQL result files, secrets. */
export const RUN_CONTEXT = [
  'DJOBS_RUN_ID',
  'DJOBS_JOB_ID',
  'DJOBS_JOB_NAME',
  'DJOBS_TASK_KEY',
  'DJOBS_TASK_RUN_ID',
  'DJOBS_ATTEMPT_NUMBER',
  'DJOBS_PARAMS',
  'DJOBS_TASK_VALUES_IN',
  'DJOBS_TASK_VALUES_OUT',
  'DJOBS_NOTEBOOK_EXIT',
  'DJOBS_TASK_ERROR_FILE',
  'DJOBS_SQL_RESULT',
  'DJOBS_PYTHON_START',
  'DJOBS_START_TRACE',
  'DJOBS_SECRETS',
] as const;

/**
 * Variables of the worker's environment a task gets: how programs run (locale, time zone, the
 * interpreter's startup variables, libraries, Java) and which MLflow server and experiment it
 * logs to. Nothing that is a credential: DJOBS_API_TOKEN, keys, passwords and cloud credentials
 * reach a task only through its own secrets or DJOBS_SANDBOX_ENV.
 */
const WORKER_VARIABLES =
  /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ|PYTHON[A-Z_]*|LD_LIBRARY_PATH|LD_PRELOAD|JAVA_HOME|MLFLOW_TRACKING_URI|MLFLOW_EXPERIMENT_NAME|MLFLOW_EXPERIMENT_ID)$/;

const SYSTEM_READ_ONLY = ['/usr', '/etc', '/sys'];
const SYSTEM_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The files a task runs (their directories are its code), as real paths: `resolve` maps a task's
 * path (a workspace path such as `/Workspace/Users/...`, or one in the run's checkout) to the file
 * the task's command runs, as activities/commands.ts resolves it.
 */
export function taskFiles(
  task: Task,
  resolve: (p: string, what: string, discoverExtension: boolean) => string = (p) => p
): string[] {
  const dbtProject = task.dbt_task?.project_directory;
  const files: [string | undefined, string, boolean][] = [
    [task.notebook_task?.notebook_path, 'Notebook', true],
    [task.spark_python_task?.python_file, 'Python file', false],
    [task.sql_task?.file?.path, 'SQL file', false],
  ];
  return [
    ...files.flatMap(([p, what, discover]) => (typeof p === 'string' ? [resolve(p, what, discover)] : [])),
    ...(dbtProject ? [path.join(dbtProject, 'dbt_project.yml')] : []),
  ];
}

/**
 * The view of one attempt. Without a sandbox (`--no-sandbox`) only the environment is kept to the
 * allowlist: the task runs as the worker's user, in the worker's file system.
 */
export function sandboxView(req: ViewRequest): SandboxView {
  const workerEnv = req.workerEnv ?? process.env;
  const user = userName(req.principal?.name ?? ANONYMOUS_PRINCIPAL);
  const pythonBin = path.dirname(req.python.executable);
  const pathDirs = (workerEnv.PATH ?? '/usr/bin:/bin').split(':').filter((d) => path.isAbsolute(d));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workerEnv))
    if (value !== undefined && (WORKER_VARIABLES.test(name) || req.settings.passEnv.includes(name))) env[name] = value;
  Object.assign(env, {
    // The task's Python first: `python3` in a shell task is the interpreter its Python files get.
    PATH: [pythonBin, ...pathDirs.filter((d) => d !== pythonBin)].join(':'),
    HOME: req.scratch.home,
    TMPDIR: req.scratch.tmp,
    USER: user,
    LOGNAME: user,
    ...req.taskEnv,
    PYTHONUNBUFFERED: '1',
  });
  for (const name of RUN_CONTEXT) if (req.runContext[name] !== undefined) env[name] = req.runContext[name];

  if (!req.settings.enabled)
    return {
      kind: 'none',
      uid: process.getuid?.() ?? -1,
      gid: process.getgid?.() ?? -1,
      groups: [],
      user,
      cwd: req.cwd,
      env: { ...env, USER: os.userInfo().username, LOGNAME: os.userInfo().username },
      network: true,
      base: [],
      mounts: [],
    };

  const hidden = [req.dataDir, ...req.settings.hidden].flatMap(sameAndReal);
  const isHidden = (p: string) => hidden.some((h) => under(p, h));
  // A grant is a directory in DJOBS_HOME, never DJOBS_HOME itself (nor what holds it).
  const isDataDir = (p: string) => sameAndReal(req.dataDir).some((d) => under(d, path.resolve(p)));
  // The base: what every attempt of this worker sees, the same for all (a spare builds it ahead
  // of its attempt); then the attempt's own mounts, which may not cover the base.
  const binds = baseBinds(req.settings, req.python, isHidden);
  const base = ordered([...binds, ...masks(hidden, binds)]);
  const attempt: Mount[] = [];
  const bind = binder(attempt, isHidden);
  const codeDirs = [...new Set(req.code.map((f) => path.dirname(path.resolve(f))))];
  const ownJobs = localOwner(req.principal);
  for (const dir of codeDirs) bind(ownJobs && ownedByWorker(dir) ? 'owner' : 'ro', dir);
  for (const dir of req.extra?.readOnly ?? []) bind('ro', dir);
  for (const dir of req.settings.readWrite) bind('owner', dir);
  for (const dir of req.extra?.readWrite ?? []) bind('owner', dir, true);
  attempt.push(...masks(hidden, attempt));
  // The attempt's scratch directory and warehouse, the worker's grants, come after what hides DJOBS_HOME.
  bind('rw', req.scratch.dir, true);
  for (const file of req.extra?.own ?? []) bind('rw', file, true);
  for (const dir of req.granted?.readOnly ?? []) if (!isDataDir(dir)) bind('ro', dir, true);
  for (const dir of req.granted?.readWrite ?? []) if (!isDataDir(dir)) bind('owner', dir, true);
  if (req.warehouse) bind('rw', req.warehouse.dir, true);
  attempt.push(
    {
      kind: 'file',
      target: '/etc/passwd',
      content: `${hostFile('/etc/passwd')}${user}:x:${req.uid}:${req.uid}::${req.scratch.home}:/bin/sh\n`,
    },
    { kind: 'file', target: '/etc/group', content: `${hostFile('/etc/group')}${user}:x:${req.uid}:\n` }
  );
  const mounts = ordered(attempt, base);
  const visible = (p: string) => [...base, ...mounts].some((m) => isBind(m) && under(p, m.target));
  return {
    kind: 'namespaces',
    uid: req.uid,
    gid: req.uid,
    groups: req.warehouse?.gid !== undefined ? [req.warehouse.gid] : [],
    user,
    cwd: visible(req.cwd) ? req.cwd : req.scratch.dir,
    env,
    network: req.settings.network,
    base,
    mounts,
  };
}

const under = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(`${dir}/`);

type Bind = Extract<Mount, { kind: 'ro' | 'rw' | 'owner' }>;
const isBind = (m: Mount): m is Bind => m.kind === 'ro' || m.kind === 'rw' || m.kind === 'owner';

/**
 * Adds binds of host paths to `mounts`, at the path and at its real path: nothing that is missing,
 * relative or hidden (whatever path leads there), unless `trusted` (the worker's own grants: the
 * attempt's scratch directory, warehouse and trace).
 */
function binder(mounts: Mount[], isHidden: (p: string) => boolean) {
  return (kind: Bind['kind'], p: string, trusted = false) => {
    if (!path.isAbsolute(p) || !fs.existsSync(p)) return;
    const real = fs.realpathSync(p);
    if (!trusted && (isHidden(p) || isHidden(real))) return;
    for (const target of new Set([path.resolve(p), real]))
      // A path through a symlink of the view (/bin → usr/bin) is there through its target.
      if (!mounts.some((m) => m.kind === 'symlink' && under(target, m.target)))
        mounts.push({ kind, source: real, target });
  };
}

const bases = new Map<string, Mount[]>();

/** The system, the runtimes and the worker's read-only paths, found once per worker and Python. */
function baseBinds(settings: SandboxSettings, python: PythonInstall, isHidden: (p: string) => boolean): Mount[] {
  const pathDirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => path.isAbsolute(d));
  const key = JSON.stringify([settings, python, pathDirs]);
  let found = bases.get(key);
  if (found) return found;
  found = [];
  const bind = binder(found, isHidden);
  for (const dir of SYSTEM_READ_ONLY) bind('ro', dir);
  for (const link of SYSTEM_LINKS) {
    const stat = fs.lstatSync(link, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) found.push({ kind: 'symlink', source: fs.readlinkSync(link), target: link });
    else if (stat?.isDirectory()) bind('ro', link);
  }
  const pythonBin = path.dirname(python.executable);
  for (const dir of [pythonBin, ...python.prefixes, path.dirname(process.execPath), ...pathDirs]) bind('ro', dir);
  const root = projectRoot();
  // The task runtime, its packages and the compiled core it shares with the worker (workspace paths).
  for (const dir of [
    path.join(root, 'activities', 'runtime'),
    path.join(root, 'node_modules'),
    path.join(root, 'dist', 'core'),
  ])
    bind('ro', dir);
  for (const dir of settings.readOnly) bind('ro', dir);
  found.push(
    { kind: 'tmpfs', target: '/tmp', mode: 0o1777 },
    { kind: 'tmpfs', target: '/var/tmp', mode: 0o1777 },
    { kind: 'dev', target: '/dev' },
    { kind: 'proc', target: '/proc' }
  );
  bases.set(key, found);
  return found;
}

/**
 * What the worker hides, where one of `binds` would show it: under an empty read-only tmpfs (a
 * directory) or an empty file.
 */
function masks(hidden: string[], binds: Mount[]): Mount[] {
  const out: Mount[] = [];
  for (const h of hidden) {
    const stat = fs.statSync(h, { throwIfNoEntry: false });
    if (!stat || !binds.some((m) => isBind(m) && under(h, m.target))) continue;
    out.push(
      stat.isDirectory()
        ? { kind: 'tmpfs', target: h, mode: 0o755, readOnly: true }
        : { kind: 'file', target: h, content: '' }
    );
  }
  return out;
}

/**
 * What sandbox.py gets: the identity, the network, the base mounts and the attempt's, each in the
 * order they are made, and the working directory.
 */
export function sandboxSpec(view: SandboxView): Record<string, unknown> | undefined {
  if (view.kind === 'none') return undefined;
  return {
    uid: view.uid,
    gid: view.gid,
    groups: view.groups,
    network: view.network,
    cwd: view.cwd,
    base: view.base,
    mounts: view.mounts,
  };
}

/**
 * The mounts parents first (a mount hides what an earlier one put under its target), without the
 * binds an earlier bind already shows as they are (the job's directory inside a read-write path
 * stays writable). An attempt's mounts come after the `base`: one that would cover a base mount
 * (not a bind of the same files) is left out, so that no path given to a task can hide its /proc,
 * /dev or /tmp, or a mask.
 */
function ordered(mounts: Mount[], base: Mount[] = []): Mount[] {
  const depth = (m: Mount) => (m.target === '/' ? 0 : m.target.split('/').length - 1);
  const sorted = mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i);
  const kept: Mount[] = [];
  const rank = { ro: 1, rw: 2, owner: 2 } as const;
  const shows = (outer: Bind, inner: Bind) =>
    path.join(outer.source, path.relative(outer.target, inner.target)) === inner.source;
  for (const { m } of sorted) {
    if (isBind(m)) {
      if (base.some((b) => under(b.target, m.target) && !(isBind(b) && shows(m, b)))) continue;
      const parent = [...base, ...kept].reverse().find((k) => under(m.target, k.target));
      if (parent && isBind(parent) && shows(parent, m) && rank[m.kind] <= rank[parent.kind]) continue;
    }
    kept.push(m);
  }
  return kept;
}

function sameAndReal(p: string): string[] {
  const abs = path.resolve(p);
  try {
    const real = fs.realpathSync(abs);
    return real === abs ? [abs] : [abs, real];
  } catch {
    return [abs];
  }
}

/** The run's principal is the OS user running the worker: the machine's own user, its own jobs. */
function localOwner(principal: RunAsIdentity | undefined): boolean {
  if (principal?.kind !== 'user') return false;
  try {
    return principal.name === os.userInfo().username;
  } catch {
    return false;
  }
}

function ownedByWorker(dir: string): boolean {
  return fs.statSync(dir).uid === process.getuid?.();
}

const hostFiles = new Map<string, string>();

function hostFile(file: string): string {
  let text = hostFiles.get(file);
  if (text === undefined) {
    text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text && !text.endsWith('\n')) text += '\n';
    hostFiles.set(file, text);
  }
  return text;
}

/** A passwd name for the principal: its name as far as passwd allows, apart from the host's users. */
export function userName(principal: string): string {
  const name =
    principal
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z_]+/, '')
      .slice(0, 31) || 'task';
  const taken = hostFile('/etc/passwd')
    .split('\n')
    .some((l) => l.startsWith(`${name}:`));
  return taken ? `djobs-${name}`.slice(0, 32) : name;
}
