import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DurableJobsClient, TemporalUnavailableError, setupNamespace } from '../../client';
import { loadConfig, type DjobsConfig } from '../../config';
import { protectDataDir } from '../../config/data-dir';
import { findDevOrLockServer, startDevServer } from '../../servers/dev-server';
import { findOrInstallTemporalCli } from '../../servers/temporal-cli';
import { installedMlflowPython } from '../../config/project-root';
import { ensureMlflow, startMlflowServer, type MlflowServer } from '../../servers/mlflow-server';
import { CODEC_PATH } from '../../api/codec-server';
import { SIGN_IN_CODE_TTL_MS } from '../../api/sign-in';
import { devAdminTokenFile } from './ui';
import { runService } from '../output';
import {
  applySandboxFlags,
  clientOptionsFor,
  converterFor,
  embeddedServerOptions,
  installQuietRuntime,
  SANDBOX_FLAG_HELP,
  logRetentionWorkerFor,
  workerFor,
} from '../session';

/** The UI's origin as a browser may reach it (localhost or 127.0.0.1). */
function uiOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  return [url.origin, `${url.protocol}//127.0.0.1:${url.port}`];
}

/** How long `djobs dev` drains its worker after SIGINT/SIGTERM before it stops hard. */
const GRACEFUL_STOP_MS = 3_000;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

