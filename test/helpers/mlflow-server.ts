// A real MLflow tracking server for tests: MLflow from PyPI in the project's venv (installed once
// by scripts/ensure-mlflow.cjs, cached by its marker), a fresh SQLite store in a temp directory.
import { fetchMlflow } from '../../client/mlflow';
import { ensureMlflow } from '../../config/mlflow-install';
import { startMlflowServer, type MlflowServer } from '../../config/mlflow-server';

export interface TestMlflow extends MlflowServer {
  python: string;
}

export async function startTestMlflow(home: string): Promise<TestMlflow> {
  const python = ensureMlflow();
  // The first start creates and migrates the database: tens of seconds on a loaded machine.
  const server = await startMlflowServer({ python, home, port: 0, startTimeoutMs: 240_000 });
  await server.ready;
  return { ...server, python };
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
