// One engine per test file: a worker on its own task queue (isolation on the shared dev server)
// with its own data directory, and a client pointed at the same queue.
//
// Waits the workflow keeps itself (retry intervals, the job timeout, duration warnings) are also
// tested at the values users write on the time-skipping test server (test/helpers/time-skipping.ts);
// what that server cannot run (schedules, triggers, listings) is tested here with short intervals
// (ARCHITECTURE.md, Tests).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { ContainmentChoice } from '../../activities/containment';
import type { FastifyInstance } from 'fastify';
import type { PythonForkServerOptions } from '../../activities/python-fork-servers';
import { TokenMap, adminPrincipal, loadPrincipals } from '../../api/auth';
import { createApiServer, type ApiServerOptions } from '../../api/server';
import type { DataConverter } from '@temporalio/common';
import { DurableJobsClient } from '../../client';
import { temporalClientOf } from '../../client/jobs-client';
import type { Client } from '@temporalio/client';
import { djobsDataConverter } from '../../encryption/data-converter';
import { parseKeyRing } from '../../encryption/key-ring';
import type { JobSettings, Run, Task } from '../../core';
import { createDjobsWorker } from '../../worker';
import type { EmailConfig } from '../../config';
import { DEFAULT_SANDBOX, type SandboxSettings } from '../../config/sandbox';

let runtimeInstalled = false;

/** The Temporal runtime of this test process, installed once, logging errors only. */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export interface Engine {
  client: DurableJobsClient;
  /** The Temporal client behind `client`, for tests that look at what is stored in Temporal. */
  temporal: Client;
  address: string;
  taskQueue: string;
  dataDir: string;
  /** Temp dir for the test's own files (scripts, markers). */
  workDir: string;
  worker?: Worker;
  /** The test run's encrypting data converter, for more clients and workers on this engine. */
  dataConverter: DataConverter;
  stop(): Promise<void>;
}

/**
 * The test run's key ring (DJOBS_ENCRYPTION_KEYS syntax), also exported to the environment so the
 * `djobs` processes tests spawn share it.
 */
export function testEncryptionKeys(): string {
  const keys = inject('encryptionKeys');
  process.env.DJOBS_ENCRYPTION_KEYS = keys;
  return keys;
}

/** The encrypting data converter every test client and worker uses. */
export function testDataConverter(): DataConverter {
  return djobsDataConverter(parseKeyRing(testEncryptionKeys(), 'the test key ring'));
}

