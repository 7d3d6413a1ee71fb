import type { Command } from 'commander';
import { runService } from '../output';
import { openSession } from '../session';

/** `djobs api [--port 8080]`: the Databricks Jobs REST API (with a worker when Temporal is embedded). */
export function configureApiCommand(program: Command): void {
  program
    .command('api')
    .description('Serve the Databricks Jobs REST API (/api/2.0|2.1|2.2/jobs/...) until interrupted')
    .option('--port <port>', 'HTTP port', '8080')
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--principals <file>', 'users and service principals with their tokens (default: $DJOBS_API_PRINCIPALS)')
    .action(async (opts: { port: string; host: string; principals?: string }) =>
      runService(async () => {
        const host = ['0.0.0.0', '::'].includes(opts.host) ? 'localhost' : opts.host;
        const scheme = process.env.DJOBS_API_TLS_CERT ? 'https' : 'http';
        const session = await openSession({
          needsWorker: true,
          webUiUrl: `${scheme}://${host}:${opts.port}`,
          waitForTemporal: true,
        });
        // Loaded here, not at the top: no other command needs the HTTP server (cli/session.ts).
        const { serveApi } = await import('../../api/serve.js');
        const { app } = await serveApi({
          client: session.client,
          port: Number(opts.port),
          host: opts.host,
          ...(opts.principals ? { principalsFile: opts.principals } : {}),
          workspaceDir: process.cwd(),
          workspaceRoot: session.config.workspaceRoot,
          codeRoots: session.config.codeRoots,
          codec: { corsOrigins: session.config.codecCorsOrigins },
          ...(session.config.codecTokenFile ? { codecTokenFile: session.config.codecTokenFile } : {}),
          encryption: session.config.encryption.enabled,
          ...(session.config.apiTls ? { tls: session.config.apiTls } : {}),
          log: (line) => process.stdout.write(`${line}\n`),
        });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await app.close();
        await session.close();
      })
    );
}
