// Where a CLI command finds Temporal: TEMPORAL_ADDRESS when set; otherwise the embedded server of
// the data directory when `djobs dev` is running (waiting while it starts); otherwise an embedded
// server (persistent SQLite in the data directory, Web UI on 8233) plus a worker, started for the
// duration of the command under the directory's server lock (one embedded server per directory).
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { DurableJobsClient, TemporalUnavailableError, isTemporalUnreachable, setupNamespace } from '../client';
import { dataPaths, invalidConfiguration, loadConfig, type DjobsConfig } from '../config';
import { protectDataDir } from '../config/data-dir';
import {
  findDevOrLockServer,
  startDevServer,
  startDevServerWithSdkDownload,
  type DevServer,
} from '../servers/dev-server';
import type { ServerLock } from '../servers/server-lock';
import { findOrInstallTemporalCli } from '../servers/temporal-cli';
import { loadKeyRing } from '../encryption/key-file';
import { djobsDataConverter } from '../encryption/data-converter';
import type { KeyRing } from '../encryption/key-ring';
import { temporalTls } from '../config/temporal-tls';
import { NO_SANDBOX_LOSES } from '../config/sandbox';

export interface Session {
  client: DurableJobsClient;
  config: DjobsConfig;
  /** Where the Temporal Web UI is, when known. */
  uiUrl?: string;
  /** The MLflow server tasks log to: MLFLOW_TRACKING_URI, else the running `djobs dev`'s, if any. */
  mlflowUrl?: string;
  close(): Promise<void>;
}

// The worker SDK and the worker (with their bundler, gRPC core and senders) are loaded only by the
// commands that run a worker: every other command starts without them, in a fraction of the time.

/** The process's key ring (undefined: encryption off); a missing or bad key is bad configuration (exit 2). */
export function keyRingFor(config: DjobsConfig, opts: { createIfMissing: boolean }): KeyRing | undefined {
  try {
    return loadKeyRing(config, opts);
  } catch (err) {
    throw invalidConfiguration((err as Error).message);
  }
}

/** The data converter of the process's connections (encrypting unless DJOBS_ENCRYPTION=off). */
export const converterFor = (config: DjobsConfig, opts: { createIfMissing: boolean }): DataConverter =>
  djobsDataConverter(keyRingFor(config, opts));

let runtimeInstalled = false;
/** Keep the SDK's own logging to warnings so CLI output stays readable. */
export async function installQuietRuntime(): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { Runtime, DefaultLogger, makeTelemetryFilterString } = await import('@temporalio/worker');
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    // Signals are the commands' own (one SIGTERM drains and exits): the runtime's default handlers
    // would swallow a signal that arrives before a worker exists, and the process would live on.
    shutdownSignals: [],
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}

/** A worker configured from the environment, for `djobs dev`, `djobs worker` and embedded sessions. */
export async function workerFor(
  connection: NativeConnection,
  config: DjobsConfig,
  dataConverter: DataConverter,
  cluster?: string,
  mlflowTrackingUri?: string,
  extra: { attemptLog?: (line: string) => void } = {}
) {
  const { createDjobsWorker } = await import('../worker/index.js');
  return createDjobsWorker({
    connection,
    dataConverter,
    acceptPlaintextPayloads: config.encryption.acceptPlaintext,
    ...(process.env.DJOBS_API_PRINCIPALS ? { principalsFile: process.env.DJOBS_API_PRINCIPALS } : {}),
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataDir: config.home,
    python: config.python,
    workspaceRoot: config.workspaceRoot,
    codeRoots: config.codeRoots,
    pythonForkServer: config.pythonForkServer,
    sandbox: config.sandbox,
    poolMaxTasks: config.poolMaxTasks,
    maxConcurrentTasks: config.workerMaxTasks,
    email: config.email,
    runPages: {
      temporalUiUrl: (config.uiUrl ?? 'http://localhost:8233').replace(/\/$/, ''),
      namespace: config.namespace,
      ...(config.webUiUrl ? { webUiUrl: config.webUiUrl } : {}),
    },
    ...(cluster ? { cluster } : {}),
    ...(mlflowTrackingUri ? { mlflowTrackingUri } : {}),
    ...extra,
  });
}