export function safeName(title: string): string {
  return `${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function startEngine(
  title: string,
  opts: {
    worker?: boolean;
    heartbeatTimeoutSeconds?: number;
    poolMaxTasks?: Record<string, number>;
    containment?: ContainmentChoice;
    python?: string;
    pythonForkServer?: PythonForkServerOptions;
    mlflowTrackingUri?: string;
    /** Email notifications of the engine's worker (default: the outbox under its data directory). */
    email?: EmailConfig;
    /** PagerDuty Events v2 endpoint of the engine's worker (a loopback receiver). */
    pagerdutyEventsUrl?: string;
    /** The worker's task sandbox, over the test's: on, the engine's `workDir` read-write (harnessSandbox). */
    sandbox?: Partial<SandboxSettings>;
    /** The principals file the worker reads (secret READ, task paths of each run's principal). */
    principalsFile?: string;
  } = {}
): Promise<Engine> {
  installTestRuntime();
  const address = inject('temporalAddress');
  const bundle = inject('workflowBundlePath');
  const taskQueue = `t-${safeName(title)}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-test-'));
  // Apart from the test's files, which its tasks may read and write: a task never sees DJOBS_HOME.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-test-home-'));
  const dataConverter = testDataConverter();
  const client = await DurableJobsClient.connect({
    address,
    dataConverter,
    taskQueue,
    runOptions: { heartbeatTimeoutSeconds: opts.heartbeatTimeoutSeconds ?? 5 },
  });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  if (opts.worker !== false) {
    connection = await NativeConnection.connect({ address });
    worker = await createDjobsWorker({
      connection,
      namespace: 'default',
      taskQueue,
      dataDir,
      dataConverter,
      ...(bundle ? { workflowBundlePath: bundle } : {}),
      ...(opts.poolMaxTasks ? { poolMaxTasks: opts.poolMaxTasks } : {}),
      ...(opts.containment ? { containment: opts.containment } : {}),
      ...(opts.python ? { python: opts.python } : {}),
      ...(opts.pythonForkServer ? { pythonForkServer: opts.pythonForkServer } : {}),
      ...(opts.mlflowTrackingUri ? { mlflowTrackingUri: opts.mlflowTrackingUri } : {}),
      ...(opts.email ? { email: opts.email } : {}),
      ...(opts.pagerdutyEventsUrl ? { pagerdutyEventsUrl: opts.pagerdutyEventsUrl } : {}),
      sandbox: { ...harnessSandbox(workDir), ...opts.sandbox },
      ...(opts.principalsFile ? { principalsFile: opts.principalsFile } : {}),
    });
    running = worker.run();
  }
  return {
    client,
    temporal: temporalClientOf(client),
    address,
    taskQueue,
    dataDir,
    workDir,
    dataConverter,
    ...(worker ? { worker } : {}),
    async stop() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection?.close();
      await client.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The sandbox of a test's workers: on, as for any worker; the test's own files (`workDir`: its
 * scripts, notebooks and the markers its tasks leave) a read-write path, as an operator gives a
 * volume; the principals file a test may write there hidden.
 */
export function harnessSandbox(workDir: string): SandboxSettings {
  return { ...DEFAULT_SANDBOX, readWrite: [workDir], hidden: [path.join(workDir, PRINCIPALS_FILE)] };
}

/** The environment a `djobs` process needs to use the engine's server, queue and home. */
export function engineEnv(engine: Engine): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: engine.address,
    DJOBS_TASK_QUEUE: engine.taskQueue,
    DJOBS_HOME: engine.dataDir,
    DJOBS_SANDBOX_READ_WRITE: engine.workDir,
  };
}

/** `djobs worker` (from dist/) serving the engine's queue, as a process of its own that tests can kill. */
export function startWorkerProcess(engine: Engine, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli', 'index.js'), 'worker'], {
    env: { ...engineEnv(engine), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker ${child.pid}] ${d.toString()}`));
  return child;
}

/**
 * The one engine of a test file: started before its tests (before any later `beforeAll`, which may
 * use it) and stopped after all of them. Use it as the engine itself; it exists once started.
 */
export function useEngine(title: string, opts: Parameters<typeof startEngine>[1] = {}): Engine {
  let started: Engine | undefined;
  beforeAll(async () => {
    started = await startEngine(title, opts);
  });
  afterAll(() => started?.stop());
  return new Proxy({} as Engine, {
    get(_, key) {
      if (!started) throw new Error(`the engine of "${title}" is used before it started`);
      return Reflect.get(started, key) as unknown;
    },
  });
}

/** A shell_command_task (durable-jobs extension) task. */
export function sh(task_key: string, command: string, extra: Partial<Task> = {}): Task {
  return { task_key, shell_command_task: { command }, ...extra };
}

export function job(name: string, tasks: Task[], extra: Partial<JobSettings> = {}): JobSettings {
  return { name, tasks, ...extra };
}

/** The latest attempt of each task, by key. */
export function latestByKey(run: Run): Record<string, Run['tasks'][number]> {
  const out: Record<string, Run['tasks'][number]> = {};
  for (const t of run.tasks) if (!out[t.task_key] || t.run_id > out[t.task_key]!.run_id) out[t.task_key] = t;
  return out;
}

/** The result of each task's latest attempt, by key (undefined while it has none). */
export function resultsByKey(run: Run): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(latestByKey(run)).map(([k, t]) => [k, t.state.result_state]));
}

export function attemptsOf(run: Run, key: string): Run['tasks'] {
  return run.tasks.filter((t) => t.task_key === key).sort((a, b) => a.attempt_number - b.attempt_number);
}

/**
 * A job whose task `flaky` fails on attempts 0 and 1 and succeeds on attempt 2 (it counts its
 * attempts in `counter`), `retryIntervalMillis` apart, with a task `after` depending on it.
 */
export function flakyJob(workDir: string, retryIntervalMillis: number): { spec: JobSettings; counter: string } {
  const counter = path.join(workDir, 'flaky-count');
  const flaky = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; [ "$n" -ge 2 ]`;
  const spec = job('flaky', [
    sh('flaky', flaky, { max_retries: 2, min_retry_interval_millis: retryIntervalMillis }),
    sh('after', 'true', { depends_on: [{ task_key: 'flaky' }] }),
  ]);
  return { spec, counter };
}

