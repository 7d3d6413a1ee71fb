// Starting and finding the embedded Temporal dev server (`temporal server start-dev`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { dataPaths } from './index';

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  stop(): Promise<void>;
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
}

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

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
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
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    // One task-queue partition: with the default four, a task written to one partition waits to
    // be forwarded to a poller on another, which adds tens of ms to every task on a dev server.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    ...(uiPort ? ['--ui-port', String(uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(opts.extraArgs ?? []),
  ];
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  const log = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', log, log], detached: false });
  if (typeof log === 'number') fs.closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `temporal server exited (${signal ?? code})`;
  });
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  };
  // Poll until the frontend answers, keeping the last error for the timeout message.
  const deadline = Date.now() + 30_000;
  let last: unknown;
  for (;;) {
    if (exited) throw new Error(`${exited}${opts.logFile ? `; see ${opts.logFile}` : ''}`);
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
  return { address, ...(uiPort ? { uiUrl: `http://localhost:${uiPort}` } : {}), pid: child.pid!, stop };
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
      extraArgs: ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
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
  startedAt: number;
}

export function writeDevState(home: string, state: DevState): void {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(dataPaths(home).devState, JSON.stringify(state, null, 2));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

/** The running `djobs dev` of this data directory, if its process is alive and its port answers. */
export async function readLiveDevState(home: string): Promise<DevState | undefined> {
  const file = dataPaths(home).devState;
  if (!fs.existsSync(file)) return undefined;
  let state: DevState;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as DevState;
  } catch {
    fs.rmSync(file, { force: true });
    return undefined;
  }
  if (pidAlive(state.pid) && (await portAnswers(state.address))) return state;
  fs.rmSync(file, { force: true });
  return undefined;
}
