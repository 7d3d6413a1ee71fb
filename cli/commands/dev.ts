import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { DurableJobsClient } from '../../client';
import { TemporalUnavailableError } from '../../client/errors';
import { dataPaths, loadConfig } from '../../config';
import { readLiveDevState, startDevServer, writeDevState } from '../../config/dev-server';
import { dataConverterFor } from '../../config/encryption';
import { findOrInstallTemporalCli } from '../../config/temporal-cli';
import { serveApi } from '../../api/serve';
import { CODEC_PATH } from '../../api/codec-server';
import { runCommand } from '../output';
import { clientOptionsFor, installQuietRuntime, workerFor } from '../session';

/** The UI's origin as a browser may reach it (localhost or 127.0.0.1). */
function uiOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  return [url.origin, `${url.protocol}//127.0.0.1:${url.port}`];
}

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
        const live = await readLiveDevState(config.home);
        if (live)
          throw new TemporalUnavailableError(live.address, new Error(`djobs dev is already running (pid ${live.pid})`));
        const cliPath = await findOrInstallTemporalCli(config);
        if (!cliPath)
          throw new TemporalUnavailableError(
            'the embedded dev server',
            new Error('the `temporal` CLI was not found; run `npm run ensure-temporal`')
          );
        const paths = dataPaths(config.home);
        fs.mkdirSync(config.home, { recursive: true });
        // The first start of a data directory creates its encryption key.
        const dataConverter = dataConverterFor(config, { createIfMissing: true });
        // The Web UI decodes payloads through the API's codec server, at a secret path of this start.
        const apiPort = Number(opts.apiPort);
        const uiCodecKey = randomBytes(24).toString('base64url');
        // The browser calls it: a wildcard bind address is not one it can reach.
        const codecHost = ['0.0.0.0', '::'].includes(opts.apiHost) ? '127.0.0.1' : opts.apiHost;
        const codecEndpoint = `${config.apiTls ? 'https' : 'http'}://${codecHost}:${apiPort}${CODEC_PATH}/ui/${uiCodecKey}`;
        const server = await startDevServer({
          ...(apiPort > 0 ? { extraArgs: ['--ui-codec-endpoint', codecEndpoint] } : {}),
          cliPath,
          dbFilename: paths.temporalDb,
          port: config.port,
          uiPort: config.uiPort,
          headless: false,
          logFile: paths.serverLog,
        });
        installQuietRuntime();
        const client = await DurableJobsClient.connect({
          ...clientOptionsFor(config, dataConverter),
          address: server.address,
        });
        const api =
          apiPort > 0
            ? await serveApi({
                client,
                port: apiPort,
                codec: { corsOrigins: [...config.codecCorsOrigins, ...uiOrigins(server.uiUrl)], uiKey: uiCodecKey },
                ...(config.apiTls ? { tls: config.apiTls } : {}),
                host: opts.apiHost,
                ...(opts.principals ? { principalsFile: opts.principals } : {}),
                workspaceDir: process.cwd(),
                log: (line) => process.stdout.write(`${line}\n`),
              })
            : undefined;
        const connection = await NativeConnection.connect({ address: server.address });
        const worker = await workerFor(connection, config, dataConverter);
        writeDevState(config.home, {
          pid: process.pid,
          address: server.address,
          ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
          startedAt: Date.now(),
        });
        process.stdout.write(
          `durable-jobs dev: Temporal at ${server.address}${server.uiUrl ? `, Web UI at ${server.uiUrl}` : ''}, data in ${config.home}\nPress Ctrl-C to stop.\n`
        );
        const stop = () => worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await worker.run();
        } finally {
          fs.rmSync(paths.devState, { force: true });
          await api?.app.close();
          await client.close();
          await connection.close();
          await server.stop();
        }
      })
    );
}