/** What a run of `flakyJob` must show: success after two retries, each attempt its own task run. */
export function expectRetriedTwice(run: Run, counter: string): Run['tasks'] {
  expect(run.state.result_state).toBe('SUCCESS');
  const attempts = attemptsOf(run, 'flaky');
  expect(attempts.map((a) => [a.attempt_number, a.state.result_state])).toEqual([
    [0, 'FAILED'],
    [1, 'FAILED'],
    [2, 'SUCCESS'],
  ]);
  expect(new Set(attempts.map((a) => a.run_id)).size).toBe(3);
  expect(fs.readFileSync(counter, 'utf8').trim()).toBe('3');
  return attempts;
}

/**
 * Poll `fn` until it returns a truthy value or the deadline passes; keeps the last error. `what`
 * may be a function, read at the timeout: e.g. a process's output up to then.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  what: string | (() => string),
  timeoutMs = 30_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`, {
        cause: last,
      });
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The file-arrival watcher of a job, once it has taken stock of what is at its location. */
export async function watcherBaselined(
  client: DurableJobsClient,
  jobId: number
): Promise<{ baselined: boolean; seen: Record<string, string> }> {
  const watcher = temporalClientOf(client).workflow.getHandle(`djobs-watch-${jobId}`);
  return waitFor(async () => {
    const { state } = await watcher.query<{ state: { baselined: boolean; seen: Record<string, string> } }>(
      'getTriggerState'
    );
    return state.baselined ? state : undefined;
  }, `the file-arrival watcher of job ${jobId} to take stock`);
}

/** The first run a job starts on its own (a trigger), once it has finished. */
export async function firstRunFinished(client: DurableJobsClient, jobId: number, what: string): Promise<Run> {
  const [run] = await waitFor(async () => {
    const runs = await client.listRuns({ jobId });
    return runs.length > 0 ? runs : undefined;
  }, what);
  return client.waitForRun(run!.run_id, { timeoutMs: 60_000 });
}

/** A process is alive if it exists and is not a zombie (killed, waiting to be reaped by init). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Shell words a task writes to say which process it is: its PID namespace and its pid there
 * (`pid:[4026532…] 7`). A sandboxed task has a PID namespace of its own, where its `$$` is not the
 * host's pid; `taskAlive` and `hostPid` find the process on the host from both.
 */
export const SHELL_SELF = '$(readlink /proc/self/ns/pid) $$';

/** SHELL_SELF for a Python task: an expression giving the same words. */
export const PYTHON_SELF = '"%s %d" % (os.readlink("/proc/self/ns/pid"), os.getpid())';

/** A task's process as it saw itself (SHELL_SELF, PYTHON_SELF). */
export interface TaskProcess {
  ns: string;
  pid: number;
}

/** The task processes named in `text`: `<ns> <pid>` pairs. */
export function taskProcesses(text: string): TaskProcess[] {
  return [...text.matchAll(/(pid:\[\d+\]) (\d+)/g)].map((m) => ({ ns: m[1]!, pid: Number(m[2]) }));
}

