// The project-local Python environment with MLflow and scikit-learn, made from PyPI by
// scripts/ensure-mlflow.cjs. Python tasks run with its interpreter when it is installed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './project-root';

/** The venv scripts/ensure-mlflow.cjs makes (keep the version in step with that script). */
export const mlflowVenv = (): string => path.join(projectRoot(), '.tools', 'mlflow-3.17.2');

/** The venv's python when MLflow is installed in it, else undefined. */
export function installedMlflowPython(): string | undefined {
  const venv = mlflowVenv();
  return fs.existsSync(path.join(venv, '.djobs-installed')) ? path.join(venv, 'bin', 'python') : undefined;
}

/** Install MLflow into the project (once; concurrent callers wait for the first) and return its python. */
export function ensureMlflow(): string {
  const res = spawnSync(process.execPath, [path.join(projectRoot(), 'scripts', 'ensure-mlflow.cjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0) throw new Error('could not install MLflow (scripts/ensure-mlflow.cjs failed)');
  return res.stdout.trim();
}