interface DevOptions {
  apiPort: string;
  apiHost: string;
  principals?: string;
  /** --mlflow (true), --no-mlflow (false), neither (undefined: start MLflow when installed). */
  mlflow?: boolean;
  mlflowPort?: string;
  sandbox?: boolean;
  network?: boolean;
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
    .option('--mlflow', 'start the MLflow tracking server, installing MLflow into .tools/ if missing')
    .option('--no-mlflow', 'do not start the MLflow tracking server (default: start it when MLflow is installed)')
    .option('--mlflow-port <port>', 'port of the MLflow tracking server (default: $DJOBS_MLFLOW_PORT or 5000)')
    .option('--no-sandbox', SANDBOX_FLAG_HELP.noSandbox)
    .option('--no-network', SANDBOX_FLAG_HELP.noNetwork)
    .action(async (opts: DevOptions) =>
      runService(async () => {
        // The worker reads the principals too (a run's principal: its groups, what files it may read).
        if (opts.principals) process.env.DJOBS_API_PRINCIPALS = path.resolve(opts.principals);
        const config = loadConfig();
        protectDataDir(config.home);
        applySandboxFlags(config, opts, 'djobs dev');
        // Before anything starts: a dev that cannot sandbox its tasks refuses at once.
        const { ensureSandboxSupport } = await import('../../worker/index.js');
        await ensureSandboxSupport(config.sandbox, config.python);
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
        // The first start of a data directory creates its encryption key.
        const dataConverter = converterFor(config, { createIfMissing: true });
        // The Web UI decodes payloads through the API's codec server, at a secret path of this start.
        const apiPort = Number(opts.apiPort);
        const uiCodecKey = randomBytes(24).toString('base64url');
        // The browser calls it: a wildcard bind address is not one it can reach.
        const codecHost = ['0.0.0.0', '::'].includes(opts.apiHost) ? '127.0.0.1' : opts.apiHost;
        const apiUrl = `${config.apiTls ? 'https' : 'http'}://${codecHost}:${apiPort}`;
        const codecEndpoint = `${apiUrl}${CODEC_PATH}/ui/${uiCodecKey}`;
        // run_page_url is the run's page in the jobs web UI this API serves (DJOBS_WEB_UI_URL wins).
        if (apiPort > 0) config.webUiUrl ??= apiUrl;
        // The UI's codec endpoint, with its key, goes to the server in a file of the private data
        // directory (the CLI's environment file), not on its command line, which `ps` shows every
        // user; removed once the server has read it. The UI hands it to the browser through its
        // unauthenticated settings (/api/v1/settings): the dev UI listens on loopback only, and the
        // endpoint answers loopback clients only (docs/security.md).
        const uiEnvFile = path.join(config.home, 'temporal-ui-codec.yaml');
        if (apiPort > 0)
          fs.writeFileSync(uiEnvFile, `env:\n  djobs:\n    ui-codec-endpoint: ${codecEndpoint}\n`, { mode: 0o600 });
        const server = await startDevServer({
          ...(apiPort > 0 ? { extraArgs: ['--env-file', uiEnvFile, '--env', 'djobs'] } : {}),
          cliPath,
          ...embeddedServerOptions(config, lock),
        }).finally(() => fs.rmSync(uiEnvFile, { force: true }));
        // Zero setup: the embedded server is set up as `djobs admin setup` would set up a cluster.
        await setupNamespace({ address: server.address, namespace: config.namespace });
        await installQuietRuntime();
        // Loaded here, not at the top: only `dev`, `api` and `worker` need them (cli/session.ts).
        const [{ NativeConnection }, { serveApi }] = await Promise.all([
          import('@temporalio/worker'),
          import('../../api/serve.js'),
        ]);
        // run_page_url points at the UI just started (its port may be a free one), unless the
        // deployment names its public address.
        const uiUrl = config.uiUrl ?? server.uiUrl;
        const client = await DurableJobsClient.connect({
          ...clientOptionsFor(config, dataConverter),
          address: server.address,
          ...(uiUrl ? { uiUrl } : {}),
        });
        const api =
          apiPort > 0
            ? await serveApi({
                client,
                port: apiPort,
                codec: { corsOrigins: [...config.codecCorsOrigins, ...uiOrigins(server.uiUrl)], uiKey: uiCodecKey },
                encryption: config.encryption.enabled,
                ...(config.apiTls ? { tls: config.apiTls } : {}),
                host: opts.apiHost,
                ...(opts.principals ? { principalsFile: opts.principals } : {}),
                workspaceDir: process.cwd(),
                workspaceRoot: config.workspaceRoot,
                codeRoots: config.codeRoots,
                log: (line) => process.stdout.write(`${line}\n`),
                // Kept across starts, shown by `djobs ui --token`, never printed here.
                adminTokenFile: devAdminTokenFile(config.home),
              })
            : undefined;
        const mlflow = await startDevMlflow(config, opts);
        const mlflowUrl = config.mlflowTrackingUri ?? mlflow?.url;
        const connection = await NativeConnection.connect({ address: server.address });
        // Loaded again: --mlflow may just have installed the environment Python tasks now run with.
        // Its notifications link to the same run pages as run_page_url: this dev's web UI, else its
        // Temporal UI, on the ports it really took.
        const workerConfig = {
          ...loadConfig(),
          sandbox: config.sandbox,
          ...(config.webUiUrl ? { webUiUrl: config.webUiUrl } : {}),
          ...(uiUrl ? { uiUrl } : {}),
        };
        if (opts.principals) workerConfig.sandbox.hidden.push(opts.principals);
        const worker = await workerFor(connection, workerConfig, dataConverter, undefined, mlflowUrl);
        const retention = await logRetentionWorkerFor(connection, workerConfig, dataConverter);
        // Other commands now use this server instead of waiting.
        lock.update({
          state: 'ready',
          address: server.address,
          ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
          ...(mlflowUrl ? { mlflowUrl } : {}),
          ...(config.webUiUrl ? { webUiUrl: config.webUiUrl } : {}),
        });
        if (api) {
          const link = api.signInLink(config.webUiUrl);
          process.stdout.write(
            `Sign in to the web UI: ${link.url}\n  (one use, within ${SIGN_IN_CODE_TTL_MS / 60_000} minutes; \`djobs ui\` prints a new link, \`djobs ui --token\` the admin token)\n`
          );
        }
        process.stdout.write(
          `durable-jobs dev: Temporal at ${server.address}${server.uiUrl ? `, Web UI at ${server.uiUrl}` : ''}, data in ${config.home}\nPress Ctrl-C to stop.\n`
        );
        if (config.mlflowTrackingUri) process.stdout.write(`MLflow: tasks use ${config.mlflowTrackingUri}\n`);
        // The MLflow server comes up in the background (its first start migrates its database).
        mlflow?.ready.then(
          () => process.stdout.write(`MLflow UI: ${mlflow.url}\n`),
          (err: unknown) => process.stderr.write(`MLflow server failed: ${(err as Error).message}\n`)
        );
        // A graceful stop drains the worker, which needs the server; a dead or hung server (or a
        // second signal) must not keep dev alive: past the bound, stop hard. The tasks in flight
        // die with this process (their supervisors' parent-death signal), and their runs resume
        // on the next start.
        const stopHard = async () => {
          lock.release();
          await Promise.race([Promise.all([api?.app.close(), mlflow?.stop()]), delay(1_000)]);
          await server.stop({ graceMs: 1_000 });
          process.exit(0);
        };
        let hardStop: NodeJS.Timeout | undefined;
        const stop = () => {
          if (hardStop) return void stopHard();
          hardStop = setTimeout(() => void stopHard(), GRACEFUL_STOP_MS);
          if (worker.getState() === 'RUNNING') worker.shutdown();
          if (retention?.getState() === 'RUNNING') retention.shutdown();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        try {
          await Promise.all([worker.run(), retention?.run()]);
        } finally {
          await api?.app.close();
          await client.close();
          await connection.close();
          await mlflow?.stop();
          await server.stop();
          clearTimeout(hardStop);
          lock.release();
        }
      })
    );
}

/**
 * The embedded MLflow tracking server: started when MLflow is installed in the project (or with
 * --mlflow, which installs it), unless MLFLOW_TRACKING_URI names another server or --no-mlflow.
 */
async function startDevMlflow(
  config: DjobsConfig,
  opts: { mlflow?: boolean; mlflowPort?: string }
): Promise<MlflowServer | undefined> {
  if (config.mlflowTrackingUri || opts.mlflow === false) return undefined;
  const python = opts.mlflow ? ensureMlflow() : installedMlflowPython();
  if (!python) return undefined;
  return startMlflowServer({
    python,
    home: config.home,
    port: opts.mlflowPort !== undefined ? Number(opts.mlflowPort) : config.mlflowPort,
  });
}
