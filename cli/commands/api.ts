import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createApiServer } from '../../api/server';
import type { Principal } from '../../api/auth';
import { runCommand } from '../output';
import { openSession } from '../session';

/** `djobs api [--port 8080]`: the Databricks Jobs REST API (with a worker when Temporal is embedded). */
export function configureApiCommand(program: Command): void {
  program
    .command('api')
    .description('Serve the Databricks Jobs REST API (/api/2.0|2.1|2.2/jobs/...) until interrupted')
    .option('--port <port>', 'HTTP port', '8080')
    .option('--host <host>', 'bind address', '127.0.0.1')
    .action(async (opts: { port: string; host: string }) =>
      runCommand(async () => {
        const session = await openSession({ needsWorker: true });
        let token = process.env.DJOBS_API_TOKEN;
        if (!token) {
          token = `djobs-${randomBytes(24).toString('hex')}`;
          process.stdout.write(`Generated an admin token (set DJOBS_API_TOKEN to choose one): ${token}\n`);
        }
        const tokens = new Map<string, Principal>([[token, { name: 'admin', kind: 'user' }]]);
        const app = await createApiServer({ client: session.client, tokens, workspaceDir: process.cwd() });
        const address = await app.listen({ port: Number(opts.port), host: opts.host });
        process.stdout.write(`durable-jobs API at ${address}/api/2.1/jobs (Databricks Jobs API)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await app.close();
        await session.close();
      })
    );
}
