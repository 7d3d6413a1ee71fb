// Databricks code runs unchanged, driven through the official Python SDK as a Databricks user
// would (test/compat/workspace_sdk_compat.py): an exported notebook set (`%run` setup, `%pip`
// install of a real package from PyPI, `%sql`, dbutils.fs over a volume, DBFS, the workspace and
// S3, `dbutils.notebook.run`, a failing cell, a Scala cell) uploaded with `w.workspace.upload` and
// run; workspace permissions between alice and bob, for the API and for their tasks; DBFS and
// Files API transfers; a file-arrival trigger on a volume fed by `w.files.upload`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { ensurePythonSdk, pythonSdkDir, runProgram } from '../helpers/compat';
import { startS3Server, type S3Server } from '../helpers/s3-server';
import { principalTokens, tokenOf, useEngine, waitFor, watcherBaselined, writePrincipalsFile } from './harness';

const compat = path.resolve(__dirname, '..', 'compat');
const principalsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-principals-'));
const principalsFile = writePrincipalsFile(principalsDir, [{ who: 'alice' }, { who: 'bob' }]);

describe('notebooks, dbutils and the workspace through the Databricks SDK', () => {
  // The S3 settings below are the worker's; its operator passes them to tasks (DJOBS_SANDBOX_ENV).
  const engine = useEngine('workspace notebooks', {
    principalsFile,
    sandbox: { passEnv: ['AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] },
  });
  let app: FastifyInstance;
  let base: string;
  let s3: S3Server;
  let client: DurableJobsClient;
  beforeAll(async () => {
    ensurePythonSdk();
    s3 = await startS3Server();
    // The worker's tasks reach S3 the way a user configures it for any S3-compatible store.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    const store = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    await store.send(new CreateBucketCommand({ Bucket: 'notebook-data' }));
    store.destroy();
    client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      triggers: { fileArrivalPollSeconds: 0.2 },
    });
    app = await createApiServer({
      client,
      tokens: principalTokens(principalsFile),
      workspaceDir: engine.workDir,
      workspaceRoot: path.join(engine.dataDir, 'workspace'),
      codeRoots: [],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await client?.close();
    await s3?.stop();
    fs.rmSync(principalsDir, { recursive: true, force: true });
  });

  it('uploads and runs an exported notebook set, keeps bob out of alice’s notebooks, moves files and fires on a volume', async () => {
    const jobIdFile = path.join(engine.workDir, 'watched-job-id');
    const baselinedFlag = path.join(engine.workDir, 'watcher-baselined');
    const script = runProgram(
      'python3',
      [path.join(compat, 'workspace_sdk_compat.py')],
      {
        PYTHONPATH: pythonSdkDir,
        DJOBS_HOST: base,
        ALICE_TOKEN: tokenOf('alice'),
        BOB_TOKEN: tokenOf('bob'),
        ADMIN_TOKEN: tokenOf('admin'),
        NOTEBOOKS: path.join(compat, 'notebooks'),
        BUCKET: 'notebook-data',
        WATCHED_JOB_ID_FILE: jobIdFile,
        WATCHER_BASELINED_FLAG: baselinedFlag,
      },
      480_000
    );
    let ended = false;
    void script.then(() => (ended = true));
    // The script's upload must come after the watcher's first listing, or the file is stock.
    const watching = (async () => {
      const jobId = await waitFor(
        () => (ended ? -1 : fs.existsSync(jobIdFile) ? Number(fs.readFileSync(jobIdFile, 'utf8')) : undefined),
        'the file-arrival job to be created',
        480_000
      );
      if (jobId < 0) return;
      await watcherBaselined(client, jobId);
      fs.writeFileSync(baselinedFlag, '');
    })();
    const { code, output } = await script;
    await watching;
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 540_000);
});