/**
 * The worker of this host's task-log retention (worker/log-retention.ts) when DJOBS_LOG_RETENTION_DAYS
 * is set, run beside the main worker by `djobs worker` and `djobs dev`; its schedule is created or
 * updated now.
 */
export async function logRetentionWorkerFor(
  connection: NativeConnection,
  config: DjobsConfig,
  dataConverter: DataConverter
) {
  if (!config.logRetention) return undefined;
  const { startLogRetention } = await import('../worker/log-retention.js');
  return startLogRetention({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataDir: config.home,
    retentionDays: config.logRetention.days,
    checkSeconds: config.logRetention.checkSeconds,
    dataConverter,
  });
}

/** `--no-sandbox` and `--no-network` of `djobs worker` and `djobs dev` (Commander's negations). */
export interface SandboxFlags {
  sandbox?: boolean;
  network?: boolean;
}

export const SANDBOX_FLAG_HELP = {
  noSandbox: 'run tasks without the sandbox, as this worker’s own user, seeing what it sees (docs/security.md)',
  noNetwork: 'sandboxed tasks get no network: only a loopback of their own',
};

/**
 * The flags over the environment's settings (DJOBS_SANDBOX, DJOBS_SANDBOX_NETWORK); without the
 * sandbox, say on stderr what tasks can then do.
 */
export function applySandboxFlags(config: DjobsConfig, flags: SandboxFlags, who: string): void {
  if (flags.sandbox === false) config.sandbox.enabled = false;
  if (flags.network === false) config.sandbox.network = false;
  if (!config.sandbox.enabled) process.stderr.write(`${who}: tasks run without a sandbox: ${NO_SANDBOX_LOSES}\n`);
}

/**
 * `connect` retried until DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS pass (Temporal may be starting
 * beside this process); then the last error, as TemporalUnavailableError (exit 3).
 */
