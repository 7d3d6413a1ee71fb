// One engine of ours on Temporal's time-skipping test server (`TestWorkflowEnvironment
// .createTimeSkipping`), for tests of timers users set in hours and minutes: task and job
// timeouts, retry intervals, duration health rules. The server is the Java build installed from
// Maven Central by scripts/ensure-test-server.cjs (the SDK's own download needs GitHub); the worker
// is ours (the workflow bundle and the real activities), encryption on as everywhere.
//
// Workflow time moves on only while a test awaits a workflow's result through `env.client`
// (`finish`); between such awaits it runs at wall-clock pace, so tests that query a run in flight
// still see it running. What the test server cannot do (schedules, visibility queries, listing
// search attributes) is in ARCHITECTURE.md, Tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import type { DataConverter } from '@temporalio/common';
import { TimeSkippingWorkflowClient } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { DurableJobsClient } from '../../client';
import { indexedValueTypes } from '../../client/search-attributes';
import { runWorkflowId, type Run } from '../../core';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { createDjobsWorker } from '../../worker';
import type { EmailConfig } from '../../config';
import { harnessSandbox, installTestRuntime, safeName, testDataConverter } from '../integration/harness';

const root = path.resolve(__dirname, '..', '..');

/** The launcher of the time-skipping test server, installed when missing. */
export function testServerPath(): string {
  const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-test-server.cjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0)
    throw new Error('could not install the time-skipping test server (scripts/ensure-test-server.cjs)');
  return res.stdout.trim();
}

/** A free loopback port (the server binds it right after; the SDK's own start does the same). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the test server on a free port and connects to it. Not through the SDK's
 * `createTimeSkipping`: that gives a server 5 s to accept connections, and a JVM on a loaded
 * 2-core machine takes longer; here the deadline is a minute, and a server that exits says why.
 */
async function startTestServer(): Promise<{ process: ChildProcess; address: string; connection: Connection }> {
  const port = await freePort();
  const child = spawn(testServerPath(), [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the test server exited with code ${child.exitCode}: ${stderr}`);
    try {
      // The test service (lock, unlock, current time) is on connections that ask for it, as
      // TestWorkflowEnvironment's own do.
      const options: InternalConnectionOptions = {
        address,
        connectTimeout: '2s',
        [InternalConnectionOptionsSymbol]: { supportsTestService: true },
      };
      const connection = await Connection.connect(options);
      return { process: child, address, connection };
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the test server did not accept connections at ${address} within 60 s: ${stderr}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface TimeSkippingEngine {
  /** The test server's own client: awaiting a workflow's result through it skips time. */
  timeSkipping: TimeSkippingWorkflowClient;
  /** Our client, on the test server. */
  client: DurableJobsClient;
  taskQueue: string;
  dataDir: string;
  workDir: string;
  dataConverter: DataConverter;
  /**
   * Skips workflow time until the run's workflow closes (its notifications delivered), then reads
   * the run.
   */
  finish(runId: number): Promise<Run>;
}

/**
 * The one time-skipping engine of a test file: a test server of its own (time is global to a
 * server, so two files must not share one), started before the file's later `beforeAll` hooks and
 * its tests, stopped after them. `options` is read when it starts (after earlier `beforeAll` hooks,
 * e.g. one starting a mail receiver).
 */
export function useTimeSkippingEngine(
  title: string,
  options: () => { email?: EmailConfig } = () => ({})
): TimeSkippingEngine {
  let started: TimeSkippingEngine | undefined;
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let workDir: string | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    installTestRuntime();
    const opts = options();
    const dataConverter = testDataConverter();
    server = await startTestServer();
    const { connection } = server;
    // The test server accepts new search attributes but cannot list them (UNIMPLEMENTED), so our
    // idempotent `setupTemporal` (client/temporal-setup.ts) cannot run here: register them once, on a fresh server.
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: indexedValueTypes(ALL_SEARCH_ATTRIBUTES),
    });
    const taskQueue = `ts-${safeName(title)}`;
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-ts-test-'));
    // Apart from the test's files, which its tasks may read and write: a task never sees DJOBS_HOME.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-ts-test-home-'));
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await createDjobsWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      dataDir,
      dataConverter,
      workflowBundlePath: inject('workflowBundlePath'),
      // Sandboxed as every test's worker: the test's files (a task's counter) read-write for tasks.
      sandbox: harnessSandbox(workDir),
      ...(opts.email ? { email: opts.email } : {}),
    });
    running = worker.run();
    const client = DurableJobsClient.fromClient(new Client({ connection, dataConverter }), { taskQueue });
    const timeSkipping = new TimeSkippingWorkflowClient({ connection, dataConverter });
    started = {
      timeSkipping,
      client,
      taskQueue,
      dataDir,
      workDir,
      dataConverter,
      async finish(runId) {
        await timeSkipping
          .getHandle(runWorkflowId(runId))
          .result()
          .catch(() => undefined); // a failed or canceled run: its state says how
        return client.getRun(runId);
      },
    };
  });
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await nativeConnection?.close();
    await server?.connection.close();
    if (server && server.process.exitCode === null) {
      const exited = new Promise((resolve) => server!.process.once('exit', resolve));
      server.process.kill('SIGTERM');
      await exited;
    }
    for (const dir of [workDir, dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return new Proxy({} as TimeSkippingEngine, {
    get(_, key) {
      if (!started) throw new Error(`the time-skipping engine of "${title}" is used before it started`);
      return Reflect.get(started, key) as unknown;
    },
  });
}
