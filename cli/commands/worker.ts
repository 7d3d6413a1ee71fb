import type { Command } from 'commander';
import type { NativeConnection, Worker } from '@temporalio/worker';
import {
  checkTemporalSetup,
  fromChecks,
  temporalReadiness,
  TemporalUnavailableError,
  type Readiness,
} from '../../client';
import { loadConfig, type DjobsConfig } from '../../config';
import { protectDataDir } from '../../config/data-dir';
import { readLiveDevState } from '../../servers/dev-server';
import { djobsDataConverter } from '../../encryption/data-converter';
import { connectionOptions } from '../../config/temporal-tls';
import { runService } from '../output';
import {
  applySandboxFlags,
  connectWithinBudget,
  installQuietRuntime,
  keyRingFor,
  logRetentionWorkerFor,
  SANDBOX_FLAG_HELP,
  workerFor,
  type SandboxFlags,
} from '../session';

interface WorkerCommandOptions extends SandboxFlags {
  cluster?: string;
  healthPort?: string;
  healthHost: string;
}

/**
 * How long a stopping worker may take past the SDK's own shutdown grace (worker/index.ts,
 * `shutdownGraceTime`, after which running attempts are canceled and their processes killed)
 * before it exits anyway: one SIGTERM always stops it.
 */
const STOP_BOUND_MS = 15_000;

/** `djobs worker [--cluster NAME]`: serve runs (default) or one cluster's tasks, until SIGINT/SIGTERM. */
export function configureWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: the default one runs job runs and tasks; --cluster serves that cluster’s tasks only')
    .option('--cluster <name>', 'serve the task queue of this job cluster (job_cluster_key or existing_cluster_id)')
    .option('--no-sandbox', SANDBOX_FLAG_HELP.noSandbox)
    .option('--no-network', SANDBOX_FLAG_HELP.noNetwork)
    .option('--health-port <port>', 'serve GET /healthz and /readyz on this port (0: a free one, printed)')
    .option('--health-host <host>', 'bind address of the health port', '127.0.0.1')
    .action(async (opts: WorkerCommandOptions) =>
      runService(async () => {
        const config = loadConfig();
        protectDataDir(config.home);
        applySandboxFlags(config, opts, 'djobs worker');
        // Everything read from files first: a missing key or TLS file stops the worker before it connects.
        const keyRing = keyRingFor(config, { createIfMissing: false });
        const { ensureSandboxSupport } = await import('../../worker/index.js');
        await ensureSandboxSupport(config.sandbox, config.python);
        const live = await readLiveDevState(config.home);
        const address = config.temporalAddress ?? live?.address;
        if (!address) {
          throw new TemporalUnavailableError('(none)', new Error('set TEMPORAL_ADDRESS or start `djobs dev` first'));
        }
        const tlsOptions = connectionOptions(config, address);
        await installQuietRuntime();
        const { NativeConnection: Connection } = await import('@temporalio/worker');
        const connection = await connectWithinBudget(config, address, () => Connection.connect(tlsOptions));
        let worker: Worker;
        try {
          // Set up once by an operator (`djobs admin setup`); a worker only checks.
          await checkTemporalSetup(connection, config.namespace);
          // Beside a running `djobs dev`, tasks log to its MLflow server and notifications link to its
          // run pages, unless MLFLOW_TRACKING_URI, DJOBS_WEB_UI_URL or DJOBS_UI_URL say otherwise.
          const devPages = !config.temporalAddress && live ? live : undefined;
          const workerConfig = {
            ...config,
            ...(devPages?.webUiUrl && !config.webUiUrl ? { webUiUrl: devPages.webUiUrl } : {}),
            ...(devPages?.uiUrl && !config.uiUrl ? { uiUrl: devPages.uiUrl } : {}),
          };
          worker = await workerFor(
            connection,
            workerConfig,
            djobsDataConverter(keyRing),
            opts.cluster,
            live?.mlflowUrl,
            {
              attemptLog: (line) => process.stdout.write(`${line}\n`),
            }
          );
        } catch (err) {
          await connection.close(); // a worker that cannot check its namespace or refuses to start (no sandbox) exits
          throw err;
        }
        // Task-log retention: the worker of this host's schedule (worker/log-retention.ts), run beside the main one.
        let retention: Worker | undefined;
        try {
          retention = await logRetentionWorkerFor(connection, config, djobsDataConverter(keyRing));
        } catch (err) {
          await connection.close();
          throw err;
        }
        const health =
          opts.healthPort !== undefined
            ? await import('../../api/health.js').then(({ serveHealth }) =>
                serveHealth({
                  port: Number(opts.healthPort),
                  host: opts.healthHost,
                  readiness: () => workerReadiness(worker, connection, config, keyRing),
                })
              )
            : undefined;
        process.stdout.write(
          `djobs worker: ${address}, ${opts.cluster ? `cluster ${opts.cluster}` : `task queue ${config.taskQueue}`}${health ? `, health at ${health.address}` : ''}\n`
        );
        // One signal drains: no new tasks are taken, running attempts get the grace time, then the
        // process exits, within a bound whatever hangs.
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          setTimeout(() => {
            process.stderr.write('djobs worker: drain did not finish in time; exiting\n');
            process.exit(0);
          }, STOP_BOUND_MS).unref();
          if (worker.getState() === 'RUNNING') worker.shutdown();
          if (retention?.getState() === 'RUNNING') retention.shutdown();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        try {
          await Promise.all([worker.run(), retention?.run()]);
        } finally {
          await health?.app.close();
          await connection.close();
        }
      })
    );
}

/** The worker's readiness: polling (its state is RUNNING) and everything a client's readiness checks. */
async function workerReadiness(
  worker: Worker,
  connection: NativeConnection,
  config: DjobsConfig,
  keyRing: ReturnType<typeof keyRingFor>
): Promise<Readiness> {
  const state = worker.getState();
  const temporal = await temporalReadiness(connection, config.namespace, keyRing ?? 'off');
  return fromChecks({ worker: state === 'RUNNING' ? 'ok (polling)' : `not polling (${state})`, ...temporal.checks });
}
