// Starting and finding the embedded Temporal dev server (`temporal server start-dev`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { readLiveServerLock, tryAcquireServerLock, type ServerLock, type ServerLockState } from './server-lock';

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s). */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  /** Persistent SQLite file; omit for an in-memory server. */
  dbFilename?: string;
  /** gRPC port; when busy (or 0) a free one is used. @default 7233 */
  port?: number;
  /** Web UI port; when busy a free one is used. @default port + 1000 */
  uiPort?: number;
  headless?: boolean;
  logFile?: string;
  namespace?: string;
  /** Closed runs stay visible in the Web UI this long. @default 30 days */
  retentionDays?: number;
  /** More `temporal server start-dev` arguments (e.g. dynamic config for tests). */
  extraArgs?: string[];
  /** Called with the server's pid as soon as it is spawned (the data directory's lock records it). */
  onSpawn?: (pid: number) => void;
}

/**
 * How the persistent dev server writes its SQLite file: a write-ahead log, synced at checkpoints
 * rather than at every commit (https://www.sqlite.org/pragma.html#pragma_synchronous). With
 * SQLite's defaults (a rollback journal, synchronous=FULL) every transaction waits for several
 * fsyncs, and a dev server on an ordinary disk starts a quarter as many workflows a second. What
 * is committed survives the server being killed (kill -9, a crash); an OS crash or power loss
 * may lose the last transactions, never the file's consistency. Production runs a Temporal
 * cluster on PostgreSQL (docker-compose.yml), not this server.
 */
export const SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function choosePort(wanted: number | undefined): Promise<number> {
  if (wanted && (await isPortFree(wanted))) return wanted;
  return freePort();
}

/** Dynamic config of the embedded dev server (`--dynamic-config-value`), each for a measured reason. */
const DEV_SERVER_DYNAMIC_CONFIG = [
  'system.enableActivityEagerExecution=true',
  // One task-queue partition: with the default four, a task written to one partition waits to
  // be forwarded to a poller on another, which adds tens of ms to every task on a dev server.
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  // Every job is a Temporal Schedule, i.e. a scheduler workflow run by the server's internal
  // per-namespace worker, which polls with 2 workflow-task pollers by default. On this SQLite
  // server each poll and completion takes a round trip of a few hundred ms under load, so those
  // two pollers handle about 5 scheduler workflow tasks a second: fewer than 100 jobs firing every
  // 15 s need (each fire is at least one), and far fewer than creating thousands of jobs does (each
  // new schedule's first task). The backlog then grows without bound, and fires start minutes late
  // (docs/performance.md, the cron section). More pollers work through them in parallel.
  'worker.perNamespaceWorkerOptions={"MaxConcurrentWorkflowTaskPollers":16,"MaxConcurrentActivityTaskPollers":4}',
];

/** How many times a start whose freely chosen port was taken meanwhile chooses again. */
const PORT_TAKEN_TRIES = 5;

