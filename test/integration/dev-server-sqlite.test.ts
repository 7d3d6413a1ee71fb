// The persistent dev server (`djobs dev`) writes its SQLite file with a write-ahead log synced at
// checkpoints (servers/dev-server.ts, SQLITE_PRAGMAS): what it has committed survives the server
// being killed with SIGKILL and started again on the same file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupNamespace } from '../../client';
import { startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';
import { startSqliteDevServer } from '../helpers/sqlite-dev-server';
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

  const start = () => startSqliteDevServer(db, work);

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

  it('chooses free ports again when another process takes its port between the choice and the bind', async () => {
    // A stand-in for the moment a full test run hits: the first start's gRPC port is taken (by a
    // real listener) just before the real server binds it, and that server exits at once with
    // "bind: address already in use". The start must not fail for it.
    const cliPath = await findTemporalCli({
      ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
    });
    if (!cliPath) throw new Error('temporal CLI not found');
    const dir = fs.mkdtempSync(path.join(work, 'taken-'));
    const wrapper = path.join(dir, 'temporal');
    const holderPid = path.join(dir, 'holder.pid');
    fs.writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `if [ ! -e ${holderPid} ]; then`,
        '  port=$(echo "$@" | sed -E "s/.*--port ([0-9]+).*/\\1/")',
        `  python3 -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); open(sys.argv[2], "w").write("x"); time.sleep(120)' "$port" ${dir}/bound &`,
        `  echo $! > ${holderPid}`,
        `  while [ ! -e ${dir}/bound ]; do sleep 0.05; done`,
        'fi',
        `exec ${cliPath} "$@"`,
      ].join('\n'),
      { mode: 0o755 }
    );
    const spawned: number[] = [];
    let started: DevServer | undefined;
    try {
      started = await startDevServer({
        cliPath: wrapper,
        port: 0,
        headless: true,
        logFile: path.join(dir, 'server.log'),
        onSpawn: (pid) => spawned.push(pid),
      });
      expect(spawned).toHaveLength(2);
      expect(fs.readFileSync(path.join(dir, 'server.log'), 'utf8')).toContain('bind: address already in use');
      // The second server answers (set up as `djobs dev` sets up its own, since clients check).
      await setupNamespace({ address: started.address });
      const client = await DurableJobsClient.connect({ address: started.address, dataConverter: testDataConverter() });
      await client.close();
    } finally {
      await started?.stop();
      if (fs.existsSync(holderPid)) process.kill(Number(fs.readFileSync(holderPid, 'utf8')), 'SIGKILL');
    }
  }, 120_000);
});
