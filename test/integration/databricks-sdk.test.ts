// Compatibility: the official Databricks Python SDK (databricks-sdk from PyPI) drives the REST API
// unchanged: create, run-now and wait, get-output, list with pagination, submit, cancel, repair.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { startEngine, type Engine } from './harness';

const root = path.resolve(__dirname, '..', '..');
/** The newest databricks-sdk whose dependencies the package registry here can satisfy. */
const SDK_VERSION = '0.150.0';
const sdkDir = path.join(root, '.tools', `databricks-sdk-${SDK_VERSION}`);

function ensureSdk(): void {
  if (fs.existsSync(path.join(sdkDir, 'databricks', 'sdk'))) return;
  const res = spawnSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--target',
      sdkDir,
      `databricks-sdk==${SDK_VERSION}`,
    ],
    { encoding: 'utf8' }
  );
  if (res.status !== 0) throw new Error(`pip install databricks-sdk failed: ${res.stderr}`);
}

describe('official Databricks Python SDK', () => {
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    ensureSdk();
    engine = await startEngine('databricks sdk');
    fs.writeFileSync(path.join(engine.workDir, 'hello.py'), 'print("hello", dbutils.widgets.get("who"))\n');
    fs.writeFileSync(path.join(engine.workDir, 'slow.py'), 'import time\ntime.sleep(60)\n');
    fs.writeFileSync(
      path.join(engine.workDir, 'flaky.py'),
      'import os\nassert os.path.exists("fixed"), "not fixed yet"\n'
    );
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('sdk-token'),
      workspaceDir: engine.workDir,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
  });

  it('creates, runs and waits, reads output, lists, cancels and repairs through the SDK', async () => {
    // Asynchronously: this process serves the API and runs the worker the SDK talks to.
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'python3',
        [path.join(root, 'test', 'compat', 'databricks_sdk_compat.py')],
        {
          env: {
            ...process.env,
            PYTHONPATH: sdkDir,
            DJOBS_HOST: base,
            DJOBS_TOKEN: 'sdk-token',
            DJOBS_WORKDIR: engine.workDir,
          },
          timeout: 240_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr })
      );
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);
});

function adminTokens(token: string): TokenMap {
  const tokens = new TokenMap();
  tokens.add({ plain: token }, adminPrincipal());
  return tokens;
}
