// Where a CLI command finds Temporal: TEMPORAL_ADDRESS when set; otherwise the embedded server of
// the data directory when `djobs dev` is running; otherwise an embedded server (persistent SQLite
// in the data directory, Web UI on 8233) plus a worker, started for the duration of the command.
import fs from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { DurableJobsClient } from '../client';
import { TemporalUnavailableError } from '../client/errors';
import { dataPaths, loadConfig, type DjobsConfig } from '../config';
import { readLiveDevState, startDevServer, startDevServerWithSdkDownload, type DevServer } from '../config/dev-server';
import { findOrInstallTemporalCli } from '../config/temporal-cli';
import { createDjobsWorker } from '../worker';
import { dataConverterFor } from '../config/encryption';
import { temporalTls } from '../config/temporal-tls';

export interface Session {
  client: DurableJobsClient;
  config: DjobsConfig;
  /** Where the Temporal Web UI is, when known. */
  uiUrl?: string;
  close(): Promise<void>;
}

let runtimeInstalled = false;
/** Keep the SDK's own logging to warnings so CLI output stays readable. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}

/** A worker configured from the environment, for `djobs dev`, `djobs worker` and embedded sessions. */
export function workerFor(
  connection: NativeConnection,
  config: DjobsConfig,
  dataConverter: DataConverter,
  cluster?: string
) {
  return createDjobsWorker({
    connection,
    dataConverter,
    ...(process.env.DJOBS_API_PRINCIPALS ? { principalsFile: process.env.DJOBS_API_PRINCIPALS } : {}),
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataDir: config.home,
    python: config.python,
    poolMaxTasks: config.poolMaxTasks,
    maxConcurrentTasks: config.workerMaxTasks,
    ...(cluster ? { cluster } : {}),
  });
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
  };
}

export async function openSession(options: { needsWorker: boolean }): Promise<Session> {
  const config = loadConfig();
  if (config.temporalAddress) {
    const clientOptions = clientOptionsFor(config, dataConverterFor(config, { createIfMissing: false }));
    const client = await DurableJobsClient.connect({ ...clientOptions, address: config.temporalAddress });
    return { client, config, close: () => client.close() };
  }
  const live = await readLiveDevState(config.home);
  if (live) {
    const clientOptions = clientOptionsFor(config, dataConverterFor(config, { createIfMissing: false }));
    const client = await DurableJobsClient.connect({
      ...clientOptions,
      address: live.address,
      ...(live.uiUrl ? { uiUrl: live.uiUrl } : {}),
    });
    return { client, config, ...(live.uiUrl ? { uiUrl: live.uiUrl } : {}), close: () => client.close() };
  }
  return startEmbedded(config, options.needsWorker);
}

async function startEmbedded(config: DjobsConfig, needsWorker: boolean): Promise<Session> {
  const paths = dataPaths(config.home);
  fs.mkdirSync(config.home, { recursive: true });
  // The embedded server is this data directory's own: its key is made here on first start.
  const dataConverter = dataConverterFor(config, { createIfMissing: true });
  const clientOptions = clientOptionsFor(config, dataConverter);
  const serverOptions = {
    dbFilename: paths.temporalDb,
    port: config.port,
    uiPort: config.uiPort,
    headless: false,
    logFile: paths.serverLog,
  };
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
  const client = await DurableJobsClient.connect({
    ...clientOptions,
    address: server.address,
    ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
  });
  let stopWorker = async () => {};
  if (needsWorker) {
    installQuietRuntime();
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await workerFor(connection, config, dataConverter);
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
    ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
    close: async () => {
      await stopWorker();
      await client.close();
      await server.stop();
    },
  };
}