/** The host's pid of a task's process, while it exists (its namespace and its pid there identify it). */
export function hostPid(p: TaskProcess): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/pid`) !== p.ns) continue;
      const nsPids = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(nsPids?.trim().split(/\s+/).at(-1)) === p.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** A task's process is alive: it exists and is not a zombie (alive). */
export function taskAlive(p: TaskProcess): boolean {
  const pid = hostPid(p);
  return pid !== undefined && alive(pid);
}

/** A principal of a test's principals file; `who` names it in `tokenOf` and `ApiServer.as`. */
export interface TestPrincipal {
  who: string;
  /** A user (default `<who>@example.com`) or, when set, a service principal of this name. */
  servicePrincipal?: string;
  groups?: string[];
}

/** The bearer token of a test principal (and of `admin`, the built-in administrator). */
export const tokenOf = (who: string): string => `${who}-test-token-0123456789abcdef`;

const PRINCIPALS_FILE = 'principals.yaml';

/** A principals file (the YAML `djobs api --principals` reads) for these principals; returns its path. */
export function writePrincipalsFile(dir: string, principals: readonly TestPrincipal[]): string {
  const entry = (p: TestPrincipal, name: string) =>
    `  - ${name}\n${p.groups ? `    groups: [${p.groups.join(', ')}]\n` : ''}    tokens: [${tokenOf(p.who)}]\n`;
  const users = principals.filter((p) => !p.servicePrincipal);
  const bots = principals.filter((p) => p.servicePrincipal);
  const yaml =
    `users:\n${users.map((p) => entry(p, `user_name: ${p.who}@example.com`)).join('')}` +
    (bots.length
      ? `service_principals:\n${bots.map((p) => entry(p, `service_principal_name: ${p.servicePrincipal}`)).join('')}`
      : '');
  const file = path.join(dir, PRINCIPALS_FILE);
  fs.writeFileSync(file, yaml);
  return file;
}

/** The tokens of a principals file, with `tokenOf('admin')` for the built-in administrator. */
export function principalTokens(file: string): TokenMap {
  const tokens = adminTokens(tokenOf('admin'));
  loadPrincipals(file, tokens);
  return tokens;
}

export type ApiCall = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  body?: unknown
) => Promise<{ status: number; body: Record<string, unknown> }>;

export interface ApiServer {
  /** http://127.0.0.1:<port> */
  readonly base: string;
  readonly principalsFile: string;
  /** Calls of the REST API as a principal of the file (or `admin`), with its token. */
  as(who: string): ApiCall;
}

/** A REST API call to `base` with `who`'s token. */
export const callAs =
  (base: () => string, who: string): ApiCall =>
  async (method, p, body) => {
    const res = await fetch(`${base()}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${tokenOf(who)}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

/**
 * The REST API (`createApiServer`, on a free port) over a file's engine, with these principals:
 * started before the file's later `beforeAll` hooks, closed after its tests.
 */
export function useApiServer(
  engine: Engine,
  principals: readonly TestPrincipal[],
  extra: Partial<ApiServerOptions> = {}
): ApiServer {
  let app: FastifyInstance | undefined;
  let base: string | undefined;
  let file: string | undefined;
  beforeAll(async () => {
    file = writePrincipalsFile(engine.workDir, principals);
    app = await createApiServer({
      client: engine.client,
      tokens: principalTokens(file),
      workspaceDir: engine.workDir,
      // The workspace the engine's worker reads (/Workspace paths of tasks), not the host's default.
      workspaceRoot: path.join(engine.dataDir, 'workspace'),
      ...extra,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app?.close());
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the API server is used before it started');
    return v;
  };
  return {
    get base() {
      return started(base);
    },
    get principalsFile() {
      return started(file);
    },
    as: (who) => callAs(() => started(base), who),
  };
}

/** Tokens where `token` signs in as an admin. */
export function adminTokens(token: string): TokenMap {
  const tokens = new TokenMap();
  tokens.add({ plain: token }, adminPrincipal());
  return tokens;
}

/** `djobs dev` as a user starts it (embedded server, ports chosen freely), with its output captured. */
export function startDjobsDev(opts: { home: string; apiPort: number; args?: string[]; env?: Record<string, string> }) {
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
  const dev = spawn(process.execPath, [cli, 'dev', '--api-port', String(opts.apiPort), ...(opts.args ?? [])], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      DJOBS_HOME: opts.home,
      DJOBS_PORT: '0',
      DJOBS_UI_PORT: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dev.stdout.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
  return {
    output: () => output,
    exitCode: () => dev.exitCode,
    async stop() {
      dev.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * Every string in a raw JSON document, plus every base64 string decoded: raw payloads are base64
 * in JSON, so a marker written in the clear would be found here.
 */
export function readableText(json: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      if (/^[A-Za-z0-9+/=_-]{8,}$/.test(v)) out.push(Buffer.from(v, 'base64').toString('latin1'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => (out.push(k), walk(x)));
  };
  walk(json);
  return out.join('\n');
}
