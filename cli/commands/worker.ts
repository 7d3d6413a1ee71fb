import type { Command } from 'commander';
import type { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes, TemporalUnavailableError } from '../../client';
import { loadConfig } from '../../config';
import { protectDataDir } from '../../config/data-dir';
import { readLiveDevState } from '../../servers/dev-server';
import { dataConverterFor } from '../../encryption/key-file';
import { connectionOptions } from '../../config/temporal-tls';
import { runCommand } from '../output';
import { applySandboxFlags, installQuietRuntime, SANDBOX_FLAG_HELP, workerFor, type SandboxFlags } from '../session';

/** `djobs worker [--cluster NAME]`: serve runs (default) or one cluster's tasks, until SIGINT/SIGTERM. */
export function configureWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: the default one runs job runs and tasks; --cluster serves that cluster’s tasks only')
    .option('--cluster <name>', 'serve the task queue of this job cluster (job_cluster_key or existing_cluster_id)')
    .option('--no-sandbox', SANDBOX_FLAG_HELP.noSandbox)
    .option('--no-network', SANDBOX_FLAG_HELP.noNetwork)
    .action(async (opts: { cluster?: string } & SandboxFlags) =>
      runCommand(async () => {
        const config = loadConfig();
        protectDataDir(config.home);
        applySandboxFlags(config, opts, 'djobs worker');
        const { ensureSandboxSupport } = await import('../../worker/index.js');
        await ensureSandboxSupport(config.sandbox, config.python);
        const live = await readLiveDevState(config.home);
        const address = config.temporalAddress ?? live?.address;
        if (!address) {
          throw new TemporalUnavailableError('(none)', new Error('set TEMPORAL_ADDRESS or start `djobs dev` first'));
        }
        await installQuietRuntime();
        // Loaded here, not at the top: only worker commands need the worker SDK (cli/session.ts).
        const { NativeConnection: Connection } = await import('@temporalio/worker');
        let connection: NativeConnection;
        try {
          connection = await Connection.connect(connectionOptions(config, address));
        } catch (err) {
          throw new TemporalUnavailableError(address, err);
        }
        await ensureSearchAttributes(connection, config.namespace);
        const dataConverter = dataConverterFor(config, { createIfMissing: false });
        // Beside a running `djobs dev`, tasks log to its MLflow server and notifications link to its
        // run pages, unless MLFLOW_TRACKING_URI, DJOBS_WEB_UI_URL or DJOBS_UI_URL say otherwise.
        const devPages = !config.temporalAddress && live ? live : undefined;
        const workerConfig = {
          ...config,
          ...(devPages?.webUiUrl && !config.webUiUrl ? { webUiUrl: devPages.webUiUrl } : {}),
          ...(devPages?.uiUrl && !config.uiUrl ? { uiUrl: devPages.uiUrl } : {}),
        };
        const worker = await workerFor(connection, workerConfig, dataConverter, opts.cluster, live?.mlflowUrl).catch(
          async (err: unknown) => {
            await connection.close(); // a worker that refuses to start (no sandbox) exits
            throw err;
          }
        );
        process.stdout.write(
          `djobs worker: ${address}, ${opts.cluster ? `cluster ${opts.cluster}` : `task queue ${config.taskQueue}`}\n`
        );
        const stop = () => worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await worker.run();
        } finally {
          await connection.close();
        }
      })
    );
}