/**
 * The server's ports are chosen free here and bound by the server a moment later: in between,
 * another process may take one (every outgoing connection on the machine takes a port of the same
 * ephemeral range), and the server exits at once with "bind: address already in use". That is
 * not the user's problem: choose free ports again, a few times.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= PORT_TAKEN_TRIES) throw err;
    }
  }
}

class PortTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortTakenError';
  }
}

/** What the server wrote since `offset` (its last lines): why it exited, in its own words. */
function outputSince(file: string, offset: number): string {
  try {
    const text = fs.readFileSync(file).subarray(offset).toString('utf8');
    return text.trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

async function startDevServerOnce(opts: DevServerOptions): Promise<DevServer> {
  const port = await choosePort(opts.port ?? 7233);
  const uiPort = opts.headless ? undefined : await choosePort(opts.uiPort ?? port + 1000);
  const namespace = opts.namespace ?? 'default';
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename, ...SQLITE_PRAGMAS] : []),
    ...(uiPort ? ['--ui-port', String(uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(opts.extraArgs ?? []),
  ];
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  // Without a log file of the caller's, the server's output goes to a file that is removed once it
  // started: its words say why a start failed.
  const scratch = opts.logFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-server-'));
  const logFile = opts.logFile ?? path.join(scratch!, 'server.log');
  const log = fs.openSync(logFile, 'a');
  const logStart = fs.fstatSync(log).size;
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', log, log], detached: false });
  fs.closeSync(log);
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `temporal server exited (${signal ?? code})`;
  });
  const address = `127.0.0.1:${port}`;
  const stop = async ({ graceMs = 5_000 }: { graceMs?: number } = {}) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    // SIGKILL also ends a stopped (SIGSTOP) or hung server, which SIGTERM does not.
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  };
  // Poll until the frontend answers, keeping the last error for the timeout message.
  const deadline = Date.now() + 30_000;
  let last: unknown;
  try {
    await untilHealthy();
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { address, ...(uiPort ? { uiUrl: `http://localhost:${uiPort}` } : {}), pid: child.pid!, stop };

  async function untilHealthy(): Promise<void> {
    for (;;) {
      if (exited) {
        const said = outputSince(logFile, logStart);
        const message = `${exited}${said ? `: ${said}` : ''}${opts.logFile ? `; see ${opts.logFile}` : ''}`;
        throw /address already in use/.test(said) ? new PortTakenError(message) : new Error(message);
      }
      try {
        const conn = await Connection.connect({ address, connectTimeout: '1s' });
        try {
          await conn.workflowService.getSystemInfo({});
          await raiseRetention(conn, namespace, opts.retentionDays ?? 30);
        } finally {
          await conn.close();
        }
        break;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal dev server did not become healthy at ${address} within 30 s: ${String(last)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Last resort when no `temporal` CLI can be found or installed: the TypeScript SDK's own download
 * of the dev server (needs internet access to temporal.download).
 */
export async function startDevServerWithSdkDownload(opts: Omit<DevServerOptions, 'cliPath'>): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const port = await choosePort(opts.port ?? 7233);
  const uiPort = opts.headless ? undefined : await choosePort(opts.uiPort ?? port + 1000);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      port,
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      ...(uiPort ? { ui: true, uiPort } : {}),
      extraArgs: [
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
        ...(opts.dbFilename ? SQLITE_PRAGMAS : []),
      ],
    },
  });
  return {
    address: `127.0.0.1:${port}`,
    ...(uiPort ? { uiUrl: `http://localhost:${uiPort}` } : {}),
    pid: 0,
    stop: () => env.teardown(),
  };
}

/** Dev-server namespaces keep closed runs for 24 h; the UI is our run-history viewer, so keep them longer. */
async function raiseRetention(conn: Connection, namespace: string, days: number): Promise<void> {
  const desc = await conn.workflowService.describeNamespace({ namespace });
  const current = Number(desc.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  if (current >= days * 86400) return;
  await conn.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(days * 86400_000) },
  });
}

export interface DevState {
  pid: number;
  address: string;
  uiUrl?: string;
  /** The MLflow tracking server `djobs dev` started, if any. */
  mlflowUrl?: string;
  /** The jobs web UI it serves, if any. */
  webUiUrl?: string;
  startedAt: number;
}

function portAnswers(address: string): Promise<boolean> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** The running `djobs dev` of this data directory, if it is alive, ready and its port answers. */
export async function readLiveDevState(home: string): Promise<DevState | undefined> {
  const lock = readLiveServerLock(home);
  if (lock?.owner !== 'dev' || lock.state !== 'ready' || !lock.address) return undefined;
  if (!(await portAnswers(lock.address))) return undefined;
  return {
    pid: lock.pid,
    address: lock.address,
    ...(lock.uiUrl ? { uiUrl: lock.uiUrl } : {}),
    ...(lock.mlflowUrl ? { mlflowUrl: lock.mlflowUrl } : {}),
    ...(lock.webUiUrl ? { webUiUrl: lock.webUiUrl } : {}),
    startedAt: lock.since,
  };
}

/** How long a command waits for a `djobs dev` that is still starting its server. */
const DEV_STARTING_WAIT_MS = 60_000;

/**
 * The running `djobs dev` of this data directory, or the directory's server lock for the caller
 * to start the one embedded server. While another process holds the lock the caller waits, saying
 * so once: for a `djobs dev` that is starting, at most 60 s; for another command's private
 * server, until that command ends (a queue, so that neither command fails).
 */
export async function findDevOrLockServer(
  home: string,
  owner: ServerLockState['owner'],
  say: (line: string) => void
): Promise<{ live: DevState } | { lock: ServerLock }> {
  let devStartingSince: number | undefined;
  let announced: number | undefined;
  for (;;) {
    const held = readLiveServerLock(home);
    if (!held) {
      const lock = tryAcquireServerLock(home, owner);
      if (lock) return { lock };
      continue; // another process took it between the read and the attempt
    }
    const live = await readLiveDevState(home);
    if (live) return { live };
    if (held.owner === 'dev') {
      devStartingSince ??= Date.now();
      if (Date.now() - devStartingSince > DEV_STARTING_WAIT_MS)
        throw new Error(`djobs dev (pid ${held.pid}) did not start the embedded Temporal server within 60 s`);
    }
    if (announced !== held.pid) {
      announced = held.pid;
      say(
        held.owner === 'dev'
          ? `Waiting for djobs dev (pid ${held.pid}) to start the embedded Temporal server of ${home} …`
          : `Waiting for another djobs command (pid ${held.pid}) to finish with the embedded Temporal server of ${home} …`
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
