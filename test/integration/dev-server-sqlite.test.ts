// The persistent dev server (`djobs dev`) writes its SQLite file with a write-ahead log synced at
// checkpoints (servers/dev-server.ts, SQLITE_PRAGMAS): what it has committed survives the server
// being killed with SIGKILL and started again on the same file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupNamespace } from '../../client';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';
import { job, sh, testDataConverter } from './harness';

/** Bytes 18 and 19 of a SQLite file's header are 2 when it is in WAL mode (https://www.sqlite.org/fileformat.html). */
function walMode(file: string): boolean {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header[18] === 2 && header[19] === 2;
}

describe('the persistent dev server', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sqlite-'));
  const db = path.join(work, 'temporal.db');
  let server: DevServer | undefined;
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const start = async () => {
    const cliPath = await findTemporalCli({
      ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
    });
    if (!cliPath) throw new Error('temporal CLI not found');
    return startDevServer({
      cliPath,
      dbFilename: db,
      port: await freePort(),
      headless: true,
      logFile: path.join(work, 'server.log'),
    });
  };

  it('keeps a write-ahead log and loses nothing committed when killed', async () => {
    server = await start();
    await setupNamespace({ address: server.address });
    expect(walMode(db)).toBe(true);
    const first = await DurableJobsClient.connect({ address: server.address, dataConverter: testDataConverter() });
    const { job_id } = await first.createJob(job('survives kill -9', [sh('t', 'true')]));
    await first.close();

    process.kill(server.pid, 'SIGKILL');
    await server.stop(); // resolves once the killed process has exited
    server = await start();
    const again = await DurableJobsClient.connect({ address: server.address, dataConverter: testDataConverter() });
    try {
      expect((await again.getJob(job_id)).settings.name).toBe('survives kill -9');
    } finally {
      await again.close();
    }
  }, 120_000);
});