export async function connectWithinBudget<T>(
  config: DjobsConfig,
  address: string,
  connect: () => Promise<T>
): Promise<T> {
  const deadline = Date.now() + config.temporalConnectTimeoutSeconds * 1000;
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      const unreachable = err instanceof TemporalUnavailableError || isTemporalUnreachable(err);
      if (!unreachable) throw err;
      if (Date.now() >= deadline)
        throw err instanceof TemporalUnavailableError ? err : new TemporalUnavailableError(address, err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Client options from the environment: queue, run options, triggers, encryption and TLS. */
export function clientOptionsFor(config: DjobsConfig, dataConverter: DataConverter) {
  const tls = temporalTls(config);
  return {
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    runOptions: {
      maxParallelTasks: config.maxParallelTasks,
      heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
    },
    triggers: config.triggers,
    jobAccessCacheMs: config.jobAccessCacheMs,
    dataConverter,
    ...(tls ? { tls } : {}),
    ...(config.webUiUrl ? { webUiUrl: config.webUiUrl } : {}),
  };
}

/**
 * `webUiUrl`: where this command serves the jobs web UI (`djobs api`), the base of `run_page_url`
 * unless DJOBS_WEB_UI_URL names a public address.
 */
export async function openSession(options: {
  needsWorker: boolean;
  webUiUrl?: string;
  /** A service (`djobs api`): retry Temporal for DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS; a command fails at once. */
  waitForTemporal?: boolean;
}): Promise<Session> {
  const config = loadConfig();
  config.webUiUrl ??= options.webUiUrl;
  if (config.temporalAddress) {
    const clientOptions = clientOptionsFor(config, converterFor(config, { createIfMissing: false }));
    const address = config.temporalAddress;
    const connect = () =>
      DurableJobsClient.connect({ ...clientOptions, address, ...(config.uiUrl ? { uiUrl: config.uiUrl } : {}) });
    const client = await (options.waitForTemporal ? connectWithinBudget(config, address, connect) : connect());
    return {
      client,
      config,
      ...(config.uiUrl ? { uiUrl: config.uiUrl } : {}),
      ...(config.mlflowTrackingUri ? { mlflowUrl: config.mlflowTrackingUri } : {}),
      close: () => client.close(),
    };
  }
  // The data directory of the embedded server (its lock, maybe the server and its key): private.
  protectDataDir(config.home);
  let found: Awaited<ReturnType<typeof findDevOrLockServer>>;
  try {
    found = await findDevOrLockServer(config.home, 'run', (line) => process.stderr.write(`${line}\n`));
  } catch (err) {
    throw new TemporalUnavailableError('the embedded dev server', err);
  }
  if ('live' in found) {
    const { live } = found;
    config.webUiUrl ??= live.webUiUrl;
    const uiUrl = config.uiUrl ?? live.uiUrl;
    const clientOptions = clientOptionsFor(config, converterFor(config, { createIfMissing: false }));
    const client = await DurableJobsClient.connect({
      ...clientOptions,
      address: live.address,
      ...(uiUrl ? { uiUrl } : {}),
    });
    const mlflowUrl = config.mlflowTrackingUri ?? live.mlflowUrl;
    return {
      client,
      config,
      ...(uiUrl ? { uiUrl } : {}),
      ...(mlflowUrl ? { mlflowUrl } : {}),
      close: () => client.close(),
    };
  }
  try {
    return await startEmbedded(config, options.needsWorker, found.lock);
  } catch (err) {
    found.lock.release();
    throw err;
  }
}

/**
 * The embedded server of a data directory (`djobs dev`, and commands that start one): its database
 * and log under DJOBS_HOME, its ports from the configuration, its pid recorded in the lock.
 */
export function embeddedServerOptions(config: DjobsConfig, lock: ServerLock) {
  const paths = dataPaths(config.home);
  return {
    dbFilename: paths.temporalDb,
    port: config.port,
    uiPort: config.uiPort,
    headless: false,
    logFile: paths.serverLog,
    onSpawn: (serverPid: number) => lock.update({ serverPid }),
  };
}

async function startEmbedded(config: DjobsConfig, needsWorker: boolean, lock: ServerLock): Promise<Session> {
  if (needsWorker) {
    // Before the server starts: a worker that cannot sandbox its tasks refuses (DJOBS_SANDBOX=off).
    const { ensureSandboxSupport } = await import('../worker/index.js');
    await ensureSandboxSupport(config.sandbox, config.python);
  }
  // The embedded server is this data directory's own: its key is made here on first start.
  const dataConverter = converterFor(config, { createIfMissing: true });
  const clientOptions = clientOptionsFor(config, dataConverter);
  const serverOptions = embeddedServerOptions(config, lock);
  let server: DevServer;
  try {
    // TEMPORAL_CLI_PATH, PATH, the project-local install (made now if missing), then the SDK's download.
    const cliPath = await findOrInstallTemporalCli(config);
    server = cliPath
      ? await startDevServer({ cliPath, ...serverOptions })
      : await startDevServerWithSdkDownload(serverOptions);
  } catch (err) {
    throw new TemporalUnavailableError('the embedded dev server', err);
  }
  // The embedded server is this directory's own: it is set up here, as `djobs admin setup` would.
  await setupNamespace({ address: server.address, namespace: config.namespace });
  const uiUrl = config.uiUrl ?? server.uiUrl;
  const client = await DurableJobsClient.connect({
    ...clientOptions,
    address: server.address,
    ...(uiUrl ? { uiUrl } : {}),
  });
  let stopWorker = async () => {};
  if (needsWorker) {
    await installQuietRuntime();
    const { NativeConnection } = await import('@temporalio/worker');
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await workerFor(connection, { ...config, ...(uiUrl ? { uiUrl } : {}) }, dataConverter);
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }
  return {
    client,
    config,
    ...(uiUrl ? { uiUrl } : {}),
    ...(config.mlflowTrackingUri ? { mlflowUrl: config.mlflowTrackingUri } : {}),
    close: async () => {
      await stopWorker();
      await client.close();
      await server.stop();
      lock.release();
    },
  };
}
