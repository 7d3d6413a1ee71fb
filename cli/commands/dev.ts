import fs from 'node:fs';
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { DurableJobsClient } from '../../client';
import { TemporalUnavailableError } from '../../client/errors';
import { dataPaths, loadConfig } from '../../config';
import { findDevOrLockServer, startDevServer } from '../../config/dev-server';
import { findOrInstallTemporalCli } from '../../config/temporal-cli';
import { serveApi } from '../../api/serve';
import { runCommand } from '../output';
import { installQuietRuntime, workerFor } from '../session';

/** `djobs dev`: the embedded Temporal server (persistent) + Web UI + a worker, until Ctrl-C. */
export function configureDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'Run the embedded Temporal dev server (persistent SQLite), its Web UI, a worker and the REST API until interrupted'
    )
    .option('--api-port <port>', 'port of the Databricks Jobs REST API (0: none)', '8080')
    .option('--api-host <host>', 'bind address of the REST API', '127.0.0.1')
    .option('--principals <file>', 'API users and service principals (default: $DJOBS_API_PRINCIPALS)')
    .action(async (opts: { apiPort: string; apiHost: string; principals?: string }) =>
      runCommand(async () => {
        const config = loadConfig();
        // One embedded server per data directory: wait while another command holds it.
        const found = await findDevOrLockServer(config.home, 'dev', (line) => process.stderr.write(`${line}\n`));
        if ('live' in found)
          throw new TemporalUnavailableError(
            found.live.address,
            new Error(`djobs dev is already running (pid ${found.live.pid})`)
          );
        const { lock } = found;
        const cliPath = await findOrInstallTemporalCli(config);
        if (!cliPath) {
          lock.release();
          throw new TemporalUnavailableError(
            'the embedded dev server',
            new Error('the `temporal` CLI was not found; run `npm run ensure-temporal`')
          );
        }
        const paths = dataPaths(config.home);
        fs.mkdirSync(config.home, { recursive: true });
        const server = await startDevServer({
          cliPath,
          dbFilename: paths.temporalDb,
          port: config.port,
          uiPort: config.uiPort,
          headless: false,
          logFile: paths.serverLog,
          onSpawn: (serverPid) => lock.update({ serverPid }),
        });
        installQuietRuntime();
        const client = await DurableJobsClient.connect({
          address: server.address,
          namespace: config.namespace,
          taskQueue: config.taskQueue,
          runOptions: {
            maxParallelTasks: config.maxParallelTasks,
            heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
          },
          triggers: config.triggers,
          jobAccessCacheMs: config.jobAccessCacheMs,
        });
        const api =
          Number(opts.apiPort) > 0
            ? await serveApi({
                client,
                port: Number(opts.apiPort),
                host: opts.apiHost,
                ...(opts.principals ? { principalsFile: opts.principals } : {}),
                workspaceDir: process.cwd(),
                log: (line) => process.stdout.write(`${line}\n`),
              })
            : undefined;
        const connection = await NativeConnection.connect({ address: server.address });
        const worker = await workerFor(connection, config);
        // Other commands now use this server instead of waiting.
        lock.update({ state: 'ready', address: server.address, ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}) });
        process.stdout.write(
          `durable-jobs dev: Temporal at ${server.address}${server.uiUrl ? `, Web UI at ${server.uiUrl}` : ''}, data in ${config.home}\nPress Ctrl-C to stop.\n`
        );
        const stop = () => worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await worker.run();
        } finally {
          await api?.app.close();
          await client.close();
          await connection.close();
          await server.stop();
          lock.release();
        }
      })
    );
}
