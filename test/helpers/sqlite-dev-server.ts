// The persistent dev server (`djobs dev`'s, on a SQLite file) started headless on a free port, for
// tests that kill, restore or restart it on the same database.
import path from 'node:path';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';

export async function startSqliteDevServer(dbFilename: string, logDir: string): Promise<DevServer> {
  const cliPath = await findTemporalCli({
    ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
  });
  if (!cliPath) throw new Error('temporal CLI not found');
  return startDevServer({
    cliPath,
    dbFilename,
    port: await freePort(),
    headless: true,
    logFile: path.join(logDir, 'server.log'),
  });
}
