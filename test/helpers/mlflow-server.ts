// A real MLflow tracking server for tests, started the way users get one: `djobs dev --mlflow`
// (MLflow from PyPI in the project's venv, installed once; a fresh SQLite store in DJOBS_HOME).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fetchMlflow } from '../../mlflow/rest-api';
import { installedMlflowPython } from '../../config/project-root';

export interface DevWithMlflow {
  /** The MLflow server `djobs dev` printed. */
  url: string;
  /** The Python of the project's MLflow environment. */
  python: string;
  /** Environment for more `djobs` commands against this dev session. */
  env: NodeJS.ProcessEnv;
  /** A directory for the test's files, which dev's (sandboxed) tasks may read and write. */
  files: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startDevWithMlflow(home: string): Promise<DevWithMlflow> {
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js');
  // Tasks never see DJOBS_HOME: the test's files are a directory of their own beside it.
  const files = path.join(home, '..', `${path.basename(home)}-files`);
  fs.mkdirSync(files, { recursive: true });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: '',
    MLFLOW_TRACKING_URI: '',
    DJOBS_HOME: home,
    DJOBS_SANDBOX_READ_WRITE: files,
    DJOBS_PORT: '0',
    DJOBS_UI_PORT: '0',
    DJOBS_MLFLOW_PORT: '0',
  };
  const dev = spawn(process.execPath, [cli, 'dev', '--api-port', '0', '--mlflow'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dev.stdout.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => dev.once('exit', () => resolve()));
  const stop = async () => {
    if (dev.exitCode === null && dev.signalCode === null) dev.kill('SIGINT');
    await exited;
    fs.rmSync(files, { recursive: true, force: true });
  };
  // An install on a fresh machine takes minutes; the first start migrates the database.
  const deadline = Date.now() + 900_000;
  for (;;) {
    const url = /MLflow UI: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url) return { url, python: installedMlflowPython()!, env, files, output: () => output, stop };
    if (dev.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`djobs dev --mlflow did not print an MLflow UI address: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** POST or GET one MLflow REST endpoint (api/2.0/mlflow/...), failing on an HTTP error. */
export async function mlflowApi<T = Record<string, unknown>>(
  url: string,
  endpoint: string,
  body?: Record<string, unknown>
): Promise<T> {
  const res = await fetchMlflow(
    `${url}/api/2.0/mlflow/${endpoint}`,
    body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}
  );
  const text = await res.text();
  if (!res.ok) throw new Error(`MLflow ${endpoint}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
